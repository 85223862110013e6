#!/usr/bin/env bash
# build.sh: builds the sandbox guest image (docs/guest-image.md) into ${PADDOCK_STATE:-$HOME/.paddock}/images/.
#
#   1. kernel      Debian's linux-image-cloud-amd64, resolved at build time (guest/kernel/fetch.sh)
#   2. modules     ./modules with their dependencies, from that kernel package (guest/kernel/modules.sh)
#   3. root image  Debian bookworm with ./packages, a read-only ext4 image (./rootfs.sh)
#   4. agent       the static agent, guest/agent/target/paddock-agent, built by guest/agent/'s Makefile
#   5. initramfs   the agent as /init, /etc/paddock/modules and the modules it lists
#
# Cached and incremental: each artifact's file name carries a hash of its inputs, and a step whose artifact
# exists is skipped. The finished set is linked from images/current/. Every step reports its time, and the
# build its total. On success it prints, on stdout, NAME=PATH lines (vmlinuz, vmlinux, initramfs, rootfs,
# cmdline) so callers can `eval` them; progress goes to stderr. Runs as root (the root image needs it).
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
guest="$(dirname "$here")"
state="${PADDOCK_STATE:-$HOME/.paddock}"
out="$state/images"
started=$SECONDS

log() { printf 'image build: %s\n' "$*" >&2; }
die() { printf 'image build: error: %s\n' "$*" >&2; exit 1; }
hash_of() { sha256sum | cut -c1-16; }
step_t0=0; step_name=""
step() { step_name="$1"; step_t0=$SECONDS; log "[$step_name] $2"; }
step_done() { log "[$step_name] $1 ($((SECONDS - step_t0)) s)"; }

for tool in sha256sum cpio gzip flock modinfo; do
  command -v "$tool" >/dev/null || die "'$tool' is missing. Install it with: apt-get install coreutils cpio gzip util-linux kmod"
done
mkdir -p "$out"
# One build at a time per state directory.
exec 9>"$out/.build.lock"
flock 9

# --- 1. kernel -----------------------------------------------------------------------------------
step kernel "linux-image-cloud-amd64 via apt-get download"
kernel_env="$("$guest/kernel/fetch.sh")" || die "the kernel step failed (reason above)"
eval "$kernel_env"
step_done "$kernel_package"

# --- 2. modules ----------------------------------------------------------------------------------
step modules "$(grep -cv '^\s*\(#\|$\)' "$here/modules") listed in guest/image/modules, with dependencies"
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/modules" | grep -v '^$')
modules_key="$( { echo "$kernel_version"; printf '%s\n' "${wanted[@]}"; cat "$guest/kernel/modules.sh"; } | hash_of)"
modules_dir="$out/modules-$modules_key"
if [ ! -f "$modules_dir/order" ]; then
  rm -rf "$modules_dir" "$modules_dir.tmp"; mkdir -p "$modules_dir.tmp"
  "$guest/kernel/modules.sh" "$kernel_modules" "$modules_dir.tmp/ko" "${wanted[@]}" > "$modules_dir.tmp/order.tmp" 2> >(sed 's/^/image build: /' >&2) \
    || die "the modules step failed (reason above)"
  mv "$modules_dir.tmp/order.tmp" "$modules_dir.tmp/order"
  mv "$modules_dir.tmp" "$modules_dir"
  step_done "$(wc -l < "$modules_dir/order") modules, $(du -sh "$modules_dir/ko" | cut -f1)"
else
  step_done "cached: $(wc -l < "$modules_dir/order") modules"
fi

# --- 3. root image -------------------------------------------------------------------------------
sources_text() { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true; }
rootfs_key="$( { cat "$here/rootfs.sh" "$here/packages" "$here/customize.sh" "$here/paddock-runc"; sources_text; } | hash_of)"
rootfs="$out/rootfs-$rootfs_key.ext4"
step rootfs "Debian bookworm, read-only ext4 (key $rootfs_key)"
if [ ! -f "$rootfs" ]; then
  "$here/rootfs.sh" "$rootfs" || die "the root image step failed (reason above)"
  step_done "$(du -h --apparent-size "$rootfs" | cut -f1) $rootfs"
