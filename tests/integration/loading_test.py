"""A start from a large dataset, as clients, probes and Sentinel see it: the server listens at
once and answers -LOADING until the data is in memory, as Redis does.

  1. One client connects as soon as the restarted server listens and stays connected the
     whole time: its data commands (and PING, as in Redis) get -LOADING, INFO works and says
     loading:1 with loading_* progress that moves; /readyz is 503 while /healthz is 200; the
     log has a progress line every second. Once loaded, the same connection gets every term.
  2. Redis Sentinel monitoring the node through the restart never calls it down (it takes
     -LOADING as a live answer) and still calls it the master afterwards.
  3. SIGTERM while loading stops the server at once without saving, and kill -9 while loading
     loses nothing: the next start loads every term.
  4. Started with --replicaof, it is a replica from its first answer, as Redis is: while it
     loads, INFO replication and ROLE name the primary with the link down (Sentinel and
     clients that wait for master_link_status read them then); once loaded it tries to connect
     and refuses writes; SIGTERM while it loads still stops it at once.

key-load-delay slows the load to seconds with a few thousand terms. Every process is started
here and stopped by pid; every wait is bounded. Usage: loading_test.py <typeahead-server>
"""
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import redis
from harness import check, finish, free_port, say, seed, start_server, stop_all, wait_for

SERVER = sys.argv[1]
TERMS = 30000
DELAY_US = 150  # per term: about 5 s for the partition that holds them all ("t..." routes one way)
MASTER = "loadme"


