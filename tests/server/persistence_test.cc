// Persistence (server/persistence.h): what one server wrote to its data directory, a new
// server over the same directory recovers, term for term, from a checkpoint, from the logs or
// from both, with the shard count it was written with or another; and loading writes nothing
// back: the partitions' sinks are detached while the files are replayed (Persistence::Recover),
// so no record is logged again and no change is counted.
#include "server/persistence.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "server/shard.h"
#include "storage/file_util.h"
#include "storage/log_record.h"
#include "storage/routing.h"
#include "tests/server/command_fixture.h"

namespace {
using typeahead::server::Shard;
using typeahead::test::LogRecords;
using typeahead::test::ReadManifest;
using typeahead::test::TempDir;
using typeahead::test::TestClient;
using typeahead::test::TestServer;
using typeahead::test::TestServerOptions;

// Three keys, terms starting with every letter (so on every shard), assorted frequencies, and
// a delete and a rename, so that replaying them in another order would show.
std::map<std::string, int64_t> Write(TestClient& c) {
  std::map<std::string, int64_t> freq;  // "key term" => frequency
  for (const char* key : {"k1", "k2", "k3"}) {
    for (char first = 'a'; first <= 'z'; ++first) {
      std::string term = std::string(1, first) + key;
      int64_t by = 1 + (first - 'a') % 5;
      REQUIRE(c.Run({"ACINCRBY", key, term, std::to_string(by)}) == ":" + std::to_string(by));
      freq[std::string(key) + " " + term] = by;
    }
  }
  REQUIRE(c.Run({"ACDEL", "k1", "ak1", "bk1"}) == ":2");
  freq.erase("k1 ak1");
  freq.erase("k1 bk1");
  REQUIRE(c.Run({"RENAME", "k3", "k4"}) == "+OK");
  std::map<std::string, int64_t> renamed;
  for (auto& [name, f] : freq) {
    renamed[name.starts_with("k3 ") ? "k4" + name.substr(2) : name] = f;
  }
  return renamed;
}

// Every term's frequency as ACSCORE finds it: on the shard its routing names, so a term
// recovered into the wrong partition is missed.
void CheckScores(TestClient& c, const std::map<std::string, int64_t>& freq) {
  for (const auto& [name, f] : freq) {
    std::string key = name.substr(0, name.find(' ')), term = name.substr(name.find(' ') + 1);
    CHECK_MESSAGE(c.Run({"ACSCORE", key, term}) == ":" + std::to_string(f), name);
  }
}

// The size of every log file the manifest names, by name.
std::map<std::string, uintmax_t> LogSizes(const TestServer& server) {
  std::map<std::string, uintmax_t> sizes;
  for (const auto& p : ReadManifest(server.data_dir()).partitions) {
    for (const auto& log : p.logs) {
      sizes[log] = std::filesystem::file_size(server.data_dir() + "/" + log);
    }
  }
  return sizes;
}

// ACRECORD key term, checked against and counted in freq.
void Record(TestClient& c, std::map<std::string, int64_t>& freq, const std::string& key,
            const std::string& term) {
  int64_t& f = freq[key + " " + term];
  CHECK(c.Run({"ACRECORD", key, term}) == ":" + std::to_string(++f));
}

TestServerOptions On(const TempDir& dir, size_t shards, bool appendonly = true) {
  TestServerOptions options;
  options.shards = shards;
  options.appendonly = appendonly;
  options.dir = dir.path;
  return options;
}

}  // namespace

TEST_CASE("Persistence: a new server over the same directory recovers every term") {
  TempDir dir;
  bool appendonly = true, save = true;
  SUBCASE("from the logs alone") { save = false; }
  SUBCASE("from a checkpoint (SAVE) and the logs written after it") {}
  SUBCASE("from a checkpoint alone (appendonly no)") { appendonly = false; }
  std::map<std::string, int64_t> freq;
  std::string dump;
  {
    TestServer first(On(dir, 3, appendonly));
    TestClient c(first);
    freq = Write(c);
    if (save) CHECK(c.Run({"SAVE"}) == "+OK");
    if (appendonly) {  // after the checkpoint: only the new logs hold these
      Record(c, freq, "k2", "zk2");
      Record(c, freq, "k5", "new");
      CHECK(c.Run({"ACDEL", "k2", "yk2"}) == ":1");
      freq.erase("k2 yk2");
    }
    dump = DumpAll(c);
  }
  TestServer second(On(dir, 3, appendonly));
  TestClient c(second);
  CHECK(DumpAll(c) == dump);
  CheckScores(c, freq);
  CHECK(c.Run({"DBSIZE"}) == (appendonly ? ":4" : ":3"));
}

