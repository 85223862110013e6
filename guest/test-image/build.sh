#!/usr/bin/env bash
# Builds the boot test image (README.md here) into ${PADDOCK_STATE:-$HOME/.paddock}/test-image/:
#   vmlinuz            Debian's cloud kernel (linux-image-<abi>-cloud-amd64), a bzImage, fetched by ../kernel/fetch.sh
#   vmlinux            the ELF vmlinux inside it (LZ4 payload, ../kernel/extract-vmlinux.sh), for PVH entry
#   initramfs.cpio.gz  busybox-static, the virtio-mmio/blk/rng/fs modules (+ modinfo dependencies), our /init
#   disk.ext4          an ext4 image (mke2fs -d) holding disk/paddock-known-file.txt
#   cmdline            the kernel command line to boot it with (a copy of ./cmdline)
# Idempotent: each piece is rebuilt only when its inputs change. Only Debian packages (apt-get download and
# dpkg-deb -x); apt's own configuration decides where they come from. On success it prints, on stdout,
# one NAME=PATH line per file above, so scripts can `eval` or grep them; progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
state="${PADDOCK_STATE:-$HOME/.paddock}"
out="$state/test-image"
started=$(date +%s.%N)

# Load order (RIG.md, "ACPI discovery"): the transport binds the ACPI-described LNRO0005 devices, then the
# device drivers. Dependencies found by modinfo are added before each.
modules=(virtio_ring virtio virtio_mmio virtio_blk virtio-rng fuse virtiofs)
kernel_meta=linux-image-cloud-amd64

log() { printf 'test-image build: %s\n' "$*" >&2; }
die() { printf 'test-image build: error: %s\n' "$*" >&2; exit 1; }
elapsed() { awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}'; }

for tool in apt-get apt-cache dpkg-deb cpio modinfo gzip mke2fs lz4 flock; do
  command -v "$tool" >/dev/null \
    || die "'$tool' is missing. Install it with: apt-get install cpio kmod e2fsprogs lz4 util-linux (dpkg and apt come with Debian)"
done
busybox_bin=/bin/busybox
if [ ! -x "$busybox_bin" ] || ldd "$busybox_bin" >/dev/null 2>&1; then
  die "a static busybox is needed at /bin/busybox. Install it with: apt-get install busybox-static"
fi

mkdir -p "$out"
# One build at a time per state directory (the boot tests and the benchmark may start together).
exec 9>"$out/.build.lock"
flock 9

# --- the kernel (shared with the sandbox image: guest/kernel/fetch.sh) ------------------------------
kernel_env="$("$here/../kernel/fetch.sh")" || die "fetching the kernel failed (reason above)"
eval "$kernel_env"
kver="$kernel_version"
ln -sfn "$kernel_vmlinuz" "$out/vmlinuz"
ln -sfn "$kernel_vmlinux" "$out/vmlinux"
rm -rf "$out/kernel"   # where this script kept its own copy before guest/kernel/ existed

# --- the initramfs -------------------------------------------------------------------------------
key="$( { echo "$kver"; echo "${modules[*]}"; cat "$here/../kernel/modules.sh" "$here/init"; sha256sum "$busybox_bin"; } | sha256sum | cut -c1-16)"
initrd="$out/initramfs-$key.cpio.gz"
if [ ! -f "$initrd" ]; then
  log "building the initramfs ($kver)"
  work="$(mktemp -d "$out/initramfs.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work"/{bin,dev,proc,sys,mnt,lib/modules,etc}
  cp "$busybox_bin" "$work/bin/busybox"
  ln -s busybox "$work/bin/sh"
  install -m 0755 "$here/init" "$work/init"
  # Plain .ko files with their modinfo dependencies first; busybox's insmod takes only uncompressed ones.
  "$here/../kernel/modules.sh" "$kernel_modules" "$work/lib/modules" "${modules[@]}" > "$work/etc/modules" \
    || die "collecting the modules failed (reason above)"
  (cd "$work" && find . -print0 | cpio --null -o -H newc --quiet -R 0:0 | gzip -1) > "$initrd.tmp"
  mv -f "$initrd.tmp" "$initrd"
  log "modules: $(tr '\n' ' ' < "$work/etc/modules")"
  rm -rf "$work"; trap - EXIT
  find "$out" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -name "$(basename "$initrd")" -delete
fi
ln -sfn "$(basename "$initrd")" "$out/initramfs.cpio.gz"

# --- the ext4 disk -------------------------------------------------------------------------------
disk_key="$( (cd "$here/disk" && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16)"
disk="$out/disk-$disk_key.ext4"
if [ ! -f "$disk" ]; then
  log "building the ext4 disk"
  rm -f "$disk.tmp"
  mke2fs -q -F -t ext4 -L paddock-test -E root_owner=0:0 -d "$here/disk" "$disk.tmp" 8M >&2 \
    || die "mke2fs could not build the disk image from $here/disk"
  mv -f "$disk.tmp" "$disk"
  find "$out" -maxdepth 1 -name 'disk-*.ext4' ! -name "$(basename "$disk")" -delete
fi
ln -sfn "$(basename "$disk")" "$out/disk.ext4"

cp "$here/cmdline" "$out/cmdline.tmp" && mv -f "$out/cmdline.tmp" "$out/cmdline"

log "ready in $out (kernel $kver) after $(elapsed) s"
printf 'vmlinuz=%s\nvmlinux=%s\ninitramfs=%s\ndisk=%s\ncmdline=%s\n' \
  "$out/vmlinuz" "$out/vmlinux" "$out/initramfs.cpio.gz" "$out/disk.ext4" "$out/cmdline"
