// Integer parsing with Redis's exact rules (string2ll): optional '-', no '+', no leading
// zeros, no spaces, within int64. Used for protocol lengths and command arguments alike, so
// `ERR value is not an integer or out of range` triggers on the same inputs as in Redis.
#pragma once

#include <cstdint>
#include <string_view>

namespace typeahead::protocol {

bool ParseInt64(std::string_view s, int64_t* out);

}  // namespace typeahead::protocol
