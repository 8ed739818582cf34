#include "protocol/reply_builder.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using typeahead::protocol::ReplyBuilder;

TEST_CASE("ReplyBuilder: RESP2 renders") {
  std::string out;
  ReplyBuilder r(&out);
  r.Simple("OK");
  r.Error("ERR bad\r\nthing");
  r.Integer(-42);
  r.Bulk("hi");
  r.Null();
  r.NullArray();
  r.Map(1);
  r.Set(2);
  r.Double(1.5);
  r.Bool(true);
  r.Verbatim("text");
  CHECK(out ==
        "+OK\r\n-ERR bad  thing\r\n:-42\r\n$2\r\nhi\r\n$-1\r\n*-1\r\n*2\r\n*2\r\n$3\r\n1.5\r\n"
        ":1\r\n$4\r\ntext\r\n");
}

TEST_CASE("ReplyBuilder: RESP3 renders") {
  std::string out;
  ReplyBuilder r(&out);
  r.set_resp3(true);
  r.Null();
  r.NullArray();
  r.Map(1);
  r.Set(2);
  r.Push(3);
  r.Double(1.5);
  r.Bool(false);
  r.Verbatim("text");
  CHECK(out == "_\r\n_\r\n%1\r\n~2\r\n>3\r\n,1.5\r\n#f\r\n=8\r\ntxt:text\r\n");
}

TEST_CASE("ReplyBuilder: doubles print as printf's %.17g, Redis 7.0's ZSCORE format") {
  std::string out;
  typeahead::protocol::ReplyBuilder r(&out);
  uint64_t x = 12345;
  std::vector<double> values = {0,
                                -0.0,
                                1,
                                0.1,
                                1e-5,
                                123456789012345678.0,
                                1e300,
                                5e-324,
                                2.2250738585072014e-308,
                                1.5,
                                -2.75,
                                1e16,
                                1e17,
                                0.30000000000000004};
  for (int i = 0; i < 20000; ++i) {  // random bit patterns: every exponent and mantissa
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    double v;
    std::memcpy(&v, &x, sizeof v);
    if (std::isfinite(v)) values.push_back(v);
  }
  for (double v : values) {
    out.clear();
    r.Double(v);
    char want[64];
    int n = std::snprintf(want, sizeof want, "%.17g", v);
    std::string expect = "$" + std::to_string(n) + "\r\n" + std::string(want, n) + "\r\n";
    REQUIRE_MESSAGE(out == expect, want);
  }
  out.clear();
  r.Double(-INFINITY);
  CHECK(out == "$4\r\n-inf\r\n");
}

TEST_CASE("ReplyBuilder: integer extremes") {
  std::string out;
  ReplyBuilder r(&out);
  r.Integer(INT64_MIN);
  r.Integer(INT64_MAX);
  CHECK(out == ":-9223372036854775808\r\n:9223372036854775807\r\n");
}

TEST_CASE("ReplyBuilder counts its error replies by code, as INFO errorstats shows them") {
  std::string out;
  typeahead::protocol::ReplyBuilder r(&out);
  typeahead::protocol::ErrorCounts counts;
  r.Error("ERR not counted: no counter yet");
  r.set_error_counts(&counts);
  r.Error("WRONGTYPE Operation against a key holding the wrong kind of value");
  r.Error("ERR syntax error");
  r.Error("NOSPACEINTHEFIRSTTHIRTYTWOBYTES_ATALL and then one");
  r.Error("OOM");
  r.Error("ERR again");
  CHECK(counts.total == 5);
  using Codes = std::vector<std::pair<std::string, uint64_t>>;
  CHECK(counts.by_code == Codes{{"WRONGTYPE", 1}, {"ERR", 4}});
  typeahead::protocol::ErrorCounts sum;
  sum.Add(counts);
  sum.Add(counts);
  CHECK(sum.total == 10);
  CHECK(sum.by_code == Codes{{"WRONGTYPE", 2}, {"ERR", 8}});
  for (int i = 0; i < 200; ++i) counts.Count("E" + std::to_string(i) + " x");
  CHECK(counts.by_code.size() == typeahead::protocol::ErrorCounts::kMaxCodes);
  CHECK(counts.total == 205);
}
