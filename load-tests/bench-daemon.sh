#!/usr/bin/env bash
# Issue 8's daemon load test: N sandboxes at once (default 200) on the loopback driver, each doing M exec round trips
# (default 10), then all deleted; prints create/exec/delete rates with p50/p99 and checks that the daemon's fds,
# threads and heap are flat afterwards (exit 1 if not). Needs no /dev/kvm: loopback sandboxes are guest-agent
# processes on this host. Usage: load-tests/bench-daemon.sh [SANDBOXES] [EXECS_EACH]
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
n="${1:-200}"; execs="${2:-10}"
cd "$root"
make -s -C guest/agent >&2
mvn -q -B -pl cli,load-tests -am package -DskipTests >&2
state="$(mktemp -d /tmp/paddock-load.XXXXXX)"   # mktemp -d makes it 0700, as the daemon requires
daemon_pid=""
cleanup() {
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then kill "$daemon_pid"; wait "$daemon_pid" || true; fi
  rm -rf "$state"
}
trap cleanup EXIT
# 200 agents, each with its sockets and pipes: well above the default soft limit of 1024 fds.
ulimit -n "$(ulimit -Hn)"
java -Xmx1g -cp cli/target/paddock.jar dev.paddock.daemon.DaemonMain --state "$state" --driver loopback >"$state/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 600); do [ -S "$state/daemon.sock" ] && [ -f "$state/daemon.pid" ] && break; sleep 0.1; done
[ -S "$state/daemon.sock" ] || { echo "the daemon did not start; its log:" >&2; cat "$state/daemon.log" >&2; exit 1; }
echo "daemon pid $daemon_pid, state $state, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
java -cp load-tests/target/benchmarks.jar dev.paddock.loadtests.daemon.SandboxLoad "$state" "$n" "$execs" || status=$?
[ "$status" = 0 ] || { echo "--- daemon log tail"; tail -20 "$state/daemon.log"; }
exit "$status"
