"""What the Python integration tests share: counted checks, free loopback ports and bounded
waits. A test calls check() for every claim and exits with finish()'s status."""
import os
import socket
import subprocess
import time

import redis

failures = []


def say(msg):
    print(msg, flush=True)


def check(cond, what):
    say(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_exchange(port, data, wait=3.0, done=None, host="127.0.0.1"):
    """Sends data on a new connection and reads until the server closes, wait seconds pass
    without a byte, or done(what came) holds; returns (what came, whether the server closed)."""
    s = socket.create_connection((host, port), timeout=wait)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                return out, False
            if not chunk:
                return out, True
            out += chunk
            if done is not None and done(out):
                return out, False
    finally:
        s.close()


def wait_for(cond, seconds, what, interval=0.05, say_ok=False):
    """Polls cond (a Redis or socket error counts as not yet) until it is true or seconds
    pass; a timeout is a failed check. True when cond held."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if cond():
                if say_ok:
                    say(f"ok: {what}")
                return True
        except (redis.exceptions.RedisError, OSError):
            pass
        time.sleep(interval)
    check(False, f"{what} within {seconds} s")
    return False


def start_server(binary, work, name, port, *extra, env=None):
    """Starts typeahead-server on port with its data in work/name and its log appended to
    work/name.log, two shard threads, extra directives after; env adds to the environment."""
    log = open(os.path.join(work, name + ".log"), "a")
    return subprocess.Popen([binary, "--port", str(port), "--dir", os.path.join(work, name),
                             "--threads", "2", *extra], stdout=log, stderr=subprocess.STDOUT,
                            env=dict(os.environ, **(env or {})))


def seed(binary, work, name, port, terms):
    """Records terms (one use each) in key q on a server of its own, saves and stops it: data
    for a test of what a start from it does."""
    server = start_server(binary, work, name, port)
    try:
        r = redis.Redis(port=port, socket_timeout=10)
        wait_for(r.ping, 10, "the server answers")
        p = r.pipeline(transaction=False)
        for term in terms:
            p.execute_command("ACRECORD", "q", term)
        p.execute()
        r.save()
    finally:
        server.terminate()
        server.wait(timeout=30)


def stop_all(procs):
    """Stops the processes a test started, newest first: SIGTERM, then SIGKILL after 15 s."""
    for proc in reversed(procs):
        proc.terminate()
    for proc in reversed(procs):
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def finish():
    """The exit status: 0 when every check held."""
    if failures:
        say(f"{len(failures)} check(s) failed: {failures}")
        return 1
    say("all checks passed")
    return 0
