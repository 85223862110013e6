#!/usr/bin/env bash
# Egress proxy benchmark: Paddock's EgressProxyVerticle against tinyproxy (Debian package), in one run, on
# loopback: plain HTTP (absolute-form) and CONNECT tunnels, added latency and throughput
# (docs/performance.md; target >= 1.0x the peer's throughput). Usage: load-tests/bench-egress.sh [seconds-per-case]
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"
out="$root/load-tests/target"
mkdir -p "$out"
if ! command -v tinyproxy >/dev/null; then
  echo "bench-egress: installing tinyproxy with apt-get" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q tinyproxy >&2
fi
mvn -q -B -o -pl load-tests -am install -DskipTests
mvn -q -B -o -pl load-tests dependency:build-classpath -Dmdep.outputFile="$out/egress.classpath"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
conf="$out/tinyproxy.conf"
cat >"$conf" <<CONF
Port $port
Listen 127.0.0.1
Timeout 600
MaxClients 64
LogLevel Critical
DisableViaHeader Yes
CONF
tinyproxy -d -c "$conf" >"$out/tinyproxy.log" 2>&1 &
peer=$!
trap 'kill "$peer" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
  sleep 0.1
done
echo "tinyproxy $(tinyproxy -v 2>&1 | head -1) on 127.0.0.1:$port"
java -cp "load-tests/target/classes:$(cat "$out/egress.classpath")" dev.paddock.loadtests.egress.EgressProxyBench "$port" "${1:-3}"
