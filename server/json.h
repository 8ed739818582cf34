// JSON for the HTTP API (server/http_api.h): a writer that appends to a string, and a reader
// of request bodies (Boost.JSON, compiled in json.cc).
//
// Terms are bytes; JSON strings are Unicode. The writer copies valid UTF-8 as it is (escaping
// only what JSON requires: '"', '\\' and control characters), and writes each byte of an
// invalid sequence as \u00XX, so no byte is ever dropped; it says whether it met one, so the
// caller can give the exact bytes another way as well (PercentEncode, server/http.h).
//
// Threading: plain values; no shared state.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace typeahead::server {

// Appends s as a JSON string literal, quotes included; false when s is not valid UTF-8 (base/
// utf8.h).
bool AppendJsonString(std::string_view s, std::string* out);

// Builds one JSON text in order: objects, arrays, members and values. Commas are its
// business; nesting is the caller's (each Begin has its End).
class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}
  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  JsonWriter& Key(std::string_view name);  // the next value is this member's
  // *valid_utf8, when given: whether s was valid UTF-8 (one pass does both).
  JsonWriter& String(std::string_view s, bool* valid_utf8 = nullptr);
  JsonWriter& Int(int64_t v);
  // The shortest decimal that reads back as v; JSON has no infinity, so +-inf is "inf"/"-inf".
  JsonWriter& Double(double v);
  JsonWriter& Bool(bool v);

 private:
  JsonWriter& Open(char c);
  JsonWriter& Close(char c);
  void Separate();  // the comma before a value, unless it follows '{', '[' or a key
  std::string* out_;
  bool first_ = true;
};

// Parses a request body; nullopt, with *error set to what is wrong, when it is not one JSON
// text (invalid UTF-8 in a string is an error).
std::optional<boost::json::value> ParseJson(std::string_view body, std::string* error);

}  // namespace typeahead::server
