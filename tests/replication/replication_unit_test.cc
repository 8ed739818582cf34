// Unit tests of the replication pieces that need no network: the backlog ring, the full-sync
// payload framing, the replica's stream reading (partition markers, cuts, routing) and the
// restricted key commands a replica with another partition count applies.
#include <doctest/doctest.h>

#include <random>

#include "replication/backlog.h"
#include "replication/feed.h"
#include "replication/stream_applier.h"
#include "replication/sync_payload.h"
#include "replication/zstd_stream.h"
#include "storage/replay.h"
#include "storage/routing.h"
#include "tests/storage/recording_sink.h"

using namespace typeahead;
using replication::Backlog;
using replication::StreamApplier;
using replication::SyncPayloadDecoder;

namespace {

std::string Cmd(std::vector<std::string_view> args) {
  std::string out;
  replication::AppendCommand(&out, args);
  return out;
}

// The commands each shard's batch holds, as "NAME a b" strings.
std::vector<std::vector<std::string>> Batches(StreamApplier& a) {
  std::vector<std::vector<std::string>> out;
  for (auto& b : a.batches()) {
    out.emplace_back();
    for (const auto& op : b.ops) {
      std::string s;
      for (uint32_t i = 0; i < op.arg_count; ++i) {
        s += (i ? " " : "") + std::string(b.args[op.arg_begin + i]);
      }
      if (op.source >= 0) s += " @" + std::to_string(op.source);
      out.back().push_back(s);
    }
    b.Clear();
  }
  return out;
}

}  // namespace

TEST_CASE("Backlog keeps the newest bytes and copies from any offset it covers") {
  Backlog b(8);
  CHECK(b.end() == 0);
  CHECK(b.Covers(1));  // nothing missing yet
  CHECK_FALSE(b.Covers(2));
  b.Append("abcde");
  CHECK(b.first_byte_offset() == 1);
  CHECK(b.CopyFrom(1) == "abcde");
  CHECK(b.CopyFrom(4) == "de");
  CHECK(b.CopyFrom(6) == "");
  b.Append("fghij");  // wraps: holds "cdefghij"
  CHECK(b.end() == 10);
  CHECK(b.size() == 8);
  CHECK(b.first_byte_offset() == 3);
  CHECK_FALSE(b.Covers(2));
  CHECK(b.CopyFrom(3) == "cdefghij");
  CHECK(b.CopyFrom(9) == "ij");
  b.Append("0123456789ABC");  // longer than the ring
  CHECK(b.CopyFrom(b.first_byte_offset()) == "56789ABC");
  b.Resize(4);
  CHECK(b.CopyFrom(b.first_byte_offset()) == "9ABC");
  CHECK(b.end() == 23);
  b.Reset(100);
  CHECK(b.end() == 100);
  CHECK(b.Covers(101));
  CHECK_FALSE(b.Covers(100));
}

TEST_CASE("Backlog matches a plain string under random appends") {
  std::mt19937 rng(7);
  Backlog b(1000);
  std::string all;
  for (int i = 0; i < 2000; ++i) {
    std::string chunk(rng() % 300, static_cast<char>('a' + i % 26));
    b.Append(chunk);
    all += chunk;
    uint64_t from = b.first_byte_offset() + rng() % (b.size() + 1);
    REQUIRE(b.CopyFrom(from) == all.substr(from - 1));
  }
}

TEST_CASE("Sync payload round-trips in pieces of any size; damage is reported") {
  std::string mark(40, 'm');
  std::string payload = replication::PayloadHeader(2) + replication::PayloadResume(1, 4, 77, 300) +
                        replication::PayloadPartition(1, 12) + replication::PayloadData("hello") +
                        replication::PayloadPartition(0, 5) + replication::PayloadData("wor") +
                        replication::PayloadData("ld") + replication::PayloadEnd(mark);
  for (size_t piece : {1, 2, 7, 1000}) {
    SyncPayloadDecoder d(mark);
    size_t used = 0;
    while (used < payload.size() && !d.done()) {
      used += d.Feed(std::string_view(payload).substr(used, piece));
      REQUIRE(d.error().empty());
    }
    CHECK(d.done());
    CHECK(used == payload.size());
    CHECK(d.parts()[0].snapshot == "world");
    CHECK(d.parts()[1].snapshot == "hello");
    CHECK(d.parts()[0].cut == 5);
    CHECK(d.parts()[1].cut == 12);
    CHECK(d.resume().partition == 1);
    CHECK(d.resume().seq == 77);
    CHECK(d.resume().skip == 300);
  }
  // Bytes after the payload are the stream: not consumed.
  SyncPayloadDecoder d(mark);
  CHECK(d.Feed(payload + "*1\r\n") == payload.size());
  SyncPayloadDecoder wrong_mark(std::string(40, 'x'));
  wrong_mark.Feed(payload);
  CHECK(wrong_mark.error().find("end mark") != std::string::npos);
  SyncPayloadDecoder missing(mark);
  missing.Feed(replication::PayloadHeader(2) + replication::PayloadPartition(0, 0) +
               replication::PayloadEnd(mark));
  CHECK(missing.error().find("missing") != std::string::npos);
  SyncPayloadDecoder garbage(mark);
  garbage.Feed("RDB0009...........");
  CHECK(!garbage.error().empty());
}

