// A MutationSink for tests: keeps every mutation it is given, encoded as the journal encodes
// it (storage/mutation.h), so a test can replay them or compare them with what it expects;
// Replayed() applies them to a fresh partition as a log replay does, and Contents() is a
// partition's every key, decay and stored frequency, bit for bit, to compare two.
#pragma once

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/mutation.h"
#include "storage/partition.h"

namespace typeahead::testing {

class RecordingSink final : public storage::MutationSink {
 public:
  void Apply(const storage::Mutation& m) override {
    auto args = encoder_.Encode(m);
    records.emplace_back(args.begin(), args.end());
  }

  std::vector<std::vector<std::string>> records;

 private:
  storage::MutationEncoder encoder_;
};

using PartitionBits =
    std::map<std::string, std::pair<storage::Decay, std::map<std::string, int64_t>>>;

inline PartitionBits Contents(const storage::Partition& p) {
  PartitionBits out;
  for (const auto& [key, dict] : p.keys()) {
    auto& [decay, terms] = out[key];
    decay = dict.decay();
    dict.ForEach([&terms](std::string_view t, int64_t f) { terms[std::string(t)] = f; });
  }
  return out;
}

inline storage::Partition Replayed(const RecordingSink& sink) {
  storage::Partition replayed;
  for (const auto& record : sink.records) {
    std::vector<std::string_view> args(record.begin(), record.end());
    storage::Mutation m;
    REQUIRE(storage::DecodeMutation(args, &m));
    replayed.Apply(m);
  }
  return replayed;
}

}  // namespace typeahead::testing
