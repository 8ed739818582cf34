#include "server/glob.h"

#include <cctype>

#include "protocol/ascii.h"

namespace typeahead::server {
namespace {

char Fold(char c, bool nocase) { return nocase ? AsciiLower(c) : c; }

// Recursion depth is bounded by the number of '*' in the pattern, which the caller's
// argument limits bound; consecutive stars collapse into one.
bool Match(const char* p, const char* pend, const char* s, const char* send, bool nocase) {
  while (p < pend) {
    switch (*p) {
      case '*':
        while (p + 1 < pend && p[1] == '*') ++p;
        if (p + 1 == pend) return true;
        for (const char* t = s; t <= send; ++t) {
          if (Match(p + 1, pend, t, send, nocase)) return true;
        }
        return false;
      case '?':
        if (s == send) return false;
        ++s;
        break;
      case '[': {
        if (s == send) return false;
        ++p;
        bool negate = p < pend && *p == '^';
        if (negate) ++p;
        bool matched = false;
        while (p < pend && *p != ']') {
          if (*p == '\\' && p + 1 < pend) {
            ++p;
            if (Fold(*p, nocase) == Fold(*s, nocase)) matched = true;
          } else if (p + 2 < pend && p[1] == '-' && p[2] != ']') {
            unsigned char lo = Fold(p[0], nocase), hi = Fold(p[2], nocase);
            if (lo > hi) std::swap(lo, hi);
            unsigned char c = Fold(*s, nocase);
            if (c >= lo && c <= hi) matched = true;
            p += 2;
          } else if (Fold(*p, nocase) == Fold(*s, nocase)) {
            matched = true;
          }
          ++p;
        }
        if (p == pend) --p;  // unterminated class: Redis treats the end as ']'
        if (negate) matched = !matched;
        if (!matched) return false;
        ++s;
        break;
      }
      case '\\':
        if (p + 1 < pend) ++p;
        [[fallthrough]];
      default:
        if (s == send || Fold(*p, nocase) != Fold(*s, nocase)) return false;
        ++s;
        break;
    }
    ++p;
  }
  return s == send;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view s, bool nocase) {
  return Match(pattern.data(), pattern.data() + pattern.size(), s.data(), s.data() + s.size(),
               nocase);
}

GlobPattern::GlobPattern(std::string_view pattern) : text_(pattern) {
  size_t special = text_.find_first_of("*?[\\");
  if (special == std::string::npos) {
    shape_ = Shape::kLiteral;
  } else if (special + 1 == text_.size() && text_[special] == '*') {
    shape_ = Shape::kPrefix;
    prefix_ = special;
  }
}

bool GlobPattern::Matches(std::string_view s) const {
  switch (shape_) {
    case Shape::kLiteral:
      return s == text_;
    case Shape::kPrefix:
      return s.starts_with(std::string_view(text_.data(), prefix_));
    case Shape::kGeneral:
      break;
  }
  return GlobMatch(text_, s);
}

}  // namespace typeahead::server
