#!/usr/bin/env bash
# virtio-fs round trip (issue 9): FsRoundTripBench on the boot test image, in the helper VM (or natively when the
# accelerator probe says "native"). Prints the guest's lstat passes over the share and on tmpfs, and where a
# request's time goes inside the VMM (docs/performance.md, "Workspace over virtio-fs").
#   load-tests/bench-fs-roundtrip.sh [--files N]
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"
guest/test-image/build.sh >/dev/null
if [ "${BENCH_SKIP_BUILD:-}" != 1 ]; then
  mvn -q -B -pl load-tests -am package -DskipTests
fi
# A copy named by its content: the helper VM's loose 9p cache never saw it (bench-boot.sh says why).
jar="load-tests/target/fs-bench-$(sha1sum load-tests/target/benchmarks.jar | cut -c1-12).jar"
[ -f "$jar" ] || cp load-tests/target/benchmarks.jar "$jar"
case "$(./paddock rig probe)" in
  native) run=() ;;
  emulated) ./paddock rig start >&2; run=(./paddock rig exec --) ;;
  *) echo "bench-fs-roundtrip: no accelerator on this host" >&2; exit 1 ;;
esac
"${run[@]}" /usr/lib/jvm/java-17-openjdk-amd64/bin/java -cp "$root/$jar" dev.paddock.loadtests.boot.FsRoundTripBench "$@"
