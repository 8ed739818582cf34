"""ACL users against the real server binary, with redis-py and redis-cli as users run them.

  1. Tenants kept apart: users from the config file's `user` lines, tenant_a on ~a:* and
     tenant_b on ~b:*; every command that takes a key (the list is read from COMMAND, so a
     new key command is covered or fails here) is refused with NOPERM on the other tenant's
     key, plain and inside MULTI, and that tenant's data is byte for byte what it was. A +@read
     user reads and cannot record. Wrong passwords fail and land in ACL LOG. redis-cli
     --user/--pass logs in.
  2. CONFIG REWRITE writes the users back into the config file, and a restart from it has them.
  3. An aclfile: ACL SAVE, an edit by hand and ACL LOAD, a bad file that ACL LOAD refuses while
     the users stay, kill -9 and a restart that has what was saved; a bad aclfile, or `user`
     lines beside an aclfile, stop the server at start-up with one clear line and exit 1.
  4. A replica logs in to its primary with masteruser and masterauth as a user allowed only
     what replication needs, and follows its writes.

Every process is started here and stopped by pid; every wait is bounded. Exit status 0 when
all holds. Usage: acl_test.py <typeahead-server>
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

import redis
from harness import check, failures, free_port, wait_for

SERVER = sys.argv[1]
started = []  # every Server, stopped at the end whatever happened


def refused(fn):
    """The NOPERM text a call got, or None when it was not refused."""
    try:
        fn()
    except redis.exceptions.NoPermissionError as e:
        return str(e)
    return None


class Server:
    def __init__(self, work, name, lines):
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.conf = os.path.join(self.dir, "typeahead.conf")
        with open(self.conf, "w") as f:
            f.write(f"port {self.port}\nbind 127.0.0.1\nthreads 2\ndir {self.dir}\n")
            f.write("".join(line + "\n" for line in lines))
        self.logpath = os.path.join(self.dir, "log")
        self.proc = None
        started.append(self)

    def start(self, password=None, username=None):
        with open(self.logpath, "a") as log:
            self.proc = subprocess.Popen([SERVER, self.conf], stdout=log, stderr=subprocess.STDOUT)
        c = self.client(username, password)
        ok = wait_for(lambda: c.ping(), 10, f"server on {self.port} answering")
        if not ok:
            print(open(self.logpath).read())
            raise SystemExit(1)
        return c

    def client(self, username=None, password=None, **kw):
        return redis.Redis(port=self.port, username=username, password=password, socket_timeout=5,
                           **kw)

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def dump(c, key):
    return c.execute_command("ACTOPK", key, "", 1000, "WITHSCORES")


# The arguments of each command that takes keys, with KEY where the other tenant's key goes
# and OWN where one of the user's own may; COMMAND's list of key commands must equal these.
KEY_COMMANDS = {
    "acrecord": [["KEY", "x"]],
    "acincrby": [["KEY", "x", "5"]],
    "actopk": [["KEY", "", "5"]],
    "acscore": [["KEY", "x"]],
    "acdel": [["KEY", "secret"]],
    "accard": [["KEY"]],
    "acdecay": [["KEY", "60"], ["KEY", "0"]],
    "ft.sugadd": [["KEY", "x", "1"], ["KEY", "secret", "1", "INCR", "PAYLOAD", "p"]],
    "ft.sugget": [["KEY", "sec"], ["KEY", "", "FUZZY", "WITHPAYLOADS"]],
    "ft.sugdel": [["KEY", "secret"]],
    "ft.suglen": [["KEY"]],
    "del": [["KEY"], ["OWN", "KEY"]],
    "unlink": [["KEY"], ["OWN", "KEY"]],
    "exists": [["KEY"], ["OWN", "KEY"]],
    "type": [["KEY"]],
    "rename": [["KEY", "OWN2"], ["OWN", "KEY"]],
    "watch": [["KEY"]],
}


def tenants(work):
    s = Server(work, "tenants", [
        "requirepass adminpw",
        "user tenant_a on >pa ~a:* +@all -@dangerous",
        "user tenant_b on >pb ~b:* +@autocomplete",
        "user reader on >pr %R~* +@read",
    ])
    admin = s.start(password="adminpw")
    try:
        s.client().ping()
        check(False, "a client without a password is refused")
    except redis.exceptions.AuthenticationError as e:
        check("Authentication required" in str(e), f"a client without a password: {e}")

    b = s.client("tenant_b", "pb")
    for term in ["secret", "secret", "second"]:
        b.execute_command("ACRECORD", "b:q", term)
    a = s.client("tenant_a", "pa")
    a.execute_command("ACRECORD", "a:q", "apple")
    before = dump(admin, "b:q")
    check(before == [b"secret", 2, b"second", 1], f"tenant_b's data {before}")
    check(dump(a, "a:q") == [b"apple", 1], "tenant_a reads and writes its own key")

    # COMMAND names every command with keys: each must be in KEY_COMMANDS.
    with_keys = set()
    for name, info in admin.command().items():
        if info["first_key_pos"] > 0:
            with_keys.add(name)
    check(with_keys == set(KEY_COMMANDS), f"key commands {sorted(with_keys)}")

    key_text = "this user has no permissions to access one of the keys used as arguments"
    for name, forms in KEY_COMMANDS.items():
        for form in forms:
            args = [{"KEY": "b:q", "OWN": "a:q", "OWN2": "a:other"}.get(x, x) for x in form]
            text = refused(lambda: a.execute_command(name.upper(), *args))
            check(text == key_text, f"tenant_a: {name} {' '.join(args)} -> {text}")
    # Inside MULTI the refusal comes at queueing time and the transaction is discarded.
    p = a.pipeline(transaction=True)
    p.execute_command("ACRECORD", "a:q", "apple")
    p.execute_command("ACDEL", "b:q", "secret")
    try:
        p.execute()
        check(False, "MULTI with another tenant's key is refused")
    except redis.exceptions.RedisError as e:
        check("no permissions to access one of the keys" in str(e), f"MULTI refused: {e}")
    # tenant_b may only complete and record.
    for cmd in (["DEL", "b:q"], ["FLUSHALL"], ["CONFIG", "GET", "dir"], ["KEYS", "*"]):
        text = refused(lambda: b.execute_command(*cmd))
        check(text is not None and "no permissions to run" in text, f"tenant_b: {cmd} -> {text}")
    check(dump(admin, "b:q") == before, "tenant_b's data is untouched")
    check(dump(admin, "a:q") == [b"apple", 1], "tenant_a's data is untouched by its MULTI")

    r = s.client("reader", "pr")
    check(dump(r, "b:q") == before, "reader reads any key")
    text = refused(lambda: r.execute_command("ACRECORD", "b:q", "x"))
    check(text == "this user has no permissions to run the 'acrecord' command", f"reader: {text}")

    for user, pw in (("tenant_a", "wrong"), ("nobody", "pa"), ("default", "pa")):
        try:
            s.client(user, pw).ping()
            check(False, f"{user}/{pw} is refused")
        except (redis.exceptions.AuthenticationError, redis.exceptions.ResponseError) as e:
            check("WRONGPASS" in str(e), f"{user}/{pw}: {e}")
    log = admin.acl_log()
    reasons = [(e["reason"], e["username"]) for e in log]
    check(("auth", "tenant_a") in reasons and ("key", "tenant_a") in reasons
          and ("command", "reader") in reasons, f"ACL LOG {reasons}")

    cli = ["redis-cli", "-p", str(s.port), "--user", "tenant_a", "--pass", "pa", "--no-auth-warning"]
    out = subprocess.run(cli + ["ACTOPK", "a:q", "", "5"], capture_output=True, text=True, timeout=20)
    check(out.stdout.strip() == "apple", f"redis-cli --user tenant_a: {out.stdout!r}")
    out = subprocess.run(cli + ["ACTOPK", "b:q", "", "5"], capture_output=True, text=True, timeout=20)
    check("NOPERM" in out.stdout, f"redis-cli --user tenant_a on b:q: {out.stdout!r}")
    check(admin.execute_command("ACL", "WHOAMI") == b"default", "the admin is the default user")

    # CONFIG REWRITE writes every user back, and a restart has them.
    admin.execute_command("ACL", "SETUSER", "late", "on", ">pl", "~l:*", "+@autocomplete")
    admin.execute_command("ACL", "DELUSER", "reader")
    admin.execute_command("CONFIG", "REWRITE")
    conf = open(s.conf).read()
    check("user late on #" in conf and "user reader" not in conf and "requirepass adminpw" in conf,
          "CONFIG REWRITE wrote the users")
    s.stop()
    admin = s.start(password="adminpw")
    late = s.client("late", "pl")
    check(late.execute_command("ACRECORD", "l:q", "x") == 1, "the rewritten user logs in")
    check(dump(admin, "b:q") == before, "tenant_b's data after the restart")
    try:
        s.client("reader", "pr").ping()
        check(False, "the deleted user stays deleted")
    except (redis.exceptions.AuthenticationError, redis.exceptions.ResponseError) as e:
        check("WRONGPASS" in str(e), "the deleted user stays deleted")
    s.stop()


def aclfile(work):
    s = Server(work, "aclfile", ["aclfile users.acl"])
    path = os.path.join(s.dir, "users.acl")
    with open(path, "w") as f:
        f.write("user default on nopass ~* &* +@all\nuser alice on >pa ~a:* +@autocomplete\n")
    admin = s.start()
    check(s.client("alice", "pa").execute_command("ACRECORD", "a:q", "x") == 1, "alice from the file")
    admin.execute_command("ACL", "SETUSER", "bob", "on", ">pb", "~b:*", "+@read")
    check(admin.execute_command("ACL", "SAVE") == b"OK", "ACL SAVE")
    saved = open(path).read()
    check("user bob on #" in saved and "user alice on #" in saved, f"the file {saved!r}")
    with open(path, "a") as f:
        f.write("user carol on >pc ~c:* +@autocomplete\n")
    check(admin.execute_command("ACL", "LOAD") == b"OK", "ACL LOAD of an edited file")
    check(s.client("carol", "pc").execute_command("ACCARD", "c:q") == 0, "carol after ACL LOAD")
    with open(path, "a") as f:
        f.write("user dave on >pd +@nosuchcategory\n")
    try:
        admin.execute_command("ACL", "LOAD")
        check(False, "ACL LOAD of a bad file is refused")
    except redis.exceptions.ResponseError as e:
        check("users.acl:5: " in str(e) and "nosuchcategory" in str(e), f"ACL LOAD of a bad file: {e}")
    users = admin.execute_command("ACL", "USERS")
    check(users == [b"alice", b"bob", b"carol", b"default"], f"the users stay {users}")
    # ACL SAVE replaces the bad file with what the server holds; kill -9; the restart has it.
    admin.execute_command("ACL", "SAVE")
    s.kill9()
    admin = s.start()
    users = admin.execute_command("ACL", "USERS")
    check(users == [b"alice", b"bob", b"carol", b"default"], f"after kill -9 {users}")
    check(admin.execute_command("ACTOPK", "a:q", "", 5) == [b"x"], "the data survived too")
    s.stop()

    for name, lines, content, expect in (
        ("badfile", ["aclfile users.acl"], "user x on +@nosuch\n", "users.acl:1"),
        ("nofile", ["aclfile missing.acl"], None, "missing.acl"),
        ("both", ["aclfile users.acl", "user y on nopass +@all"], "user x on\n", "ACL file path is invalid"),
    ):
        bad = Server(work, name, lines)
        if content is not None:
            with open(os.path.join(bad.dir, "users.acl"), "w") as f:
                f.write(content)
        with open(bad.logpath, "w") as log:
            proc = subprocess.run([SERVER, bad.conf], stdout=log, stderr=subprocess.STDOUT,
                                  timeout=20)
        text = open(bad.logpath).read()
        check(proc.returncode == 1 and expect in text,
              f"{name}: exit {proc.returncode}, {text.strip().splitlines()[-1:]}")


def replica(work):
    primary = Server(work, "primary", [
        "requirepass adminpw",
        "user repl on >rp +psync +replconf +ping",
    ])
    admin = primary.start(password="adminpw")
    admin.execute_command("ACRECORD", "q", "before")
    rep = Server(work, "replica", [
        f"replicaof 127.0.0.1 {primary.port}", "masteruser repl", "masterauth rp"])
    rc = rep.start()
    wait_for(lambda: rc.info("replication")["master_link_status"] == "up", 20,
             "the replica logs in as repl and syncs")
    admin.execute_command("ACRECORD", "q", "after")
    check(wait_for(lambda: rc.execute_command("ACTOPK", "q", "", 5) == [b"after", b"before"], 10,
                   "the replica follows"), "the replica has both writes")
    rep.stop()
    # The same user with a wrong password: the link stays down, the primary logs the failure.
    bad = Server(work, "badreplica", [
        f"replicaof 127.0.0.1 {primary.port}", "masteruser repl", "masterauth wrong"])
    bc = bad.start()
    time.sleep(1.5)
    check(bc.info("replication")["master_link_status"] == "down", "a wrong masterauth: no link")
    check(any(e["reason"] == "auth" and e["username"] == "repl" for e in admin.acl_log()),
          "the primary's ACL LOG has the failed login")
    bad.stop()
    primary.stop()


def main():
    work = tempfile.mkdtemp(prefix="acl-test-")
    try:
        tenants(work)
        aclfile(work)
        replica(work)
    finally:
        for s in started:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"{len(failures)} failed: {failures}")
        sys.exit(1)
    print("all passed")


if __name__ == "__main__":
    main()
