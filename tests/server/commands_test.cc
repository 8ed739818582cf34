// Command-level tests through the in-process server (tests/server/command_fixture.h): each
// command takes a client's whole path, admission, handlers, shard hops and pipeline batches
// included, without starting a process. The texts checked are the contract's
// (docs/commands.md), written out rather than taken from server/errors.h, so that a changed
// text fails here as it would fail a client.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <set>
#include <string>
#include <vector>

#include "storage/blend.h"
#include "storage/routing.h"
#include "storage/trie.h"
#include "tests/server/command_fixture.h"

namespace {
using typeahead::server::Shard;
using typeahead::test::EncodeCommand;
using typeahead::test::TestClient;
using typeahead::test::TestServer;

// Terms whose first letters put at least one on every one of n shards.
std::vector<std::string> TermsOnEveryShard(size_t n) {
  std::vector<std::string> terms;
  std::set<size_t> covered;
  for (char c = 'a'; c <= 'z' && covered.size() < n; ++c) {
    std::string term = std::string(1, c) + "term";
    if (covered.insert(typeahead::storage::PartitionOfTerm(term, n)).second) terms.push_back(term);
  }
  REQUIRE(covered.size() == n);
  return terms;
}

// Whether any shard's partition holds key.
bool AnyShardHas(TestServer& server, const std::string& key) {
  bool found = false;
  for (size_t i = 0; i < server.shards(); ++i) {
    found |= server.OnShard(i, [&](Shard& s) { return s.partition().Find(key) != nullptr; });
  }
  return found;
}

void RecordExample(TestClient& c) {
  for (const char* term : {"apple", "apple", "app", "application", "appetite"}) {
    REQUIRE_FALSE(c.Command({"ACRECORD", "q", term}).value.is_error());
  }
}

}  // namespace

TEST_CASE("TestClient: the k-th connection is served by shard k % shards") {
  TestServer server(2);
  TestClient a(server), b(server), c(server);
  CHECK(a.shard() == 0);
  CHECK(b.shard() == 1);
  CHECK(c.shard() == 0);
  for (TestClient* client : {&a, &b, &c}) {
    int64_t id = client->Command({"CLIENT", "ID"}).value.integer;
    CHECK(server.OnShard(client->shard(), [id](Shard& s) { return s.clients().count(id); }) == 1);
  }
}

TEST_CASE("ACTOPK: the contract's example") {
  TestServer server(2);
  TestClient c(server);
  CHECK(c.Run({"ACRECORD", "q", "apple"}) == ":1");
  CHECK(c.Run({"ACRECORD", "q", "apple"}) == ":2");
  CHECK(c.Run({"ACRECORD", "q", "app"}) == ":1");
  CHECK(c.Run({"ACRECORD", "q", "application"}) == ":1");
  CHECK(c.Run({"ACRECORD", "q", "appetite"}) == ":1");
  auto top2 = c.Command({"ACTOPK", "q", "app", "2"});
  CHECK(top2.raw == "*2\r\n$5\r\napple\r\n$3\r\napp\r\n");
  CHECK(top2.value.strings() == std::vector<std::string>{"apple", "app"});
  CHECK(c.Run({"ACTOPK", "q", "app", "3", "WITHSCORES"}) ==
        R"(["apple", :2, "app", :1, "appetite", :1])");
  CHECK(c.Run({"ACTOPK", "q", "", "10"}) == R"(["apple", "app", "appetite", "application"])");
  CHECK(c.Run({"ACINCRBY", "q", "app", "-1"}) == ":0");
  CHECK(c.Run({"ACSCORE", "q", "app"}) == "nil");
  CHECK(c.Run({"ACCARD", "q"}) == ":3");
}

TEST_CASE("Errors: the contract's texts, and nothing changes") {
  TestServer server(2);
  TestClient c(server);
  RecordExample(c);
  std::string before = DumpAll(c);
  uint64_t changes = server.JournalChanges();
  CHECK(c.Run({"ACRECORD", "q", ""}) == "-ERR empty term");
  CHECK(c.Run({"ACRECORD", "q"}) == "-ERR wrong number of arguments for 'acrecord' command");
  CHECK(c.Run({"ACTOPK", "q", "app", "2", "junk"}) == "-ERR syntax error");
  CHECK(c.Run({"ACTOPK", "q", "app", "-1"}) == "-ERR value is out of range, must be positive");
  CHECK(c.Run({"ACINCRBY", "q", "apple", "1x"}) == "-ERR value is not an integer or out of range");
  CHECK(c.Run({"ACINCRBY", "q", "apple", "9223372036854775807"}) ==
        "-ERR increment or decrement would overflow");
  // Every term is checked before any is removed.
  CHECK(c.Run({"ACDEL", "q", "apple", ""}) == "-ERR empty term");
  CHECK(c.Run({"NOSUCH", "a"}) == "-ERR unknown command 'NOSUCH', with args beginning with: 'a' ");
  CHECK(c.Run({"RENAME", "nokey", "q"}) == "-ERR no such key");
  CHECK(DumpAll(c) == before);
  CHECK(server.JournalChanges() == changes);
}

