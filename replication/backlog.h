// Backlog is the replication backlog: the last `capacity` bytes of the replication stream, in
// a ring, so a replica that lost its link can be sent what it missed (PSYNC +CONTINUE) instead
// of a full copy. Offsets are Redis's: end() is master_repl_offset, the count of every stream
// byte ever appended; a replica asks for offset + 1, the first byte it lacks.
//
// Invariant: the ring holds exactly the bytes [end() - size(), end()).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace typeahead::replication {

class Backlog {
 public:
  explicit Backlog(size_t capacity) : ring_(capacity, '\0') {}

  void Append(std::string_view bytes);
  // Forgets the content and continues at offset (a replica after a full sync).
  void Reset(uint64_t end);
  // Keeps the newest bytes that fit in capacity.
  void Resize(size_t capacity);

  uint64_t end() const { return end_; }
  size_t size() const { return size_; }
  size_t capacity() const { return ring_.size(); }
  // Redis's repl_backlog_first_byte_offset: the 1-based offset of the oldest byte held.
  uint64_t first_byte_offset() const { return end_ - size_ + 1; }
  // Whether the bytes from 1-based offset `from` up to the end are all held (from may be
  // end() + 1: nothing missing).
  bool Covers(uint64_t from) const { return from >= first_byte_offset() && from <= end_ + 1; }
  // REQUIRES: Covers(from). The held bytes from 1-based offset `from` on.
  std::string CopyFrom(uint64_t from) const;

 private:
  std::string ring_;
  size_t head_ = 0;  // where the next byte goes
  size_t size_ = 0;
  uint64_t end_ = 0;
};

}  // namespace typeahead::replication
