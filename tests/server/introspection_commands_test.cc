// SLOWLOG and LATENCY through the in-process server: entries from every shard merged in id
// order, pipelined batches included, and the texts and shapes of the replies.
#include <doctest/doctest.h>

#include <regex>
#include <string>
#include <vector>

#include "tests/server/command_fixture.h"

namespace {
using typeahead::test::Reply;
using typeahead::test::RespValue;
using typeahead::test::TestClient;
using typeahead::test::TestServer;
using typeahead::test::TestServerOptions;

TestServerOptions Options(std::vector<std::pair<std::string, std::string>> directives) {
  TestServerOptions o;
  o.shards = 2;
  o.directives = std::move(directives);
  return o;
}

// The arguments of each SLOWLOG GET entry, joined by spaces, newest first.
std::vector<std::string> LoggedCommands(const RespValue& reply) {
  std::vector<std::string> out;
  for (const RespValue& e : reply.elements) {
    std::string line;
    for (const std::string& a : e.elements[3].strings()) line += (line.empty() ? "" : " ") + a;
    out.push_back(line);
  }
  return out;
}
}  // namespace

TEST_CASE("SLOWLOG: every shard's commands, newest first, with the client's address and name") {
  TestServer server(Options({{"slowlog-log-slower-than", "0"}}));
  TestClient a(server), b(server);
  REQUIRE(a.shard() != b.shard());
  CHECK(a.Run({"CLIENT", "SETNAME", "alpha"}) == "+OK");
  CHECK(a.Run({"SLOWLOG", "RESET"}) == "+OK");
  a.Run({"ACRECORD", "k", "apple"});
  b.Run({"ACTOPK", "k", "a", "5"});
  // A pipeline runs as one batch of hops; each of its commands gets an entry.
  a.Pipeline({{"ACRECORD", "k", "banana"}, {"ACTOPK", "k", "b", "1"}});
  auto got = a.Command({"SLOWLOG", "GET", "-1"});
  auto lines = LoggedCommands(got.value);
  REQUIRE(lines.size() == 5);
  CHECK(lines[0] == "ACTOPK k b 1");
  CHECK(lines[1] == "ACRECORD k banana");
  CHECK(lines[2] == "ACTOPK k a 5");
  CHECK(lines[3] == "ACRECORD k apple");
  CHECK(lines[4] == "SLOWLOG RESET");
  const RespValue& newest = got.value.elements[0];
  REQUIRE(newest.elements.size() == 6);
  CHECK(newest.elements[0].integer > got.value.elements[1].elements[0].integer);
  CHECK(newest.elements[1].integer > 1700000000);
  CHECK(newest.elements[2].integer >= 0);
  CHECK(newest.elements[4].str.rfind("127.0.0.1:", 0) == 0);
  CHECK(newest.elements[5].str == "alpha");
  CHECK(got.value.elements[2].elements[5].str == "");  // b has no name
  // The default count is 10, and SLOWLOG GET itself is logged after it ran.
  CHECK(a.Command({"SLOWLOG", "GET"}).value.elements.size() == 6);
  CHECK(a.Command({"SLOWLOG", "GET", "2"}).value.elements.size() == 2);
  CHECK(a.Run({"SLOWLOG", "LEN"}) == ":8");
  CHECK(a.Run({"SLOWLOG", "GET", "-2"}) == "-ERR count should be greater than or equal to -1");
  CHECK(a.Run({"SLOWLOG", "GET", "x"}) == "-ERR value is not an integer or out of range");
  CHECK(a.Run({"SLOWLOG", "LEN", "x"}) ==
        "-ERR wrong number of arguments for 'slowlog|len' command");
  CHECK(a.Run({"SLOWLOG", "RESET"}) == "+OK");
  CHECK(b.Run({"SLOWLOG", "LEN"}) == ":1");  // the RESET itself
}

