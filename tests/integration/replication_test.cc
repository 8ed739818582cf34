// Replication end to end: real primaries and replicas on loopback, full and partial resyncs
// under concurrent writers, links cut and healed, promotion, chained replicas, WAIT, and the
// replica's read-only and reporting behaviour.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <signal.h>

#include <atomic>
#include <random>
#include <thread>

#include "tests/integration/server_process.h"

using namespace typeahead::test;

namespace {

std::string Repl(redisContext* c, const std::string& field) {
  return InfoField(c, "replication", field);
}
std::string Stat(redisContext* c, const std::string& field) { return InfoField(c, "stats", field); }

// Loads `keys` dictionaries of `terms` terms each, pipelined, with skewed repeat counts.
void Populate(redisContext* c, int keys, int terms, int seed) {
  std::mt19937 rng(seed);
  int sent = 0;
  for (int k = 0; k < keys; ++k) {
    for (int t = 0; t < terms; ++t) {
      std::string key = fmt::format("dict{}", k),
                  term = fmt::format("{}term{}", char('a' + t % 26), t);
      std::string by = std::to_string(1 + rng() % 50);
      const char* argv[] = {"ACINCRBY", key.c_str(), term.c_str(), by.c_str()};
      redisAppendCommandArgv(c, 4, argv, nullptr);
      ++sent;
    }
  }
  for (int i = 0; i < sent; ++i) {
    void* r = nullptr;
    REQUIRE(redisGetReply(c, &r) == REDIS_OK);
    freeReplyObject(r);
  }
}

// Concurrent writers on their own connections: records, increments (some negative), term
// deletions, and now and then a DEL or RENAME of a key of their own, until stop or `ops` each.
struct Writers {
  Writers(int port, int n, int ops) {
    for (int w = 0; w < n; ++w) {
      threads.emplace_back([this, port, w, ops] {
        auto c = Connect(port);
        std::mt19937 rng(w);
        for (int i = 0; i < ops && !stop; ++i) {
          std::string key = fmt::format("dict{}", rng() % 4);
          std::string term = fmt::format("{}w{}", char('a' + rng() % 26), rng() % 300);
          std::string own = fmt::format("own{}", w);
          switch (rng() % 10) {
            case 0:
              Command(c.get(), {"ACINCRBY", key, term, std::to_string(-int(rng() % 3))});
              break;
            case 1:
              Command(c.get(), {"ACDEL", key, term, fmt::format("{}term{}", term[0], rng() % 100)});
              break;
            case 2:
              Command(c.get(), {"ACRECORD", own, term});
              if (rng() % 8 == 0) Command(c.get(), {"DEL", own});
              if (rng() % 8 == 1) Command(c.get(), {"RENAME", own, own + "x"});
              break;
            default:
              Command(c.get(), {"ACRECORD", key, term});
          }
          ++done;
        }
      });
    }
  }
  ~Writers() { Join(); }
  void Join() {
    for (auto& t : threads) {
      if (t.joinable()) t.join();
    }
  }
  std::atomic<bool> stop{false};
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
};

bool LinkUp(redisContext* replica) { return Repl(replica, "master_link_status") == "up"; }

// Waits until the replica has applied everything the primary has streamed so far.
bool CaughtUp(redisContext* primary, redisContext* replica, int seconds = 20) {
  return WaitFor(
      [&] {
        return LinkUp(replica) &&
               Repl(replica, "slave_repl_offset") == Repl(primary, "master_repl_offset");
      },
      seconds);
}

// Attaches the replica while `writers` clients write (each up to `ops` operations, the
// REPLICAOF once `before` have been done), then waits for WAIT 1 and compares every key:
// the per-partition cuts of the full sync must neither lose nor double a record.
void SyncUnderWriters(int primary_port, redisContext* p, redisContext* r, int writers, int ops,
                      int before) {
  {
    Writers w(primary_port, writers, ops);
    WaitFor([&] { return w.done > before; });
    CHECK(Run(r, {"REPLICAOF", "127.0.0.1", std::to_string(primary_port)}) == "+OK");
    REQUIRE(WaitFor([&] { return LinkUp(r); }));
    w.Join();
  }
  CHECK(Run(p, {"WAIT", "1", "5000"}) == ":1");
  CHECK(DumpAll(r) == DumpAll(p));
}

}  // namespace

