// Fixed-width integers in the byte order of the machine (little-endian on every platform we
// build for), as the snapshot and full-sync formats store them.
#pragma once

#include <cstring>
#include <string>

namespace typeahead::storage {

template <typename T>
void PutFixed(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(v));
}

template <typename T>
T GetFixed(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

}  // namespace typeahead::storage
