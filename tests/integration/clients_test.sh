#!/usr/bin/env bash
# Real Redis clients against the real binary: redis-cli (inline arguments, --pipe mass
# insertion, interactive mode with its COMMAND DOCS start-up), redis-benchmark and redis-py.
# Usage: clients_test.sh path/to/typeahead-server
set -uo pipefail
bin=$1
tmp=$(mktemp -d /tmp/typeahead-clients-XXXXXX)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" --port "$port" --dir "$tmp/data" >"$tmp/server.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done

passed=0 failed=0
check() {  # check NAME EXPECTED ACTUAL
  if [[ "$2" == "$3" ]]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); printf 'FAIL %s\n  expected: %q\n  actual:   %q\n' "$1" "$2" "$3"; fi
}
cli() { timeout 20 redis-cli -p "$port" "$@"; }

# --version and --help answer and exit 0, as redis-server's do.
check "version" "1" "$("$bin" --version | grep -c '^typeahead-server v=[0-9.]* redis-protocol=7\.0\.15 bits=64$')"
check "help" "1" "$("$bin" -h | grep -c '^Usage: typeahead-server ')"

# redis-cli with arguments.
check "cli record" "1" "$(cli ACRECORD q apple)"
check "cli record again" "2" "$(cli ACRECORD q apple)"
cli ACRECORD q app >/dev/null; cli ACRECORD q application >/dev/null; cli ACRECORD q appetite >/dev/null
check "cli topk" $'apple\napp' "$(cli ACTOPK q app 2)"
check "cli withscores" $'apple\n2\napp\n1\nappetite\n1' "$(cli ACTOPK q app 3 WITHSCORES)"
check "cli resp3 withscores" $'1) 1) "apple"\n   2) (integer) 2' "$(cli -3 --no-raw ACTOPK q app 1 WITHSCORES)"
check "cli error" "ERR empty term" "$(cli ACRECORD q '')"

# SLOWLOG as redis-cli prints it: a command logged with its arguments and the client address.
cli CONFIG SET slowlog-log-slower-than 0 >/dev/null
cli SLOWLOG RESET >/dev/null
cli ACTOPK q app 2 >/dev/null
out=$(cli SLOWLOG GET 1)
check "slowlog command" $'ACTOPK\nq\napp\n2' "$(echo "$out" | sed -n 4,7p)"
check "slowlog addr" "1" "$(echo "$out" | sed -n 8p | grep -c '^127\.0\.0\.1:[0-9]*$')"
check "slowlog len" "3" "$(cli SLOWLOG LEN)"  # RESET, ACTOPK, GET (each logged after it ran)
cli CONFIG SET slowlog-log-slower-than 10000 >/dev/null

# redis-cli MONITOR sees another client's command, in Redis's line format.
timeout 5 redis-cli -p "$port" MONITOR >"$tmp/monitor.txt" 2>&1 &
monitor=$!
for _ in $(seq 50); do [[ -s "$tmp/monitor.txt" ]] && break; sleep 0.05; done  # its "OK"
cli ACRECORD q monitored >/dev/null
for _ in $(seq 50); do grep -q monitored "$tmp/monitor.txt" && break; sleep 0.05; done
kill "$monitor" 2>/dev/null; wait "$monitor" 2>/dev/null
check "monitor line" "1" "$(grep -cE '^[0-9]+\.[0-9]{6} \[0 127\.0\.0\.1:[0-9]+\] "ACRECORD" "q" "monitored"$' "$tmp/monitor.txt")"

