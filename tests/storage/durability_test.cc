// The durable formats: CRC-32C, log records (torn and damaged), recovery of a partition from
// its files, snapshots (round trip and point-in-time under changes), the manifest and the
// resumable trie walk snapshots rely on.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "storage/append_log.h"
#include "storage/crc32c.h"
#include "storage/file_util.h"
#include "storage/log_record.h"
#include "storage/manifest.h"
#include "storage/partition.h"
#include "storage/recovery.h"
#include "storage/snapshot.h"

namespace st = typeahead::storage;
using Dump = std::map<std::string, std::map<std::string, int64_t>>;

namespace {

Dump DumpOf(const st::Partition& p) {
  Dump d;
  for (const auto& [key, dict] : p.keys()) {
    dict.ForEach([&, &key = key](std::string_view t, int64_t f) { d[key][std::string(t)] = f; });
  }
  return d;
}

// Every payload of p, by key and term.
std::map<std::string, std::map<std::string, std::string>> PayloadsOf(const st::Partition& p) {
  std::map<std::string, std::map<std::string, std::string>> d;
  for (const auto& [key, dict] : p.keys()) {
    dict.ForEach([&, &key = key, &dict = dict](std::string_view t, int64_t) {
      if (!dict.Payload(t).empty()) d[key][std::string(t)] = dict.Payload(t);
    });
  }
  return d;
}

// A payload now and then empty (none), binary, or long enough to leave SSO.
std::string RandomPayload(std::mt19937& rng) {
  switch (rng() % 4) {
    case 0:
      return "";
    case 1:
      return std::string("\0p\xff", 3) + std::to_string(rng() % 10);
    case 2:
      return std::string(1 + rng() % 300, static_cast<char>('a' + rng() % 26));
    default:
      return "p" + std::to_string(rng() % 5);
  }
}

// A fresh directory removed at the end of the test.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/typeahead-unit-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

std::string RandomTerm(std::mt19937& rng, bool binary) {
  std::string t(1 + rng() % 12, 'a');
  for (char& c : t) {
    c = binary ? static_cast<char>(rng() % 256) : static_cast<char>('a' + rng() % 6);
  }
  return t;
}

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

using Args = std::vector<std::string_view>;

}  // namespace

TEST_CASE("CRC-32C: the standard check value, and chaining") {
  CHECK(st::Crc32c("123456789") == 0xE3069283u);
  CHECK(st::Crc32c("") == 0u);
  std::string long_text(1000, 'x');
  for (size_t i = 0; i < long_text.size(); ++i) long_text[i] = static_cast<char>(i * 7);
  uint32_t chained = st::Crc32cExtend(st::Crc32cExtend(0, long_text.data(), 333),
                                      long_text.data() + 333, long_text.size() - 333);
  CHECK(chained == st::Crc32c(long_text));
}

TEST_CASE("Log records: readable, and read back exactly, binary arguments included") {
  std::string log;
  std::string binary("a\0b\r\n\xff", 6);
  size_t first = st::AppendRecord(&log, 100, Args{"ACRECORD", "k", binary});
  st::AppendRecord(&log, 100 + first, Args{"DEL", "k"});
  CHECK(log.substr(0, 37) == "#0000000000000064 00000025 " + log.substr(27, 8) + "\r\n");
  CHECK(log.substr(37, 4) == "*3\r\n");
  st::RecordScanner scanner(log, 100);
  REQUIRE(scanner.Next() == st::RecordScanner::Status::kRecord);
  CHECK(scanner.record().offset == 100);
  CHECK(scanner.record().args == Args{"ACRECORD", "k", binary});
  REQUIRE(scanner.Next() == st::RecordScanner::Status::kRecord);
  CHECK(scanner.record().offset == 100 + first);
  CHECK(scanner.record().args == Args{"DEL", "k"});
  CHECK(scanner.Next() == st::RecordScanner::Status::kEnd);
}