TEST_CASE("SLOWLOG: max-len bounds the merged log; passwords are redacted; EXEC is not logged") {
  TestServer server(Options({{"slowlog-log-slower-than", "0"}, {"slowlog-max-len", "3"}}));
  TestClient a(server), b(server);
  for (int i = 0; i < 5; ++i) {
    a.Run({"ACRECORD", "k", "a" + std::to_string(i)});
    b.Run({"ACRECORD", "k", "b" + std::to_string(i)});
  }
  CHECK(a.Run({"SLOWLOG", "LEN"}) == ":3");
  auto lines = LoggedCommands(a.Command({"SLOWLOG", "GET", "-1"}).value);
  CHECK(lines == std::vector<std::string>{"SLOWLOG LEN", "ACRECORD k b4", "ACRECORD k a4"});
  CHECK(a.Run({"CONFIG", "SET", "slowlog-max-len", "10"}) == "+OK");
  a.Run({"AUTH", "nosuchuser", "secret"});
  a.Run({"CONFIG", "SET", "requirepass", ""});
  a.Run({"MULTI"});
  a.Run({"ACRECORD", "k", "inside"});
  a.Run({"EXEC"});
  lines = LoggedCommands(a.Command({"SLOWLOG", "GET", "4"}).value);
  CHECK(lines == std::vector<std::string>{"ACRECORD k inside", "MULTI",
                                          "CONFIG SET requirepass (redacted)",
                                          "AUTH (redacted) (redacted)"});
  CHECK(a.Run({"CONFIG", "SET", "slowlog-log-slower-than", "-1"}) == "+OK");
  CHECK(a.Run({"SLOWLOG", "RESET"}) == "+OK");
  a.Run({"ACRECORD", "k", "x"});
  CHECK(a.Run({"SLOWLOG", "LEN"}) == ":0");
  CHECK(a.Run({"CONFIG", "GET", "slowlog-*"}) ==
        R"(["slowlog-log-slower-than", "-1", "slowlog-max-len", "10"])");
  CHECK(a.Run({"CONFIG", "SET", "slowlog-log-slower-than", "-2"}).rfind("-ERR", 0) == 0);
}

TEST_CASE("LATENCY: spikes over the threshold, per event, merged across shards") {
  TestServer server(Options({{"max-topk", "1000000"}}));
  TestClient a(server), b(server);
  CHECK(a.Run({"LATENCY", "LATEST"}) == "[]");
  CHECK(a.Command({"LATENCY", "DOCTOR"}).value.str.find("latency-monitor-threshold") !=
        std::string::npos);
  // A top-k of 40,000 terms renders 40,000 replies: well over a millisecond.
  std::vector<std::vector<std::string>> load;
  for (int i = 0; i < 40000; ++i) load.push_back({"ACRECORD", "big", "t" + std::to_string(i)});
  for (size_t at = 0; at < load.size(); at += 2000) {
    a.Pipeline({load.begin() + at, load.begin() + at + 2000});
  }
  CHECK(a.Run({"CONFIG", "SET", "latency-monitor-threshold", "1"}) == "+OK");
  CHECK(a.Command({"ACTOPK", "big", "", "40000"}).value.elements.size() == 40000);
  CHECK(b.Command({"ACTOPK", "big", "t", "40000"}).value.elements.size() == 40000);
  // Monitoring off from here: under a sanitizer the LATENCY commands below take over a
  // millisecond themselves and would add a spike a second later than LATEST saw.
  CHECK(a.Run({"CONFIG", "SET", "latency-monitor-threshold", "0"}) == "+OK");
  auto latest = a.Command({"LATENCY", "LATEST"}).value;
  REQUIRE(latest.elements.size() >= 1);
  const RespValue* command = nullptr;
  for (const RespValue& e : latest.elements) {
    if (e.elements[0].str == "command") command = &e;
  }
  REQUIRE(command != nullptr);
  CHECK(command->elements[1].integer > 1700000000);
  CHECK(command->elements[2].integer >= 1);
  CHECK(command->elements[3].integer >= command->elements[2].integer);
  auto history = a.Command({"LATENCY", "HISTORY", "command"}).value;
  REQUIRE(history.elements.size() >= 1);
  CHECK(history.elements.back().elements[0].integer == command->elements[1].integer);
  CHECK(a.Run({"LATENCY", "HISTORY", "nosuch"}) == "[]");
  CHECK(a.Command({"LATENCY", "DOCTOR"}).value.str.find("command:") != std::string::npos);
  CHECK(a.Run({"LATENCY", "RESET", "nosuch"}) == ":0");
  CHECK(a.Run({"LATENCY", "RESET"}).rfind(":", 0) == 0);
  CHECK(a.Run({"LATENCY", "LATEST"}) == "[]");
  CHECK(a.Run({"LATENCY", "NOPE"}) == "-ERR unknown subcommand 'NOPE'. Try LATENCY HELP.");
  CHECK(a.Command({"LATENCY", "HELP"}).value.elements.size() > 5);
  CHECK(a.Command({"SLOWLOG", "HELP"}).value.elements.size() > 5);
}

