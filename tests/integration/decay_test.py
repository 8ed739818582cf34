"""Decaying dictionaries across processes: a primary (3 shards) and a replica (2 shards) that
follows its stream from the start, then a replica (1 shard) that joins by full sync, must hold
identical scores; so must the primary after kill -9, restarted from its logs, and after a SAVE
and kill -9, restarted from the snapshot and the logs after it. Identical means byte for byte:
each term's score at a fixed time (ACSCORE ... AT, 17 significant digits) and the ranking.
The data goes through everything that changes stored values: counts made scores by ACDECAY,
event times out of order, decrements, deletions, a change of half-life, an empty decaying key,
and rebases (a 2 ms half-life with events seconds apart) that each shard does at its own time.
Then decay-min-score: the primary drops what fell below it (not while CLIENT PAUSE WRITE holds),
exactly those terms, and logs the drops: both replicas follow (one with a floor of its own
that would drop everything prunes nothing itself), and a kill -9 restart keeps them dropped.

Usage: decay_test.py path/to/typeahead-server"""
import http.client
import os
import random
import shutil
import signal
import sys
import tempfile
import time

import redis

from harness import check, finish, free_port, say, start_server, stop_all, wait_for

TERMS = [chr(ord("a") + i % 9) + str(i) for i in range(60)]


def state(r):
    """What must match: the ranking (fanned out), every score at t = 9 s, the empty key."""
    out = [r.execute_command("ACTOPK", "trend", "", "1000")]
    out += [r.execute_command("ACTOPK", "trend", p, "10") for p in ("a", "b1", "c")]
    out += [r.execute_command("ACSCORE", "trend", t, "AT", "9000") for t in TERMS]
    out.append(r.exists("quiet"))
    out.append(r.execute_command("ACTOPK", "counts", "", "5", "WITHSCORES"))
    return out


