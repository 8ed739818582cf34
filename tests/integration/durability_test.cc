// Durability end to end: the real server killed with SIGKILL under load, torn and damaged
// logs, checkpoints while clients write, a full disk, and restarts with another thread count.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "storage/log_record.h"
#include "tests/integration/server_process.h"

using namespace typeahead::test;
namespace fs = std::filesystem;

namespace {

std::string Info(redisContext* c, const std::string& field) {
  return InfoField(c, "persistence", field);
}

std::vector<std::string> LogFiles(const std::string& data) {
  std::vector<std::string> logs;
  for (const auto& e : fs::directory_iterator(data + "/appendonlydir")) {
    std::string name = e.path().filename();
    if (name.size() > 9 && name.substr(name.size() - 9) == ".incr.aof") logs.push_back(e.path());
  }
  std::sort(logs.begin(), logs.end());
  return logs;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

// The records of a log file: their start positions and their terms (args[2]).
struct ParsedLog {
  std::vector<size_t> starts;
  std::vector<std::string> terms;
};
ParsedLog Parse(const std::string& data) {
  ParsedLog p;
  typeahead::storage::RecordScanner scanner(data, 0);
  while (scanner.Next() == typeahead::storage::RecordScanner::Status::kRecord) {
    p.starts.push_back(scanner.position());
    p.terms.emplace_back(scanner.record().args[2]);
  }
  return p;
}

// Records n terms in key k on a server over data, stops it, and returns the path of the log
// that holds the most of them.
std::string RecordTerms(const std::string& data, int n) {
  {
    ServerProcess server({"--save", ""}, data);  // no snapshot at shutdown: all in the log
    auto c = Connect(server.port());
    for (int i = 0; i < n; ++i) Run(c.get(), {"ACRECORD", "k", "term" + std::to_string(i)});
    server.Stop();
  }
  std::string path;
  for (const auto& log : LogFiles(data)) {
    if (path.empty() || fs::file_size(log) > fs::file_size(path)) path = log;
  }
  return path;
}

}  // namespace

TEST_CASE("kill -9 under concurrent writes with appendfsync always loses no acknowledged write") {
  // With flushes held back 20 ms, a reply that went out before its record was written would
  // be lost to the kill: this is what makes the check below able to fail.
  for (std::string delay : {"0", "20"}) {
    CAPTURE(delay);
    TempDir data;
    constexpr int kWriters = 8;
    std::vector<int> sent(kWriters), acked(kWriters);
    {
      ServerProcess server({"--appendfsync", "always", "--debug-log-flush-delay", delay},
                           data.path);
      std::vector<std::thread> writers;
      for (int t = 0; t < kWriters; ++t) {
        writers.emplace_back([&, t] {
          auto c = Connect(server.port());
          for (int seq = 0; seq < 200000; ++seq) {
            sent[t] = seq + 1;
            auto r = Command(c.get(), {"ACRECORD", "k", fmt::format("w{}-{}", t, seq)});
            if (r == nullptr || r->type != REDIS_REPLY_INTEGER || r->integer != 1) return;
            acked[t] = seq + 1;
          }
        });
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      server.Stop(SIGKILL);
      for (auto& w : writers) w.join();
    }
    ServerProcess again({}, data.path);
    auto c = Connect(again.port());
    int total_acked = 0;
    for (int t = 0; t < kWriters; ++t) {
      CAPTURE(t);
      CHECK(acked[t] > 10);
      total_acked += acked[t];
      // Pipelined: every acknowledged term, the one in flight, and some never sent.
      int upto = sent[t] + 5;
      for (int seq = 0; seq < upto; ++seq) {
        std::string term = fmt::format("w{}-{}", t, seq);
        redisAppendCommand(c.get(), "ACSCORE k %b", term.data(), term.size());
      }
      for (int seq = 0; seq < upto; ++seq) {
        void* raw = nullptr;
        REQUIRE(redisGetReply(c.get(), &raw) == REDIS_OK);
        ReplyPtr r(static_cast<redisReply*>(raw), freeReplyObject);
        if (seq < acked[t]) {
          CHECK(Render(r.get()) == ":1");
        } else if (seq >= sent[t]) {
          CHECK(Render(r.get()) == "nil");  // never sent: never there
        }
      }
    }
    MESSAGE("acknowledged writes before kill -9: " << total_acked);
  }
}

TEST_CASE("appendfsync everysec and no: kill -9 keeps every acknowledged write too") {
  for (std::string mode : {"everysec", "no"}) {
    CAPTURE(mode);
    TempDir data;
    {
      ServerProcess server({"--appendfsync", mode}, data.path);
      auto c = Connect(server.port());
      for (int i = 0; i < 300; ++i) {
        REQUIRE(Run(c.get(), {"ACINCRBY", "k" + std::to_string(i % 3), "t" + std::to_string(i),
                              std::to_string(i + 1)}) == ":" + std::to_string(i + 1));
      }
      CHECK(Run(c.get(), {"ACDEL", "k0", "t0", "t3"}) == ":2");
      CHECK(Run(c.get(), {"DEL", "k2"}) == ":1");
      CHECK(Run(c.get(), {"RENAME", "k1", "renamed"}) == "+OK");
      CHECK(Run(c.get(), {"FT.SUGADD", "renamed", "t298", "1", "INCR", "PAYLOAD", "kept"}) ==
            ":100");
      server.Stop(SIGKILL);
    }
    ServerProcess again({}, data.path);
    auto c = Connect(again.port());
    CHECK(Run(c.get(), {"ACCARD", "k0"}) == ":98");
    CHECK(Run(c.get(), {"ACSCORE", "k0", "t3"}) == "nil");
    CHECK(Run(c.get(), {"ACSCORE", "k0", "t6"}) == ":7");
    CHECK(Run(c.get(), {"EXISTS", "k1", "k2"}) == ":0");
    CHECK(Run(c.get(), {"ACSCORE", "renamed", "t298"}) == ":300");
    CHECK(Run(c.get(), {"FT.SUGGET", "renamed", "t298", "WITHPAYLOADS"}) == R"(["t298", "kept"])");
    CHECK(again.ReadLog().find("log records") != std::string::npos);  // the start-up report
  }
}

TEST_CASE("A torn last record is cut at start-up; garbage after the last record too") {
  TempDir data;
  std::string path = RecordTerms(data.path, 40);
  std::string original = ReadAll(path);
  // Cuts inside the header, at its end, inside the payload and one byte short of the end.
  for (size_t into : {size_t{1}, size_t{20}, size_t{37}, size_t{45}, size_t{0}}) {
    ParsedLog parsed = Parse(original);
    REQUIRE(parsed.starts.size() > 5);
    size_t last = parsed.starts.back();
    size_t cut = into == 0 ? original.size() - 1 : last + into;
    CAPTURE(cut);
    WriteAll(path, original.substr(0, cut));
    ServerProcess server({"--save", ""}, data.path);
    auto c = Connect(server.port());
    for (size_t i = 0; i + 1 < parsed.terms.size(); ++i) {
      CHECK(Run(c.get(), {"ACSCORE", "k", parsed.terms[i]}) == ":1");
    }
    CHECK(Run(c.get(), {"ACSCORE", "k", parsed.terms.back()}) == "nil");
    CHECK(server.ReadLog().find(fmt::format("{} ends with an incomplete record at byte {}", path,
                                            last)) != std::string::npos);
    // Writes go on after the cut, and survive another restart.
    CHECK(Run(c.get(), {"ACRECORD", "k", parsed.terms.back()}) == ":1");
    server.Stop(SIGKILL);
    ServerProcess again({"--save", ""}, data.path);
    auto c2 = Connect(again.port());
    CHECK_MESSAGE(Run(c2.get(), {"ACSCORE", "k", parsed.terms.back()}) == ":1", again.ReadLog());
    again.Stop();
    original = ReadAll(path);  // the term recorded again is the last record now
  }
  WriteAll(path, original + "garbage\r\n*1\r\n$4\r\n");
  ServerProcess server({"--save", ""}, data.path);
  auto c = Connect(server.port());
  CHECK(Run(c.get(), {"ACCARD", "k"}) == ":40");
}

TEST_CASE("Corruption in the middle refuses to start; typeahead-check-log --fix repairs it") {
  TempDir data;
  std::string path = RecordTerms(data.path, 30);
  std::string bytes = ReadAll(path);
  ParsedLog parsed = Parse(bytes);
  REQUIRE(parsed.starts.size() > 4);
  size_t bad = parsed.starts[2];
  bytes[bad + 40] ^= 0x01;
  WriteAll(path, bytes);
  std::string out;
  int code = RunToExit(
      {TYPEAHEAD_SERVER_BIN, "--port", std::to_string(FreePort()), "--dir", data.path}, &out);
  CHECK(code == 1);
  CHECK(out.find("Bad record in log " + path + " at byte " + std::to_string(bad)) !=
        std::string::npos);
  CHECK(out.find("typeahead-check-log --fix " + path) != std::string::npos);
  CHECK(ReadAll(path) == bytes);  // a refusal changes nothing
  CHECK(RunToExit({TYPEAHEAD_CHECK_LOG_BIN, path}, &out) == 1);
  CHECK(out.find("damaged record at byte " + std::to_string(bad)) != std::string::npos);
  CHECK(RunToExit({TYPEAHEAD_CHECK_LOG_BIN, "--fix", path}, &out) == 0);
  CHECK(fs::file_size(path) == bad);
  CHECK(RunToExit({TYPEAHEAD_CHECK_LOG_BIN, path}, &out) == 0);
  ServerProcess server({"--save", ""}, data.path);
  auto c = Connect(server.port());
  CHECK(Run(c.get(), {"ACSCORE", "k", parsed.terms[0]}) == ":1");
  CHECK(Run(c.get(), {"ACSCORE", "k", parsed.terms[1]}) == ":1");
  CHECK(Run(c.get(), {"ACSCORE", "k", parsed.terms[2]}) == "nil");
}

namespace {
// Every payload of keys a and b, in FT.SUGGET's reply.
std::string Payloads(redisContext* c) {
  std::string out;
  for (const char* key : {"a", "b"}) {
    out += Run(c, {"FT.SUGGET", key, "", "WITHPAYLOADS", "MAX", "1000000"}) + "\n";
  }
  return out;
}
}  // namespace

TEST_CASE("BGSAVE while 50 clients write: snapshot plus log replay equals the live state") {
  TempDir data;
  std::string live;
  {
    ServerProcess server({"--max-topk", "1000000", "--appendfsync", "always"}, data.path);
    auto c = Connect(server.port());
    // Enough terms that the snapshot takes many slices of the shards' loops.
    for (int i = 0; i < 60000; ++i) {
      std::string term = fmt::format("pre{}", i);
      if (i % 5 == 0) {  // with a payload
        redisAppendCommand(c.get(), "FT.SUGADD %s %b %d PAYLOAD pl%d", i % 2 ? "a" : "b",
                           term.data(), term.size(), 1 + i % 17, i);
        continue;
      }
      redisAppendCommand(c.get(), "ACINCRBY %s %b %d", i % 2 ? "a" : "b", term.data(), term.size(),
                         1 + i % 17);
    }
    for (int i = 0; i < 60000; ++i) {
      void* r = nullptr;
      REQUIRE(redisGetReply(c.get(), &r) == REDIS_OK);
      freeReplyObject(r);
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int t = 0; t < 50; ++t) {
      writers.emplace_back([&, t] {
        std::mt19937 rng(t);
        auto w = Connect(server.port());
        while (!stop) {
          std::string key = rng() % 2 ? "a" : "b";
          std::string term = fmt::format("pre{}", rng() % 70000);
          int op = rng() % 10;
          if (op < 6) {
            Run(w.get(), {"ACRECORD", key, term});
          } else if (op == 6) {  // a payload set, replaced or removed
            Run(w.get(), {"FT.SUGADD", key, term, "1", "INCR", "PAYLOAD",
                          rng() % 4 ? fmt::format("p{}", rng() % 9) : ""});
          } else if (op < 9) {
            Run(w.get(), {"ACINCRBY", key, term, std::to_string(-1 - static_cast<int>(rng() % 3))});
          } else {
            Run(w.get(), {"ACDEL", key, term});
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(Run(c.get(), {"BGSAVE"}) == "+Background saving started");
    CHECK(WaitFor([&] { return Info(c.get(), "rdb_bgsave_in_progress") == "0"; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop = true;
    for (auto& w : writers) w.join();
    CHECK(Info(c.get(), "rdb_last_bgsave_status") == "ok");
    CHECK(Info(c.get(), "rdb_saves") == "1");
    live = DumpAll(c.get()) + Payloads(c.get());
    server.Stop(SIGKILL);
  }
  std::string manifest = ReadAll(data.path + "/appendonlydir/typeahead.manifest");
  CHECK(manifest.find("type b") != std::string::npos);
  ServerProcess again({"--max-topk", "1000000"}, data.path);
  auto c = Connect(again.port());
  CHECK(DumpAll(c.get()) + Payloads(c.get()) == live);
  CHECK(live.find("\"p") != std::string::npos);
  CHECK(again.ReadLog().find("snapshot terms") != std::string::npos);
}

TEST_CASE("SAVE, BGREWRITEAOF, LASTSAVE and INFO persistence") {
  TempDir data;
  ServerProcess server({}, data.path);
  auto c = Connect(server.port());
  CHECK(Info(c.get(), "aof_enabled") == "1");
  CHECK(Info(c.get(), "aof_last_write_status") == "ok");
  Run(c.get(), {"ACRECORD", "k", "a"});
  Run(c.get(), {"ACRECORD", "k", "b"});
  CHECK(Info(c.get(), "rdb_changes_since_last_save") == "2");
  auto before = Command(c.get(), {"LASTSAVE"})->integer;
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  CHECK(Run(c.get(), {"SAVE"}) == "+OK");
  CHECK(Command(c.get(), {"LASTSAVE"})->integer > before);
  CHECK(Info(c.get(), "rdb_changes_since_last_save") == "0");
  CHECK(Info(c.get(), "rdb_saves") == "1");
  CHECK(Run(c.get(), {"BGREWRITEAOF"}) == "+Background append only file rewriting started");
  CHECK(WaitFor([&] { return Info(c.get(), "aof_rewrites") == "2"; }));
  CHECK(Run(c.get(), {"BGSAVE", "NOW"}) == "-ERR syntax error");
  // The old generation's files are gone; the manifest names only live ones.
  std::string manifest = ReadAll(data.path + "/appendonlydir/typeahead.manifest");
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(data.path + "/appendonlydir")) {
    std::string name = e.path().filename();
    if (name != "typeahead.manifest") {
      ++files;
      CHECK(manifest.find(name) != std::string::npos);
    }
  }
  CHECK(files == 4);  // a snapshot and a log per partition (2 threads)
}

TEST_CASE("save rules and the log size start checkpoints by themselves") {
  TempDir data;
  ServerProcess server({"--save", "1 1", "--auto-aof-rewrite-percentage", "0"}, data.path);
  auto c = Connect(server.port());
  Run(c.get(), {"ACRECORD", "k", "a"});
  CHECK(WaitFor([&] { return Info(c.get(), "rdb_saves") == "1"; }, 10));
  CHECK(Run(c.get(), {"CONFIG", "SET", "save", ""}) == "+OK");
  CHECK(Run(c.get(), {"CONFIG", "SET", "auto-aof-rewrite-percentage", "100"}) == "+OK");
  CHECK(Run(c.get(), {"CONFIG", "SET", "auto-aof-rewrite-min-size", "4kb"}) == "+OK");
  for (int i = 0; i < 200; ++i) Run(c.get(), {"ACRECORD", "k", "term" + std::to_string(i)});
  CHECK(WaitFor([&] { return Info(c.get(), "rdb_saves") == "2"; }, 10));
}

TEST_CASE("Restarting with another thread count keeps every term") {
  TempDir data;
  std::string live;
  {
    ServerProcess server({"--threads", "2", "--max-topk", "100000"}, data.path);
    auto c = Connect(server.port());
    for (int i = 0; i < 2000; ++i) {
      Run(c.get(),
          {"ACINCRBY", i % 2 ? "x" : "y", "term" + std::to_string(i), std::to_string(i % 9 + 1)});
      if (i == 1000) CHECK(Run(c.get(), {"SAVE"}) == "+OK");
    }
    live = DumpAll(c.get());
    server.Stop(SIGKILL);
  }
  for (std::string threads : {"3", "1", "2"}) {
    CAPTURE(threads);
    ServerProcess server({"--threads", threads, "--max-topk", "100000"}, data.path);
    auto c = Connect(server.port());
    CHECK(DumpAll(c.get()) == live);
    CHECK(Run(c.get(), {"ACRECORD", "x", "after" + threads}) == ":1");
    live = DumpAll(c.get());
    server.Stop(SIGKILL);
  }
}

TEST_CASE("appendonly no: SAVE keeps what it saw, later writes live in memory only") {
  TempDir data;
  {
    ServerProcess server({"--appendonly", "no"}, data.path);
    auto c = Connect(server.port());
    CHECK(Info(c.get(), "aof_enabled") == "0");
    Run(c.get(), {"ACRECORD", "k", "saved"});
    CHECK(Run(c.get(), {"SAVE"}) == "+OK");
    Run(c.get(), {"ACRECORD", "k", "unsaved"});
    server.Stop(SIGKILL);
  }
  ServerProcess server({"--appendonly", "no"}, data.path);
  auto c = Connect(server.port());
  CHECK(Run(c.get(), {"ACSCORE", "k", "saved"}) == ":1");
  CHECK(Run(c.get(), {"ACSCORE", "k", "unsaved"}) == "nil");
}

TEST_CASE("A full disk refuses writes with MISCONF, keeps reads, and loses nothing acknowledged") {
  // A real ENOSPC: the data directory on a tiny tmpfs of our own (the tests run as root).
  TempDir mnt;
  REQUIRE_MESSAGE(mount("tmpfs", mnt.path.c_str(), "tmpfs", 0, "size=256k") == 0,
                  "mounting a tmpfs needs root: " << strerror(errno));
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt.path};
  std::string data = mnt.path + "/data";
  {
    ServerProcess server({"--appendfsync", "always", "--save", ""}, data);
    auto c = Connect(server.port());
    CHECK(Run(c.get(), {"ACRECORD", "k", "before"}) == ":1");
    // Fill the disk.
    std::string filler = mnt.path + "/filler";
    {
      std::ofstream f(filler, std::ios::binary);
      std::string block(4096, 'x');
      for (int i = 0; i < 1000 && f.write(block.data(), block.size()); ++i) {
      }
    }
    // This write's record cannot reach the disk: its reply waits.
    RawConn held(server.port());
    held.Send("ACRECORD k during\r\n");
    CHECK(held.ReadN(4, 500).empty());
    CHECK(WaitFor([&] { return Info(c.get(), "aof_last_write_status") == "err"; }));
    CHECK(Run(c.get(), {"ACRECORD", "k", "refused"})
              .starts_with("-MISCONF Errors writing to the AOF file: No space left on device"));
    CHECK(Run(c.get(), {"ACSCORE", "k", "before"}) == ":1");  // reads go on
    CHECK(Run(c.get(), {"PING"}) == "+PONG");
    // Free the disk: the held write completes and writes are accepted again.
    fs::remove(filler);
    CHECK(held.ReadN(4, 5000) == ":1\r\n");
    CHECK(WaitFor([&] { return Info(c.get(), "aof_last_write_status") == "ok"; }));
    CHECK(Run(c.get(), {"ACRECORD", "k", "after"}) == ":1");
    CHECK(server.ReadLog().find("No space left on device") != std::string::npos);
    server.Stop(SIGKILL);
  }
  ServerProcess server({}, data);
  auto c = Connect(server.port());
  CHECK(Run(c.get(), {"ACTOPK", "k", "", "10"}) == "[\"after\", \"before\", \"during\"]");
}

TEST_CASE("SIGTERM and SHUTDOWN save a snapshot when save rules are set; NOSAVE does not") {
  TempDir data;
  auto loaded = [](const ServerProcess& s, int terms, int records) {
    return s.ReadLog().find(fmt::format("{} snapshot terms and {} log records", terms, records)) !=
           std::string::npos;
  };
  {
    ServerProcess server({}, data.path);
    auto c = Connect(server.port());
    Run(c.get(), {"ACRECORD", "k", "a"});
    Run(c.get(), {"ACRECORD", "k", "b"});
    CHECK(server.Stop() == 0);  // SIGTERM, default save rules: a snapshot first
  }
  {
    ServerProcess server({}, data.path);
    CHECK(loaded(server, 2, 0));
    auto c = Connect(server.port());
    Run(c.get(), {"ACRECORD", "k", "c"});
    CHECK(Run(c.get(), {"SHUTDOWN", "SAVE", "NOSAVE"}) == "-ERR syntax error");
    Run(c.get(), {"SHUTDOWN", "NOSAVE"});
    CHECK(server.WaitExit(10000) == 0);
  }
  {
    ServerProcess server({"--save", ""}, data.path);
    CHECK(loaded(server, 2, 1));
    auto c = Connect(server.port());
    Run(c.get(), {"SHUTDOWN", "SAVE"});  // forced although no rules are set
    CHECK(server.WaitExit(10000) == 0);
  }
  {
    ServerProcess server({"--save", ""}, data.path);
    CHECK(loaded(server, 3, 0));
    auto c = Connect(server.port());
    Run(c.get(), {"ACRECORD", "k", "d"});
    CHECK(server.Stop() == 0);  // no rules: nothing saved, the log has it
  }
  ServerProcess server({}, data.path);
  CHECK(loaded(server, 3, 1));
  auto c = Connect(server.port());
  CHECK(Run(c.get(), {"ACCARD", "k"}) == ":4");
}
