#!/usr/bin/env bash
# customize.sh ROOT: mmdebstrap's customize hook for the sandbox root image. It runs on the host after all
# packages are installed, with ROOT the finished tree; commands that must see the image's own
# /etc/passwd run chrooted into it. Everything here, and the files it installs from this directory
# (paddock-runc), is part of the root image's cache key.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$1"
[ -d "$root/etc" ] || { echo "customize.sh: $root is not a root file system" >&2; exit 1; }

# The non-root user that sandbox commands run as: passwordless sudo, and the docker socket's group.
chroot "$root" useradd --create-home --shell /bin/bash --uid 1000 --user-group --groups docker,sudo agent
printf 'agent ALL=(ALL:ALL) NOPASSWD: ALL\n' > "$root/etc/sudoers.d/agent"
chmod 0440 "$root/etc/sudoers.d/agent"
chroot "$root" visudo -cf /etc/sudoers.d/agent >/dev/null

# Identity. The agent sets the running hostname from paddock.hostname= on the kernel command line; these are
# the defaults a sandbox starts from.
printf 'paddock\n' > "$root/etc/hostname"
cat > "$root/etc/hosts" <<'HOSTS'
127.0.0.1	localhost
127.0.1.1	paddock
::1		localhost ip6-localhost ip6-loopback
HOSTS
# Each boot gets its own machine id (systemd's convention: an empty file is filled in at boot).
: > "$root/etc/machine-id"
# The host's resolver does not belong in the image; the sandbox's DNS is set up at boot.
rm -f "$root/etc/resolv.conf"
: > "$root/etc/resolv.conf"

# dockerd: overlay2 on the state disk's /var/lib/docker, logs bounded. Its own iptables rules stay on. Its
# default runtime is paddock-runc, which wraps runc to put the guest's CA bundle (with the sandbox's egress CA)
# into every container it starts (docs/egress.md, "Containers").
install -D -m 0755 "$here/paddock-runc" "$root/usr/local/lib/paddock/paddock-runc"
mkdir -p "$root/etc/docker"
cat > "$root/etc/docker/daemon.json" <<'JSON'
{
  "storage-driver": "overlay2",
  "log-driver": "json-file",
  "log-opts": { "max-size": "10m", "max-file": "3" },
  "default-runtime": "paddock",
  "runtimes": { "paddock": { "path": "/usr/local/lib/paddock/paddock-runc" } }
}
JSON

# Neither apt's downloaded package lists nor its .deb cache belong in a shared read-only image.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
