#include "protocol/error_counts.h"

#include <algorithm>

namespace typeahead::protocol {

void ErrorCounts::Count(std::string_view text) {
  ++total;
  // The reply's first 32 bytes are '-' and 31 of the text.
  size_t space = text.substr(0, 31).find(' ');
  std::string_view code = space == std::string_view::npos ? "ERR" : text.substr(0, space);
  for (auto& [name, n] : by_code) {
    if (name == code) {
      ++n;
      return;
    }
  }
  if (by_code.size() < kMaxCodes) by_code.emplace_back(code, 1);
}

void ErrorCounts::Add(const ErrorCounts& other) {
  total += other.total;
  for (const auto& [code, n] : other.by_code) {
    auto it = std::find_if(by_code.begin(), by_code.end(),
                           [&](const auto& e) { return e.first == code; });
    if (it != by_code.end()) {
      it->second += n;
    } else if (by_code.size() < kMaxCodes) {
      by_code.emplace_back(code, n);
    }
  }
}

}  // namespace typeahead::protocol