else
  step_done "cached: $rootfs"
fi

# --- 4. agent -------------------------------------------------------------------------------------
step agent "make -C guest/agent"
agent_dir="$guest/agent"
[ -f "$agent_dir/Makefile" ] \
  || die "the agent is not in this tree: $agent_dir/Makefile is missing (guest/agent/, issue 5 item 2). The kernel, modules and root image are built; the initramfs needs the agent as /init"
command -v "${AGENT_CC:-musl-gcc}" >/dev/null \
  || die "the agent is built static with ${AGENT_CC:-musl-gcc}, which is missing. Install it with: apt-get install musl-tools"
make -s -C "$agent_dir" >&2 || die "the agent's build failed: make -C $agent_dir (its output is above)"
# guest/agent/Makefile: `make` builds target/paddock-agent.
agent_bin="$agent_dir/target/paddock-agent"
[ -x "$agent_bin" ] || die "make -C $agent_dir did not leave an executable $agent_bin"
if ldd "$agent_bin" >/dev/null 2>&1; then
  die "$agent_bin is dynamically linked; as the initramfs /init it must be static (no libc in the initramfs)"
fi
step_done "$agent_bin"

# --- 5. initramfs --------------------------------------------------------------------------------
step initramfs "agent as /init, /etc/paddock/modules"
initramfs_key="$( { echo "$modules_key"; sha256sum < "$agent_bin"; sed -n '/^# --- 5/,/^# --- the finished/p' "$here/build.sh"; } | hash_of)"
initramfs="$out/initramfs-$initramfs_key.cpio.gz"
if [ ! -f "$initramfs" ]; then
  tree="$(mktemp -d "$out/initramfs-build.XXXXXX")"
  trap 'rm -rf "$tree"' EXIT
  mkdir -p "$tree"/{dev,proc,sys,etc/paddock,lib/modules/"$kernel_version"}
  install -m 0755 "$agent_bin" "$tree/init"
  while IFS= read -r ko; do
    cp "$modules_dir/ko/$ko" "$tree/lib/modules/$kernel_version/$ko"
    printf '/lib/modules/%s/%s\n' "$kernel_version" "$ko"
  done < "$modules_dir/order" > "$tree/etc/paddock/modules"
  (cd "$tree" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0 | gzip -6) > "$initramfs.tmp"
  mv -f "$initramfs.tmp" "$initramfs"
  rm -rf "$tree"; trap - EXIT
  step_done "$(du -h "$initramfs" | cut -f1) $initramfs"
else
  step_done "cached: $initramfs"
fi

# --- the finished set ----------------------------------------------------------------------------
current="$out/current"
mkdir -p "$current"
ln -sfn "$kernel_vmlinuz" "$current/vmlinuz"
ln -sfn "$kernel_vmlinux" "$current/vmlinux"
ln -sfn "$initramfs" "$current/initramfs.cpio.gz"
ln -sfn "$rootfs" "$current/rootfs.ext4"
cp "$here/cmdline" "$current/cmdline.tmp" && mv -f "$current/cmdline.tmp" "$current/cmdline"
# Older artifacts that the current set no longer uses: at most one root image is kept besides the current one.
find "$out" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -name "${initramfs##*/}" -delete
find "$out" -maxdepth 1 -name 'modules-*' -type d ! -name "${modules_dir##*/}" -exec rm -rf {} +
find "$out" -maxdepth 1 -name 'rootfs-*.ext4' ! -name "${rootfs##*/}" -printf '%T@ %p\n' | sort -rn | tail -n +2 \
  | cut -d' ' -f2- | xargs -r rm -f

log "ready in $current (kernel $kernel_version) after $((SECONDS - started)) s"
printf 'vmlinuz=%s\nvmlinux=%s\ninitramfs=%s\nrootfs=%s\ncmdline=%s\n' \
  "$current/vmlinuz" "$current/vmlinux" "$current/initramfs.cpio.gz" "$current/rootfs.ext4" "$current/cmdline"