namespace {
// The value of field in INFO's text, or "" when it is not there.
std::string Field(const std::string& info, const std::string& field) {
  size_t at = info.find("\r\n" + field + ":");
  if (at == std::string::npos) return "";
  at += field.size() + 3;
  return info.substr(at, info.find("\r\n", at) - at);
}
}  // namespace

TEST_CASE("INFO errorstats counts every shard's error replies by code; the new fields") {
  TestServer server(2);
  TestClient a(server), b(server);
  REQUIRE(a.shard() != b.shard());
  a.Run({"NOSUCH"});                                   // ERR, refused before it ran
  b.Run({"ACINCRBY", "k", "t", "x"});                  // ERR, the handler's
  a.Run({"AUTH", "nouser", "badpass"});                // WRONGPASS
  a.Pipeline({{"ACTOPK", "k", "a", "-1"}, {"PING"}});  // ERR from a batched command
  std::string info = a.Command({"INFO"}).value.str;
  CHECK(info.find("# Errorstats\r\nerrorstat_ERR:count=3\r\nerrorstat_WRONGPASS:count=1\r\n") !=
        std::string::npos);
  CHECK(Field(info, "total_error_replies") == "4");
  CHECK(std::stoll(Field(info, "total_reads_processed")) >= 5);
  CHECK(std::stoll(Field(info, "total_writes_processed")) >= 4);
  CHECK(std::stoll(Field(info, "used_memory_peak")) >= std::stoll(Field(info, "used_memory")));
  CHECK(std::stoll(Field(info, "used_memory_startup")) > 0);
  CHECK_FALSE(Field(info, "used_memory_overhead").empty());
  CHECK_FALSE(Field(info, "mem_fragmentation_bytes").empty());
  CHECK(std::stoll(Field(info, "mem_clients_normal")) > 0);
  CHECK_FALSE(Field(info, "client_recent_max_input_buffer").empty());
  CHECK_FALSE(Field(info, "used_cpu_user_main_thread").empty());
  CHECK_FALSE(Field(info, "used_cpu_sys_shard_1").empty());
  // Our section under its own name, in the default set, case-insensitive; not in keyspace's.
  CHECK(info.find("# Autocomplete\r\n") != std::string::npos);
  CHECK(info.find("# Cluster\r\ncluster_enabled:0\r\n") != std::string::npos);
  // Redis's old names, under their own name in CONFIG GET.
  CHECK(a.Run({"CONFIG", "GET", "slaveof"}) == R"(["slaveof", ""])");
  CHECK(a.Command({"CONFIG", "GET", "slave*"}).value.elements.size() == 2 * 6);
  CHECK(a.Command({"INFO", "AutoComplete"}).value.str.find("# Autocomplete\r\nterms:") == 0);
  CHECK(a.Command({"INFO", "keyspace"}).value.str.find("Autocomplete") == std::string::npos);
  CHECK(a.Command({"INFO", "ERRORSTATS"}).value.str.find("# Errorstats\r\n") == 0);
  CHECK(a.Run({"CONFIG", "RESETSTAT"}) == "+OK");
  CHECK(a.Command({"INFO", "errorstats"}).value.str == "# Errorstats\r\n");
}

