"""Runs typeahead, Redis and Redis + RediSearch side by side on the same data and workloads.

Every server gets core 0 (typeahead with one thread, so each is one core's worth of server)
and the load generator core 1. Figures per run: ops/s and latency percentiles from loadgen,
server CPU microseconds per operation from /proc/<pid>/stat (robust when the machine is
noisy: it counts the work, not the waiting), and the server's RSS after the run. The ratio is
typeahead's ops/s over the peer's on the same workload (for loads: the peer's time over ours,
so above 1 is always better for typeahead). The query workloads also get a paired row against
Redis GET: short runs of each, one after the other, six times, and the median of the six
ratios, which a shared machine's swings move far less than one run of each; then the same
16 commands deep per connection (pipelined). The same pairs give the security rows: ACTOPK
over TLS against Redis GET over TLS (typing prefixes, and 1 to 3 letters) and against ACTOPK
in plaintext, and ACTOPK as an ACL user whose key pattern is checked on every command
against the default user (the server CPU ratio is their figure). And the HTTP API: GET
/v1/keys/terms/topk from wrk, keep-alive, against ACTOPK over RESP with the same prefixes.
The write rows: ACRECORD of existing terms paired against HINCRBY of the same fields, and
ACINCRBY of new terms against HINCRBY of new fields (last in a suite, as they grow both), each
unpipelined and 16 deep; Redis's hash is first driven out of its rehashing, which it does a
bucket per access, so that the pairs meet it in its steady state. The fuzzy rows: prefixes of
3 to 6 letters with one random edit, ACTOPK ... FUZZY 1 beside
RediSearch's FT.SUGGET ... FUZZY and FUZZY 2 alone, and each one's share of exact top-10
answers over a sample, against tools/fuzzy-oracle's brute force. The blend rows: the typing
prefixes with ACTOPK ... BLEND of a 1000-term user dictionary at weight 5, paired against the
same prefixes without it on the same server, unpipelined and 16 deep. The decay rows: the
dictionary again as a decaying key, ACTOPK and ACRECORD on it paired against the counting
key, ACDECAY's conversion and a rebase of the whole key timed, with ACTOPK's latency during it.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import re
import time

# The do-it-yourself top-k of plain Redis: a sorted set per prefix, every record updating
# all of them; the query is ZRANGE on the prefix's set.
ZSET_SCRIPT = """
local term = ARGV[1]
local inc = tonumber(ARGV[2])
for i = 1, #term do
  redis.call('ZINCRBY', 'p:' .. string.sub(term, 1, i), inc, term)
