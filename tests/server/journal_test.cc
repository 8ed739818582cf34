// Journal (server/journal.h): a shard partition's changes reach its log file in the order they
// were made, one record each, at the flush the journal posts to the shard's loop; a change
// that changes nothing writes nothing; WhenDurable fires only once the flush wrote (and with
// `always` synced) the records. First on a Shard whose thread is never started, the test's
// thread running its loop with poll(), so each step is seen in order without any wait; then
// through the in-process server, where a reply is read only after its records are in the log.
#include "server/journal.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "server/config.h"
#include "server/shard.h"
#include "storage/file_util.h"
#include "storage/routing.h"
#include "tests/server/command_fixture.h"

namespace {
using typeahead::server::Config;
using typeahead::server::DiskHealth;
using typeahead::server::Journal;
using typeahead::server::Shard;
using typeahead::test::LogRecords;
using typeahead::test::ReadManifest;
using typeahead::test::TempDir;
using typeahead::test::TestClient;
using typeahead::test::TestServer;
using typeahead::test::TestServerOptions;

std::string FileBytes(const std::string& path) {
  std::string error;
  auto data = typeahead::storage::ReadWholeFile(path, &error);
  REQUIRE_MESSAGE(data.has_value(), error);
  return *data;
}

// A shard with its journal logging to <dir>/log; the test's thread is its thread.
struct LoggingShard {
  explicit LoggingShard(const Config& config, bool open_log = true)
      : shard(0, config), path(dir.path + "/log") {
    shard.journal().Attach(nullptr, &health);
    std::string error;
    if (open_log) REQUIRE_MESSAGE(shard.journal().Open(path, 0, &error), error);
  }
  Journal& journal() { return shard.journal(); }
  typeahead::storage::Partition& partition() { return shard.partition(); }
  // One turn of the shard's loop: runs the flush the journal posted, if any.
  void RunLoop() { shard.io().poll(); }

  TempDir dir;
  DiskHealth health;
  Shard shard;
  std::string path;
};

}  // namespace

TEST_CASE("Journal: a change reaches the log at the flush, and WhenDurable fires after it") {
  Config config;
  LoggingShard s(config);
  REQUIRE(s.partition().IncrBy("k", "apple", 1).ok());
  REQUIRE(s.partition().IncrBy("k", "banana", 5).ok());
  uint64_t end = s.journal().end();
  CHECK(end > 0);
  bool durable = false;
  size_t on_disk = 0;  // what the file held when the waiter ran
  s.journal().WhenDurable(end, [&] {
    durable = true;
    on_disk = FileBytes(s.path).size();
  });
  // Buffered until the loop turn ends: one write for every change of the turn.
  CHECK_FALSE(durable);
  CHECK(FileBytes(s.path).empty());
  s.RunLoop();
  CHECK(durable);
  CHECK(on_disk == end);
  CHECK(LogRecords(s.path) == std::vector<std::string>{"ACRECORD k apple", "ACINCRBY k banana 5"});
  CHECK(FileBytes(s.path).size() == end);

  SUBCASE("a waiter for what is already durable is called at once") {
    bool now = false;
    s.journal().WhenDurable(end, [&] { now = true; });
    CHECK(now);
  }
  SUBCASE("a later change is appended after the earlier ones, at its own flush") {
    s.partition().EraseTerm("k", "apple");
    bool later = false;
    s.journal().WhenDurable(s.journal().end(), [&] { later = true; });
    CHECK_FALSE(later);
    s.RunLoop();
    CHECK(later);
    CHECK(LogRecords(s.path) ==
          std::vector<std::string>{"ACRECORD k apple", "ACINCRBY k banana 5", "ACDEL k apple"});
  }
}

TEST_CASE("Journal: appendfsync decides what durable means") {
  Config config;
  SUBCASE("always: the flush syncs before the waiters run") {
    config.appendfsync = "always";
    LoggingShard s(config);
    s.partition().IncrBy("k", "apple", 1);
    uint64_t synced = 0;  // when the waiter ran
    s.journal().WhenDurable(s.journal().end(), [&] { synced = s.journal().log().synced(); });
    s.RunLoop();
    CHECK(synced == s.journal().end());
  }
  SUBCASE("everysec: written is enough, the sync comes later") {
    LoggingShard s(config);
    s.partition().IncrBy("k", "apple", 1);
    uint64_t written = 0;  // when the waiter ran
    s.journal().WhenDurable(s.journal().end(), [&] { written = s.journal().log().written(); });
    s.RunLoop();
    CHECK(written == s.journal().end());
    CHECK(s.journal().log().synced() == 0);  // the background worker's sync, each second
  }
}

