#include "replication/stream_applier.h"

#include <algorithm>
#include <span>

#include "protocol/ascii.h"
#include "protocol/number.h"
#include "storage/mutation.h"
#include "storage/routing.h"

namespace typeahead::replication {

void StreamApplier::Reset() {
  cuts_.clear();
  cut_bytes_ = 0;
  partition_ = -1;
  partitions_ = 0;
  seq_ = 0;
  ack_requested = false;
}

bool StreamApplier::Consume(std::string_view data, size_t* used) {
  *used = 0;
  while (*used < data.size()) {
    if (cut_bytes_ == 0 && !cuts_.empty()) cuts_.clear();
    auto status = parser_.Parse(data.substr(*used));
    if (status == protocol::RespParser::Status::kNeedMore) break;
    if (status == protocol::RespParser::Status::kError) {
      error_ = parser_.error();
      return false;
    }
    size_t size = parser_.consumed();
    const auto& args = parser_.args();
    *used += size;
    // Whether this command starts inside the window the cuts apply to.
    bool cuts_apply = cut_bytes_ > 0;
    cut_bytes_ -= std::min<uint64_t>(cut_bytes_, size);
    if (args.empty()) continue;
    if (EqualsIgnoreCase(args[0], "REPLCONF")) {
      int64_t p, n, seq;
      if (args.size() == 5 && EqualsIgnoreCase(args[1], "PARTITION") &&
          protocol::ParseInt64(args[2], &p) && protocol::ParseInt64(args[3], &n) &&
          protocol::ParseInt64(args[4], &seq) && n > 0 && p >= 0 && p < n && seq >= 0) {
        partition_ = p;
        partitions_ = static_cast<uint32_t>(n);
        seq_ = static_cast<uint64_t>(seq);
      } else if (args.size() >= 2 && EqualsIgnoreCase(args[1], "GETACK")) {
        ack_requested = true;
      }
      continue;
    }
    if (EqualsIgnoreCase(args[0], "PING") || EqualsIgnoreCase(args[0], "SELECT")) continue;
    uint64_t seq = seq_;
    seq_ += size;
    if (cuts_apply && partition_ >= 0 && static_cast<size_t>(partition_) < cuts_.size() &&
        seq < cuts_[partition_]) {
      ++skipped;
      continue;
    }
    Route(args);
  }
  return true;
}

void StreamApplier::Add(size_t shard, std::span<const std::string_view> args, int32_t source) {
  Batch& b = batches_[shard];
  b.ops.push_back({static_cast<uint32_t>(b.args.size()), static_cast<uint32_t>(args.size()), source,
                   partitions_});
  b.args.insert(b.args.end(), args.begin(), args.end());
}

void StreamApplier::Route(const std::vector<std::string_view>& args) {
  size_t shards = batches_.size();
  storage::Mutation m;
  if (!storage::DecodeMutation(args, &m)) {
    ++unknown;
    return;
  }
  switch (m.kind) {
    case storage::MutationKind::kIncrement:
    case storage::MutationKind::kSuggest:
      Add(storage::PartitionOfTerm(m.term, shards), args);
      return;
    case storage::MutationKind::kEraseTerms:
      // Each shard gets the terms it holds, in one record of its own.
      for (size_t s = 0; s < shards; ++s) {
        scratch_.assign(args.begin(), args.begin() + 2);
        for (std::string_view term : m.names) {
          if (!term.empty() && storage::PartitionOfTerm(term, shards) == s) {
            scratch_.push_back(term);
          }
        }
        if (scratch_.size() > 2) Add(s, scratch_);
      }
      return;
    case storage::MutationKind::kEraseKeys:
    case storage::MutationKind::kRename:
    case storage::MutationKind::kDecay:
    case storage::MutationKind::kClear:
      if (partition_ < 0) {
        ++unknown;
        return;
      }
      if (partitions_ == shards) {
        Add(static_cast<size_t>(partition_), args);
      } else {
        for (size_t s = 0; s < shards; ++s) Add(s, args, static_cast<int32_t>(partition_));
      }
      return;
  }
}

}  // namespace typeahead::replication