TEST_CASE("WITHSCORES and nulls: RESP2 and RESP3 on one connection") {
  TestServer server(2);
  TestClient c(server);
  RecordExample(c);
  auto resp2 = c.Command({"ACTOPK", "q", "app", "2", "WITHSCORES"});
  CHECK(resp2.raw == "*4\r\n$5\r\napple\r\n:2\r\n$3\r\napp\r\n:1\r\n");
  CHECK(c.Command({"ACSCORE", "q", "nosuch"}).raw == "$-1\r\n");

  auto hello = c.Command({"HELLO", "3"});
  REQUIRE(hello.value.type == typeahead::test::RespType::kMap);
  CHECK(hello.Render().find(R"("proto": :3)") != std::string::npos);

  auto resp3 = c.Command({"ACTOPK", "q", "app", "2", "WITHSCORES"});
  CHECK(resp3.raw == "*2\r\n*2\r\n$5\r\napple\r\n:2\r\n*2\r\n$3\r\napp\r\n:1\r\n");
  CHECK(resp3.Render() == R"([["apple", :2], ["app", :1]])");
  CHECK(c.Command({"ACSCORE", "q", "nosuch"}).raw == "_\r\n");
  // Without WITHSCORES the same in both.
  CHECK(c.Command({"ACTOPK", "q", "app", "2"}).raw == "*2\r\n$5\r\napple\r\n$3\r\napp\r\n");
  CHECK(c.Run({"HELLO", "2"}).starts_with("[\"server\", \"redis\""));
  CHECK(c.Command({"ACSCORE", "q", "nosuch"}).raw == "$-1\r\n");
}

TEST_CASE("ACTOPK FUZZY: the reply shape, its errors, and every shard's terms") {
  TestServer server(4);
  TestClient c(server);
  RecordExample(c);
  for (int i = 0; i < 3; ++i) c.Run({"ACRECORD", "q", "maple"});
  c.Run({"ACRECORD", "q", "ample"});
  // "aple": maple (m dropped), apple (one p dropped), ample (p for m), appetite ("appe", l
  // for p); all one edit. They live
  // on different shards (first bytes a and m), so without PREFIXLEN the read fans out.
  CHECK(c.Run({"ACTOPK", "q", "aple", "10", "FUZZY", "1"}) ==
        R"(["maple", "apple", "ample", "appetite"])");
  CHECK(c.Run({"ACTOPK", "q", "aple", "2", "fuzzy", "1", "WITHSCORES"}) ==
        R"(["maple", :3, :1, "apple", :2, :1])");
  CHECK(c.Run({"ACTOPK", "q", "aple", "10", "FUZZY", "1", "PREFIXLEN", "1"}) ==
        R"(["apple", "ample", "appetite"])");
  CHECK(c.Run({"ACTOPK", "q", "apl", "2", "WITHSCORES", "FUZZY", "0"}) == "[]");
  // Exact matches first, at distance 0, then the rest by frequency.
  CHECK(c.Run({"ACTOPK", "q", "app", "3", "FUZZY", "1", "WITHSCORES"}) ==
        R"(["apple", :2, :0, "app", :1, :0, "appetite", :1, :0])");
  CHECK(c.Run({"ACTOPK", "nokey", "app", "3", "FUZZY", "1"}) == "[]");
  c.Run({"HELLO", "3"});
  CHECK(c.Run({"ACTOPK", "q", "aple", "2", "FUZZY", "1", "WITHSCORES"}) ==
        R"([["maple", :3, :1], ["apple", :2, :1]])");
  CHECK(c.Run({"ACTOPK", "q", "aple", "2", "FUZZY", "1", "PREFIXLEN", "1", "WITHSCORES"}) ==
        R"([["apple", :2, :1], ["ample", :1, :1]])");
  c.Run({"HELLO", "2"});

  std::string before = DumpAll(c);
  CHECK(c.Run({"ACTOPK", "q", "a", "2", "FUZZY", "3"}) == "-ERR FUZZY distance must be 0, 1 or 2");
  CHECK(c.Run({"ACTOPK", "q", "a", "2", "FUZZY", "-1"}) == "-ERR FUZZY distance must be 0, 1 or 2");
  CHECK(c.Run({"ACTOPK", "q", "a", "2", "FUZZY", "x"}) ==
        "-ERR value is not an integer or out of range");
  CHECK(c.Run({"ACTOPK", "q", "a", "2", "FUZZY"}) == "-ERR syntax error");
  CHECK(c.Run({"ACTOPK", "q", "a", "2", "FUZZY", "1", "FUZZY", "1"}) == "-ERR syntax error");
  CHECK(c.Run({"ACTOPK", "q", "a", "2", "PREFIXLEN", "1"}) == "-ERR syntax error");
  CHECK(c.Run({"ACTOPK", "q", "a", "2", "FUZZY", "1", "PREFIXLEN", "-1"}) ==
        "-ERR value is out of range, must be positive");
  CHECK(c.Run({"ACTOPK", "q", "apple", "2", "FUZZY", "1", "PREFIXLEN", "zz"}) ==
        "-ERR value is not an integer or out of range");
  CHECK(DumpAll(c) == before);
}

