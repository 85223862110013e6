#!/usr/bin/env bash
# Copies the web page's pinned npm libraries (package.json beside this script) into the jar's webroot:
#   target/classes/webroot/ui/vendor/{xterm.js,xterm.css,addon-fit.js}
# Run by Maven at generate-resources (verticles/pom.xml). Needs node and npm (dev/test installs them); npm's
# cache makes a second build work offline. Usage: vendor.sh <maven target dir>
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="$1"
work="$target/web-vendor"
out="$target/classes/webroot/ui/vendor"
command -v npm >/dev/null || { echo "vendor.sh: npm is missing; install it with: apt-get install npm" >&2; exit 1; }
mkdir -p "$work" "$out"
if ! cmp -s "$here/package.json" "$work/package.json" || [ ! -f "$work/node_modules/@xterm/xterm/lib/xterm.js" ]; then
  cp "$here/package.json" "$work/package.json"
  (cd "$work" && npm install --prefer-offline --no-audit --no-fund --ignore-scripts --loglevel=error) \
    || { echo "vendor.sh: npm install of the web page's libraries failed (see above)" >&2; exit 1; }
fi
cp "$work/node_modules/@xterm/xterm/lib/xterm.js" "$out/xterm.js"
cp "$work/node_modules/@xterm/xterm/css/xterm.css" "$out/xterm.css"
cp "$work/node_modules/@xterm/addon-fit/lib/addon-fit.js" "$out/addon-fit.js"
