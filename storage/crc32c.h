// CRC-32C (Castagnoli), the checksum of log records and snapshot blocks: the polynomial
// iSCSI, ext4 and LevelDB use, computed with the SSE4.2 crc32 instruction where the CPU has
// it and a table otherwise. Extend() chains: Crc32c(a + b) == Extend(Crc32c(a), b).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace typeahead::storage {

uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n);
inline uint32_t Crc32c(std::string_view s) { return Crc32cExtend(0, s.data(), s.size()); }

}  // namespace typeahead::storage
