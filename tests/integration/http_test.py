"""HTTP on the real server binary: /metrics, /healthz and /readyz on the client port (told from
RESP by the first bytes) and on metrics-port, as curl, Prometheus and load-balancer probes send
them.

  1. The wire: keep-alive, two pipelined requests answered in order, HEAD without a body,
     HTTP/1.0 closing, 404, 405 with Allow, a malformed request (400), a header past the
     limit (431) and a body past it (413) each answered and the connection closed; RESP
     clients on the same port meanwhile are served, and the data is intact.
  2. Credentials: with a password on the default user, /metrics on the client port answers
     401 (with WWW-Authenticate) without them, 401 to wrong ones, 200 to HTTP Basic with an
     ACL user and to a Bearer password, 403 to a user without INFO; /healthz and /readyz and
     metrics-port need none.
  3. Readiness: a replica is ready while its primary streams to it, 503 once the primary is
     gone; the primary stays ready.

Every process is started here and stopped by pid; every wait is bounded. Exit status 0 when
all holds. Usage: http_test.py <typeahead-server>
"""
import base64
import http.client
import shutil
import sys
import tempfile

import redis
from harness import check, finish, free_port, raw_exchange, start_server, stop_all, wait_for

SERVER = sys.argv[1]


def get(port, path, method="GET", headers=None):
    """(status, headers dict with lower-case names, body) of one request on a new connection."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def raw(port, data, read_until_close=True):
    """Sends data on a new connection; what comes back until the server closes (or 3 s), or
    with read_until_close False, once two complete responses are in."""
    two = lambda out: out.count(b"HTTP/1.1 ") >= 2 and out.endswith(b"\n")
    return raw_exchange(port, data, done=None if read_until_close else two)


def start(work, name, port, *extra):
    return start_server(SERVER, work, name, port, *extra)


def wire(port, r):
    # Keep-alive: two requests on one connection.
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", "/healthz")
    first = c.getresponse()
    check(first.status == 200 and first.read() == b"OK\n", "GET /healthz is 200 OK")
    c.request("GET", "/metrics")
    second = c.getresponse()
    body = second.read().decode()
    check(second.status == 200 and "redis_up 1" in body, "a second request on the same "
          "connection gets /metrics")
    check(second.getheader("Content-Type", "").startswith("text/plain; version=0.0.4"),
          "/metrics has Prometheus's content type")
    c.close()

    # Pipelined: both requests in one write, both answers in order.
    out, _ = raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                       b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", read_until_close=False)
    check(out.count(b"HTTP/1.1 200 OK") == 2 and out.index(b"OK\n") < out.index(b"ready\n"),
          "two pipelined requests are answered in order")

    status, headers, body = get(port, "/metrics", "HEAD")
    check(status == 200 and body == b"" and int(headers["content-length"]) > 1000,
          "HEAD /metrics: the GET's headers, no body")
    out, closed = raw(port, b"GET /healthz HTTP/1.0\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 200 OK") and b"Connection: close" in out and closed,
          "an HTTP/1.0 request is answered and the connection closed")
    status, _, body = get(port, "/nosuch")
    check(status == 404 and body == b"no such endpoint\n", "an unknown path is 404")
    status, headers, _ = get(port, "/metrics", "POST")
    check(status == 405 and headers.get("allow") == "GET, HEAD", "POST /metrics is 405 with Allow")

    out, closed = raw(port, b"GET /metrics HTTP/1.1\r\nHost x\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 400 Bad Request") and closed,
          "a malformed header is 400 and the connection closed")
    out, closed = raw(port, b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 431 ") and closed,
          "a header past 16 KB is 431 and the connection closed")
    out, closed = raw(port, b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 20000)
    check(out.startswith(b"HTTP/1.1 431 ") and closed,
          "a header that never ends is cut at 16 KB")
    out, closed = raw(port, b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n"
                            b"\r\n" + b"x" * 100)
    check(out.startswith(b"HTTP/1.1 413 ") and closed,
          "a body past 1 MB is 413 and the connection closed")

    # RESP on the same port, before and after.
    check(r.execute_command("ACTOPK", "q", "ap", 5) == [b"apple", b"apply"],
          "a RESP client on the same port is served, the data intact")
    out, _ = raw(port, b"*1\r\n$4\r\nPING\r\n", read_until_close=False)
    check(out.startswith(b"+PONG"), "RESP still starts a connection with other first bytes")


def credentials(port, metrics_port, r):
    r.execute_command("ACL", "SETUSER", "scraper", "on", ">scrape-pass", "+info")
    r.execute_command("ACL", "SETUSER", "nosy", "on", ">nosy-pass", "+actopk", "~*")
    r.execute_command("CONFIG", "SET", "requirepass", "s3cret")
    status, headers, body = get(port, "/metrics")
    check(status == 401 and headers.get("www-authenticate", "").startswith("Basic") and
          body == b"NOAUTH Authentication required.\n",
          "/metrics without credentials is 401 with WWW-Authenticate")
    basic = lambda u, p: {"Authorization": "Basic " + base64.b64encode(f"{u}:{p}".encode())
                          .decode()}
    status, _, body = get(port, "/metrics", headers=basic("scraper", "wrong"))
    check(status == 401 and body.startswith(b"WRONGPASS"), "a wrong password is 401 WRONGPASS")
    status, _, body = get(port, "/metrics", headers=basic("scraper", "scrape-pass"))
    check(status == 200 and b"redis_up 1" in body, "HTTP Basic with an ACL user and INFO: 200")
    status, _, _ = get(port, "/metrics", headers={"Authorization": "Bearer s3cret"})
    check(status == 200, "a Bearer password of the default user: 200")
    status, _, body = get(port, "/metrics", headers=basic("nosy", "nosy-pass"))
    check(status == 403 and body.startswith(b"NOPERM"), "a user without INFO: 403 NOPERM")
    check(get(port, "/healthz")[0] == 200 and get(port, "/readyz")[0] == 200,
          "/healthz and /readyz need no credentials")
    status, _, body = get(metrics_port, "/metrics")
    check(status == 200 and b"redis_up 1" in body, "metrics-port serves /metrics without them")
    check(get(metrics_port, "/healthz")[0] == 200, "metrics-port serves /healthz")
    out, closed = raw(metrics_port, b"*1\r\n$4\r\nPING\r\n")
    check(out.startswith(b"HTTP/1.1 400 ") and closed, "metrics-port speaks no RESP")
    r.execute_command("AUTH", "s3cret")
    r.execute_command("CONFIG", "SET", "requirepass", "")


def readiness(work, port, r):
    replica_port = free_port()
    replica = start(work, "replica", replica_port, "--replicaof", "127.0.0.1", str(port))
    try:
        rr = redis.Redis(port=replica_port, socket_timeout=5)
        wait_for(lambda: rr.info("replication").get("master_link_status") == "up", 20,
                 "the replica's link is up")
        wait_for(lambda: get(replica_port, "/readyz")[0] == 200, 10,
                 "a replica in sync is ready", say_ok=True)
        check(get(port, "/readyz")[0] == 200, "the primary is ready")
        return replica, replica_port
    except Exception:
        replica.kill()
        raise


def main():
    work = tempfile.mkdtemp(prefix="typeahead-http-")
    procs = []
    try:
        port, metrics_port = free_port(), free_port()
        procs.append(start(work, "primary", port, "--metrics-port", str(metrics_port)))
        r = redis.Redis(port=port, socket_timeout=5)
        wait_for(r.ping, 10, "the server answers")
        for term in ("apple", "apple", "apply"):
            r.execute_command("ACRECORD", "q", term)
        wire(port, r)
        credentials(port, metrics_port, r)
        replica, replica_port = readiness(work, port, r)
        procs.append(replica)
        primary = procs.pop(0)
        primary.kill()
        primary.wait()
        wait_for(lambda: get(replica_port, "/readyz")[0] == 503, 10,
                 "a replica whose primary is gone is not ready (503)", say_ok=True)
        status, _, body = get(replica_port, "/readyz")
        check(body == b"replica not in sync with its primary\n", "/readyz says why")
        check(get(replica_port, "/healthz")[0] == 200, "it is still alive (/healthz 200)")
    finally:
        stop_all(procs)
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