end
return 1
"""
REDISEARCH = "/usr/lib/redis/modules/redisearch.so"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Server:
    def __init__(self, name, argv, port, workdir):
        self.name, self.port, self.argv = name, port, argv
        self.log = open(os.path.join(workdir, name + ".log"), "a")
        self.start()

    def start(self):
        """Starts the process and waits until it answers PONG (not LOADING)."""
        self.proc = subprocess.Popen(["taskset", "-c", "0"] + self.argv, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 600
        while time.time() < deadline:
            r = subprocess.run(["redis-cli", "-p", str(self.port), "PING"], capture_output=True,
                               text=True)
            if "PONG" in r.stdout:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError(f"{self.name} did not start; see {self.log.name}")

    def kill_and_restart(self):
        """SIGKILL, then start again on the same files; returns seconds until it serves."""
        self.proc.kill()
        self.proc.wait()
        start = time.time()
        self.start()
        return time.time() - start

    def cli(self, *args):
        r = subprocess.run(["redis-cli", "-p", str(self.port)] + list(args), capture_output=True,
                           text=True, check=True)
        return r.stdout.strip()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def run_loadgen(tools, server, workload, args, rate=None, duration=None, pipeline=1, extra=()):
    """extra: more loadgen options (a later --port wins: a server's TLS port)."""
    argv = ["taskset", "-c", "1", os.path.join(tools, "loadgen"), "--port", str(server.port),
            "--workload", workload, "--connections", str(args.connections), "--duration",
            str(duration or args.duration), "--pipeline", str(pipeline), *extra]
    if rate:
        argv += ["--rate", str(rate)]
    cpu0 = cpu_seconds(server.proc.pid)
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    cpu1 = cpu_seconds(server.proc.pid)
    result = json.loads(out)
    ops = max(result["ops"], 1)
    result["cpu_us_per_op"] = (cpu1 - cpu0) * 1e6 / ops
    result["rss"] = rss_bytes(server.proc.pid)
    return result


def output_bytes(server):
    """The server's total_net_output_bytes (INFO stats)."""
    for line in server.cli("INFO", "stats").splitlines():
        if line.startswith("total_net_output_bytes:"):
            return int(line.split(":")[1])
    raise RuntimeError(f"{server.name}: no total_net_output_bytes in INFO stats")


def ceiling_value_bytes(reply_bytes):
    """Length of a string whose GET reply ($<len>\r\n<value>\r\n) is reply_bytes long;
    190 bytes (a top-10 of English-like terms) when typeahead's run is not there to tell."""
    total = round(reply_bytes) if reply_bytes else 190
    n = max(1, total - 5)
    while n > 1 and n + len(str(n)) + 5 > total:
        n -= 1
    return n


def gen(tools, path, n, fmt, **kw):
    argv = [os.path.join(tools, "gen-terms"), str(n), "--format", fmt]
    for k, v in kw.items():
        argv += ["--" + k, str(v)]
    with open(path, "wb") as f:
        subprocess.run(argv, stdout=f, check=True)
    return path


def bulk_load(server, path):
    cpu0 = cpu_seconds(server.proc.pid)
    start = time.time()
    with open(path, "rb") as f:
        r = subprocess.run(["taskset", "-c", "1", "redis-cli", "-p", str(server.port), "--pipe"],
                           stdin=f, capture_output=True, text=True)
    seconds = time.time() - start
    if "errors: 0" not in r.stdout:
        raise RuntimeError(f"loading {server.name}: {r.stdout} {r.stderr}")
    cpu1 = cpu_seconds(server.proc.pid)
    return seconds, cpu1 - cpu0


def make_certs(work):
    """A CA and a server and a client certificate it signed, for the TLS rows."""
    d = os.path.join(work, "certs")
    os.makedirs(d)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    steps = [["req", "-x509", "-new", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
              "-subj", "/CN=bench ca"]]
    for name in ("server", "client"):
        steps += [["req", "-new", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj",
                   f"/CN=bench {name}"],
                  ["x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                   "-CAcreateserial", "-out", f"{name}.crt", "-days", "2"]]
    for step in steps:
        subprocess.run(["openssl", *step], cwd=d, check=True, capture_output=True)
    return d


def run_suite(args, tools, server_bin, n, suffix, rows, planned, big=False):
    """Starts fresh servers, loads n terms into each and runs every workload against each.
    Workload names get suffix (the dictionary size of a second, bigger suite)."""
    work = tempfile.mkdtemp(prefix="typeahead-bench-")
    servers = {}
    try:
        ports = {name: free_port() for name in ("typeahead", "redis", "redis-zset", "redisearch",
                                                 "typeahead-tls", "redis-tls")}
        os.makedirs(os.path.join(work, "data"))
        # The security rows (not in the big suite): a TLS port on typeahead and on Redis, the
        # same certificates, mutual TLS as both default to; an ACL user with a key pattern.
        security = not big and (args.only is None or args.only in "topk-1to3")
        tls = {}
        if security:
            certs = make_certs(work)
            tls = {"server": ["--tls-cert-file", f"{certs}/server.crt", "--tls-key-file",
                              f"{certs}/server.key", "--tls-ca-cert-file", f"{certs}/ca.crt"],
                   "client": ["--tls-ca", f"{certs}/ca.crt", "--tls-cert", f"{certs}/client.crt",
                              "--tls-key", f"{certs}/client.key"]}
        ours_security = (["--tls-port", str(ports["typeahead-tls"]), *tls["server"], "--user",
                          "tenant", "on", ">bench-pass", "~term*", "+@autocomplete"]
                         if security else [])
        servers["typeahead"] = Server("typeahead", [
            server_bin, "--port", str(ports["typeahead"]), "--dir", os.path.join(work, "data"),
            "--threads", "1", "--save", "", "--auto-aof-rewrite-percentage", "0",
            *ours_security], ports["typeahead"], work)
        # Redis with the same durability as our default: AOF, fsync every second.
        servers["redis"] = Server("redis", [
            "redis-server", "--port", str(ports["redis"]), "--dir", work, "--save", "",
            "--appendonly", "yes", "--appendfsync", "everysec", "--enable-debug-command",
            "local",
            "--appendfilename", "redis.aof", "--appenddirname", "redis-aof",
            *(["--tls-port", str(ports["redis-tls"]), *tls["server"]] if security else [])],
            ports["redis"], work)
        # The sorted sets get a server of their own, so each RSS is one structure's.
        servers["redis-zset"] = Server("redis-zset", [
            "redis-server", "--port", str(ports["redis-zset"]), "--dir", work, "--save", "",
            "--appendonly", "yes", "--appendfsync", "everysec",
            "--appendfilename", "zset.aof", "--appenddirname", "zset-aof"],
            ports["redis-zset"], work)
        servers["redisearch"] = Server("redisearch", [
            "redis-server", "--port", str(ports["redisearch"]), "--dir", work, "--save", "",
            "--appendonly", "yes", "--appendfsync", "everysec",
            "--appendfilename", "search.aof", "--appenddirname", "search-aof",
            "--loadmodule", REDISEARCH],
            ports["redisearch"], work)
        sha = servers["redis-zset"].cli("SCRIPT", "LOAD", ZSET_SCRIPT)

        def want(name):
            return args.only is None or args.only in name

        def add(workload, system, result):
            workload += suffix
            planned.append((workload, system))
            row = {"workload": workload, "system": system, **result}
            rows.append(row)
            print(f"{workload:>10} {system:<22} {result.get('ops_per_sec', 0):>10.0f} ops/s",
                  file=sys.stderr)
            return row

        def add_paired(workload, ours, ours_path, peer, peer_path, pipeline=1, pairs=6,
                       system="typeahead vs redis GET", ours_extra=(), peer_extra=(),
                       seconds=None):
            """Short runs of ours and the peer, one after the other, `pairs` times: the
            median of the pairs' ratios. On a shared machine one run of each can land in
            different weather (a GET run here has moved between 65k and 105k ops/s within
            minutes); a pair shares it. pipeline > 1: that many commands in flight per
            connection, as redis-benchmark -P. *_extra: loadgen options of each side (TLS,
            a user)."""
            seconds = seconds or max(0.3, args.duration / 3)
            runs = [(run_loadgen(tools, ours, ours_path, args, duration=seconds,
                                 pipeline=pipeline, extra=ours_extra),
                     run_loadgen(tools, peer, peer_path, args, duration=seconds,
                                 pipeline=pipeline, extra=peer_extra))
                    for _ in range(pairs)]
            name = f"{workload} paired" + (f" P={pipeline}" if pipeline > 1 else "")
            add_pairs(add, name, system, runs, ours)

        ops = max(200000, int(args.duration * 400000))
        # topk: typing prefixes, 1 to 6 letters of a term drawn by frequency, so a fifth of
        # the queries ask a prefix not asked before; topk-1to3: 1 to 3 letters, as the issue
        # that set the targets measured the peers.
        queries = [("typeahead", "typeahead", {}), ("redis-zset", "redis-zset", {"sha": sha}),
                   ("redisearch", "redisearch", {}), ("redis GET (ceiling)", "redis", {})]
        workloads = [
            ("record", 100, {}, [("typeahead", "typeahead", {}),
                                 ("redis-hash", "redis", {"key": "h"}),
                                 ("redis-zset", "redis-zset", {"sha": sha}),
                                 ("redisearch", "redisearch", {})]),
            ("topk", 0, {}, queries),
            ("topk-1to3", 0, {"max-prefix": 3}, queries),
            ("mixed", 10, {}, [("typeahead", "typeahead", {}),
                               ("redis-zset", "redis-zset", {"sha": sha}),
                               ("redisearch", "redisearch", {})]),
            # A typo in the first letters: prefixes of 3 to 6 letters with one random edit;
            # RediSearch's FUZZY is one edit, so it stands beside FUZZY 1 only.
            ("fuzzy1", 0, {"typo": 1, "fuzzy": 1}, [("typeahead", "typeahead", {}),
                                                    ("redisearch", "redisearch", {})]),
            ("fuzzy2", 0, {"typo": 1, "fuzzy": 2}, [("typeahead", "typeahead", {})]),
        ]
        # Bulk load: the same N terms with their Zipf frequencies into every system.
        loads = {
            "typeahead": ("typeahead", "acincrby", {}),
            "redis-hash": ("redis", "hincrby", {"key": "h"}),
            "redis-zset": ("redis-zset", "zload", {"sha": sha}),
            "redisearch": ("redisearch", "sugadd", {}),
        }
        if big:
            del loads["redis-zset"]  # every prefix of every term: tens of GB at this size
        # The data goes into every server a chosen workload reads, even when --only leaves
        # out the load rows.
        used = {"typeahead"} | {server for workload, _, _, systems in workloads
                                if want(workload) for _, server, _ in systems}
        if want("mixed"):
            used.add("redisearch")
        if want("load") or (big and want("durability")):
            used |= set(servers)
        for system, (server, fmt, kw) in loads.items():
            if server not in used:
                continue
            path = gen(tools, os.path.join(work, f"load-{system}.resp"), n, fmt, **kw)
            rss0 = rss_bytes(servers[server].proc.pid)
            seconds, cpu = bulk_load(servers[server], path)
            if want("load"):
                add("load", system, {"ops": n, "seconds": seconds, "ops_per_sec": n / seconds,
                                     "cpu_us_per_op": cpu * 1e6 / n,
                                     "rss": rss_bytes(servers[server].proc.pid),
                                     "rss_added": rss_bytes(servers[server].proc.pid) - rss0})
            os.remove(path)
            if system == "redis-hash":
                settle_hash(tools, servers[server], n, work, args)
        for workload, records, gen_kw, systems in workloads:
            if not want(workload):
                continue
            reply_bytes = None  # mean ACTOPK reply, measured by typeahead's own run
            kept = {}  # format -> workload file, until the paired runs are done
            for system, server, kw in systems:
                if system == "redis-zset" and big:
                    continue
                fmt = {"typeahead": "typeahead", "redis-hash": "redis-hash",
                       "redis-zset": "redis-zset", "redisearch": "redisearch",
                       "redis GET (ceiling)": "get"}[system]
                key = "h" if system == "redis-hash" else "terms"
                if fmt == "get":
                    # A real GET of a string as long as typeahead's replies were: the same
                    # bytes on the wire, so what separates the two is the work behind them.
                    key = "ceiling"
                    servers[server].cli("SET", key, "x" * ceiling_value_bytes(reply_bytes))
                path = gen(tools, os.path.join(work, f"{workload}-{fmt}.resp"), ops, fmt,
                           dict=n, records=records, key=key, **gen_kw,
                           **{k: v for k, v in kw.items() if k == "sha"})
                out0 = output_bytes(servers[server])
                row = add(workload, system, run_loadgen(tools, servers[server], path, args))
                row["reply_bytes"] = (output_bytes(servers[server]) - out0) / max(row["ops"], 1)
                if system == "typeahead":
                    reply_bytes = row["reply_bytes"]
                kept[fmt] = path
            if workload == "record" and "redis-hash" in kept:
                for pipeline in (1, 16):
                    add_paired("record", servers["typeahead"], kept["typeahead"],
                               servers["redis"], kept["redis-hash"], pipeline=pipeline,
                               system="typeahead vs redis HINCRBY")
            if "get" in kept:
                # Unpipelined, then 16 deep (the pipelined GET figure is at P=16).
                for pipeline in (1, 16):
                    add_paired(workload, servers["typeahead"], kept["typeahead"],
                               servers["redis"], kept["get"], pipeline=pipeline)
                if security and workload in ("topk", "topk-1to3"):
                    ours, peer = servers["typeahead"], servers["redis"]
                    ours_tls = [*tls["client"], "--port", str(ports["typeahead-tls"])]
                    peer_tls = [*tls["client"], "--port", str(ports["redis-tls"])]
                    tenant = ["--user", "tenant", "--pass", "bench-pass"]
                    for pipeline in (1, 16):
                        add_paired(f"{workload} tls", ours, kept["typeahead"], peer, kept["get"],
                                   pipeline=pipeline, system="typeahead vs redis GET, TLS",
                                   ours_extra=ours_tls, peer_extra=peer_tls)
                        if workload != "topk":
                            # 1 to 3 letters: where plaintext ACTOPK pipelined is at par with
                            # GET, so the pair shows TLS's cost apart from the trie's.
                            continue
                        add_paired("topk tls", ours, kept["typeahead"], ours, kept["typeahead"],
                                   pipeline=pipeline, system="typeahead TLS vs plaintext",
                                   ours_extra=ours_tls)
                        add_paired("topk tls", peer, kept["get"], peer, kept["get"],
                                   pipeline=pipeline, system="redis GET TLS vs plaintext",
                                   ours_extra=peer_tls)
                        add_paired("topk acl", ours, kept["typeahead"], ours, kept["typeahead"],
                                   pipeline=pipeline, system="typeahead ACL user vs default",
                                   ours_extra=tenant)
            for path in kept.values():
                os.remove(path)
        if want("fuzzy"):
            fuzzy_exactness(tools, servers, n, work, add)
        # Open loop: the mixed workload at a fixed rate, latency measured from when each
        # command was due.
        if want("mixed"):
            for system, server in (("typeahead", "typeahead"), ("redisearch", "redisearch")):
                fmt = system
                path = gen(tools, os.path.join(work, f"open-{fmt}.resp"), ops, fmt, dict=n,
                           records=10)
                add("mixed@20k/s", system,
                    run_loadgen(tools, servers[server], path, args, rate=20000))
                os.remove(path)
        if not big and want("http"):
            # On the client port, where the first bytes tell HTTP from RESP: the same API as
            # http-port, which is HTTPS here since the security rows set tls-port.
            http_rows(args, tools, servers["typeahead"], ports["typeahead"], work, add)
        if big and want("durability"):
            durability(args, tools, servers, n, work, add)
        if want("blend"):
            blend_pairs(args, tools, servers, n, work, add_paired)
        if want("decay"):
            decay_pairs(args, tools, servers, n, work, add, add_paired)
        # Last: new terms grow both dictionaries, which no row after these should see.
        if want("record"):
            new_term_pairs(args, tools, servers, n, work, add_paired)
    finally:
        for s in servers.values():
            s.stop()
        shutil.rmtree(work, ignore_errors=True)



def hash_rehashing(server):
    """Whether Redis is still moving the hash h to a bigger table (DEBUG HTSTATS-KEY)."""
    return "rehashing" in server.cli("DEBUG", "HTSTATS-KEY", "h")


def settle_hash(tools, server, n, work, args):
    """Records into the hash until its table stops rehashing. Redis grows a hash's table by
    moving a bucket per access, never in the background, so a hash just loaded past a power
    of two (10M fields: 8.4M buckets to move) would give the write rows the cost of two
    lookups per command for minutes; the rows compare with Redis in its steady state."""
    path = gen(tools, os.path.join(work, "settle-hash.resp"), 200000, "redis-hash", dict=n,
               records=100, key="h")
    deadline = time.time() + 300
    while hash_rehashing(server) and time.time() < deadline:
        run_loadgen(tools, server, path, args, duration=3, pipeline=16)
    os.remove(path)


def new_term_pairs(args, tools, servers, n, work, add_paired):
    """ACINCRBY of terms not in the dictionary against HINCRBY of fields not in the hash, each
    unpipelined and 16 deep, in one-second runs: the pairs' 4M fresh terms last them."""
    fresh = min(4000000, max(200000, 40 * n))
    ours = gen(tools, os.path.join(work, "new-typeahead.resp"), fresh, "acincrby", seed=7)
    peer = gen(tools, os.path.join(work, "new-hash.resp"), fresh, "hincrby", seed=7, key="h")
    for pipeline in (1, 16):
        add_paired("record new terms", servers["typeahead"], ours, servers["redis"], peer,
                   pipeline=pipeline, system="typeahead vs redis HINCRBY",
                   seconds=min(1, args.duration))
    os.remove(ours)
    os.remove(peer)


def blend_pairs(args, tools, servers, n, work, add_paired):
    """ACTOPK of typing prefixes blended with a user's dictionary (1000 terms of another seed,
    Zipf frequencies, weight 5) against the same prefixes without BLEND, on the same server:
    what personalising a suggestion costs."""
    ours = servers["typeahead"]
    user = gen(tools, os.path.join(work, "user.resp"), 1000, "acincrby", seed=42, key="user:42")
    bulk_load(ours, user)
    os.remove(user)
    ops = max(200000, int(args.duration * 400000))
    blended = gen(tools, os.path.join(work, "blend.resp"), ops, "typeahead", dict=n, records=0,
                  blend="user:42:5")
    plain = gen(tools, os.path.join(work, "plain.resp"), ops, "typeahead", dict=n, records=0)
    for pipeline in (1, 16):
        add_paired("topk blend", ours, blended, ours, plain, pipeline=pipeline,
                   system="typeahead BLEND vs plain ACTOPK")
    os.remove(blended)
    os.remove(plain)


def decay_pairs(args, tools, servers, n, work, add, add_paired):
    """The same dictionary again under key trend, made to decay with a one-day half-life,
    against the counting one on the same server: ACTOPK of typing prefixes (with and without
    WITHSCORES) and ACRECORD of existing terms, unpipelined and 16 deep. Then what the one-pass
    operations cost at this size: ACDECAY's conversion of counts into scores, and a rebase (a
    write 600 half-lives on), each timed from the client, the latter while ACTOPK runs from
    other connections at a fixed rate, whose latencies (from when each was due) it delays."""
    ours = servers["typeahead"]
    rss0 = rss_bytes(ours.proc.pid)
    data = gen(tools, os.path.join(work, "trend.resp"), n, "acincrby", key="trend")
    bulk_load(ours, data)
    os.remove(data)
    start = time.time()
    ours.cli("ACDECAY", "trend", "86400")
    seconds = time.time() - start
    add("decay convert", "typeahead", {"ops": n, "seconds": seconds, "ops_per_sec": n / seconds,
                                       "rss": rss_bytes(ours.proc.pid),
                                       "rss_added": rss_bytes(ours.proc.pid) - rss0})
    ops = max(200000, int(args.duration * 400000))
    files = {}
    for name, kw in (("topk", {"records": 0}), ("record", {"records": 100})):
        for key in ("trend", "terms"):
            files[name, key] = gen(tools, os.path.join(work, f"decay-{name}-{key}.resp"), ops,
                                   "typeahead", dict=n, key=key, **kw)
    for name in ("topk", "record"):
        for pipeline in (1, 16):
            add_paired(f"{name} decay", ours, files[name, "trend"], ours, files[name, "terms"],
                       pipeline=pipeline, system="typeahead decaying vs counting")
    for key in ("trend", "terms"):
        files["scores", key] = gen(tools, os.path.join(work, f"decay-scores-{key}.resp"), ops,
                                   "typeahead", dict=n, key=key, records=0, withscores=1)
    add_paired("topk decay withscores", ours, files["scores", "trend"], ours,
               files["scores", "terms"], system="typeahead decaying vs counting")
    # The rebase: one write far ahead divides every stored value of the key.
    probe = subprocess.Popen(
        ["taskset", "-c", "1", os.path.join(tools, "loadgen"), "--port", str(ours.port),
         "--workload", files["topk", "terms"], "--connections", "10", "--duration", "4",
         "--rate", "5000"], stdout=subprocess.PIPE, text=True)
    time.sleep(1.5)
    ahead = int(time.time() * 1000) + 600 * 86400 * 1000
    start = time.time()
    ours.cli("ACINCRBY", "trend", "rebase-probe", "1", "AT", str(ahead))
    rebase = time.time() - start
    during = json.loads(probe.communicate()[0])
    add("decay rebase", "typeahead", {"ops": n, "seconds": rebase, "p99_us": during["p99_us"],
                                      "p50_us": during["p50_us"], "max_us": during["max_us"],
                                      "ops_per_sec": during["ops_per_sec"],
                                      "rss": rss_bytes(ours.proc.pid)})
    for path in files.values():
        os.remove(path)


def add_pairs(add, workload, system, runs, ours):
    """The row of paired runs [(ours, peer), ...]: medians of each side's figures (p50 where
    both measured it), the median of the pairs' throughput and CPU-per-request ratios."""
    mid = statistics.median
    row = {"ops": sum(a["ops"] for a, _ in runs),
           "ops_per_sec": mid(a["ops_per_sec"] for a, _ in runs),
           "peer_ops_per_sec": mid(b["ops_per_sec"] for _, b in runs),
           "p99_us": mid(a["p99_us"] for a, _ in runs),
           "peer_p99_us": mid(b["p99_us"] for _, b in runs),
           "cpu_us_per_op": mid(a["cpu_us_per_op"] for a, _ in runs),
           "peer_cpu_us_per_op": mid(b["cpu_us_per_op"] for _, b in runs),
           "rss": rss_bytes(ours.proc.pid),
           "errors": sum(a["errors"] + b["errors"] for a, b in runs)}
    if all("p50_us" in a for a, _ in runs):
        row["p50_us"] = mid(a["p50_us"] for a, _ in runs)
    row = add(workload, system, row)
    row["paired_ratio"] = mid(a["ops_per_sec"] / max(b["ops_per_sec"], 1) for a, b in runs)
    row["cpu_ratio"] = mid(a["cpu_us_per_op"] / max(b["cpu_us_per_op"], 1e-9) for a, b in runs)


def run_wrk(port, script, seconds, connections):
    """wrk (Debian's) with keep-alive on core 1: requests, requests/s, p99 µs, errors."""
    out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}",
                          f"-d{seconds}s", "--latency", "-s", script,
                          f"http://127.0.0.1:{port}/"],
                         capture_output=True, text=True, check=True).stdout
    def unit_us(value, unit):
        return float(value) * {"us": 1, "ms": 1e3, "s": 1e6}[unit]
    if "requests in" not in out or " 0 requests in" in out:
        print(f"bench: wrk served nothing:\n{out}", file=sys.stderr)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    return {"ops": requests, "ops_per_sec": rate, "p99_us": unit_us(*p99.groups()),
            "errors": (int(bad.group(1)) if bad else 0) +
                      (sum(map(int, errors.groups())) if errors else 0)}