TEST_CASE("ACTOPK FUZZY: routed and fanned-out reads equal one trie's answer") {
  // Terms over every first byte in a..f; the 4- and 8-shard servers route by one and two
  // bytes, so PREFIXLEN 0, 1 and 2 take every path: fan-out, and routed to one shard.
  typeahead::storage::Trie all;
  std::vector<std::string> terms;
  uint64_t x = 12345;
  auto next = [&] { return x = x * 6364136223846793005ull + 1442695040888963407ull; };
  for (int i = 0; i < 400; ++i) {
    std::string t;
    for (size_t n = 1 + (next() >> 33) % 6; n > 0; --n)
      t += static_cast<char>('a' + (next() >> 33) % 6);
    terms.push_back(t);
  }
  for (size_t shards : {1, 4, 8}) {
    TestServer server(shards);
    TestClient c(server);
    for (const auto& t : terms) c.Run({"ACRECORD", "f", t});
    if (shards == 1) {
      for (const auto& t : terms) all.IncrBy(t, 1);
    }
    for (std::string q : {"a", "ab", "bca", "fedc", "cafe", "dd"}) {
      for (int d = 0; d <= 2; ++d) {
        for (int exact = 0; exact <= 2; ++exact) {
          std::vector<typeahead::storage::ScoredTerm> want;
          all.FuzzyTopK(q, 20, d, exact, &want);
          std::string expect = "[";
          for (const auto& s : want) {
            if (expect.size() > 1) expect += ", ";
            expect += "\"" + s.term + "\", :" + std::to_string(s.freq) +
                      ", :" + std::to_string(s.distance);
          }
          expect += "]";
          CHECK_MESSAGE(c.Run({"ACTOPK", "f", q, "20", "WITHSCORES", "FUZZY", std::to_string(d),
                               "PREFIXLEN", std::to_string(exact)}) == expect,
                        shards << " shards, '" << q << "' within " << d << ", exact " << exact);
        }
      }
    }
  }
}