# redis-cli's keyspace surveys: --memkeys sizes every key with MEMORY USAGE, --hotkeys ranks
# them by OBJECT FREQ (the key read 100 times first), --bigkeys counts them by type.
cli ACRECORD cold x >/dev/null
for _ in $(seq 100); do echo "ACTOPK q a 3"; done | cli >/dev/null
out=$(timeout 30 redis-cli -p "$port" --memkeys 2>&1)
check "memkeys no warning" "0" "$(echo "$out" | grep -c 'MEMORY USAGE.*failed')"
check "memkeys sizes" "1" "$(echo "$out" | grep -cE '^[0-9]+ autocompletes with [1-9][0-9]* bytes')"
out=$(timeout 30 redis-cli -p "$port" --hotkeys 2>&1)
check "hotkeys ranks" "q" "$(echo "$out" | grep 'hot key found' | sort -t: -k2 -n -r | head -1 | sed 's/.*keyname: "\(.*\)"/\1/')"
out=$(timeout 30 redis-cli -p "$port" --bigkeys 2>&1)
check "bigkeys types" "1" "$(echo "$out" | grep -cE '^[0-9]+ autocompletes with')"

# Inline commands typed over a raw socket, as telnet users do.
check "inline" $'+PONG\r\n$5\r\nhello\r' "$(printf 'PING\r\nECHO "hello"\r\n' | timeout 5 nc -q 1 127.0.0.1 "$port")"

# redis-cli --pipe: mass insertion; its ECHO-based end detection must work.
/usr/bin/python3 - "$tmp/mass.txt" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    for i in range(100000):
        t = b"term%d" % (i % 20000)
        f.write(b"*3\r\n$8\r\nACRECORD\r\n$4\r\nmass\r\n$%d\r\n%s\r\n" % (len(t), t))
PY
out=$(timeout 60 redis-cli -p "$port" --pipe <"$tmp/mass.txt" 2>&1)
check "pipe summary" "errors: 0, replies: 100000" "$(echo "$out" | grep -o 'errors: [0-9]*, replies: [0-9]*')"
check "pipe card" "20000" "$(cli ACCARD mass)"
check "pipe score" "5" "$(cli ACSCORE mass term7)"

# Interactive redis-cli (a pseudo-terminal): it sends COMMAND DOCS first and asserts on its
# shape, then runs what is typed; `help` renders our argument docs. TERM=dumb keeps linenoise
# from waiting for a cursor-position answer that no terminal will send.
out=$(printf 'ACSCORE q apple\nhelp ACTOPK\nquit\n' |
  TERM=dumb timeout 20 script -qec "redis-cli -p $port" /dev/null 2>&1 | tr -d '\r')
check "interactive reply" "1" "$(echo "$out" | grep -c '> (integer) 2')"
check "interactive help" "1" "$(echo "$out" | grep -c 'ACTOPK.*key prefix k \[WITHSCORES\]')"

# redis-benchmark: its start-up CONFIG GETs, then pipelined PINGs over 50 connections.
out=$(timeout 120 redis-benchmark -p "$port" -t ping -P 16 -n 20000 -c 50 -q 2>&1)
check "benchmark ping" "2" "$(echo "$out" | grep -c 'requests per second')"

# redis-py (Debian's python3-redis): connect, name the client, run commands.
out=$(timeout 30 /usr/bin/python3 - "$port" <<'PY'
import sys, redis
r = redis.Redis(port=int(sys.argv[1]), client_name="py-test", decode_responses=True)
assert r.ping()
assert r.client_getname() == "py-test", r.client_getname()
assert r.execute_command("ACRECORD", "py", "hello") == 1
assert r.execute_command("ACTOPK", "py", "he", 5) == ["hello"]
info = r.info()
assert info["redis_version"].startswith("7.0"), info["redis_version"]
assert info["loading"] == 0
p = r.pipeline(transaction=False)
for i in range(100):
    p.execute_command("ACRECORD", "py", "t%d" % i)
assert p.execute() == [1] * 100
print("ok")
PY
)
check "redis-py" "ok" "$out"

if ! kill -0 "$pid" 2>/dev/null; then failed=$((failed + 1)); echo "FAIL server died"; cat "$tmp/server.log"; fi
if grep -qE 'Sanitizer|runtime error:' "$tmp/server.log"; then
  failed=$((failed + 1)); echo "FAIL sanitizer report"; cat "$tmp/server.log"
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
