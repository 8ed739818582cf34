// Brute-force reference for the engine's tests: an ordered map of term -> frequency, ranked by
// sorting every match on each query. Obviously right, hopelessly slow.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "storage/trie.h"

namespace typeahead::test {

class Oracle {
 public:
  // Same contract as Trie::IncrBy, without overflow (tests keep values small).
  int64_t IncrBy(const std::string& term, int64_t delta) {
    auto it = terms_.find(term);
    int64_t next = (it == terms_.end() ? 0 : it->second) + delta;
    if (next <= 0) {
      if (it != terms_.end()) terms_.erase(it);
      return 0;
    }
    terms_[term] = next;
    return next;
  }
  bool Erase(const std::string& term) { return terms_.erase(term) == 1; }
  int64_t Score(const std::string& term) const {
    auto it = terms_.find(term);
    return it == terms_.end() ? 0 : it->second;
  }
  size_t size() const { return terms_.size(); }

  std::vector<storage::ScoredTerm> TopK(const std::string& prefix, size_t k) const {
    std::vector<const std::pair<const std::string, int64_t>*> all;
    for (auto it = terms_.lower_bound(prefix);
         it != terms_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      all.push_back(&*it);
    }
    size_t n = std::min(k, all.size());
    std::partial_sort(all.begin(), all.begin() + n, all.end(), [](auto* a, auto* b) {
      return storage::RanksBefore(a->second, a->first, b->second, b->first);
    });
    std::vector<storage::ScoredTerm> out;
    for (size_t i = 0; i < n; ++i) out.push_back({all[i]->first, all[i]->second});
    return out;
  }

 private:
  std::map<std::string, int64_t> terms_;
};

}  // namespace typeahead::test