def http_rows(args, tools, server, http_port, work, add, pairs=3):
    """GET /v1/keys/terms/topk from wrk against ACTOPK over RESP from loadgen, the same
    prefixes (1 to 3 letters of the dictionary's best terms), both 50 connections and
    unpipelined, alternating: the median of the pairs' server CPU per request."""
    terms = server.cli("ACTOPK", "terms", "", "1000").split("\n")
    prefixes = sorted({t[:i] for t in terms for i in (1, 2, 3) if len(t) >= i})
    enc = lambda s: "".join(c if c.isalnum() else "%%%02X" % ord(c) for c in s)
    script = os.path.join(work, "topk.lua")
    with open(script, "w") as f:
        f.write("local prefixes = {" + ",".join(f'"{enc(p)}"' for p in prefixes) + "}\n"
                "local i = 0\n"
                "request = function()\n"
                "  i = i % #prefixes + 1\n"
                "  return wrk.format('GET', '/v1/keys/terms/topk?k=10&prefix=' .. prefixes[i])\n"
                "end\n")
    resp = os.path.join(work, "topk-http-peer.resp")
    with open(resp, "wb") as f:
        for i in range(200000):
            p = prefixes[i % len(prefixes)].encode()
            f.write(b"*4\r\n$6\r\nACTOPK\r\n$5\r\nterms\r\n$%d\r\n%s\r\n$2\r\n10\r\n"
                    % (len(p), p))
    seconds = max(1, round(args.duration / 3))
    runs = []
    for _ in range(pairs):
        cpu0 = cpu_seconds(server.proc.pid)
        h = run_wrk(http_port, script, seconds, args.connections)
        h["cpu_us_per_op"] = (cpu_seconds(server.proc.pid) - cpu0) * 1e6 / max(h["ops"], 1)
        r = run_loadgen(tools, server, resp, args, duration=seconds)
        runs.append((h, r))
    add_pairs(add, "topk-http paired", "typeahead HTTP vs RESP", runs, server)
    os.remove(resp)