TEST_CASE("Latency tracking: INFO latencystats and LATENCY HISTOGRAM over every shard") {
  TestServer server(2);
  TestClient a(server), b(server);
  for (int i = 0; i < 20; ++i) a.Run({"ACRECORD", "k", "term" + std::to_string(i)});
  for (int i = 0; i < 10; ++i) b.Run({"ACTOPK", "k", "t", "5"});
  std::string info = a.Command({"INFO", "latencystats"}).value.str;
  CHECK(info.find("# Latencystats\r\n") == 0);
  CHECK(std::regex_search(
      info, std::regex("\r\nlatency_percentiles_usec_acrecord:p50=\\d+\\.\\d{3},p99=\\d+\\.\\d{3},"
                       "p99\\.9=\\d+\\.\\d{3}\r\n")));
  CHECK(info.find("latency_percentiles_usec_actopk:") != std::string::npos);
  CHECK(a.Command({"INFO"}).value.str.find("Latencystats") == std::string::npos);
  CHECK(a.Command({"INFO", "everything"}).value.str.find("# Latencystats") != std::string::npos);
  // Percentiles as configured; none at all with "".
  CHECK(a.Run({"CONFIG", "SET", "latency-tracking-info-percentiles", "90 99.99"}) == "+OK");
  CHECK(a.Run({"CONFIG", "GET", "latency-tracking-info-percentiles"}) ==
        R"(["latency-tracking-info-percentiles", "90 99.99"])");
  info = a.Command({"INFO", "latencystats"}).value.str;
  CHECK(std::regex_search(info, std::regex("_acrecord:p90=[0-9.]+,p99\\.99=[0-9.]+\r\n")));
  CHECK(a.Run({"CONFIG", "SET", "latency-tracking-info-percentiles", "101"}) ==
        "-ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles')"
        " - latency-tracking-info-percentiles parameters should sit between [0.0,100.0]");
  CHECK(a.Run({"CONFIG", "SET", "latency-tracking-info-percentiles", "x"}) ==
        "-ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles')"
        " - Invalid latency-tracking-info-percentiles parameters");
  // LATENCY HISTOGRAM: calls and cumulative counts at doubling microsecond steps.
  auto h = a.Command({"LATENCY", "HISTOGRAM", "ACRECORD", "actopk", "nosuch"}).value;
  REQUIRE(h.elements.size() == 4);  // a RESP2 map: name, value, name, value
  CHECK(h.elements[0].str == "acrecord");
  const RespValue& rec = h.elements[1];
  REQUIRE(rec.elements.size() == 4);
  CHECK(rec.elements[0].str == "calls");
  CHECK(rec.elements[1].integer == 20);
  CHECK(rec.elements[2].str == "histogram_usec");
  const auto& steps = rec.elements[3].elements;
  REQUIRE(steps.size() >= 2);
  CHECK(steps[steps.size() - 1].integer == 20);  // the last step holds every call
  for (size_t i = 2; i + 1 < steps.size(); i += 2) {
    CHECK(steps[i].integer > steps[i - 2].integer);
    CHECK(steps[i + 1].integer > steps[i - 1].integer);
  }
  CHECK(h.elements[2].str == "actopk");
  CHECK(h.elements[3].elements[1].integer == 10);
  CHECK(a.Command({"LATENCY", "HISTOGRAM"}).value.elements.size() >= 2 * 4);
  // Off: nothing more is counted; RESETSTAT forgets what was.
  CHECK(a.Run({"CONFIG", "SET", "latency-tracking", "no"}) == "+OK");
  a.Run({"ACRECORD", "k", "more"});
  h = a.Command({"LATENCY", "HISTOGRAM", "acrecord"}).value;
  CHECK(h.elements[1].elements[1].integer == 20);
  CHECK(a.Run({"CONFIG", "RESETSTAT"}) == "+OK");
  CHECK(a.Run({"LATENCY", "HISTOGRAM"}) == "[]");
  CHECK(a.Command({"INFO", "latencystats"}).value.str == "# Latencystats\r\n");
}

