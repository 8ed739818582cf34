// ReplyBuilder appends RESP replies to a connection's output buffer. Every RESP2/RESP3
// difference lives here (maps, sets, nulls, doubles, booleans, verbatim strings), so command
// handlers describe a reply once and each connection renders it in its negotiated protocol.
// Not thread-safe; it writes into a buffer owned by one connection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/error_counts.h"

namespace typeahead::protocol {

class ReplyBuilder {
 public:
  // "*out" must remain live while this builder is in use.
  explicit ReplyBuilder(std::string* out) : out_(out) {}

  void set_resp3(bool on) { resp3_ = on; }
  bool resp3() const { return resp3_; }
  std::string* buffer() { return out_; }
  // Where Error() counts what it writes (INFO errorstats); nullptr: nowhere.
  void set_error_counts(ErrorCounts* counts) { errors_ = counts; }

  void Simple(std::string_view s);
  // text carries its code, e.g. "ERR syntax error". CR/LF in it become spaces, as in Redis.
  void Error(std::string_view text);
  void Integer(int64_t v);
  // A bulk string of len bytes that the caller writes, at once, to the returned address
  // (valid until the next call): lets a reply be spelled in place without a copy.
  char* BulkSpace(size_t len);
  void Bulk(std::string_view s);
  void Null();       // a missing bulk: $-1 (RESP2) or _ (RESP3)
  void NullArray();  // a missing aggregate: *-1 (RESP2) or _ (RESP3)
  void Array(size_t n);
  void Map(size_t pairs);  // RESP2: an array of 2*pairs
  void Set(size_t n);      // RESP2: an array
  void Push(size_t n);     // RESP2: an array
  void Double(double v);   // RESP2: a bulk string
  void Bool(bool v);       // RESP2: integer 1 or 0
  // RESP3 verbatim string ("txt" format); a bulk string in RESP2.
  void Verbatim(std::string_view s);

  void Ok() { Simple("OK"); }

 private:
  void Header(char type, uint64_t n);
  void Signed(char type, int64_t n);

  std::string* out_;
  ErrorCounts* errors_ = nullptr;
  bool resp3_ = false;
};

}  // namespace typeahead::protocol
