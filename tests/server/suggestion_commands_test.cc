// FT.SUGADD, FT.SUGGET, FT.SUGDEL and FT.SUGLEN against the in-process server: RediSearch's
// grammar and reply shapes, our exact order, the keys shared with the AC* commands, and
// errors that change nothing.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "storage/routing.h"
#include "tests/server/command_fixture.h"

namespace {

using typeahead::test::DumpAll;
using typeahead::test::TestClient;
using typeahead::test::TestServer;

// The contract's example, added the RediSearch way; the terms live on several of 4 shards.
void AddExample(TestClient& c) {
  CHECK(c.Run({"FT.SUGADD", "s", "apple", "2"}) == ":1");
  CHECK(c.Run({"FT.SUGADD", "s", "app", "1"}) == ":2");
  CHECK(c.Run({"FT.SUGADD", "s", "application", "1"}) == ":3");
  CHECK(c.Run({"FT.SUGADD", "s", "appetite", "1"}) == ":4");
  CHECK(c.Run({"FT.SUGADD", "s", "maple", "3"}) == ":5");
}

}  // namespace

TEST_CASE("FT.SUGADD and FT.SUGGET: RediSearch's shapes, frequency order") {
  TestServer server(4);
  TestClient c(server);
  AddExample(c);
  CHECK(c.Run({"FT.SUGGET", "s", "app"}) == R"(["apple", "app", "appetite", "application"])");
  CHECK(c.Run({"FT.SUGGET", "s", "app", "MAX", "2"}) == R"(["apple", "app"])");
  CHECK(c.Run({"FT.SUGGET", "s", "app", "max", "0"}) == "[]");
  CHECK(c.Run({"FT.SUGGET", "s", "app", "WITHSCORES", "MAX", "2"}) ==
        R"(["apple", "2", "app", "1"])");
  // Five by default, and the empty prefix is every term (fanned out over the shards).
  CHECK(c.Run({"FT.SUGGET", "s", ""}) == R"(["maple", "apple", "app", "appetite", "application"])");
  CHECK(c.Run({"FT.SUGGET", "s", "zzz"}) == "[]");
  CHECK(c.Run({"FT.SUGGET", "nokey", "a"}) == "[]");
  // One edit, from the first byte: maple and ample-like terms on other shards come too.
  CHECK(c.Run({"FT.SUGGET", "s", "aple", "FUZZY", "MAX", "10"}) ==
        R"(["maple", "apple", "appetite"])");

  // Without INCR the score replaces the frequency; with it the score is added.
  CHECK(c.Run({"FT.SUGADD", "s", "app", "7"}) == ":5");
  CHECK(c.Run({"ACSCORE", "s", "app"}) == ":7");
  CHECK(c.Run({"FT.SUGADD", "s", "app", "2", "INCR"}) == ":5");
  CHECK(c.Run({"ACSCORE", "s", "app"}) == ":9");
  CHECK(c.Run({"FT.SUGADD", "s", "app", "1e1"}) == ":5");  // an integral double is exact
  CHECK(c.Run({"ACSCORE", "s", "app"}) == ":10");
  CHECK(c.Run({"FT.SUGADD", "s", "app", "-4.0", "INCR"}) == ":5");
  CHECK(c.Run({"ACSCORE", "s", "app"}) == ":6");
  // An INCR to zero or below removes the suggestion, and the size says so.
  CHECK(c.Run({"FT.SUGADD", "s", "appetite", "-1", "INCR"}) == ":4");
  CHECK(c.Run({"FT.SUGADD", "s", "nothere", "-1", "INCR"}) == ":4");

  // Payloads: kept with the term, nil where none, kept by a later add without PAYLOAD.
  CHECK(c.Run({"FT.SUGADD", "s", "apple", "2", "PAYLOAD", "fruit"}) == ":4");
  CHECK(c.Run({"FT.SUGGET", "s", "app", "WITHPAYLOADS"}) ==
        R"(["app", nil, "apple", "fruit", "application", nil])");
  CHECK(c.Run({"FT.SUGADD", "s", "apple", "5", "INCR"}) == ":4");
  CHECK(c.Run({"FT.SUGGET", "s", "appl", "WITHSCORES", "WITHPAYLOADS"}) ==
        R"(["apple", "7", "fruit", "application", "1", nil])");
  CHECK(c.Run({"FT.SUGADD", "s", "apple", "7", "INCR", "PAYLOAD", "tree"}) == ":4");
  CHECK(c.Run({"FT.SUGGET", "s", "apple", "WITHPAYLOADS"}) == R"(["apple", "tree"])");
  // Binary payloads come back byte for byte.
  std::string binary("\0\xff\r\n", 4);
  CHECK(c.Run({"FT.SUGADD", "s", "maple", "3", "PAYLOAD", binary}) == ":4");
  CHECK(c.Command({"FT.SUGGET", "s", "map", "WITHPAYLOADS"}).value.elements.at(1).str == binary);

  // RESP3: scores are doubles, the array stays flat, a missing payload is null.
  c.Run({"HELLO", "3"});
  CHECK(c.Run({"FT.SUGGET", "s", "appl", "WITHSCORES", "WITHPAYLOADS"}) ==
        R"(["apple", ,14, "tree", "application", ,1, _])");
  c.Run({"HELLO", "2"});

  // The keys are dictionaries: ACTOPK reads them, ACRECORD writes them.
  CHECK(c.Run({"ACTOPK", "s", "app", "2", "WITHSCORES"}) == R"(["apple", :14, "app", :6])");
  for (int i = 0; i < 20; ++i) c.Run({"ACRECORD", "s", "application"});
  CHECK(c.Run({"FT.SUGGET", "s", "app", "MAX", "1", "WITHSCORES"}) == R"(["application", "21"])");

  // FT.SUGDEL and FT.SUGLEN; a removed term's payload goes with it.
  CHECK(c.Run({"FT.SUGLEN", "s"}) == ":4");
  CHECK(c.Run({"FT.SUGDEL", "s", "apple"}) == ":1");
  CHECK(c.Run({"FT.SUGDEL", "s", "apple"}) == ":0");
  CHECK(c.Run({"FT.SUGDEL", "nokey", "apple"}) == ":0");
  CHECK(c.Run({"FT.SUGLEN", "s"}) == ":3");
  CHECK(c.Run({"FT.SUGLEN", "nokey"}) == ":0");
  CHECK(c.Run({"FT.SUGADD", "s", "apple", "1"}) == ":4");
  CHECK(c.Run({"FT.SUGGET", "s", "apple", "WITHPAYLOADS"}) == R"(["apple", nil])");
  CHECK(c.Run({"ACCARD", "s"}) == ":4");
}

