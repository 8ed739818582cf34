// Random identifiers: Redis's run_id and replication ids, and the end marks of diskless
// payloads. Not for secrets. Thread-safe.
#pragma once

#include <string>

namespace typeahead {

// 40 random lowercase hex characters, as Redis's run_id and replid.
std::string RandomHex40();

}  // namespace typeahead
