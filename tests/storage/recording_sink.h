// A MutationSink for tests: keeps every mutation it is given, encoded as the journal encodes
// it (storage/mutation.h), so a test can replay them or compare them with what it expects.
#pragma once

#include <string>
#include <vector>

#include "storage/mutation.h"

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

}  // namespace typeahead::testing
