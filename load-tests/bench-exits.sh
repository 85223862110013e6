#!/usr/bin/env bash
# Exit round-trip benchmark: Paddock's Java binding (JMH) against the same loop in C, in one run, on the
# same /dev/kvm. Runs natively when the accelerator probe says "native", inside the helper VM otherwise.
# Prints both figures and the Java/C ratio (target >= 0.7, docs/performance.md).
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"
out="$root/load-tests/target"
mkdir -p "$out"
gcc -O2 -Wall -Wextra -Werror -o "$out/exit_roundtrip" load-tests/src/main/c/exit_roundtrip.c
[ -f "$out/benchmarks.jar" ] || mvn -q -B -pl load-tests -am package -DskipTests
# A copy named by its content: the helper VM's loose 9p cache may serve a jar rewritten in place stale.
jar="$out/exit-bench-$(sha1sum "$out/benchmarks.jar" | cut -c1-12).jar"
[ -f "$jar" ] || cp "$out/benchmarks.jar" "$jar"
java_bin=/usr/lib/jvm/java-17-openjdk-amd64/bin/java
accel="$(./paddock rig probe)"
case "$accel" in
  native) run=() ;;
  emulated) ./paddock rig start >&2; run=(./paddock rig exec --) ;;
  *) echo "bench-exits: no accelerator on this host" >&2; exit 1 ;;
esac
echo "accelerator: $accel"
c_out="$("${run[@]}" "$out/exit_roundtrip" 2 5)"
echo "$c_out"
c_rate="$(awk '/^median:/ {print $2}' <<<"$c_out")"
"${run[@]}" "$java_bin" -jar "$jar" ExitRoundTripBenchmark -rf json -rff "$out/exit-roundtrip.json" \
  | tail -n 3
java_rate="$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))[0]["primaryMetric"]["score"]))' "$out/exit-roundtrip.json")"
echo "C: $c_rate exits/s   Java: $java_rate exits/s   Java/C: $(python3 -c "print(round($java_rate/$c_rate, 3))")"
