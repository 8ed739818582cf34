// CLIENT PAUSE and UNPAUSE over the wire, as Redis's pause unit checks them: WRITE holds writes
// (and PUBLISH, and EXEC of a transaction that writes, and the queueing of a write) but not
// reads; ALL holds every command; the held commands run in order once UNPAUSE or the timeout
// ends the pause, and what a pipeline sent before the held one is answered at once; a later
// pause keeps the later end and the stricter mode; a paused client can be killed; INFO counts
// held clients as blocked_clients; the argument errors are Redis's.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "tests/integration/server_process.h"

using namespace typeahead::test;

namespace {

std::string Resp(std::initializer_list<std::string> args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

bool Blocked(redisContext* c, int n) {
  return WaitFor([&] { return InfoField(c, "clients", "blocked_clients") == std::to_string(n); },
                 5);
}

}  // namespace

TEST_CASE("CLIENT PAUSE WRITE holds writes, not reads, until UNPAUSE") {
  ServerProcess server({"--threads", "2"});
  auto admin = Connect(server.port());
  CHECK(Run(admin.get(), {"ACRECORD", "k", "apple"}) == ":1");
  CHECK(Run(admin.get(), {"CLIENT", "PAUSE", "100000", "WRITE"}) == "+OK");
  // Reads and server commands go on.
  auto reader = Connect(server.port());
  CHECK(Run(reader.get(), {"ACTOPK", "k", "a", "5"}) == "[\"apple\"]");
  CHECK(Run(reader.get(), {"PING"}) == "+PONG");
  CHECK(InfoField(reader.get(), "clients", "blocked_clients") == "0");
  // A read-only transaction runs.
  CHECK(Run(reader.get(), {"MULTI"}) == "+OK");
  CHECK(Run(reader.get(), {"ACSCORE", "k", "apple"}) == "+QUEUED");
  CHECK(Run(reader.get(), {"EXEC"}) == "[:1]");

  // A pipeline: the PING before the write is answered now, the write and what follows later.
  RawConn writer(server.port());
  writer.Send(Resp({"PING"}) + Resp({"ACRECORD", "k", "apple"}) + Resp({"ACSCORE", "k", "apple"}));
  CHECK(writer.ReadN(7) == "+PONG\r\n");
  RawConn publisher(server.port());
  publisher.Send(Resp({"PUBLISH", "ch", "m"}));
  RawConn exec(server.port());
  exec.Send(Resp({"MULTI"}));
  CHECK(exec.ReadN(5) == "+OK\r\n");
  exec.Send(Resp({"ACRECORD", "k", "queued"}));  // queueing a write waits too, as in Redis
  CHECK(Blocked(admin.get(), 3));
  CHECK(writer.ReadN(1, 300) == "");
  CHECK(publisher.ReadN(1, 100) == "");
  CHECK(Run(reader.get(), {"ACSCORE", "k", "apple"}) == ":1");  // the write has not run

  CHECK(Run(admin.get(), {"CLIENT", "UNPAUSE"}) == "+OK");
  CHECK(writer.ReadN(8) == ":2\r\n:2\r\n");
  CHECK(publisher.ReadN(4) == ":0\r\n");
  CHECK(exec.ReadN(9) == "+QUEUED\r\n");
  exec.Send(Resp({"EXEC"}));
  CHECK(exec.ReadN(8) == "*1\r\n:1\r\n");
  CHECK(Blocked(admin.get(), 0));
}

TEST_CASE("CLIENT PAUSE: EXEC of a transaction that writes waits; the timeout ends the pause") {
  ServerProcess server({"--threads", "2"});
  auto admin = Connect(server.port());
  RawConn tx(server.port());
  tx.Send(Resp({"MULTI"}) + Resp({"ACRECORD", "k", "apple"}));
  CHECK(tx.ReadN(14) == "+OK\r\n+QUEUED\r\n");
  auto start = std::chrono::steady_clock::now();
  CHECK(Run(admin.get(), {"CLIENT", "PAUSE", "400", "WRITE"}) == "+OK");
  tx.Send(Resp({"EXEC"}));
  CHECK(tx.ReadN(8, 5000) == "*1\r\n:1\r\n");
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= std::chrono::milliseconds(350));
  CHECK(waited < std::chrono::milliseconds(3000));
  // Once it ran out, writes run at once.
  CHECK(Run(admin.get(), {"ACRECORD", "k", "apple"}) == ":2");
}

TEST_CASE("CLIENT PAUSE ALL holds every command; a later pause keeps the stricter mode") {
  ServerProcess server({"--threads", "2"});
  auto admin = Connect(server.port());
  auto start = std::chrono::steady_clock::now();
  CHECK(Run(admin.get(), {"CLIENT", "PAUSE", "500", "ALL"}) == "+OK");
  // A shorter WRITE pause does not weaken it (the admin's own command waits too: ALL).
  RawConn other(server.port());
  other.Send(Resp({"CLIENT", "PAUSE", "10", "WRITE"}) + Resp({"PING"}));
  CHECK(other.ReadN(1, 200) == "");
  CHECK(other.ReadN(12, 5000) == "+OK\r\n+PONG\r\n");
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= std::chrono::milliseconds(450));
  CHECK(Run(admin.get(), {"PING"}) == "+PONG");
}

TEST_CASE("A client held by CLIENT PAUSE can be killed; the errors are Redis's") {
  ServerProcess server({"--threads", "2"});
  auto admin = Connect(server.port());
  CHECK(Run(admin.get(), {"CLIENT", "PAUSE", "100000", "WRITE"}) == "+OK");
  RawConn held(server.port());
  held.Send(Resp({"CLIENT", "SETNAME", "victim"}) + Resp({"ACRECORD", "k", "x"}));
  CHECK(held.ReadN(5) == "+OK\r\n");
  CHECK(Blocked(admin.get(), 1));
  CHECK(Run(admin.get(), {"CLIENT", "KILL", "USER", "default", "SKIPME", "yes"}) == ":1");
  held.ReadUntilClose(3000);
  CHECK(held.closed());
  CHECK(Blocked(admin.get(), 0));
  CHECK(Run(admin.get(), {"CLIENT", "UNPAUSE"}) == "+OK");
  CHECK(Run(admin.get(), {"ACSCORE", "k", "x"}) == "nil");  // the killed client's write never ran

  CHECK(Run(admin.get(), {"CLIENT", "PAUSE", "abc"}) ==
        "-ERR timeout is not an integer or out of range");
  CHECK(Run(admin.get(), {"CLIENT", "PAUSE", "-1"}) == "-ERR timeout is negative");
  CHECK(Run(admin.get(), {"CLIENT", "PAUSE", "10", "READ"}) ==
        "-ERR CLIENT PAUSE mode must be WRITE or ALL");
  CHECK(Run(admin.get(), {"CLIENT", "PAUSE", "10", "ALL", "x"}) ==
        "-ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.");
  CHECK(Run(admin.get(), {"CLIENT", "PAUSE"}) ==
        "-ERR wrong number of arguments for 'client|pause' command");
  CHECK(Run(admin.get(), {"CLIENT", "UNPAUSE", "x"}) ==
        "-ERR wrong number of arguments for 'client|unpause' command");
  CHECK(Run(admin.get(), {"CLIENT", "PAUSE", "0"}) == "+OK");  // a pause of nothing
  CHECK(Run(admin.get(), {"ACRECORD", "k", "x"}) == ":1");
}
