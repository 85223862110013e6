#!/usr/bin/env bash
# run-sandbox-bench.sh TEST_CLASS: runs one of verticles' sandbox benchmarks (a *Bench test class that boots microVM
# sandboxes through the daemon) where the accelerator probe says: in the helper VM when emulated, natively when
# native. Builds what it needs first (the reactor, the sandbox image). Prints the FIGURE lines and the verdict.
# Used by bench-sandbox.sh and bench-workspace.sh; further arguments go to Maven (-Dpaddock.bench.rounds=N).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 TEST_CLASS [-Dproperty=value ...] (e.g. WorkspaceShareBench)" >&2; exit 2; }
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"
mvn -q -B -o -pl verticles -am install -DskipTests
guest/image/build.sh >/dev/null
accel="$(./paddock rig probe)"
case "$accel" in
  native) jvm="$(readlink -f "$(command -v java)")" ;;
  emulated) ./paddock rig start; jvm="$root/dev/rig-java/bin/java" ;;
  *) echo "$1: no accelerator (the probe says: $accel)" >&2; exit 1 ;;
esac
mvn -B -o -pl verticles -Ddaemon.it.jvm="$jvm" -Dit.test="$1" "${@:2}" \
  -Dfailsafe.failIfNoSpecifiedTests=false failsafe:integration-test failsafe:verify | grep -E '^FIGURE|^REQUESTS|^PROFILE|Bench:|Tests run|FAIL|ERROR'
