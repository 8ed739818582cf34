// TopKMemo keeps rendered top-k replies by trie node, so a hot prefix is answered by copying
// bytes instead of climbing the trie once per result (at 10M terms each climb is a string of
// cache misses). A direct-mapped table of fixed-size slots, one entry per node at most: the
// last k asked there. One entry per node lets the trie drop a node's entry with one probe when
// a write below the node may reorder its terms.
//
// What an entry means is up to the Trie (storage/trie.h), which keeps it true: an entry is
// used only while its node is marked, and a change below a marked node unmarks it and drops
// the entry. The table itself only stores, finds and forgets bytes.
// Not thread-safe: it belongs to one trie, which belongs to one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace typeahead::storage {

class TopKMemo {
 public:
  // A reply longer than this is not kept; a top-10 of English-like terms takes about 190.
  static constexpr size_t kMaxBytes = 246;

  // The bytes kept for (node, k), or an empty view.
  std::string_view Find(uint32_t node, uint32_t k) const;
  // Keeps bytes for (node, k) in node's slot, replacing what the slot held. Sizes the table
  // first for a trie of `terms` terms. False when nothing was kept: the bytes are too long, or
  // the trie is too small to be worth a table.
  bool Keep(uint32_t node, uint32_t k, std::string_view bytes, size_t terms);
  // Forgets node's entry, if it has one.
  void Drop(uint32_t node);

  size_t MemoryUsage() const { return slots_.capacity() * sizeof(Slot); }
  size_t slots() const { return slots_.size(); }
  uint64_t hits() const { return hits_; }

  // Slots wanted for a trie of `terms` terms: none for a small trie (cheap to answer from its
  // cache-resident nodes), then one per 128 terms up to 64k slots (16 MB, 1.6 bytes a term at
  // 10M terms), which hold the prefixes that make most of a Zipf-skewed query load.
  static size_t SlotsFor(size_t terms);

 private:
  struct Slot {
    uint32_t node = UINT32_MAX;
    uint16_t k = 0;
    uint8_t len = 0;
    char bytes[kMaxBytes + 1];
  };
  static_assert(sizeof(Slot) == 256);
  size_t Index(uint32_t node) const {
    // Fibonacci hashing: neighbouring ids (siblings, a parent and its children) spread out.
    return static_cast<size_t>((node * 0x9E3779B97F4A7C15ull) >> shift_);
  }

  std::vector<Slot> slots_;
  unsigned shift_ = 64;
  mutable uint64_t hits_ = 0;
};

}  // namespace typeahead::storage
