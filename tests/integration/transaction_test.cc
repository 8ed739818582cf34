// MULTI / EXEC / DISCARD / WATCH over the wire, with Redis's replies: queueing, EXECABORT
// after a queueing error, execution errors reported per command, commands of every kind
// (single-partition, fan-out, server) inside one transaction, and WATCH aborting EXEC.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

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

TEST_CASE("WATCH makes EXEC run nothing once a watched key changed, whoever changed it") {
  ServerProcess server({"--threads", "2"});
  auto c = Connect(server.port());
  auto other = Connect(server.port());
  // Changed by another client between WATCH and EXEC: a null reply, nothing queued ran.
  // "apple" and "zebra" live in different partitions: a change on either shard counts.
  for (const char* term : {"apple", "zebra"}) {
    CHECK(Run(c.get(), {"WATCH", "k"}) == "+OK");
    CHECK(Run(other.get(), {"ACRECORD", "k", term}) == ":1");
    CHECK(Run(c.get(), {"MULTI"}) == "+OK");
    CHECK(Run(c.get(), {"ACRECORD", "k", "queued"}) == "+QUEUED");
    CHECK(Run(c.get(), {"EXEC"}) == "nil");
    CHECK(Run(c.get(), {"ACSCORE", "k", "queued"}) == "nil");
    CHECK(Run(other.get(), {"ACDEL", "k", term}) == ":1");
  }
  // The watch ended with that EXEC: the next transaction runs.
  CHECK(Run(c.get(), {"MULTI"}) == "+OK");
  CHECK(Run(c.get(), {"ACRECORD", "k", "queued"}) == "+QUEUED");
  CHECK(Run(c.get(), {"EXEC"}) == "[:1]");
  // Unchanged, or only other keys changed, or a write that changed nothing: it runs.
  CHECK(Run(c.get(), {"WATCH", "k", "j"}) == "+OK");
  CHECK(Run(other.get(), {"ACRECORD", "unwatched", "x"}) == ":1");
  CHECK(Run(other.get(), {"ACDEL", "k", "absent"}) == ":0");
  CHECK(Run(other.get(), {"DEL", "j"}) == ":0");
  CHECK(Run(c.get(), {"MULTI"}) == "+OK");
  CHECK(Run(c.get(), {"ACRECORD", "k", "queued"}) == "+QUEUED");
  CHECK(Run(c.get(), {"EXEC"}) == "[:2]");
  // Its own change counts too, as in Redis; so do ACINCRBY, ACDEL, DEL, RENAME (either name)
  // and FLUSHALL.
  const std::vector<std::vector<std::string>> changes = {{"ACINCRBY", "k", "queued", "5"},
                                                         {"ACDEL", "k", "queued"},
                                                         {"DEL", "k"},
                                                         {"RENAME", "k", "k2"},
                                                         {"RENAME", "k2", "k"},
                                                         {"FLUSHALL"}};
  for (bool own : {true, false}) {
    for (const auto& change : changes) {
      CHECK(Run(c.get(), {"ACRECORD", "k", "queued"}).starts_with(":"));
      if (change[0] == "RENAME" && change[1] == "k2") {
        CHECK(Run(c.get(), {"RENAME", "k", "k2"}) == "+OK");
      }
      CHECK(Run(c.get(), {"WATCH", "k"}) == "+OK");
      CHECK_FALSE(Run(own ? c.get() : other.get(), change).starts_with("-"));
      CHECK(Run(c.get(), {"MULTI"}) == "+OK");
      CHECK(Run(c.get(), {"PING"}) == "+QUEUED");
      INFO(fmt::format("{} by {}", fmt::join(change, " "), own ? "itself" : "another client"));
      CHECK(Run(c.get(), {"EXEC"}) == "nil");
    }
  }
  // UNWATCH, DISCARD and RESET end the watch: a later change does not matter.
  for (const char* end : {"UNWATCH", "DISCARD", "RESET"}) {
    CHECK(Run(c.get(), {"WATCH", "k"}) == "+OK");
    if (std::string(end) == "DISCARD") CHECK(Run(c.get(), {"MULTI"}) == "+OK");
    CHECK(Run(c.get(), {end}).starts_with("+"));
    CHECK(Run(other.get(), {"ACRECORD", "k", "later"}).starts_with(":"));
    CHECK(Run(c.get(), {"MULTI"}) == "+OK");
    CHECK(Run(c.get(), {"PING"}) == "+QUEUED");
    INFO(end);
    CHECK(Run(c.get(), {"EXEC"}) == "[+PONG]");
  }
  // A queueing error still wins: EXECABORT, as Redis checks it first.
  CHECK(Run(c.get(), {"WATCH", "k"}) == "+OK");
  CHECK(Run(other.get(), {"ACRECORD", "k", "later"}).starts_with(":"));
  CHECK(Run(c.get(), {"MULTI"}) == "+OK");
  CHECK(Run(c.get(), {"NOSUCH"}).starts_with("-ERR unknown command"));
  CHECK(Run(c.get(), {"EXEC"}) == "-EXECABORT Transaction discarded because of previous errors.");
}

TEST_CASE("A replica's WATCH sees the primary's writes") {
  ServerProcess primary({"--threads", "2"});
  ServerProcess replica(
      {"--threads", "2", "--replicaof", "127.0.0.1", std::to_string(primary.port())});
  auto p = Connect(primary.port());
  auto r = Connect(replica.port());
  CHECK(Run(p.get(), {"ACRECORD", "k", "apple"}) == ":1");
  for (int i = 0; i < 200 && Run(r.get(), {"ACSCORE", "k", "apple"}) != ":1"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  CHECK(Run(r.get(), {"WATCH", "k"}) == "+OK");
  CHECK(Run(p.get(), {"ACRECORD", "k", "apple"}) == ":2");
  for (int i = 0; i < 200 && Run(r.get(), {"ACSCORE", "k", "apple"}) != ":2"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  CHECK(Run(r.get(), {"MULTI"}) == "+OK");
  CHECK(Run(r.get(), {"ACSCORE", "k", "apple"}) == "+QUEUED");
  CHECK(Run(r.get(), {"EXEC"}) == "nil");
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
