#include "storage/huge_pages.h"

#include <sys/mman.h>

#include <cstdint>

namespace typeahead::storage {

bool AdviseHugePages(const void* p, size_t bytes) {
  uintptr_t begin = reinterpret_cast<uintptr_t>(p);
  uintptr_t first = (begin + kHugePageSize - 1) & ~(kHugePageSize - 1);
  uintptr_t last = (begin + bytes) & ~(kHugePageSize - 1);
  if (last <= first) return false;
  return madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE) == 0;
}

}  // namespace typeahead::storage
