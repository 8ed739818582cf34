"""Automatic failover of typeahead primaries by unmodified Redis Sentinel.

Three typeahead nodes (a primary and two replicas, each with a config file Sentinel may
rewrite) and three redis-sentinel processes on loopback. A writer finds the primary through
redis-py's Sentinel client and records terms on one connection, confirming every batch with
WAIT 1 1000 (WAIT 2 once both replicas are back). Then:

  1. kill -9 of the primary under that load: Sentinel promotes a replica and points the other
     at it, get-master-addr-by-name names the new primary, the writer resumes there, and every
     write acknowledged by WAIT before the kill is on the new primary;
  2. the old primary restarts: Sentinel turns it into a replica and it resyncs;
  3. SENTINEL FAILOVER with the primary alive completes, losing no write acknowledged by
     both replicas (WAIT 2: with the primary alive, WAIT 1 cannot promise that, see below).

"Acknowledged" is exact: only writes a WAIT confirmed on the connection that made them count.
Sentinel may fail over again on its own (a new primary it cannot reach within
down-after-milliseconds is down to it too); the writes the writer sent since its last confirmed
WAIT then are in doubt, and the checks follow whichever primary Sentinel names.

With --acl the nodes have users: the default user's password (the writer and the checks log
in with it), a user for Sentinel with only the commands Sentinel sends (sentinel auth-user /
auth-pass) and one for replicas with only what a replica sends (masteruser / masterauth).
With --tls the whole group is TLS only: every typeahead node and every Sentinel has port 0
and a tls-port, replicas follow their primary over mutual TLS (tls-replication yes, so each
announces its TLS port), Sentinel reaches the nodes and the other Sentinels over TLS with its
own certificate, and so do the writer and every check. Certificates are made with the
openssl CLI.

Every process is started here and stopped by pid; every wait is bounded. Exit status 0 when
all holds. With --demo it narrates for a person (scripts/ha-demo).
Usage: sentinel_failover.py <typeahead-server> [--demo] [--tls] [--acl]
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import redis
from redis.sentinel import Sentinel

import harness
from harness import check, failures, free_port, say

SERVER = sys.argv[1]
DEMO = "--demo" in sys.argv
TLS = "--tls" in sys.argv
ACL = "--acl" in sys.argv
ADMIN_PASS = "admin-pass"
# What Sentinel sends to the instances it monitors (Redis's documentation lists the same).
ACL_LINES = (f"requirepass {ADMIN_PASS}\n"
             "user sentinel on >sentinel-pass allchannels +multi +slaveof +replicaof +ping "
             "+exec +subscribe +config|rewrite +role +publish +info +client|setname "
             "+client|kill\n"
             "user repl on >repl-pass +psync +replconf +ping\n"
             "masteruser repl\nmasterauth repl-pass\n")
CERTS = None  # the directory of the certificates, with --tls
# Not 1000: Sentinel reconnects to an instance at most once a second and, on switching to a
# new primary, wants its PONG within down-after-milliseconds of the switch. At 1000 a new
# primary is sometimes down before Sentinel has even reconnected, and it fails over again.
DOWN_AFTER_MS = 2000
MASTER = "typeahead"


def make_certs(work):
    """A CA and one certificate it signed, which every node, Sentinel and client presents."""
    d = os.path.join(work, "certs")
    os.makedirs(d)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for cmd in (["openssl", "req", "-x509", "-new", *ec, "-keyout", "ca.key", "-out", "ca.crt",
                 "-days", "30", "-subj", "/CN=sentinel test ca"],
                ["openssl", "req", "-new", *ec, "-keyout", "node.key", "-out", "node.csr",
                 "-subj", "/CN=typeahead node"],
                ["openssl", "x509", "-req", "-in", "node.csr", "-CA", "ca.crt", "-CAkey",
                 "ca.key", "-CAcreateserial", "-out", "node.crt", "-days", "30"]):
        subprocess.run(cmd, cwd=d, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return d


def tls_lines():
    """The config lines of a TLS-only node or Sentinel (after `port 0`)."""
    return (f"tls-cert-file {CERTS}/node.crt\ntls-key-file {CERTS}/node.key\n"
            f"tls-ca-cert-file {CERTS}/ca.crt\ntls-replication yes\n")


def client_kwargs(node=True):
    """What redis-py needs to reach a node (node) or a Sentinel."""
    kw = dict(password=ADMIN_PASS) if ACL and node else {}
    if TLS:
        kw.update(ssl=True, ssl_ca_certs=f"{CERTS}/ca.crt", ssl_certfile=f"{CERTS}/node.crt",
                  ssl_keyfile=f"{CERTS}/node.key")
    return kw


def listen_lines(port):
    return f"port 0\ntls-port {port}\n{tls_lines()}" if TLS else f"port {port}\n"


def wait_for(cond, seconds, what):
    return harness.wait_for(cond, seconds, what, interval=0.1, say_ok=True)


class Node:
    def __init__(self, work, name, port, replicaof=None):
        self.name, self.port = name, port
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "typeahead.conf")
        with open(self.conf, "w") as f:
            f.write(f"{listen_lines(port)}threads 2\ndir {self.dir}\n")
            if ACL:
                f.write(ACL_LINES)
            if replicaof:
                f.write(f"replicaof 127.0.0.1 {replicaof}\n")
        self.log = open(os.path.join(self.dir, "log"), "a")
        self.start()

    def start(self):
        self.proc = subprocess.Popen([SERVER, self.conf], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.r = redis.Redis(port=self.port, socket_timeout=5, **client_kwargs())
        wait_for(lambda: self.r.ping(), 10, f"{self.name} answering")

    def info(self):
        return self.r.info("replication")

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class SentinelProc:
    def __init__(self, work, i, master_port):
        self.port = free_port()
        self.conf = os.path.join(work, f"sentinel{i}.conf")
        with open(self.conf, "w") as f:
            f.write(f"{listen_lines(self.port)}bind 127.0.0.1\ndaemonize no\n"
                    f"dir {work}\nlogfile {os.path.join(work, f'sentinel{i}.log')}\n"
                    f"sentinel monitor {MASTER} 127.0.0.1 {master_port} 2\n"
                    f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MS}\n"
                    f"sentinel failover-timeout {MASTER} 10000\n"
                    f"sentinel parallel-syncs {MASTER} 1\n")
            if ACL:
                f.write(f"sentinel auth-user {MASTER} sentinel\n"
                        f"sentinel auth-pass {MASTER} sentinel-pass\n")
        self.proc = subprocess.Popen(["redis-sentinel", self.conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT)
        self.r = redis.Redis(port=self.port, socket_timeout=5, decode_responses=True,
                             **client_kwargs(node=False))
        wait_for(lambda: self.r.ping(), 10, f"sentinel {i} answering")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=15)


class Writer(threading.Thread):
    """Records term0, term1, ... on one connection from redis-py's Sentinel client; after every
    10 writes WAIT <needed> 1000, and when it returns >= needed, the writes made on that
    connection and not yet confirmed are acknowledged. A failed command closes the connection
    and the next reconnects to the primary Sentinel names then, possibly another: the writes
    since the last confirmed WAIT are in doubt and never count."""

    def __init__(self, sentinel):
        super().__init__(daemon=True)
        self.sentinel = sentinel
        self.needed = 1  # replicas WAIT must count for a write to be acknowledged
        self.next = 0
        self.acked = []  # acknowledged term numbers, in order
        self.in_doubt = 0  # writes made but never confirmed before their connection failed
        self.stop = threading.Event()
        self.resumed_at = None  # first successful write after a failure began

    def run(self):
        # One connection, no retries: redis-py reconnects (asking Sentinel) only after a
        # command raised, so the writer sees every switch of primary.
        pool = self.sentinel.master_for(MASTER, socket_timeout=1, retry_on_timeout=False,
                                        **client_kwargs()).connection_pool
        master = redis.Redis(connection_pool=pool, single_connection_client=True)
        pending = []  # written on this connection, not yet confirmed by WAIT
        failing = False
        while not self.stop.is_set():
            try:
                master.execute_command("ACRECORD", "k", f"term{self.next}")
                pending.append(self.next)
                self.next += 1
                if failing:
                    self.resumed_at = time.time()
                    failing = False
                if self.next % 10 == 0:
                    needed = self.needed
                    if master.execute_command("WAIT", needed, 1000) >= needed:
                        self.acked.extend(pending)
                        pending.clear()
            except (redis.exceptions.RedisError, OSError):
                self.in_doubt += len(pending)
                pending.clear()
                failing = True
                time.sleep(0.05)
            time.sleep(0.002)


def primary_of(sentinel_proc):
    host, port = sentinel_proc.r.execute_command("SENTINEL", "get-master-addr-by-name", MASTER)
    return int(port)


def follows(node, port):
    info = node.info()
    return (info.get("role") == "slave" and info.get("master_port") == port and
            info.get("master_link_status") == "up")


def missing_on(node, terms):
    pipe = node.r.pipeline(transaction=False)
    for i in terms:
        pipe.execute_command("ACSCORE", "k", f"term{i}")
    return [i for i, score in zip(terms, pipe.execute()) if score is None]


SENTINEL_EVENTS = ("+sdown", "-sdown", "+odown", "+try-failover", "+elected-leader",
                   "+selected-slave", "+failover-end", "+switch-master", "-failover-abort")


def sentinel_events(work):
    """Each sentinel's failover events, for a person reading a failure."""
    lines = []
    for i in range(3):
        path = os.path.join(work, f"sentinel{i}.log")
        if os.path.exists(path):
            lines += [f"sentinel{i} {line.rstrip()}" for line in open(path)
                      if any(e in line for e in SENTINEL_EVENTS)]
    return lines


