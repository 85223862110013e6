#!/usr/bin/env bash
# new-state-disk.sh DIR SIZE: creates one sandbox's state disk, DIR/state.ext4, and prints its path.
#
# The disk is a sparse file of SIZE (truncate(1) syntax: 8G, 512M, ...) formatted ext4 with lazy inode-table
# and journal initialisation, so creating it writes only the superblocks, group descriptors, bitmaps and the
# root directory: a few MiB whatever SIZE is, in constant time. The shared root image is never read or copied.
# In the guest it is /dev/vdb (paddock.state=); the agent keeps the overlay's upper and work directories and
# /var/lib/docker on it (docs/guest-image.md). An existing DIR/state.ext4 is an error, never overwritten.
set -euo pipefail
die() { printf 'new-state-disk: error: %s\n' "$*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: new-state-disk.sh DIR SIZE (e.g. new-state-disk.sh /var/lib/paddock/sandboxes/s1 8G)"
dir="$1"; size="$2"
command -v mkfs.ext4 >/dev/null || die "'mkfs.ext4' is missing. Install it with: apt-get install e2fsprogs"
[[ "$size" =~ ^[0-9]+[KMGT]?$ ]] || die "size '$size' is not a number with an optional K, M, G or T suffix"
mkdir -p "$dir"
disk="$dir/state.ext4"
[ ! -e "$disk" ] || die "$disk already exists; a sandbox's state disk is created once (delete it to start over)"
truncate -s "$size" "$disk.tmp"
# nodiscard: discarding a fresh sparse file only costs time. lazy_*_init: the kernel zeroes inode tables in
# the background after the first mount instead of mkfs writing them all now.
if ! mkfs.ext4 -q -F -L paddock-state -m 0 -E lazy_itable_init=1,lazy_journal_init=1,nodiscard,root_owner=0:0 \
    "$disk.tmp" >&2; then
  rm -f "$disk.tmp"
  die "mkfs.ext4 could not format $disk.tmp ($size)"
fi
mv -f "$disk.tmp" "$disk"
printf '%s\n' "$disk"
