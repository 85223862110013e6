#!/usr/bin/env bash
# Sandbox throughput benchmark (issue 6; docs/performance.md, "vsock and docker socket"): on one microVM sandbox
# booted by the daemon's microvm driver, raw vsock host<->guest through vsock.sock, and docker save / docker load
# of an image of more than 200 MB through docker.sock (SandboxThroughputBench). Runs in the helper VM when the
# accelerator probe says emulated, natively when it says native. Prints FIGURE lines.
#   load-tests/bench-sandbox.sh
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"
mvn -q -B -o -pl verticles -am install -DskipTests
guest/image/build.sh >/dev/null
dev/docker-cli.sh >/dev/null
accel="$(./paddock rig probe)"
case "$accel" in
  native) jvm="$(readlink -f "$(command -v java)")" ;;
  emulated) ./paddock rig start; jvm="$root/dev/rig-java/bin/java" ;;
  *) echo "bench-sandbox: no accelerator (the probe says: $accel)" >&2; exit 1 ;;
esac
mvn -B -o -pl verticles -Ddaemon.it.jvm="$jvm" -Dit.test=SandboxThroughputBench \
  -Dfailsafe.failIfNoSpecifiedTests=false failsafe:integration-test failsafe:verify | grep -E '^FIGURE|Bench:|Tests run|FAIL|ERROR'
