#include "storage/dictionary.h"

#include <algorithm>

namespace typeahead::storage {
namespace {
// A red-black tree node: three pointers, a colour word, the key and the value.
constexpr size_t kNodeOverhead = 32 + sizeof(std::string) + sizeof(int64_t);

size_t TermBytes(std::string_view term) {
  return kNodeOverhead + (term.size() > 15 ? term.size() + 1 : 0);
}
}  // namespace

OpResult<int64_t> Dictionary::IncrBy(std::string_view term, int64_t delta) {
  auto it = terms_.find(term);
  if (it == terms_.end()) {
    if (delta <= 0) return int64_t{0};
    terms_.emplace(std::string(term), delta);
    bytes_ += TermBytes(term);
    return delta;
  }
  int64_t next;
  if (__builtin_add_overflow(it->second, delta, &next)) return OpStatus::kOverflow;
  if (next <= 0) {
    bytes_ -= TermBytes(term);
    terms_.erase(it);
    return int64_t{0};
  }
  it->second = next;
  return next;
}

std::optional<int64_t> Dictionary::Score(std::string_view term) const {
  auto it = terms_.find(term);
  if (it == terms_.end()) return std::nullopt;
  return it->second;
}

bool Dictionary::Erase(std::string_view term) {
  auto it = terms_.find(term);
  if (it == terms_.end()) return false;
  bytes_ -= TermBytes(term);
  terms_.erase(it);
  return true;
}

void Dictionary::TopK(std::string_view prefix, size_t k, std::vector<Scored>* out) const {
  if (k == 0) return;
  // A max-heap under RanksBefore keeps the worst of the k best at the front.
  std::vector<Scored> heap;
  heap.reserve(std::min(k, terms_.size()));
  for (auto it = terms_.lower_bound(prefix); it != terms_.end(); ++it) {
    std::string_view term = it->first;
    if (term.substr(0, prefix.size()) != prefix) break;
    Scored s{term, it->second};
    if (heap.size() < k) {
      heap.push_back(s);
      std::push_heap(heap.begin(), heap.end(), RanksBefore);
    } else if (RanksBefore(s, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), RanksBefore);
      heap.back() = s;
      std::push_heap(heap.begin(), heap.end(), RanksBefore);
    }
  }
  std::sort_heap(heap.begin(), heap.end(), RanksBefore);
  out->insert(out->end(), heap.begin(), heap.end());
}

void Dictionary::ForEach(const std::function<void(std::string_view, int64_t)>& fn) const {
  for (const auto& [term, freq] : terms_) fn(term, freq);
}

}  // namespace typeahead::storage
