// MULTI / EXEC / DISCARD / WATCH over the wire, with Redis's replies: queueing, EXECABORT
// after a queueing error, execution errors reported per command, and commands of every kind
// (single-partition, fan-out, server) inside one transaction.
#include <doctest/doctest.h>

#include "tests/integration/server_process.h"

using namespace typeahead::test;

TEST_CASE("MULTI queues, EXEC runs in order and returns every reply") {
  ServerProcess server({"--threads", "2"});
  auto c = Connect(server.port());
  CHECK(Run(c.get(), {"MULTI"}) == "+OK");
  CHECK(Run(c.get(), {"ACRECORD", "k", "apple"}) == "+QUEUED");
  CHECK(Run(c.get(), {"ACINCRBY", "k", "banana", "3"}) == "+QUEUED");
  CHECK(Run(c.get(), {"ACINCRBY", "k", "cherry", "notanumber"}) == "+QUEUED");
  CHECK(Run(c.get(), {"ACTOPK", "k", "", "10", "WITHSCORES"}) == "+QUEUED");
  CHECK(Run(c.get(), {"DEL", "gone"}) == "+QUEUED");
  CHECK(Run(c.get(), {"PING"}) == "+QUEUED");
  // Nothing ran yet.
  auto other = Connect(server.port());
  CHECK(Run(other.get(), {"ACCARD", "k"}) == ":0");
  CHECK(Run(c.get(), {"EXEC"}) ==
        R"([:1, :3, -ERR value is not an integer or out of range, ["banana", :3, "apple", :1], )"
        R"(:0, +PONG])");
  CHECK(Run(other.get(), {"ACCARD", "k"}) == ":2");
  CHECK(Run(c.get(), {"EXEC"}) == "-ERR EXEC without MULTI");
  CHECK(Run(c.get(), {"DISCARD"}) == "-ERR DISCARD without MULTI");
  CHECK(Run(c.get(), {"MULTI"}) == "+OK");
  CHECK(Run(c.get(), {"EXEC"}) == "[]");
}

TEST_CASE("A queueing error aborts the whole transaction") {
  ServerProcess server({"--threads", "2"});
  auto c = Connect(server.port());
  CHECK(Run(c.get(), {"MULTI"}) == "+OK");
  CHECK(Run(c.get(), {"ACRECORD", "k", "apple"}) == "+QUEUED");
  CHECK(Run(c.get(), {"NOSUCHCOMMAND", "x"}).starts_with("-ERR unknown command 'NOSUCHCOMMAND'"));
  CHECK(Run(c.get(), {"ACRECORD", "k"}) == "-ERR wrong number of arguments for 'acrecord' command");
  CHECK(Run(c.get(), {"EXEC"}) == "-EXECABORT Transaction discarded because of previous errors.");
  CHECK(Run(c.get(), {"ACCARD", "k"}) == ":0");
  // Nesting is an error that does not abort; DISCARD drops the queue; WATCH is refused inside.
  CHECK(Run(c.get(), {"MULTI"}) == "+OK");
  CHECK(Run(c.get(), {"MULTI"}) == "-ERR MULTI calls can not be nested");
  CHECK(Run(c.get(), {"WATCH", "k"}) == "-ERR WATCH inside MULTI is not allowed");
  CHECK(Run(c.get(), {"ACRECORD", "k", "apple"}) == "+QUEUED");
  CHECK(Run(c.get(), {"DISCARD"}) == "+OK");
  CHECK(Run(c.get(), {"ACCARD", "k"}) == ":0");
  CHECK(Run(c.get(), {"WATCH", "k", "j"}) == "+OK");
  CHECK(Run(c.get(), {"UNWATCH"}) == "+OK");
  // RESET leaves MULTI too.
  CHECK(Run(c.get(), {"MULTI"}) == "+OK");
  CHECK(Run(c.get(), {"RESET"}) == "+RESET");
  CHECK(Run(c.get(), {"EXEC"}) == "-ERR EXEC without MULTI");
}

TEST_CASE("Sentinel's failover transaction: SLAVEOF, CLIENT KILL sparing the caller, EXEC") {
  ServerProcess server({"--threads", "2"});
  auto c = Connect(server.port());
  auto victim = Connect(server.port());
  CHECK(Run(victim.get(), {"PING"}) == "+PONG");
  CHECK(Run(c.get(), {"MULTI"}) == "+OK");
  CHECK(Run(c.get(), {"SLAVEOF", "NO", "ONE"}) == "+QUEUED");
  CHECK(Run(c.get(), {"CLIENT", "KILL", "TYPE", "normal"}) == "+QUEUED");
  CHECK(Run(c.get(), {"CLIENT", "KILL", "TYPE", "pubsub"}) == "+QUEUED");
  CHECK(Run(c.get(), {"EXEC"}) == "[+OK, :1, :0]");
  CHECK(Run(c.get(), {"PING"}) == "+PONG");
  CHECK(Command(victim.get(), {"PING"}) == nullptr);
}
