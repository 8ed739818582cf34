// Transparent huge pages for the trie's big arrays. At 10M terms the trie is a few hundred MB
// of arrays reached at random, and every new array (they grow by copying) is faulted in page
// by page: in 4 KiB pages that is one fault per 4 KiB copied and a TLB entry per 4 KiB read.
// Advised for huge pages before the copy, the kernel faults 2 MiB at a time.
//
// Only advice: where transparent huge pages are off ("never"), or under an allocator that does
// not give the block its own mapping, the arrays behave as before. The server never forks, so
// the copy-on-write cost that makes Redis turn huge pages off does not apply here.
#pragma once

#include <cstddef>

namespace typeahead::storage {

inline constexpr size_t kHugePageSize = size_t{2} << 20;

// Advises the whole 2 MiB pages inside [p, p + bytes) for huge pages (madvise MADV_HUGEPAGE).
// Returns false when that range holds no whole huge page or the kernel refused the advice.
bool AdviseHugePages(const void* p, size_t bytes);

// c.reserve(capacity), except that a block of at least two huge pages' size is advised before
// the elements move into it (the allocator's block is not 2 MiB-aligned: only from that size on
// does it surely hold a whole huge page). For vectors and strings of trivially copyable elements.
template <typename C>
void ReserveOnHugePages(C& c, size_t capacity) {
  if (capacity <= c.capacity()) return;
  if (capacity * sizeof(typename C::value_type) < 2 * kHugePageSize) {
    c.reserve(capacity);
    return;
  }
  C fresh;
  fresh.reserve(capacity);
  AdviseHugePages(fresh.data(), capacity * sizeof(typename C::value_type));
  fresh.insert(fresh.end(), c.begin(), c.end());
  c.swap(fresh);
}

}  // namespace typeahead::storage
