// StreamApplier is a replica's reading of its primary's command stream: it parses whole
// commands and sorts the data changes into one batch per local shard, so each shard applies
// its part with one hop. The stream's own commands are handled here: `REPLCONF PARTITION
// <p> <n> <seq>` says the records that follow come from the primary's partition p of n and
// start at that partition's byte count seq; `REPLCONF GETACK` asks for an ACK; PING keeps
// the link alive.
//
// Routing on the replica, by the kind of each mutation (storage/mutation.h): term-level ones
// (increments, erased terms) go where the replica's own rule puts each term, so primary and
// replica may have different partition counts. Key-level ones (erased keys, rename, clear)
// were logged once per primary partition, each acting on that partition's terms only: with
// equal counts they run on the same partition; otherwise every local shard applies them
// restricted to the source partition's terms (ApplyLoggedFrom).
//
// After a full sync the primary's partition p is in the snapshot up to its cut; records of p
// below the cut are skipped (the snapshot has them), the rest applied.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/resp_parser.h"

namespace typeahead::replication {

class StreamApplier {
 public:
  explicit StreamApplier(size_t shards) : batches_(shards) {}

  // After a full sync: cuts[p] is the primary partition p's seq at its snapshot; they apply
  // to the next `bytes` bytes of the stream (see sync_payload.h).
  void SetCuts(std::vector<uint64_t> cuts, uint64_t bytes) {
    cuts_ = std::move(cuts);
    cut_bytes_ = bytes;
    if (cut_bytes_ == 0) cuts_.clear();
  }
  // A new link: whatever the old one said about partitions no longer holds.
  void Reset();
  // Where the stream resumes after a full sync (see sync_payload.h), or -1.
  void Resume(int64_t partition, uint32_t partitions, uint64_t seq) {
    partition_ = partition;
    partitions_ = partitions;
    seq_ = seq;
  }
  int64_t partition() const { return partition_; }
  uint32_t partitions() const { return partitions_; }
  uint64_t seq() const { return seq_; }

  struct Op {
    uint32_t arg_begin = 0, arg_count = 0;
    // >= 0: a key command restricted to this source partition of `sources` (see above).
    int32_t source = -1;
    uint32_t sources = 0;
  };
  struct Batch {
    std::vector<std::string_view> args;  // views into the bytes given to Consume
    std::vector<Op> ops;
    void Clear() {
      args.clear();
      ops.clear();
    }
  };

  // Parses the whole commands at the front of data into the batches (which the caller applies
  // and clears before the bytes change) and returns the bytes they took. False with error()
  // on a protocol error.
  bool Consume(std::string_view data, size_t* used);
  std::vector<Batch>& batches() { return batches_; }
  // Set when a REPLCONF GETACK was read; the caller clears it after acknowledging.
  bool ack_requested = false;
  // Records skipped because a snapshot held them, and unknown commands ignored.
  uint64_t skipped = 0, unknown = 0;
  const std::string& error() const { return error_; }

 private:
  void Route(const std::vector<std::string_view>& args);
  void Add(size_t shard, std::span<const std::string_view> args, int32_t source = -1);

  std::vector<Batch> batches_;
  protocol::RespParser parser_;
  std::vector<uint64_t> cuts_;
  uint64_t cut_bytes_ = 0;
  int64_t partition_ = -1;  // the primary's partition the next record comes from
  uint32_t partitions_ = 0;
  uint64_t seq_ = 0;  // that partition's byte count at the next record
  std::vector<std::string_view> scratch_;
  std::string error_;
};

}  // namespace typeahead::replication