def main():
    global CERTS
    work = tempfile.mkdtemp(prefix="typeahead-ha-")
    nodes, sentinels, writer = [], [], None
    try:
        if TLS:
            CERTS = make_certs(work)
        p0 = free_port()
        nodes.append(Node(work, "node0", p0))
        nodes.append(Node(work, "node1", free_port(), replicaof=p0))
        nodes.append(Node(work, "node2", free_port(), replicaof=p0))
        by_port = {n.port: n for n in nodes}
        say(f"typeahead nodes{' (TLS only)' if TLS else ''}{' (ACL users)' if ACL else ''}: "
            f"primary :{p0}, "
            f"replicas :{nodes[1].port} :{nodes[2].port}")
        wait_for(lambda: nodes[0].info()["connected_slaves"] == 2, 20, "both replicas attached")
        for i in range(3):
            sentinels.append(SentinelProc(work, i, p0))
        say(f"sentinels on :{' :'.join(str(s.port) for s in sentinels)}, "
            f"down-after-milliseconds {DOWN_AFTER_MS}")
        wait_for(lambda: all(len(s.r.execute_command("SENTINEL", "replicas", MASTER)) == 2 and
                             len(s.r.execute_command("SENTINEL", "sentinels", MASTER)) == 2
                             for s in sentinels), 30,
                 "every sentinel found both replicas and the other sentinels")
        client = Sentinel([("127.0.0.1", s.port) for s in sentinels], socket_timeout=1,
                          sentinel_kwargs=dict(socket_timeout=1, **client_kwargs(node=False)))
        writer = Writer(client)
        writer.start()
        wait_for(lambda: len(writer.acked) >= 200, 20, "200 writes acknowledged by WAIT")

        # The primary Sentinel names now; checks ask again rather than assume that no
        # failover happened since the last one the test caused.
        def primary():
            return by_port[primary_of(sentinels[0])]

        def all_follow(group):
            port = primary_of(sentinels[0])
            return all(follows(n, port) for n in group if n.port != port)

        # 1. kill -9 the primary under load.
        acked_before = list(writer.acked)
        killed_at = time.time()
        nodes[0].kill()
        say(f"killed the primary :{p0} (kill -9) with {len(acked_before)} acknowledged writes")
        wait_for(lambda: primary_of(sentinels[0]) != p0, 30, "Sentinel elected a new primary")
        new = by_port.get(primary_of(sentinels[0]))
        check(new is not None and new is not nodes[0],
              f"the new primary is a replica (:{new.port if new else '?'})")
        wait_for(lambda: writer.resumed_at is not None and writer.resumed_at > killed_at, 30,
                 "the Sentinel client writes again")
        if writer.resumed_at:
            say(f"failover time (kill to first write on the new primary): "
                f"{writer.resumed_at - killed_at:.2f} s")
        wait_for(lambda: all_follow(nodes[1:]), 30, "the other replica follows the new primary")
        missing = missing_on(primary(), acked_before)
        check(not missing, f"all {len(acked_before)} acknowledged writes on the new primary "
              f"(missing {len(missing)})")

        # 2. The old primary comes back: Sentinel makes it a replica of the new one.
        nodes[0].start()
        wait_for(lambda: nodes[0] is not primary() and all_follow(nodes), 60,
                 "the old primary rejoins as a replica of the new one")
        wait_for(lambda: nodes[0].r.execute_command("ACCARD", "k") ==
                 primary().r.execute_command("ACCARD", "k"), 20, "the old primary resynced")

        # 3. A forced failover with the primary alive. The old primary keeps taking writes
        # until Sentinel repoints it, and the replica not chosen keeps acknowledging them, so
        # a write WAIT 1 confirmed may miss the promoted replica: that is Sentinel's (and
        # Redis's) contract. Acknowledged from here on means confirmed by both replicas
        # (WAIT 2); the writes WAIT 1 confirmed before are older in the same stream, so a
        # WAIT 2 past them confirms them on both replicas too.
        writer.needed = 2
        # Sentinel asks replicas for INFO only every 10 s. One that still remembers the old
        # primary reporting role:master (it did before it was repointed) takes the promotion
        # for a stale master coming back and repoints it at once, aborting the failover; a
        # real deployment has the same window. So wait until every Sentinel has seen both
        # replicas as replicas of the primary.
        def replicas_seen(s):
            port = str(primary_of(s))
            entries = [dict(zip(e[::2], e[1::2]))
                       for e in s.r.execute_command("SENTINEL", "replicas", MASTER)]
            return len(entries) == 2 and all(
                e.get("role-reported") == "slave" and e.get("master-link-status") == "ok" and
                e.get("master-port") == port for e in entries)
        wait_for(lambda: all(replicas_seen(s) for s in sentinels), 30,
                 "every Sentinel sees both replicas following the primary")
        mark = len(writer.acked)
        wait_for(lambda: len(writer.acked) >= mark + 100, 20,
                 "100 more writes acknowledged by both replicas")
        acked_before = list(writer.acked)
        before = primary_of(sentinels[1])
        say(f"SENTINEL FAILOVER: {sentinels[1].r.execute_command('SENTINEL', 'FAILOVER', MASTER)}")
        wait_for(lambda: primary_of(sentinels[1]) != before, 30,
                 "SENTINEL FAILOVER moved the primary")
        third = by_port[primary_of(sentinels[1])]
        wait_for(lambda: third.info().get("role") == "master", 10, "it reports role:master")
        wait_for(lambda: len(writer.acked) >= len(acked_before) + 50, 30,
                 "writes acknowledged on the newest primary")
        missing = missing_on(third, acked_before)
        check(not missing, f"no acknowledged write lost in the forced failover "
              f"(missing {len(missing)})")
        if ACL:
            # Sentinel logged in as its user, which had every command it sent.
            check(b"user=sentinel" in third.r.execute_command("CLIENT", "LIST"),
                  "Sentinel is connected as its own user")
            denied = [e for n in nodes for e in n.r.execute_command("ACL", "LOG")]
            check(not denied, f"no ACL refusals on any node ({denied[:2]})")
    finally:
        if writer:
            writer.stop.set()
            writer.join(timeout=5)
            say(f"writes: {writer.next} made, {len(writer.acked)} acknowledged, "
                f"{writer.in_doubt} in doubt after a failed command")
        for s in sentinels:
            s.stop()
        for n in nodes:
            n.stop()
        events = sentinel_events(work)
        switches = len([e for e in events if e.startswith("sentinel0") and "+switch-master" in e])
        if switches > 2:
            say(f"note: Sentinel failed over {switches} times, 2 of them asked for")
        if (failures or switches > 2) and not DEMO:
            say("--- sentinel events")
            say("\n".join(events))
            for name in ["node0", "node1", "node2"]:
                path = os.path.join(work, name, "log")
                if os.path.exists(path):
                    say(f"--- {name} log (tail)")
                    say("".join(open(path).readlines()[-40:]))
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        say(f"{len(failures)} check(s) failed")
        sys.exit(1)
    say("all checks passed")


if __name__ == "__main__":
    signal.alarm(300)  # bounded whatever happens
    main()
