// RespParser turns the bytes a client sent into commands, incrementally: a command may arrive
// split at any byte boundary, and the parser resumes where it stopped instead of rescanning.
// It accepts RESP multibulk frames (`*N\r\n$L\r\n...`) and inline commands (`PING\r\n`, with
// Redis's quoting rules), with Redis's limits and exact protocol error texts.
//
// Contract with the caller (a connection): each call to Parse() gets every unconsumed byte,
// starting at the first byte of the current command. Bytes may be appended between calls and
// the whole block may be moved (buffer compaction), but bytes already passed must not change
// until Parse() has returned kCommand and the caller has dropped consumed() bytes.
// Not thread-safe; one parser per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace typeahead::protocol {

class RespParser {
 public:
  enum class Status {
    kCommand,   // a complete frame: args() (possibly empty: skip it) and consumed() are valid
    kNeedMore,  // the frame is incomplete; call again with more bytes
    kError,     // a protocol error: reply error() and close the connection, as Redis does
  };

  struct Limits {
    size_t max_bulk_len = 512ull * 1024 * 1024;  // proto-max-bulk-len
    size_t max_args = 1024 * 1024;               // arguments per multibulk command
    size_t max_inline = 64 * 1024;               // inline request / count line length
  };
  // Before AUTH, as Redis: at most kUnauthArgs arguments of at most kUnauthBulk bytes, so a
  // stranger cannot make us hold large requests.
  static constexpr int64_t kUnauthArgs = 10;
  static constexpr int64_t kUnauthBulk = 16384;

  RespParser() = default;
  explicit RespParser(Limits limits) : limits_(limits) {}

  void set_limits(const Limits& limits) { limits_ = limits; }
  // While set, the unauthenticated limits above apply too.
  void set_unauthenticated(bool on) { unauthenticated_ = on; }
  const Limits& limits() const { return limits_; }

  Status Parse(std::string_view data);

  // Valid after kCommand until the next Parse(); views point into the data passed to Parse()
  // (multibulk) or into the parser (inline arguments, which are unescaped).
  const std::vector<std::string_view>& args() const { return args_; }
  // True when the last command was inline: its args() live in the parser and are overwritten
  // by the next Parse(), unlike multibulk args, which point into the caller's bytes.
  bool inline_command() const { return inline_; }
  // Bytes the last complete frame occupied. Valid after kCommand.
  size_t consumed() const { return consumed_; }
  // The error reply text (without the leading '-'), valid after kError.
  const std::string& error() const { return error_; }
  // A lower bound for the bytes the current frame still needs (so a caller can reserve room
  // for a large bulk instead of growing its buffer step by step). 0 when unknown.
  size_t bytes_hint() const { return hint_; }

  // Splits an inline request line as Redis's sdssplitargs does. Returns false on unbalanced
  // quotes. Exposed for tests and for the config file reader.
  static bool SplitArgs(std::string_view line, std::vector<std::string>* out);

 private:
  Status ParseInline(std::string_view data);
  Status ParseMultibulk(std::string_view data);
  Status Fail(std::string_view what);
  // The fast path for a bulk header at pos_: true when it was read (bulk_len_, pos_ set).
  bool ParseShortBulkHeader(std::string_view data);
  Status Complete(std::string_view data, size_t end);
  void ResetFrame();

  Limits limits_;
  bool unauthenticated_ = false;
  // Progress through the current multibulk frame; offsets are relative to its first byte.
  size_t pos_ = 0;
  int64_t remaining_ = -1;  // arguments still to read, -1 before the count line
  int64_t bulk_len_ = -1;   // length of the argument being read, -1 before its header
  std::vector<std::pair<size_t, size_t>> spans_;
  size_t hint_ = 0;

  std::vector<std::string_view> args_;
  std::vector<std::string> inline_args_;
  size_t consumed_ = 0;
  bool inline_ = false;
  std::string error_;
};

}  // namespace typeahead::protocol