TEST_CASE("MONITOR: every shard's commands reach every monitor, in order per connection") {
  TestServer server(2);
  TestClient m(server), a(server), b(server), m2(server);
  REQUIRE(m.shard() != a.shard());
  CHECK(m.Run({"MONITOR"}) == "+OK");
  CHECK(m2.Run({"MONITOR"}) == "+OK");
  a.Run({"ACRECORD", "k", "apple"});
  b.Run({"ACTOPK", "k", "a", "3"});
  a.Run({"CONFIG", "GET", "maxclients"});  // admin: not shown
  a.Pipeline({{"ACRECORD", "k", "banana"}, {"ACTOPK", "k", "b", "1"}, {"PING"}});
  a.Run({"AUTH", "nouser", "secret"});
  // The four lines of a's, in a's order, with b's somewhere among them.
  std::vector<std::string> from_a, from_b;
  const std::regex line(R"(^\d+\.\d{6} \[0 (127\.0\.0\.1:\d+)\] (.*)$)");
  for (int i = 0; i < 6; ++i) {
    Reply r = m.Read();
    REQUIRE(r.value.type == typeahead::test::RespType::kSimple);
    std::smatch parts;
    REQUIRE(std::regex_match(r.value.str, parts, line));
    (parts[2].str().find("ACTOPK\" \"k\" \"a\"") != std::string::npos ? from_b : from_a)
        .push_back(parts[2]);
  }
  CHECK(from_b == std::vector<std::string>{R"("ACTOPK" "k" "a" "3")"});
  CHECK(from_a == std::vector<std::string>{R"("ACRECORD" "k" "apple")",
                                           R"("ACRECORD" "k" "banana")", R"("ACTOPK" "k" "b" "1")",
                                           R"("PING")", R"x("AUTH" "(redacted)" "(redacted)")x"});
  CHECK(from_a.size() + from_b.size() == 6);
  // The second monitor got the same lines; RESET ends monitoring for it.
  for (int i = 0; i < 6; ++i) CHECK(m2.Read().value.type == typeahead::test::RespType::kSimple);
  CHECK(m2.Run({"RESET"}) == "+RESET");
  CHECK(m.Read().value.str.find(R"("RESET")") != std::string::npos);  // m2's, after it ran
  // The monitor may still run commands, and sees its own.
  CHECK(m.Run({"PING"}) == "+PONG");
  auto own = m.Read().value.str;
  CHECK(own.find("\"PING\"") != std::string::npos);
  a.Run({"ACRECORD", "k", "after"});
  CHECK(m.Read().value.str.find(R"("ACRECORD" "k" "after")") != std::string::npos);
  CHECK(m2.Run({"PING"}) == "+PONG");  // no monitor line before its reply
}

TEST_CASE("MEMORY USAGE and OBJECT: a key's parts on every shard, nil for a missing key") {
  TestServer server(Options({}));
  TestClient c(server);
  for (int i = 0; i < 200; ++i) c.Run({"ACRECORD", "k", "term" + std::to_string(i)});
  c.Run({"ACRECORD", "small", "x"});
  auto usage = c.Command({"MEMORY", "USAGE", "k"});
  REQUIRE(usage.value.type == typeahead::test::RespType::kInteger);
  auto small = c.Command({"MEMORY", "USAGE", "small"});
  CHECK(usage.value.integer > small.value.integer);  // the two shards' parts of k add up
  CHECK(c.Run({"MEMORY", "USAGE", "k", "SAMPLES", "0"}) == usage.Render());
  CHECK(c.Command({"MEMORY", "USAGE", "nosuch"}).raw == "$-1\r\n");
  CHECK(c.Run({"MEMORY", "USAGE", "k", "SAMPLES"}) == "-ERR syntax error");
  CHECK(c.Run({"MEMORY", "USAGE", "k", "SAMPLES", "x"}) ==
        "-ERR value is not an integer or out of range");
  CHECK(c.Run({"OBJECT", "ENCODING", "k"}) == "\"trie\"");
  CHECK(c.Run({"OBJECT", "REFCOUNT", "k"}) == ":1");
  CHECK(c.Command({"OBJECT", "FREQ", "nosuch"}).raw == "$-1\r\n");
  CHECK(c.Run({"OBJECT", "IDLETIME", "k"}) == ":0");
  // FREQ grows with reads, logarithmically: small was touched once, k 200 times and more.
  for (int i = 0; i < 50; ++i) c.Run({"ACTOPK", "k", "t", "3"});
  auto freq = c.Command({"OBJECT", "FREQ", "k"});
  auto once = c.Command({"OBJECT", "FREQ", "small"});
  CHECK(once.value.integer == 16);
  CHECK(freq.value.integer > 100);
  CHECK(freq.value.integer <= 255);
  // OBJECT itself is no access.
  CHECK(c.Command({"OBJECT", "FREQ", "small"}).value.integer == 16);
  CHECK(c.Run({"OBJECT", "ENCODING"}) ==
        "-ERR wrong number of arguments for 'object|encoding' command");
  CHECK(c.Run({"COMMAND", "GETKEYS", "MEMORY", "USAGE", "k"}) == R"(["k"])");
}