def http_status(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def start(work, port, *extra):
    return start_server(SERVER, work, "data", port, *extra)


def connect_early(port):
    """A connection made as soon as the port accepts (within 10 s)."""
    deadline = time.time() + 10
    while time.time() < deadline:
        r = redis.Redis(port=port, socket_timeout=5, decode_responses=True)
        try:
            r.connection_pool.get_connection("_").connect()
            return r
        except redis.exceptions.ConnectionError:
            time.sleep(0.01)
    raise RuntimeError("the server never listened")


def sigterm_while_loading(work, port, procs, what, *extra):
    """Starts the server slowed down, and once it says it loads, SIGTERM: it must stop at once
    with status 0."""
    server = start(work, port, "--key-load-delay", str(DELAY_US), *extra)
    procs.append(server)
    c = connect_early(port)
    wait_for(lambda: c.info("persistence")["loading"] == 1, 5, f"{what}: loading again")
    t0 = time.time()
    server.send_signal(signal.SIGTERM)
    code = server.wait(timeout=30)
    procs.remove(server)
    check(code == 0 and time.time() - t0 < 3,
          f"SIGTERM while {what} stops it at once ({time.time() - t0:.1f} s, status {code})")


def loading_error(fn):
    try:
        fn()
    except redis.exceptions.BusyLoadingError as e:
        return str(e)
    except redis.exceptions.ResponseError as e:
        return "not LOADING: " + str(e)
    return "no error"


def main():
    work = tempfile.mkdtemp(prefix="typeahead-loading-")
    procs = []
    try:
        port = free_port()
        terms = [f"t{i:05d}" for i in range(TERMS)] + ["t00007"]
        seed(SERVER, work, "data", port, terms)
        expected = ["t00007", "t00000", "t00001"]

        sentinel_port = free_port()
        conf = os.path.join(work, "sentinel.conf")
        with open(conf, "w") as f:
            f.write(f"port {sentinel_port}\nbind 127.0.0.1\ndaemonize no\ndir {work}\n"
                    f"logfile {os.path.join(work, 'sentinel.log')}\n"
                    f"sentinel monitor {MASTER} 127.0.0.1 {port} 1\n"
                    f"sentinel down-after-milliseconds {MASTER} 1500\n")

        # 1. A client connected through the whole load.
        server = start(work, port, "--key-load-delay", str(DELAY_US))
        procs.append(server)
        c = connect_early(port)
        procs.append(subprocess.Popen(["redis-sentinel", conf], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.STDOUT))
        s = redis.Redis(port=sentinel_port, socket_timeout=5, decode_responses=True)
        check(loading_error(lambda: c.execute_command("ACTOPK", "q", "t", 3)) ==
              "Redis is loading the dataset in memory", "ACTOPK while loading: -LOADING")
        check(loading_error(c.ping) == "Redis is loading the dataset in memory",
              "PING while loading: -LOADING, as Redis")
        check(loading_error(lambda: c.execute_command("ACRECORD", "q", "new")) ==
              "Redis is loading the dataset in memory", "a write while loading: -LOADING")
        first = c.info("persistence")
        check(first["loading"] == 1 and first["loading_total_bytes"] > 0 and
              "loading_eta_seconds" in first, "INFO persistence says loading:1 with loading_*")
        status, body = http_status(port, "/readyz")
        check(status == 503 and body == b"loading the dataset in memory\n",
              "/readyz is 503 while loading")
        check(http_status(port, "/healthz")[0] == 200, "/healthz is 200 while loading")
        wait_for(lambda: c.info("persistence").get("loading_loaded_bytes", 0) >
                 first["loading_loaded_bytes"], 10, "loading_loaded_bytes moves", say_ok=True)
        wait_for(lambda: s.ping(), 10, "the sentinel answers")
        wait_for(lambda: "Loading: " in open(os.path.join(work, "data.log")).read(), 5,
                 "the log has a progress line", say_ok=True)
        sdown = []

        def loaded():
            flags = s.execute_command("SENTINEL", "MASTER", MASTER)
            flags = dict(zip(flags[::2], flags[1::2])).get("flags", "")
            if "s_down" in flags or "o_down" in flags:
                sdown.append(flags)
            return c.info("persistence")["loading"] == 0
        t0 = time.time()
        wait_for(loaded, 60, "the load ends", interval=0.2)
        say(f"loaded in about {time.time() - t0 + 1:.1f} s after the checks")
        check(c.execute_command("ACTOPK", "q", "t", 3) == expected,
              "the same connection then gets the data")
        check(c.execute_command("ACCARD", "q") == TERMS, f"all {TERMS} terms are there")
        check(c.ping() is True, "PING answers PONG")
        check(http_status(port, "/readyz")[0] == 200, "/readyz is 200 once loaded")
        check(not sdown, f"Sentinel never called it down while it loaded ({sdown[:1]})")
        time.sleep(2)  # past down-after-milliseconds once more
        flags = s.execute_command("SENTINEL", "MASTER", MASTER)
        flags = dict(zip(flags[::2], flags[1::2]))["flags"]
        check(flags == "master", f"Sentinel still sees a healthy master ({flags})")
        c.close()

        # 3. SIGTERM and kill -9 while loading.
        server.terminate()
        server.wait(timeout=30)
        procs.remove(server)
        sigterm_while_loading(work, port, procs, "loading")
        log = open(os.path.join(work, "data.log")).read()
        check("Shutting down while loading: not saving" in log, "and says it does not save")
        server = start(work, port, "--key-load-delay", str(DELAY_US))
        procs.append(server)
        c = connect_early(port)
        wait_for(lambda: c.info("persistence")["loading"] == 1, 5, "loading again")
        server.kill()
        server.wait()
        procs.remove(server)
        server = start(work, port)
        procs.append(server)
        c = redis.Redis(port=port, socket_timeout=10, decode_responses=True)
        wait_for(lambda: c.execute_command("ACCARD", "q") == TERMS, 30,
                 "after SIGTERM and kill -9 while loading, every term loads", say_ok=True)
        check(c.execute_command("ACTOPK", "q", "t", 3) == expected, "with the same top 3")

        # 4. A replica's role while it loads (its primary never answers: a port nobody holds).
        server.terminate()
        server.wait(timeout=30)
        procs.remove(server)
        nobody = free_port()
        server = start(work, port, "--key-load-delay", str(DELAY_US),
                       "--replicaof", "127.0.0.1", str(nobody))
        procs.append(server)
        c = connect_early(port)
        check(c.info("persistence")["loading"] == 1, "the replica is loading")
        info = c.info("replication")
        check(info.get("role") == "slave" and info.get("master_link_status") == "down" and
              info.get("master_port") == nobody,
              f"INFO while loading: role:slave, master_link_status:down ({info.get('role')})")
        check(c.execute_command("ROLE") == ["slave", "127.0.0.1", nobody, "connect", -1],
              "ROLE while loading names the primary, state connect")
        wait_for(lambda: c.info("persistence")["loading"] == 0, 60, "the replica loads",
                 interval=0.2)
        wait_for(lambda: "Connecting to MASTER 127.0.0.1:" + str(nobody) in
                 open(os.path.join(work, "data.log")).read(), 10,
                 "once loaded it connects to its primary", say_ok=True)
        try:
            c.execute_command("ACRECORD", "q", "new")
            refused = "no error"
        except redis.exceptions.ReadOnlyError as e:
            refused = str(e)
        check(refused.startswith("You can't write against a read only replica"),
              f"and refuses writes ({refused})")
        check(c.execute_command("ACCARD", "q") == TERMS, "serving the data it loaded")
        server.terminate()
        server.wait(timeout=30)
        procs.remove(server)
        sigterm_while_loading(work, port, procs, "a replica loads",
                              "--replicaof", "127.0.0.1", str(nobody))
    finally:
        stop_all(procs)
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
