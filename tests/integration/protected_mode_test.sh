#!/usr/bin/env bash
# Protected mode seen from a non-loopback client. The test runs in a network namespace of its
# own (unshare --net, as root), where lo carries 127.0.0.1 and 10.77.0.1 and the server binds
# both: a client connecting to 10.77.0.1 comes from 10.77.0.1, not from loopback. Nothing
# outside the namespace is touched. Usage: protected_mode_test.sh <typeahead-server>
set -euo pipefail
server=$1
if [[ -z "${TYPEAHEAD_IN_NETNS:-}" ]]; then
  exec unshare --net env TYPEAHEAD_IN_NETNS=1 bash "$0" "$@"
fi
ip link set lo up
ip addr add 10.77.0.1/32 dev lo
dir=$(mktemp -d)
"$server" --port 6390 --bind "127.0.0.1 10.77.0.1" --dir "$dir" >"$dir/log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 100); do
  [[ "$(redis-cli -h 127.0.0.1 -p 6390 ping 2>/dev/null)" == PONG ]] && break
  sleep 0.1
done
fail=0
expect() {  # expect <what> <wanted substring> <got>
  if [[ "$3" == *"$2"* ]]; then echo "ok: $1"; else echo "FAIL: $1: got '$3'"; fail=1; fi
}
local_cli() { redis-cli -h 127.0.0.1 -p 6390 "$@" 2>&1; }
remote_cli() { redis-cli -h 10.77.0.1 -p 6390 "$@" 2>&1; }

local_cli acrecord k apple >/dev/null
expect "loopback client served" PONG "$(local_cli ping)"
raw=$(printf 'PING\r\n' | nc -w 2 10.77.0.1 6390 2>&1 || true)
expect "remote client refused with Redis's text" \
  "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user." \
  "$raw"
[[ "$raw" == *"the outside."$'\r' && "$raw" != *PONG* ]] || { echo "FAIL: refusal is not one error line"; fail=1; }
expect "refusals counted" "rejected_connections:1" "$(local_cli info stats)"

expect "protected-mode no" OK "$(local_cli config set protected-mode no)"
expect "remote client served without protected mode" PONG "$(remote_cli ping)"

local_cli config set protected-mode yes >/dev/null
expect "a password set" OK "$(local_cli config set requirepass pw)"
expect "remote client admitted once a password is set, then asked for it" NOAUTH \
  "$(remote_cli ping)"
expect "remote client with the password" apple \
  "$(redis-cli -h 10.77.0.1 -p 6390 --no-auth-warning -a pw actopk k a 1 2>&1)"
expect "server alive" PONG "$(redis-cli -p 6390 --no-auth-warning -a pw ping)"
exit $fail
