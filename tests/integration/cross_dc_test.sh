#!/usr/bin/env bash
# Replication across a slow, lossy link: two network namespaces ("datacenters") joined by a veth
# pair shaped with netem (delay 80ms 10ms, loss 1%, rate limit) in both directions. Kernels
# built without netem (this project's CI VMs) get the rate limit from tc tbf and the delay,
# jitter and the cost of loss from delay-proxy (tools/delay_proxy.cc) on the replica's side;
# the output says which. The primary
# runs in dc1 with 1M terms, the replica in dc2. Checks: the full sync completes and the
# replica then holds exactly the primary's data; under a steady write load the replica lags by
# less than a second (median of the samples; the maximum is reported). Every step is bounded
# in time; the namespaces and processes are removed on exit. Needs root (ip netns).
# With `tls` the link between the datacenters is mutual TLS with repl-compression zstd inside
# it: the primary takes replicas on a TLS-only port, the replica presents a client certificate
# and checks the primary's (certificates made here with the openssl CLI); clients in dc1 stay
# on the plaintext port, as a deployment that encrypts only what leaves the datacenter would.
# Usage: cross_dc_test.sh <typeahead-server> <gen-terms> <loadgen> <delay-proxy> [terms] [tls]
set -euo pipefail
server=$1 gen=$2 loadgen=$3 proxy=$4 terms=${5:-1000000} tls=${6:-}
tag=$$
dc1=ta-dc1-$tag dc2=ta-dc2-$tag
dir=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  ip netns del "$dc1" 2>/dev/null || true
  ip netns del "$dc2" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

ip netns add "$dc1"
ip netns add "$dc2"
ip link add "va$tag" type veth peer name "vb$tag"
ip link set "va$tag" netns "$dc1"
ip link set "vb$tag" netns "$dc2"
ip -n "$dc1" addr add 10.78.0.1/24 dev "va$tag"
ip -n "$dc2" addr add 10.78.0.2/24 dev "vb$tag"
for ns in "$dc1" "$dc2"; do ip -n "$ns" link set lo up; done
ip -n "$dc1" link set "va$tag" up
ip -n "$dc2" link set "vb$tag" up
shape="delay 80ms 10ms distribution normal loss 1% rate 50mbit"
link_port=6379  # where the replica connects in dc1
primary_tls=() replica_tls=()
if [[ $tls == tls ]]; then
  link_port=6380
  c=$dir/certs
  mkdir -p "$c"
  q() { "$@" >/dev/null 2>&1 || { echo "FAIL openssl: $*"; exit 1; }; }
  q openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$c/ca.key" -out "$c/ca.crt" -days 30 -subj "/CN=cross-dc ca"
  for leaf in dc1 dc2; do
    q openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout "$c/$leaf.key" -out "$c/$leaf.csr" -subj "/CN=typeahead $leaf"
    q openssl x509 -req -in "$c/$leaf.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" \
      -CAcreateserial -out "$c/$leaf.crt" -days 30
  done
  primary_tls=(--tls-port 6380 --tls-cert-file "$c/dc1.crt" --tls-key-file "$c/dc1.key"
    --tls-ca-cert-file "$c/ca.crt" --repl-compression zstd)
  replica_tls=(--tls-replication yes --tls-cert-file "$c/dc2.crt" --tls-key-file "$c/dc2.key"
    --tls-ca-cert-file "$c/ca.crt")
  echo "link: mutual TLS, repl-compression zstd"
fi
primary_addr="10.78.0.1 $link_port"
if tc -n "$dc1" qdisc add dev "va$tag" root netem $shape 2>/dev/null; then
  tc -n "$dc2" qdisc add dev "vb$tag" root netem $shape
  echo "link: netem $shape each way"
else
  for ns_dev in "$dc1 va$tag" "$dc2 vb$tag"; do
    read -r ns dev <<<"$ns_dev"
    tc -n "$ns" qdisc add dev "$dev" root tbf rate 50mbit burst 64kb latency 400ms
  done
  ip netns exec "$dc2" "$proxy" --listen 10.78.0.2:7000 --to "10.78.0.1:$link_port" --delay 80 \
    --jitter 10 --loss "${LOSS:-1}" &
  pids+=($!)
  primary_addr="10.78.0.2 7000"
  echo "link: no netem in this kernel; tbf rate 50mbit each way, delay-proxy 80 ms +-10 ms" \
    "each way, 1% of pieces held one retransmission time"
fi

in1() { ip netns exec "$dc1" "$@"; }
in2() { ip netns exec "$dc2" "$@"; }
cli1() { in1 redis-cli -h 10.78.0.1 -p 6379 "$@"; }
cli2() { in2 redis-cli -h 10.78.0.2 -p 6379 "$@"; }
field() { tr -d '\r' | sed -n "s/^$1://p"; }

# Started by `ip netns exec` directly (not through a function, which would fork a subshell):
# it execs the program, so $! is the process itself and the cleanup's kill reaches it.
ip netns exec "$dc1" "$server" --bind 10.78.0.1 --port 6379 --protected-mode no --threads 2 \
  --dir "$dir/dc1" "${primary_tls[@]}" >"$dir/dc1.log" 2>&1 &
