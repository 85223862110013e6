#!/usr/bin/env bash
# boot-check.sh: issue 5's "boots to readiness" check. Builds the sandbox image (build.sh, cached), creates a
# fresh state disk, and boots kernel + initramfs + root image (/dev/vda, read-only) + state disk (/dev/vdb)
# until the agent prints PADDOCK-AGENT-READY on the serial console, under QEMU microvm (boot-qemu.sh). Where
# the accelerator probe says `emulated`, QEMU runs inside the helper VM (`paddock rig exec`; a helper VM
# that is not running is started, and stopped again at the end); where it says `native`, on this host.
# Every missing piece (agent, QEMU, /dev/kvm, an accelerator) is a failure with its reason, never a skip.
# Exit status 0 only when the readiness line came and the state disk shows the agent's work (below). Runs as root (the root image build needs it).
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(cd "$here/../.." && pwd)"
state="${PADDOCK_STATE:-$HOME/.paddock}"
timeout_s="${PADDOCK_BOOT_CHECK_TIMEOUT_S:-300}"
log() { printf 'boot-check: %s\n' "$*" >&2; }
die() { printf 'boot-check: FAILED: %s\n' "$*" >&2; exit 1; }
started=$SECONDS
for tool in e2fsck debugfs; do
  command -v "$tool" >/dev/null || die "'$tool' is missing. Install it with: apt-get install e2fsprogs"
done

t0=$SECONDS
paths="$("$here/build.sh")" || die "the image build failed (reason above)"
eval "$paths"
build_s=$((SECONDS - t0))

run_dir="$state/images/boot-check"
rm -rf "$run_dir"
state_disk="$("$here/new-state-disk.sh" "$run_dir" 4G)" || die "could not create the state disk in $run_dir"
console="$run_dir/console.log"
cmdline_text="$(cat "$cmdline") paddock.hostname=boot-check"
args=("$console" "$timeout_s" "$(readlink -f "$vmlinuz")" "$(readlink -f "$initramfs")" "$(readlink -f "$rootfs")"
      "$state_disk" "$cmdline_text")

accel="$("$root/paddock" rig probe)" || die "the accelerator probe failed (reason above)"
log "image built or found in ${build_s} s; accelerator: $accel; booting under QEMU microvm (timeout ${timeout_s} s)"
t0=$SECONDS
case "$accel" in
  native)
    "$here/boot-qemu.sh" "${args[@]}" || die "the image did not reach PADDOCK-AGENT-READY (console: $console)"
    ;;
  emulated)
    stop_vm=""
    if ! "$root/paddock" rig status >/dev/null 2>&1; then
      "$root/paddock" rig start || die "the helper VM did not start"
      stop_vm=1
    fi
    ok=1
    "$root/paddock" rig exec -- "$here/boot-qemu.sh" "${args[@]}" || ok=""
    if [ -n "$stop_vm" ]; then "$root/paddock" rig stop || log "could not stop the helper VM cleanly"; fi
    [ -n "$ok" ] || die "the image did not reach PADDOCK-AGENT-READY inside the helper VM (console: $console)"
    ;;
  *)
    die "no accelerator: this host can run neither guests on /dev/kvm nor the helper VM, so the image cannot boot here"
    ;;
esac
# What the agent wrote on the state disk shows that the disks were where the cmdline says and that the root
# was assembled from the image: /dev/vdb holds the overlay's upper/ and work/ and docker/ (/var/lib/docker), and
# the upper layer holds /var/log/dockerd.log, which the agent creates only when the root it switched into has
# Debian's /usr/sbin/dockerd. QEMU was stopped, not shut down: e2fsck replays the journal first.
e2fsck -fy "$state_disk" >/dev/null 2>&1 || true
for path in /upper /work /docker /upper/var/log/dockerd.log; do
  debugfs -R "stat $path" "$state_disk" 2>/dev/null | grep -q '^Inode:' \
    || die "the state disk $state_disk has no $path after the boot: the agent did not assemble the root from /dev/vda (base) and /dev/vdb (state), or did not start dockerd from the image (console: $console)"
done
log "state disk: upper/, work/, docker/ and the overlay's /var/log/dockerd.log are there"
log "PADDOCK-AGENT-READY: boot took $((SECONDS - t0)) s including QEMU's start and stop; check total $((SECONDS - started)) s"