TEST_CASE("Log records: a cut anywhere in the last record, or garbage after it, is a torn tail") {
  std::string log;
  for (int i = 0; i < 3; ++i) st::AppendRecord(&log, log.size(), Args{"ACRECORD", "k", "term"});
  size_t last = log.size();
  st::AppendRecord(&log, last, Args{"ACINCRBY", "k", "other", "5"});
  for (size_t cut = last + 1; cut < log.size(); ++cut) {
    st::RecordScanner scanner(std::string_view(log).substr(0, cut), 0);
    int records = 0;
    st::RecordScanner::Status s;
    while ((s = scanner.Next()) == st::RecordScanner::Status::kRecord) ++records;
    CHECK(records == 3);
    CHECK(s == st::RecordScanner::Status::kTorn);
    CHECK(scanner.position() == last);
  }
  for (std::string garbage : {"x", "#", "\r\n", "#0000000000000000 garbage", "*3\r\n$8\r\n"}) {
    std::string with = log + garbage;
    st::RecordScanner scanner(with, 0);
    int records = 0;
    st::RecordScanner::Status s;
    while ((s = scanner.Next()) == st::RecordScanner::Status::kRecord) ++records;
    CHECK(records == 4);
    CHECK(s == st::RecordScanner::Status::kTorn);
    CHECK(scanner.position() == log.size());
  }
}

TEST_CASE("Log records: damage followed by valid records is corruption, wherever it is") {
  std::string log;
  std::vector<size_t> starts;
  for (int i = 0; i < 4; ++i) {
    starts.push_back(log.size());
    st::AppendRecord(&log, log.size(), Args{"ACRECORD", "key", "t" + std::to_string(i)});
  }
  // Every byte of the second record, flipped in turn.
  for (size_t at = starts[1]; at < starts[2]; ++at) {
    std::string bad = log;
    bad[at] = static_cast<char>(bad[at] ^ 0x20);
    st::RecordScanner scanner(bad, 0);
    CHECK(scanner.Next() == st::RecordScanner::Status::kRecord);
    CHECK(scanner.Next() == st::RecordScanner::Status::kCorrupt);
    CHECK(scanner.position() == starts[1]);
  }
  // A record at the wrong offset (a file spliced from elsewhere) is caught too.
  std::string shifted = log;
  shifted.insert(starts[2], "\n");  // the bytes after no longer sit where they claim
  st::RecordScanner scanner(shifted, 0);
  CHECK(scanner.Next() == st::RecordScanner::Status::kRecord);
  CHECK(scanner.Next() == st::RecordScanner::Status::kRecord);
  CHECK(scanner.Next() != st::RecordScanner::Status::kRecord);
}

TEST_CASE("Recovery: a torn last log is cut at its last whole record, at every byte offset") {
  TempDir dir;
  st::PartitionFiles files;
  files.logs = {"a.incr.aof"};
  std::string log;
  for (int i = 0; i < 5; ++i) st::AppendRecord(&log, log.size(), Args{"ACRECORD", "k", "apple"});
  size_t last = log.size();
  st::AppendRecord(&log, last, Args{"ACRECORD", "k", "banana"});
  for (size_t cut = last; cut <= log.size(); ++cut) {
    WriteFile(dir.path + "/a.incr.aof", std::string_view(log).substr(0, cut));
    st::Partition p;
    st::LoadStats stats;
    std::string error;
    REQUIRE_MESSAGE(st::LoadPartitionFiles(dir.path, files, &p, &stats, &error), error);
    CHECK(p.Find("k")->Score("apple") == 5);
    bool whole = cut == log.size();
    CHECK(p.Find("k")->Score("banana").has_value() == whole);
    CHECK(stats.warnings.size() == (cut == last || whole ? 0u : 1u));
    CHECK(std::filesystem::file_size(dir.path + "/a.incr.aof") == (whole ? log.size() : last));
    CHECK(stats.log_end == (whole ? log.size() : last));
  }
}