TEST_CASE("Full sync under 50 writers, then streaming: after WAIT the replica equals the primary") {
  // Different thread counts: the replica spreads the primary's partitions over its own.
  ServerProcess primary({"--threads", "2"});
  ServerProcess replica({"--threads", "3"});
  auto p = Connect(primary.port());
  auto r = Connect(replica.port());
  Populate(p.get(), 4, 800, 1);
  SyncUnderWriters(primary.port(), p.get(), r.get(), 50, 400, 2000);
  CHECK(Run(r.get(), {"ACCARD", "dict1"}) == Run(p.get(), {"ACCARD", "dict1"}));
  CHECK(Run(r.get(), {"DBSIZE"}) == Run(p.get(), {"DBSIZE"}));
  CHECK(Stat(p.get(), "sync_full") == "1");
  CHECK(Repl(p.get(), "connected_slaves") == "1");
  CHECK(Repl(r.get(), "role") == "slave");
  CHECK(Repl(r.get(), "master_replid") == Repl(p.get(), "master_replid"));

  SUBCASE("and FLUSHALL, RENAME and DEL stream too") {
    Command(p.get(), {"RENAME", "dict1", "renamed"});
    Command(p.get(), {"DEL", "dict2"});
    CHECK(Run(p.get(), {"WAIT", "1", "5000"}) == ":1");
    CHECK(DumpAll(r.get()) == DumpAll(p.get()));
    Command(p.get(), {"FLUSHALL"});
    Command(p.get(), {"ACRECORD", "after", "flush"});
    CHECK(Run(p.get(), {"WAIT", "1", "5000"}) == ":1");
    CHECK(Run(r.get(), {"DBSIZE"}) == ":1");
    CHECK(DumpAll(r.get()) == DumpAll(p.get()));
  }
}

TEST_CASE("Payloads replicate: in the full sync, in the stream, across partition counts") {
  // One replica with the primary's partition count, one with another: the snapshot is spread
  // and a RENAME applied to the terms each partition took.
  ServerProcess primary({"--threads", "2"});
  ServerProcess same({"--threads", "2"});
  ServerProcess other({"--threads", "3"});
  auto p = Connect(primary.port());
  auto suggestions = [](redisContext* c) {
    return Run(c, {"FT.SUGGET", "s", "", "WITHSCORES", "WITHPAYLOADS", "MAX", "1000"});
  };
  for (char ch = 'a'; ch <= 'z'; ++ch) {
    std::string term(2, ch);
    REQUIRE(Run(p.get(), {"FT.SUGADD", "s", term, "3", "PAYLOAD", "full-" + term}) ==
            fmt::format(":{}", ch - 'a' + 1));
  }
  std::string port = std::to_string(primary.port());
  std::vector<RedisPtr> replicas;
  replicas.push_back(Connect(same.port()));
  replicas.push_back(Connect(other.port()));
  for (auto& r : replicas) {
    CHECK(Run(r.get(), {"REPLICAOF", "127.0.0.1", port}) == "+OK");
    REQUIRE(WaitFor([&] { return LinkUp(r.get()); }));
  }
  // In the stream: payloads set, replaced, cleared, gone with their term, and a RENAME.
  for (char ch = 'a'; ch <= 'z'; ch += 2) {
    std::string term(2, ch);
    REQUIRE(Run(p.get(), {"FT.SUGADD", "s", term, "1", "INCR", "PAYLOAD", "stream-" + term}) ==
            ":26");
  }
  CHECK(Run(p.get(), {"FT.SUGADD", "s", "bb", "1", "INCR", "PAYLOAD", ""}) == ":26");
  CHECK(Run(p.get(), {"FT.SUGDEL", "s", "dd"}) == ":1");
  CHECK(Run(p.get(), {"FT.SUGADD", "s", "dd", "9"}) == ":26");
  CHECK(Run(p.get(), {"RENAME", "s", "t"}) == "+OK");
  CHECK(Run(p.get(), {"RENAME", "t", "s"}) == "+OK");
  CHECK(Run(p.get(), {"WAIT", "2", "5000"}) == ":2");
  std::string expected = suggestions(p.get());
  CHECK(expected.find(R"("aa", "4", "stream-aa")") != std::string::npos);
  CHECK(expected.find(R"("bb", "4", nil)") != std::string::npos);
  CHECK(expected.find(R"("dd", "9", nil)") != std::string::npos);
  CHECK(expected.find(R"("zz", "3", "full-zz")") != std::string::npos);
  for (auto& r : replicas) CHECK(suggestions(r.get()) == expected);
}