TEST_CASE("ACTOPK BLEND: weighted sums as doubles, errors, and every shard's terms") {
  TestServer server(4);
  TestClient c(server);
  for (auto [term, n] : {std::pair{"apple", 100},
                         {"app", 50},
                         {"application", 40},
                         {"appetite", 10},
                         {"maple", 30}}) {
    c.Run({"ACINCRBY", "global", term, std::to_string(n)});
  }
  c.Run({"ACINCRBY", "user:42", "appetite", "20"});
  c.Run({"ACINCRBY", "user:42", "apps", "8"});
  c.Run({"ACINCRBY", "user:42", "maple", "1"});
  // appetite 10 + 5 x 20; apps (5 x 8) ties application (40): term order.
  CHECK(c.Run({"ACTOPK", "global", "app", "5", "BLEND", "user:42", "5"}) ==
        R"(["appetite", "apple", "app", "application", "apps"])");
  CHECK(c.Command({"ACTOPK", "global", "app", "2", "WITHSCORES", "BLEND", "user:42", "0.5"}).raw ==
        "*4\r\n$5\r\napple\r\n$3\r\n100\r\n$3\r\napp\r\n$2\r\n50\r\n");
  CHECK(c.Run({"ACTOPK", "global", "app", "7", "WITHSCORES", "BLEND", "user:42", "0.5"}) ==
        R"(["apple", "100", "app", "50", "application", "40", "appetite", "20", "apps", "4"])");
  // The empty prefix fans out: maple lives on another shard than the a-terms.
  CHECK(c.Run({"ACTOPK", "global", "", "3", "WITHSCORES", "blend", "user:42", "100"}) ==
        R"(["appetite", "2010", "apps", "800", "maple", "130"])");
  // Keys may repeat and be absent; a key absent from the blend's first place counts 0.
  CHECK(c.Run({"ACTOPK", "nokey", "app", "2", "WITHSCORES", "BLEND", "user:42", "1", "user:42",
               "1"}) == R"(["appetite", "40", "apps", "16"])");
  CHECK(c.Run({"ACTOPK", "nokey", "app", "2", "BLEND", "nokey2", "1"}) == "[]");
  // With FUZZY: distance first, and it rides along with WITHSCORES.
  CHECK(c.Run({"ACTOPK", "global", "aple", "2", "WITHSCORES", "FUZZY", "1", "BLEND", "user:42",
               "5"}) == R"(["appetite", "110", :1, "apple", "100", :1])");
  c.Run({"HELLO", "3"});
  CHECK(c.Command({"ACTOPK", "global", "app", "1", "WITHSCORES", "BLEND", "user:42", "0.25"}).raw ==
        "*1\r\n*2\r\n$5\r\napple\r\n,100\r\n");
  CHECK(c.Run({"ACTOPK", "global", "aple", "1", "WITHSCORES", "FUZZY", "1", "BLEND", "user:42",
               "5"}) == R"([["appetite", ,110, :1]])");
  CHECK(c.Run({"ACTOPK", "global", "app", "1", "WITHSCORES", "BLEND", "user:42", "0.1"}) ==
        R"([["apple", ,100]])");
  c.Run({"HELLO", "2"});

  std::string before = DumpAll(c);
  CHECK(c.Run({"ACTOPK", "global", "app", "2", "BLEND"}) == "-ERR syntax error");
  CHECK(c.Run({"ACTOPK", "global", "app", "2", "BLEND", "user:42"}) == "-ERR syntax error");
  CHECK(c.Run({"ACTOPK", "global", "app", "2", "BLEND", "user:42", "1", "WITHSCORES"}) ==
        "-ERR syntax error");
  CHECK(c.Run({"ACTOPK", "global", "app", "2", "BLEND", "user:42", "x"}) ==
        "-ERR weight value is not a float");
  CHECK(c.Run({"ACTOPK", "global", "app", "2", "BLEND", "user:42", "nan"}) ==
        "-ERR weight value is not a float");
  CHECK(c.Run({"ACTOPK", "global", "app", "2", "BLEND", "user:42", "-1"}) ==
        "-ERR BLEND weight must be a finite number >= 0");
  CHECK(c.Run({"ACTOPK", "global", "", "2", "BLEND", "user:42", "inf"}) ==
        "-ERR BLEND weight must be a finite number >= 0");
  CHECK(DumpAll(c) == before);
  // After BLEND everything is a key or a weight: a key may be named like an option.
  c.Run({"ACINCRBY", "FUZZY", "apple", "1"});
  CHECK(c.Run({"ACTOPK", "global", "app", "1", "WITHSCORES", "BLEND", "FUZZY", "1"}) ==
        R"(["apple", "101"])");
  CHECK(c.Run({"COMMAND", "GETKEYS", "ACTOPK", "global", "app", "1", "BLEND", "u", "1", "v",
               "2"}) == R"(["global", "u", "v"])");
  CHECK(c.Run({"COMMAND", "GETKEYS", "ACTOPK", "global", "BLEND", "1"}) == R"(["global"])");
}

TEST_CASE("ACTOPK BLEND: routed and fanned-out blends equal one partition's answer") {
  // Three dictionaries over first bytes a..f; 1, 4 and 8 shards route by none, one and two
  // bytes, so the prefixes take every path.
  typeahead::storage::Trie all[3];
  uint64_t x = 777;
  auto next = [&] { return (x = x * 6364136223846793005ull + 1442695040888963407ull) >> 33; };
  std::vector<std::pair<int, std::string>> writes;
  for (int i = 0; i < 900; ++i) {
    std::string t;
    for (size_t n = 1 + next() % 5; n > 0; --n) t += static_cast<char>('a' + next() % 6);
    int key = next() % 5 == 0 ? 1 + static_cast<int>(next() % 2) : 0;
    writes.emplace_back(key, t);
    all[key].IncrBy(t, 1);
  }
  const char* keys[] = {"g", "u1", "u2"};
  for (size_t shards : {1, 4, 8}) {
    TestServer server(shards);
    TestClient c(server);
    for (const auto& [key, t] : writes) c.Run({"ACRECORD", keys[key], t});
    for (std::string q : {"", "a", "ab", "bca", "f"}) {
      for (size_t k : {3, 25}) {
        typeahead::storage::BlendSource sources[] = {{&all[0], 1}, {&all[1], 2.5}, {&all[2], 0}};
        std::vector<typeahead::storage::ScoredTerm> want;
        typeahead::storage::BlendTopK(sources, {.prefix = q, .k = k}, &want);
        std::string expect = "[";
        for (const auto& s : want) {
          if (expect.size() > 1) expect += ", ";
          expect += "\"" + s.term + "\", \"" + fmt::format("{:.17g}", s.score) + "\"";
        }
        expect += "]";
        CHECK_MESSAGE(c.Run({"ACTOPK", "g", q, std::to_string(k), "WITHSCORES", "BLEND", "u1",
                             "2.5", "u2", "0"}) == expect,
                      shards << " shards, '" << q << "' k " << k);
      }
    }
  }
}

