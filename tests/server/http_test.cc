#include "server/http.h"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

namespace typeahead::server {
namespace {

using Status = HttpRequestReader::Status;

// Feeds wire to reader a byte at a time, as a slow client sends it, keeping what each call
// leaves, until the reader is done or refuses: that status, and in *left the unused bytes,
// in *calls the calls made.
Status FeedByteByByte(HttpRequestReader& reader, std::string_view wire, std::string* left,
                      size_t* calls) {
  Status status = Status::kNeedMore;
  *calls = 0;
  left->clear();
  for (char c : wire) {
    *left += c;
    size_t used = 0;
    status = reader.Feed(*left, &used);  // returns at once: never a loop on a partial body
    left->erase(0, used);
    ++*calls;
    if (status != Status::kNeedMore) break;
  }
  return status;
}

TEST_CASE("SniffHttp tells an HTTP request line from RESP by the first bytes") {
  CHECK(SniffHttp("GET /metrics HTTP/1.1\r\n") == Sniff::kHttp);
  CHECK(SniffHttp("HEAD /") == Sniff::kHttp);
  CHECK(SniffHttp("OPTIONS /v1") == Sniff::kHttp);
  CHECK(SniffHttp("*1\r\n$4\r\nPING\r\n") == Sniff::kResp);
  CHECK(SniffHttp("PING\r\n") == Sniff::kResp);
  CHECK(SniffHttp("GET key\r\n") == Sniff::kResp);  // an inline command, not a path
  CHECK(SniffHttp("get /x") == Sniff::kResp);       // methods are upper case
  // A prefix of a request line may still become one; a finished line cannot.
  CHECK(SniffHttp("") == Sniff::kNeedMore);
  CHECK(SniffHttp("GE") == Sniff::kNeedMore);
  CHECK(SniffHttp("GET ") == Sniff::kNeedMore);
  CHECK(SniffHttp("GE\r\n") == Sniff::kResp);
}

TEST_CASE("HttpRequestReader reads a request that arrives a byte at a time") {
  std::string wire = "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer pw\r\n\r\n";
  HttpRequestReader reader;
  std::string pending;
  size_t calls = 0;
  REQUIRE(FeedByteByByte(reader, wire, &pending, &calls) == Status::kDone);
  CHECK(pending.empty());
  CHECK(reader.request().method == "GET");
  CHECK(reader.request().path == "/metrics");
  CHECK(reader.request().query == "x=1");
  CHECK(reader.request().authorization == "Bearer pw");
  CHECK(reader.request().keep_alive);
}

TEST_CASE("HttpRequestReader leaves a pipelined request's successor for the next one") {
  std::string wire =
      "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
      "GET /b HTTP/1.0\r\n\r\n";
  HttpRequestReader reader;
  size_t used = 0;
  REQUIRE(reader.Feed(wire, &used) == Status::kDone);
  CHECK(reader.request().body == "hello");
  std::string rest = wire.substr(used);
  CHECK(rest == "GET /b HTTP/1.0\r\n\r\n");
  reader.Reset(1024);
  REQUIRE(reader.Feed(rest, &used) == Status::kDone);
  CHECK(used == rest.size());
  CHECK(reader.request().path == "/b");
  CHECK_FALSE(reader.request().keep_alive);  // HTTP/1.0 without keep-alive
}

TEST_CASE("HttpRequestReader waits for a body that arrives in pieces, plain or chunked") {
  for (std::string wire : {std::string("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n"
                                       "hello world"),
                           std::string("POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
                                       "chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")}) {
    HttpRequestReader reader;
    std::string pending;
    size_t calls = 0;
    Status status = FeedByteByByte(reader, wire, &pending, &calls);
    CHECK(calls == wire.size());
    REQUIRE(status == Status::kDone);
    CHECK(reader.request().body == "hello world");
  }
}

TEST_CASE("HttpRequestReader reads a chunked body") {
  std::string wire =
      "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  HttpRequestReader reader;
  size_t used = 0;
  REQUIRE(reader.Feed(wire, &used) == Status::kDone);
  CHECK(reader.request().body == "abcde");
  CHECK(used == wire.size());
}

TEST_CASE("HttpRequestReader refuses what passes its limits or is malformed") {
  HttpRequestReader reader;
  size_t used = 0;
  std::string big = "GET / HTTP/1.1\r\nX: " + std::string(HttpRequestReader::kMaxHeaderBytes, 'a');
  CHECK(reader.Feed(big, &used) == Status::kError);
  CHECK(reader.error_status() == 431);

  // The body limit is the one Reset (or the constructor) was given: http-max-body.
  reader.Reset(100);
  CHECK(reader.Feed("POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n", &used) == Status::kError);
  CHECK(reader.error_status() == 413);
  reader.Reset(100);
  std::string exact = "POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x');
  CHECK(reader.Feed(exact, &used) == Status::kDone);

  reader.Reset(1024);
  CHECK(reader.Feed("GET / HTTP/1.1\r\nno colon here\r\n\r\n", &used) == Status::kError);
  CHECK(reader.error_status() == 400);
  CHECK_FALSE(reader.error_text().empty());
}

TEST_CASE("WriteHttpResponse frames the body and says when it closes") {
  std::string out;
  std::pair<std::string_view, std::string_view> allow[] = {{"Allow", "GET"}};
  WriteHttpResponse({.status = 405,
                     .content_type = "text/plain",
                     .body = "no\n",
                     .keep_alive = false,
                     .head = false,
                     .headers = allow},
                    &out);
  CHECK(out ==
        "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
        "Connection: close\r\nAllow: GET\r\n\r\nno\n");
  out.clear();
  WriteHttpResponse({.status = 200,
                     .content_type = "text/plain",
                     .body = "abc",
                     .keep_alive = true,
                     .head = true,
                     .headers = {}},
                    &out);
  CHECK(out.ends_with("Content-Length: 3\r\n\r\n"));
}

TEST_CASE("HttpRequestReader says when a request is half read") {
  HttpRequestReader reader;
  size_t used = 0;
  CHECK_FALSE(reader.mid_request());
  CHECK(reader.Feed("GET /a HTTP/1.1\r\nHo", &used) == Status::kNeedMore);
  CHECK(reader.mid_request());
  std::string rest = std::string("GET /a HTTP/1.1\r\nHo").substr(used) + "st: a\r\n\r\n";
  CHECK(reader.Feed(rest, &used) == Status::kDone);
  CHECK_FALSE(reader.mid_request());
}

TEST_CASE("PercentDecode takes any byte, '+' as a space only in a query") {
  CHECK(PercentDecode("caf%C3%A9", false) == "caf\xC3\xA9");
  CHECK(PercentDecode("caf%e9", false) == "caf\xE9");  // not UTF-8: the byte itself
  CHECK(PercentDecode("a%2Fb", false) == "a/b");
  CHECK(PercentDecode("%00", false) == std::string(1, '\0'));
  CHECK(PercentDecode("a+b", false) == "a+b");
  CHECK(PercentDecode("a+b", true) == "a b");
  CHECK(PercentDecode("a%2Bb", true) == "a+b");
  CHECK_FALSE(PercentDecode("%", false).has_value());
  CHECK_FALSE(PercentDecode("%4", false).has_value());
  CHECK_FALSE(PercentDecode("%zz", false).has_value());
}

TEST_CASE("PercentEncode keeps the unreserved bytes and round-trips through PercentDecode") {
  CHECK(PercentEncode("a-b_c.d~e") == "a-b_c.d~e");
  CHECK(PercentEncode("a b/\xE9") == "a%20b%2F%E9");
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  CHECK(PercentDecode(PercentEncode(all), false) == all);
}

TEST_CASE("ForEachQueryParam splits pairs and keeps them encoded") {
  std::vector<std::pair<std::string, std::string>> seen;
  ForEachQueryParam("prefix=a%20b&&k=10&withscores", [&](std::string_view n, std::string_view v) {
    seen.emplace_back(n, v);
    return true;
  });
  REQUIRE(seen.size() == 3);
  CHECK(seen[0] == std::pair<std::string, std::string>{"prefix", "a%20b"});
  CHECK(seen[1] == std::pair<std::string, std::string>{"k", "10"});
  CHECK(seen[2] == std::pair<std::string, std::string>{"withscores", ""});
}

}  // namespace
}  // namespace typeahead::server
