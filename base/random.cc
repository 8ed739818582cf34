#include "base/random.h"

#include <random>

namespace typeahead {

std::string RandomHex40() {
  std::random_device rd;
  static const char kHex[] = "0123456789abcdef";
  std::string s(40, '0');
  for (char& c : s) c = kHex[rd() % 16];
  return s;
}

}  // namespace typeahead