TEST_CASE("Recovery: a damaged record in the middle refuses, naming the file, offset and tool") {
  TempDir dir;
  std::string log;
  std::vector<size_t> starts;
  for (int i = 0; i < 3; ++i) {
    starts.push_back(log.size());
    st::AppendRecord(&log, log.size(), Args{"ACRECORD", "k", "t" + std::to_string(i)});
  }
  log[starts[1] + 45] ^= 1;
  WriteFile(dir.path + "/a.incr.aof", log);
  st::PartitionFiles files;
  files.logs = {"a.incr.aof"};
  st::Partition p;
  st::LoadStats stats;
  std::string error;
  CHECK_FALSE(st::LoadPartitionFiles(dir.path, files, &p, &stats, &error));
  CHECK(error.find(dir.path + "/a.incr.aof") != std::string::npos);
  CHECK(error.find("offset " + std::to_string(starts[1])) != std::string::npos);
  CHECK(error.find("typeahead-check-log --fix") != std::string::npos);
  CHECK(std::filesystem::file_size(dir.path + "/a.incr.aof") == log.size());  // untouched
  // A torn tail in an earlier log file is damage as well: later files depend on it.
  std::string torn = log.substr(0, starts[2] - 3);
  WriteFile(dir.path + "/a.incr.aof", torn);
  WriteFile(dir.path + "/b.incr.aof", "");
  files.logs = {"a.incr.aof", "b.incr.aof"};
  st::Partition q;
  CHECK_FALSE(st::LoadPartitionFiles(dir.path, files, &q, &stats, &error));
}

TEST_CASE("AppendLog: offsets continue across files and reopening") {
  TempDir dir;
  std::string error;
  st::AppendLog log;
  REQUIRE(log.Open(dir.path + "/1.aof", 0, &error));
  uint64_t end = log.Append(Args{"ACRECORD", "k", "a"});
  CHECK(log.written() == 0);
  CHECK(log.Write() == 0);
  CHECK(log.written() == end);
  CHECK(log.Sync() == 0);
  CHECK(log.synced() == end);
  REQUIRE(log.Open(dir.path + "/2.aof", end, &error));
  log.Append(Args{"ACRECORD", "k", "b"});
  REQUIRE(log.Close(&error));
  st::PartitionFiles files;
  files.logs = {"1.aof", "2.aof"};
  st::Partition p;
  st::LoadStats stats;
  REQUIRE_MESSAGE(st::LoadPartitionFiles(dir.path, files, &p, &stats, &error), error);
  CHECK(stats.records == 2);
  CHECK(DumpOf(p) == Dump{{"k", {{"a", 1}, {"b", 1}}}});
  CHECK(stats.last_log_base == end);
  st::AppendLog again;
  REQUIRE(again.Open(dir.path + "/2.aof", stats.last_log_base, &error));
  CHECK(again.end() == stats.log_end);
}

TEST_CASE("Recovery: progress counts the files' bytes as they load, and stop ends a load") {
  TempDir dir;
  std::mt19937 rng(5);
  st::Partition p;
  for (int i = 0; i < 20000; ++i) p.IncrBy("k", RandomTerm(rng, true), 1 + rng() % 100);
  std::string error;
  REQUIRE(st::WriteSnapshot(&p, dir.path + "/s.tas", st::SnapshotInfo{0, 1, 0}, &error));
  st::AppendLog log;
  REQUIRE(log.Open(dir.path + "/1.aof", 0, &error));
  for (int i = 0; i < 3000; ++i) log.Append(Args{"ACRECORD", "k", "logged"});
  REQUIRE(log.Close(&error));
  uint64_t size = std::filesystem::file_size(dir.path + "/s.tas") +
                  std::filesystem::file_size(dir.path + "/1.aof");
  st::PartitionFiles files;
  files.snapshot = "s.tas";
  files.logs = {"1.aof"};
  st::LoadProgress progress;
  st::Partition q;
  st::LoadStats stats;
  REQUIRE_MESSAGE(st::LoadPartitionFiles(dir.path, files, &q, &stats, &error, &progress), error);
  CHECK(DumpOf(q).at("k").at("logged") == 3000);
  // All but the snapshot's header and trailer, which no block holds.
  CHECK(progress.bytes.load() <= size);
  CHECK(progress.bytes.load() >= size - 64);

  // A snapshot of one block reports as its entries decode, not only at the block's end.
  uint64_t seen_mid_block = 0;
  st::SnapshotSink sink = [&](std::string_view, std::string_view, int64_t, std::string_view) {
    return true;
  };
  std::string bytes = *st::ReadWholeFile(dir.path + "/s.tas", &error);
  std::atomic<uint64_t> done{0};
  size_t calls = 0;
  st::SnapshotSink watch = [&](std::string_view k, std::string_view t, int64_t f,
                               std::string_view p) {
    if (++calls == 10000) seen_mid_block = done.load();
    return sink(k, t, f, p);
  };
  st::SnapshotInfo info;
  REQUIRE(st::DecodeSnapshot(bytes, "s.tas", watch, {}, &info, &error, &done));
  CHECK(seen_mid_block > 0);
  CHECK(seen_mid_block < done.load());

  st::LoadProgress stop;
  stop.stop = true;
  st::Partition r;
  CHECK_FALSE(st::LoadPartitionFiles(dir.path, files, &r, &stats, &error, &stop));
  CHECK(error == st::kLoadStopped);
  files.snapshot.clear();
  CHECK_FALSE(st::LoadPartitionFiles(dir.path, files, &r, &stats, &error, &stop));
  CHECK(error == st::kLoadStopped);
}

