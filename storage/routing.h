// The rule that spreads one key's terms over the partitions, so a single hot dictionary uses
// every core. Up to 4 partitions a term lives in the partition chosen by its first byte, so
// every prefix but the empty one names exactly one partition. Beyond 4 it is chosen by the
// first two bytes, and prefixes shorter than two bytes fan out.
//
// Why, measured on 1M English-like terms (tools/term_generator.h: English initial-letter skew,
// Zipf frequencies): the fullest partition holds, relative to a fair share of the terms,
//   partitions:        2      3      4      8
//   first byte:     1.17x  1.26x  1.28x  2.17x
//   two bytes:      1.05x  1.03x  1.07x  1.35x
// ('s' alone starts 12% of the terms). Up to 4 partitions the first byte is balanced enough
// and keeps single-letter prefixes, the first keystroke of every query, on one partition; at 8
// it would leave one core with twice its share, so the rule switches to two bytes there.
// The bytes are mixed before the modulo so neighbouring letters spread over partitions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace typeahead::storage {

inline constexpr size_t kTwoByteRoutingAbove = 4;

inline uint32_t MixByte(uint32_t b) { return (b * 2654435761u) >> 16; }

// REQUIRES: !term.empty().
inline size_t PartitionOfTerm(std::string_view term, size_t partitions) {
  uint32_t h = MixByte(static_cast<uint8_t>(term[0]));
  if (partitions > kTwoByteRoutingAbove) {
    // A one-byte term uses 256 as its second "byte": no real byte has that value.
    uint32_t second = term.size() > 1 ? static_cast<uint8_t>(term[1]) : 256;
    h = h * 31 + MixByte(second);
  }
  return h % partitions;
}

// The one partition that holds every term with this prefix, or -1 when the prefix is too
// short to name one and every partition must be asked.
inline ptrdiff_t PartitionOfPrefix(std::string_view prefix, size_t partitions) {
  size_t needed = partitions > kTwoByteRoutingAbove ? 2 : 1;
  if (prefix.size() < needed) return -1;
  return static_cast<ptrdiff_t>(PartitionOfTerm(prefix, partitions));
}

}  // namespace typeahead::storage