TEST_CASE("Persistence: recovery with another shard count moves every term to its shard") {
  size_t before = 4, after = 2;
  SUBCASE("4 to 2") {}
  SUBCASE("2 to 3") { before = 2, after = 3; }
  SUBCASE("1 to 4") { before = 1, after = 4; }
  SUBCASE("3 to 1") { before = 3, after = 1; }
  TempDir dir;
  std::map<std::string, int64_t> freq;
  std::string dump;
  {
    TestServer first(On(dir, before));
    TestClient c(first);
    freq = Write(c);
    CHECK(c.Run({"SAVE"}) == "+OK");
    Record(c, freq, "k2", "zk2");  // in the logs only
    dump = DumpAll(c);
  }
  {
    TestServer second(On(dir, after));
    TestClient c(second);
    CHECK(DumpAll(c) == dump);
    CheckScores(c, freq);
    std::vector<size_t> expected(after);
    for (const auto& [name, f] : freq) {
      ++expected[typeahead::storage::PartitionOfTerm(name.substr(name.find(' ') + 1), after)];
    }
    for (size_t i = 0; i < after; ++i) {
      CHECK(second.OnShard(i, [](Shard& s) { return s.partition().term_count(); }) == expected[i]);
    }
    CHECK(ReadManifest(second.data_dir()).partitions.size() == after);
    Record(c, freq, "k2", "zk2");  // logged in the new layout
    dump = DumpAll(c);
  }
  TestServer third(On(dir, after));
  TestClient c(third);
  CHECK(DumpAll(c) == dump);
  CheckScores(c, freq);
}

TEST_CASE("Persistence: payloads survive the logs, a checkpoint and another shard count") {
  size_t before = 3, after = 3;
  bool save = false;
  SUBCASE("from the logs alone") {}
  SUBCASE("from a checkpoint and the logs after it") { save = true; }
  SUBCASE("from a checkpoint, into 2 shards") { save = true, after = 2; }
  SUBCASE("from the logs, into 4 shards") { after = 4; }
  TempDir dir;
  // Every letter (so every shard), payloads set, replaced, removed, and gone with a term.
  auto payloads = [](TestClient& c) {
    return c.Run({"FT.SUGGET", "s", "", "WITHSCORES", "WITHPAYLOADS", "MAX", "100"});
  };
  std::string expected;
  {
    TestServer first(On(dir, before));
    TestClient c(first);
    for (char ch = 'a'; ch <= 'z'; ++ch) {
      std::string term(3, ch);
      REQUIRE(c.Run({"FT.SUGADD", "s", term, "2", "PAYLOAD", "p-" + term}).rfind(":", 0) == 0);
    }
    if (save) REQUIRE(c.Run({"SAVE"}) == "+OK");
    REQUIRE(c.Run({"FT.SUGADD", "s", "bbb", "5", "PAYLOAD", "new"}) == ":26");
    REQUIRE(c.Run({"FT.SUGADD", "s", "ccc", "1", "INCR", "PAYLOAD", ""}) == ":26");
    REQUIRE(c.Run({"FT.SUGDEL", "s", "ddd"}) == ":1");
    REQUIRE(c.Run({"FT.SUGADD", "s", "ddd", "1"}) == ":26");
    REQUIRE(c.Run({"RENAME", "s", "s2"}) == "+OK");
    REQUIRE(c.Run({"RENAME", "s2", "s"}) == "+OK");
    expected = payloads(c);
  }
  CHECK(expected.find(R"("bbb", "5", "new")") != std::string::npos);
  CHECK(expected.find(R"("ccc", "3", nil)") != std::string::npos);
  CHECK(expected.find(R"("ddd", "1", nil)") != std::string::npos);
  CHECK(expected.find(R"("zzz", "2", "p-zzz")") != std::string::npos);
  TestServer second(On(dir, after));
  TestClient c(second);
  CHECK(payloads(c) == expected);
}

TEST_CASE("Persistence: recovery writes no record and counts no change") {
  TempDir dir;
  std::map<std::string, uintmax_t> sizes;
  {
    TestServer first(On(dir, 2));
    TestClient c(first);
    Write(c);
    CHECK(c.Run({"SAVE"}) == "+OK");
    CHECK(c.Run({"ACRECORD", "k2", "zk2"}) == ":2");
    CHECK(first.JournalChanges() > 0);
    first.Stop();
    sizes = LogSizes(first);
  }
  SUBCASE("the same shard count: the logs are reopened as they were") {
    TestServer second(On(dir, 2));
    TestClient c(second);
    CHECK(c.Run({"ACSCORE", "k2", "zk2"}) == ":2");
    CHECK(second.JournalChanges() == 0);
    CHECK(LogSizes(second) == sizes);
    CHECK(c.Run({"INFO", "persistence"}).find("rdb_changes_since_last_save:0\r\n") !=
          std::string::npos);
  }
  SUBCASE("another shard count: the new generation's logs start empty") {
    TestServer second(On(dir, 3));
    TestClient c(second);
    CHECK(c.Run({"ACSCORE", "k2", "zk2"}) == ":2");
    CHECK(second.JournalChanges() == 0);
    for (const auto& p : ReadManifest(second.data_dir()).partitions) {
      REQUIRE(p.logs.size() == 1);
      CHECK(LogRecords(second.data_dir() + "/" + p.logs[0]).empty());
    }
  }
}

