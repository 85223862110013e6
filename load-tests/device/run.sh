#!/usr/bin/env bash
# Runs the boot benchmark natively on a lent device machine, from load-tests/device/bundle.sh's bundle (carried to
# load-tests/target/device-bundle): Paddock (fresh JVM per boot, and one long-lived JVM as the daemon) against
# QEMU microvm, both on that machine's /dev/kvm, bzImage and PVH. Writes machine.txt and boot.txt under $OUT.
# Exits 3, after the machine facts, where the machine has no usable /dev/kvm.
#   load-tests/device/run.sh [--runs N]
set -uo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
out="${OUT:-/tmp/paddock-device-out}"
runs=7
[ "${1:-}" = --runs ] && runs="$2"
mkdir -p "$out"
{
  echo "== $(date -u +%FT%TZ) $(uname -srm)"
  grep -m1 'model name' /proc/cpuinfo
  echo "cpus: $(nproc)  memory: $(awk '/MemTotal/{print $2" kB"}' /proc/meminfo)"
  echo "vmx/svm flags on cpu0: $(awk '/^flags/{print; exit}' /proc/cpuinfo | grep -o -w -E 'vmx|svm|hypervisor' | tr '\n' ' ')"
  ls -l /dev/kvm 2>&1
  for m in kvm_intel kvm_amd; do
    [ -d /sys/module/$m ] && echo "$m: nested=$(cat /sys/module/$m/parameters/nested 2>/dev/null)"
  done
  grep -E '^(PRETTY_NAME)=' /etc/os-release 2>/dev/null
  command -v xz tar java qemu-system-x86_64 2>&1
} 2>&1 | tee "$out/machine.txt"
if [ ! -c /dev/kvm ] || ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
  echo "device: no usable /dev/kvm here, so nothing can boot natively" | tee -a "$out/machine.txt"
  exit 3
fi
# A /dev/kvm without vmx or svm in the CPU flags is not hardware virtualization (PVM, as on the 2026-11-27 H200
# machine: both VMMs there stopped on KVM_EXIT_INTERNAL_ERROR, emulation failed, in the guest kernel).
if ! grep -q -w -E 'vmx|svm' /proc/cpuinfo && [ "${PADDOCK_DEVICE_FORCE:-}" != 1 ]; then
  echo "device: /dev/kvm is here but the CPU has no vmx/svm, so guest kernel code would be emulated, not native;" \
    "not measured (PADDOCK_DEVICE_FORCE=1 runs it anyway)" | tee -a "$out/machine.txt"
  exit 3
fi
bundle="$root/load-tests/target/device-bundle/bundle.tar.xz"
[ -f "$bundle" ] || { echo "device: $bundle is missing (carry load-tests/target/device-bundle)" >&2; exit 2; }
work=/tmp/pb-run
rm -rf "$work" && mkdir -p "$work"
tar -C "$work" -xJf "$bundle" || exit 2
pb="$work/pb"
cat > "$pb/qemu/qemu" <<QEMU
#!/bin/sh
exec "$pb/qemu/ld-linux" --library-path "$pb/qemu/lib" "$pb/qemu/qemu-system-x86_64" -L "$pb/qemu/share" "\$@"
QEMU
chmod +x "$pb/qemu/qemu"
"$pb/qemu/qemu" --version | head -1 | tee -a "$out/machine.txt"
cp=$(ls "$pb"/jars/*.jar | tr '\n' ':')
cd "$pb"
PADDOCK_STATE="$pb/state" timeout 480 "$pb/jre/bin/java" -cp "$cp" dev.paddock.loadtests.boot.BootBenchmark \
  --qemu "$pb/qemu/qemu" --vmms qemu,paddock,paddock-daemon --entries bzimage,pvh --runs "$runs" \
  --known-file "$pb/guest/test-image/disk/paddock-known-file.txt" --timeout-s 60 --stage "$work/stage" \
  --paddock-jvm-options "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto" 2>&1 | tee "$out/boot.txt"
rc=${PIPESTATUS[0]}
cp "$work"/stage/*.stderr "$work"/stage/*.log "$out/" 2>/dev/null
exit "$rc"