TEST_CASE("A replica is read-only and reports its role as Redis does") {
  ServerProcess primary({"--threads", "2"});
  ServerProcess replica({"--threads", "2"});
  auto p = Connect(primary.port());
  auto r = Connect(replica.port());
  std::string port = std::to_string(primary.port());
  CHECK(Run(r.get(), {"REPLICAOF", "127.0.0.1", "notaport"}) == "-ERR Invalid master port");
  CHECK(Run(r.get(), {"REPLICAOF", "127.0.0.1", port}) == "+OK");
  CHECK(Run(r.get(), {"REPLICAOF", "127.0.0.1", port}) ==
        "+OK Already connected to specified master");
  REQUIRE(WaitFor([&] { return LinkUp(r.get()); }));
  CHECK(Run(r.get(), {"ACRECORD", "k", "x"}) ==
        "-READONLY You can't write against a read only replica.");
  CHECK(Run(r.get(), {"FLUSHALL"}) == "-READONLY You can't write against a read only replica.");
  CHECK(Run(r.get(), {"WAIT", "1", "0"}).starts_with("-ERR WAIT cannot be used with replica"));
  CHECK(Run(p.get(), {"ACRECORD", "k", "x"}) == ":1");
  CHECK(Run(p.get(), {"WAIT", "1", "5000"}) == ":1");
  CHECK(Run(r.get(), {"ACSCORE", "k", "x"}) == ":1");
  std::string offset = Repl(p.get(), "master_repl_offset");
  CHECK(Run(r.get(), {"ROLE"}) ==
        fmt::format(R"(["slave", "127.0.0.1", :{}, "connected", :{}])", port, offset));
  CHECK(Run(p.get(), {"ROLE"}) == fmt::format(R"(["master", :{}, [["127.0.0.1", "{}", "{}"]]])",
                                              offset, replica.port(), offset));
  CHECK(Repl(p.get(), "slave0") ==
        fmt::format("ip=127.0.0.1,port={},state=online,offset={},lag=0", replica.port(), offset));
  CHECK(Repl(r.get(), "slave_priority") == "100");
  // replica-announce-ip/port: what the primary lists (Sentinel finds replicas there).
  CHECK(Run(r.get(), {"CONFIG", "SET", "replica-announce-ip", "10.1.2.3"}) == "+OK");
  CHECK(Run(r.get(), {"CONFIG", "SET", "replica-announce-port", "7777"}) == "+OK");
  CHECK(Run(r.get(), {"CLIENT", "KILL", "TYPE", "master"}) == ":1");
  CHECK(WaitFor([&] { return Repl(p.get(), "slave0").starts_with("ip=10.1.2.3,port=7777,"); }));
  REQUIRE(WaitFor([&] { return LinkUp(r.get()); }));
  CHECK(Repl(r.get(), "master_port") == port);
  // WAIT with more replicas than there are times out with the count it has.
  CHECK(Run(p.get(), {"WAIT", "2", "200"}) == ":1");
  CHECK(Run(p.get(), {"WAIT", "x", "0"}) == "-ERR value is not an integer or out of range");
  CHECK(Run(p.get(), {"WAIT", "1", "-1"}) == "-ERR timeout is negative");
  // min-replicas-to-write: refused while too few replicas are good.
  CHECK(Run(p.get(), {"CONFIG", "SET", "min-replicas-to-write", "2"}) == "+OK");
  CHECK(Run(p.get(), {"ACRECORD", "k", "y"}) == "-NOREPLICAS Not enough good replicas to write.");
  CHECK(Repl(p.get(), "min_slaves_good_slaves") == "1");
  CHECK(Run(p.get(), {"CONFIG", "SET", "min-replicas-to-write", "1"}) == "+OK");
  CHECK(Run(p.get(), {"ACRECORD", "k", "y"}) == ":1");
  CHECK(Run(r.get(), {"REPLICAOF", "NO", "ONE"}) == "+OK");
  CHECK(Run(r.get(), {"ACRECORD", "k", "z"}) == ":1");
  CHECK(Repl(r.get(), "role") == "master");
}

