#!/usr/bin/env bash
# Start-up as Redis users do it, against the real binary: Debian's stock /etc/redis/redis.conf
# loads (the directives that mean nothing here named in one warning, an unknown word still
# fatal), and `daemonize yes` with a pidfile: the command returns, the daemon serves, the file
# holds its pid and is gone after a clean stop.
# Usage: startup_test.sh path/to/typeahead-server
set -uo pipefail
bin=$1
tmp=$(mktemp -d /tmp/typeahead-startup-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done; done
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ping() { for _ in $(seq 100); do [[ "$(redis-cli -p "$1" ping 2>/dev/null)" == PONG ]] && return 0; sleep 0.05; done; return 1; }

passed=0 failed=0
check() {  # check NAME EXPECTED ACTUAL
  if [[ "$2" == "$3" ]]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); printf 'FAIL %s\n  expected: %q\n  actual:   %q\n' "$1" "$2" "$3"; fi
}

# Debian's redis.conf, as shipped, with what a test must change on the command line.
cp /etc/redis/redis.conf "$tmp/redis.conf"
port=$(free_port)
"$bin" "$tmp/redis.conf" --port "$port" --dir "$tmp/stock" --daemonize no --logfile "" \
  --pidfile "" >"$tmp/stock.log" 2>&1 &
pids+=($!)
wait_ping "$port"
check "stock conf serves" "PONG" "$(redis-cli -p "$port" ping)"
check "one warning" "1" "$(grep -c 'Ignoring Redis directives that have no effect on this server: .*hz' "$tmp/stock.log")"
check "ignored value shown" $'hz\n10' "$(redis-cli -p "$port" config get hz)"
check "ignored immutable" "ERR CONFIG SET failed (possibly related to argument 'hz') - can't set immutable config" \
  "$(redis-cli -p "$port" config set hz 5)"
check "one database" $'databases\n1' "$(redis-cli -p "$port" config get databases)"
check "backlog" $'tcp-backlog\n511' "$(redis-cli -p "$port" config get tcp-backlog)"
redis-cli -p "$port" shutdown nosave >/dev/null 2>&1

# An unknown word is still fatal.
echo "nosuchdirective 1" >>"$tmp/redis.conf"
out=$("$bin" "$tmp/redis.conf" --port "$(free_port)" --dir "$tmp/bad" --daemonize no --logfile "" 2>&1)
check "unknown fails" "1" "$?"
check "unknown named" "1" "$(echo "$out" | grep -c "^>>> 'nosuchdirective 1'$")"

# daemonize yes: the command returns at once, the daemon writes its pidfile and serves.
port=$(free_port)
timeout 10 "$bin" --port "$port" --dir "$tmp/daemon" --daemonize yes --pidfile "$tmp/daemon.pid" \
  --logfile "$tmp/daemon.log"
check "daemonize returns" "0" "$?"
wait_ping "$port"
for _ in $(seq 100); do [[ -s "$tmp/daemon.pid" ]] && break; sleep 0.05; done
pid=$(cat "$tmp/daemon.pid" 2>/dev/null)
[[ -n "$pid" ]] && pids+=("$pid")
check "daemon serves" "PONG" "$(redis-cli -p "$port" ping)"
check "pidfile is the daemon" "$pid" "$(redis-cli -p "$port" info server | tr -d '\r' | sed -n 's/^process_id://p')"
kill "$pid"
for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
check "daemon stopped" "1" "$(kill -0 "$pid" 2>/dev/null; echo $?)"
check "pidfile removed" "no" "$([[ -e "$tmp/daemon.pid" ]] && echo yes || echo no)"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
