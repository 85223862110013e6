#!/usr/bin/env bash
# dev/docker-cli.sh: the Debian docker CLI for the sandbox Docker tests (verticles' DockerInSandboxIT), client only.
# Debian bookworm ships the client inside docker.io together with dockerd; installing that package would put a
# Docker daemon on the host, which Paddock never uses. So the package is fetched with `apt-get download` (or
# taken from the sandbox image's own package cache, the same .deb the guest runs) and only /usr/bin/docker is
# extracted, to ${PADDOCK_STATE:-~/.paddock}/tools/docker.io/usr/bin/docker. Prints that path. Idempotent.
set -euo pipefail
die() { printf 'docker-cli: error: %s\n' "$*" >&2; exit 1; }
state="${PADDOCK_STATE:-$HOME/.paddock}"
dest="$state/tools/docker.io"
bin="$dest/usr/bin/docker"
if [ -x "$bin" ]; then printf '%s\n' "$bin"; exit 0; fi
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing (a Debian system is needed)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
deb="$(find "$state/images/debs" -maxdepth 1 -name 'docker.io_*_amd64.deb' 2>/dev/null | sort | tail -n1 || true)"
if [ -z "$deb" ]; then
  (cd "$work" && apt-get download -q docker.io >&2) \
    || die "apt-get download docker.io failed; run apt-get update first (as root)"
  deb="$(find "$work" -maxdepth 1 -name 'docker.io_*.deb' | head -n1)"
  [ -n "$deb" ] || die "apt-get download docker.io left no .deb in $work"
fi
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" ./usr/bin/docker \
  || die "$deb has no ./usr/bin/docker"
mkdir -p "$dest/usr/bin"
mv "$work/usr/bin/docker" "$bin.tmp" && mv "$bin.tmp" "$bin"
printf 'docker-cli: extracted the client of %s\n' "$(basename "$deb")" >&2
printf '%s\n' "$bin"
