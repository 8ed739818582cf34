"""The monitoring stack operators run on Redis, against the real server binary: Debian's
prometheus-redis-exporter scrapes typeahead, and a real Prometheus scrapes the exporter and the
server's own /metrics (on the client port and on metrics-port), for a primary and its replica.

  1. The exporter logs no error (an unknown command it sends, a reply it cannot parse).
  2. Every metric a Redis dashboard reads is in Prometheus, and those that count move when
     commands run: commands per command and their time, errors by code, the slow log, the
     reads and writes processed, clients, memory and its peak, shard 0's CPU.
  3. The server's /metrics has every redis_* name the exporter makes of it, with the same
     label names, on the primary and on the replica, and the same values where they cannot
     move between two scrapes; promtool parses it; Prometheus scrapes it directly.
  4. The typeahead_* series: per-command latency histograms whose count is the command's
     calls, terms per dictionary, memo hits, log fsync latency, replica lag in bytes, shard
     CPU; keyspace hits and misses count ACTOPK's and ACSCORE's found and empty replies.

Every process is started here and stopped by pid; every wait is bounded. Exit status 0 when
all holds. Usage: exporter_test.py <typeahead-server>
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

import redis
from harness import check, finish, free_port, stop_all, wait_for

SERVER = sys.argv[1]
CONTRIB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "contrib")
ALERTS = os.path.join(CONTRIB, "prometheus", "typeahead-alerts.yml")
DASHBOARD_JSON = os.path.join(CONTRIB, "grafana", "typeahead-dashboard.json")
# What a Redis dashboard graphs (the exporter's names for INFO's fields and commands).
DASHBOARD = [
    "redis_up", "redis_uptime_in_seconds", "redis_connected_clients", "redis_blocked_clients",
    "redis_memory_used_bytes", "redis_memory_used_rss_bytes", "redis_memory_used_peak_bytes",
    "redis_memory_max_bytes", "redis_mem_fragmentation_ratio", "redis_commands_processed_total",
    "redis_commands_total", "redis_commands_duration_seconds_total",
    "redis_net_input_bytes_total",
    "redis_net_output_bytes_total", "redis_errors_total", "redis_total_error_replies",
    "redis_total_reads_processed", "redis_total_writes_processed", "redis_slowlog_length",
    "redis_slowlog_last_id", "redis_cpu_user_main_thread_seconds_total", "redis_db_keys",
    "redis_connected_slaves", "redis_rdb_last_save_timestamp_seconds",
]


def query(port, expr):
    """The instant vector of a PromQL expression, as {labels: value}."""
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=5) as r:
        data = json.load(r)
    return {json.dumps(x["metric"], sort_keys=True): float(x["value"][1])
            for x in data["data"]["result"]}


def value(port, expr):
    v = query(port, expr)
    return next(iter(v.values())) if v else None


def scrape(port, path="/metrics"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        return r.read().decode()


def samples(text):
    """{(name, ((label, value), ...)): value} of an exposition, labels sorted."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$', line)
        if not m:
            continue
        labels = tuple(sorted(re.findall(r'([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"', m.group(2) or "")))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def shapes(s):
    """The (name, label names) of samples(), the exporter's own series left out."""
    own = ("redis_exporter_", "redis_target_scrape_", "redis_last_key_groups_scrape_")
    return {(name, tuple(k for k, _ in labels)) for name, labels in s
            if name.startswith("redis_") and not name.startswith(own)}


def same_names(exporter_port, port, who):
    """Our /metrics against the exporter's scrape of the same server."""
    theirs, ours = samples(scrape(exporter_port)), samples(scrape(port))
    missing = sorted(shapes(theirs) - shapes(ours))
    extra = sorted(shapes(ours) - shapes(theirs))
    check(not missing, f"{who}: /metrics has every redis_* series the exporter makes "
          f"({len(shapes(theirs))}; missing {missing[:5]})")
    check(not extra, f"{who}: /metrics has no redis_* series the exporter does not make "
          f"({extra[:5]})")
    return theirs, ours


