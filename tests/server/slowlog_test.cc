// SlowLog, LatencyMonitor and LatencyHistogram as units: what an entry keeps of a command, the
// limits, the shared ids, a second's worst sample, the merge of the shards' series, and the
// histogram's buckets and percentiles.
#include "server/slowlog.h"

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <vector>

#include "server/command_latency.h"
#include "server/latency_monitor.h"
#include "server/monitor.h"

using typeahead::server::LatencyMonitor;
using typeahead::server::LatencySeries;
using typeahead::server::MergeLatency;
using typeahead::server::RedactedArgument;
using typeahead::server::SlowLog;

namespace {
const std::string kAddr = "127.0.0.1:5000", kName = "worker";
const typeahead::server::SlowLogClient kClient{&kAddr, &kName};

std::vector<std::string_view> Views(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}
}  // namespace

TEST_CASE("SlowLog: the threshold in microseconds, -1 for none, 0 for every command") {
  SlowLog log;
  log.Configure(10000, 128);
  CHECK_FALSE(log.Slow(9'999'999));
  CHECK(log.Slow(10'000'000));
  log.Configure(0, 128);
  CHECK(log.Slow(0));
  log.Configure(-1, 128);
  CHECK_FALSE(log.Slow(UINT64_MAX - 1));
}

