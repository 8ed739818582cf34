// Integer parsing with Redis's exact rules (string2ll): optional '-', no '+', no leading
// zeros, no spaces, within int64. Used for protocol lengths and command arguments alike, so
// `ERR value is not an integer or out of range` triggers on the same inputs as in Redis. And
// doubles, for the commands that take a score.
#pragma once

#include <cstdint>
#include <string_view>

namespace typeahead::protocol {

bool ParseInt64(std::string_view s, int64_t* out);

// A double as Redis reads one (strtold over the whole argument): an optional sign, decimal or
// exponent notation, inf; false for anything else, NaN and surrounding spaces included.
bool ParseDouble(std::string_view s, double* out);

}  // namespace typeahead::protocol
