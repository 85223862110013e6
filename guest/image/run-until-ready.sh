#!/usr/bin/env bash
# run-until-ready.sh CONSOLE_LOG TIMEOUT_S -- VMM_COMMAND...: runs a VMM whose stdout is the guest's serial
# console (boot-qemu.sh, `paddock vmm boot`), writing it to CONSOLE_LOG, until the agent prints its readiness
# line. boot-check.sh runs it where the VM runs: inside the helper VM through `paddock rig exec` when the
# accelerator is emulated, so that the VMM is this script's own child and is stopped here, by its pid.
#
# Exit status 0 once a line starting with PADDOCK-AGENT-READY appears; 1 when the VMM exits, the kernel
# panics, the agent prints PADDOCK-AGENT-FATAL, or TIMEOUT_S passes first. After the readiness line the guest
# runs PADDOCK_BOOT_SETTLE_S more seconds (default 10: ext4 commits its journal every 5 s, and boot-check.sh
# inspects what the agent wrote on the state disk), then the VMM gets SIGTERM. The console is printed on
# stdout at the end.
set -euo pipefail
die() { printf 'run-until-ready: error: %s\n' "$*" >&2; exit 2; }
[ $# -ge 4 ] && [ "$3" = -- ] || die "usage: run-until-ready.sh CONSOLE_LOG TIMEOUT_S -- VMM_COMMAND..."
console="$1"; timeout_s="$2"; shift 3
marker=PADDOCK-AGENT-READY
failed() { grep -q -e 'Kernel panic' -e '^PADDOCK-AGENT-FATAL' "$console" 2>/dev/null; }

: > "$console"
t0=$(date +%s%N)
"$@" > "$console" 2>&1 < /dev/null &
vmm=$!
trap 'kill -TERM "$vmm" 2>/dev/null || true' EXIT

status=1
deadline=$((SECONDS + timeout_s))
while [ $SECONDS -lt $deadline ] && kill -0 "$vmm" 2>/dev/null; do
  if grep -q "^$marker" "$console"; then status=0; break; fi
  # A panic or the agent's fatal line ends the boot: a VM without a reset line would otherwise sit there.
  if failed; then sleep 1; break; fi
  sleep 0.2
done
grep -q "^$marker" "$console" && status=0
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ "$status" = 0 ]; then sleep "${PADDOCK_BOOT_SETTLE_S:-10}"; fi
kill -TERM "$vmm" 2>/dev/null || true
for _ in $(seq 50); do kill -0 "$vmm" 2>/dev/null || break; sleep 0.2; done
kill -KILL "$vmm" 2>/dev/null || true
wait "$vmm" 2>/dev/null || true
trap - EXIT

cat "$console"
if [ "$status" = 0 ]; then
  echo "run-until-ready: $marker after ${ms} ms of VMM wall time"
elif failed; then
  echo "run-until-ready: the boot failed after ${ms} ms: $(grep -m1 -e 'Kernel panic' -e '^PADDOCK-AGENT-FATAL' "$console")" >&2
elif [ $SECONDS -ge $deadline ]; then
  echo "run-until-ready: no $marker line within ${timeout_s} s (console above)" >&2
else
  echo "run-until-ready: the VMM exited after ${ms} ms without a $marker line (console above)" >&2
fi
exit "$status"