TEST_CASE("One thread: WAIT counts the write just made; a full sync under writes doubles none") {
  // With one partition every hand-off to the stream runs on the thread that asks for it, so
  // nothing orders it before WAIT's target or the full sync's cut but the code itself.
  ServerProcess primary({"--threads", "1"});
  ServerProcess replica({"--threads", "1"});
  auto p = Connect(primary.port());
  auto r = Connect(replica.port());
  Populate(p.get(), 2, 500, 3);
  SyncUnderWriters(primary.port(), p.get(), r.get(), 20, 300, 1000);
  // A stopped replica cannot have acknowledged a write made after it stopped.
  REQUIRE(Freeze(replica.pid()));
  // Pipelined, so the record is still buffered in its partition when WAIT runs.
  redisAppendCommand(p.get(), "ACRECORD k late");
  redisAppendCommand(p.get(), "WAIT 1 300");
  for (long long expected : {1, 0}) {
    void* reply = nullptr;
    REQUIRE(redisGetReply(p.get(), &reply) == REDIS_OK);
    CHECK(static_cast<redisReply*>(reply)->integer == expected);
    freeReplyObject(reply);
  }
  Thaw(replica.pid());
  CHECK(Run(p.get(), {"WAIT", "1", "5000"}) == ":1");
  CHECK(Run(r.get(), {"ACSCORE", "k", "late"}) == ":1");
}

TEST_CASE("A cut link resyncs partially while writes go on; beyond the backlog, fully") {
  ServerProcess primary({"--threads", "2"});
  ServerProcess replica({"--threads", "2"});
  auto p = Connect(primary.port());
  auto r = Connect(replica.port());
  Populate(p.get(), 2, 500, 2);
  Run(r.get(), {"REPLICAOF", "127.0.0.1", std::to_string(primary.port())});
  REQUIRE(CaughtUp(p.get(), r.get()));
  CHECK(Stat(p.get(), "sync_full") == "1");

  // Freeze the replica, cut its link from the primary's side, write, thaw: the replica finds
  // the link gone, reconnects, and gets only what it missed.
  REQUIRE(Freeze(replica.pid()));
  CHECK(Run(p.get(), {"CLIENT", "KILL", "TYPE", "replica"}) == ":1");
  { Writers writers(primary.port(), 10, 200); }
  Thaw(replica.pid());
  REQUIRE(CaughtUp(p.get(), r.get()));
  CHECK(Stat(p.get(), "sync_partial_ok") == "1");
  CHECK(Stat(p.get(), "sync_full") == "1");
  CHECK(DumpAll(r.get()) == DumpAll(p.get()));

  // The same from the replica's side (CLIENT KILL TYPE master).
  CHECK(Run(r.get(), {"CLIENT", "KILL", "TYPE", "master"}) == ":1");
  Command(p.get(), {"ACRECORD", "dict0", "fromthegap"});
  REQUIRE(CaughtUp(p.get(), r.get()));
  CHECK(Stat(p.get(), "sync_partial_ok") == "2");
  CHECK(Run(r.get(), {"ACSCORE", "dict0", "fromthegap"}) == ":1");

  // A backlog of 16 KB cannot hold what 10 writers send meanwhile: a full resync, still exact.
  CHECK(Run(p.get(), {"CONFIG", "SET", "repl-backlog-size", "16kb"}) == "+OK");
  REQUIRE(WaitFor([&] { return Repl(p.get(), "repl_backlog_size") == "16384"; }));
  REQUIRE(Freeze(replica.pid()));
  CHECK(Run(p.get(), {"CLIENT", "KILL", "TYPE", "replica"}) == ":1");
  { Writers writers(primary.port(), 10, 300); }
  Thaw(replica.pid());
  REQUIRE(CaughtUp(p.get(), r.get()));
  CHECK(Stat(p.get(), "sync_full") == "2");
  CHECK(Stat(p.get(), "sync_partial_err") == "1");
  CHECK(DumpAll(r.get()) == DumpAll(p.get()));
}

