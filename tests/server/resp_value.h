// RespValue is one reply as a client reads it, RESP2 or RESP3, for tests to check: the RESP
// type byte it came with, its text or number and its elements. ParseReply reads one from the
// bytes a server sent; Render() writes it on one line in the integration tests' notation
// (tests/integration/server_process.h) extended to RESP3, so a CHECK reads as the reply:
//
//   +OK   -ERR syntax error   :3   "apple"   nil ($-1 or *-1)   [a, b]
//   RESP3: _ (null)   ,1.5 (double)   #t #f   (123 (big number)   =txt:text (verbatim)
//          {k: v, k2: v2} (map)   ~[a, b] (set)   >[a, b] (push)
//
// Plain values; the functions are pure. The reader is for a trusted server's replies in
// tests: it checks the framing, not every limit a production reader would.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace typeahead::test {

enum class RespType : char {
  kSimple = '+',
  kError = '-',
  kInteger = ':',
  kBulk = '$',
  kArray = '*',
  kNull = '_',
  kDouble = ',',
  kBoolean = '#',
  kBigNumber = '(',
  kVerbatim = '=',
  kMap = '%',
  kSet = '~',
  kPush = '>',
};

struct RespValue {
  RespType type = RespType::kNull;
  bool null = false;  // a RESP2 null: $-1 or *-1 (type kBulk or kArray); kNull is always null
  // kSimple, kError, kBulk, kDouble and kBigNumber: the text; kVerbatim: "fmt:text".
  std::string str;
  int64_t integer = 0;  // kInteger; kBoolean: 1 or 0
  // kArray, kSet, kPush: the elements; kMap: key, value, key, value, ...
  std::vector<RespValue> elements;

  bool is_error() const { return type == RespType::kError; }
  bool is_null() const { return null || type == RespType::kNull; }
  // The elements' texts (bulk strings of an array, say), for CHECKs on a list of terms.
  std::vector<std::string> strings() const;
  std::string Render() const;
};

enum class ParseStatus { kOk, kNeedMore, kBad };

// Parses the reply at the start of data. kOk: *out holds it and *used its length in bytes;
// kNeedMore: data ends inside it; kBad: it is no RESP, *error says why.
ParseStatus ParseReply(std::string_view data, size_t* used, RespValue* out, std::string* error);

}  // namespace typeahead::test
