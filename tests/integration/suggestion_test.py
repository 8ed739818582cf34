"""FT.SUG* for RediSearch users: redis-py's own search module (r.ft().sugadd, sugget, suglen,
sugdel) used unchanged against the real server, then one FT.SUG* script run against
typeahead and against redis-server with the RediSearch module (Debian's redis-redisearch),
their replies compared: equal in shape always, equal in content where RediSearch's order is
the frequency order (equal-length terms, distinct scores within its trim factor of 10, no
swapped letters under FUZZY, which RediSearch counts as two edits and we as one).

Usage: suggestion_test.py path/to/typeahead-server"""
import os
import shutil
import subprocess
import sys
import tempfile

import redis
from redis.commands.search.suggestion import Suggestion

from harness import check, finish, free_port, say, start_server, stop_all, wait_for

REDISEARCH = "/usr/lib/redis/modules/redisearch.so"


def redis_py_api(r):
    """redis-py's calls, as a RediSearch user's code makes them."""
    ft = r.ft()
    size = ft.sugadd("ac", Suggestion("hello"), Suggestion("help", 3.0, payload="tool"),
                     Suggestion("helium", 2, payload="gas"))
    check(size == 3, f"sugadd replies the dictionary's size ({size})")
    size = ft.sugadd("ac", Suggestion("hello", 4), increment=True)
    check(size == 3, "sugadd increment=True adds to the score")
    check(r.execute_command("ACSCORE", "ac", "hello") == 5, "the score is the frequency")
    got = ft.sugget("ac", "hel", num=10, with_scores=True, with_payloads=True)
    check([(s.string, s.score, s.payload) for s in got] ==
          [("hello", 5.0, None), ("help", 3.0, "tool"), ("helium", 2.0, "gas")],
          f"sugget with scores and payloads, frequency order ({got})")
    got = ft.sugget("ac", "hrl", fuzzy=True, num=2)
    check([s.string for s in got] == ["hello", "help"], f"sugget fuzzy=True, num=2 ({got})")
    check(ft.sugget("ac", "zzz") == [], "sugget with no match is an empty list")
    check(ft.suglen("ac") == 3, "suglen")
    check(ft.sugdel("ac", "help") == 1, "sugdel of a suggestion there replies 1")
    check(ft.sugdel("ac", "help") == 0, "sugdel of one gone replies 0")
    check(ft.suglen("ac") == 2, "suglen after sugdel")
    # The keys are dictionaries: the AC* commands see the same terms.
    check(r.execute_command("ACTOPK", "ac", "he", "10") == ["hello", "helium"],
          "ACTOPK reads what FT.SUGADD wrote")
    r.execute_command("ACINCRBY", "ac", "helium", "10")
    got = ft.sugget("ac", "he", with_payloads=True)
    check([(s.string, s.payload) for s in got] == [("helium", "gas"), ("hello", None)],
          "FT.SUGGET reads what ACINCRBY wrote, the payload kept")
    try:
        ft.sugadd("ac", Suggestion("half", 1.5))
        check(False, "a fractional score is refused")
    except redis.exceptions.ResponseError as e:
        check("fractional" in str(e), f"a fractional score is refused ({e})")
    check(ft.suglen("ac") == 2, "and nothing was added")


# The script: (command, compare) with compare "content" (replies equal), "shape" (equal in
# types and lengths: RediSearch's scores are its normalised ones, ours the frequencies) or
# "empty" (both nothing: for a missing key RediSearch replies nil, we an empty array, which
# redis-py's sugget reads as the same empty list).
TERMS = [("hello1", 15), ("hello2", 14), ("hellp3", 13), ("helli4", 12), ("jello5", 11),
         ("hxllo6", 16)]
SCRIPT = (
    [(["FT.SUGADD", "d", t, str(s), "PAYLOAD", "pl-" + t], "content") for t, s in TERMS] +
    [(["FT.SUGADD", "d", "hello2", "3", "INCR", "PAYLOAD", "pl-hello2"], "content"),
     (["FT.SUGGET", "d", "hello", "MAX", "10"], "content"),
     (["FT.SUGGET", "d", "hello", "MAX", "10", "WITHPAYLOADS"], "content"),
     (["FT.SUGGET", "d", "hello", "WITHSCORES"], "shape"),
     (["FT.SUGGET", "d", "hello", "WITHSCORES", "WITHPAYLOADS", "MAX", "1"], "shape"),
     (["FT.SUGGET", "d", "hel", "MAX", "10"], "content"),
     (["FT.SUGGET", "d", "hel", "MAX", "2"], "content"),
     (["FT.SUGGET", "d", "hello", "FUZZY", "MAX", "10"], "content"),
     (["FT.SUGGET", "d", "hello", "FUZZY", "MAX", "10", "WITHPAYLOADS"], "content"),
     (["FT.SUGGET", "d", "zz"], "content"),
     (["FT.SUGGET", "nokey", "a"], "empty"),
     (["FT.SUGLEN", "d"], "content"),
     (["FT.SUGDEL", "d", "hellp3"], "content"),
     (["FT.SUGDEL", "d", "hellp3"], "content"),
     (["FT.SUGDEL", "nokey", "x"], "content"),
     (["FT.SUGLEN", "d"], "content"),
     (["FT.SUGLEN", "nokey"], "content"),
     (["FT.SUGGET", "d", "hel", "MAX", "10", "WITHPAYLOADS"], "content"),
     (["FT.SUGADD", "d", "new", "1"], "content"),
     (["FT.SUGADD", "d", "new", "2", "INCR"], "content"),
     (["FT.SUGGET", "d", "ne", "WITHPAYLOADS"], "content")])


def shape(reply):
    if isinstance(reply, list):
        return [shape(x) for x in reply]
    return type(reply).__name__


def compare(ours, theirs):
    for args, how in SCRIPT:
        a, b = ours.execute_command(*args), theirs.execute_command(*args)
        what = " ".join(args)
        if how == "content":
            check(a == b, f"{what}: {a!r} (RediSearch {b!r})")
        elif how == "empty":
            check(a == [] and not b, f"{what}: {a!r} (RediSearch {b!r})")
        else:
            check(shape(a) == shape(b), f"{what}: shape {shape(a)} (RediSearch {shape(b)})")
            width = 1 + ("WITHSCORES" in args) + ("WITHPAYLOADS" in args)
            check(a[::width] == b[::width], f"{what}: the terms {a[::width]}")


def main():
    binary = sys.argv[1]
    if not os.path.exists(REDISEARCH):
        check(False, f"{REDISEARCH} is installed (scripts/setup installs redis-redisearch)")
        return finish()
    work = tempfile.mkdtemp(prefix="typeahead-sug-")
    procs = []
    try:
        port, rs_port = free_port(), free_port()
        procs.append(start_server(binary, work, "typeahead", port))
        log = open(os.path.join(work, "redisearch.log"), "w")
        procs.append(subprocess.Popen(
            ["redis-server", "--port", str(rs_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", work, "--loadmodule", REDISEARCH],
            stdout=log, stderr=subprocess.STDOUT))
        ours = redis.Redis(port=port, decode_responses=True)
        theirs = redis.Redis(port=rs_port, decode_responses=True)
        wait_for(lambda: ours.ping(), 20, "typeahead answers PING")
        wait_for(lambda: theirs.ping(), 20, "redis-server with RediSearch answers PING")
        say("== redis-py's search module against typeahead")
        redis_py_api(ours)
        say("== one FT.SUG* script against typeahead and RediSearch")
        compare(ours, theirs)
    finally:
        stop_all(procs)
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
