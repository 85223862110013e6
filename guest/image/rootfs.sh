#!/usr/bin/env bash
# rootfs.sh OUT_IMAGE: builds the sandbox root image, Debian bookworm with ./packages, as a read-only ext4
# file system image at OUT_IMAGE (docs/guest-image.md). Called by build.sh, which caches the result under a
# hash of this script, ./packages, ./customize.sh (and ./paddock-runc, which it installs) and the host's apt
# sources. Runs as root.
#
# mmdebstrap (variant minbase) builds the tree from the sources this host's apt uses: each file of
# /etc/apt/sources.list and /etc/apt/sources.list.d/ is handed to it as a MIRROR argument and copied into the
# image, so no mirror host is named here. The tree becomes an ext4 image with `mkfs.ext4 -d`, sized to its
# content plus a margin, without a journal (nothing writes to it) and with the read-only feature set, so the
# kernel refuses to mount it writable. Progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
suite=bookworm
log() { printf 'image build: root image: %s\n' "$*" >&2; }
die() { printf 'image build: root image: error: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: rootfs.sh OUT_IMAGE"
out="$1"
[ "$(id -u)" = 0 ] || die "building the root image needs root (mmdebstrap's root mode, device nodes, file owners); run it as root"
for tool in mmdebstrap mkfs.ext4 apt-cache apt-config; do
  command -v "$tool" >/dev/null || die "'$tool' is missing. Install it with: apt-get install mmdebstrap e2fsprogs"
done

mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/packages" | grep -v '^$')
[ "${#packages[@]}" -gt 0 ] || die "$here/packages lists no package"

# This host's apt sources, as files for mmdebstrap to copy into the image.
sources=()
[ -s /etc/apt/sources.list ] && grep -q '^[[:space:]]*deb' /etc/apt/sources.list && sources+=(/etc/apt/sources.list)
for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] && sources+=("$f")
done
[ "${#sources[@]}" -gt 0 ] || die "this host has no apt sources (/etc/apt/sources.list, /etc/apt/sources.list.d/); configure apt first"

# The host's apt options that decide whether and how it can fetch (a proxy, a snapshot archive whose Release
# files are past Valid-Until) apply to the build too.
aptopts=(--aptopt='APT::Install-Recommends "false"')
while IFS= read -r line; do
  aptopts+=(--aptopt="$line")
done < <(apt-config dump | grep -E '^Acquire::(https?::Proxy|Check-Valid-Until|Check-Date|Retries) ' || true)

# A package that apt does not know fails here with its name, before minutes of downloading.
unknown=()
for p in "${packages[@]}"; do
  apt-cache show --no-all-versions "$p" >/dev/null 2>&1 || unknown+=("$p")
done
if [ "${#unknown[@]}" -gt 0 ]; then
  die "apt on this host does not know the package(s): ${unknown[*]} (listed in $here/packages). Run 'apt-get update' and check the name."
fi

# The previous build's .deb files, so a rebuild after a change to the scripts or the package list downloads
# only what is new (apt checks each file against the index, so a stale one is fetched again).
debs="$(dirname "$out")/debs"
mkdir -p "$debs"
work="$(mktemp -d "$(dirname "$out")/rootfs-build.XXXXXX")"
chmod 0755 "$work"   # apt downloads as the _apt user, which must reach the tree's lists/
trap 'rm -rf "$work"' EXIT
tree="$work/root"
mmlog="$work/mmdebstrap.log"

log "mmdebstrap --variant=minbase $suite with ${#packages[@]} packages"
t0=$SECONDS
# Documentation, manual pages and translations are left out of the image (copyright files stay).
if ! mmdebstrap --variant=minbase --mode=root --format=directory \
    --include="$(IFS=,; echo "${packages[*]}")" \
    "${aptopts[@]}" \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --skip=download/empty \
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives' \
    --setup-hook="sync-in $debs /var/cache/apt/archives" \
    --customize-hook="rm -rf '$debs' && mkdir -p '$debs'" \
    --customize-hook="sync-out /var/cache/apt/archives $debs" \
    --customize-hook="\"$here/customize.sh\" \"\$1\"" \
    "$suite" "$tree" "${sources[@]}" 2>&1 | tee "$mmlog" | sed -u 's/^/image build: root image: mmdebstrap: /' >&2; then
  cp "$mmlog" "$out.mmdebstrap.log"
  # Name the package(s) whose download failed, from apt's "Failed to fetch URL" lines.
  failed="$(sed -n 's|.*Failed to fetch [^ ]*/\([^/_ ]*\)_[^/ ]*\.deb.*|\1|p' "$mmlog" | sort -u | tr '\n' ' ')"
  missing="$(sed -n "s/.*Unable to locate package \([^ ]*\).*/\1/p; s/.*Package '\([^']*\)' has no installation candidate.*/\1/p" "$mmlog" | sort -u | tr '\n' ' ')"
  if [ -n "$failed" ]; then
    die "could not fetch the Debian package(s): ${failed% } (see $out.mmdebstrap.log). Check apt's sources and network, run 'apt-get update', and retry."
  elif [ -n "$missing" ]; then
    die "apt cannot install the package(s): ${missing% } (see $out.mmdebstrap.log)"
  fi
  die "mmdebstrap failed (its output: $out.mmdebstrap.log)"
fi
rm -f "$out.mmdebstrap.log"
log "tree ready in $((SECONDS - t0)) s"

# The image's content plus a margin: 10% and 64 MiB of blocks, 20% more inodes than files. Sizes in KiB.
t0=$SECONDS
used_kib=$(du -sk --apparent-size -x "$tree" | cut -f1)
files=$(find "$tree" -xdev | wc -l)
size_kib=$(( used_kib + used_kib / 10 + 65536 ))
inodes=$(( files + files / 5 + 1024 ))
log "mkfs.ext4 -d: $((used_kib / 1024)) MiB in $files files -> $((size_kib / 1024)) MiB image"
rm -f "$out.tmp"
mkfs.ext4 -q -F -t ext4 -L paddock-root -m 0 -N "$inodes" -O ^has_journal -E root_owner=0:0 \
  -d "$tree" "$out.tmp" "${size_kib}k" >&2 || die "mkfs.ext4 could not build the image from $tree"
# Set read-only only now: the feature makes the kernel mount it read-only, always.
tune2fs -O read-only "$out.tmp" >/dev/null || die "tune2fs could not set the read-only feature on $out.tmp"
mv -f "$out.tmp" "$out"
log "image ready in $((SECONDS - t0)) s"
