// What the process's memory looks like to the allocator and to the kernel. UsedMemory() is
// the figure maxmemory is checked against on the request path: a relaxed atomic that shard 0
// refreshes every 100 ms, so the check costs no system call and no allocator lock. Like
// Redis's check, it may let the writes of one refresh interval overshoot the limit.
//
// The heap figure is counted, as Redis's zmalloc counts: this file replaces the global
// operator new and delete, and each adds or takes the block's usable size on a counter of
// its thread's own (one writer per counter: no locked instruction, no shared cache line).
// glibc's mallinfo2 gave the same figure by walking every free chunk of every arena: 6-7 ms
// with 10M terms, every 100 ms on shard 0, a stall every client of that shard waited out.
#pragma once

#include <cstdint>

namespace typeahead::server {

// Called once at start-up, before any thread: fixes glibc's mmap threshold at 256 KB. By
// default glibc raises the threshold to the size of each large block freed (up to 32 MB), so
// once the trie's arrays have grown a few times their later copies come from the shard
// threads' arenas, and the old copies stay resident as free holes: at 10M terms on two
// threads, RSS grew 56 B per term against 47 B allocated. Fixed, every large array is its own
// mapping and returns to the kernel when freed (41.6 B per term).
void ConfigureAllocator();

// Bytes the allocator has handed out: the usable size of every live block from operator new
// (under a sanitizer, its allocator's own count). Blocks C libraries take with malloc
// directly (zstd's contexts, stdio's buffers) are not in it.
int64_t HeapBytes();
// Resident set size from /proc/self/statm.
int64_t RssBytes();

void RefreshUsedMemory();
int64_t UsedMemory();
// The most HeapBytes() was at any refresh or call of NotePeakMemory (INFO's used_memory_peak).
int64_t PeakUsedMemory();
void NotePeakMemory(int64_t bytes);

}  // namespace typeahead::server
