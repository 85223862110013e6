#!/usr/bin/env bash
# extract-vmlinux.sh BZIMAGE OUT: writes the ELF vmlinux that Debian's bzImage carries as its compressed payload.
# The payload is located by the setup header (Documentation/arch/x86/boot.rst): the protected-mode kernel starts
# at (setup_sects + 1) * 512 (setup_sects 0 means 4), and payload_offset (0x248) / payload_length (0x24C) give
# the payload relative to it. Debian compresses it with LZ4 in the legacy frame format (magic 02 21 4C 18), and
# the kernel build appends the uncompressed size as a little-endian u32 (scripts/Makefile.lib, size_append):
# it is cut off before decompression and checked against the result.
set -euo pipefail
die() { printf 'extract-vmlinux: error: %s\n' "$*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: extract-vmlinux.sh BZIMAGE OUT"
bz="$1"; out="$2"
[ -f "$bz" ] || die "no bzImage at $bz"
command -v lz4 >/dev/null || die "'lz4' is missing. Install it with: apt-get install lz4"

u8()  { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 --endian=little "$1" | tr -d ' '; }

[ "$(od -An -c -j 0x202 -N4 "$bz" | tr -d ' ')" = HdrS ] || die "$bz is not a bzImage (no 'HdrS' at 0x202)"
setup_sects=$(u8 "$bz" $((0x1F1))); [ "$setup_sects" -ne 0 ] || setup_sects=4
pm_start=$(( (setup_sects + 1) * 512 ))
payload_offset=$(u32 "$bz" $((0x248)))
payload_length=$(u32 "$bz" $((0x24C)))
start=$((pm_start + payload_offset))
magic="$(od -An -tx1 -j "$start" -N4 "$bz" | tr -d ' ')"
[ "$magic" = 02214c18 ] \
  || die "the payload of $bz at byte $start starts with $magic, not the LZ4 legacy magic 02214c18; this script only knows LZ4 (Debian's choice)"
expected_size=$(u32 "$bz" $((start + payload_length - 4)))

tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
dd if="$bz" bs=1M iflag=skip_bytes,count_bytes skip="$start" count=$((payload_length - 4)) status=none | lz4 -dc > "$tmp" \
  || die "lz4 could not decompress the payload of $bz"
size=$(stat -c %s "$tmp")
[ "$size" -eq "$expected_size" ] || die "decompressed $size bytes from $bz, but its payload says $expected_size"
[ "$(od -An -c -N4 "$tmp" | tr -d ' ')" = 177ELF ] || die "the payload of $bz is not an ELF file"
mv -f "$tmp" "$out"
trap - EXIT
