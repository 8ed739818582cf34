#include "server/json.h"

// Boost.JSON's definitions, compiled here once (its "separately compiled" mode without a
// library to link: Debian's Boost 1.81 ships the headers only).
#include <fmt/format.h>

#include <boost/json/src.hpp>

namespace typeahead::server {
namespace {

// The length of the valid UTF-8 sequence at s[i], or 0 when the byte there does not start one
// (overlong forms, surrogates and code points past U+10FFFF are invalid, as RFC 3629 says).
size_t Utf8Sequence(std::string_view s, size_t i) {
  auto byte = [&](size_t j) { return static_cast<unsigned char>(s[j]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t j = 2; j < n; ++j) {
    if (byte(i + j) < 0x80 || byte(i + j) > 0xBF) return 0;
  }
  return n;
}

}  // namespace

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8Sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  size_t plain = 0;  // start of the run not yet copied
  auto flush = [&](size_t end) { out->append(s.data() + plain, end - plain); };
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    size_t n = c >= 0x80 ? Utf8Sequence(s, i) : 0;
    if (n > 0) {  // valid multi-byte UTF-8: copied
      i += n;
      continue;
    }
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
}

JsonWriter& JsonWriter::Key(std::string_view name) {
  Separate();
  AppendJsonString(name, out_);
  out_->push_back(':');
  first_ = true;  // the value after it takes no comma
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view s) {
  Separate();
  AppendJsonString(s, out_);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t v) {
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
