// The manifest names the files that hold the data, per partition: at most one snapshot (the
// base) and then the log files to replay after it, in order. It is the single switch point of
// a checkpoint: files become live or dead only by a new manifest replacing the old one
// atomically (WriteFileAtomically), as Redis 7's multi-part AOF manifest.
//
// Log offsets are implied: a partition's first log starts at its snapshot's log offset (0
// without a snapshot) and each next log where the previous one ends; recovery checks that
// every record carries exactly the offset this gives.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace typeahead::storage {

struct PartitionFiles {
  std::string snapshot;           // empty: none
  std::vector<std::string> logs;  // in replay order
};

struct Manifest {
  uint64_t generation = 0;  // numbers the files of each checkpoint
  std::vector<PartitionFiles> partitions;

  std::string Serialize() const;
  // False with *error (naming the line) when text is not a manifest.
  static bool Parse(std::string_view text, Manifest* out, std::string* error);

  static std::string SnapshotName(uint64_t generation, size_t partition);
  static std::string LogName(uint64_t generation, size_t partition);
  // True for names this server creates in its directory (so stale ones may be removed).
  static bool IsDataFileName(std::string_view name);
};

inline constexpr std::string_view kManifestName = "typeahead.manifest";
inline constexpr std::string_view kDataDirName = "appendonlydir";

}  // namespace typeahead::storage
