#!/usr/bin/env bash
# Packs what the boot benchmark needs on a machine that has none of this project's tools (a lent device machine):
# a jlinked JRE, the four jars the benchmark runs from, the test image (guest/test-image/build.sh), and the host's
# QEMU with the shared libraries and loader it runs with, so that QEMU microvm is measured beside Paddock there.
# Writes load-tests/target/device-bundle/bundle.tar.xz (about 40 MB); load-tests/device/run.sh unpacks and runs it.
#   load-tests/device/bundle.sh        (after mvn -pl load-tests -am package)
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
out="$root/load-tests/target/device-bundle"
jdk=/usr/lib/jvm/java-17-openjdk-amd64
die() { printf 'device bundle: error: %s\n' "$*" >&2; exit 1; }

eval "$("$root/guest/test-image/build.sh")"
jars=("$root"/load-tests/target/paddock-load-tests-*.jar "$root"/runtime/target/paddock-runtime-*.jar
      "$root"/hypervisor-bridge/target/paddock-hypervisor-bridge-*.jar)
jna_version="$(sed -n 's:.*<jna.version>\(.*\)</jna.version>.*:\1:p' "$root/pom.xml")"
jna="$HOME/.m2/repository/net/java/dev/jna/jna/$jna_version/jna-$jna_version.jar"
for f in "${jars[@]}" "$jna"; do
  [ -f "$f" ] || die "$f is missing: run mvn -pl load-tests -am package first"
done
qemu="$(command -v qemu-system-x86_64)" || die "qemu-system-x86_64 is missing (apt-get install qemu-system-x86)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/pb/jars" "$work/pb/state/test-image" "$work/pb/qemu/lib" "$work/pb/qemu/share"
# The benchmark needs only java.base (jdeps); java.logging quiets the CDS dump; a CDS archive keeps the per-boot JVM's start as on a full JDK.
"$jdk/bin/jlink" --module-path "$jdk/jmods" --add-modules java.base,java.logging --strip-debug --no-header-files \
  --no-man-pages --generate-cds-archive --output "$work/pb/jre"
cp "${jars[@]}" "$jna" "$work/pb/jars/"
for name in vmlinuz vmlinux initramfs.cpio.gz disk.ext4 cmdline; do
  cp -L "$(dirname "$vmlinuz")/$name" "$work/pb/state/test-image/$name"
done
mkdir -p "$work/pb/guest/test-image/disk"
cp "$root/guest/test-image/disk/paddock-known-file.txt" "$work/pb/guest/test-image/disk/"
# QEMU runs through the loader it was linked with, on the libraries it was linked with, so the device's own
# libc does not matter; -L points it at the microvm firmware.
cp -L "$qemu" "$work/pb/qemu/qemu-system-x86_64"
ldd "$qemu" | awk '/=> \//{print $3} /^\s*\/lib/{print $1}' | while read -r lib; do cp -L "$lib" "$work/pb/qemu/lib/"; done
loader="$(ldd "$qemu" | awk '/ld-linux-x86-64/{print $1}')"
cp -L "$loader" "$work/pb/qemu/ld-linux"
cp -L /usr/share/qemu/bios-microvm.bin /usr/share/qemu/qboot.rom "$work/pb/qemu/share/" 2>/dev/null || true
mkdir -p "$out"
XZ_OPT="-9 -T2" tar -C "$work" -cJf "$out/bundle.tar.xz" pb
ls -la "$out/bundle.tar.xz"
