#include "server/json.h"

#include <doctest/doctest.h>

#include <string>

#include "base/utf8.h"

namespace typeahead::server {
namespace {

std::string Json(std::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

TEST_CASE("AppendJsonString copies UTF-8 and escapes what JSON requires") {
  CHECK(Json("apple") == "\"apple\"");
  CHECK(Json("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") ==
        "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  CHECK(Json("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(Json("a\nb\tc\rd") == "\"a\\nb\\tc\\rd\"");
  CHECK(Json(std::string("a\0b\x01", 4)) == "\"a\\u0000b\\u0001\"");
}

TEST_CASE("AppendJsonString writes each byte of an invalid sequence as \\u00XX") {
  CHECK(Json("caf\xE9") == "\"caf\\u00e9\"");                             // Latin-1, not UTF-8
  CHECK(Json("\xC3") == "\"\\u00c3\"");                                   // a sequence cut short
  CHECK(Json("\xC0\xAF") == "\"\\u00c0\\u00af\"");                        // overlong '/'
  CHECK(Json("\xED\xA0\x80") == "\"\\u00ed\\u00a0\\u0080\"");             // a surrogate
  CHECK(Json("\xF4\x90\x80\x80") == "\"\\u00f4\\u0090\\u0080\\u0080\"");  // past U+10FFFF
  CHECK(Json("\xFF"
             "ok") == "\"\\u00ffok\"");
}

TEST_CASE("AppendJsonString says whether it met a byte of no valid sequence") {
  std::string out;
  CHECK(AppendJsonString("caf\xC3\xA9 \"x\"\n", &out));
  CHECK_FALSE(AppendJsonString("caf\xE9", &out));
  CHECK_FALSE(AppendJsonString("\xED\xA0\x80", &out));
  bool valid = true;
  out.clear();
  JsonWriter(&out).String("\xFF", &valid);
  CHECK_FALSE(valid);
  JsonWriter(&out).String("ok", &valid);
  CHECK(valid);
}

TEST_CASE("ValidUtf8 (base/utf8.h) follows RFC 3629") {
  CHECK(ValidUtf8(""));
  CHECK(ValidUtf8("plain"));
  CHECK(ValidUtf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF"));
  CHECK_FALSE(ValidUtf8("\xE9"));
  CHECK_FALSE(ValidUtf8("\xE0\x80\x80"));  // overlong
  CHECK_FALSE(ValidUtf8("\xED\xBF\xBF"));  // a surrogate
  CHECK_FALSE(ValidUtf8("\xF5\x80\x80\x80"));
}

TEST_CASE("JsonWriter places commas and keys") {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("key").String("q").Key("terms").BeginArray();
  w.BeginObject().Key("term").String("a").Key("freq").Int(2).EndObject();
  w.BeginObject().Key("term").String("b").Key("freq").Int(-1).EndObject();
  w.EndArray().Key("ok").Bool(true).Key("empty").BeginArray().EndArray().EndObject();
  CHECK(
      out ==
      R"({"key":"q","terms":[{"term":"a","freq":2},{"term":"b","freq":-1}],"ok":true,"empty":[]})");
}

TEST_CASE("ParseJson reads a body and refuses what is not JSON") {
  std::string error;
  auto v = ParseJson(R"({"term":"caf\u00e9","by":5})", &error);
  REQUIRE(v.has_value());
  CHECK(v->at("term").as_string() == "caf\xC3\xA9");
  CHECK(v->at("by").as_int64() == 5);
  CHECK_FALSE(ParseJson("{\"term\":", &error).has_value());
  CHECK_FALSE(error.empty());
  CHECK_FALSE(ParseJson("{\"term\":\"\xE9\"}", &error).has_value());  // not UTF-8
  CHECK_FALSE(ParseJson("", &error).has_value());
}

}  // namespace
}  // namespace typeahead::server
