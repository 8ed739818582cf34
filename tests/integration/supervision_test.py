"""Start-up under a supervisor, as systemd and upstart run the server, against the real binary.

  1. systemd (--supervised systemd, $NOTIFY_SOCKET a datagram socket the test reads): the
     server says STATUS=... when it starts to listen, READY=1 only once the data is loaded
     (while it still answers -LOADING there is none), INFO says process_supervised:systemd,
     and SIGTERM sends STOPPING=1. With daemonize yes as well it stays in the foreground, as
     under Redis, so systemd's main pid is the server's.
  2. upstart (--supervised auto with $UPSTART_JOB): the server stops itself with SIGSTOP once
     loaded, and serves after SIGCONT.
  3. contrib/systemd/typeahead.service passes systemd-analyze verify.

Every process is started here and stopped by pid; every wait is bounded.
Usage: supervision_test.py <typeahead-server>
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

import redis
from harness import check, finish, free_port, seed, start_server, stop_all, wait_for

SERVER = sys.argv[1]
UNIT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "contrib",
                    "systemd", "typeahead.service")


def start(work, port, env=None, *extra):
    return start_server(SERVER, work, "data", port, *extra, env=env)


def state(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def main():
    work = tempfile.mkdtemp(prefix="typeahead-supervision-")
    procs = []
    try:
        port = free_port()
        seed(SERVER, work, "data", port, [f"t{i}" for i in range(20000)])

        # 1. systemd.
        path = os.path.join(work, "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(20)
        server = start(work, port, {"NOTIFY_SOCKET": path}, "--supervised", "systemd",
                       "--daemonize", "yes", "--key-load-delay", "150")
        procs.append(server)
        first = sock.recv(4096).decode()
        check(first.startswith("STATUS="), f"the first message is a status ({first!r})")
        c = redis.Redis(port=port, socket_timeout=10, decode_responses=True)
        wait_for(lambda: c.info("persistence")["loading"] == 1, 10, "it answers while loading")
        sock.settimeout(0.5)
        try:
            early = sock.recv(4096).decode()
        except socket.timeout:
            early = ""
        check("READY=1" not in early, "no READY=1 while loading")
        sock.settimeout(30)
        messages = []
        while "READY=1\n" not in messages:
            messages.append(sock.recv(4096).decode())
        check(c.info("persistence")["loading"] == 0 and c.execute_command("ACCARD", "q") == 20000,
              "READY=1 comes once the data is loaded")
        check(any(m.startswith("STATUS=") for m in messages), "with a status before it")
        info = c.info("server")
        check(info["process_supervised"] == "systemd", "INFO says process_supervised:systemd")
        check(info["process_id"] == server.pid and server.poll() is None,
              "daemonize yes under systemd stays in the foreground")
        server.send_signal(signal.SIGTERM)
        stopping = sock.recv(4096).decode()
        check(stopping == "STOPPING=1\n", f"SIGTERM sends STOPPING=1 ({stopping!r})")
        check(server.wait(timeout=30) == 0, "and the server exits 0")
        procs.remove(server)
        sock.close()

        # 2. upstart.
        server = start(work, port, {"UPSTART_JOB": "typeahead"}, "--supervised", "auto")
        procs.append(server)
        wait_for(lambda: state(server.pid) == "T", 20, "under upstart it stops itself once loaded",
                 say_ok=True)
        server.send_signal(signal.SIGCONT)
        c = redis.Redis(port=port, socket_timeout=10, decode_responses=True)
        wait_for(lambda: c.execute_command("ACCARD", "q") == 20000, 10,
                 "after SIGCONT it serves the data", say_ok=True)
        check(c.info("server")["process_supervised"] == "upstart", "process_supervised:upstart")

        # 3. The unit.
        unit = os.path.join(work, "typeahead.service")
        with open(UNIT) as f:
            text = f.read().replace("/usr/local/bin/typeahead-server", os.path.abspath(SERVER))
        with open(unit, "w") as f:
            f.write(text)
        out = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, text=True)
        check(out.returncode == 0 and not (out.stdout + out.stderr).strip(),
              f"systemd-analyze verify passes the unit ({(out.stdout + out.stderr)[:200]})")
        check("Type=notify" in text, "the unit waits for READY=1")
    finally:
        for proc in procs:
            try:
                proc.send_signal(signal.SIGCONT)
            except ProcessLookupError:
                pass
        stop_all(procs)
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
