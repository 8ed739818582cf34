// MULTI / EXEC / DISCARD / WATCH over the wire, with Redis's replies: queueing, EXECABORT
// after a queueing error, execution errors reported per command, and commands of every kind
// (single-partition, fan-out, server) inside one transaction.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <fstream>
#include <iterator>

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

TEST_CASE("CONFIG REWRITE inside Sentinel's transaction writes replicaof and CONFIG SET values") {
  TempDir dir;
  std::string path = dir.path + "/typeahead.conf";
  {
    std::ofstream f(path);
    f << "# my settings\nmaxclients 100\n";
  }
  ServerProcess primary({"--threads", "2"});
  ServerProcess server({path, "--threads", "2"});
  auto c = Connect(server.port());
  CHECK(Run(c.get(), {"CONFIG", "SET", "maxclients", "77"}) == "+OK");
  CHECK(Run(c.get(), {"MULTI"}) == "+OK");
  CHECK(Run(c.get(), {"SLAVEOF", "127.0.0.1", std::to_string(primary.port())}) == "+QUEUED");
  CHECK(Run(c.get(), {"CONFIG", "REWRITE"}) == "+QUEUED");
  CHECK(Run(c.get(), {"EXEC"}) == "[+OK, +OK]");
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.starts_with("# my settings\nmaxclients 77\n"));
  CHECK(text.find(fmt::format("replicaof 127.0.0.1 {}\n", primary.port())) != std::string::npos);
  // Without a config file: Redis's error, which Sentinel tolerates.
  auto p = Connect(primary.port());
  CHECK(Run(p.get(), {"CONFIG", "REWRITE"}) == "-ERR The server is running without a config file");
}
