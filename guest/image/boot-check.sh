#!/usr/bin/env bash
# boot-check.sh [qemu|paddock|both]: issue 5's "boots to readiness" check. Builds the sandbox image (build.sh,
# cached), creates a fresh state disk, and boots kernel + initramfs + root image (/dev/vda, read-only) + state
# disk (/dev/vdb) until the agent prints PADDOCK-AGENT-READY on the serial console: under QEMU microvm
# (boot-qemu.sh; validates the image on its own) and under Paddock's VMM (`paddock vmm boot`), both by default,
# each run by run-until-ready.sh.
# Where the accelerator probe says `emulated`, they run inside the helper VM (one that is not running is
# started, and stopped again at the end); where it says `native`, on this host.
# Every missing piece (agent, QEMU, /dev/kvm, an accelerator) is a failure with its reason, never a skip.
# Exit status 0 only when the readiness line came and the state disk shows the agent's work (below). Runs as root (the root image build needs it).
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(cd "$here/../.." && pwd)"
state="${PADDOCK_STATE:-$HOME/.paddock}"
timeout_s="${PADDOCK_BOOT_CHECK_TIMEOUT_S:-300}"
vmms=(qemu paddock)
case "${1:-both}" in
  both) ;;
  qemu|paddock) vmms=("$1") ;;
  *) printf 'usage: boot-check.sh [qemu|paddock|both]\n' >&2; exit 2 ;;
esac
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

accel="$("$root/paddock" rig probe)" || die "the accelerator probe failed (reason above)"
log "image built or found in ${build_s} s; accelerator: $accel; VMMs: ${vmms[*]}"
case "$accel" in
  native|emulated) ;;
  *) die "no accelerator: this host can run neither guests on /dev/kvm nor the helper VM, so the image cannot boot here" ;;
esac
stop_vm=""
if [ "$accel" = emulated ] && ! "$root/paddock" rig status >/dev/null 2>&1; then
  "$root/paddock" rig start || die "the helper VM did not start"
  stop_vm=1
fi
cleanup() { if [ -n "$stop_vm" ]; then "$root/paddock" rig stop || log "could not stop the helper VM cleanly"; fi; }
trap cleanup EXIT

image_files() { readlink -f "$vmlinuz"; readlink -f "$initramfs"; readlink -f "$rootfs"; }

# Runs a VMM command until the readiness line (run-until-ready.sh), where the VM runs.
until_ready() {
  local console="$1"; shift
  if [ "$accel" = emulated ]; then
    "$root/paddock" rig exec -- "$here/run-until-ready.sh" "$console" "$timeout_s" -- "$@"
  else
    "$here/run-until-ready.sh" "$console" "$timeout_s" -- "$@"
  fi
}

# QEMU microvm (boot-qemu.sh): validates the image independently of Paddock's VMM.
boot_qemu() {
  local console="$1" state_disk="$2" cmdline_text="$3" files
  mapfile -t files < <(image_files)
  until_ready "$console" "$here/boot-qemu.sh" "${files[0]}" "${files[1]}" "${files[2]}" "$state_disk" "$cmdline_text"
}

# Paddock's own VMM, `paddock vmm boot`, its console on stdout. Started inside the helper VM by
# run-until-ready.sh, where the probe finds a native /dev/kvm, so it runs there in-process and is stopped by pid.
boot_paddock() {
  local console="$1" state_disk="$2" cmdline_text="$3" files
  mapfile -t files < <(image_files)
  until_ready "$console" "$root/paddock" vmm boot --kernel "${files[0]}" --initrd "${files[1]}" \
    --disk "${files[2]}:ro" --disk "$state_disk" --cmdline "$cmdline_text" --cpus 2 --memory 1024M \
    --timeout "$((timeout_s + 60))" --diagnose-to "$(dirname "$console")/vmm-state.txt"
}

# What `paddock vmm boot --diagnose-to` wrote when it was stopped while its VM still ran (docs/vmm.md), if it did.
show_vmm_state() {
  local f
  f="$(dirname "$1")/vmm-state.txt"
  if [ -s "$f" ]; then log "the VM's state when it was stopped ($f):"; cat "$f" >&2; fi
}

# What the agent wrote on the state disk shows that the disks were where the cmdline says and that the root
# was assembled from the image: /dev/vdb holds the overlay's upper/ and work/ and docker/ (/var/lib/docker), and
# the upper layer holds /var/log/dockerd.log, which the agent creates only when the root it switched into has
# Debian's /usr/sbin/dockerd. The VM was stopped, not shut down: e2fsck replays the journal first.
check_state_disk() {
  local vmm="$1" state_disk="$2" console="$3" path
  e2fsck -fy "$state_disk" >/dev/null 2>&1 || true
  for path in /upper /work /docker /upper/var/log/dockerd.log; do
    debugfs -R "stat $path" "$state_disk" 2>/dev/null | grep -q '^Inode:' \
      || die "$vmm: the state disk $state_disk has no $path after the boot: the agent did not assemble the root from /dev/vda (base) and /dev/vdb (state), or did not start dockerd from the image (console: $console)"
  done
  log "$vmm: state disk holds upper/, work/, docker/ and the overlay's /var/log/dockerd.log"
}

for vmm in "${vmms[@]}"; do
  run_dir="$state/images/boot-check/$vmm"
  rm -rf "$run_dir"
  state_disk="$("$here/new-state-disk.sh" "$run_dir" 4G)" || die "could not create the state disk in $run_dir"
  console="$run_dir/console.log"
  cmdline_text="$(cat "$cmdline") paddock.hostname=boot-check-$vmm"
  log "$vmm: booting (timeout ${timeout_s} s)"
  t0=$SECONDS
  if ! "boot_$vmm" "$console" "$state_disk" "$cmdline_text"; then
    # Known, not yet understood (issue 4): about one Paddock boot in ten prints nothing at all, not even the
    # kernel's first console line, until it is killed. That case, and only that one, is retried once, loudly;
    # a boot that printed anything and then failed is a failure at once.
    [ "$vmm" = paddock ] && show_vmm_state "$console"
    [ "$vmm" = paddock ] && [ ! -s "$console" ] \
      || die "$vmm: the image did not reach PADDOCK-AGENT-READY (console: $console)"
    log "WARNING: $vmm: the VM printed nothing in ${timeout_s} s (the known start hang of issue 4); retrying once with a fresh state disk"
    rm -rf "$run_dir"
    state_disk="$("$here/new-state-disk.sh" "$run_dir" 4G)" || die "could not create the state disk in $run_dir"
    t0=$SECONDS
    "boot_$vmm" "$console" "$state_disk" "$cmdline_text" \
      || { show_vmm_state "$console"; die "$vmm: the image did not reach PADDOCK-AGENT-READY on the retry either (console: $console)"; }
  fi
  took=$((SECONDS - t0))
  check_state_disk "$vmm" "$state_disk" "$console"
  log "$vmm: $(grep -m1 '^PADDOCK-AGENT-READY' "$console"); ${took} s from start to stop"
done
log "passed in $((SECONDS - started)) s"