TEST_CASE("Persistence: a damaged log stops the start with a message naming the file") {
  TempDir dir;
  std::string log;
  {
    TestServer first(On(dir, 1));
    TestClient c(first);
    CHECK(c.Run({"ACRECORD", "k", "apple"}) == ":1");
    CHECK(c.Run({"ACRECORD", "k", "banana"}) == ":1");
    first.Stop();
    log = first.data_dir() + "/" + ReadManifest(first.data_dir()).partitions[0].logs.back();
  }
  // A flipped byte in the first record, with a valid one after it: corruption, not a torn tail.
  std::string error;
  auto data = typeahead::storage::ReadWholeFile(log, &error);
  REQUIRE(data.has_value());
  (*data)[typeahead::storage::kRecordHeaderSize + 5] ^= 1;
  REQUIRE(typeahead::storage::WriteFileAtomically(log, *data, &error));
  std::string message;
  try {
    TestServer second(On(dir, 1));
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  CHECK(message.find(log.substr(log.rfind('/') + 1)) != std::string::npos);
}

// A decaying key's state as replies that do not depend on the time: each term's score at a
// fixed time (17 digits, so bit for bit) and the ranking.
std::string DecayState(TestClient& c, const std::vector<std::string>& terms) {
  std::string out = c.Run({"ACTOPK", "trend", "", "1000"}) + "\n";
  for (const auto& t : terms) out += t + " " + c.Run({"ACSCORE", "trend", t, "AT", "5000"}) + "\n";
  return out + c.Run({"EXISTS", "quiet"});
}

TEST_CASE("Persistence: a decaying key recovers bit for bit, rebases and half-lives included") {
  size_t before = 3, after = 3;
  bool save = true;
  SUBCASE("from the logs alone") { save = false; }
  SUBCASE("from a checkpoint and the logs after it") {}
  SUBCASE("with another shard count, 3 to 2") { after = 2; }
  TempDir dir;
  std::vector<std::string> terms;
  std::string state;
  {
    TestServer first(On(dir, before));
    TestClient c(first);
    uint64_t x = 99;
    auto next = [&] { return (x = x * 6364136223846793005ull + 1442695040888963407ull) >> 33; };
    for (int i = 0; i < 40; ++i) terms.push_back(std::string(1, 'a' + i % 7) + std::to_string(i));
    for (const auto& t : terms) c.Run({"ACINCRBY", "trend", t, std::to_string(1 + next() % 5)});
    REQUIRE(c.Run({"ACDECAY", "trend", "0.002", "AT", "1000"}) == "+OK");
    REQUIRE(c.Run({"ACDECAY", "quiet", "60"}) == "+OK");  // empty: exists by its decay alone
    // Event times 1 to 2.8 s at a 2 ms half-life, then a 3 ms one and events on a-terms
    // alone: each shard rebases at its own times, and a-terms' shard further than the others.
    for (int i = 0; i < 300; ++i) {
      c.Run({"ACINCRBY", "trend", terms[next() % terms.size()], std::to_string(1 + next() % 3),
             "AT", std::to_string(1000 + i * 6 + next() % 100)});
    }
    REQUIRE(c.Run({"ACDECAY", "trend", "0.003", "AT", "2900"}) == "+OK");
    for (int i = 0; i < 300; ++i) {
      c.Run({"ACINCRBY", "trend", terms[7 * (next() % 6)], std::to_string(1 + next() % 3), "AT",
             std::to_string(2900 + i * 6 + next() % 100)});
    }
    std::set<int64_t> shifts;
    for (size_t i = 0; i < before; ++i) {
      shifts.insert(
          first.OnShard(i, [](Shard& s) { return s.partition().Find("trend")->decay().shift; }));
    }
    CHECK(shifts.size() > 1);  // the shards rebased apart
    if (save) CHECK(c.Run({"SAVE"}) == "+OK");
    for (int i = 0; i < 50; ++i) {  // in the logs only
      c.Run(
          {"ACRECORD", "trend", terms[next() % terms.size()], "AT", std::to_string(4700 + i * 3)});
    }
    state = DecayState(c, terms);
  }
  TestServer second(On(dir, after));
  TestClient c(second);
  CHECK(DecayState(c, terms) == state);
  CHECK(state.find("\"") != std::string::npos);  // scores are doubles
}
