// The tests' reply reader (tests/server/resp_value.h): every RESP2 and RESP3 type the server
// sends, a reply cut anywhere asks for more, and Render()'s notation.
#include "tests/server/resp_value.h"

#include <doctest/doctest.h>

#include <string>

namespace {
using typeahead::test::ParseReply;
using typeahead::test::ParseStatus;
using typeahead::test::RespValue;

std::string Rendered(std::string_view bytes) {
  RespValue v;
  size_t used = 0;
  std::string error;
  REQUIRE(ParseReply(bytes, &used, &v, &error) == ParseStatus::kOk);
  CHECK(used == bytes.size());
  return v.Render();
}
}  // namespace

TEST_CASE("RespValue: every type the server sends, rendered on one line") {
  CHECK(Rendered("+OK\r\n") == "+OK");
  CHECK(Rendered("-ERR syntax error\r\n") == "-ERR syntax error");
  CHECK(Rendered(":-12\r\n") == ":-12");
  CHECK(Rendered("$5\r\na\r\nbc\r\n") == "\"a\r\nbc\"");
  CHECK(Rendered("$-1\r\n") == "nil");
  CHECK(Rendered("*-1\r\n") == "nil");
  CHECK(Rendered("*0\r\n") == "[]");
  CHECK(Rendered("*2\r\n$1\r\na\r\n*1\r\n:1\r\n") == "[\"a\", [:1]]");
  CHECK(Rendered("_\r\n") == "_");
  CHECK(Rendered(",1.5\r\n") == ",1.5");
  CHECK(Rendered("#t\r\n") == "#t");
  CHECK(Rendered("(12345678901234567890\r\n") == "(12345678901234567890");
  CHECK(Rendered("=8\r\ntxt:a b\n\r\n") == "=txt:a b\n");
  CHECK(Rendered("%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n_\r\n") == "{\"a\": :1, \"b\": _}");
  CHECK(Rendered("~1\r\n+x\r\n") == "~[+x]");
  CHECK(Rendered(">2\r\n$7\r\nmessage\r\n$1\r\nc\r\n") == ">[\"message\", \"c\"]");
}

TEST_CASE("RespValue: a reply cut anywhere needs more, and what follows it is left") {
  std::string reply = "*2\r\n$5\r\napple\r\n%1\r\n+k\r\n:2\r\n";
  for (size_t cut = 0; cut < reply.size(); ++cut) {
    RespValue v;
    size_t used = 0;
    std::string error;
    CAPTURE(cut);
    CHECK(ParseReply(std::string_view(reply).substr(0, cut), &used, &v, &error) ==
          ParseStatus::kNeedMore);
  }
  RespValue v;
  size_t used = 0;
  std::string error;
  REQUIRE(ParseReply(reply + "+next\r\n", &used, &v, &error) == ParseStatus::kOk);
  CHECK(used == reply.size());
  CHECK(v.strings() == std::vector<std::string>{"apple", ""});
  CHECK(ParseReply("?x\r\n", &used, &v, &error) == ParseStatus::kBad);
  CHECK(ParseReply("$3\r\nabcd\r\n", &used, &v, &error) == ParseStatus::kBad);
}