def fuzzy_exactness(tools, servers, n, work, add, queries=40):
    """The share of typo queries (the fuzzy workloads' kind) each system answers with the
    exact top 10, as tools/fuzzy-oracle finds it by brute force over every term: ACTOPK ...
    FUZZY 1 and 2, and RediSearch's FT.SUGGET ... FUZZY (one edit) against FUZZY 1's."""
    import redis  # Debian's python3-redis, which scripts/setup installs
    terms = gen(tools, os.path.join(work, "terms.lines"), n, "lines")
    path = gen(tools, os.path.join(work, "typos.txt"), queries, "prefixes", dict=n, typo=1,
               seed=7)
    with open(path) as f:
        qs = [line for line in f.read().split("\n") if line]
    ours = redis.Redis(port=servers["typeahead"].port, decode_responses=True)
    theirs = redis.Redis(port=servers["redisearch"].port, decode_responses=True)
    for d in (1, 2):
        out = subprocess.run([os.path.join(tools, "fuzzy-oracle"), terms, str(d), "10"],
                             input="".join(q + "\n" for q in qs), capture_output=True,
                             text=True, check=True).stdout.split("\n")
        exact = [line.split("\t") if line else [] for line in out[:len(qs)]]
        asks = [("typeahead", lambda q: ours.execute_command("ACTOPK", "terms", q, 10, "FUZZY", d))]
        if d == 1:
            asks.append(("redisearch", lambda q: theirs.execute_command(
                "FT.SUGGET", "terms", q, "MAX", 10, "FUZZY") or []))
        for system, ask in asks:
            same = sum(ask(q) == e for q, e in zip(qs, exact))
            add(f"fuzzy{d} exact top-10", system,
                {"ops": len(qs), "ops_per_sec": 0, "exact_share": same / len(qs),
                 "rss": rss_bytes(servers[system].proc.pid)})
    os.remove(terms)
    os.remove(path)


