// UTF-8 as RFC 3629 defines it, for the places that must show bytes as text: Prometheus label
// values (server/metrics.cc) and JSON strings (server/json.h). Terms and keys are bytes, so
// each of those decides what to do with a byte that starts no valid sequence.
//
// Threading: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace typeahead {

// The length of the valid UTF-8 sequence at the start of v (non-empty), or 0 when its first
// byte starts none: overlong forms, surrogates and code points past U+10FFFF are invalid.
inline size_t Utf8Length(std::string_view v) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(v[i]); };
  auto cont = [&](size_t i) { return i < v.size() && (b(i) & 0xC0) == 0x80; };
  unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F)) return 0;  // overlong, surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) > 0x8F)) return 0;
    return 4;
  }
  return 0;
}

inline bool ValidUtf8(std::string_view s) {
  while (!s.empty()) {
    size_t n = Utf8Length(s);
    if (n == 0) return false;
    s.remove_prefix(n);
  }
  return true;
}

}  // namespace typeahead
