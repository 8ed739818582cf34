// The autocomplete commands of the contract, end to end.
#include <doctest/doctest.h>

#include <random>
#include <thread>

#include "tests/integration/server_process.h"
#include "tests/storage/oracle.h"

using namespace typeahead::test;

TEST_CASE("The contract's example, word for word") {
  ServerProcess server;
  auto c = Connect(server.port());
  CHECK(Run(c.get(), {"ACRECORD", "q", "apple"}) == ":1");
  CHECK(Run(c.get(), {"ACRECORD", "q", "apple"}) == ":2");
  CHECK(Run(c.get(), {"ACRECORD", "q", "app"}) == ":1");
  CHECK(Run(c.get(), {"ACRECORD", "q", "application"}) == ":1");
  CHECK(Run(c.get(), {"ACRECORD", "q", "appetite"}) == ":1");
  CHECK(Run(c.get(), {"ACTOPK", "q", "app", "2"}) == "[\"apple\", \"app\"]");
  CHECK(Run(c.get(), {"ACTOPK", "q", "app", "3", "WITHSCORES"}) ==
        "[\"apple\", :2, \"app\", :1, \"appetite\", :1]");
  CHECK(Run(c.get(), {"ACTOPK", "q", "", "10"}) ==
        "[\"apple\", \"app\", \"appetite\", \"application\"]");
  CHECK(Run(c.get(), {"ACTOPK", "q", "zzz", "10"}) == "[]");
  CHECK(Run(c.get(), {"ACTOPK", "missing", "a", "10"}) == "[]");
  CHECK(Run(c.get(), {"ACTOPK", "q", "app", "0"}) == "[]");
  CHECK(Run(c.get(), {"ACTOPK", "q", "app", "9223372036854775807"}).size() > 2);
  CHECK(Run(c.get(), {"ACSCORE", "q", "apple"}) == ":2");
  CHECK(Run(c.get(), {"ACSCORE", "q", "nope"}) == "nil");
  CHECK(Run(c.get(), {"ACCARD", "q"}) == ":4");
  CHECK(Run(c.get(), {"ACCARD", "missing"}) == ":0");
}

TEST_CASE("RESP3 WITHSCORES is an array of pairs") {
  ServerProcess server;
  RawConn raw(server.port());
  raw.Send("HELLO 3\r\n");
  raw.ReadN(1 << 16, 300);
  raw.Roundtrip("ACINCRBY q b 5\r\nACRECORD q a\r\n", ":5\r\n:1\r\n");
  std::string want = "*2\r\n*2\r\n$1\r\nb\r\n:5\r\n*2\r\n$1\r\na\r\n:1\r\n";
  CHECK(raw.Roundtrip("ACTOPK q \"\" 5 withscores\r\n", want) == want);
}

TEST_CASE("ACINCRBY, removal at zero and ACDEL") {
  ServerProcess server;
  auto c = Connect(server.port());
  CHECK(Run(c.get(), {"ACINCRBY", "k", "t", "10"}) == ":10");
  CHECK(Run(c.get(), {"ACINCRBY", "k", "t", "-3"}) == ":7");
  CHECK(Run(c.get(), {"ACINCRBY", "k", "t", "-7"}) == ":0");
  CHECK(Run(c.get(), {"ACSCORE", "k", "t"}) == "nil");
  CHECK(Run(c.get(), {"EXISTS", "k"}) == ":0");
  CHECK(Run(c.get(), {"ACINCRBY", "k", "new", "-1"}) == ":0");
  CHECK(Run(c.get(), {"EXISTS", "k"}) == ":0");
  Run(c.get(), {"ACRECORD", "k", "a"});
  Run(c.get(), {"ACRECORD", "k", "b"});
  Run(c.get(), {"ACRECORD", "k", "zz"});
  CHECK(Run(c.get(), {"ACDEL", "k", "a", "zz", "nope", "a"}) == ":2");
  CHECK(Run(c.get(), {"ACCARD", "k"}) == ":1");
  CHECK(Run(c.get(), {"ACDEL", "k", "b"}) == ":1");
  CHECK(Run(c.get(), {"EXISTS", "k"}) == ":0");  // deleting the last term deletes the key
}