TEST_CASE("Trie::Scan resumes after any term, in bytewise order") {
  std::mt19937 rng(7);
  st::Trie t;
  std::vector<std::string> all;
  for (int i = 0; i < 3000; ++i) t.IncrBy(RandomTerm(rng, i % 3 == 0), 1 + rng() % 5);
  t.ForEach([&](std::string_view term, int64_t) { all.emplace_back(term); });
  std::vector<std::string> walked;
  std::string after;
  bool from_start = true;
  while (true) {
    bool done = t.Scan(after, from_start, 1 + rng() % 50, [&](std::string_view term, int64_t) {
      walked.emplace_back(term);
      after = term;
    });
    from_start = false;
    if (done) break;
  }
  CHECK(walked == all);
  // From strings that are not terms, too.
  for (int i = 0; i < 200; ++i) {
    std::string probe = RandomTerm(rng, i % 2 == 0);
    std::vector<std::string> rest;
    t.Scan(probe, false, SIZE_MAX,
           [&](std::string_view term, int64_t) { rest.emplace_back(term); });
    std::vector<std::string> expected(std::upper_bound(all.begin(), all.end(), probe), all.end());
    CHECK(rest == expected);
  }
}

TEST_CASE("Snapshot: round trip of random dictionaries with binary terms is exact") {
  TempDir dir;
  std::mt19937 rng(11);
  st::Partition p;
  for (int i = 0; i < 20000; ++i) {
    std::string key = "key" + std::to_string(rng() % 7);
    if (i % 5 == 0) key = std::string("\0bin\xff", 5);
    if (i % 3 == 0) {
      p.Suggest(key, RandomTerm(rng, i % 2 == 0), 1 + rng() % 1000, RandomPayload(rng));
    } else {
      p.IncrBy(key, RandomTerm(rng, i % 2 == 0), 1 + rng() % 1000);
    }
  }
  p.IncrBy("big", "huge", INT64_MAX - 1);
  std::string error;
  st::SnapshotInfo info{3, 4, 12345};
  REQUIRE_MESSAGE(st::WriteSnapshot(&p, dir.path + "/s.tas", info, &error), error);
  st::Partition q;
  st::SnapshotInfo read;
  REQUIRE_MESSAGE(st::LoadSnapshot(dir.path + "/s.tas", &q, &read, &error), error);
  CHECK(DumpOf(q) == DumpOf(p));
  CHECK(PayloadsOf(q) == PayloadsOf(p));
  CHECK(PayloadsOf(p).size() == 8);  // every key has some
  CHECK(read.partition == 3);
  CHECK(read.partitions == 4);
  CHECK(read.log_offset == 12345);
  CHECK(read.terms == p.term_count());
  // Empty partitions round-trip too, and any damage is refused.
  st::Partition empty;
  REQUIRE(st::WriteSnapshot(&empty, dir.path + "/e.tas", info, &error));
  st::Partition e2;
  CHECK(st::LoadSnapshot(dir.path + "/e.tas", &e2, &read, &error));
  CHECK(e2.keys().empty());
  std::string bytes = *st::ReadWholeFile(dir.path + "/s.tas", &error);
  for (size_t at : {size_t{0}, size_t{20}, bytes.size() / 2, bytes.size() - 1}) {
    std::string bad = bytes;
    bad[at] ^= 4;
    WriteFile(dir.path + "/bad.tas", bad);
    st::Partition r;
    CHECK_FALSE(st::LoadSnapshot(dir.path + "/bad.tas", &r, &read, &error));
    CHECK(error.find("bad.tas") != std::string::npos);
  }
  WriteFile(dir.path + "/short.tas", bytes.substr(0, bytes.size() - 9));
  st::Partition r;
  CHECK_FALSE(st::LoadSnapshot(dir.path + "/short.tas", &r, &read, &error));
}