TEST_CASE("FT.SUG*: bad arguments are refused with clear errors and change nothing") {
  TestServer server(2);
  TestClient c(server);
  AddExample(c);
  c.Run({"FT.SUGADD", "s", "apple", "2", "PAYLOAD", "p"});
  std::string before = DumpAll(c);
  std::string payloads = c.Run({"FT.SUGGET", "s", "", "WITHPAYLOADS", "MAX", "100"});
  uint64_t changes = server.JournalChanges();
  const std::string fractional =
      "-ERR score must be an integer: fractional scores are not supported";
  const std::string not_positive = "-ERR score must be positive: use INCR to lower a score";
  CHECK(c.Run({"FT.SUGADD", "s", "apple", "1.5"}) == fractional);
  CHECK(c.Run({"FT.SUGADD", "s", "apple", "0.5", "INCR"}) == fractional);
  CHECK(c.Run({"FT.SUGADD", "s", "apple", "inf"}) == fractional);
  CHECK(c.Run({"FT.SUGADD", "s", "apple", "x"}) == "-ERR value is not a valid float");
  CHECK(c.Run({"FT.SUGADD", "s", "apple", "nan"}) == "-ERR value is not a valid float");
  CHECK(c.Run({"FT.SUGADD", "s", "apple", "1e30"}) ==
        "-ERR value is not an integer or out of range");
  CHECK(c.Run({"FT.SUGADD", "s", "apple", "0"}) == not_positive);
  CHECK(c.Run({"FT.SUGADD", "s", "apple", "-3"}) == not_positive);
  CHECK(c.Run({"FT.SUGADD", "s", "apple", "9223372036854775807", "INCR"}) ==
        "-ERR increment or decrement would overflow");
  CHECK(c.Run({"FT.SUGADD", "s", "", "1"}) == "-ERR empty term");
  CHECK(c.Run({"FT.SUGADD", "s", "apple", "1", "PAYLOAD"}) == "-ERR syntax error");
  CHECK(c.Run({"FT.SUGADD", "s", "apple", "1", "NOPE"}) == "-ERR syntax error");
  CHECK(c.Run({"FT.SUGADD", "s", "apple"}) ==
        "-ERR wrong number of arguments for 'ft.sugadd' command");
  CHECK(c.Run({"FT.SUGGET", "s", "a", "MAX", "x"}) ==
        "-ERR value is not an integer or out of range");
  CHECK(c.Run({"FT.SUGGET", "s", "a", "MAX", "-1"}) ==
        "-ERR value is out of range, must be positive");
  CHECK(c.Run({"FT.SUGGET", "s", "a", "MAX"}) == "-ERR syntax error");
  CHECK(c.Run({"FT.SUGGET", "s", "a", "FUZZY", "2"}) == "-ERR syntax error");
  CHECK(c.Run({"FT.SUGGET", "s"}) == "-ERR wrong number of arguments for 'ft.sugget' command");
  CHECK(c.Run({"FT.SUGDEL", "s", ""}) == "-ERR empty term");
  CHECK(c.Run({"FT.SUGLEN"}) == "-ERR wrong number of arguments for 'ft.suglen' command");
  CHECK(server.JournalChanges() == changes);
  CHECK(DumpAll(c) == before);
  CHECK(c.Run({"FT.SUGGET", "s", "", "WITHPAYLOADS", "MAX", "100"}) == payloads);
  // MAX is capped at max-topk, never refused for being large.
  CHECK(c.Command({"FT.SUGGET", "s", "", "MAX", "9223372036854775807"}).value.elements.size() == 5);
}

