#include "protocol/reply_builder.h"

#include <doctest/doctest.h>

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
