// Dictionary holds one autocomplete key's terms within one partition: term -> frequency, with
// frequency always >= 1 (a term reaching <= 0 is removed), and answers prefix top-k in the
// ranking order of the command contract: frequency descending, then term ascending (memcmp).
//
// This version keeps terms in an ordered map and ranks a prefix's range with a bounded heap:
// exact for every input, O(matching terms) per query. The cached radix trie of the engine
// issue replaces it behind the same interface.
// Not thread-safe: only the owning partition's thread touches it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/op_result.h"

namespace typeahead::storage {

struct Scored {
  std::string_view term;  // points into the dictionary: valid until its next modification
  int64_t freq;
};

// True when a ranks before b: frequency descending, then term ascending bytewise.
inline bool RanksBefore(const Scored& a, const Scored& b) {
  if (a.freq != b.freq) return a.freq > b.freq;
  return a.term < b.term;  // std::string_view compares as unsigned bytes (char_traits<char>)
}

class Dictionary {
 public:
  // Adds delta to term's frequency, inserting it at delta when absent; removes the term when
  // the result is <= 0. Returns the new frequency, 0 when removed or not inserted.
  // On kOverflow nothing changes.
  OpResult<int64_t> IncrBy(std::string_view term, int64_t delta);
  std::optional<int64_t> Score(std::string_view term) const;
  bool Erase(std::string_view term);
  size_t size() const { return terms_.size(); }
  bool empty() const { return terms_.empty(); }

  // Appends up to k best terms matching prefix to *out, in ranking order.
  void TopK(std::string_view prefix, size_t k, std::vector<Scored>* out) const;

  // Calls fn(term, freq) for every term in bytewise order.
  void ForEach(const std::function<void(std::string_view, int64_t)>& fn) const;

  // Bytes owned by this dictionary, approximately (for INFO memory).
  size_t MemoryUsage() const { return bytes_; }

 private:
  std::map<std::string, int64_t, std::less<>> terms_;
  size_t bytes_ = 0;
};

}  // namespace typeahead::storage
