// The full-sync payload a primary streams to a replica after +FULLRESYNC, inside Redis's
// diskless framing `$EOF:<40-char mark>\r\n ... <mark>`. Both ends are ours, so the content is
// our own: per partition of the primary, its cut seq (see feed.h) and its snapshot file
// (storage/snapshot.h, zstd blocks and a CRC-32C) in chunks, so the primary can send each
// slice as the partition produces it.
//
//   "TAHSYNC1" u32 partitions
//   0x04 i64 partition u32 partitions u64 seq u64 skip   (where the stream that follows resumes)
//   { 0x01 u32 partition u64 cut | 0x02 u32 length bytes }*   (data belongs to the last 0x01)
//   0x03 <mark>
//
// The resume point matters to a replica's replicas: their stream is our primary's, which
// announces partitions only when they change, so they must know whose records come first.
// Cuts apply to the first `skip` bytes of the stream only: every record below a cut was in
// the stream by then (the primary hands each partition's records over before cutting it).
//
// Little-endian. SyncPayloadDecoder takes the bytes in whatever pieces the socket gives.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace typeahead::replication {

std::string PayloadHeader(uint32_t partitions);
std::string PayloadResume(int64_t partition, uint32_t partitions, uint64_t seq, uint64_t skip);
std::string PayloadPartition(uint32_t partition, uint64_t cut);
std::string PayloadData(std::string_view bytes);
std::string PayloadEnd(std::string_view mark);

class SyncPayloadDecoder {
 public:
  explicit SyncPayloadDecoder(std::string mark) : mark_(std::move(mark)) {}

  // Consumes a prefix of input; returns how much. After done() or !error().empty() it
  // consumes nothing more.
  size_t Feed(std::string_view input);
  bool done() const { return done_; }
  const std::string& error() const { return error_; }

  struct Part {
    uint64_t cut = 0;
    std::string snapshot;  // the partition's whole snapshot file
    bool seen = false;
  };
  uint32_t partitions() const { return static_cast<uint32_t>(parts_.size()); }
  std::vector<Part>& parts() { return parts_; }
  struct Resume {
    int64_t partition = -1;  // -1: the stream announces its first partition
    uint32_t partitions = 0;
    uint64_t seq = 0;
    uint64_t skip = 0;  // stream bytes the cuts apply to
  };
  const Resume& resume() const { return resume_; }

 private:
  bool Fail(std::string what);

  std::string mark_;
  std::string pending_;  // an incomplete fixed-size field
  bool have_header_ = false, done_ = false, in_end_ = false;
  size_t data_left_ = 0;
  int64_t current_ = -1;
  std::vector<Part> parts_;
  Resume resume_;
  std::string error_;
};

}  // namespace typeahead::replication
