#!/usr/bin/env bash
# Sandbox throughput benchmark (issue 6; docs/performance.md, "vsock and docker socket"): on one microVM sandbox
# booted by the daemon's microvm driver, raw vsock host<->guest through vsock.sock, and docker save / docker load
# of an image of more than 200 MB through docker.sock (SandboxThroughputBench). Runs in the helper VM when the
# accelerator probe says emulated, natively when it says native. Prints FIGURE lines.
#   load-tests/bench-sandbox.sh
set -euo pipefail
here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
"$here/../dev/docker-cli.sh" >/dev/null
exec "$here/run-sandbox-bench.sh" SandboxThroughputBench
