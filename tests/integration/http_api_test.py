"""The HTTP/JSON API on the real server binary, over real sockets, as curl, a browser's fetch
and an edge function send it (docs/commands.md, "HTTP API").

  1. Every endpoint: topk (with and without scores, the contract's example), record (one term,
     several, by), a term's frequency and its removal, a key's cardinality, the key list, the
     demo page; what the API writes is what RESP reads, and the other way round.
  2. Terms as bytes: percent-encoded path and query (space, '+', '/', '%', UTF-8, a byte that
     is not UTF-8, NUL); a term that is not UTF-8 comes back as \\u00XX with "raw" beside it,
     and "raw" names it in a path.
  3. Every error status with its JSON body: 400 (k, an unknown parameter, withscores, bad
     percent-encoding, bad JSON, a body of the wrong shape, an empty or too long term, one bad
     term among good ones changing nothing), 401, 403 (NOPERM for a read-only user's write and
     for another tenant's key), 404, 405 with Allow, 408 (a slow-loris request), 413
     (http-max-body), 429 (maxclients on http-port), 431, 503 while loading.
  4. Keep-alive with pipelined requests answered in order; slow-loris clients and a huge header
     while other clients are served, with the server's memory bounded.
  5. Credentials: HTTP Basic with an ACL user, Bearer with the default user's password; CORS:
     an allowed origin gets Access-Control-Allow-Origin, preflight 204, another origin 403.
  6. Durability: with appendfsync always, a term whose POST was answered survives kill -9.
  7. A read-only replica's 403, maxmemory's 503, and http-bind.

Every process is started here and stopped by pid; every wait is bounded. Exit status 0 when
all holds. Usage: http_api_test.py <typeahead-server>
"""
import base64
import http.client
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time

import redis
from harness import (check, finish, free_port, raw_exchange, seed, start_server, stop_all,
                     wait_for)

SERVER = sys.argv[1]