TEST_CASE("Errors use the contract's texts and change nothing") {
  ServerProcess server;
  auto c = Connect(server.port());
  Run(c.get(), {"ACINCRBY", "k", "t", "9223372036854775807"});
  CHECK(Run(c.get(), {"ACRECORD", "k", "t"}) == "-ERR increment or decrement would overflow");
  CHECK(Run(c.get(), {"ACSCORE", "k", "t"}) == ":9223372036854775807");
  CHECK(Run(c.get(), {"ACRECORD", "k", ""}) == "-ERR empty term");
  CHECK(Run(c.get(), {"ACRECORD", "k", std::string(513, 'x')}) ==
        "-ERR term is longer than max-term-length (512 bytes)");
  CHECK(Run(c.get(), {"ACRECORD", "k", std::string(512, 'x')}) == ":1");
  CHECK(Run(c.get(), {"ACINCRBY", "k", "t", "1.5"}) ==
        "-ERR value is not an integer or out of range");
  CHECK(Run(c.get(), {"ACINCRBY", "k", "t", "99999999999999999999"}) ==
        "-ERR value is not an integer or out of range");
  CHECK(Run(c.get(), {"ACTOPK", "k", "t", "x"}) == "-ERR value is not an integer or out of range");
  CHECK(Run(c.get(), {"ACTOPK", "k", "t", "-1"}) == "-ERR value is out of range, must be positive");
  CHECK(Run(c.get(), {"ACTOPK", "k", "t", "1", "WITHSCORE"}) == "-ERR syntax error");
  CHECK(Run(c.get(), {"ACDEL", "k", "t", ""}) == "-ERR empty term");
  CHECK(Run(c.get(), {"ACCARD", "k"}) == ":2");  // the failed ACDEL removed nothing
  CHECK(Run(c.get(), {"CONFIG", "SET", "max-term-length", "4"}) == "+OK");
  CHECK(Run(c.get(), {"ACRECORD", "k", "abcde"}) ==
        "-ERR term is longer than max-term-length (4 bytes)");
}

TEST_CASE("k above max-topk is capped") {
  ServerProcess server({"--max-topk", "3"});
  auto c = Connect(server.port());
  for (const char* t : {"a1", "a2", "a3", "a4", "a5"}) Run(c.get(), {"ACRECORD", "k", t});
  CHECK(Run(c.get(), {"ACTOPK", "k", "a", "100"}) == "[\"a1\", \"a2\", \"a3\"]");
  CHECK(Run(c.get(), {"ACTOPK", "k", "", "100"}) == "[\"a1\", \"a2\", \"a3\"]");
}

TEST_CASE("Binary-safe terms order as unsigned bytes") {
  ServerProcess server;
  auto c = Connect(server.port());
  std::string t1("a\0b", 3), t2("a\xff", 2), t3("a\x01", 2);
  for (const auto& t : {t1, t2, t3}) Run(c.get(), {"ACRECORD", "k", t});
  auto r = Command(c.get(), {"ACTOPK", "k", "a", "10"});
  REQUIRE(r->elements == 3);
  CHECK(std::string(r->element[0]->str, r->element[0]->len) == t1);
  CHECK(std::string(r->element[1]->str, r->element[1]->len) == t3);
  CHECK(std::string(r->element[2]->str, r->element[2]->len) == t2);
}

TEST_CASE("A reply means every later read on any connection sees the write") {
  ServerProcess server({"--threads", "2"});
  std::vector<RedisPtr> conns;
  for (int i = 0; i < 4; ++i) conns.push_back(Connect(server.port()));  // spread over threads
  for (int i = 0; i < 300; ++i) {
    std::string term = std::string(1, static_cast<char>('a' + i % 26)) + std::to_string(i);
    auto& writer = conns[i % 4];
    auto& reader = conns[(i + 1) % 4];
    CHECK(Run(writer.get(), {"ACRECORD", "rt", term}) == ":1");
    CHECK(Run(reader.get(), {"ACSCORE", "rt", term}) == ":1");
    CHECK(Run(reader.get(), {"ACTOPK", "rt", term, "1"}) == "[\"" + term + "\"]");
  }
  CHECK(Run(conns[0].get(), {"ACCARD", "rt"}) == ":300");
}

TEST_CASE("Answers are the same for every thread count and routing rule") {
  // 1 and 3 threads route by the first byte, 8 by the first two (one-letter prefixes fan out).
  for (int threads : {1, 3, 8}) {
    CAPTURE(threads);
    ServerProcess server({"--threads", std::to_string(threads)});
    auto c = Connect(server.port());
    typeahead::test::Oracle oracle;
    std::mt19937_64 rng(threads);
    auto term = [&] {
      std::string s;
      size_t len = 1 + rng() % 4;
      for (size_t i = 0; i < len; ++i) s.push_back(static_cast<char>('a' + rng() % 5));
      return s;
    };
    for (int i = 0; i < 1500; ++i) {
      std::string t = term();
      if (rng() % 5 == 0) {
        CHECK(Run(c.get(), {"ACINCRBY", "k", t, "-1"}) ==
              ":" + std::to_string(oracle.IncrBy(t, -1)));
      } else {
        CHECK(Run(c.get(), {"ACRECORD", "k", t}) == ":" + std::to_string(oracle.IncrBy(t, 1)));
      }
    }
    for (std::string prefix : {"", "a", "b", "ab", "ca", "dde", "zz"}) {
      for (size_t k : {1, 5, 40}) {
        std::string want = "[";
        for (const auto& s : oracle.TopK(prefix, k)) {
          if (want.size() > 1) want += ", ";
          want += "\"" + s.term + "\", :" + std::to_string(s.freq);
        }
        want += "]";
        CHECK(Run(c.get(), {"ACTOPK", "k", prefix, std::to_string(k), "WITHSCORES"}) == want);
      }
    }
    CHECK(Run(c.get(), {"ACCARD", "k"}) == ":" + std::to_string(oracle.size()));
  }
}

