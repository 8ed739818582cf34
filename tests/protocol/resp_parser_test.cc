#include "protocol/resp_parser.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using typeahead::protocol::RespParser;
using Status = RespParser::Status;

namespace {

// Feeds data to a parser the way a connection does: the unconsumed bytes from the start of
// the current command, growing by `step` bytes per read. Returns every command parsed, or
// the error text as the last element prefixed with "ERROR:".
std::vector<std::vector<std::string>> Feed(const std::string& data, size_t step,
                                           RespParser::Limits limits = {}) {
  RespParser p(limits);
  std::vector<std::vector<std::string>> out;
  size_t start = 0, end = 0;
  while (end < data.size()) {
    end = std::min(data.size(), end + step);
    while (start < end) {
      auto st = p.Parse(std::string_view(data).substr(start, end - start));
      if (st == Status::kNeedMore) break;
      if (st == Status::kError) {
        out.push_back({"ERROR:" + p.error()});
        return out;
      }
      std::vector<std::string> cmd(p.args().begin(), p.args().end());
      if (!cmd.empty()) out.push_back(cmd);
      start += p.consumed();
    }
  }
  return out;
}

using Cmds = std::vector<std::vector<std::string>>;

void CheckEveryStep(const std::string& data, const Cmds& want) {
  for (size_t step : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, data.size()}) {
    CAPTURE(step);
    CHECK(Feed(data, step) == want);
  }
}

}  // namespace

TEST_CASE("RespParser: multibulk frames whole and split at every byte") {
  CheckEveryStep("*1\r\n$4\r\nPING\r\n", {{"PING"}});
  CheckEveryStep("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", {{"SET", "k", ""}});
  CheckEveryStep("*2\r\n$4\r\nECHO\r\n$4\r\na\r\nb\r\n", {{"ECHO", "a\r\nb"}});
  std::string binary("*2\r\n$4\r\nECHO\r\n$3\r\n\0\xff\r\r\n", 23);
  CheckEveryStep(binary, {{"ECHO", std::string("\0\xff\r", 3)}});
}

TEST_CASE("RespParser: inline commands whole and split") {
  CheckEveryStep("PING\r\n", {{"PING"}});
  CheckEveryStep("PING\n", {{"PING"}});
  CheckEveryStep("  ECHO   hello  \r\n", {{"ECHO", "hello"}});
  CheckEveryStep("ECHO \"a b\" 'c d'\r\n", {{"ECHO", "a b", "c d"}});
  CheckEveryStep("ECHO \"\\x41\\n\\t\\\\\\\"\"\r\n", {{"ECHO", "A\n\t\\\""}});
  CheckEveryStep("ECHO 'it\\'s'\r\n", {{"ECHO", "it's"}});
  CheckEveryStep("ECHO \"\"\r\n", {{"ECHO", ""}});
}

TEST_CASE("RespParser: empty frames are skipped, as Redis does") {
  CHECK(Feed("\r\n*0\r\n*-10\r\nPING\r\n", 1) == Cmds{{"PING"}});
  CHECK(Feed("\r\n*0\r\n*-10\r\nPING\r\n", 100) == Cmds{{"PING"}});
}

TEST_CASE("RespParser: mixed inline and multibulk pipeline") {
  CheckEveryStep("PING\r\n*2\r\n$4\r\nECHO\r\n$1\r\nx\r\nECHO y\r\n",
                 {{"PING"}, {"ECHO", "x"}, {"ECHO", "y"}});
}

TEST_CASE("RespParser: protocol errors carry Redis's exact texts") {
  auto err = [](const std::string& data) {
    auto out = Feed(data, data.size());
    return out.empty() ? std::string() : out.back()[0];
  };
  CHECK(err("*abc\r\n") == "ERROR:ERR Protocol error: invalid multibulk length");
  CHECK(err("*2000000\r\n") == "ERROR:ERR Protocol error: invalid multibulk length");
  CHECK(err("*1\r\n$-1\r\n") == "ERROR:ERR Protocol error: invalid bulk length");
  CHECK(err("*1\r\n$x\r\n") == "ERROR:ERR Protocol error: invalid bulk length");
  CHECK(err("*1\r\n$600000000\r\n") == "ERROR:ERR Protocol error: invalid bulk length");
  CHECK(err("*1\r\nfoo\r\n") == "ERROR:ERR Protocol error: expected '$', got 'f'");
  CHECK(err("ECHO \"abc\r\n") == "ERROR:ERR Protocol error: unbalanced quotes in request");
  CHECK(err("ECHO \"a\"b\r\n") == "ERROR:ERR Protocol error: unbalanced quotes in request");
  CHECK(err("ECHO 'abc\r\n") == "ERROR:ERR Protocol error: unbalanced quotes in request");
  CHECK(err(std::string(70000, 'a')) == "ERROR:ERR Protocol error: too big inline request");
  CHECK(err("*" + std::string(70000, '1')) ==
        "ERROR:ERR Protocol error: too big mbulk count string");
  CHECK(err("*1\r\n$" + std::string(70000, '1')) ==
        "ERROR:ERR Protocol error: too big bulk count string");
  // Redis's integer rules: no '+', no leading zeros.
  CHECK(err("*+1\r\n") == "ERROR:ERR Protocol error: invalid multibulk length");
  CHECK(err("*1\r\n$01\r\na\r\n") == "ERROR:ERR Protocol error: invalid bulk length");
}

