#!/usr/bin/env bash
# modules.sh MODULES_DIR DEST NAME...: copies the named kernel modules and their dependencies, in load order,
# as plain (uncompressed) .ko files into DEST, and prints their file names in that order on stdout, one a line.
#
#   MODULES_DIR  the kernel's /lib/modules/<version> (kernel_modules from fetch.sh)
#   DEST         a directory; created if missing
#   NAME...      module names in the wanted load order ('-' and '_' are the same, as for modprobe)
#
# Each module's `modinfo -F depends` closure is added before it, once. A name that the kernel has built in
# (listed in MODULES_DIR/modules.builtin) needs no file: it is reported on stderr and skipped. A name that is
# neither built in nor a module of this kernel is an error naming it. Modules are decompressed (xz, zstd, gzip)
# because busybox's insmod and init_module(2) from a static agent take plain ELF .ko files.
set -euo pipefail
die() { printf 'kernel modules: error: %s\n' "$*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: modules.sh MODULES_DIR DEST NAME..."
moddir="$1"; dest="$2"; shift 2
[ -d "$moddir/kernel" ] || die "no kernel/ in $moddir: pass the kernel's /lib/modules/<version>"
command -v modinfo >/dev/null || die "'modinfo' is missing. Install it with: apt-get install kmod"
mkdir -p "$dest"

declare -A path_of=() builtin=() seen=()
while IFS= read -r ko; do
  name="${ko##*/}"; name="${name%%.ko*}"; path_of["${name//-/_}"]="$ko"
done < <(find "$moddir/kernel" -name '*.ko*')
if [ -f "$moddir/modules.builtin" ]; then
  while IFS= read -r line; do
    name="${line##*/}"; name="${name%%.ko*}"; builtin["${name//-/_}"]=1
  done < "$moddir/modules.builtin"
fi

ordered=()
add() {
  local name="${1//-/_}"
  [ -n "${seen[$name]:-}" ] && return 0
  seen[$name]=1
  if [ -n "${builtin[$name]:-}" ]; then
    printf 'kernel modules: %s is built into this kernel\n' "$name" >&2
    return 0
  fi
  local ko="${path_of[$name]:-}"
  [ -n "$ko" ] || die "module $1 is neither built in nor a module of the kernel in $moddir"
  local dep
  for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do add "$dep"; done
  ordered+=("$ko")
}
for m in "$@"; do add "$m"; done

for ko in "${ordered[@]}"; do
  base="${ko##*/}"
  case "$ko" in
    *.ko.xz)  base="${base%.xz}";  xz -dc "$ko" > "$dest/$base" ;;
    *.ko.zst) base="${base%.zst}"; zstd -qdc "$ko" > "$dest/$base" ;;
    *.ko.gz)  base="${base%.gz}";  gzip -dc "$ko" > "$dest/$base" ;;
    *.ko)     cp "$ko" "$dest/$base" ;;
    *)        die "unexpected module file $ko" ;;
  esac
  printf '%s\n' "$base"
done
