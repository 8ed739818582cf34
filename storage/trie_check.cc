// What the trie reports about itself rather than what it does: its memory, its parts' sizes,
// and the brute-force invariant check the tests run. Apart because none of it is on a hot path.
#include <algorithm>
#include <string>
#include <vector>

#include "storage/trie.h"

namespace typeahead::storage {

size_t Trie::MemoryUsage() const {
  size_t n = sizeof(*this) + nodes_.capacity() * sizeof(Node) + free_nodes_.capacity() * 4 +
             big_freqs_.capacity() * 8 + free_big_freqs_.capacity() * 4 +
             branch_freqs_.size() * 32 + branch_freqs_.bucket_count() * sizeof(void*) +
             labels_.capacity() + caches_.capacity() * 4 + free_slots_.capacity() * 4 +
             child_pool_.capacity() * 4 + memo_.MemoryUsage();
  for (const auto& f : free_blocks_) n += f.capacity() * 4;
  return n + payloads_.bucket_count() * sizeof(void*) + payload_bytes_;
}

std::string Trie::DebugStats() const {
  size_t cached = nodes_.size() - free_nodes_.size();
  size_t branch_count = branch_count_;
  size_t leaves = 0, internal_terms = 0, slots = caches_.size() / kSlotWidth - free_slots_.size();
  for (const Node& n : nodes_) {
    if (n.label_len == 0) continue;
    if (!(n.flags & kBranch))
      ++leaves;
    else if (n.flags & kTerm)
      ++internal_terms;
  }
  return "terms=" + std::to_string(size()) + " nodes=" + std::to_string(cached) +
         " leaves=" + std::to_string(leaves) + " internal_terms=" + std::to_string(internal_terms) +
         " node_bytes=" + std::to_string(sizeof(Node)) +
         " labels=" + std::to_string(labels_.size()) +
         " live_labels=" + std::to_string(live_label_bytes_) +
         " cache_slots=" + std::to_string(slots) + " branches=" + std::to_string(branch_count) +
         " child_words=" + std::to_string(child_pool_.size()) +
         " rendered_slots=" + std::to_string(memo_.slots()) +
         " capacity_bytes=" + std::to_string(MemoryUsage());
}

std::string Trie::CheckInvariants() const {
  std::string path;
  std::vector<uint32_t> all;
  Enumerate(kRoot, &all);
  if (all.size() != Count(kRoot)) return "root count differs from its terms";
  // Every node reachable from the root, checked one by one.
  std::vector<uint32_t> stack = {kRoot};
  while (!stack.empty()) {
    uint32_t n = stack.back();
    stack.pop_back();
    size_t children = 0;
    int last_byte = -1;
    if (HasBranch(n) && B(n).nchildren == 0) return "branch without children";
    for (uint16_t i = 0; i < NChildren(n); ++i) {
      uint32_t c = ChildIds(n)[i];
      if (ChildBytes(n)[i] != nodes_[c].first_byte) return "child byte differs from its node";
      ++children;
      if (nodes_[c].parent != n) return "bad parent link";
      if (nodes_[c].label_len == 0) return "empty label below the root";
      if (nodes_[c].first_byte != static_cast<uint8_t>(Label(c)[0])) return "stale first byte";
      if (static_cast<int>(nodes_[c].first_byte) <= last_byte) return "siblings out of order";
      last_byte = nodes_[c].first_byte;
      stack.push_back(c);
    }
    if (n != kRoot && !IsTerm(n) && children < 2) return "non-term node without a branch";
    if (IsTerm(n) && Freq(n) <= 0) return "term with frequency <= 0";
    std::vector<uint32_t> terms;
    Enumerate(n, &terms);
    if (terms.size() != Count(n)) return "count differs from the subtree's terms";
    if ((Cache(n) != kNone) != (Count(n) > kCacheSize)) return "cache presence wrong";
    if (Cache(n) == kNone) continue;
    std::vector<ScoredTerm> want;
    for (uint32_t t : terms) {
      ScoredTerm s{std::string(), Freq(t)};
      PathOf(t, &s.term);
      want.push_back(std::move(s));
    }
    std::sort(want.begin(), want.end(),
              [](const auto& a, const auto& b) { return RanksBefore(a, b); });
    const uint32_t* slot = Slot(Cache(n));
    if (slot[0] != kCacheSize) return "cache not full";
    for (size_t i = 0; i < kCacheSize; ++i) {
      PathOf(slot[1 + i], &path);
      if (path != want[i].term || Freq(slot[1 + i]) != want[i].freq) {
        PathOf(n, &path);
        return "cache of '" + path + "' differs at position " + std::to_string(i);
      }
    }
    if (slot[kFloor] != FloorOf(want[kCacheSize - 1].freq)) {
      return "cache floor differs from its last term's frequency";
    }
  }
  size_t payload_bytes = 0;
  for (const auto& [term, payload] : payloads_) {
    if (!Score(term)) return "a payload outlives its term";
    if (payload.empty()) return "an empty payload is kept";
    payload_bytes += PayloadNodeBytes(term, payload);
  }
  if (payload_bytes != payload_bytes_) return "payload bytes miscounted";
  return "";
}

}  // namespace typeahead::storage