TEST_CASE("MEMORY STATS, DOCTOR, PURGE, MALLOC-STATS: INFO's figures, Redis's field names") {
  TestServer server(Options({}));
  TestClient c(server);
  c.Run({"ACRECORD", "k", "apple"});
  auto stats = c.Command({"MEMORY", "STATS"});
  REQUIRE(stats.value.elements.size() == 34);
  std::vector<std::string> names;
  for (size_t i = 0; i < stats.value.elements.size(); i += 2) {
    names.push_back(stats.value.elements[i].str);
  }
  CHECK(names.front() == "peak.allocated");
  CHECK(std::find(names.begin(), names.end(), "keys.count") != names.end());
  CHECK(stats.value.elements[23].integer == 1);  // keys.count
  c.Run({"HELLO", "3"});
  auto map = c.Command({"MEMORY", "STATS"});
  CHECK(map.raw.substr(0, 4) == "%17\r");
  CHECK(map.raw.find(",") != std::string::npos);  // the percentages are RESP3 doubles
  CHECK(c.Command({"MEMORY", "DOCTOR"}).value.str.find("nothing here needs looking at") !=
        std::string::npos);
  CHECK(c.Run({"MEMORY", "PURGE"}) == "+OK");
  CHECK(c.Command({"MEMORY", "MALLOC-STATS"}).value.str.find("<malloc") != std::string::npos);
}

TEST_CASE("MONITOR inside a transaction is refused at EXEC, as Redis refuses it") {
  TestServer server(Options({}));
  TestClient c(server), other(server);
  CHECK(c.Run({"MULTI"}) == "+OK");
  CHECK(c.Run({"MONITOR"}) == "+QUEUED");
  CHECK(c.Run({"PING"}) == "+QUEUED");
  CHECK(c.Run({"EXEC"}) == R"([-ERR MONITOR isn't allowed for DENY BLOCKING client, +PONG])");
  // Not monitoring: another client's command reaches it as nothing; its own get replies.
  other.Run({"ACRECORD", "k", "x"});
  CHECK(c.Run({"PING"}) == "+PONG");
}

TEST_CASE("INFO autocomplete: cached nodes, memo hits and their rate against ACTOPK calls") {
  TestServer server(Options({}));
  TestClient c(server);
  std::vector<std::vector<std::string>> load;
  for (int i = 0; i < 3000; ++i) load.push_back({"ACRECORD", "memo", "w" + std::to_string(i)});
  c.Pipeline(load);
  auto field = [&](const std::string& name) {
    std::string info = c.Command({"INFO", "autocomplete"}).value.str;
    size_t at = info.find(name + ":");
    REQUIRE(at != std::string::npos);
    return info.substr(at + name.size() + 1, info.find("\r\n", at) - at - name.size() - 1);
  };
  CHECK(field("memo_hits") == "0");
  CHECK(field("memo_hit_rate") == "0.00%");
  CHECK(std::stoi(field("cached_nodes")) > 100);
  // The memo keeps renderings in dictionaries of 1024 terms or more (storage/topk_memo.h).
  c.Run({"ACTOPK", "memo", "w1", "10"});
  c.Run({"ACTOPK", "memo", "w1", "10"});
  CHECK(field("memo_hits") == "1");
  CHECK(field("memo_hit_rate") == "50.00%");
}
