// Glob matching with Redis's rules (stringmatchlen): '*', '?', '[abc]', '[^a-z]', and '\'
// escapes. Used by KEYS, SCAN MATCH, CONFIG GET and the ACL users' key and channel patterns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace typeahead::server {

bool GlobMatch(std::string_view pattern, std::string_view s, bool nocase = false);

// A pattern kept to be matched on every request (an ACL user's `~a:*`, checked for each key
// a command names). The shapes such patterns mostly have, a literal or a literal with one
// trailing '*', compare as bytes; any other runs GlobMatch. Same answers as GlobMatch.
class GlobPattern {
 public:
  explicit GlobPattern(std::string_view pattern);
  bool Matches(std::string_view s) const;
  const std::string& text() const { return text_; }

 private:
  enum class Shape : uint8_t { kLiteral, kPrefix, kGeneral };
  std::string text_;
  size_t prefix_ = 0;  // kPrefix: the bytes before the '*'
  Shape shape_ = Shape::kGeneral;
};

}  // namespace typeahead::server