def durability(args, tools, servers, n, work, add):
    """appendfsync modes, latency during a background save, and restart time: typeahead
    against Redis holding the same terms in a hash (RediSearch persists as Redis does)."""
    pairs = (("typeahead", "typeahead", "typeahead"), ("redis-hash", "redis", "redis-hash"))
    ops = max(200000, int(args.duration * 400000))
    for i, mode in enumerate(("always", "everysec", "no")):
        # A run right after disk-heavy runs is slowed by the disk work they left: on this VM,
        # records after an fsync=always run went 46k, then 52k, then 65k/s on the same 10M
        # server. With typeahead always first, its fsync=no row read 29k against Redis's
        # 75-78k in two full runs. So the order alternates, and the workload file (hundreds
        # of MB, written just before) is on disk before the clock starts.
        for system, server, fmt in pairs if i % 2 == 0 else pairs[::-1]:
            servers[server].cli("CONFIG", "SET", "appendfsync", mode)
            key = "h" if system == "redis-hash" else "terms"
            path = gen(tools, os.path.join(work, "fsync.resp"), ops, fmt, dict=n, records=100,
                       key=key)
            os.sync()
            add(f"record fsync={mode}", system, run_loadgen(tools, servers[server], path, args))
            os.remove(path)
    for system, server, fmt in pairs:
        servers[server].cli("CONFIG", "SET", "appendfsync", "everysec")
    # A fixed 20k ops/s (typeahead: 10% records, 90% top-k; Redis: HINCRBY) while BGSAVE runs.
    seconds = max(args.duration, 20)
    for system, server, fmt in pairs:
        key = "h" if system == "redis-hash" else "terms"
        path = gen(tools, os.path.join(work, "bgsave.resp"), int(seconds * 20000), fmt,
                   dict=n, records=10, key=key)
        argv = ["taskset", "-c", "1", os.path.join(tools, "loadgen"), "--port",
                str(servers[server].port), "--workload", path, "--connections",
                str(args.connections), "--duration", str(seconds), "--rate", "20000"]
        load = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        time.sleep(2)
        started = time.time()
        servers[server].cli("BGSAVE")
        while "rdb_bgsave_in_progress:1" in servers[server].cli("INFO", "persistence"):
            time.sleep(0.05)
        save_seconds = time.time() - started
        result = json.loads(load.communicate()[0])
        result["bgsave_seconds"] = save_seconds
        result["rss"] = rss_bytes(servers[server].proc.pid)
        add("mixed@20k/s during BGSAVE", system, result)
        os.remove(path)
    for system, server, fmt in pairs:
        restart = servers[server].kill_and_restart()
        add("restart after kill -9", system,
            {"ops": 1, "seconds": restart, "ops_per_sec": 1 / restart,
             "rss": rss_bytes(servers[server].proc.pid)})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--full", action="store_true")
    p.add_argument("--only", default=None, help="run only workloads whose name contains this")
    p.add_argument("--n", type=int, default=None, help="unique terms loaded")
    p.add_argument("--duration", type=float, default=None, help="seconds per run")
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--json", default="bench-results.json")
    p.add_argument("--build", default=None, help="build directory (default build-release)")
    p.add_argument("--big", type=int, default=10000000,
                   help="--full: terms of the second suite, with the durability figures")
    args = p.parse_args()
    if args.n is None:
        args.n = 20000 if args.quick else 1000000
    if args.duration is None:
        args.duration = 2 if args.quick else 10
    build = args.build or os.path.join(args.root, "build-release")
    tools = os.path.join(build, "tools")
    server_bin = os.path.join(build, "server", "typeahead-server")
    rows, planned = [], []
    run_suite(args, tools, server_bin, args.n, "", rows, planned)
    if args.full and args.big > 0:
        label = f"{args.big // 1000000}M" if args.big % 1000000 == 0 else str(args.big)
        run_suite(args, tools, server_bin, args.big, f", {label}", rows, planned, big=True)

    # Every planned row must be there, with operations done and no errors.
    produced = {(r["workload"], r["system"]) for r in rows
                if r.get("ops", 0) > 0 and r.get("errors", 0) == 0}
    missing = [p for p in planned if p not in produced]
    if missing:
        print(f"bench: rows missing or failed: {missing}", file=sys.stderr)
        sys.exit(1)
    # Ratios against typeahead's row of the same workload.
    ours = {r["workload"]: r for r in rows if r["system"] == "typeahead"}
    for r in rows:
        t = ours.get(r["workload"])
        if "paired_ratio" in r:
            r["ratio"] = r["paired_ratio"]
        elif r["system"] == "typeahead" or t is None or "exact_share" in r:
            r["ratio"] = None
        elif r["workload"].startswith(("load", "restart")):
            r["ratio"] = r["seconds"] / t["seconds"]
        else:
            r["ratio"] = t["ops_per_sec"] / max(r["ops_per_sec"], 1)
    meta = {"terms": args.n, "seconds_per_run": args.duration,
            "connections": args.connections, "mode": "quick" if args.quick else "full",
            "time": time.strftime("%Y-%m-%d %H:%M:%S")}
    with open(args.json, "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
    print(f"{args.n} terms, {args.connections} connections, {args.duration} s per run; "
          "servers on core 0, loadgen on core 1\n")
    print("| workload | system | ops/s | p50 µs | p99 µs | p99.9 µs | max µs | time s | "
          "server CPU µs/op | server RSS MB | typeahead/peer | CPU/op first/second | "
          "exact top-10 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        def f(key, fmt="{:.1f}"):
            return fmt.format(r[key]) if r.get(key) is not None else "-"
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        timed = r["workload"].startswith(("load", "restart", "decay "))
        seconds = r["seconds"] if timed else r.get("bgsave_seconds")
        digits = 3 if r["workload"].startswith("decay ") else 1
        rate = "-" if r["workload"].startswith("restart") else f"{r['ops_per_sec']:.0f}"
        print(f"| {r['workload']} | {r['system']} | {rate} | {f('p50_us')} | "
              f"{f('p99_us')} | {f('p999_us')} | {f('max_us', '{:.0f}')} | "
              f"{'-' if seconds is None else f'{seconds:.{digits}f}'} | "
              f"{f('cpu_us_per_op', '{:.2f}')} | {r['rss'] / 1e6:.1f} | {ratio} | "
              f"{f('cpu_ratio', '{:.3f}')} | {f('exact_share', '{:.0%}')} |")


if __name__ == "__main__":
    main()
