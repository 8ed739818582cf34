#include "protocol/resp_parser.h"

#include <algorithm>
#include <cstring>

#include "protocol/number.h"

namespace typeahead::protocol {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool RespParser::SplitArgs(std::string_view line, std::vector<std::string>* out) {
  out->clear();
  // Redis splits a NUL-terminated copy, so an embedded NUL ends the line.
  if (auto nul = line.find('\0'); nul != std::string_view::npos) line = line.substr(0, nul);
  const char* p = line.data();
  const char* end = p + line.size();
  auto at = [&](const char* q) { return q < end ? *q : '\0'; };
  while (true) {
    while (p < end && IsSpace(*p)) ++p;
    if (p >= end) return true;
    bool in_double = false, in_single = false, done = false;
    std::string current;
    while (!done) {
      char c = at(p);
      if (in_double) {
        if (c == '\\' && at(p + 1) == 'x' && HexValue(at(p + 2)) >= 0 && HexValue(at(p + 3)) >= 0) {
          current.push_back(static_cast<char>(HexValue(at(p + 2)) * 16 + HexValue(at(p + 3))));
          p += 3;
        } else if (c == '\\' && at(p + 1) != '\0') {
          ++p;
          switch (*p) {
            case 'n':
              current.push_back('\n');
              break;
            case 'r':
              current.push_back('\r');
              break;
            case 't':
              current.push_back('\t');
              break;
            case 'b':
              current.push_back('\b');
              break;
            case 'a':
              current.push_back('\a');
              break;
            default:
              current.push_back(*p);
              break;
          }
        } else if (c == '"') {
          // A closing quote must be followed by a space or the end of the line.
          if (at(p + 1) != '\0' && !IsSpace(at(p + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;
        } else {
          current.push_back(c);
        }
      } else if (in_single) {
        if (c == '\\' && at(p + 1) == '\'') {
          ++p;
          current.push_back('\'');
        } else if (c == '\'') {
          if (at(p + 1) != '\0' && !IsSpace(at(p + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;
        } else {
          current.push_back(c);
        }
      } else {
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            in_double = true;
            break;
          case '\'':
            in_single = true;
            break;
          default:
            current.push_back(c);
            break;
        }
      }
      if (p < end) ++p;
    }
    out->push_back(std::move(current));
  }
}

void RespParser::ResetFrame() {
  pos_ = 0;
  remaining_ = -1;
  bulk_len_ = -1;
  spans_.clear();
  hint_ = 0;
}

RespParser::Status RespParser::Fail(std::string_view what) {
  error_.assign("ERR Protocol error: ");
  error_.append(what);
  ResetFrame();
  return Status::kError;
}

RespParser::Status RespParser::Parse(std::string_view data) {
  args_.clear();
  if (data.empty()) return Status::kNeedMore;
  inline_ = data[0] != '*';
  if (!inline_) return ParseMultibulk(data);
  return ParseInline(data);
}

RespParser::Status RespParser::ParseInline(std::string_view data) {
  size_t nl = data.find('\n');
  if (nl == std::string_view::npos) {
    if (data.size() > limits_.max_inline) return Fail("too big inline request");
    return Status::kNeedMore;
  }
  size_t len = nl;
  if (len > 0 && data[len - 1] == '\r') --len;
  if (!SplitArgs(data.substr(0, len), &inline_args_)) return Fail("unbalanced quotes in request");
  args_.assign(inline_args_.begin(), inline_args_.end());
  consumed_ = nl + 1;
  return Status::kCommand;
}

RespParser::Status RespParser::ParseMultibulk(std::string_view data) {
  if (remaining_ < 0) {
    size_t cr = data.find('\r');
    if (cr == std::string_view::npos) {
      if (data.size() > limits_.max_inline) return Fail("too big mbulk count string");
      return Status::kNeedMore;
    }
    if (cr + 1 >= data.size()) return Status::kNeedMore;  // the '\n' has not arrived
    int64_t count;
    if (!ParseInt64(data.substr(1, cr - 1), &count) ||
        count > static_cast<int64_t>(limits_.max_args)) {
      return Fail("invalid multibulk length");
    }
    if (unauthenticated_ && count > kUnauthArgs) return Fail("unauthenticated multibulk length");
    pos_ = cr + 2;
    if (count <= 0) return Complete(data, pos_);  // `*0` and `*-1` are ignored, as in Redis
    remaining_ = count;
    spans_.reserve(static_cast<size_t>(count) < 1024 ? count : 1024);
  }
  while (remaining_ > 0) {
    if (bulk_len_ < 0 && ParseShortBulkHeader(data)) {
      // bulk_len_ and pos_ are set
    } else if (bulk_len_ < 0) {
      size_t cr = data.find('\r', pos_);
      if (cr == std::string_view::npos) {
        if (data.size() - pos_ > limits_.max_inline) return Fail("too big bulk count string");
        return Status::kNeedMore;
      }
      if (cr + 1 >= data.size()) return Status::kNeedMore;
      if (data[pos_] != '$') {
        std::string what = "expected '$', got '";
        what.push_back(data[pos_]);
        what.push_back('\'');
        return Fail(what);
      }
      int64_t len;
      if (!ParseInt64(data.substr(pos_ + 1, cr - pos_ - 1), &len) || len < 0 ||
          static_cast<uint64_t>(len) > limits_.max_bulk_len) {
        return Fail("invalid bulk length");
      }
      if (unauthenticated_ && len > kUnauthBulk) return Fail("unauthenticated bulk length");
      bulk_len_ = len;
      pos_ = cr + 2;
    }
    size_t need = static_cast<size_t>(bulk_len_) + 2;
    if (data.size() - pos_ < need) {
      hint_ = need - (data.size() - pos_);
      return Status::kNeedMore;
    }
    spans_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    // Like Redis, the two bytes after the payload are skipped without being checked.
    pos_ += need;
    bulk_len_ = -1;
    --remaining_;
  }
  return Complete(data, pos_);
}

bool RespParser::ParseShortBulkHeader(std::string_view data) {
  // The common header, "$" then 1 to 9 digits without a leading zero then "\r\n", read in one
  // pass; anything else (and the error texts) is left to the general path.
  const char* p = data.data() + pos_;
  const char* end = data.data() + data.size();
  if (end - p < 4 || p[0] != '$' || p[1] < '1' || p[1] > '9') return false;
  int64_t len = p[1] - '0';
  const char* q = p + 2;
  const char* limit = std::min(end, p + 10);
  while (q < limit && static_cast<unsigned>(*q - '0') <= 9) len = len * 10 + (*q++ - '0');
  if (end - q < 2 || q[0] != '\r') return false;
  if (static_cast<uint64_t>(len) > limits_.max_bulk_len) return false;
  if (unauthenticated_ && len > kUnauthBulk) return false;
  bulk_len_ = len;
  pos_ = static_cast<size_t>(q - data.data()) + 2;
  return true;
}

RespParser::Status RespParser::Complete(std::string_view data, size_t end) {
  args_.reserve(spans_.size());
  for (auto [off, len] : spans_) args_.push_back(data.substr(off, len));
  consumed_ = end;
  ResetFrame();
  return Status::kCommand;
}

}  // namespace typeahead::protocol