TEST_CASE("Snapshot: written a slice at a time while the partition changes, it is the cut") {
  TempDir dir;
  for (int seed = 1; seed <= 12; ++seed) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    st::Partition p;
    auto key_name = [&] { return "k" + std::to_string(rng() % 5); };
    for (int i = 0; i < 3000; ++i) {
      p.Suggest(key_name(), RandomTerm(rng, false), 1 + rng() % 9, RandomPayload(rng));
    }
    Dump at_cut = DumpOf(p);
    auto payloads_at_cut = PayloadsOf(p);
    std::string error;
    st::SnapshotWriter writer(&p, dir.path + "/cut.tas", {0, 1, 0});
    REQUIRE(writer.ok());
    writer.set_deferred(seed % 2 == 0);
    int steps = 0;
    while (!writer.Step(1 + rng() % 40)) {
      ++steps;
      for (auto& block : writer.TakeBlocks()) writer.file()->AppendBlock(block);
      // Every kind of change, most of them to single terms.
      for (int j = 0; j < 5; ++j) {
        int op = rng() % 100;
        std::string key = key_name(), term = RandomTerm(rng, false);
        if (op < 35) {
          p.IncrBy(key, term, 1 + rng() % 3);
        } else if (op < 50) {  // a payload changed, set or removed
          p.Suggest(key, term, static_cast<int64_t>(rng() % 3) - 1, RandomPayload(rng));
        } else if (op < 85) {
          p.IncrBy(key, term, -static_cast<int64_t>(rng() % 4));
        } else if (op < 95) {
          p.EraseTerm(key, term);
        } else if (op < 97) {
          p.Erase(key);
        } else if (op < 99) {
          p.Rename(key, key_name());
        } else if (seed % 4 == 0) {
          p.Clear();
        }
      }
    }
    // Half the runs compress and write the blocks outside the writer, as the server does.
    for (auto& block : writer.TakeBlocks()) writer.file()->AppendBlock(block);
    REQUIRE(writer.file()->Finish(writer.info().keys, writer.info().terms, &error));
    st::Partition loaded;
    st::SnapshotInfo info;
    REQUIRE_MESSAGE(st::LoadSnapshot(dir.path + "/cut.tas", &loaded, &info, &error), error);
    CHECK(DumpOf(loaded) == at_cut);
    CHECK(PayloadsOf(loaded) == payloads_at_cut);
    CHECK(steps > 10);
  }
}

TEST_CASE("Manifest: round trip, and clear errors for bad lines") {
  st::Manifest m;
  m.generation = 7;
  m.partitions.resize(2);
  m.partitions[0].snapshot = st::Manifest::SnapshotName(7, 0);
  m.partitions[0].logs = {st::Manifest::LogName(6, 0), st::Manifest::LogName(7, 0)};
  m.partitions[1].logs = {st::Manifest::LogName(7, 1)};
  st::Manifest back;
  std::string error;
  REQUIRE(st::Manifest::Parse(m.Serialize(), &back, &error));
  CHECK(back.generation == 7);
  CHECK(back.partitions.size() == 2);
  CHECK(back.partitions[0].snapshot == m.partitions[0].snapshot);
  CHECK(back.partitions[0].logs == m.partitions[0].logs);
  CHECK(back.partitions[1].logs == m.partitions[1].logs);
  CHECK(st::Manifest::IsDataFileName(st::Manifest::LogName(3, 1)));
  CHECK_FALSE(st::Manifest::IsDataFileName("notes.txt"));
  CHECK_FALSE(st::Manifest::Parse("partitions 2\nfile x partition 5 type i\n", &back, &error));
  CHECK(error.find("line 2") != std::string::npos);
  CHECK_FALSE(st::Manifest::Parse("partitions 1\nfile ../x partition 0 type i\n", &back, &error));
  CHECK_FALSE(st::Manifest::Parse("generation 1\n", &back, &error));
}