def main():
    binary = sys.argv[1]
    work = tempfile.mkdtemp(prefix="typeahead-decay-")
    procs = []
    try:
        pport, r1port, r2port = free_port(), free_port(), free_port()
        procs.append(start_server(binary, work, "primary", pport, "--threads", "3",
                                  "--appendonly", "yes"))
        p = redis.Redis(port=pport, socket_timeout=10)
        wait_for(p.ping, 20, "the primary answers PING")
        procs.append(start_server(binary, work, "replica1", r1port, "--threads", "2",
                                  "--replicaof", "127.0.0.1", str(pport)))
        r1 = redis.Redis(port=r1port, socket_timeout=10)
        wait_for(lambda: r1.info("replication")["master_link_status"] == "up", 20,
                 "replica 1 is linked")

        rng = random.Random(7)
        pipe = p.pipeline(transaction=False)
        for t in TERMS:
            pipe.execute_command("ACINCRBY", "trend", t, rng.randint(1, 9))
        pipe.execute_command("ACINCRBY", "counts", "plain", 3)
        pipe.execute_command("ACDECAY", "trend", "0.002", "AT", "1000")
        pipe.execute_command("ACDECAY", "quiet", "3600")
        for i in range(3000):
            t = rng.choice(TERMS)
            at = 1000 + i * 2 + (rng.randint(-400, 0) if rng.random() < 0.2 else 0)
            roll = rng.random()
            if roll < 0.8:
                pipe.execute_command("ACINCRBY", "trend", t, rng.randint(1, 5), "AT", at)
            elif roll < 0.95:
                pipe.execute_command("ACRECORD", "trend", t, "AT", at)
            else:
                pipe.execute_command("ACDEL", "trend", t)
            if i == 2000:
                pipe.execute_command("ACDECAY", "trend", "0.003", "AT", at)
        pipe.execute()
        expected = state(p)
        check(any(isinstance(s, bytes) and b"e-" in s for s in expected),
              "the scores are doubles, some tiny")
        check(len(expected[0]) > 30, "the ranking holds most terms")

        check(p.execute_command("WAIT", 1, 10000) >= 1, "replica 1 acknowledges the stream")
        check(state(r1) == expected, "replica 1 (streamed, 2 shards) holds identical scores")

        procs.append(start_server(binary, work, "replica2", r2port, "--threads", "1",
                                  "--replicaof", "127.0.0.1", str(pport)))
        r2 = redis.Redis(port=r2port, socket_timeout=10)
        wait_for(lambda: r2.info("replication")["master_link_status"] == "up", 30,
                 "replica 2 is linked")
        check(p.execute_command("WAIT", 2, 10000) >= 2, "both replicas acknowledge")
        check(state(r2) == expected, "replica 2 (full sync, 1 shard) holds identical scores")

        def kill_and_restart(what):
            primary = procs.pop(0)
            primary.send_signal(signal.SIGKILL)
            primary.wait()
            procs.insert(0, start_server(binary, work, "primary", pport, "--threads", "3",
                                         "--appendonly", "yes"))
            wait_for(p.ping, 30, f"the primary answers after {what}")

        # kill -9: the restart replays the logs.
        kill_and_restart("kill -9")
        check(state(p) == expected, "after kill -9, the logs give identical scores")

        # A snapshot, more writes in the logs after it, kill -9 again.
        check(p.save(), "SAVE")
        p.execute_command("ACINCRBY", "trend", TERMS[0], 2, "AT", 6990)
        expected = state(p)
        kill_and_restart("the second kill -9")
        check(state(p) == expected, "the snapshot and the logs after it give identical scores")
        wait_for(lambda: state(r1) == expected, 20, "replica 1 follows the restarted primary",
                 say_ok=True)

        # decay-min-score. "fade" (1 s half-life): 500 terms used a minute ago (scores 2^-60),
        # 50 used now (3 each, above 1e-6 for 20 s); "trend" (events in 1970) scores 0 now.
        now = int(time.time() * 1000)
        old = [f"old{i:03d}" for i in range(500)]
        new = [f"new{i:02d}" for i in range(50)]
        pipe = p.pipeline(transaction=False)
        pipe.execute_command("ACDECAY", "fade", "1")
        for t in old:
            pipe.execute_command("ACINCRBY", "fade", t, 1, "AT", now - 60000)
        for t in new:
            pipe.execute_command("ACINCRBY", "fade", t, 3, "AT", now)
        pipe.execute()
        trend_terms = p.execute_command("ACCARD", "trend")
        check(p.execute_command("WAIT", 2, 10000) >= 2, "both replicas have fade")
        check(r1.config_set("decay-min-score", "1e300"), "replica 1 gets a floor of its own")
        for bad in ("-1", "abc", "inf", "", " 1", "0x1p-20", "1e400"):
            try:
                p.config_set("decay-min-score", bad)
                check(False, f"decay-min-score {bad!r} is refused")
            except redis.exceptions.ResponseError as e:
                check("decay-min-score" in str(e), f"decay-min-score {bad!r} is refused ({e})")
        p.execute_command("CLIENT", "PAUSE", 60000, "WRITE")
        p.config_set("decay-min-score", "0.000001")
        check(p.config_get("decay-min-score") == {"decay-min-score": "1e-06"}, "CONFIG GET")
        time.sleep(0.5)
        check(p.execute_command("ACCARD", "fade") == 550, "nothing is pruned while writes pause")
        p.execute_command("CLIENT", "UNPAUSE")
        wait_for(lambda: p.execute_command("ACCARD", "fade") == 50, 10,
                 "the primary prunes the faded terms", say_ok=True)
        wait_for(lambda: p.execute_command("ACCARD", "trend") == 0, 10, "and all of trend's")
        check(p.execute_command("ACTOPK", "fade", "", 100) == [t.encode() for t in new],
              "what remains ranks as before")
        check(p.exists("trend") == 1, "a decaying key emptied by pruning stays")
        check(p.info("stats")["decay_pruned_terms"] == 500 + trend_terms,
              "INFO decay_pruned_terms counts them")
        conn = http.client.HTTPConnection("127.0.0.1", pport, timeout=10)
        conn.request("GET", "/metrics")
        metrics = conn.getresponse().read().decode()
        conn.close()
        check(f"typeahead_decay_pruned_terms_total {500 + trend_terms}\n" in metrics,
              "and /metrics, as typeahead_decay_pruned_terms_total")
        check(p.execute_command("ACTOPK", "counts", "", 5, "WITHSCORES") == expected[-1],
              "a key that does not decay is untouched")
        check(p.execute_command("WAIT", 2, 10000) >= 2, "both replicas acknowledge the drops")
        for name, r in (("replica 1", r1), ("replica 2", r2)):
            check(r.execute_command("ACTOPK", "fade", "", 1000) == [t.encode() for t in new] and
                  r.execute_command("ACCARD", "trend") == 0, f"{name} follows the drops")
            check(r.info("stats")["decay_pruned_terms"] == 0, f"{name} pruned nothing itself")
        kill_and_restart("the third kill -9")
        check(p.execute_command("ACCARD", "fade") == 50 and
              p.execute_command("ACCARD", "trend") == 0,
              "after kill -9 (no floor now), the log keeps them dropped")
    finally:
        stop_all(procs)
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
