#!/usr/bin/env bash
# boot-qemu.sh VMLINUZ INITRAMFS ROOTFS STATE_DISK CMDLINE: boots the sandbox image under QEMU microvm on this
# machine's /dev/kvm, its serial console on stdout (boot-check.sh runs it through run-until-ready.sh, inside
# the helper VM for the emulated accelerator). The root image is the first virtio-blk device, read-only
# (/dev/vda, paddock.root=), the state disk the second (/dev/vdb, paddock.state=); microvm describes both in its
# ACPI DSDT, which is how the cloud kernel finds virtio-mmio devices. PADDOCK_GUEST_MEMORY_MB (default 1024) and
# PADDOCK_GUEST_CPUS (default 2) size the guest.
set -euo pipefail
die() { printf 'boot-qemu: error: %s\n' "$*" >&2; exit 2; }
[ $# -eq 5 ] || die "usage: boot-qemu.sh VMLINUZ INITRAMFS ROOTFS STATE_DISK CMDLINE"
kernel="$1"; initrd="$2"; rootfs="$3"; state_disk="$4"; cmdline="$5"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing. Install it with: apt-get install qemu-system-x86"
[ -c /dev/kvm ] || die "no /dev/kvm here; run it inside the helper VM (paddock rig exec) or on a KVM host"
for f in "$kernel" "$initrd" "$rootfs" "$state_disk"; do [ -f "$f" ] || die "no file at $f"; done
exec qemu-system-x86_64 -M microvm,x-option-roms=off,isa-serial=on,rtc=off -enable-kvm -cpu host \
  -m "${PADDOCK_GUEST_MEMORY_MB:-1024}" -smp "${PADDOCK_GUEST_CPUS:-2}" \
  -nodefaults -no-user-config -nographic -display none -serial stdio -no-reboot \
  -kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
  -drive id=root,file="$rootfs",format=raw,if=none,readonly=on -device virtio-blk-device,drive=root \
  -drive id=state,file="$state_disk",format=raw,if=none -device virtio-blk-device,drive=state \
  -device virtio-rng-device
