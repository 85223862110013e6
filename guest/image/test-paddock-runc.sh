#!/usr/bin/env bash
# test-paddock-runc.sh: checks paddock-runc, the guest dockerd's runc wrapper, on this host with no VM (dev/test
# runs it). A fake runc records the arguments it gets; a fake guest has a CA, a bundle and OCI bundles shaped
# like the ones containerd's shim hands runc. Checked: the CA's mounts land in config.json for create and run
# (always the Debian path, the other well-known paths only where the container's root has them, a user's own
# mount left alone, no duplicates on a second create), the real runc gets exactly the same arguments, every
# other subcommand passes untouched, nothing changes without a Paddock CA, and a guest whose bundle lacks the CA
# makes create fail with the reason in stderr and runc's JSON log, without ever calling runc.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
wrapper="$here/paddock-runc"
fail() { printf 'test-paddock-runc: FAILED: %s\n' "$*" >&2; exit 1; }
command -v jq >/dev/null || fail "jq is missing on this host (paddock-runc needs it). Install it with: apt-get install jq"
command -v openssl >/dev/null || fail "openssl is missing on this host. Install it with: apt-get install openssl"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
checks=0
ok() { checks=$((checks + 1)); }

# The fake runc: one argument a line (NUL-separated, so arguments with spaces or newlines compare exactly).
cat > "$work/runc" <<'SH'
#!/bin/sh
printf '%s\0' "$@" > "$FAKE_RUNC_RECORD"
exit "${FAKE_RUNC_EXIT:-0}"
SH
chmod +x "$work/runc"
export PADDOCK_RUNC_REAL="$work/runc" FAKE_RUNC_RECORD="$work/runc.args"
export PADDOCK_RUNC_CA="$work/guest/paddock-egress.crt" PADDOCK_RUNC_BUNDLE="$work/guest/ca-certificates.crt"
mkdir -p "$work/guest"

new_ca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null -days 1 -subj "/CN=$1" 2>/dev/null; }
other_ca="$(new_ca 'some public root')"
paddock_ca="$(new_ca 'paddock sandbox CA')"

# An OCI bundle as dockerd's shim passes it: an absolute root.path, a few mounts of its own.
new_bundle() {  # new_bundle DIR ROOT_PATH [extra mounts as a JSON array]
  mkdir -p "$1"
  jq -n --arg root "$2" --argjson extra "${3:-[]}" '{
    ociVersion: "1.0.2", process: {args: ["sh"]}, root: {path: $root},
    mounts: ([{destination: "/proc", type: "proc", source: "proc"},
              {destination: "/etc/hosts", type: "bind", source: "/var/lib/docker/x/hosts", options: ["rbind", "rprivate"]}]
             + $extra)
  }' > "$1/config.json"
}
# run_wrapper ARGS...: runs paddock-runc; sets rc, out (stderr+stdout) and recorded (what runc got, or "").
run_wrapper() {
  rm -f "$FAKE_RUNC_RECORD"
  set +e
  out="$("$wrapper" "$@" 2>&1)"
  rc=$?
  set -e
  recorded=""
  if [ -f "$FAKE_RUNC_RECORD" ]; then recorded="$(tr '\0' '\n' < "$FAKE_RUNC_RECORD")"; fi
}
args_text() { printf '%s\n' "$@"; }
same_args() {  # same_args ARGS...: runc got exactly these
  [ "$recorded" = "$(args_text "$@")" ] || fail "runc got [$recorded], not [$(args_text "$@")]"
}
mounts_at() { jq -c --arg d "$2" '[.mounts[] | select(.destination == $d)]' "$1/config.json"; }

