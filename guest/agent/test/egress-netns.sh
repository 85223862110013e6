#!/usr/bin/env bash
# egress-netns.sh: the agent's egress redirect against a real kernel, in a throwaway network namespace (root,
# nft, curl, python3, unshare). It loads the agent's own nft ruleset (from src/egress.c) with a veth standing in
# for the guest's dummy interface, runs the agent with --egress-test (unix sockets play the host's vsock ports)
# and checks that a connection to a public test address is redirected, and that the agent's header carries the
# ORIGINAL destination (SO_ORIGINAL_DST), and that DNS to a foreign server lands on the stub.
# Prints "egress-netns: N passed, M failed". Not part of test.sh: it needs root and nf_tables in the kernel.
set -uo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
if [ "${1:-}" != "--inside" ]; then
  for tool in nft curl python3 unshare ip; do
    command -v "$tool" >/dev/null || { echo "egress-netns: FAILED: $tool is missing"; echo "egress-netns: 0 passed, 1 failed"; exit 1; }
  done
  make -s -C "$here" all >/dev/null || { echo "egress-netns: 0 passed, 1 failed (build)"; exit 1; }
  exec unshare -n "$0" --inside
fi
passed=0; failed=0
ok() { echo "PASS $*"; passed=$((passed + 1)); }
ko() { echo "FAIL $*"; failed=$((failed + 1)); }
work="$(mktemp -d)"
trap 'kill $agent $host 2>/dev/null; rm -rf "$work"' EXIT
ip link set lo up
ip link add paddock0 type veth peer name paddock0p
ip addr add 198.18.0.1/32 dev paddock0
ip link set paddock0 up; ip link set paddock0p up
ip route add default dev paddock0
python3 - "$here/src/egress.c" > "$work/egress.nft" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
body = re.search(r'static const char NFT_TEXT\[\] =\n(.*?);\n', s, re.S).group(1)
text = ''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', body))
print(text.replace('\\n', '\n').replace('\\"', '"').replace('" EGRESS_IF "', 'paddock0').replace('""', '"paddock0"'), end='')
PY
sed -i 's/oifname ""/oifname "paddock0"/g' "$work/egress.nft"
if nft -f "$work/egress.nft"; then ok "the agent's nft ruleset loads"; else ko "nft -f"; fi
# the fake host: records the first line of each egress stream and answers with an HTTP response
python3 - "$work" > "$work/host.log" 2>&1 <<'PY' &
import os, socket, sys, threading, struct
d = sys.argv[1]
def serve(path, fn):
    s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen(8)
    while True:
        c, _ = s.accept(); threading.Thread(target=fn, args=(c,), daemon=True).start()
def egress(c):
    data = b''
    while b'\r\n\r\n' not in data:
        b = c.recv(4096)
        if not b: break
        data += b
    print('HEADER', data.split(b'\n')[0].decode(), flush=True)
    c.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'); c.close()
def dns(c):
    n = struct.unpack('>H', c.recv(2))[0]; q = c.recv(n)
    print('DNS', len(q), flush=True)
    r = bytearray(q); r[2] |= 0x80; r[3] = (r[3] & 0xf0) | 3   # QR, NXDOMAIN
    c.sendall(struct.pack('>H', len(r)) + bytes(r)); c.close()
threading.Thread(target=serve, args=(d + '/dns.sock', dns), daemon=True).start()
serve(d + '/egress.sock', egress)
PY
host=$!
for _ in $(seq 100); do [ -S "$work/egress.sock" ] && [ -S "$work/dns.sock" ] && break; sleep 0.1; done
"$here/target/paddock-agent" --listen "unix:$work/agent.sock" --egress-test "$work,15001,53" > "$work/agent.log" 2>&1 &
agent=$!
for _ in $(seq 100); do [ -S "$work/agent.sock" ] && break; sleep 0.1; done
out="$(curl -sS --max-time 10 http://203.0.113.10/ 2>&1)"
if [ "$out" = "ok" ]; then ok "curl to 203.0.113.10 was redirected through the agent"; else ko "curl: $out"; fi
if grep -q '^HEADER PADDOCK-DST 203.0.113.10 80$' "$work/host.log"; then ok "the header names the original destination"; else ko "header: $(cat "$work/host.log")"; fi
out="$(curl -sS --max-time 10 'http://[2001:db8::7]:8080/' 2>&1)"
if [ "$out" = "ok" ] || grep -q 'HEADER PADDOCK-DST 2001:db8::7 8080' "$work/host.log"; then ko "IPv6 unexpectedly reached (no v6 route in this test)"; else ok "IPv6 without a route fails"; fi
python3 -c "
import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.sendto(bytes.fromhex('abcd01000001000000000000076578616d706c6503636f6d0000010001'), ('192.0.2.53', 53))
r=s.recv(512); assert r[:2]==b'\xab\xcd' and r[3]&15==3, r
" 2>&1 && ok "DNS to a foreign server lands on the stub and is answered from the host" || ko "DNS redirect"
python3 -c "
import socket, errno; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.sendto(b'x', ('203.0.113.10', 9999)); raise SystemExit('sent')
except PermissionError:
    pass
" && ok "UDP other than DNS is dropped by the filter (EPERM)" || ko "UDP other than DNS left the guest"
# a "container": its own network namespace behind a veth, routed through this one (nat prerouting, fib)
unshare -n sleep 60 &
ctr=$!
sleep 0.3
echo 1 > /proc/sys/net/ipv4/ip_forward
ip link add ctrh type veth peer name ctr0 netns "$ctr"
ip addr add 172.17.0.1/16 dev ctrh; ip link set ctrh up
out="$(nsenter -t "$ctr" -n sh -c 'ip link set lo up; ip link set ctr0 up; ip addr add 172.17.0.2/16 dev ctr0;
  ip route add default via 172.17.0.1; curl -sS --max-time 10 http://203.0.113.20:8080/' 2>&1)"
if [ "$out" = "ok" ] && grep -q '^HEADER PADDOCK-DST 203.0.113.20 8080$' "$work/host.log"; then
  ok "a container's connection is redirected (prerouting) with its original destination"
else ko "container: $out; $(tail -1 "$work/host.log")"; fi
python3 -m http.server --bind 172.17.0.1 8099 >"$work/web.log" 2>&1 &
web=$!
for _ in $(seq 50); do
  out="$(nsenter -t "$ctr" -n curl -s -o /dev/null -w '%{http_code}' --max-time 10 http://172.17.0.1:8099/ 2>&1)"
  [ "$out" = "200" ] && break
  sleep 0.2
done
if [ "$out" = "200" ]; then ok "a container reaching the guest itself is not redirected"; else ko "container to guest: $out; $(cat "$work/web.log"; tail -2 "$work/host.log")"; fi
kill "$web" "$ctr" 2>/dev/null
cat "$work/agent.log" | grep -v READY | head -5
echo "egress-netns: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