TEST_CASE("SlowLog: entries newest first, at most max-len, ids from the shared counter") {
  std::atomic<uint64_t> ids{7};
  SlowLog a, b;
  a.ShareIds(&ids);
  b.ShareIds(&ids);
  a.Configure(0, 2);
  b.Configure(0, 2);
  std::vector<std::string_view> cmd{"ACTOPK", "k", "a"};
  a.Add(cmd, 5'500, kClient);
  b.Add(cmd, 1'000, kClient);
  a.Add(cmd, 2'000, kClient);
  a.Add(cmd, 3'000, kClient);
  REQUIRE(a.entries().size() == 2);
  CHECK(a.entries()[0].id == 10);
  CHECK(a.entries()[1].id == 9);
  CHECK(a.entries()[0].usec == 3);
  CHECK(b.entries()[0].id == 8);
  CHECK(a.entries()[0].addr == kAddr);
  CHECK(a.entries()[0].name == kName);
  CHECK(a.entries()[0].args == std::vector<std::string>{"ACTOPK", "k", "a"});
  CHECK(a.entries()[0].unix_time > 1700000000);
  a.Reset();
  CHECK(a.entries().empty());
}

TEST_CASE("SlowLog: 32 arguments at most and 128 bytes of each, as Redis trims them") {
  SlowLog log;
  log.Configure(0, 10);
  std::vector<std::string> args{"ACRECORD", "k", std::string(130, 'x')};
  for (int i = 0; i < 40; ++i) args.push_back(std::to_string(i));
  log.Add(Views(args), 0, kClient);
  const auto& kept = log.entries()[0].args;
  REQUIRE(kept.size() == 32);
  CHECK(kept[2] == std::string(128, 'x') + "... (2 more bytes)");
  CHECK(kept[30] == "27");
  CHECK(kept[31] == "... (12 more arguments)");  // 43 arguments: 31 kept, the rest counted
}

TEST_CASE("RedactedArgument: passwords and ACL rules never reach a log") {
  auto redacted = [](std::vector<std::string> args) {
    std::vector<std::string> out;
    auto v = Views(args);
    for (size_t i = 0; i < v.size(); ++i) out.push_back(RedactedArgument(v, i) ? "-" : args[i]);
    return out;
  };
  using V = std::vector<std::string>;
  CHECK(redacted({"AUTH", "secret"}) == V{"AUTH", "-"});
  CHECK(redacted({"auth", "alice", "secret"}) == V{"auth", "-", "-"});
  CHECK(redacted({"HELLO", "3", "SETNAME", "auth", "AUTH", "u", "p"}) ==
        V{"HELLO", "3", "SETNAME", "auth", "AUTH", "-", "-"});
  CHECK(redacted({"ACL", "SETUSER", "bob", ">pw", "on"}) == V{"ACL", "SETUSER", "-", "-", "-"});
  CHECK(redacted({"ACL", "GETUSER", "bob"}) == V{"ACL", "GETUSER", "bob"});
  CHECK(redacted({"CONFIG", "SET", "maxclients", "10", "requirepass", "pw", "masterauth", "m"}) ==
        V{"CONFIG", "SET", "maxclients", "10", "requirepass", "-", "masterauth", "-"});
  CHECK(redacted({"CONFIG", "GET", "requirepass"}) == V{"CONFIG", "GET", "requirepass"});
  CHECK(redacted({"ACTOPK", "auth", "x"}) == V{"ACTOPK", "auth", "x"});
}

TEST_CASE("LatencyMonitor: off at 0, a second's worst, the worst ever, the last 160 seconds") {
  LatencyMonitor m;
  CHECK_FALSE(m.Spike(UINT64_MAX - 1));
  m.Configure(5);
  CHECK_FALSE(m.Spike(4'999'999));
  CHECK(m.Spike(5'000'000));
  m.Add("command", 7, 1000);
  m.Add("command", 9, 1000);
  m.Add("command", 6, 1000);
  m.Add("command", 5, 1001);
  auto s = m.Series();
  REQUIRE(s["command"].samples.size() == 2);
  CHECK(s["command"].samples[0].ms == 9);
  CHECK(s["command"].samples[1].unix_time == 1001);
  CHECK(s["command"].max_ms == 9);
  for (int t = 0; t < 200; ++t) m.Add("command", 5, 2000 + t);
  s = m.Series();
  REQUIRE(s["command"].samples.size() == LatencyMonitor::kSamples);
  CHECK(s["command"].samples.front().unix_time == 2040);
  CHECK(s["command"].samples.back().unix_time == 2199);
  CHECK(s["command"].max_ms == 9);
  m.Add("fast-command", 5, 3000);
  CHECK(m.Reset({"fast-command", "nosuch"}) == std::vector<std::string>{"fast-command"});
  CHECK(m.Series().size() == 1);
  CHECK(m.Reset({}) == std::vector<std::string>{"command"});
  CHECK(m.Series().empty());
}

TEST_CASE("MergeLatency: per second the worst of any shard, the worst ever of all") {
  LatencyMonitor a, b;
  a.Add("command", 10, 100);
  a.Add("command", 3, 102);
  b.Add("command", 20, 100);
  b.Add("command", 4, 101);
  b.Add("fast-command", 2, 101);
  auto m = MergeLatency({a.Series(), b.Series()});
  REQUIRE(m.size() == 2);
  const LatencySeries& c = m["command"];
  REQUIRE(c.samples.size() == 3);
  CHECK(c.samples[0].unix_time == 100);
  CHECK(c.samples[0].ms == 20);
  CHECK(c.samples[1].ms == 4);
  CHECK(c.samples[2].ms == 3);
  CHECK(c.max_ms == 20);
}

TEST_CASE("LatencyHistogram: contiguous buckets within 3.2%, percentiles and counts") {
  using typeahead::server::LatencyHistogram;
  for (uint64_t v : {1ull, 31ull, 32ull, 33ull, 63ull, 64ull, 1000ull, 1023ull, 1024ull, 123456ull,
                     999999999ull, 1000000000ull}) {
    size_t i = LatencyHistogram::Index(v);
    CAPTURE(v);
    CHECK(LatencyHistogram::Top(i) >= v);
    CHECK(static_cast<double>(LatencyHistogram::Top(i)) <= v * 1.032 + 1);
    if (i > 0) CHECK(LatencyHistogram::Top(i - 1) < v);
  }
  CHECK(LatencyHistogram::Index(5'000'000'000ull) == LatencyHistogram::kBuckets - 1);
  CHECK(LatencyHistogram::Index(0) == 1);
  LatencyHistogram h;
  for (int i = 0; i < 98; ++i) h.Record(1000);
  h.Record(50'000);
  h.Record(2'000'000);
  CHECK(h.total() == 100);
  CHECK(h.Percentile(50) == LatencyHistogram::Top(LatencyHistogram::Index(1000)));
  CHECK(h.Percentile(99) == LatencyHistogram::Top(LatencyHistogram::Index(50'000)));
  CHECK(h.Percentile(100) == LatencyHistogram::Top(LatencyHistogram::Index(2'000'000)));
  CHECK(h.CountUpTo(1023) == 98);
  CHECK(h.CountUpTo(1'048'575) == 99);
  LatencyHistogram sum;
  sum.Add(h);
  sum.Add(h);
  CHECK(sum.total() == 200);
  CHECK(sum.Percentile(99) == h.Percentile(99));
}

TEST_CASE("MonitorLine: Redis's time, address and quoting, secrets redacted") {
  using typeahead::server::MonitorLine;
  std::vector<std::string_view> args{"ACRECORD", "k", "a \"b\"\\\n\r\t\x01\xff"};
  CHECK(MonitorLine(1700000000000042, "127.0.0.1:5000", args) ==
        R"(1700000000.000042 [0 127.0.0.1:5000] "ACRECORD" "k" "a \"b\"\\\n\r\t\x01\xff")");
  std::vector<std::string_view> auth{"AUTH", "alice", "secret"};
  CHECK(MonitorLine(1, "[::1]:7", auth) ==
        R"x(0.000001 [0 [::1]:7] "AUTH" "(redacted)" "(redacted)")x");
}