TEST_CASE("max-term-length stops at the longest term the engine can hold") {
  ServerProcess server;
  auto c = Connect(server.port());
  CHECK(Run(c.get(), {"CONFIG", "SET", "max-term-length", "65536"})
            .rfind("-ERR CONFIG SET failed", 0) == 0);
  CHECK(Run(c.get(), {"CONFIG", "SET", "max-term-length", "65535"}) == "+OK");
  std::string longest(65535, 'q');
  CHECK(Run(c.get(), {"ACRECORD", "k", longest}) == ":1");
  CHECK(Run(c.get(), {"ACRECORD", "k", longest + "q"}) ==
        "-ERR term is longer than max-term-length (65535 bytes)");
  CHECK(Run(c.get(), {"ACRECORD", "k", longest.substr(0, 40000) + "x"}) == ":1");
  auto top = Command(c.get(), {"ACTOPK", "k", "qq", "5"});
  REQUIRE(top->elements == 2);
  CHECK(top->element[0]->len == 65535);
  CHECK(top->element[1]->len == 40001);
}

TEST_CASE("Repeated top-k queries follow every write, in RESP2 and RESP3 alike") {
  // The partitions keep rendered answers of plain top-k queries (storage/topk_memo.h) once a
  // dictionary is big enough: every answer here must still be the oracle's, write after write.
  ServerProcess server({"--threads", "2"});
  auto c = Connect(server.port());
  RawConn resp3(server.port());
  resp3.Send("HELLO 3\r\n");
  resp3.ReadN(1 << 16, 300);
  Oracle oracle;
  for (int i = 0; i < 3000; ++i) {
    std::string t = std::string(1, static_cast<char>('a' + i % 3)) + std::to_string(i);
    std::string by = std::to_string(i % 50 + 1);
    REQUIRE(Run(c.get(), {"ACINCRBY", "k", t, by}) ==
            ":" + std::to_string(oracle.IncrBy(t, i % 50 + 1)));
  }
  std::mt19937_64 rng(2026);
  // Prefixes of big subtrees (cached lists, kept while their order stands) and of small ones
  // (a150: a150 and a1500..a1509), with writes aimed at both.
  const std::vector<std::string> prefixes = {"a",   "b",    "c",    "a1",  "b2",
                                             "a12", "a150", "b100", "c101"};
  const std::vector<std::string> small = {"a150", "a1503", "a1506", "a1507",
                                          "b100", "b1003", "c101",  "c1016"};
  for (int round = 0; round < 600; ++round) {
    std::string t = rng() % 2 == 0 ? small[rng() % small.size()]
                                   : std::string(1, static_cast<char>('a' + rng() % 3)) +
                                         std::to_string(rng() % 300);
    switch (rng() % 4) {
      case 0:
        CHECK(Run(c.get(), {"ACINCRBY", "k", t, "-20"}) ==
              ":" + std::to_string(oracle.IncrBy(t, -20)));
        break;
      case 1:
        CHECK(Run(c.get(), {"ACDEL", "k", t}) == (oracle.Erase(t) ? ":1" : ":0"));
        break;
      default:
        CHECK(Run(c.get(), {"ACINCRBY", "k", t, "30"}) ==
              ":" + std::to_string(oracle.IncrBy(t, 30)));
    }
    const std::string& prefix = prefixes[rng() % prefixes.size()];
    std::string want = "[", want_raw;
    auto top = oracle.TopK(prefix, 10);
    want_raw = "*" + std::to_string(top.size()) + "\r\n";
    for (const auto& s : top) {
      want += (want.size() > 1 ? ", \"" : "\"") + s.term + "\"";
      want_raw += "$" + std::to_string(s.term.size()) + "\r\n" + s.term + "\r\n";
    }
    want += "]";
    CAPTURE(round);
    CAPTURE(prefix);
    CHECK(Run(c.get(), {"ACTOPK", "k", prefix, "10"}) == want);
    CHECK(Run(c.get(), {"ACTOPK", "k", prefix, "10"}) == want);
    CHECK(resp3.Roundtrip("ACTOPK k " + prefix + " 10\r\n", want_raw) == want_raw);
  }
}
