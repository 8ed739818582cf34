"""Replication figures for typeahead, with Redis run the same way on the same data.

  full sync   N terms loaded into a primary, then a replica attached: seconds until its link is
              up and bytes sent (typeahead with and without repl-compression zstd; Redis: a
              hash of the same N term -> count, diskless sync, no delay).
  throughput  records/s the primary sustains (loadgen, closed loop) with 0, 1 and 2 replicas.
  lag         during the 1-replica run, how far behind the replica is: a clock counter is
              bumped on the primary every 50 ms and read on the replica every 20 ms.

Both run as one core's worth of server without an append-only log (typeahead --threads 1
--appendonly no; Redis appendonly no). The primary gets core 0 and the load generator core 1;
replicas are not pinned (a 2-core machine cannot give every process a core of its own: read
the replica runs as contended).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import cpu_seconds, free_port, gen  # noqa: E402

import redis  # noqa: E402  (Debian's python3-redis, for /usr/bin/python3)


class Proc:
    def __init__(self, name, argv, port, workdir, cpus=None):
        self.name, self.port = name, port
        self.log = open(os.path.join(workdir, name + ".log"), "a")
        pin = ["taskset", "-c", cpus] if cpus else []
        self.proc = subprocess.Popen(pin + argv, stdout=self.log, stderr=subprocess.STDOUT)
        self.r = redis.Redis(port=port, socket_timeout=600)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if self.r.ping():
                    return
            except redis.exceptions.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError(f"{name} did not start")

    def info(self, section):
        return self.r.info(section)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start(kind, name, work, cpus=None, extra=()):
    port = free_port()
    data = os.path.join(work, name)
    os.makedirs(data)
    if kind == "typeahead":
        # One thread, no log: one core's worth of server, persisting as little as Redis here.
        argv = [ARGS.server, "--port", str(port), "--dir", data, "--save", "", "--threads", "1",
                "--appendonly", "no", *extra]
    else:
        argv = ["redis-server", "--port", str(port), "--dir", data, "--save", "",
                "--appendonly", "no", "--repl-diskless-sync", "yes",
                "--repl-diskless-sync-delay", "0", *extra]
    return Proc(name, argv, port, work, cpus)


def load(p, path):
    with open(path, "rb") as f:
        out = subprocess.run(["taskset", "-c", "1", "redis-cli", "-p", str(p.port), "--pipe"],
                             stdin=f, capture_output=True, text=True)
    if "errors: 0" not in out.stdout:
        raise RuntimeError(f"loading {p.name}: {out.stdout} {out.stderr}")


def attach(primary, replica, timeout=1800):
    start_time = time.time()
    replica.r.execute_command("REPLICAOF", "127.0.0.1", primary.port)
    while time.time() - start_time < timeout:
        rep = replica.info("replication")
        if rep.get("master_link_status") == "up" and not rep.get("master_sync_in_progress"):
            return time.time() - start_time
        time.sleep(0.05)
    raise RuntimeError(f"{replica.name} did not sync in {timeout} s")


def full_sync(kind, n, work, extra=()):
    path = os.path.join(work, f"load-{kind}-{n}.resp")
    if not os.path.exists(path):
        gen(ARGS.tools, path, n, "acincrby" if kind == "typeahead" else "hincrby", key="k")
    primary = start(kind, f"{kind}-p-{n}-{len(extra)}", work, "0", extra)
    replica = start(kind, f"{kind}-r-{n}-{len(extra)}", work)
    try:
        load(primary, path)
        seconds = attach(primary, replica)
        stats = primary.info("stats")
        return {"seconds": seconds, "bytes": stats.get("total_net_repl_output_bytes", 0)}
    finally:
        primary.stop()
        replica.stop()


def lag_probe(primary, replica, kind, stop, out):
    """Bumps a clock on the primary every 50 ms; the replica's copy tells how old it is."""
    base = time.time()

    def writer():
        last = 0
        while not stop.is_set():
            now = int((time.time() - base) * 1000)
            if kind == "typeahead":
                primary.r.execute_command("ACINCRBY", "clock", "ms", now - last)
            else:
                primary.r.execute_command("HINCRBY", "clock", "ms", now - last)
            last = now
            time.sleep(0.05)

    t = threading.Thread(target=writer)
    t.start()
    while not stop.is_set():
        if kind == "typeahead":
            v = replica.r.execute_command("ACSCORE", "clock", "ms")
        else:
            v = replica.r.execute_command("HGET", "clock", "ms")
        if v is not None:
            out.append((time.time() - base) * 1000 - int(v))
        time.sleep(0.02)
    t.join()


