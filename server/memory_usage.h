// What the process's memory looks like to the allocator and to the kernel. UsedMemory() is
// the figure maxmemory is checked against on the request path: a relaxed atomic that shard 0
// refreshes every 100 ms, so the check costs no system call and no allocator lock. Like
// Redis's check, it may let the writes of one refresh interval overshoot the limit.
#pragma once

#include <cstdint>

namespace typeahead::server {

// Bytes the allocator has handed out (mallinfo2: in use from the arenas plus mmapped blocks;
// under a sanitizer, its allocator's own count).
int64_t HeapBytes();
// Resident set size from /proc/self/statm.
int64_t RssBytes();

void RefreshUsedMemory();
int64_t UsedMemory();

}  // namespace typeahead::server
