"""The monitoring stack operators run on Redis, against the real server binary: Debian's
prometheus-redis-exporter scrapes typeahead and a real Prometheus scrapes the exporter.

  1. The exporter logs no error (an unknown command it sends, a reply it cannot parse).
  2. Every metric a Redis dashboard reads is in Prometheus, and those that count move when
     commands run: commands per command and their time, errors by code, the slow log, the
     reads and writes processed, clients, memory and its peak, shard 0's CPU.

Every process is started here and stopped by pid; every wait is bounded. Exit status 0 when
all holds. Usage: exporter_test.py <typeahead-server>
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

import redis
from harness import check, finish, free_port, wait_for

SERVER = sys.argv[1]
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


def main():
    work = tempfile.mkdtemp(prefix="typeahead-exporter-")
    procs = []
    try:
        port, exporter_port, prom_port = free_port(), free_port(), free_port()
        logs = {name: open(os.path.join(work, name + ".log"), "w")
                for name in ("server", "exporter", "prometheus")}
        procs.append(subprocess.Popen(
            [SERVER, "--port", str(port), "--dir", os.path.join(work, "data"), "--threads", "2",
             "--slowlog-log-slower-than", "0"], stdout=logs["server"], stderr=subprocess.STDOUT))
        r = redis.Redis(port=port, socket_timeout=5)
        wait_for(r.ping, 10, "the server answers")
        procs.append(subprocess.Popen(
            ["prometheus-redis-exporter", "-redis.addr", f"redis://127.0.0.1:{port}",
             "-web.listen-address", f"127.0.0.1:{exporter_port}"],
            stdout=logs["exporter"], stderr=subprocess.STDOUT))
        conf = os.path.join(work, "prometheus.yml")
        with open(conf, "w") as f:
            f.write("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: typeahead\n"
                    f"    static_configs:\n      - targets: ['127.0.0.1:{exporter_port}']\n")
        procs.append(subprocess.Popen(
            ["prometheus", f"--config.file={conf}", f"--storage.tsdb.path={work}/tsdb",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdout=logs["prometheus"], stderr=subprocess.STDOUT))
        wait_for(lambda: value(prom_port, "redis_up") == 1, 60, "Prometheus sees redis_up 1")

        before = value(prom_port, 'redis_commands_total{cmd="acrecord"}') or 0
        p = r.pipeline(transaction=False)
        for i in range(500):
            p.execute_command("ACRECORD", "terms", f"term{i % 50}")
        p.execute()
        for prefix in ("t", "te", "ter"):
            r.execute_command("ACTOPK", "terms", prefix, 10)
        for _ in range(3):
            try:
                r.execute_command("ACINCRBY", "terms", "x", "notanumber")
            except redis.exceptions.ResponseError:
                pass
        wait_for(lambda: (value(prom_port, 'redis_commands_total{cmd="acrecord"}') or 0)
                 >= before + 500, 30, "redis_commands_total{cmd=acrecord} moves by 500")
        wait_for(lambda: (value(prom_port, 'redis_errors_total{err="ERR"}') or 0) >= 3, 30,
                 "redis_errors_total{err=ERR} counts the 3 errors")
        check((value(prom_port, 'redis_commands_duration_seconds_total{cmd="actopk"}') or 0) > 0,
              "ACTOPK's time is in redis_commands_duration_seconds_total")
        check((value(prom_port, "redis_slowlog_length") or 0) > 0, "the slow log has entries")
        check((value(prom_port, "redis_total_reads_processed") or 0) > 0, "reads are counted")
        check((value(prom_port, 'redis_db_keys{db="db0"}') or 0) == 1, "db0 holds one key")
        check((value(prom_port, "redis_memory_used_peak_bytes") or 0) >=
              (value(prom_port, "redis_memory_used_bytes") or 1) * 0.5, "the memory peak is there")
        for name in DASHBOARD:
            check(bool(query(prom_port, name)), f"{name} is in Prometheus")

        with open(os.path.join(work, "exporter.log")) as f:
            exporter_log = f.read()
        bad = [line for line in exporter_log.splitlines()
               if "level=error" in line or "unknown command" in line]
        check(not bad, f"the exporter logs no error ({bad[:3]})")
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