TEST_CASE("The stream applier skips records below a cut only inside the cut window") {
  StreamApplier a(2);
  std::string marker0 = Cmd({"REPLCONF", "PARTITION", "0", "2", "100"});
  std::string rec1 = Cmd({"ACRECORD", "k", "aa"});
  std::string rec2 = Cmd({"ACRECORD", "k", "ab"});
  std::string stream = marker0 + rec1 + rec2;
  // Partition 0 was cut after its first record (seq 100 + rec1): rec1 is in the snapshot.
  a.SetCuts({100 + rec1.size(), 0}, stream.size());
  size_t used;
  REQUIRE(a.Consume(stream, &used));
  CHECK(used == stream.size());
  CHECK(a.skipped == 1);
  size_t shard = storage::PartitionOfTerm("ab", 2);
  auto b = Batches(a);
  CHECK(b[shard] == std::vector<std::string>{"ACRECORD k ab"});
  CHECK(b[1 - shard].empty());
  // Past the window nothing is skipped, whatever seq says (a promoted primary restarts its
  // counts).
  std::string later = Cmd({"REPLCONF", "PARTITION", "0", "2", "0"}) + rec1;
  REQUIRE(a.Consume(later, &used));
  CHECK(a.skipped == 1);
  CHECK(Batches(a)[storage::PartitionOfTerm("aa", 2)] == std::vector<std::string>{"ACRECORD k aa"});
}

TEST_CASE("The stream applier routes terms by its own rule and restricts key commands") {
  StreamApplier a(3);  // the primary has 2 partitions
  std::string stream = Cmd({"REPLCONF", "PARTITION", "1", "2", "0"}) +
                       Cmd({"ACDEL", "k", "apple", "banana", "cherry", "date"}) +
                       Cmd({"DEL", "k", "j"}) + Cmd({"PING"}) + Cmd({"REPLCONF", "GETACK", "*"}) +
                       Cmd({"ACINCRBY", "k", "egg", "-2"});
  size_t used;
  // In two pieces: a command cut in half waits for its end.
  size_t half = stream.size() - 5;
  REQUIRE(a.Consume(std::string_view(stream).substr(0, half), &used));
  CHECK(a.ack_requested);
  std::string rest = stream.substr(used);
  auto first = Batches(a);
  REQUIRE(a.Consume(rest, &used));
  CHECK(used == rest.size());
  auto second = Batches(a);
  for (size_t s = 0; s < 3; ++s) {
    std::string want = "ACDEL k";
    for (std::string_view t : {"apple", "banana", "cherry", "date"}) {
      if (storage::PartitionOfTerm(t, 3) == s) want += " " + std::string(t);
    }
    std::vector<std::string> expect;
    if (want != "ACDEL k") expect.push_back(want);
    expect.push_back("DEL k j @1");  // every local shard, restricted to primary partition 1
    CHECK(first[s] == expect);
    CHECK(second[s] == (storage::PartitionOfTerm("egg", 3) == s
                            ? std::vector<std::string>{"ACINCRBY k egg -2"}
                            : std::vector<std::string>{}));
  }
  // With equal partition counts a key command runs on its partition only.
  StreamApplier same(2);
  std::string s2 = Cmd({"REPLCONF", "PARTITION", "1", "2", "0"}) + Cmd({"FLUSHALL"});
  REQUIRE(same.Consume(s2, &used));
  auto b = Batches(same);
  CHECK(b[0].empty());
  CHECK(b[1] == std::vector<std::string>{"FLUSHALL"});
  StreamApplier broken(2);
  CHECK_FALSE(broken.Consume("*1\r\n$x\r\n", &used));
}

