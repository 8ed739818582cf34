// The rule that spreads one key's terms over the partitions, so a single hot dictionary uses
// every core. A term lives in the partition chosen by its first byte; a prefix of one byte or
// more therefore names exactly one partition, and only the empty prefix fans out.
//
// Why the first byte: it keeps every prefix query but the empty one on a single partition.
// Initial letters are skewed (English 's', 'c', 'p' carry far more terms than 'x'), so the
// byte is mixed before the modulo; the engine issue revisits the rule with measurements.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace typeahead::storage {

inline size_t PartitionOfByte(uint8_t b, size_t partitions) {
  // A multiplicative mix spreads neighbouring letters ('a', 'b', ...) over different
  // partitions even when the count divides the alphabet's stride.
  return (static_cast<uint32_t>(b) * 2654435761u >> 16) % partitions;
}

// REQUIRES: !term.empty().
inline size_t PartitionOfTerm(std::string_view term, size_t partitions) {
  return PartitionOfByte(static_cast<uint8_t>(term[0]), partitions);
}

// The one partition that holds every term with this prefix, or -1 when it is the empty prefix
// and every partition must be asked.
inline ptrdiff_t PartitionOfPrefix(std::string_view prefix, size_t partitions) {
  if (prefix.empty()) return -1;
  return static_cast<ptrdiff_t>(PartitionOfTerm(prefix, partitions));
}

}  // namespace typeahead::storage
