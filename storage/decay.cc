#include "storage/decay.h"

#include <fmt/format.h>

#include "protocol/number.h"

namespace typeahead::storage {

bool ParseEventTime(std::string_view s, int64_t* ms) {
  int64_t t;
  if (!protocol::ParseInt64(s, &t) || t < 0 || t > kMaxEventTime) return false;
  *ms = t;
  return true;
}

bool ParseHalfLife(std::string_view seconds, int64_t* ms) {
  double s;
  if (!protocol::ParseDouble(seconds, &s) || !(s >= 0) || s > kMaxHalfLifeSeconds) return false;
  auto rounded = static_cast<int64_t>(std::llround(s * 1000));
  if (s > 0 && rounded == 0) return false;  // below a millisecond
  *ms = rounded;
  return true;
}

size_t FormatHalfLife(int64_t ms, char* out) {
  return fmt::format_to_n(out, 24, "{}.{:03}", ms / 1000, ms % 1000).size;
}

}  // namespace typeahead::storage
