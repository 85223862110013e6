#!/usr/bin/env bash
# Builds the helper VM's boot files for the "emulated" accelerator (docs/accelerators.md):
#   - Debian's generic kernel, taken from the linux-image-<abi>-amd64 package (apt-get download + dpkg-deb -x);
#   - an initramfs of busybox-static, the kernel modules the helper VM needs (KVM, virtio-pci, 9p,
#     virtio-net and their dependencies, resolved with modinfo) and our /init (guest/helper-vm/init);
#   - the exec agent, rig-agent, built from rig-agent.c with the host's gcc.
# Everything is cached under ${PADDOCK_STATE:-$HOME/.paddock}/helper-vm/ and rebuilt only when an input changes.
# Only Debian packages are used; apt's own configuration decides where they come from.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
state="${PADDOCK_STATE:-$HOME/.paddock}"
out="$state/helper-vm"
started=$(date +%s.%N)

# Modules L1 loads, in this order (RIG.md); each one's dependencies are added before it.
modules=(irqbypass ccp kvm kvm-amd
         virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
         netfs fscache 9pnet 9pnet_virtio 9p
         failover net_failover virtio_net
         virtio_blk crc32c_generic ext4)

log() { printf 'helper-vm build: %s\n' "$*" >&2; }
die() { printf 'helper-vm build: error: %s\n' "$*" >&2; exit 1; }

for tool in apt-get apt-cache dpkg-deb cpio modinfo gcc gzip; do
  command -v "$tool" >/dev/null || die "'$tool' is missing. Install it with: apt-get install cpio kmod gcc (dpkg and apt come with Debian)"
done
busybox_bin=/bin/busybox
[ -x "$busybox_bin" ] && file_is_static=$( (ldd "$busybox_bin" 2>&1 || true) | grep -c 'not a dynamic' || true)
if [ ! -x "$busybox_bin" ] || [ "${file_is_static:-0}" = 0 ]; then
  die "a static busybox is needed at /bin/busybox. Install it with: apt-get install busybox-static"
fi

mkdir -p "$out"

# --- the exec agent ------------------------------------------------------------------------------
agent="$out/rig-agent"
if [ ! -x "$agent" ] || [ "$here/rig-agent.c" -nt "$agent" ]; then
  log "compiling rig-agent"
  gcc -O2 -Wall -Wextra -Werror -o "$agent.tmp" "$here/rig-agent.c"
  mv -f "$agent.tmp" "$agent"
fi

# --- the kernel package --------------------------------------------------------------------------
# linux-image-amd64 is a metapackage; its dependency names the real package, linux-image-<abi>-amd64.
resolve_kernel() {
  apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1
}
kpkg="$(resolve_kernel)"
if [ -z "$kpkg" ] && [ "$(id -u)" = 0 ]; then
  log "apt has no linux-image-amd64 yet; running apt-get update"
  apt-get update -qq >&2 || true
  kpkg="$(resolve_kernel)"
fi
[ -n "$kpkg" ] || die "apt cannot resolve linux-image-amd64 to a kernel package. Run 'apt-get update' (as root) and retry."
kver="${kpkg#linux-image-}"
kdir="$out/kernel/$kver"
if [ ! -f "$kdir/.extracted" ]; then
  log "fetching $kpkg"
  rm -rf "$kdir"; mkdir -p "$kdir/deb"
  if ! (cd "$kdir/deb" && apt-get download "$kpkg" >&2 2>"$kdir/download.log"); then
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

# --- the initramfs -------------------------------------------------------------------------------
# Its cache key: kernel, module list, init script and busybox. A change in any of them rebuilds it.
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
  mkdir -p "$work"/{bin,dev,proc,sys,host,tmp,lib/modules,etc}
  cp "$busybox_bin" "$work/bin/busybox"
  ln -s busybox "$work/bin/sh"
  install -m 0755 "$here/init" "$work/init"
  : > "$work/etc/modules"
  for ko in "${ordered[@]}"; do
    base="$(basename "$ko")"
    case "$ko" in
      *.ko.xz) xz -dc "$ko" > "$work/lib/modules/${base%.xz}"; base="${base%.xz}" ;;
      *.ko.zst) zstd -qdc "$ko" > "$work/lib/modules/${base%.zst}"; base="${base%.zst}" ;;
      *) cp "$ko" "$work/lib/modules/$base" ;;
    esac
    echo "$base" >> "$work/etc/modules"
  done
  (cd "$work" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) > "$initrd.tmp"
  mv -f "$initrd.tmp" "$initrd"
  rm -rf "$work"; trap - EXIT
  # Older initramfs builds are useless once the key changes.
  find "$out" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -name "$(basename "$initrd")" -delete
  log "modules: $(tr '\n' ' ' < <(printf '%s\n' "${ordered[@]##*/}"))"
fi
ln -sfn "$(basename "$initrd")" "$out/initramfs.cpio.gz"

log "ready in $out (kernel $kver) after $(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}') s"