class Api:
    """One keep-alive connection to the API; call() returns (status, headers, parsed JSON or
    the raw body)."""

    def __init__(self, port, auth=None, host="127.0.0.1"):
        self.port, self.auth, self.host = port, auth, host
        self.c = http.client.HTTPConnection(host, port, timeout=10)

    def call(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.auth:
            h["Authorization"] = self.auth
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            h["Content-Type"] = "application/json"
        try:
            self.c.request(method, path, body=body, headers=h)
            r = self.c.getresponse()
        except (http.client.HTTPException, OSError):
            self.c.close()
            self.c = http.client.HTTPConnection(self.host, self.port, timeout=10)
            self.c.request(method, path, body=body, headers=h)
            r = self.c.getresponse()
        data = r.read()
        headers = {k.lower(): v for k, v in r.getheaders()}
        if headers.get("content-type") == "application/json" and data:
            return r.status, headers, json.loads(data)
        return r.status, headers, data


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def raw(port, data, wait=3.0):
    """Sends data on a new connection; what comes back until the server closes (or wait s)."""
    return raw_exchange(port, data, wait)


def error_is(resp, status, code, text=None):
    got_status, _, body = resp
    return (got_status == status and isinstance(body, dict) and body.get("code") == code and
            (text is None or body.get("error") == text))


def endpoints(api, r):
    for term in ("apple", "apple", "app", "application", "appetite"):
        s, _, b = api.call("POST", "/v1/keys/q/record", {"term": term})
    check(s == 200 and b["key"] == "q" and b["term"] == "appetite" and b["freq"] == 1 and
          isinstance(b["took_us"], int), "POST record answers the new frequency and took_us")
    s, h, b = api.call("GET", "/v1/keys/q/topk?prefix=app&k=2&withscores=true")
    check(s == 200 and h["content-type"] == "application/json" and
          b["terms"] == [{"term": "apple", "freq": 2}, {"term": "app", "freq": 1}] and
          b["key"] == "q" and b["prefix"] == "app", "topk k=2 for app: apple 2, app 1 (the contract's example)")
    s, _, b = api.call("GET", "/v1/keys/q/topk?prefix=app")
    check([t["term"] for t in b["terms"]] == ["apple", "app", "appetite", "application"] and
          "freq" not in b["terms"][0], "topk without withscores: terms only, k defaults to 10")
    check(api.call("GET", "/v1/keys/q/topk")[2]["terms"][0]["term"] == "apple",
          "topk without a prefix is the global top-k")
    check(api.call("GET", "/v1/keys/q/topk?prefix=zzz")[2]["terms"] == [],
          "a prefix that matches nothing: an empty list")
    check(api.call("GET", "/v1/keys/nokey/topk?prefix=a")[2]["terms"] == [],
          "a missing key: an empty list")
    big = api.call("GET", "/v1/keys/q/topk?k=99999999")
    check(big[0] == 200 and len(big[2]["terms"]) == 4, "an absurd k is capped")
    for form in ("true", "1", "yes", ""):
        b = api.call("GET", f"/v1/keys/q/topk?prefix=app&k=1&withscores={form}")[2]
        check(b["terms"] == [{"term": "apple", "freq": 2}], f"withscores={form!r} adds freq")
    check(api.call("GET", "/v1/keys/q/topk?prefix=app&k=1&withscores=false")[2]["terms"] ==
          [{"term": "apple"}], "withscores=false leaves it out")
    s, _, b = api.call("GET", "/v1/keys/q/topk?prefix=aple&k=3&fuzzy=1&withscores=1")
    check(s == 200 and b["terms"] == [{"term": "apple", "freq": 2, "distance": 1},
                                      {"term": "appetite", "freq": 1, "distance": 1}],
          "fuzzy=1: one edit away, with the distance beside the frequency")
    b = api.call("GET", "/v1/keys/q/topk?prefix=xpple&fuzzy=1&prefixlen=1")[2]
    check(b["terms"] == [], "prefixlen=1: the first byte must match")
    b = api.call("GET", "/v1/keys/q/topk?prefix=xpple&fuzzy=1&prefixlen=0")[2]
    check(b["terms"] == [{"term": "apple"}], "prefixlen=0: a substituted first byte is one edit")
    check(r.execute_command("ACTOPK", "q", "aple", 3, "FUZZY", 1) == [b"apple", b"appetite"],
          "the same answer over RESP")
    # Blends: blend=key:weight, repeated; split at the last colon, so keys may hold colons.
    r.execute_command("ACINCRBY", "user:42", "appetite", 3)
    r.execute_command("ACINCRBY", "user:42", "apps", 1)
    s, _, b = api.call("GET", "/v1/keys/q/topk?prefix=app&k=3&withscores=1&blend=user:42:0.5")
    check(s == 200 and b["terms"] == [{"term": "appetite", "score": 2.5},
                                      {"term": "apple", "score": 2}, {"term": "app", "score": 1}],
          f"blend=user:42:0.5: weighted sums as JSON numbers ({b})")
    b = api.call("GET", "/v1/keys/q/topk?prefix=app&k=5&blend=user:42:0.5&blend=nokey:3")[2]
    check([t["term"] for t in b["terms"]] == ["appetite", "apple", "app", "application", "apps"],
          f"two blend parameters, one a missing key; terms only without withscores ({b})")
    b = api.call("GET", "/v1/keys/q/topk?prefix=aple&k=1&fuzzy=1&withscores=1&blend=user:42:10")[2]
    check(b["terms"] == [{"term": "appetite", "score": 31, "distance": 1}],
          f"blend with fuzzy: the distance beside the score ({b})")
    r.delete("user:42")
    # A decaying key: "score" for "freq", the current score as a JSON number. A half-life of
    # a century, so a score barely moves while the test runs.
    r.execute_command("ACDECAY", "trend", str(100 * 365 * 86400))
    s, _, b = api.call("POST", "/v1/keys/trend/record", {"term": "storm", "by": 4})
    check(s == 200 and set(b) == {"key", "term", "score", "took_us"} and
          abs(b["score"] - 4) < 1e-6, f"record on a decaying key: a score ({b})")
    s, _, b = api.call("GET", "/v1/keys/trend/topk?prefix=st&withscores=1")
    check(s == 200 and len(b["terms"]) == 1 and abs(b["terms"][0]["score"] - 4) < 1e-6,
          f"topk on a decaying key: scores ({b})")
    s, _, b = api.call("GET", "/v1/keys/trend/terms/storm")
    check(s == 200 and abs(b["score"] - 4) < 1e-6 and "freq" not in b,
          f"a term of a decaying key: its score ({b})")
    r.delete("trend")

    s, _, b = api.call("POST", "/v1/keys/q/record", {"terms": ["pear", "plum", "pear"]})
    check(s == 200 and b["terms"] == [{"term": "pear", "freq": 1}, {"term": "plum", "freq": 1},
                                      {"term": "pear", "freq": 2}],
          "POST record with terms: each term's new frequency, in order")
    s, _, b = api.call("POST", "/v1/keys/q/record", {"term": "plum", "by": 5})
    check(s == 200 and b["freq"] == 6, "POST record with by adds it (ACINCRBY)")
    s, _, b = api.call("POST", "/v1/keys/q/record", {"terms": ["pear"], "by": -2})
    check(s == 200 and b["terms"] == [{"term": "pear", "freq": 0}],
          "a negative by down to 0 removes the term (freq 0)")
    check(r.execute_command("ACSCORE", "q", "plum") == 6 and
          r.execute_command("ACSCORE", "q", "pear") is None, "RESP reads what the API wrote")

    r.execute_command("ACINCRBY", "q", "cherry", 7)
    s, _, b = api.call("GET", "/v1/keys/q/terms/cherry")
    check(s == 200 and b["term"] == "cherry" and b["freq"] == 7, "GET a term: its frequency")
    s, h, b = api.call("HEAD", "/v1/keys/q/terms/cherry")
    check(s == 200 and b == b"" and int(h["content-length"]) > 10, "HEAD: the GET's headers only")
    check(error_is(api.call("GET", "/v1/keys/q/terms/durian"), 404, "not_found",
                   "ERR no such term"), "GET of an absent term: 404 not_found")
    s, _, b = api.call("DELETE", "/v1/keys/q/terms/cherry")
    check(s == 200 and b["deleted"] is True and r.execute_command("ACSCORE", "q", "cherry") is None,
          "DELETE a term removes it")
    check(error_is(api.call("DELETE", "/v1/keys/q/terms/cherry"), 404, "not_found"),
          "DELETE of an absent term: 404")
    s, _, b = api.call("GET", "/v1/keys/q")
    check(s == 200 and b["cardinality"] == r.execute_command("ACCARD", "q") == 5,
          "GET a key: its cardinality")
    check(api.call("GET", "/v1/keys/none")[2]["cardinality"] == 0, "a missing key: 0")
    r.execute_command("ACRECORD", "other", "x")
    s, _, b = api.call("GET", "/v1/keys")
    check(s == 200 and sorted(b["keys"]) == ["other", "q"], "GET /v1/keys lists the keys")

    s, h, page = api.call("GET", "/")
    check(s == 200 and h["content-type"].startswith("text/html") and b"<input" in page and
          "default-src 'none'" in h.get("content-security-policy", ""),
          "GET / is the demo page, under a policy that allows this server only")
    external = re.findall(rb"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    check(not external and b"fetch(" in page, "the page loads nothing from outside")


def encoding(api, r):
    terms = ["new york", "c++", "a/b", "100%", "caf\u00e9", "\u6771\u4eac", "tab\there"]
    for t in terms:
        s, _, b = api.call("POST", "/v1/keys/enc/record", {"term": t})
        check(s == 200 and b["term"] == t, f"record {t!r} from a JSON body")
    for t in terms:
        path = "/v1/keys/enc/terms/" + "".join(f"%{c:02X}" for c in t.encode())
        s, _, b = api.call("GET", path)
        check(s == 200 and b["term"] == t and b["freq"] == 1, f"{t!r} percent-encoded in a path")
    raw_term = b"caf\xe9\x00!"  # Latin-1 and a NUL: not UTF-8, binary-safe in RESP
    r.execute_command("ACINCRBY", "enc", raw_term, 3)
    s, _, b = api.call("GET", "/v1/keys/enc/topk?prefix=caf&withscores=1")
    odd = [t for t in b["terms"] if t.get("raw")]
    check(len(odd) == 1 and odd[0]["term"] == "caf\u00e9\u0000!" and odd[0]["raw"] == "caf%E9%00%21"
          and odd[0]["freq"] == 3, "a term that is not UTF-8: \\u00XX for its bytes, and raw")
    check([t["term"] for t in b["terms"]] == ["caf\u00e9\u0000!", "caf\u00e9"],
          "...ranked among the others by its bytes")
    s, _, b = api.call("GET", "/v1/keys/enc/terms/" + odd[0]["raw"])
    check(s == 200 and b["freq"] == 3 and b["raw"] == "caf%E9%00%21", "raw names it in a path")
    s, _, b = api.call("GET", "/v1/keys/enc/topk?prefix=new+y")
    check([t["term"] for t in b["terms"]] == ["new york"], "'+' in a query is a space")
    s, _, b = api.call("GET", "/v1/keys/enc/topk?prefix=c%2B%2B")
    check([t["term"] for t in b["terms"]] == ["c++"], "%2B in a query is '+'")
    s, _, b = api.call("GET", "/v1/keys/enc/topk?prefix=%E6%9D%B1")
    check([t["term"] for t in b["terms"]] == ["\u6771\u4eac"], "a UTF-8 prefix")
    r.execute_command("ACRECORD", "a/b key", "x")
    check(api.call("GET", "/v1/keys/a%2Fb%20key")[2]["cardinality"] == 1,
          "a key with '/' and a space, percent-encoded")


def errors(api, port, r):
    bad = "bad_request"
    cases = [
        (("GET", "/v1/keys/q/topk?k=x"), "ERR value is not an integer or out of range"),
        (("GET", "/v1/keys/q/topk?k=-1"), "ERR value is out of range, must be positive"),
        (("GET", "/v1/keys/q/topk?kk=1"), "ERR unknown parameter 'kk'"),
        (("GET", "/v1/keys/q/topk?withscores=maybe"), None),
        (("GET", "/v1/keys/q/topk?fuzzy=3"), "ERR FUZZY distance must be 0, 1 or 2"),
        (("GET", "/v1/keys/q/topk?prefixlen=1"), "ERR prefixlen needs fuzzy"),
        (("GET", "/v1/keys/q/topk?blend=user"), "ERR blend must be key:weight"),
        (("GET", "/v1/keys/q/topk?blend=:2"), "ERR blend must be key:weight"),
        (("GET", "/v1/keys/q/topk?blend=user:x"), "ERR weight value is not a float"),
        (("GET", "/v1/keys/q/topk?blend=user:-1"),
         "ERR BLEND weight must be a finite number >= 0"),
        (("GET", "/v1/keys/q/topk?fuzzy=1&prefixlen=-1"),
         "ERR value is out of range, must be positive"),
        (("GET", "/v1/keys/q/topk?prefix=%zz"), "ERR invalid percent-encoding in the URL"),
        (("GET", "/v1/keys/q/terms/%E"), "ERR invalid percent-encoding in the URL"),
        (("POST", "/v1/keys/q/record", b"{\"term\":"), None),
        (("POST", "/v1/keys/q/record", b"{\"term\":\"\xe9\"}"), None),
        (("POST", "/v1/keys/q/record", {"word": "x"}), None),
        (("POST", "/v1/keys/q/record", {"term": 5}), None),
        (("POST", "/v1/keys/q/record", {"terms": []}), None),
        (("POST", "/v1/keys/q/record", ["x"]), None),
        (("POST", "/v1/keys/q/record", {"term": "x", "by": 1.5}),
         "ERR value is not an integer or out of range"),
        (("POST", "/v1/keys/q/record", {"term": "x", "by": 2**64}),
         "ERR value is not an integer or out of range"),
        (("POST", "/v1/keys/q/record", {"term": ""}), "ERR empty term"),
        (("POST", "/v1/keys/q/record", {"term": "x" * 513}),
         "ERR term is longer than max-term-length (512 bytes)"),
    ]
    before = r.execute_command("ACTOPK", "q", "", 100, "WITHSCORES")
    for (method, path, *body), text in cases:
        resp = api.call(method, path, body[0] if body else None)
        check(error_is(resp, 400, bad, text) and resp[2]["error"].startswith("ERR"),
              f"{method} {path} {body[0] if body else ''!r:.40}: 400 {text or resp[2]}")
    resp = api.call("POST", "/v1/keys/q/record", {"terms": ["kiwi", "", "lime"]})
    check(error_is(resp, 400, bad, "ERR empty term") and
          r.execute_command("ACSCORE", "q", "kiwi") is None,
          "one bad term among good ones: 400, and none is recorded")
    check(r.execute_command("ACTOPK", "q", "", 100, "WITHSCORES") == before,
          "no error changed a stored term")
    resp = api.call("POST", "/v1/keys/q/topk")
    check(error_is(resp, 405, "method_not_allowed") and resp[1]["allow"] == "GET, HEAD, OPTIONS",
          "POST topk: 405 with Allow")
    resp = api.call("GET", "/v1/keys/q/record")
    check(resp[0] == 405 and resp[1]["allow"] == "POST, OPTIONS", "GET record: 405")
    check(error_is(api.call("GET", "/v1/nosuch"), 404, "not_found", "no such endpoint"),
          "an unknown API path: 404 not_found")
    check(error_is(api.call("GET", "/v1/keys/q/terms"), 404, "not_found"), "terms without one")

    # 413 at http-max-body, read at each request.
    r.execute_command("CONFIG", "SET", "http-max-body", "100")
    out, closed = raw(port, b"POST /v1/keys/q/record HTTP/1.1\r\nHost: x\r\nContent-Length: 101"
                            b"\r\n\r\n" + b"x" * 101)
    check(out.startswith(b"HTTP/1.1 413 ") and b'"code":"payload_too_large"' in out and closed,
          "a body past http-max-body: 413 JSON, closed")
    body = json.dumps({"term": "y" * 70}).encode()
    out, _ = raw(port, b"POST /v1/keys/q/record HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    check(out.startswith(b"HTTP/1.1 200 "), "a body within it is served")
    r.execute_command("CONFIG", "SET", "http-max-body", "1mb")
    r.execute_command("ACDEL", "q", "y" * 70)
    out, closed = raw(port, b"GET /v1/keys HTTP/1.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 431 ") and b'"code":"header_too_large"' in out and closed,
          "a header past 16 KB: 431 JSON, closed")
    out, closed = raw(port, b"GET /v1/keys HTTP/1.1\r\nHost x\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 400 ") and b'"code":"bad_request"' in out and closed,
          "a malformed request: 400 JSON, closed")

    r.execute_command("CONFIG", "SET", "maxmemory", "1")
    resp = api.call("POST", "/v1/keys/q/record", {"term": "oom"})
    r.execute_command("CONFIG", "SET", "maxmemory", "0")
    check(error_is(resp, 503, "out_of_memory") and resp[2]["error"].startswith("OOM"),
          "a write past maxmemory: 503 out_of_memory")
    check(api.call("GET", "/v1/keys/q/topk?prefix=app")[0] == 200, "...while reads go on")


def pipelining(port):
    body = b'{"term":"pipelined"}'
    reqs = (b"GET /v1/keys/q/terms/plum HTTP/1.1\r\nHost: x\r\n\r\n"
            b"POST /v1/keys/q/record HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
            b"GET /v1/keys/q/terms/pipelined HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /v1/keys/q/topk?prefix=pip HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            % (len(body), body))
    out, closed = raw(port, reqs)
    parts = out.split(b"HTTP/1.1 ")[1:]
    check(len(parts) == 4 and all(p.startswith(b"200 ") for p in parts) and closed,
          "four pipelined requests, one a POST: four answers, then the close asked for")
    check(len(parts) == 4 and b'"freq":6' in parts[0] and b'"freq":1' in parts[1] and
          b'"term":"pipelined","freq":1' in parts[2] and b'"pipelined"' in parts[3],
          "...in order, each seeing the writes before it")


def paused(api, port, r):
    """CLIENT PAUSE WRITE holds the API's writes and not its reads, as it does RESP's."""
    r.execute_command("CLIENT", "PAUSE", 100000, "WRITE")
    try:
        check(api.call("GET", "/v1/keys/q/topk?prefix=app&k=1")[0] == 200,
              "a read is served during CLIENT PAUSE WRITE")
        body = b'{"term":"paused"}'
        s = socket.create_connection(("127.0.0.1", port), timeout=0.5)
        s.sendall(b"POST /v1/keys/q/record HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                  b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        try:
            early = s.recv(100)
        except socket.timeout:
            early = b""
        check(early == b"" and r.execute_command("ACSCORE", "q", "paused") is None,
              "a POST record waits for the pause")
    finally:
        r.execute_command("CLIENT", "UNPAUSE")
    s.settimeout(5)
    out = b""
    while not out.endswith(b"}"):
        chunk = s.recv(4096)
        if not chunk:
            break
        out += chunk
    s.close()
    check(out.startswith(b"HTTP/1.1 200 ") and b'"freq":1' in out,
          "...and is answered once CLIENT UNPAUSE ends it")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def slow_clients(work, port, pid, r):
    """Slow-loris clients and huge headers while another client is served; then the timeout."""
    r.execute_command("CONFIG", "SET", "http-request-timeout", "2")
    base = rss_kb(pid)
    lorises = []
    for i in range(40):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /v1/keys/q/topk HTTP/1.1\r\nX-Pad: " + b"p" * 15000)
        lorises.append(s)
    api = Api(port)
    served = 0
    deadline = time.time() + 1.5
    next_drip = 0
    while time.time() < deadline:
        if time.time() >= next_drip:
            for s in lorises[:5]:
                s.sendall(b"p")  # trickles on, never ending the header
            next_drip = time.time() + 0.1
        if api.call("GET", "/v1/keys/q/topk?prefix=app&k=1")[0] == 200:
            served += 1
    check(served >= 20, f"another client is served meanwhile ({served} requests in 1.5 s)")
    # What the server holds for them, by its own count (CLIENT LIST's tot-mem: the read and
    # write buffers), and what the process grew by.
    held = [c for c in r.client_list() if int(c.get("qbuf", 0)) >= 15000]
    total = sum(int(c["tot-mem"]) for c in held)
    check(len(held) == 40 and total <= 40 * 64 * 1024,
          f"40 half-sent 15 KB headers hold {total // 1024} KB of buffers")
    grown = rss_kb(pid) - base
    # AddressSanitizer keeps freed blocks resident (its quarantine), so its RSS says less.
    limit = 256 * 1024 if "ASAN_OPTIONS" in os.environ else 16 * 1024
    check(grown < limit, f"...and the process grew by {grown} KB (< {limit} KB)")
    closed = 0
    for s in lorises:
        s.settimeout(6)
        data = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        if data.startswith(b"HTTP/1.1 408 ") or data == b"":
            closed += 1
        s.close()
    check(closed == 40, "each slow-loris is closed after http-request-timeout")
    out, closed_one = raw(port, b"GET /v1/keys/q/topk HTTP/1.1\r\nHost: x", wait=6)
    check(out.startswith(b"HTTP/1.1 408 ") and b'"code":"request_timeout"' in out and closed_one,
          "a request not complete in time: 408 JSON, closed")
    # A keep-alive client idle between requests is no slow-loris.
    api = Api(port)
    api.call("GET", "/v1/keys")
    time.sleep(3)
    check(api.call("GET", "/v1/keys")[0] == 200, "an idle keep-alive connection is kept")
    r.execute_command("CONFIG", "SET", "http-request-timeout", "10")


def credentials(port, r):
    r.execute_command("ACL", "SETUSER", "search", "on", ">k3y", "~t1:*", "+actopk", "+acscore")
    r.execute_command("ACL", "SETUSER", "writer", "on", ">w", "~t1:*", "+@autocomplete")
    r.execute_command("ACRECORD", "t1:q", "alpha")
    r.execute_command("ACRECORD", "t2:q", "beta")
    r.execute_command("CONFIG", "SET", "requirepass", "s3cret")
    anon = Api(port)
    resp = anon.call("GET", "/v1/keys/t1:q/topk")
    check(error_is(resp, 401, "unauthorized", "NOAUTH Authentication required.") and
          resp[1].get("www-authenticate", "").startswith("Bearer"),
          "no credentials: 401 with a Bearer challenge (no browser login dialog)")
    check(error_is(Api(port, basic("search", "nope")).call("GET", "/v1/keys/t1:q/topk"), 401,
                   "unauthorized", "WRONGPASS invalid username-password pair or user is disabled."),
          "a wrong password: 401 WRONGPASS")
    search = Api(port, basic("search", "k3y"))
    check(search.call("GET", "/v1/keys/t1:q/topk")[2]["terms"] == [{"term": "alpha"}],
          "a search-only user reads its tenant's key")
    resp = search.call("POST", "/v1/keys/t1:q/record", {"term": "x"})
    check(error_is(resp, 403, "forbidden") and resp[2]["error"].startswith("NOPERM"),
          "...and may not record: 403 NOPERM")
    resp = search.call("GET", "/v1/keys/t2:q/topk")
    check(error_is(resp, 403, "forbidden") and "key" in resp[2]["error"],
          "...nor read another tenant's key: 403 NOPERM")
    writer = Api(port, basic("writer", "w"))
    check(writer.call("POST", "/v1/keys/t1:q/record", {"term": "alpha"})[2]["freq"] == 2,
          "a user with write rights records")
    check(Api(port, "Bearer s3cret").call("GET", "/v1/keys/t2:q")[2]["cardinality"] == 1,
          "Bearer with the default user's password")
    log = r.execute_command("AUTH", "s3cret") and r.execute_command("ACL", "LOG")
    check(any(b"search" in e[e.index(b"username") + 1] for e in log if b"username" in e),
          "the API's refusals are in the ACL LOG")
    r.execute_command("CONFIG", "SET", "requirepass", "")


def cors(api, r):
    r.execute_command("CONFIG", "SET", "http-cors-origins", "https://shop.example http://localhost:3000")
    s, h, _ = api.call("GET", "/v1/keys/q/topk?prefix=a", headers={"Origin": "https://shop.example"})
    check(s == 200 and h.get("access-control-allow-origin") == "https://shop.example" and
          h.get("vary") == "Origin", "an allowed origin gets Access-Control-Allow-Origin")
    s, h, _ = api.call("GET", "/v1/keys/q/topk?prefix=a", headers={"Origin": "https://evil.example"})
    check(s == 200 and "access-control-allow-origin" not in h,
          "another origin gets no CORS header (the browser keeps the answer from its page)")
    s, h, b = api.call("OPTIONS", "/v1/keys/q/record", headers={
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    check(s == 204 and b == b"" and "content-length" not in h and
          h.get("access-control-allow-origin") == "http://localhost:3000" and
          "POST" in h.get("access-control-allow-methods", "") and
          "Authorization" in h.get("access-control-allow-headers", ""),
          "a preflight from an allowed origin: 204 with the methods and headers")
    resp = api.call("OPTIONS", "/v1/keys/q/record", headers={"Origin": "https://evil.example"})
    check(error_is(resp, 403, "forbidden"), "a preflight from another origin: 403")
    r.execute_command("CONFIG", "SET", "http-cors-origins", "*")
    s, h, _ = api.call("GET", "/v1/keys", headers={"Origin": "https://any.example"})
    check(h.get("access-control-allow-origin") == "https://any.example", "'*' allows any origin")
    r.execute_command("CONFIG", "SET", "http-cors-origins", "")


def too_many(work, r, http_port):
    clients = r.info("clients")["connected_clients"]
    r.execute_command("CONFIG", "SET", "maxclients", clients)
    out, closed = raw(http_port, b"GET /v1/keys HTTP/1.1\r\nHost: x\r\n\r\n")
    r.execute_command("CONFIG", "SET", "maxclients", 10000)
    check(out.startswith(b"HTTP/1.1 429 ") and b'"code":"too_many_requests"' in out and closed,
          "past maxclients, http-port answers 429 JSON")


def loading(work):
    port, http_port = free_port(), free_port()
    seed(SERVER, work, "slow", port, [f"term{i}" for i in range(3000)])
    server = start_server(SERVER, work, "slow", port, "--http-port", str(http_port),
                          "--key-load-delay", "1000")
    try:
        api = Api(http_port)
        wait_for(lambda: api.call("GET", "/v1/keys")[0] in (200, 503), 10, "http-port answers")
        resp = api.call("GET", "/v1/keys/q/topk?prefix=term")
        check(error_is(resp, 503, "loading") and resp[2]["error"].startswith("LOADING"),
              "while loading: 503 loading")
        check(api.call("GET", "/readyz")[0] == 503, "/readyz on http-port says not ready")
        wait_for(lambda: api.call("GET", "/v1/keys/q")[0] == 200, 60, "the load ends")
        check(api.call("GET", "/v1/keys/q")[2]["cardinality"] == 3000, "then it serves all terms")
    finally:
        stop_all([server])


def replica_and_bind(work):
    """A replica refuses writes with 403 read_only; http-bind chooses the API's address."""
    port, http_port, nowhere = free_port(), free_port(), free_port()
    server = start_server(SERVER, work, "replica", port, "--http-port", str(http_port),
                          "--http-bind", "127.0.0.2", "--replicaof", "127.0.0.1", str(nowhere))
    try:
        api = Api(http_port, host="127.0.0.2")
        wait_for(lambda: api.call("GET", "/v1/keys")[0] == 200, 10, "the replica answers")
        resp = api.call("POST", "/v1/keys/q/record", {"term": "x"})
        check(error_is(resp, 403, "read_only") and resp[2]["error"].startswith("READONLY"),
              "a write to a read-only replica: 403 read_only")
        try:
            socket.create_connection(("127.0.0.1", http_port), timeout=2).close()
            bound_elsewhere = False
        except OSError:
            bound_elsewhere = True
        check(bound_elsewhere, "http-bind 127.0.0.2: nothing listens on 127.0.0.1")
    finally:
        stop_all([server])


def durability(work):
    port, http_port = free_port(), free_port()
    server = start_server(SERVER, work, "durable", port, "--http-port", str(http_port),
                          "--appendonly", "yes", "--appendfsync", "always")
    api = Api(http_port)
    wait_for(lambda: api.call("GET", "/v1/keys")[0] == 200, 10, "the durable server answers")
    acked = []
    for i in range(50):
        if api.call("POST", "/v1/keys/d/record", {"terms": [f"t{i}", f"u{i}"]})[0] == 200:
            acked += [f"t{i}", f"u{i}"]
    server.kill()  # kill -9 right after the last answer
    server.wait()
    server = start_server(SERVER, work, "durable", port, "--http-port", str(http_port),
                          "--appendonly", "yes")
    try:
        api = Api(http_port)
        wait_for(lambda: api.call("GET", "/v1/keys/d")[0] == 200, 20, "it restarts")
        s, _, b = api.call("GET", "/v1/keys/d/topk?k=1000")
        got = {t["term"] for t in b["terms"]}
        check(len(acked) == 100 and got == set(acked),
              f"every answered POST survives kill -9 ({len(got)} of {len(acked)})")
    finally:
        stop_all([server])


def main():
    work = tempfile.mkdtemp(prefix="typeahead-api-")
    procs = []
    try:
        port, http_port = free_port(), free_port()
        procs.append(start_server(SERVER, work, "main", port, "--http-port", str(http_port)))
        r = redis.Redis(port=port, socket_timeout=10)
        wait_for(r.ping, 10, "the server answers")
        api = Api(http_port)
        endpoints(api, r)
        check(Api(port).call("GET", "/v1/keys/q/topk?prefix=app&k=1")[2]["terms"] ==
              [{"term": "apple"}], "the API answers on the RESP port too (HTTP told by its first bytes)")
        encoding(api, r)
        errors(api, http_port, r)
        pipelining(http_port)
        paused(api, http_port, r)
        credentials(http_port, r)
        cors(api, r)
        too_many(work, r, http_port)
        slow_clients(work, http_port, procs[0].pid, r)
        check(r.execute_command("ACSCORE", "q", "plum") == 6, "the data is intact after it all")
        loading(work)
        replica_and_bind(work)
        durability(work)
    finally:
        stop_all(procs)
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
