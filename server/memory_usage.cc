#include "server/memory_usage.h"

#include <malloc.h>
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// From the sanitizer runtime (GCC ships no header for it).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#define TYPEAHEAD_SANITIZER_HEAP 1
#endif
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>

namespace typeahead::server {
namespace {
std::atomic<int64_t> g_used{0};
std::atomic<int64_t> g_peak{0};
}  // namespace

#ifdef TYPEAHEAD_SANITIZER_HEAP
// The sanitizers bring their own allocator and must see every new and delete themselves.
int64_t HeapBytes() { return static_cast<int64_t>(__sanitizer_get_current_allocated_bytes()); }
#else
namespace {
// A counter per thread for the first kOwnCounters threads (shard threads start first), each
// on its own cache line and written by that thread alone; later threads share one, with
// locked adds. A thread's counter may go negative (it frees what another allocated): only
// the sum means anything.
constexpr int kOwnCounters = 64;
struct alignas(64) Counter {
  std::atomic<int64_t> bytes{0};
};
Counter g_own[kOwnCounters];
Counter g_shared;
std::atomic<int> g_next_counter{0};
thread_local int t_counter = -1;  // constant-initialized: no guard on each access

void Count(int64_t delta) {
  int i = t_counter;
  if (i < 0) i = t_counter = g_next_counter.fetch_add(1, std::memory_order_relaxed);
  if (i < kOwnCounters) {
    std::atomic<int64_t>& c = g_own[i].bytes;
    c.store(c.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  } else {
    g_shared.bytes.fetch_add(delta, std::memory_order_relaxed);
  }
}

void* Allocate(size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p != nullptr) Count(static_cast<int64_t>(malloc_usable_size(p)));
  return p;
}

void* AllocateAligned(size_t n, std::align_val_t align) {
  size_t a = static_cast<size_t>(align);
  void* p = nullptr;
  if (posix_memalign(&p, a < sizeof(void*) ? sizeof(void*) : a, n == 0 ? 1 : n) != 0) {
    return nullptr;
  }
  Count(static_cast<int64_t>(malloc_usable_size(p)));
  return p;
}

void Release(void* p) {
  if (p == nullptr) return;
  Count(-static_cast<int64_t>(malloc_usable_size(p)));
  std::free(p);
}
}  // namespace

int64_t HeapBytes() {
  int64_t sum = g_shared.bytes.load(std::memory_order_relaxed);
  for (const Counter& c : g_own) sum += c.bytes.load(std::memory_order_relaxed);
  return sum;
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

void RefreshUsedMemory() {
  int64_t used = HeapBytes();
  g_used.store(used, std::memory_order_relaxed);
  NotePeakMemory(used);
}

int64_t PeakUsedMemory() { return g_peak.load(std::memory_order_relaxed); }

void NotePeakMemory(int64_t bytes) {
  int64_t peak = g_peak.load(std::memory_order_relaxed);
  while (bytes > peak && !g_peak.compare_exchange_weak(peak, bytes, std::memory_order_relaxed)) {
  }
}

int64_t UsedMemory() { return g_used.load(std::memory_order_relaxed); }

}  // namespace typeahead::server

#ifndef TYPEAHEAD_SANITIZER_HEAP
// The replaceable global allocation functions ([new.delete]); the throwing forms throw
// std::bad_alloc when malloc fails.
namespace ts = typeahead::server;

void* operator new(size_t n) {
  void* p = ts::Allocate(n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new[](size_t n) { return ::operator new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return ts::Allocate(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return ts::Allocate(n); }
void* operator new(size_t n, std::align_val_t a) {
  void* p = ts::AllocateAligned(n, a);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new[](size_t n, std::align_val_t a) { return ::operator new(n, a); }
void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return ts::AllocateAligned(n, a);
}
void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return ts::AllocateAligned(n, a);
}

void operator delete(void* p) noexcept { ts::Release(p); }
void operator delete[](void* p) noexcept { ts::Release(p); }
void operator delete(void* p, size_t) noexcept { ts::Release(p); }
void operator delete[](void* p, size_t) noexcept { ts::Release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { ts::Release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { ts::Release(p); }
void operator delete(void* p, std::align_val_t) noexcept { ts::Release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { ts::Release(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { ts::Release(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { ts::Release(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { ts::Release(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  ts::Release(p);
}
#endif