TEST_CASE("DEL, RENAME and FLUSHALL reach every shard") {
  TestServer server(4);
  TestClient c(server);
  std::vector<std::string> terms = TermsOnEveryShard(server.shards());
  for (const auto& t : terms) REQUIRE(c.Run({"ACRECORD", "gone", t}) == ":1");
  // from has no term on terms[0]'s shard and other has one there: RENAME must drop it.
  for (size_t i = 1; i < terms.size(); ++i) REQUIRE(c.Run({"ACRECORD", "from", terms[i]}) == ":1");
  REQUIRE(c.Run({"ACINCRBY", "other", terms[0], "7"}) == ":7");
  REQUIRE(c.Run({"ACINCRBY", "other", terms[1], "7"}) == ":7");
  for (size_t i = 0; i < server.shards(); ++i) {
    CHECK(server.OnShard(i, [](Shard& s) { return s.partition().Find("gone") != nullptr; }));
  }

  CHECK(c.Run({"DEL", "gone", "nosuch"}) == ":1");
  CHECK_FALSE(AnyShardHas(server, "gone"));
  CHECK(c.Run({"EXISTS", "gone"}) == ":0");

  std::string from = c.Run({"ACTOPK", "from", "", "100", "WITHSCORES"});
  CHECK(c.Run({"RENAME", "from", "other"}) == "+OK");  // replaces what other held
  CHECK_FALSE(AnyShardHas(server, "from"));
  CHECK(c.Run({"ACTOPK", "other", "", "100", "WITHSCORES"}) == from);
  CHECK(c.Run({"ACCARD", "other"}) == ":" + std::to_string(terms.size() - 1));
  CHECK(c.Run({"KEYS", "*"}) == R"(["other"])");

  CHECK(c.Run({"FLUSHALL"}) == "+OK");
  CHECK(c.Run({"DBSIZE"}) == ":0");
  for (size_t i = 0; i < server.shards(); ++i) {
    CHECK(server.OnShard(i, [](Shard& s) { return s.partition().keys().size(); }) == 0);
  }
}

TEST_CASE("Pipeline: replies in request order across shards and fan-out commands") {
  TestServer server(4);
  TestClient c(server);
  std::vector<std::string> terms = TermsOnEveryShard(server.shards());
  std::vector<std::vector<std::string>> commands;
  std::vector<std::string> expected;
  std::vector<int64_t> freq(terms.size());
  for (int round = 1; round <= 5; ++round) {
    for (size_t i = 0; i < terms.size(); ++i) {
      // Every reply of a round differs, so replies out of order cannot pass for in order.
      int64_t by = 100 * static_cast<int64_t>(i + 1) + round;
      freq[i] += by;
      commands.push_back({"ACINCRBY", "p", terms[i], std::to_string(by)});
      expected.push_back(":" + std::to_string(freq[i]));
      commands.push_back({"ACSCORE", "p", terms[i]});
      expected.push_back(":" + std::to_string(freq[i]));
    }
    // A command of every shard between the single-shard ones: it runs after those before it.
    commands.push_back({"ACCARD", "p"});
    expected.push_back(":" + std::to_string(terms.size()));
  }
  commands.push_back({"DEL", "p"});
  expected.push_back(":1");
  commands.push_back({"ACSCORE", "p", terms[0]});
  expected.push_back("nil");
  std::vector<std::string> got;
  for (const auto& r : c.Pipeline(commands)) got.push_back(r.Render());
  CHECK(got == expected);
}