# --- 1. no Paddock CA in the guest: nothing changes ---------------------------------------------------------
printf '%s' "$other_ca" > "$PADDOCK_RUNC_BUNDLE"
new_bundle "$work/b0" "$work/b0/rootfs"; mkdir -p "$work/b0/rootfs/etc/ssl"; : > "$work/b0/rootfs/etc/ssl/cert.pem"
cp "$work/b0/config.json" "$work/b0.before"
args=(--root /var/run/docker/runtime-runc/moby --log "$work/b0/log.json" --log-format json create --bundle "$work/b0" --pid-file "$work/b0/pid" c0)
run_wrapper "${args[@]}"
[ "$rc" = 0 ] || fail "without a Paddock CA, create exited $rc: $out"
same_args "${args[@]}"
cmp -s "$work/b0.before" "$work/b0/config.json" || fail "without a Paddock CA, config.json was changed"
ok

# --- 2. with the CA: create mounts the bundle at the Debian path and over the paths the image has -----------
printf '%s\n%s\n' "$other_ca" "$paddock_ca" > "$PADDOCK_RUNC_BUNDLE"
printf '%s\n' "$paddock_ca" > "$PADDOCK_RUNC_CA"
rootfs="$work/b1/merged"
new_bundle "$work/b1" "$rootfs"
mkdir -p "$rootfs/etc/pki/tls/certs" "$rootfs/etc/ssl/certs"
: > "$rootfs/etc/pki/tls/certs/ca-bundle.crt"
ln -s certs/ca-certificates.crt "$rootfs/etc/ssl/cert.pem"   # Alpine's link, dangling here: still mounted over
args=(--root /var/run/docker/runtime-runc/moby --log "$work/b1/log.json" --log-format json create --bundle "$work/b1" --pid-file "$work/b1/pid" "c1 with space")
run_wrapper "${args[@]}"
[ "$rc" = 0 ] || fail "create with the CA exited $rc: $out"
same_args "${args[@]}"
want='/etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/cert.pem'
got="$(jq -r --arg src "$PADDOCK_RUNC_BUNDLE" '[.mounts[] | select(.source == $src) | .destination] | join(" ")' "$work/b1/config.json")"
[ "$got" = "$want" ] || fail "create mounted the CA bundle at [$got], not [$want]"
for d in $want; do
  m="$(mounts_at "$work/b1" "$d")"
  [ "$m" = "[{\"destination\":\"$d\",\"type\":\"bind\",\"source\":\"$PADDOCK_RUNC_BUNDLE\",\"options\":[\"rbind\",\"ro\",\"nosuid\",\"nodev\",\"noexec\"]}]" ] \
    || fail "the mount at $d is $m, not one read-only bind of $PADDOCK_RUNC_BUNDLE"
done
[ "$(jq -c '.mounts[0:2] | map(.destination)' "$work/b1/config.json")" = '["/proc","/etc/hosts"]' ] || fail "the container's own mounts were not kept first"
[ "$(jq -c '.process.args' "$work/b1/config.json")" = '["sh"]' ] || fail "the rest of config.json changed"
[ -z "$(find "$work/b1" -maxdepth 1 -name 'config.json.*')" ] || fail "a temporary config file was left in the bundle"
ok

# --- 3. a second create of the same bundle adds nothing twice ------------------------------------------------
run_wrapper "${args[@]}"
[ "$rc" = 0 ] || fail "a second create exited $rc: $out"
[ "$(jq '.mounts | length' "$work/b1/config.json")" = 5 ] || fail "a second create changed the mounts: $(jq -c .mounts "$work/b1/config.json")"
ok

# --- 4. run, -b, a relative root.path, and a user's own mount over a bundle path -----------------------------
new_bundle "$work/b2" rootfs '[{"destination": "/etc/ssl/cert.pem", "type": "bind", "source": "/home/agent/mine.pem", "options": ["rbind", "ro"]}]'
mkdir -p "$work/b2/rootfs/etc/ssl"; : > "$work/b2/rootfs/etc/ssl/cert.pem"
args=(--log "$work/b2/log.json" run -b "$work/b2" --detach c2)
run_wrapper "${args[@]}"
[ "$rc" = 0 ] || fail "run with -b exited $rc: $out"
same_args "${args[@]}"
[ "$(mounts_at "$work/b2" /etc/ssl/cert.pem)" = '[{"destination":"/etc/ssl/cert.pem","type":"bind","source":"/home/agent/mine.pem","options":["rbind","ro"]}]' ] \
  || fail "the user's own mount at /etc/ssl/cert.pem was changed: $(mounts_at "$work/b2" /etc/ssl/cert.pem)"
