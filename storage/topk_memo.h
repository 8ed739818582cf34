// TopKMemo remembers a trie's recent top-k answers, so a hot prefix costs a few lookups instead
// of a walk down the trie and a climb from every result (at 10M terms both are strings of
// cache misses). Two direct-mapped tables of fixed-size slots:
//  - loci: prefix -> the node it leads to, with what the trie needs to confirm the entry
//    still holds (the node's path length and the trie's count of freed nodes);
//  - renderings: node -> the reply bytes rendered for it, one entry per node at most (the last
//    k asked there), so the trie can drop a node's entry with one probe when a write below
//    the node may reorder its terms.
//
// What an entry means is up to the Trie (storage/trie.h), which keeps it true: a rendering is
// used only while its node is marked, and a change below a marked node unmarks it and drops
// the entry; a locus is used only after the trie confirms it. The tables only store, find
// and forget.
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
  // Longer prefixes are not kept: typing prefixes are short.
  static constexpr size_t kMaxPrefix = 25;

  struct Locus {
    uint64_t frees = 0;  // the trie's freed-node count when kept
    uint32_t node = UINT32_MAX;
    uint16_t path_len = 0;  // bytes on the node's path from the root, its own label included
    uint8_t prefix_len = 0;
    char prefix[kMaxPrefix];
  };
  static_assert(sizeof(Locus) == 40);

  // The entry kept for this prefix, or nullptr.
  const Locus* FindLocus(std::string_view prefix) const;
  // Keeps prefix -> node (see Locus), sizing the tables first as Keep does.
  void KeepLocus(std::string_view prefix, uint32_t node, size_t path_len, uint64_t frees,
                 size_t terms);

  // The bytes kept for (node, k), or an empty view.
  std::string_view Find(uint32_t node, uint32_t k) const;
  // Keeps bytes for (node, k) in node's slot, replacing what the slot held. Sizes the table
  // first for a trie of `terms` terms. False when nothing was kept: the bytes are too long, or
  // the trie is too small to be worth a table.
  bool Keep(uint32_t node, uint32_t k, std::string_view bytes, size_t terms);
  // Forgets node's entry, if it has one.
  void Drop(uint32_t node);

  size_t MemoryUsage() const {
    return slots_.capacity() * sizeof(Slot) + loci_.capacity() * sizeof(Locus);
  }
  size_t slots() const { return slots_.size(); }
  uint64_t hits() const { return hits_; }

  // Slots wanted in each table for a trie of `terms` terms: none for a small trie (cheap to
  // answer from its cache-resident nodes), then one per 128 terms up to 64k slots (18.6 MB in
  // all, 1.9 bytes a term at 10M terms), which hold the prefixes that make most of a
  // Zipf-skewed query load.
  static size_t SlotsFor(size_t terms);

 private:
  struct Slot {
    uint32_t node = UINT32_MAX;
    uint16_t k = 0;
    uint8_t len = 0;
    char bytes[kMaxBytes + 1];
  };
  static_assert(sizeof(Slot) == 256);
  size_t Index(uint64_t h) const {
    // Fibonacci hashing: neighbouring ids (siblings, a parent and its children) spread out.
    return static_cast<size_t>((h * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  // Sizes both tables for `terms` terms; false when the trie is too small for them.
  bool Fit(size_t terms);

  std::vector<Slot> slots_;
  std::vector<Locus> loci_;
  unsigned shift_ = 64;
  mutable uint64_t hits_ = 0;
};

}  // namespace typeahead::storage
