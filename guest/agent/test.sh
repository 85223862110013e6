#!/usr/bin/env bash
# The agent's tests: static build with -Wall -Wextra -Werror, codec unit tests, end-to-end tests against the
# real binary in loopback mode (--listen unix:), and a bounded libFuzzer run of the frame parser over the
# committed seed corpus. Needs musl-gcc (musl-tools), clang and its runtime (clang, libclang-rt-14-dev).
# Prints "N passed, M failed"; exits non-zero on any failure. PADDOCK_AGENT_FUZZ_SECONDS (default 60).
set -uo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
cd "$here"
fuzz_seconds="${PADDOCK_AGENT_FUZZ_SECONDS:-60}"
passed=0
failed=0
fail() { printf 'guest/agent/test.sh: FAIL %s\n' "$*"; failed=$((failed + 1)); }
pass() { printf 'guest/agent/test.sh: PASS %s\n' "$*"; passed=$((passed + 1)); }
count() { # adds "unit: N passed, M failed" style lines from a log to the totals
  local line p f
  line="$(grep -E '^[a-z0-9]+: [0-9]+ passed, [0-9]+ failed$' "$1" | tail -1)"
  if [ -z "$line" ]; then fail "$2 printed no result line (see above)"; return; fi
  p="$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")"
  f="$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")"
  passed=$((passed + p))
  failed=$((failed + f))
}
for tool in musl-gcc clang cc make readelf; do
  command -v "$tool" >/dev/null || { echo "guest/agent/test.sh: FAILED: $tool is missing. Install it with: apt-get install musl-tools clang libclang-rt-14-dev make gcc"; echo "0 passed, 1 failed"; exit 1; }
done

if make -s all test-bins fuzz; then pass "build (static, -Wall -Wextra -Werror)"; else fail "build"; echo "$passed passed, $failed failed"; exit 1; fi
if ! readelf -l target/paddock-agent | grep -q INTERP; then pass "target/paddock-agent is static (no ELF interpreter)"; else fail "target/paddock-agent is dynamically linked"; fi

log="$(mktemp)"
target/unit | tee "$log"
count "$log" unit
timeout 300 target/e2e "$here/target/paddock-agent" 2>&1 | tee "$log"
count "$log" e2e

work="$(mktemp -d)"
cp test/corpus/* "$work/"
if timeout $((fuzz_seconds + 60)) target/fuzz-frame -max_total_time="$fuzz_seconds" -max_len=70000 \
     -artifact_prefix="$work/crash-" "$work" >"$log" 2>&1; then
  pass "fuzz: frame parser for ${fuzz_seconds} s ($(grep -oE 'Done [0-9]+ runs' "$log" | head -1))"
else
  tail -40 "$log"
  fail "fuzz: the frame parser crashed; the input is in $work (crash-*)"
fi
rm -f "$log"
[ "$failed" -eq 0 ] && rm -rf "$work"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