TEST_CASE("MULTI/EXEC: commands are queued, then run in order") {
  TestServer server(2);
  TestClient c(server), other(server);
  CHECK(c.Run({"MULTI"}) == "+OK");
  CHECK(c.Run({"ACRECORD", "t", "x"}) == "+QUEUED");
  CHECK(c.Run({"ACRECORD", "t", "x"}) == "+QUEUED");
  CHECK(c.Run({"ACRECORD", "t", "y"}) == "+QUEUED");
  CHECK(c.Run({"ACTOPK", "t", "", "10", "WITHSCORES"}) == "+QUEUED");
  CHECK(other.Run({"ACSCORE", "t", "x"}) == "nil");  // nothing ran yet
  CHECK(c.Run({"EXEC"}) == R"([:1, :2, :1, ["x", :2, "y", :1]])");
  CHECK(other.Run({"ACSCORE", "t", "x"}) == ":2");

  SUBCASE("an error while queueing discards the transaction") {
    CHECK(c.Run({"MULTI"}) == "+OK");
    CHECK(c.Run({"ACRECORD", "t", "z"}) == "+QUEUED");
    CHECK(c.Run({"ACRECORD", "t"}) == "-ERR wrong number of arguments for 'acrecord' command");
    CHECK(c.Run({"EXEC"}) == "-EXECABORT Transaction discarded because of previous errors.");
    CHECK(c.Run({"ACSCORE", "t", "z"}) == "nil");
  }
  SUBCASE("an error while running is that command's reply only") {
    CHECK(c.Run({"MULTI"}) == "+OK");
    CHECK(c.Run({"ACRECORD", "t", ""}) == "+QUEUED");
    CHECK(c.Run({"ACRECORD", "t", "z"}) == "+QUEUED");
    CHECK(c.Run({"EXEC"}) == R"([-ERR empty term, :1])");
  }
  SUBCASE("DISCARD drops the queue") {
    CHECK(c.Run({"MULTI"}) == "+OK");
    CHECK(c.Run({"ACRECORD", "t", "z"}) == "+QUEUED");
    CHECK(c.Run({"DISCARD"}) == "+OK");
    CHECK(c.Run({"EXEC"}) == "-ERR EXEC without MULTI");
    CHECK(c.Run({"ACSCORE", "t", "z"}) == "nil");
  }
}

TEST_CASE("CONFIG SET max-term-length holds on every shard from its reply on") {
  TestServer server(2);
  TestClient setter(server), other(server);
  REQUIRE(setter.shard() != other.shard());
  CHECK(other.Run({"ACRECORD", "q", "abcdefgh"}) == ":1");
  CHECK(setter.Run({"CONFIG", "SET", "max-term-length", "5"}) == "+OK");
  CHECK(other.Run({"CONFIG", "GET", "max-term-length"}) == R"(["max-term-length", "5"])");
  // Checked where the term's shard runs the command, whichever connection sent it.
  for (TestClient* c : {&setter, &other}) {
    CHECK(c->Run({"ACRECORD", "q", "abcdef"}) ==
          "-ERR term is longer than max-term-length (5 bytes)");
    CHECK(c->Run({"ACSCORE", "q", "abcdefgh"}) ==
          "-ERR term is longer than max-term-length (5 bytes)");
    CHECK(c->Run({"ACRECORD", "z", "zyxwv"}).starts_with(":"));
  }
  // Terms recorded before stay, and a prefix is not a term: its length is not checked.
  CHECK(other.Run({"ACTOPK", "q", "abcdefgh", "10"}) == R"(["abcdefgh"])");
  CHECK(setter.Run({"CONFIG", "SET", "max-term-length", "0"}).starts_with("-ERR"));
  CHECK(setter.Run({"CONFIG", "SET", "max-term-length", "512"}) == "+OK");
  CHECK(other.Run({"ACRECORD", "q", "abcdef"}) == ":1");
}

TEST_CASE("Requests: inline commands, and a protocol error closes after its reply") {
  TestServer server(2);
  TestClient c(server);
  c.Send("ACRECORD q apple\r\nACTOPK q a 5\r\n");
  CHECK(c.Read().Render() == ":1");
  CHECK(c.Read().Render() == R"(["apple"])");
  // What came before the bad request is answered first, in order.
  c.Send(EncodeCommand({"ACSCORE", "q", "apple"}) + "*x\r\n");
  CHECK(c.Read().Render() == ":1");
  CHECK(c.Read().Render() == "-ERR Protocol error: invalid multibulk length");
  CHECK(c.ReadEof());
  TestClient next(server);
  CHECK(next.Run({"ACSCORE", "q", "apple"}) == ":1");
}

