#include "storage/log_record.h"

#include <fmt/format.h>

#include <cstring>

#include "protocol/reply_builder.h"
#include "protocol/resp_parser.h"
#include "storage/crc32c.h"

namespace typeahead::storage {
namespace {

constexpr size_t kCrcSpan = 26;  // "#" + offset + " " + length

void PutHex(char* p, uint64_t v, int digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i, v >>= 4) p[i] = kDigits[v & 15];
}

bool GetHex(std::string_view s, uint64_t* out) {
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    v = v << 4 | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

}  // namespace

size_t AppendRecord(std::string* out, uint64_t offset, std::span<const std::string_view> args) {
  size_t start = out->size();
  out->append(kRecordHeaderSize, ' ');
  protocol::ReplyBuilder resp(out);
  resp.Array(args.size());
  for (std::string_view a : args) resp.Bulk(a);
  size_t length = out->size() - start - kRecordHeaderSize;
  char* h = out->data() + start;
  h[0] = '#';
  PutHex(h + 1, offset, 16);
  h[17] = ' ';
  PutHex(h + 18, length, 8);
  h[26] = ' ';
  uint32_t crc = Crc32cExtend(0, h, kCrcSpan);
  crc = Crc32cExtend(crc, h + kRecordHeaderSize, length);
  PutHex(h + 27, crc, 8);
  h[35] = '\r';
  h[36] = '\n';
  return out->size() - start;
}

uint64_t FirstRecordOffset(std::string_view data) {
  uint64_t offset;
  if (data.size() < kRecordHeaderSize || data[0] != '#' || !GetHex(data.substr(1, 16), &offset)) {
    return 0;
  }
  return offset;
}

size_t RecordScanner::Parse(size_t pos, Record* out) {
  std::string_view rest = data_.substr(pos);
  if (rest.size() < kRecordHeaderSize) {
    error_ = fmt::format("{} bytes, less than a record header", rest.size());
    return 0;
  }
  uint64_t offset, length, crc;
  if (rest[0] != '#' || rest[17] != ' ' || rest[26] != ' ' || rest[35] != '\r' ||
      rest[36] != '\n' || !GetHex(rest.substr(1, 16), &offset) ||
      !GetHex(rest.substr(18, 8), &length) || !GetHex(rest.substr(27, 8), &crc)) {
    error_ = "not a record header";
    return 0;
  }
  if (rest.size() - kRecordHeaderSize < length) {
    error_ = fmt::format("the record needs {} payload bytes, {} remain", length,
                         rest.size() - kRecordHeaderSize);
    return 0;
  }
  uint32_t actual = Crc32cExtend(0, rest.data(), kCrcSpan);
  actual = Crc32cExtend(actual, rest.data() + kRecordHeaderSize, length);
  if (actual != crc) {
    error_ = fmt::format("checksum mismatch (stored {:08x}, computed {:08x})", crc, actual);
    return 0;
  }
  if (offset != base_ + pos) {
    error_ = fmt::format("record offset {} where {} was expected", offset, base_ + pos);
    return 0;
  }
  std::string_view payload = rest.substr(kRecordHeaderSize, length);
  protocol::RespParser parser;
  if (parser.Parse(payload) != protocol::RespParser::Status::kCommand ||
      parser.consumed() != payload.size() || parser.inline_command() || parser.args().empty()) {
    error_ = "the payload is not one RESP command";
    return 0;
  }
  out->offset = offset;
  out->args.assign(parser.args().begin(), parser.args().end());
  return kRecordHeaderSize + length;
}

RecordScanner::Status RecordScanner::Next() {
  pos_ = next_;
  if (pos_ == data_.size()) return Status::kEnd;
  if (size_t n = Parse(pos_, &record_); n > 0) {
    next_ = pos_ + n;
    return Status::kRecord;
  }
  // Damage. It is a torn tail unless some valid record starts further on: look for one at
  // every '#' after this point (this runs once, on the error path).
  std::string first_error = error_;
  Record probe;
  for (size_t p = pos_ + 1; p < data_.size(); ++p) {
    const void* hash = std::memchr(data_.data() + p, '#', data_.size() - p);
    if (hash == nullptr) break;
    p = static_cast<const char*>(hash) - data_.data();
    if (Parse(p, &probe) > 0) {
      error_ = fmt::format("{}; a valid record follows at byte {}", first_error, p);
      return Status::kCorrupt;
    }
  }
  error_ = first_error;
  return Status::kTorn;
}

}  // namespace typeahead::storage
