#include "server/memory_usage.h"

#include <malloc.h>
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// From the sanitizer runtime (GCC ships no header for it).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif
#include <unistd.h>

#include <atomic>
#include <cstdio>

namespace typeahead::server {
namespace {
std::atomic<int64_t> g_used{0};
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// The sanitizers bring their own allocator: glibc's counters would stay near zero.
int64_t HeapBytes() { return static_cast<int64_t>(__sanitizer_get_current_allocated_bytes()); }
#else
int64_t HeapBytes() {
  struct mallinfo2 mi = mallinfo2();  // sums every arena, the shard threads' included
  return static_cast<int64_t>(mi.uordblks + mi.hblkhd);
}
#endif

int64_t RssBytes() {
  FILE* f = fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  long long pages = 0, resident = 0;
  int n = fscanf(f, "%lld %lld", &pages, &resident);
  fclose(f);
  return n == 2 ? resident * sysconf(_SC_PAGESIZE) : 0;
}

void ConfigureAllocator() { mallopt(M_MMAP_THRESHOLD, 256 * 1024); }

void RefreshUsedMemory() { g_used.store(HeapBytes(), std::memory_order_relaxed); }

int64_t UsedMemory() { return g_used.load(std::memory_order_relaxed); }

}  // namespace typeahead::server
