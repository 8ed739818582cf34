// Recovery loads one partition from its files at start-up: the snapshot, then every log in
// the manifest's order, checking each record's frame, checksum and offset.
// A torn tail of the partition's last log (a crash mid-write, or garbage appended) is cut
// off: the file is truncated there and a warning names the file, offset and bytes dropped.
// Any other damage stops recovery with a message naming the file, the offset and the repair
// tool: guessing there could silently drop acknowledged writes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/manifest.h"
#include "storage/partition.h"
#include "storage/snapshot.h"

namespace typeahead::storage {

struct LoadStats {
  uint64_t snapshot_terms = 0;
  uint64_t records = 0;
  uint64_t log_bytes = 0;      // valid bytes in the partition's logs
  uint64_t log_end = 0;        // the offset where the last log continues
  uint64_t last_log_base = 0;  // the offset of the last log's first byte
  uint64_t snapshot_bytes = 0;
  std::vector<std::string> warnings;
};

// progress (may be null) counts the snapshot's and the logs' bytes as they are loaded.
bool LoadPartitionFiles(const std::string& dir, const PartitionFiles& files, Partition* into,
                        LoadStats* stats, std::string* error, LoadProgress* progress = nullptr);

}  // namespace typeahead::storage
