#!/usr/bin/env bash
# fetch.sh: Debian's cloud kernel, shared by every guest image build (guest/test-image, guest/image).
#
# Resolves the metapackage linux-image-cloud-amd64 to the real linux-image-<abi>-cloud-amd64 (at build time,
# from apt's current index), fetches it with `apt-get download`, extracts it with `dpkg-deb -x`, and extracts
# the ELF vmlinux from its bzImage (extract-vmlinux.sh, for PVH entry). Everything lands in
#   ${PADDOCK_STATE:-$HOME/.paddock}/kernel/<abi>-cloud-amd64/
# and is fetched once per kernel version. apt's own configuration decides where packages come from.
#
# On success it prints, on stdout, NAME=VALUE lines for `eval`:
#   kernel_package  linux-image-<abi>-cloud-amd64
#   kernel_version  <abi>-cloud-amd64 (the modules directory's name, `uname -r` in the guest)
#   kernel_vmlinuz  the bzImage
#   kernel_vmlinux  the ELF vmlinux inside it
#   kernel_modules  /lib/modules/<version> of the extracted package
#   kernel_config   /boot/config-<version> of the package
# Progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
state="${PADDOCK_STATE:-$HOME/.paddock}"
meta=linux-image-cloud-amd64

log() { printf 'kernel: %s\n' "$*" >&2; }
die() { printf 'kernel: error: %s\n' "$*" >&2; exit 1; }

for tool in apt-get apt-cache dpkg-deb flock lz4; do
  command -v "$tool" >/dev/null \
    || die "'$tool' is missing. Install it with: apt-get install apt dpkg util-linux lz4"
done

# The metapackage's dependency names the real kernel package.
resolve() {
  apt-cache depends "$meta" 2>/dev/null \
    | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -n1
}
pkg="$(resolve)"
if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
  log "apt does not know $meta yet; running apt-get update"
  apt-get update -qq >&2 || true
  pkg="$(resolve)"
fi
[ -n "$pkg" ] || die "apt cannot resolve $meta to a kernel package. Run 'apt-get update' (as root) and retry."
version="${pkg#linux-image-}"
dir="$state/kernel/$version"
mkdir -p "$dir"

# One fetch at a time per kernel version (image builds and tests may start together).
exec 9>"$dir/.lock"
flock 9

if [ ! -f "$dir/.extracted" ]; then
  log "fetching $pkg with apt-get download"
  rm -rf "$dir/deb" "$dir/root"
  mkdir -p "$dir/deb"
  if ! (cd "$dir/deb" && apt-get download "$pkg" >"$dir/download.log" 2>&1); then
    cat "$dir/download.log" >&2 || true
    die "could not download the Debian package $pkg with 'apt-get download'. Check apt's sources and network, run 'apt-get update', and retry."
  fi
  log "extracting $pkg"
  dpkg-deb -x "$dir"/deb/*.deb "$dir/root"
  rm -rf "$dir/deb"
  touch "$dir/.extracted"
fi

vmlinuz="$dir/root/boot/vmlinuz-$version"
modules="$dir/root/lib/modules/$version"
config="$dir/root/boot/config-$version"
[ -f "$vmlinuz" ] || die "the package $pkg has no boot/vmlinuz-$version (look in $dir/root)"
[ -d "$modules" ] || die "the package $pkg has no lib/modules/$version (look in $dir/root)"
[ -f "$config" ] || die "the package $pkg has no boot/config-$version (look in $dir/root)"

vmlinux="$dir/vmlinux"
if [ ! -f "$vmlinux" ] || [ "$here/extract-vmlinux.sh" -nt "$vmlinux" ]; then
  log "extracting the ELF vmlinux from vmlinuz-$version"
  "$here/extract-vmlinux.sh" "$vmlinuz" "$vmlinux"
fi

printf 'kernel_package=%s\nkernel_version=%s\nkernel_vmlinuz=%s\nkernel_vmlinux=%s\nkernel_modules=%s\nkernel_config=%s\n' \
  "$pkg" "$version" "$vmlinuz" "$vmlinux" "$modules" "$config"
