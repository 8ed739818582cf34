// ErrorCounts tallies the error replies a ReplyBuilder writes, by code, as Redis's INFO
// errorstats counts them: the code is the text before its first space when that space is
// among the first 32 bytes of the reply ("-WRONGTYPE Operation..." is WRONGTYPE), else ERR.
// At most kMaxCodes distinct codes are kept, as Redis caps them; every error counts in total.
//
// Threading: one per shard (ShardStats), touched only from that shard's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace typeahead::protocol {

struct ErrorCounts {
  static constexpr size_t kMaxCodes = 128;
  uint64_t total = 0;
  std::vector<std::pair<std::string, uint64_t>> by_code;  // in order of first appearance

  // text: the reply without its leading '-', as ReplyBuilder::Error takes it.
  void Count(std::string_view text);
  // Adds other's counts to these (INFO's sum over the shards).
  void Add(const ErrorCounts& other);
};

}  // namespace typeahead::protocol
