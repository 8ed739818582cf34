// Applies one logged mutation (storage/mutation.h) to the partition whose log it came from.
// Each partition's log holds only that partition's part of every change (see
// server/journal.h), so replay never looks at routing: DEL, RENAME and FLUSHALL act on this
// partition alone. The partition emits what changed to its own sink, if it has one (a
// replica's journal); a partition being recovered has none.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/partition.h"

namespace typeahead::storage {

// False with *error when the command is not one the log may hold (a newer format, or a bug).
bool ApplyLogged(Partition* partition, std::span<const std::string_view> args, std::string* error);

// For a replica whose partition count differs from its primary's: applies a key-level
// mutation (DEL, RENAME, FLUSHALL) that the primary's partition `source` of `sources` logged
// to the terms of *partition that rule routes to `source` (storage/routing.h), the only ones
// that mutation touched on the primary. *partition emits term-level mutations (erase terms,
// increments) that redo the same change on it alone. False for any other mutation.
bool ApplyLoggedFrom(Partition* partition, std::span<const std::string_view> args, size_t source,
                     size_t sources, std::string* error);

}  // namespace typeahead::storage
