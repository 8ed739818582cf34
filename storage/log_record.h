// The append-only log's record framing. A record is one state-changing command, RESP-encoded
// as Redis's AOF (so `tail` shows it and redis-cli --pipe could replay it), behind a fixed
// 37-byte text header:
//
//   #<offset: 16 hex digits> <length: 8 hex digits> <crc: 8 hex digits>\r\n<payload>
//
// offset is the record's first byte in the partition's logical log, counted across every log
// file it ever had, so it only grows and replication can resume from it; a file's first
// record carries the base offset the manifest gives the file, and each next record starts
// where the previous ended. length counts the payload bytes. crc is CRC-32C over the header's
// first 26 bytes ("#offset length") and the payload, so a torn or bit-flipped header is caught
// as surely as a damaged payload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace typeahead::storage {

inline constexpr size_t kRecordHeaderSize = 37;

// Appends one record holding args as a RESP multibulk to *out; returns its size in bytes.
size_t AppendRecord(std::string* out, uint64_t offset, std::span<const std::string_view> args);

// The offset in the first record header of a log file's bytes (0 when it has none): where the
// file says it begins, for tools that read a log without its manifest.
uint64_t FirstRecordOffset(std::string_view data);

struct Record {
  uint64_t offset = 0;
  std::vector<std::string_view> args;  // views into the scanned data
};

// Reads records from a log file's bytes, checking every frame, checksum and offset.
class RecordScanner {
 public:
  enum class Status {
    kRecord,   // record() holds the next record
    kEnd,      // every byte was a valid record
    kTorn,     // the bytes from position() on are no record and no valid record follows:
               // a write cut short by a crash, or garbage appended; cut them off
    kCorrupt,  // a damaged record at position() with valid records after it: refuse to guess
  };

  // data: the whole file; base: the offset of its first byte.
  RecordScanner(std::string_view data, uint64_t base) : data_(data), base_(base) {}

  Status Next();
  const Record& record() const { return record_; }
  // Where the record just returned, or the damage, begins (bytes from the file start).
  size_t position() const { return pos_; }
  // What is wrong at position(), for kTorn and kCorrupt.
  const std::string& error() const { return error_; }

 private:
  // Parses a record at pos. Returns its size, or 0 with error_ set.
  size_t Parse(size_t pos, Record* out);

  std::string_view data_;
  uint64_t base_;
  size_t pos_ = 0, next_ = 0;
  Record record_;
  std::string error_;
};

}  // namespace typeahead::storage