TEST_CASE("CLIENT REPLY: OFF drops every reply until ON, SKIP the next one, pipelined or not") {
  TestServer server(2);
  TestClient c(server);
  // One write: the replies of everything between OFF and ON are dropped, errors included,
  // routed and fan-out commands and transactions alike; the writes themselves happen.
  std::string pipeline;
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"CLIENT", "REPLY", "OFF"},
                                             {"ACRECORD", "q", "apple"},
                                             {"ACRECORD", "q", "apply"},
                                             {"ACTOPK", "q", "a", "5"},
                                             {"ACINCRBY", "q", "x", "nan"},
                                             {"MULTI"},
                                             {"ACRECORD", "q", "apple"},
                                             {"EXEC"},
                                             {"CLIENT", "REPLY", "ON"},
                                             {"ACTOPK", "q", "app", "5", "WITHSCORES"}}) {
    pipeline += typeahead::test::EncodeCommand(args);
  }
  c.Send(pipeline);
  CHECK(c.Read().Render() == "+OK");
  CHECK(c.Read().Render() == R"(["apple", :2, "apply", :1])");
  // SKIP: its own reply and the next one's are dropped, the one after is sent.
  pipeline = typeahead::test::EncodeCommand({"CLIENT", "REPLY", "SKIP"}) +
             typeahead::test::EncodeCommand({"ACRECORD", "q", "skipped"}) +
             typeahead::test::EncodeCommand({"ACSCORE", "q", "skipped"});
  c.Send(pipeline);
  CHECK(c.Read().Render() == ":1");  // ACSCORE's: the ACRECORD happened
  c.Send(typeahead::test::EncodeCommand({"CLIENT", "REPLY", "SKIP"}) +
         typeahead::test::EncodeCommand({"ECHO", "dropped"}) +
         typeahead::test::EncodeCommand({"ECHO", "sent"}));
  CHECK(c.Read().Render() == R"("sent")");
  CHECK(c.Run({"PING"}) == "+PONG");  // nothing else was left to read
  CHECK(c.Run({"CLIENT", "REPLY", "MAYBE"}) == "-ERR syntax error");
  CHECK(c.Run({"ACTOPK", "q", "s", "1"}) == R"(["skipped"])");
}

