// Applies one logged command to the partition whose log it came from. Each partition's log
// holds only that partition's part of every change (see server/journal.h), so replay never
// looks at routing: DEL, RENAME and FLUSHALL act on this partition alone.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "storage/partition.h"

namespace typeahead::storage {

// False with *error when the command is not one the log may hold (a newer format, or a bug).
bool ApplyLogged(Partition* partition, std::span<const std::string_view> args, std::string* error);

}  // namespace typeahead::storage
