"""ACTOPK ... BLEND against redis-server's own weighted union: the same random increments go
to typeahead (ACINCRBY into dictionaries) and to redis-server (ZINCRBY into sorted sets), and
each blend must equal ZUNION ... WEIGHTS ... WITHSCORES over the same keys, filtered to the
prefix, sorted by score descending then term, cut at k: the same terms in the same order and
the same score strings byte for byte (both format doubles as Redis 7.0's ZSCORE; the weights are
chosen so that every sum is exact). Three shard
threads, so prefixes of one byte route and the empty prefix fans out; RESP2, as redis-py
speaks it.

Usage: blend_test.py path/to/typeahead-server"""
import os
import random
import shutil
import subprocess
import sys
import tempfile

import redis

from harness import check, finish, free_port, say, start_server, stop_all, wait_for

KEYS = ["global", "user:1", "user:2", "user:3"]
# Dyadic weights: with them every weighted sum of these integers is exact, whatever the order
# of its additions (Redis sums a union's sets smallest first, we in the order listed; with
# weights such as 0.1 the last bits of the two could differ). The unit tests cover those.
WEIGHTS = ["0", "0.5", "1", "2.5", "5", "0.25", "0.125", "12", "6.25e-2", "1e1"]


def expected(redis_r, keys, weights, prefix, k):
    union = redis_r.execute_command("ZUNION", len(keys), *keys, "WEIGHTS", *weights,
                                    "WITHSCORES")
    pairs = [(union[i], union[i + 1]) for i in range(0, len(union), 2)]
    pairs = [p for p in pairs if p[0].startswith(prefix)]
    pairs.sort(key=lambda p: (-float(p[1]), p[0]))
    return pairs[:k]


def main():
    binary = sys.argv[1]
    work = tempfile.mkdtemp(prefix="typeahead-blend-")
    procs = []
    try:
        port, rport = free_port(), free_port()
        procs.append(start_server(binary, work, "typeahead", port, "--threads", "3"))
        log = open(os.path.join(work, "redis.log"), "w")
        procs.append(subprocess.Popen(
            ["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", work], stdout=log, stderr=subprocess.STDOUT))
        # bytes, not str: terms and scores compare as the bytes each server sent.
        ours = redis.Redis(port=port, socket_timeout=10)
        theirs = redis.Redis(port=rport, socket_timeout=10)
        wait_for(ours.ping, 20, "typeahead answers PING")
        wait_for(theirs.ping, 20, "redis-server answers PING")

        rng = random.Random(2024)
        # A big global dictionary and small user ones over a..e, some terms in several, with
        # a long tail of frequency 1 and ties, and deletions (a sorted set would keep a
        # member decremented to 0, a dictionary drops it: so ACDEL and ZREM instead).
        p, q = ours.pipeline(transaction=False), theirs.pipeline(transaction=False)
        for _ in range(6000):
            key = KEYS[0] if rng.random() < 0.8 else rng.choice(KEYS[1:])
            term = "".join(rng.choice("abcde") for _ in range(rng.randint(1, 6)))
            if rng.random() < 0.05:
                p.execute_command("ACDEL", key, term)
                q.zrem(key, term)
                continue
            delta = rng.choice([1, 1, 1, 1, 2, 5, 40])
            p.execute_command("ACINCRBY", key, term, delta)
            q.zincrby(key, delta, term)
        p.execute()
        q.execute()
        for key in KEYS:
            check(ours.execute_command("ACCARD", key) == theirs.zcard(key),
                  f"{key}: the same terms on both")

        mismatches = 0
        queries = 0
        for _ in range(400):
            n = rng.randint(1, 3)
            others = [rng.choice(KEYS[1:] + ["nosuch"]) for _ in range(n)]
            weights = [rng.choice(WEIGHTS) for _ in range(n)]
            first = rng.choice(KEYS[:1] * 5 + ["nosuch", "user:1"])
            prefix = "".join(rng.choice("abcde") for _ in range(rng.choice([0, 1, 1, 2, 3])))
            k = rng.choice([1, 3, 10, 20, 50])
            blend = []
            for key, w in zip(others, weights):
                blend += [key, w]
            got = ours.execute_command("ACTOPK", first, prefix, k, "WITHSCORES", "BLEND", *blend)
            got = [(got[i], got[i + 1]) for i in range(0, len(got), 2)]
            want = expected(theirs, [first] + others, ["1"] + weights, prefix.encode(), k)
            queries += 1
            if got != want:
                mismatches += 1
                if mismatches <= 3:
                    say(f"ACTOPK {first} '{prefix}' {k} BLEND {blend}:\n  ours   {got}\n"
                        f"  ZUNION {want}")
        check(mismatches == 0, f"{queries} blends equal ZUNION's weighted sums ({mismatches} differ)")
        # Without WITHSCORES the same terms.
        got = ours.execute_command("ACTOPK", "global", "a", 10, "BLEND", "user:1", "2")
        want = [t for t, _ in expected(theirs, ["global", "user:1"], ["1", "2"], b"a", 10)]
        check(got == want, "without WITHSCORES: the terms alone")
        try:
            ours.execute_command("ACTOPK", "global", "a", 10, "BLEND", "user:1", "-2")
            check(False, "a negative weight is refused")
        except redis.exceptions.ResponseError as e:
            check("finite number >= 0" in str(e), f"a negative weight is refused ({e})")
    finally:
        stop_all(procs)
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