[ "$(mounts_at "$work/b2" /etc/ssl/certs/ca-certificates.crt | jq -r '.[0].source')" = "$PADDOCK_RUNC_BUNDLE" ] \
  || fail "run did not mount the CA bundle at /etc/ssl/certs/ca-certificates.crt"
ok
# No --bundle: runc's default is the working directory.
new_bundle "$work/b3" rootfs; mkdir -p "$work/b3/rootfs"
cd "$work/b3"
run_wrapper create c3
cd "$here"
[ "$rc" = 0 ] || fail "create without --bundle exited $rc: $out"
same_args create c3
[ "$(mounts_at "$work/b3" /etc/ssl/certs/ca-certificates.crt | jq 'length')" = 1 ] || fail "create without --bundle did not use the working directory's config.json"
ok

# --- 5. every other subcommand passes untouched, exit status included ----------------------------------------
cp "$work/b2/config.json" "$work/b2.before"
for cmd in "start c2" "state c2" "kill c2 9" "delete --force c2" "exec --process /tmp/p.json --detach c2" \
           "features" "--version" "--root /run/x ps c2" "update --resources - c2" "--debug --root /run/x events c2"; do
  # shellcheck disable=SC2206  # word splitting intended
  a=(--log "$work/b2/log.json" $cmd)
  run_wrapper "${a[@]}"
  [ "$rc" = 0 ] || fail "'$cmd' exited $rc: $out"
  same_args "${a[@]}"
  cmp -s "$work/b2.before" "$work/b2/config.json" || fail "'$cmd' changed config.json"
done
FAKE_RUNC_EXIT=7 run_wrapper delete c2
[ "$rc" = 7 ] || fail "runc's exit status 7 came back as $rc"
FAKE_RUNC_EXIT=5 run_wrapper create --bundle "$work/b2" c2
[ "$rc" = 5 ] || fail "runc create's exit status 5 came back as $rc"
ok

# --- 6. the CA is in the guest but cannot be given to the container: loud failure, runc never called ---------
expect_failure() {  # expect_failure WHAT PATTERN ARGS...
  local what="$1" pattern="$2"; shift 2
  rm -f "$work/fail.log"
  run_wrapper --root /run/x --log "$work/fail.log" --log-format json "$@"
  [ "$rc" != 0 ] || fail "$what: create succeeded"
  [ -z "$recorded" ] || fail "$what: runc was called anyway with [$recorded]"
  grep -q -- "$pattern" <<<"$out" || fail "$what: stderr [$out] does not say '$pattern'"
  jq -e --arg p "$pattern" 'select(.level == "error") | .msg | contains($p) and contains("not started without the sandbox")' "$work/fail.log" >/dev/null \
    || fail "$what: runc's log [$(cat "$work/fail.log" 2>/dev/null)] has no error line saying '$pattern'"
}
new_bundle "$work/b4" "$work/b4/rootfs"; mkdir -p "$work/b4/rootfs"
cp "$work/b4/config.json" "$work/b4.before"
printf '%s\n' "$other_ca" > "$PADDOCK_RUNC_BUNDLE"
expect_failure "a bundle without the CA" "does not hold the egress CA" create --bundle "$work/b4" c4
rm -f "$PADDOCK_RUNC_BUNDLE"
expect_failure "no guest bundle" "is missing or unreadable" run --bundle "$work/b4" c4
printf '%s\n%s\n' "$other_ca" "$paddock_ca" > "$PADDOCK_RUNC_BUNDLE"
expect_failure "no config.json" "has no $work/nowhere/config.json" create --bundle "$work/nowhere" c4
new_bundle "$work/b5" "$work/b5/missing-root"
expect_failure "no root file system" "is not a directory" create --bundle "$work/b5" c5
cmp -s "$work/b4.before" "$work/b4/config.json" || fail "a failed create changed config.json"
ok

echo "test-paddock-runc: $checks groups of checks passed"
