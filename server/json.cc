#include "server/json.h"

// Boost.JSON's definitions, compiled here once (its "separately compiled" mode without a
// library to link: Debian's Boost 1.81 ships the headers only).
#include <fmt/format.h>

#include <boost/json/src.hpp>
#include <cmath>

#include "base/utf8.h"

namespace typeahead::server {
bool AppendJsonString(std::string_view s, std::string* out) {
  bool valid = true;
  out->push_back('"');
  size_t plain = 0;  // start of the run not yet copied
  auto flush = [&](size_t end) { out->append(s.data() + plain, end - plain); };
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    size_t n = c >= 0x80 ? Utf8Length(s.substr(i)) : 0;
    if (n > 0) {  // valid multi-byte UTF-8: copied
      i += n;
      continue;
    }
    valid = valid && c < 0x80;
    flush(i);
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:  // a control character, or a byte of no valid sequence
        fmt::format_to(std::back_inserter(*out), "\\u{:04x}", c);
    }
    plain = ++i;
  }
  flush(s.size());
  out->push_back('"');
  return valid;
}

JsonWriter& JsonWriter::Key(std::string_view name) {
  Separate();
  AppendJsonString(name, out_);
  out_->push_back(':');
  first_ = true;  // the value after it takes no comma
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view s, bool* valid_utf8) {
  Separate();
  bool valid = AppendJsonString(s, out_);
  if (valid_utf8 != nullptr) *valid_utf8 = valid;
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t v) {
  Separate();
  fmt::format_to(std::back_inserter(*out_), "{}", v);
  return *this;
}

JsonWriter& JsonWriter::Double(double v) {
  if (std::isinf(v)) return String(v > 0 ? "inf" : "-inf");
  Separate();
  fmt::format_to(std::back_inserter(*out_), "{}", v);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool v) {
  Separate();
  *out_ += v ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::Open(char c) {
  Separate();
  out_->push_back(c);
  first_ = true;
  return *this;
}

JsonWriter& JsonWriter::Close(char c) {
  out_->push_back(c);
  first_ = false;
  return *this;
}

void JsonWriter::Separate() {
  if (!first_) out_->push_back(',');
  first_ = false;
}

std::optional<boost::json::value> ParseJson(std::string_view body, std::string* error) {
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec) {
    *error = ec.message();
    return std::nullopt;
  }
  return v;
}

}  // namespace typeahead::server