TEST_CASE("ACDECAY: doubles for decaying keys, AT, errors, and the fan-out across rebases") {
  TestServer server(4);
  TestClient c(server);
  const std::string t0 = "1700000000000", day = "86400";
  for (auto [term, n] : {std::pair{"apple", 4}, {"app", 2}, {"maple", 1}}) {
    c.Run({"ACINCRBY", "trend", term, std::to_string(n)});
  }
  CHECK(c.Run({"ACDECAY", "trend", day, "AT", t0}) == "+OK");
  // Counts became the scores as of t0; a day later they are halved.
  CHECK(c.Command({"ACSCORE", "trend", "apple", "AT", t0}).raw == "$1\r\n4\r\n");
  CHECK(c.Run({"ACSCORE", "trend", "apple", "AT", "1700086400000"}) == R"("2")");
  CHECK(c.Run({"ACSCORE", "trend", "app", "AT", "1699913600000"}) == R"("4")");
  CHECK(c.Run({"ACSCORE", "trend", "nope", "AT", t0}) == "nil");
  // A backfilled event a day before t0 adds half of itself at t0.
  c.Run({"ACINCRBY", "trend", "maple", "6", "AT", "1699913600000"});
  CHECK(c.Run({"ACSCORE", "trend", "maple", "AT", t0}) == R"("4")");
  // Replies of writes are scores now (years after t0: tiny, but doubles).
  auto now_score = c.Command({"ACRECORD", "trend", "app", "AT", t0});
  REQUIRE(now_score.value.type == typeahead::test::RespType::kBulk);
  CHECK(std::stod(now_score.value.str) < 1e-100);
  CHECK(c.Run({"ACSCORE", "trend", "app", "AT", t0}) == R"("3")");
  // Ranking by score, then term: apple 4, maple 4, app 3; the empty prefix fans out. The
  // order holds whatever the time, even where the scores now underflow to 0.
  CHECK(c.Run({"ACTOPK", "trend", "", "3"}) == R"(["apple", "maple", "app"])");
  CHECK(c.Run({"ACTOPK", "trend", "ap", "3"}) == R"(["apple", "app"])");
  auto with = c.Command({"ACTOPK", "trend", "", "1", "WITHSCORES"});
  REQUIRE(with.value.strings().size() == 2);
  CHECK(with.value.elements[1].type == typeahead::test::RespType::kBulk);
  CHECK(std::stod(with.value.strings()[1]) >= 0);
  c.Run({"HELLO", "3"});
  CHECK(c.Command({"ACSCORE", "trend", "apple", "AT", t0}).raw == ",4\r\n");
  CHECK(c.Command({"ACRECORD", "counts", "x"}).raw == ":1\r\n");  // counts stay integers
  CHECK(c.Command({"ACTOPK", "trend", "app", "1", "WITHSCORES"})
            .raw.starts_with("*1\r\n*2\r\n$5\r\napple\r\n,"));
  c.Run({"HELLO", "2"});
  // A non-decaying key takes AT and ignores it.
  CHECK(c.Run({"ACRECORD", "counts", "x", "AT", "5"}) == ":2");
  CHECK(c.Run({"ACSCORE", "counts", "x", "AT", "5"}) == ":2");

  // Two shards of one key, one rebased (a millisecond half-life, events 900 ms apart): equal
  // scores still tie exactly in the fan-out's merge, broken by term.
  std::vector<std::string> terms = TermsOnEveryShard(4);
  const std::string& a = terms[0];
  const std::string& b = terms[1];
  const std::string later = a + "z";  // a's shard
  REQUIRE(typeahead::storage::PartitionOfTerm(later, 4) ==
          typeahead::storage::PartitionOfTerm(a, 4));
  CHECK(c.Run({"ACDECAY", "fast", "0.001", "AT", "1000"}) == "+OK");
  c.Run({"ACINCRBY", "fast", a, "3", "AT", "1100"});
  c.Run({"ACINCRBY", "fast", b, "3", "AT", "1100"});
  c.Run({"ACRECORD", "fast", later, "AT", "1900"});
  size_t a_shard = typeahead::storage::PartitionOfTerm(a, 4);
  size_t b_shard = typeahead::storage::PartitionOfTerm(b, 4);
  CHECK(server.OnShard(a_shard,
                       [](Shard& s) { return s.partition().Find("fast")->decay().shift; }) > 0);
  CHECK(server.OnShard(b_shard,
                       [](Shard& s) { return s.partition().Find("fast")->decay().shift; }) == 0);
  CHECK(c.Run({"ACSCORE", "fast", a, "AT", "1200"}) == c.Run({"ACSCORE", "fast", b, "AT", "1200"}));
  CHECK(c.Run({"ACSCORE", "fast", a, "AT", "1200"}) ==
        R"("2.3665827156630354e-30")");  // 3 x 2^-100
  CHECK(c.Run({"ACTOPK", "fast", "", "3"}) ==
        fmt::format(R"(["{}", "{}", "{}"])", later, std::min(a, b), std::max(a, b)));

  // A decaying key exists while empty, on every shard; ACCARD 0; DEL drops it.
  CHECK(c.Run({"ACDECAY", "empty", "60"}) == "+OK");
  CHECK(c.Run({"EXISTS", "empty"}) == ":1");
  CHECK(c.Run({"ACCARD", "empty"}) == ":0");
  CHECK(c.Run({"ACTOPK", "empty", "", "5"}) == "[]");
  CHECK(c.Run({"DEL", "empty"}) == ":1");
  CHECK_FALSE(AnyShardHas(server, "empty"));
  CHECK(c.Run({"ACDECAY", "missing", "0"}) == "+OK");
  CHECK_FALSE(AnyShardHas(server, "missing"));

  // Back to counts: each score at AT, rounded.
  CHECK(c.Run({"ACDECAY", "trend", "0", "AT", "1700086400000"}) == "+OK");
  CHECK(c.Run({"ACTOPK", "trend", "", "5", "WITHSCORES"}) ==
        R"(["app", :2, "apple", :2, "maple", :2])");  // 1.5 rounds to 2
  CHECK(c.Run({"ACRECORD", "trend", "apple"}) == ":3");

  // Errors change nothing.
  CHECK(c.Run({"ACDECAY", "fast", "0.01", "AT", "1000"}) == "+OK");
  std::string before = c.Run({"ACSCORE", "fast", later, "AT", "2000"});
  CHECK(c.Run({"ACDECAY", "fast", "-1"}) ==
        "-ERR half-life must be 0 or a number of seconds from 0.001 to 10000000000");
  CHECK(c.Run({"ACDECAY", "fast", "0.0001"}) ==
        "-ERR half-life must be 0 or a number of seconds from 0.001 to 10000000000");
  CHECK(c.Run({"ACDECAY", "fast", "x"}) ==
        "-ERR half-life must be 0 or a number of seconds from 0.001 to 10000000000");
  CHECK(c.Run({"ACDECAY", "fast", "1", "AT", "-5"}) ==
        "-ERR AT must be a unix time in milliseconds from 0 to 253402300799999");
  CHECK(c.Run({"ACDECAY", "fast", "1", "AT"}) == "-ERR syntax error");
  CHECK(c.Run({"ACDECAY", "fast", "1", "WHEN", "5"}) == "-ERR syntax error");
  CHECK(c.Run({"ACRECORD", "fast", "t", "AT", "x"}) ==
        "-ERR AT must be a unix time in milliseconds from 0 to 253402300799999");
  CHECK(c.Run({"ACINCRBY", "fast", "t", "1", "AT", "5", "6"}) == "-ERR syntax error");
  CHECK(c.Run({"ACSCORE", "fast", "t", "AT", "1e3"}) ==
        "-ERR AT must be a unix time in milliseconds from 0 to 253402300799999");
  CHECK(c.Run({"FT.SUGADD", "fast", "t", "1"}) ==
        "-ERR the key decays: FT.SUGADD cannot add a fixed score to it, use ACINCRBY");
  CHECK(c.Run({"ACDECAY", "fast"}) == "-ERR wrong number of arguments for 'acdecay' command");
  CHECK(c.Run({"ACSCORE", "fast", later, "AT", "2000"}) == before);
  CHECK(c.Run({"ACSCORE", "fast", "t"}) == "nil");
}
