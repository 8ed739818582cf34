#include "protocol/reply_builder.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace typeahead::protocol {

namespace {
// "<type><n>\r\n" into buf (at least 24 bytes); returns the length. Small counts and lengths
// are by far the most common: they skip the general conversion.
inline size_t FormatHeader(char* buf, char type, uint64_t n) {
  buf[0] = type;
  char* p = buf + 1;
  if (n < 10) {
    *p++ = static_cast<char>('0' + n);
  } else if (n < 100) {
    *p++ = static_cast<char>('0' + n / 10);
    *p++ = static_cast<char>('0' + n % 10);
  } else {
    p = std::to_chars(p, buf + 22, n).ptr;
  }
  *p++ = '\r';
  *p++ = '\n';
  return static_cast<size_t>(p - buf);
}
}  // namespace

void ReplyBuilder::Header(char type, uint64_t n) {
  char buf[24];
  out_->append(buf, FormatHeader(buf, type, n));
}

void ReplyBuilder::Signed(char type, int64_t n) {
  char buf[24];
  buf[0] = type;
  auto r = std::to_chars(buf + 1, buf + sizeof(buf), n);
  out_->append(buf, r.ptr);
  out_->append("\r\n", 2);
}

void ReplyBuilder::Simple(std::string_view s) {
  size_t at = out_->size();
  out_->resize(at + s.size() + 3);  // one size change, as in Bulk
  char* p = out_->data() + at;
  p[0] = '+';
  if (!s.empty()) std::memcpy(p + 1, s.data(), s.size());
  p[s.size() + 1] = '\r';
  p[s.size() + 2] = '\n';
}

void ReplyBuilder::Error(std::string_view text) {
  if (errors_ != nullptr) errors_->Count(text);
  out_->push_back('-');
  size_t start = out_->size();
  out_->append(text);
  for (size_t i = start; i < out_->size(); ++i) {
    if ((*out_)[i] == '\r' || (*out_)[i] == '\n') (*out_)[i] = ' ';
  }
  out_->append("\r\n", 2);
}

void ReplyBuilder::Integer(int64_t v) { Signed(':', v); }

void ReplyBuilder::Bulk(std::string_view s) {
  char head[24];
  size_t head_len = FormatHeader(head, '$', s.size());
  // One size change for the whole element instead of three appends.
  size_t at = out_->size();
  out_->resize(at + head_len + s.size() + 2);
  char* p = out_->data() + at;
  std::memcpy(p, head, head_len);
  if (!s.empty()) std::memcpy(p + head_len, s.data(), s.size());
  p[head_len + s.size()] = '\r';
  p[head_len + s.size() + 1] = '\n';
}

char* ReplyBuilder::BulkSpace(size_t len) {
  char head[24];
  size_t head_len = FormatHeader(head, '$', len);
  size_t at = out_->size();
  out_->resize(at + head_len + len + 2);
  char* p = out_->data() + at;
  std::memcpy(p, head, head_len);
  p[head_len + len] = '\r';
  p[head_len + len + 1] = '\n';
  return p + head_len;
}

void ReplyBuilder::Null() {
  if (resp3_) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("$-1\r\n", 5);
  }
}

void ReplyBuilder::NullArray() {
  if (resp3_) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("*-1\r\n", 5);
  }
}

void ReplyBuilder::Array(size_t n) { Header('*', n); }
void ReplyBuilder::Map(size_t pairs) { resp3_ ? Header('%', pairs) : Header('*', pairs * 2); }
void ReplyBuilder::Set(size_t n) { Header(resp3_ ? '~' : '*', n); }
void ReplyBuilder::Push(size_t n) { Header(resp3_ ? '>' : '*', n); }

void ReplyBuilder::Double(double v) {
  char buf[64];
  size_t len;
  if (std::isinf(v)) {
    len = v > 0 ? 3 : 4;
    std::memcpy(buf, v > 0 ? "inf" : "-inf", len);
  } else {
    // Redis 7.0's %.17g: to_chars with a precision is printf's %.*g, the same digits (both
    // exact), at a twelfth of snprintf's cost and 0.4 of fmt's: decaying keys reply a double
    // per write.
    len = static_cast<size_t>(
        std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general, 17).ptr - buf);
  }
  if (resp3_) {
    out_->push_back(',');
    out_->append(buf, len);
    out_->append("\r\n", 2);
  } else {
    Bulk(std::string_view(buf, len));
  }
}

void ReplyBuilder::Bool(bool v) {
  if (resp3_) {
    out_->append(v ? "#t\r\n" : "#f\r\n", 4);
  } else {
    Integer(v ? 1 : 0);
  }
}

void ReplyBuilder::Verbatim(std::string_view s) {
  if (!resp3_) return Bulk(s);
  Header('=', s.size() + 4);
  out_->append("txt:", 4);
  out_->append(s);
  out_->append("\r\n", 2);
}

}  // namespace typeahead::protocol