TEST_CASE("FT.SUGGET: every shard count gives one trie's answer, payloads included") {
  std::vector<std::string> terms;
  uint64_t x = 99;
  auto next = [&] { return x = x * 6364136223846793005ull + 1442695040888963407ull; };
  for (int i = 0; i < 300; ++i) {
    std::string t;
    for (size_t n = 1 + (next() >> 33) % 5; n > 0; --n)
      t += static_cast<char>('a' + (next() >> 33) % 5);
    terms.push_back(t);
  }
  std::vector<std::string> answers;
  for (size_t shards : {1, 3, 8}) {
    TestServer server(shards);
    TestClient c(server);
    for (size_t i = 0; i < terms.size(); ++i) {
      std::vector<std::string> add = {"FT.SUGADD", "k", terms[i], std::to_string(1 + i % 7),
                                      "INCR"};
      if (i % 3 == 0) add.insert(add.end(), {"PAYLOAD", "p" + std::to_string(i)});
      REQUIRE(c.Run(add).rfind(":", 0) == 0);
    }
    std::string answer;
    for (std::string q : {"", "a", "ab", "cde", "eeee"}) {
      answer += c.Run({"FT.SUGGET", "k", q, "WITHSCORES", "WITHPAYLOADS", "MAX", "12"}) + "\n";
      answer += c.Run({"FT.SUGGET", "k", q, "FUZZY", "WITHPAYLOADS", "MAX", "12"}) + "\n";
    }
    answers.push_back(answer);
  }
  CHECK(answers[1] == answers[0]);
  CHECK(answers[2] == answers[0]);
  CHECK(answers[0].find("\"p") != std::string::npos);
}