pids+=($!)
ip netns exec "$dc2" "$server" --bind 10.78.0.2 --port 6379 --protected-mode no --threads 2 \
  --dir "$dir/dc2" "${replica_tls[@]}" >"$dir/dc2.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  [[ "$(cli1 ping 2>/dev/null)" == PONG && "$(cli2 ping 2>/dev/null)" == PONG ]] && break
  sleep 0.1
done

"$gen" "$terms" --format acincrby --key k >"$dir/load.resp"
cli1 --pipe <"$dir/load.resp" >/dev/null
echo "primary: $(cli1 accard k) terms"

fail=0
start=$(date +%s.%N)
cli2 replicaof $primary_addr >/dev/null
synced=0
for _ in $(seq 1800); do  # 180 s at most
  info=$(cli2 info replication)
  if [[ "$(field master_link_status <<<"$info")" == up ]]; then synced=1; break; fi
  sleep 0.1
done
end=$(date +%s.%N)
if [[ $synced != 1 ]]; then
  echo "FAIL: full sync did not complete in 180 s"; tail -5 "$dir/dc2.log"; exit 1
fi
payload=$(sed -n 's/.*Full sync payload sent: \([0-9]*\) bytes.*/\1/p' "$dir/dc1.log" | tail -1)
wire=$(sed -n 's/.*Full sync payload sent: [0-9]* bytes (\([0-9]*\) on the wire.*/\1/p' "$dir/dc1.log" | tail -1)
echo "full sync of $terms terms: $(awk "BEGIN { printf \"%.1f\", $end - $start }") s," \
  "$payload payload bytes, $wire on the wire"
if [[ $tls == tls ]] && ! grep -q 'Full sync payload sent: .*zstd' "$dir/dc1.log"; then
  echo "FAIL: the TLS link is not compressed"; exit 1
fi

# Steady state: a write load at a fixed rate from dc1 while a clock term is bumped on the
# primary every 100 ms and read on the replica every 50 ms: lag = now - the clock it shows.
"$gen" 200000 --format typeahead --records 100 --key k --dict "$terms" >"$dir/writes.resp"
ip netns exec "$dc1" "$loadgen" --host 10.78.0.1 --port 6379 --workload "$dir/writes.resp" --connections 10 \
  --duration 20 --rate 2000 >"$dir/load.json" &
pids+=($!)
ip netns exec "$dc1" /usr/bin/python3 - <<'EOF' &
import redis, time
r = redis.Redis(host="10.78.0.1", port=6379)
base = int(time.time() * 1000) - 1
last = 0
end = time.time() + 20
while time.time() < end:
    now = int(time.time() * 1000) - base
    r.execute_command("ACINCRBY", "clock", "ms", now - last)
    last = now
    time.sleep(0.1)
r.execute_command("ACINCRBY", "clock", "base", base)
EOF
pids+=($!)
sleep 1
lags=$(in2 /usr/bin/python3 - <<'EOF'
import redis, time
r = redis.Redis(host="10.78.0.2", port=6379)
lags = []
end = time.time() + 17
while time.time() < end:
    ms = r.execute_command("ACSCORE", "clock", "ms")
    if ms is not None:
        lags.append(time.time() * 1000 - int(ms))
    time.sleep(0.05)
print(" ".join(str(int(l)) for l in lags))
EOF
)
wait "${pids[-1]}" "${pids[-2]}" 2>/dev/null || true
base=$(cli1 acscore clock base)
read -r -a samples <<<"$lags"
if [[ ${#samples[@]} -lt 100 ]]; then echo "FAIL: too few lag samples (${#samples[@]})"; exit 1; fi
sorted=($(for s in "${samples[@]}"; do echo $((s - base)); done | sort -n))
n=${#sorted[@]}
median=${sorted[$((n / 2))]} p99=${sorted[$((n * 99 / 100))]} max=${sorted[$((n - 1))]}
echo "replication lag under $(sed -n 's/.*"ops_per_sec": *\([0-9.]*\).*/\1/p' "$dir/load.json") writes/s: median ${median} ms, p99 ${p99} ms, max ${max} ms (${n} samples; includes up to 100 ms between clock writes)"
if ((median >= 1000)); then echo "FAIL: median lag ${median} ms"; fail=1; fi

# Exact after the load: the replica holds what the primary holds.
for _ in $(seq 300); do
  p=$(cli1 info replication | field master_repl_offset)
  r=$(cli2 info replication | field slave_repl_offset)
  [[ "$p" == "$r" ]] && break
  sleep 0.1
done
for prefix in "" a s th con pre x; do
  want=$(cli1 actopk k "$prefix" 10 withscores)
  got=$(cli2 actopk k "$prefix" 10 withscores)
  if [[ "$want" != "$got" ]]; then echo "FAIL: ACTOPK k '$prefix' differs"; fail=1; fi
done
[[ "$(cli1 accard k)" == "$(cli2 accard k)" ]] || { echo "FAIL: ACCARD differs"; fail=1; }
echo "replica equals primary: $([[ $fail == 0 ]] && echo yes || echo no)"
exit $fail