TEST_CASE("Promotion: the other replica follows the new primary partially, nothing acked lost") {
  ServerProcess primary({"--threads", "2"});
  ServerProcess r1({"--threads", "2"});
  ServerProcess r2({"--threads", "3"});
  auto p = Connect(primary.port());
  auto c1 = Connect(r1.port());
  auto c2 = Connect(r2.port());
  std::string pport = std::to_string(primary.port());
  Populate(p.get(), 2, 300, 3);
  Run(c1.get(), {"REPLICAOF", "127.0.0.1", pport});
  Run(c2.get(), {"REPLICAOF", "127.0.0.1", pport});
  { Writers writers(primary.port(), 20, 200); }
  REQUIRE(Run(p.get(), {"WAIT", "2", "5000"}) == ":2");
  std::string acked = DumpAll(p.get());
  primary.Stop(SIGKILL);

  CHECK(Run(c1.get(), {"REPLICAOF", "NO", "ONE"}) == "+OK");
  CHECK(Repl(c1.get(), "master_replid2") != std::string(40, '0'));
  CHECK(Run(c2.get(), {"REPLICAOF", "127.0.0.1", std::to_string(r1.port())}) == "+OK");
  REQUIRE(WaitFor([&] { return LinkUp(c2.get()); }));
  CHECK(Stat(c1.get(), "sync_partial_ok") == "1");
  CHECK(Stat(c1.get(), "sync_full") == "0");
  CHECK(DumpAll(c1.get()) == acked);
  CHECK(DumpAll(c2.get()) == acked);
  { Writers writers(r1.port(), 10, 200); }
  CHECK(Run(c1.get(), {"WAIT", "1", "5000"}) == ":1");
  CHECK(DumpAll(c2.get()) == DumpAll(c1.get()));
}

TEST_CASE("A replica of a replica gets the same stream, full sync included") {
  ServerProcess primary({"--threads", "2"});
  ServerProcess middle({"--threads", "3"});
  ServerProcess leaf({"--threads", "2"});
  auto p = Connect(primary.port());
  auto m = Connect(middle.port());
  auto l = Connect(leaf.port());
  Populate(p.get(), 2, 400, 4);
  Run(m.get(), {"REPLICAOF", "127.0.0.1", std::to_string(primary.port())});
  REQUIRE(CaughtUp(p.get(), m.get()));
  {
    Writers writers(primary.port(), 20, 300);
    WaitFor([&] { return writers.done > 1000; });
    // The leaf syncs from the middle while the middle applies the primary's stream.
    Run(l.get(), {"REPLICAOF", "127.0.0.1", std::to_string(middle.port())});
    REQUIRE(WaitFor([&] { return LinkUp(l.get()); }));
  }
  REQUIRE(CaughtUp(p.get(), m.get()));
  REQUIRE(CaughtUp(p.get(), l.get()));
  std::string want = DumpAll(p.get());
  CHECK(DumpAll(m.get()) == want);
  CHECK(DumpAll(l.get()) == want);
  CHECK(Repl(l.get(), "master_replid") == Repl(p.get(), "master_replid"));
}

TEST_CASE("Restarts: a replica and then its primary come back and continue partially") {
  TempDir pdir, rdir;
  auto primary =
      std::make_unique<ServerProcess>(std::vector<std::string>{"--threads", "2"}, pdir.path);
  std::string pport = std::to_string(primary->port());
  std::vector<std::string> replica_args = {"--threads", "3", "--replicaof", "127.0.0.1", pport};
  auto replica = std::make_unique<ServerProcess>(replica_args, rdir.path);
  auto p = Connect(primary->port());
  Populate(p.get(), 2, 400, 5);
  {
    auto r = Connect(replica->port());
    REQUIRE(CaughtUp(p.get(), r.get()));
  }
  CHECK(Stat(p.get(), "sync_full") == "1");

  // The replica restarts (clean shutdown) while writes go on: it asks for what it missed.
  CHECK(replica->Stop() == 0);
  { Writers writers(primary->port(), 10, 200); }
  replica = std::make_unique<ServerProcess>(replica_args, rdir.path);
  auto r = Connect(replica->port());
  REQUIRE(CaughtUp(p.get(), r.get()));
  CHECK(Stat(p.get(), "sync_full") == "1");
  CHECK(Stat(p.get(), "sync_partial_ok") == "1");
  CHECK(DumpAll(r.get()) == DumpAll(p.get()));

  // The primary restarts from its files on the same port: same history, the replica
  // continues.
  std::string replid = Repl(p.get(), "master_replid");
  std::string offset = Repl(p.get(), "master_repl_offset");
  p.reset();
  CHECK(primary->Stop() == 0);
  primary = std::make_unique<ServerProcess>(
      std::vector<std::string>{"--threads", "2", "--port", pport}, pdir.path);
  REQUIRE(primary->port() == std::stoi(pport));
  p = Connect(primary->port());
  CHECK(Repl(p.get(), "master_replid") == replid);
  CHECK(Repl(p.get(), "master_repl_offset") == offset);
  { Writers writers(primary->port(), 10, 200); }
  REQUIRE(CaughtUp(p.get(), r.get()));
  CHECK(Stat(p.get(), "sync_partial_ok") == "1");
  CHECK(Stat(p.get(), "sync_full") == "0");
  CHECK(DumpAll(r.get()) == DumpAll(p.get()));

  // After a crash the offset cannot be vouched for: a new history, a full sync.
  p.reset();
  primary->Stop(SIGKILL);
  primary = std::make_unique<ServerProcess>(
      std::vector<std::string>{"--threads", "2", "--port", pport}, pdir.path);
  p = Connect(primary->port());
  CHECK(Repl(p.get(), "master_replid") != replid);
  REQUIRE(CaughtUp(p.get(), r.get()));
  CHECK(Stat(p.get(), "sync_full") == "1");
  CHECK(DumpAll(r.get()) == DumpAll(p.get()));
}

