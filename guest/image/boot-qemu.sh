#!/usr/bin/env bash
# boot-qemu.sh CONSOLE_LOG TIMEOUT_S VMLINUZ INITRAMFS ROOTFS STATE_DISK CMDLINE: boots the sandbox image under
# QEMU microvm on this machine's /dev/kvm (inside the helper VM for the emulated accelerator: boot-check.sh
# runs it through `paddock rig exec`) and waits for the agent's readiness line on the serial console.
#
# The root image is the first virtio-blk device, read-only (/dev/vda, paddock.root=), the state disk the
# second (/dev/vdb, paddock.state=); microvm describes both in its ACPI DSDT, which is how the cloud kernel
# finds virtio-mmio devices. The console goes to CONSOLE_LOG. Exit status 0 once a line starting with
# PADDOCK-AGENT-READY appears, 1 when QEMU exits or TIMEOUT_S passes first. Either way the console is printed
# on stdout at the end. After the readiness line the guest runs PADDOCK_BOOT_SETTLE_S more seconds (default 10)
# before QEMU is stopped, so that ext4's journal (committed every 5 s) has put what the agent wrote on the
# state disk, for boot-check.sh to inspect.
set -euo pipefail
die() { printf 'boot-qemu: error: %s\n' "$*" >&2; exit 2; }
[ $# -eq 7 ] || die "usage: boot-qemu.sh CONSOLE_LOG TIMEOUT_S VMLINUZ INITRAMFS ROOTFS STATE_DISK CMDLINE"
console="$1"; timeout_s="$2"; kernel="$3"; initrd="$4"; rootfs="$5"; state_disk="$6"; cmdline="$7"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing. Install it with: apt-get install qemu-system-x86"
[ -c /dev/kvm ] || die "no /dev/kvm here; run it inside the helper VM (paddock rig exec) or on a KVM host"
for f in "$kernel" "$initrd" "$rootfs" "$state_disk"; do [ -f "$f" ] || die "no file at $f"; done

marker=PADDOCK-AGENT-READY
: > "$console"
t0=$(date +%s%N)
qemu-system-x86_64 -M microvm,x-option-roms=off,isa-serial=on,rtc=off -enable-kvm -cpu host \
  -m "${PADDOCK_GUEST_MEMORY_MB:-1024}" -smp "${PADDOCK_GUEST_CPUS:-2}" \
  -nodefaults -no-user-config -nographic -display none -serial "file:$console" -no-reboot \
  -kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
  -drive id=root,file="$rootfs",format=raw,if=none,readonly=on -device virtio-blk-device,drive=root \
  -drive id=state,file="$state_disk",format=raw,if=none -device virtio-blk-device,drive=state \
  -device virtio-rng-device &
qemu=$!
trap 'kill "$qemu" 2>/dev/null || true' EXIT

status=1
deadline=$((SECONDS + timeout_s))
while [ $SECONDS -lt $deadline ]; do
  if grep -q "^$marker" "$console" 2>/dev/null; then status=0; break; fi
  # A kernel panic or the agent's fatal line ends the boot: microvm has no reset line for reboot=k to pull.
  if grep -q -e 'Kernel panic' -e '^PADDOCK-AGENT-FATAL' "$console" 2>/dev/null; then sleep 1; break; fi
  kill -0 "$qemu" 2>/dev/null || break
  sleep 0.2
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ "$status" = 0 ]; then sleep "${PADDOCK_BOOT_SETTLE_S:-10}"; fi
kill "$qemu" 2>/dev/null || true
wait "$qemu" 2>/dev/null || true
trap - EXIT

cat "$console"
if [ "$status" = 0 ]; then
  echo "boot-qemu: $marker after ${ms} ms of QEMU wall time"
elif grep -q -e 'Kernel panic' -e '^PADDOCK-AGENT-FATAL' "$console"; then
  echo "boot-qemu: the boot failed after ${ms} ms: $(grep -m1 -e 'Kernel panic' -e '^PADDOCK-AGENT-FATAL' "$console")" >&2
elif [ $SECONDS -ge $deadline ]; then
  echo "boot-qemu: no $marker line within ${timeout_s} s (console above)" >&2
else
  echo "boot-qemu: QEMU exited after ${ms} ms without a $marker line (console above)" >&2
fi
exit "$status"
