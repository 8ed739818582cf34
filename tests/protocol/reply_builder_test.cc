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