def throughput(kind, replicas, work, n):
    wl = os.path.join(work, f"writes-{kind}.resp")
    if not os.path.exists(wl):
        fmt = "typeahead" if kind == "typeahead" else "redis-hash"
        gen(ARGS.tools, wl, 500000, fmt, records=100, key="k", dict=n)
    primary = start(kind, f"{kind}-tp-{replicas}", work, "0")
    reps = [start(kind, f"{kind}-tr-{replicas}-{i}", work) for i in range(replicas)]
    try:
        for r in reps:
            attach(primary, r)
        lags, stop = [], threading.Event()
        probe = None
        if reps:
            probe = threading.Thread(target=lag_probe, args=(primary, reps[0], kind, stop, lags))
            probe.start()
        cpu0 = cpu_seconds(primary.proc.pid)
        argv = ["taskset", "-c", "1", os.path.join(ARGS.tools, "loadgen"), "--port",
                str(primary.port), "--workload", wl, "--connections", "50", "--duration",
                str(ARGS.duration)]
        result = json.loads(subprocess.run(argv, capture_output=True, text=True,
                                           check=True).stdout)
        result["cpu_us_per_op"] = (cpu_seconds(primary.proc.pid) - cpu0) * 1e6 / result["ops"]
        stop.set()
        if probe:
            probe.join()
        if lags:
            lags.sort()
            result["lag_ms_p50"] = lags[len(lags) // 2]
            result["lag_ms_p99"] = lags[len(lags) * 99 // 100]
            result["lag_ms_max"] = lags[-1]
        return result
    finally:
        primary.stop()
        for r in reps:
            r.stop()


def main():
    work = tempfile.mkdtemp(prefix="typeahead-replbench-")
    results = {"full_sync": [], "throughput": []}
    try:
        for n in ARGS.n if ARGS.only in (None, "sync") else []:
            for kind, extra, label in [("typeahead", (), "typeahead"),
                                       ("typeahead", ("--repl-compression", "zstd"),
                                        "typeahead zstd"),
                                       ("redis", (), "redis hash")]:
                r = full_sync(kind, n, work, extra)
                r.update({"terms": n, "system": label})
                results["full_sync"].append(r)
                print(f"full sync {n:>9} terms {label:<15} {r['seconds']:7.2f} s "
                      f"{r['bytes'] / 1e6:8.1f} MB", flush=True)
        for replicas in (0, 1, 2) if ARGS.only in (None, "throughput") else []:
            for kind in ("typeahead", "redis"):
                r = throughput(kind, replicas, work, ARGS.n[0])
                r.update({"replicas": replicas, "system": kind})
                results["throughput"].append(r)
                lag = (f" lag p50 {r['lag_ms_p50']:.0f} ms p99 {r['lag_ms_p99']:.0f} ms "
                       f"max {r['lag_ms_max']:.0f} ms" if "lag_ms_p50" in r else "")
                print(f"records, {replicas} replicas, {kind:<9} {r['ops_per_sec']:>9.0f} ops/s "
                      f"p99 {r['p99_us']:>7.0f} us cpu {r['cpu_us_per_op']:.2f} us/op{lag}",
                      flush=True)
        for replicas in sorted({r["replicas"] for r in results["throughput"]}):
            t = [r for r in results["throughput"] if r["replicas"] == replicas]
            ours = next(r for r in t if r["system"] == "typeahead")["ops_per_sec"]
            theirs = next(r for r in t if r["system"] == "redis")["ops_per_sec"]
            print(f"records with {replicas} replicas: typeahead / Redis = {ours / theirs:.2f}")
        with open(ARGS.json, "w") as f:
            json.dump(results, f, indent=1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--build", default=None)
    p.add_argument("--n", type=int, nargs="+", default=[1000000])
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--json", default="bench-replication.json")
    p.add_argument("--only", choices=["sync", "throughput"], default=None)
    ARGS = p.parse_args()
    build = ARGS.build or os.path.join(ARGS.root, "build-release")
    ARGS.server = os.path.join(build, "server", "typeahead-server")
    ARGS.tools = os.path.join(build, "tools")
    main()
