#!/usr/bin/env bash
# Builds the boot test image (README.md here) into ${PADDOCK_STATE:-$HOME/.paddock}/test-image/:
#   vmlinuz            Debian's cloud kernel (linux-image-<abi>-cloud-amd64), a bzImage
#   vmlinux            the ELF vmlinux inside it (LZ4 payload, extract-vmlinux.sh), for PVH entry
#   initramfs.cpio.gz  busybox-static, the virtio-mmio/blk/rng modules (+ modinfo dependencies), our /init
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
modules=(virtio_ring virtio virtio_mmio virtio_blk virtio-rng)
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

# --- the kernel package --------------------------------------------------------------------------
# linux-image-cloud-amd64 is a metapackage; its dependency names the real linux-image-<abi>-cloud-amd64.
resolve_kernel() {
  apt-cache depends "$kernel_meta" 2>/dev/null \
    | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -n1
}
kpkg="$(resolve_kernel)"
if [ -z "$kpkg" ] && [ "$(id -u)" = 0 ]; then
  log "apt does not know $kernel_meta yet; running apt-get update"
  apt-get update -qq >&2 || true
  kpkg="$(resolve_kernel)"
fi
[ -n "$kpkg" ] || die "apt cannot resolve $kernel_meta to a kernel package. Run 'apt-get update' (as root) and retry."
kver="${kpkg#linux-image-}"
kdir="$out/kernel/$kver"
if [ ! -f "$kdir/.extracted" ]; then
  log "fetching $kpkg"
  rm -rf "$kdir"; mkdir -p "$kdir/deb"
  if ! (cd "$kdir/deb" && apt-get download "$kpkg" >"$kdir/download.log" 2>&1); then
    cat "$kdir/download.log" >&2 || true
    die "could not download the Debian package $kpkg with 'apt-get download'. Check apt's sources and network, run 'apt-get update', and retry."
  fi
  log "extracting $kpkg"
  dpkg-deb -x "$kdir"/deb/*.deb "$kdir/root"
  rm -rf "$kdir/deb"
  touch "$kdir/.extracted"
fi
vmlinuz="$kdir/root/boot/vmlinuz-$kver"
moddir="$kdir/root/lib/modules/$kver"
[ -f "$vmlinuz" ] || die "the package $kpkg has no boot/vmlinuz-$kver"
ln -sfn "kernel/$kver/root/boot/vmlinuz-$kver" "$out/vmlinuz"

# --- the ELF vmlinux for PVH ---------------------------------------------------------------------
vmlinux="$kdir/vmlinux"
if [ ! -f "$vmlinux" ] || [ "$here/extract-vmlinux.sh" -nt "$vmlinux" ]; then
  log "extracting the ELF vmlinux from vmlinuz-$kver"
  "$here/extract-vmlinux.sh" "$vmlinuz" "$vmlinux"
fi
ln -sfn "kernel/$kver/vmlinux" "$out/vmlinux"

# --- the initramfs -------------------------------------------------------------------------------
key="$( { echo "$kver"; echo "${modules[*]}"; cat "$here/init"; sha256sum "$busybox_bin"; } | sha256sum | cut -c1-16)"
initrd="$out/initramfs-$key.cpio.gz"
if [ ! -f "$initrd" ]; then
  log "building the initramfs ($kver)"
  declare -A path_of=()
  while IFS= read -r ko; do
    name="${ko##*/}"; name="${name%%.ko*}"; path_of["${name//-/_}"]="$ko"
  done < <(find "$moddir/kernel" -name '*.ko*')
  ordered=()
  declare -A seen=()
  add_module() {
    local name="${1//-/_}" dep
    [ -n "${seen[$name]:-}" ] && return 0
    local ko="${path_of[$name]:-}"
    [ -n "$ko" ] || die "module $1 is not in $kpkg"
    seen[$name]=1
    for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do add_module "$dep"; done
    ordered+=("$ko")
  }
  for m in "${modules[@]}"; do add_module "$m"; done

  work="$(mktemp -d "$out/initramfs.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work"/{bin,dev,proc,sys,mnt,lib/modules,etc}
  cp "$busybox_bin" "$work/bin/busybox"
  ln -s busybox "$work/bin/sh"
  install -m 0755 "$here/init" "$work/init"
  : > "$work/etc/modules"
  for ko in "${ordered[@]}"; do
    # busybox insmod takes plain .ko files only: decompress whatever the package compressed.
    base="$(basename "$ko")"
    case "$ko" in
      *.ko.xz) xz -dc "$ko" > "$work/lib/modules/${base%.xz}"; base="${base%.xz}" ;;
      *.ko.zst) zstd -qdc "$ko" > "$work/lib/modules/${base%.zst}"; base="${base%.zst}" ;;
      *) cp "$ko" "$work/lib/modules/$base" ;;
    esac
    echo "$base" >> "$work/etc/modules"
  done
  (cd "$work" && find . -print0 | cpio --null -o -H newc --quiet -R 0:0 | gzip -1) > "$initrd.tmp"
  mv -f "$initrd.tmp" "$initrd"
  rm -rf "$work"; trap - EXIT
  find "$out" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -name "$(basename "$initrd")" -delete
  log "modules: $(printf '%s ' "${ordered[@]##*/}")"
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
