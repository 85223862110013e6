#!/usr/bin/env bash
# Workspace benchmark (issue 9; docs/performance.md, "Workspace over virtio-fs"): in one microVM sandbox booted by
# the daemon's microvm driver, `git status` and a full `make -j2` of a small C project over the virtio-fs share,
# against the same on the guest's local disk, alternately (WorkspaceShareBench). Prints FIGURE lines.
#   load-tests/bench-workspace.sh [-Dpaddock.bench.rounds=N]   (default 5; 0 runs only the PROFILE lines)
set -euo pipefail
exec "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/run-sandbox-bench.sh" WorkspaceShareBench "$@"
