// Brute-force reference for the engine's tests: an ordered map of term -> frequency, ranked by
// sorting every match on each query. Obviously right, hopelessly slow.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
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

  // The contract's fuzzy query by brute force: every term's distance from the full table of
  // optimal-string-alignment distances between the query and the term.
  std::vector<storage::ScoredTerm> FuzzyTopK(const std::string& prefix, size_t k, int d,
                                             size_t exact) const {
    exact = std::min(exact, prefix.size());
    std::string_view q = std::string_view(prefix).substr(exact);
    std::vector<storage::ScoredTerm> all;
    for (const auto& [term, freq] : terms_) {
      if (term.compare(0, exact, prefix, 0, exact) != 0 || term.size() < exact) continue;
      int dist = LeastPrefixDistance(q, std::string_view(term).substr(exact));
      if (dist <= d) all.push_back({term, freq, static_cast<uint8_t>(dist)});
    }
    size_t n = std::min(k, all.size());
    std::partial_sort(all.begin(), all.begin() + n, all.end(),
                      [](const auto& a, const auto& b) { return storage::RanksBefore(a, b); });
    all.resize(n);
    return all;
  }
  // min over the prefixes p of t of OSA(q, p): the table's last row, column by column.
  static int LeastPrefixDistance(std::string_view q, std::string_view t) {
    size_t m = q.size();
    // Columns j - 2, j - 1 and j of the table D[i][j], i over q.
    std::vector<int> c2(m + 1), c1(m + 1), c0(m + 1);
    for (size_t i = 0; i <= m; ++i) c1[i] = static_cast<int>(i);
    int least = c1[m];
    for (size_t j = 1; j <= t.size(); ++j) {
      c0[0] = static_cast<int>(j);
      for (size_t i = 1; i <= m; ++i) {
        int v = std::min({c1[i] + 1, c0[i - 1] + 1, c1[i - 1] + (q[i - 1] != t[j - 1] ? 1 : 0)});
        if (i > 1 && j > 1 && q[i - 1] == t[j - 2] && q[i - 2] == t[j - 1]) {
          v = std::min(v, c2[i - 2] + 1);
        }
        c0[i] = v;
      }
      least = std::min(least, c0[m]);
      std::swap(c2, c1);
      std::swap(c1, c0);
    }
    return least;
  }

 private:
  std::map<std::string, int64_t> terms_;
};

// A term of 1 to max_len bytes over a..d: four letters make deep sharing, splits, merges,
// near-duplicates and ties.
template <typename Rng>
std::string RandomTerm(Rng& rng, size_t max_len) {
  std::string s;
  size_t len = 1 + rng() % max_len;
  for (size_t i = 0; i < len; ++i) s.push_back(static_cast<char>('a' + rng() % 4));
  return s;
}

// One write of the differential tests' mix on both the trie and the oracle: increments by 1
// (most), decrements that often remove the term, larger increments, erasures. False when the
// two disagree on the result.
template <typename Rng>
bool RandomWrite(Rng& rng, storage::Trie& d, Oracle& oracle, const std::string& t) {
  uint64_t kind = rng() % 100;
  if (kind < 55) return *d.IncrBy(t, 1) == oracle.IncrBy(t, 1);
  if (kind < 75) {
    int64_t delta = -static_cast<int64_t>(rng() % 3) - 1;
    return *d.IncrBy(t, delta) == oracle.IncrBy(t, delta);
  }
  if (kind < 85) {
    int64_t delta = static_cast<int64_t>(rng() % 5) + 1;
    return *d.IncrBy(t, delta) == oracle.IncrBy(t, delta);
  }
  return d.Erase(t) == oracle.Erase(t);
}

}  // namespace typeahead::test