TEST_CASE("repl-compression zstd: the same data over fewer bytes, partial resyncs included") {
  ServerProcess primary({"--threads", "2", "--repl-compression", "zstd"});
  ServerProcess replica({"--threads", "3"});
  auto p = Connect(primary.port());
  auto r = Connect(replica.port());
  Populate(p.get(), 2, 500, 6);
  {
    Writers writers(primary.port(), 20, 300);
    WaitFor([&] { return writers.done > 1000; });
    Run(r.get(), {"REPLICAOF", "127.0.0.1", std::to_string(primary.port())});
    REQUIRE(WaitFor([&] { return LinkUp(r.get()); }));
  }
  CHECK(Run(p.get(), {"WAIT", "1", "5000"}) == ":1");
  CHECK(DumpAll(r.get()) == DumpAll(p.get()));
  REQUIRE(Freeze(replica.pid()));
  CHECK(Run(p.get(), {"CLIENT", "KILL", "TYPE", "replica"}) == ":1");
  { Writers writers(primary.port(), 10, 200); }
  Thaw(replica.pid());
  REQUIRE(CaughtUp(p.get(), r.get()));
  CHECK(Stat(p.get(), "sync_partial_ok") == "1");
  CHECK(DumpAll(r.get()) == DumpAll(p.get()));
  uint64_t raw = std::stoull(Stat(p.get(), "total_repl_output_bytes_uncompressed"));
  uint64_t wire = std::stoull(Stat(p.get(), "total_net_repl_output_bytes"));
  MESSAGE("replication bytes: " << raw << " raw, " << wire << " on the wire");
  CHECK(wire > 0);
  CHECK(wire * 2 < raw);  // the stream is repetitive RESP: it compresses well
  // A primary without it sends plain bytes to the same replica.
  ServerProcess plain({"--threads", "2"});
  auto q = Connect(plain.port());
  Populate(q.get(), 1, 300, 7);
  Run(r.get(), {"REPLICAOF", "127.0.0.1", std::to_string(plain.port())});
  REQUIRE(CaughtUp(q.get(), r.get()));
  CHECK(DumpAll(r.get()) == DumpAll(q.get()));
  CHECK(Stat(q.get(), "total_net_repl_output_bytes") ==
        Stat(q.get(), "total_repl_output_bytes_uncompressed"));
}

TEST_CASE("masterauth: a replica authenticates to a primary with requirepass") {
  ServerProcess primary({"--threads", "2", "--requirepass", "s3cret"});
  ServerProcess replica({"--threads", "2"});
  auto p = Connect(primary.port());
  CHECK(Run(p.get(), {"AUTH", "s3cret"}) == "+OK");
  Populate(p.get(), 1, 200, 8);
  auto r = Connect(replica.port());
  Run(r.get(), {"REPLICAOF", "127.0.0.1", std::to_string(primary.port())});
  // Without the password the handshake fails and the link stays down, retried every second.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(Repl(r.get(), "master_link_status") == "down");
  // Stale data is served by default; not with replica-serve-stale-data no.
  CHECK(Run(r.get(), {"ACCARD", "dict0"}) == ":0");
  CHECK(Run(r.get(), {"CONFIG", "SET", "replica-serve-stale-data", "no"}) == "+OK");
  CHECK(Run(r.get(), {"ACCARD", "dict0"}) ==
        "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
  CHECK(Repl(r.get(), "role") == "slave");  // INFO is allowed
  CHECK(replica.ReadLog().find("Error reply to PING from master") == std::string::npos);
  CHECK(Run(r.get(), {"CONFIG", "SET", "masterauth", "s3cret"}) == "+OK");
  REQUIRE(CaughtUp(p.get(), r.get()));
  CHECK(DumpAll(r.get()) == DumpAll(p.get()));
}