def main():
    work = tempfile.mkdtemp(prefix="typeahead-exporter-")
    procs = []
    try:
        port, metrics_port, replica_port = free_port(), free_port(), free_port()
        exporter_port, replica_exporter_port, prom_port = free_port(), free_port(), free_port()
        logs = {name: open(os.path.join(work, name + ".log"), "w")
                for name in ("server", "replica", "exporter", "replica-exporter", "prometheus")}
        procs.append(subprocess.Popen(
            [SERVER, "--port", str(port), "--dir", os.path.join(work, "data"), "--threads", "2",
             "--slowlog-log-slower-than", "0", "--metrics-port", str(metrics_port)],
            stdout=logs["server"], stderr=subprocess.STDOUT))
        r = redis.Redis(port=port, socket_timeout=5)
        wait_for(r.ping, 10, "the server answers")
        procs.append(subprocess.Popen(
            [SERVER, "--port", str(replica_port), "--dir", os.path.join(work, "replica"),
             "--threads", "2", "--replicaof", "127.0.0.1", str(port)],
            stdout=logs["replica"], stderr=subprocess.STDOUT))
        rr = redis.Redis(port=replica_port, socket_timeout=5)
        for name, target, listen in (("exporter", port, exporter_port),
                                     ("replica-exporter", replica_port, replica_exporter_port)):
            procs.append(subprocess.Popen(
                ["prometheus-redis-exporter", "-redis.addr", f"redis://127.0.0.1:{target}",
                 "-web.listen-address", f"127.0.0.1:{listen}"],
                stdout=logs[name], stderr=subprocess.STDOUT))
        conf = os.path.join(work, "prometheus.yml")
        with open(conf, "w") as f:
            f.write(f"global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    f"rule_files:\n  - {ALERTS}\nscrape_configs:\n")
            for job, target in (("typeahead", exporter_port), ("direct", port),
                                ("metrics-port", metrics_port), ("replica", replica_port)):
                f.write(f"  - job_name: {job}\n    static_configs:\n"
                        f"      - targets: ['127.0.0.1:{target}']\n")
        procs.append(subprocess.Popen(
            ["prometheus", f"--config.file={conf}", f"--storage.tsdb.path={work}/tsdb",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdout=logs["prometheus"], stderr=subprocess.STDOUT))
        wait_for(lambda: value(prom_port, 'redis_up{job="typeahead"}') == 1, 60,
                 "Prometheus sees redis_up 1")
        wait_for(lambda: rr.info("replication").get("master_link_status") == "up", 20,
                 "the replica's link is up")

        acrecord = 'redis_commands_total{job="typeahead",cmd="acrecord"}'
        before = value(prom_port, acrecord) or 0
        p = r.pipeline(transaction=False)
        for i in range(500):
            p.execute_command("ACRECORD", "terms", f"term{i % 50}")
        p.execute()
        # A dictionary name that is no UTF-8, with a quote: a label value Prometheus must
        # still parse (one such key must not break the scrape).
        r.execute_command("ACRECORD", b'bad\xff"key\\', "term")
        # The memo keeps renderings in dictionaries of 1024 terms or more (storage/topk_memo.h).
        for i in range(5000):
            p.execute_command("ACRECORD", "memo", f"w{i}")
        p.execute()
        for _ in range(3):
            r.execute_command("ACTOPK", "memo", "w1", 10)
        for prefix in ("t", "te", "ter", "term1", "term1", "zzz"):
            r.execute_command("ACTOPK", "terms", prefix, 10)
        r.execute_command("ACSCORE", "terms", "term1")
        r.execute_command("ACSCORE", "terms", "nosuch")
        for _ in range(3):
            try:
                r.execute_command("ACINCRBY", "terms", "x", "notanumber")
            except redis.exceptions.ResponseError:
                pass
        wait_for(lambda: (value(prom_port, acrecord) or 0) >= before + 500, 30,
                 "redis_commands_total{cmd=acrecord} moves by 500")
        wait_for(lambda: (value(prom_port, 'redis_errors_total{job="typeahead",err="ERR"}')
                          or 0) >= 3, 30, "redis_errors_total{err=ERR} counts the 3 errors")
        job = lambda name: value(prom_port, name.replace("{", '{job="typeahead",', 1)
                                 if "{" in name else name + '{job="typeahead"}') or 0
        check(job('redis_commands_duration_seconds_total{cmd="actopk"}') > 0,
              "ACTOPK's time is in redis_commands_duration_seconds_total")
        check(job("redis_slowlog_length") > 0, "the slow log has entries")
        check(job("redis_total_reads_processed") > 0, "reads are counted")
        check(job('redis_db_keys{db="db0"}') == 3, "db0 holds three keys")
        check(job("redis_memory_used_peak_bytes") >= job("redis_memory_used_bytes") * 0.5,
              "the memory peak is there")
        for name in DASHBOARD:
            check(bool(query(prom_port, name + '{job="typeahead"}')),
                  f"{name} is in Prometheus")

        # The server's own /metrics, name for name with the exporter's.
        wait_for(lambda: rr.execute_command("ACCARD", "memo") == 5000, 10,
                 "the replica has the writes")
        theirs, ours = same_names(exporter_port, port, "primary")
        same_names(replica_exporter_port, replica_port, "replica")
        for key in [("redis_db_keys", (("db", "db0"),)),
                    ("redis_commands_total", (("cmd", "acrecord"),)),
                    ("redis_errors_total", (("err", "ERR"),)),
                    ("redis_connected_slaves", ()), ("redis_keyspace_hits_total", ()),
                    ("redis_keyspace_misses_total", ()), ("redis_memory_max_bytes", ()),
                    ("redis_config_maxclients", ())]:
            check(key in ours and theirs.get(key) == ours[key],
                  f"{key[0]}{dict(key[1])} is {theirs.get(key)} in both")
        info = [k for k in ours if k[0] == "redis_instance_info"]
        check(len(info) == 1 and info[0] in theirs, "redis_instance_info's labels are the same")
        check(ours[("redis_keyspace_hits_total", ())] == 9 and
              ours[("redis_keyspace_misses_total", ())] == 2,
              "keyspace hits count 8 ACTOPK and 1 ACSCORE that found terms, misses the 2 empty")
        lint = subprocess.run(["promtool", "check", "metrics"], input=scrape(port),
                              capture_output=True, text=True)
        # Its naming advice (units, _total) is about names the exporter chose: kept as they are.
        errors = [line for line in (lint.stdout + lint.stderr).splitlines()
                  if line and "should" not in line]
        check(not errors, f"promtool parses /metrics ({errors[:3]})")

        # Ours.
        calls = ours[("redis_commands_total", (("cmd", "acrecord"),))]
        check(ours.get(("typeahead_command_duration_seconds_count", (("cmd", "acrecord"),)))
              == calls and
              ours.get(("typeahead_command_duration_seconds_bucket",
                        (("cmd", "acrecord"), ("le", "+Inf")))) == calls,
              "typeahead_command_duration_seconds counts every ACRECORD")
        buckets = sorted((float(dict(l)["le"]), v) for (n, l), v in ours.items()
                         if n == "typeahead_command_duration_seconds_bucket" and
                         dict(l)["cmd"] == "acrecord" and dict(l)["le"] != "+Inf")
        check(len(buckets) > 10 and all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])),
              "its buckets are cumulative")
        check(ours.get(("typeahead_key_terms", (("key", "terms"),))) == 50 and
              ours.get(("typeahead_terms", ())) == 5051, "typeahead_key_terms{key=terms} is 50")
        check(ours.get(("typeahead_key_terms", (("key", 'bad\ufffd\\"key\\\\'),))) == 1,
              "a name that is no UTF-8 is a valid label, its bad byte U+FFFD")
        check(ours.get(("typeahead_memo_hits_total", ())) == 2,
              "the repeated ACTOPK memo w1 10 is two memo hits")
        lag = [v for (n, l), v in ours.items() if n == "typeahead_replica_lag_bytes"]
        check(len(lag) == 1 and lag[0] >= 0, "typeahead_replica_lag_bytes has the replica")
        check(("typeahead_shard_cpu_seconds_total", (("mode", "user"), ("shard", "1"))) in ours,
              "typeahead_shard_cpu_seconds_total has shard 1")
        wait_for(lambda: samples(scrape(port)).get(
            ("typeahead_log_fsync_duration_seconds_count", ()), 0) > 0, 5,
            "typeahead_log_fsync_duration_seconds counts the everysec fsyncs", say_ok=True)
        check(scrape(metrics_port).count("\nredis_up 1\n") == 1, "metrics-port serves the same")

        for j in ("direct", "metrics-port", "replica"):
            wait_for(lambda: value(prom_port, f'up{{job="{j}"}}') == 1, 20,
                     f"Prometheus scrapes /metrics directly (job {j})", say_ok=True)
        for name in DASHBOARD:
            check(bool(query(prom_port, name + '{job="direct"}')),
                  f"{name} is in Prometheus from /metrics")

        # contrib/: every panel of the dashboard is valid PromQL and has data; every alert
        # rule is loaded and evaluates.
        with open(DASHBOARD_JSON) as f:
            dashboard = json.load(f)
        def has_data(panel):  # rate() needs two samples of a series in its window
            return sum(len(query(prom_port, t["expr"].replace("$__rate_interval", "1m")
                                 .replace("$instance", ".*"))) for t in panel["targets"]) > 0
        for panel in dashboard["panels"]:
            wait_for(lambda: has_data(panel), 30, f"dashboard panel '{panel['title']}' has data",
                     interval=0.5, say_ok=True)
        url = f"http://127.0.0.1:{prom_port}/api/v1/rules"
        wait_for(lambda: sum(len(g["rules"]) for g in json.load(urllib.request.urlopen(
            url, timeout=5))["data"]["groups"]) == 10, 20, "Prometheus loads the 10 alert rules")
        with urllib.request.urlopen(url, timeout=5) as resp:
            rules = [r for g in json.load(resp)["data"]["groups"] for r in g["rules"]]
        wait_for(lambda: all(r["health"] == "ok" for g in json.load(urllib.request.urlopen(
            url, timeout=5))["data"]["groups"] for r in g["rules"]), 20,
            "every alert rule evaluates (health ok)", say_ok=True)
        firing = [r["name"] for r in rules if r["state"] != "inactive"]
        check(not firing, f"no alert fires on a healthy pair ({firing})")

        for name in ("exporter", "replica-exporter"):
            with open(os.path.join(work, name + ".log")) as f:
                exporter_log = f.read()
            bad = [line for line in exporter_log.splitlines()
                   if "level=error" in line or "unknown command" in line]
            check(not bad, f"the {name} logs no error ({bad[:3]})")
    finally:
        stop_all(procs)
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
