#include "storage/replay.h"

#include <fmt/format.h>

#include "protocol/ascii.h"
#include "protocol/number.h"

namespace typeahead::storage {

bool ApplyLogged(Partition* p, std::span<const std::string_view> args, std::string* error) {
  std::string_view name = args[0];
  size_t n = args.size();
  if (EqualsIgnoreCase(name, "ACRECORD") && n == 3 && !args[2].empty()) {
    if (p->IncrBy(args[1], args[2], 1)) return true;
  } else if (EqualsIgnoreCase(name, "ACINCRBY") && n == 4 && !args[2].empty()) {
    int64_t delta;
    if (protocol::ParseInt64(args[3], &delta) && p->IncrBy(args[1], args[2], delta)) return true;
  } else if (EqualsIgnoreCase(name, "ACDEL") && n >= 3) {
    for (size_t i = 2; i < n; ++i) p->EraseTerm(args[1], args[i]);
    return true;
  } else if (EqualsIgnoreCase(name, "DEL") && n >= 2) {
    for (size_t i = 1; i < n; ++i) p->Erase(args[i]);
    return true;
  } else if (EqualsIgnoreCase(name, "RENAME") && n == 3) {
    if (!p->Rename(args[1], args[2])) p->Erase(args[2]);
    return true;
  } else if (EqualsIgnoreCase(name, "FLUSHALL") && n == 1) {
    p->Clear();
    return true;
  }
  *error = fmt::format("cannot replay '{}' with {} arguments", name.substr(0, 64), n - 1);
  return false;
}

}  // namespace typeahead::storage