TEST_CASE("Journal: a mutator that changes nothing writes no record and counts no change") {
  Config config;
  LoggingShard s(config);
  s.partition().IncrBy("k", "apple", 2);
  s.RunLoop();
  uint64_t end = s.journal().end();
  CHECK(s.journal().changes() == 1);

  CHECK_FALSE(s.partition().EraseTerm("k", "nosuch"));
  CHECK_FALSE(s.partition().EraseTerm("nokey", "apple"));
  CHECK_FALSE(s.partition().Erase("nokey"));
  CHECK_FALSE(s.partition().Rename("nokey", "k"));
  CHECK(s.partition().IncrBy("k", "absent", -3).value() == 0);  // not added
  CHECK(s.partition().IncrBy("k", "apple", 0).value() == 2);    // unchanged
  s.RunLoop();
  CHECK(s.journal().changes() == 1);
  CHECK(s.journal().end() == end);
  CHECK(LogRecords(s.path) == std::vector<std::string>{"ACINCRBY k apple 2"});

  // FLUSHALL is the exception the contract names: logged even when nothing was there.
  s.partition().Clear();
  s.partition().Clear();
  s.RunLoop();
  CHECK(s.journal().changes() == 3);
  CHECK(LogRecords(s.path) ==
        std::vector<std::string>{"ACINCRBY k apple 2", "FLUSHALL", "FLUSHALL"});
}

TEST_CASE("Journal: without a log (appendonly no) changes count and nothing waits") {
  Config config;
  LoggingShard s(config, /*open_log=*/false);
  CHECK_FALSE(s.journal().enabled());
  s.partition().IncrBy("k", "apple", 1);
  s.partition().IncrBy("k", "apple", 1);
  s.partition().EraseTerm("k", "nosuch");
  s.partition().Erase("k");
  CHECK(s.journal().changes() == 3);
  CHECK(s.journal().end() == 0);
  bool durable = false;
  s.journal().WhenDurable(s.journal().end(), [&] { durable = true; });
  CHECK(durable);
}

TEST_CASE("Journal: a write's records are in its partition's log, in order, when it replies") {
  // Each flush held back a little: a reply sent before its record was written would find
  // the log without it. (The delay only widens that window; nothing here waits on a clock.)
  TestServerOptions options;
  options.shards = 1;
  options.directives = {{"debug-log-flush-delay", "10"}};
  TestServer server(options);
  TestClient c(server);
  auto manifest = ReadManifest(server.data_dir());
  REQUIRE(manifest.partitions.size() == 1);
  std::string log = server.data_dir() + "/" + manifest.partitions[0].logs.back();
  struct Step {
    std::vector<std::string> command;
    std::string reply, record;  // record empty: the command changes nothing
  };
  const Step steps[] = {
      {{"ACRECORD", "k", "apple"}, ":1", "ACRECORD k apple"},
      {{"ACINCRBY", "k", "apple", "4"}, ":5", "ACINCRBY k apple 4"},
      {{"ACINCRBY", "k", "banana", "3"}, ":3", "ACINCRBY k banana 3"},
      {{"ACINCRBY", "k", "cherry", "-3"}, ":0", ""},  // not added
      {{"ACDEL", "k", "apple", "nosuch"}, ":1", "ACDEL k apple"},
      {{"ACDEL", "k", "nosuch"}, ":0", ""},
      {{"RENAME", "k", "k2"}, "+OK", "RENAME k k2"},
      {{"DEL", "k2", "nosuch"}, ":1", "DEL k2"},
      {{"DEL", "k2"}, ":0", ""},
      {{"FLUSHALL"}, "+OK", "FLUSHALL"},
  };
  std::vector<std::string> records;
  for (const Step& step : steps) {
    CAPTURE(step.reply);
    CHECK(c.Run(step.command) == step.reply);
    if (!step.record.empty()) records.push_back(step.record);
    CHECK(LogRecords(log) == records);
  }
  CHECK(server.JournalChanges() == records.size());
}

TEST_CASE("Journal: each partition logs the changes to its own terms only") {
  TestServer server(2);
  TestClient c(server);
  // One term on each partition, and a pipeline: one batch with a hop to the other shard.
  std::vector<std::string> terms;
  for (char first = 'a'; terms.size() < 2; ++first) {
    std::string t(1, first);
    if (typeahead::storage::PartitionOfTerm(t, 2) == terms.size()) terms.push_back(t);
  }
  auto replies = c.Pipeline({{"ACRECORD", "k", terms[0]},
                             {"ACRECORD", "k", terms[1]},
                             {"ACINCRBY", "k", terms[1], "2"},
                             {"ACINCRBY", "k", terms[0], "2"}});
  for (const auto& r : replies) CHECK_FALSE(r.value.is_error());
  auto manifest = ReadManifest(server.data_dir());
  REQUIRE(manifest.partitions.size() == 2);
  for (size_t p = 0; p < 2; ++p) {
    std::string log = server.data_dir() + "/" + manifest.partitions[p].logs.back();
    CHECK(LogRecords(log) ==
          std::vector<std::string>{"ACRECORD k " + terms[p], "ACINCRBY k " + terms[p] + " 2"});
  }
}
