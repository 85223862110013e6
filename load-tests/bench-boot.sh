#!/usr/bin/env bash
# Boot benchmark (issue 4): Paddock's VMM against QEMU microvm on the same test image (guest/test-image), runs
# alternating inside ONE helper VM (or natively when the accelerator probe says "native"), for the bzImage and the
# PVH entry. Prints every run, the medians and the Paddock/QEMU ratios (target <= 0.8, docs/performance.md).
#   load-tests/bench-boot.sh [--runs N] [--entries bzimage,pvh] [--vmms qemu,paddock] [--memory-mib M] [--cpus N]
# What is timed: from immediately before the VMM process is started (QEMU, or a fresh JVM running
# PaddockBootOnce) to the moment the benchmark reads the init marker line from that process's stdout (the guest's
# serial console). Paddock's runs also report, from inside their JVM, VM creation -> the same line.
# --vmms qemu,paddock-daemon instead boots Paddock inside one long-lived JVM (PaddockBootServer, as the daemon does),
# timed from each boot request; the server's stderr goes to /tmp/paddock-boot-bench/paddock-boot-server-N.stderr
# (and a JVM crash report next to it), and a server that dies is reported with its exit status and restarted.
# The image is first copied to /tmp/paddock-boot-bench (the helper VM's own tmpfs), so no run reads it over 9p.
# PADDOCK_BOOT_JVM_OPTIONS overrides the JVM options of Paddock's per-boot JVM.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"
jvm_options="${PADDOCK_BOOT_JVM_OPTIONS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto}"

guest/test-image/build.sh >/dev/null
if [ "${BENCH_BOOT_SKIP_BUILD:-}" != 1 ]; then
  echo "bench-boot: building load-tests (mvn package; BENCH_BOOT_SKIP_BUILD=1 skips it)" >&2
  mvn -q -B -pl load-tests -am package -DskipTests
fi
# The helper VM sees this tree through 9p with cache=loose: a jar rewritten in place can read there as a mix of
# the old and new bytes. A copy named by its content is a file the helper VM has never cached.
jar="load-tests/target/boot-bench-$(sha1sum load-tests/target/benchmarks.jar | cut -c1-12).jar"
[ -f "$jar" ] || cp load-tests/target/benchmarks.jar "$jar"
java_bin=/usr/lib/jvm/java-17-openjdk-amd64/bin/java
accel="$(./paddock rig probe)"
case "$accel" in
  native) run=() ;;
  emulated) ./paddock rig start >&2; run=(./paddock rig exec --) ;;
  *) echo "bench-boot: no accelerator on this host" >&2; exit 1 ;;
esac
echo "accelerator: $accel"
"${run[@]}" "$java_bin" -cp "$root/$jar" dev.paddock.loadtests.boot.BootBenchmark \
  --paddock-jvm-options "$jvm_options" --stage /tmp/paddock-boot-bench "$@"