TEST_CASE("Key commands restricted to a source partition touch its terms only") {
  storage::Partition p;
  std::vector<std::string> terms = {"apple", "banana", "cherry", "date", "egg", "fig"};
  for (const auto& t : terms) {
    p.IncrBy("k", t, 3);
    p.IncrBy("other", t, 1);
  }
  p.IncrBy("dst", "apple", 9);
  p.IncrBy("dst", "banana", 9);
  size_t source = storage::PartitionOfTerm("apple", 2);
  auto from_source = [&](std::string_view t) { return storage::PartitionOfTerm(t, 2) == source; };
  testing::RecordingSink sink;  // what p's journal would log
  p.set_sink(&sink);
  auto& records = sink.records;
  std::string error;

  // RENAME k dst: dst's source terms are replaced by k's source terms; the rest stays.
  std::vector<std::string_view> rename = {"RENAME", "k", "dst"};
  REQUIRE(storage::ApplyLoggedFrom(&p, rename, source, 2, &error));
  for (const auto& t : terms) {
    auto k = p.Find("k") ? p.Find("k")->Score(t) : std::nullopt;
    auto d = p.Find("dst") ? p.Find("dst")->Score(t) : std::nullopt;
    if (from_source(t)) {
      CHECK_FALSE(k.has_value());
      CHECK(d == 3);
    } else {
      CHECK(k == 3);
      CHECK(d == ((t == "apple" || t == "banana") ? std::optional<int64_t>(9) : std::nullopt));
    }
  }
  // What p logged redoes the same on a copy that had the old state, in term-level records.
  for (const auto& r : records) CHECK((r[0] == "ACDEL" || r[0] == "ACINCRBY"));
  storage::Partition q;
  for (const auto& t : terms) {
    q.IncrBy("k", t, 3);
    q.IncrBy("other", t, 1);
  }
  q.IncrBy("dst", "apple", 9);
  q.IncrBy("dst", "banana", 9);
  for (const auto& r : records) {
    std::vector<std::string_view> args(r.begin(), r.end());
    REQUIRE(storage::ApplyLogged(&q, args, &error));
  }
  for (const auto& key : {"k", "dst", "other"}) {
    for (const auto& t : terms) {
      auto a = p.Find(key) ? p.Find(key)->Score(t) : std::nullopt;
      auto b = q.Find(key) ? q.Find(key)->Score(t) : std::nullopt;
      CHECK(a == b);
    }
  }
  // FLUSHALL from the source: only its terms go, in every key.
  records.clear();
  std::vector<std::string_view> flush = {"FLUSHALL"};
  REQUIRE(storage::ApplyLoggedFrom(&p, flush, source, 2, &error));
  for (const auto& t : terms) {
    auto o = p.Find("other") ? p.Find("other")->Score(t) : std::nullopt;
    CHECK(o.has_value() == !from_source(t));
  }
  std::vector<std::string_view> bad = {"ACRECORD", "k", "x"};
  CHECK_FALSE(storage::ApplyLoggedFrom(&p, bad, source, 2, &error));
}

TEST_CASE("A zstd link stream decodes piece by piece to what was encoded") {
  replication::ZstdStreamEncoder enc(1);
  replication::ZstdStreamDecoder dec;
  std::mt19937 rng(3);
  std::string sent, got, wire;
  for (int i = 0; i < 200; ++i) {
    std::string piece;
    for (int j = rng() % 50; j > 0; --j)
      piece += Cmd({"ACRECORD", "k", std::to_string(rng() % 999)});
    if (i % 50 == 0) piece += std::string(300000, 'x');  // bigger than zstd's buffers
    sent += piece;
    size_t before = wire.size();
    REQUIRE(enc.Encode(piece, &wire));
    // Flushed: what was written so far decodes to everything encoded so far.
    std::string_view fresh(wire.data() + before, wire.size() - before);
    for (size_t at = 0; at < fresh.size();) {
      size_t len = std::min<size_t>(fresh.size() - at, 1 + rng() % 700);
      REQUIRE(dec.Decode(fresh.substr(at, len), &got));
      at += len;
    }
    REQUIRE(got == sent);
  }
  CHECK(wire.size() * 4 < sent.size());
  replication::ZstdStreamDecoder bad;
  std::string out;
  CHECK_FALSE(bad.Decode("this is not zstd at all", &out));
}
