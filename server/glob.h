// Glob matching with Redis's rules (stringmatchlen): '*', '?', '[abc]', '[^a-z]', and '\'
// escapes. Used by KEYS, SCAN MATCH and CONFIG GET.
#pragma once

#include <string_view>

namespace typeahead::server {

bool GlobMatch(std::string_view pattern, std::string_view s, bool nocase = false);

}  // namespace typeahead::server