TEST_CASE("RespParser: the errors also fire when the frame arrives byte by byte") {
  CHECK(Feed("*1\r\nfoo\r\n", 1).back()[0] == "ERROR:ERR Protocol error: expected '$', got 'f'");
  CHECK(Feed("*1\r\n$-5\r\n", 1).back()[0] == "ERROR:ERR Protocol error: invalid bulk length");
}

TEST_CASE("RespParser: proto-max-bulk-len is configurable") {
  RespParser::Limits limits;
  limits.max_bulk_len = 5;
  CHECK(Feed("*1\r\n$5\r\nhello\r\n", 1, limits) == Cmds{{"hello"}});
  CHECK(Feed("*1\r\n$6\r\nhello!\r\n", 1, limits) ==
        Cmds{{"ERROR:ERR Protocol error: invalid bulk length"}});
}

TEST_CASE("RespParser: bulk split across reads resumes without rescanning") {
  RespParser p;
  std::string data = "*1\r\n$4\r\nPI";
  CHECK(p.Parse(data) == Status::kNeedMore);
  CHECK(p.bytes_hint() == 4);
  data += "NG\r\n";
  REQUIRE(p.Parse(data) == Status::kCommand);
  CHECK(p.args().size() == 1);
  CHECK(p.args()[0] == "PING");
  CHECK(p.consumed() == data.size());
}

TEST_CASE("RespParser: the buffer may move between calls") {
  RespParser p;
  std::string a = "*2\r\n$4\r\nECHO\r\n$5\r\nhel";
  CHECK(p.Parse(a) == Status::kNeedMore);
  std::string b = a + "lo\r\n";  // a different allocation with the same prefix
  REQUIRE(p.Parse(b) == Status::kCommand);
  CHECK(p.args()[1] == "hello");
  CHECK(p.args()[1].data() >= b.data());
  CHECK(p.args()[1].data() < b.data() + b.size());
}

TEST_CASE("RespParser: 10k pipelined commands in one buffer") {
  std::string data;
  for (int i = 0; i < 10000; ++i) {
    std::string v = std::to_string(i);
    data += "*2\r\n$4\r\nECHO\r\n$" + std::to_string(v.size()) + "\r\n" + v + "\r\n";
  }
  auto cmds = Feed(data, data.size());
  REQUIRE(cmds.size() == 10000);
  for (int i = 0; i < 10000; ++i)
    CHECK(cmds[i] == std::vector<std::string>{"ECHO", std::to_string(i)});
  CHECK(Feed(data, 4096).size() == 10000);
}

TEST_CASE("RespParser::SplitArgs follows sdssplitargs") {
  std::vector<std::string> out;
  CHECK(RespParser::SplitArgs("set \"a\\x4Ab\" 'c'", &out));
  CHECK(out == std::vector<std::string>{"set", "aJb", "c"});
  CHECK(RespParser::SplitArgs("", &out));
  CHECK(out.empty());
  CHECK(RespParser::SplitArgs("   ", &out));
  CHECK(out.empty());
  CHECK_FALSE(RespParser::SplitArgs("\"unterminated", &out));
  CHECK_FALSE(RespParser::SplitArgs("'x'y", &out));
  // An invalid \x escape keeps the characters literally.
  CHECK(RespParser::SplitArgs("\"\\xZZ\"", &out));
  CHECK(out == std::vector<std::string>{"xZZ"});
}

TEST_CASE("RespParser: before AUTH, 10 arguments of 16 KB at most, as Redis") {
  auto parse = [](const std::string& data, bool unauth) {
    RespParser p;
    p.set_unauthenticated(unauth);
    auto st = p.Parse(data);
    return st == Status::kError ? p.error() : std::to_string(p.args().size());
  };
  std::string eleven = "*11\r\n";
  for (int i = 0; i < 11; ++i) eleven += "$1\r\na\r\n";
  CHECK(parse(eleven, false) == "11");
  CHECK(parse(eleven, true) == "ERR Protocol error: unauthenticated multibulk length");
  std::string big = "*1\r\n$16385\r\n" + std::string(16385, 'x') + "\r\n";
  CHECK(parse(big, false) == "1");
  CHECK(parse(big, true) == "ERR Protocol error: unauthenticated bulk length");
  std::string edge = "*1\r\n$16384\r\n" + std::string(16384, 'x') + "\r\n";
  CHECK(parse(edge, true) == "1");
}
