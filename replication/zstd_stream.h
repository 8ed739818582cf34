// zstd for a replication link (`repl-compression zstd`, offered by the replica with REPLCONF
// compression zstd). Everything after the PSYNC reply line is one zstd stream, flushed at
// every write so the replica can apply what arrived without waiting for more. Offsets and the
// backlog stay in uncompressed bytes: compression is the link's business only.
#pragma once

#include <string>
#include <string_view>

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace typeahead::replication {

class ZstdStreamEncoder {
 public:
  explicit ZstdStreamEncoder(int level);
  ~ZstdStreamEncoder();
  ZstdStreamEncoder(const ZstdStreamEncoder&) = delete;
  ZstdStreamEncoder& operator=(const ZstdStreamEncoder&) = delete;
  // Appends the compressed, flushed form of in to *out. False on a zstd error.
  bool Encode(std::string_view in, std::string* out);

 private:
  ZSTD_CCtx_s* ctx_;
};

class ZstdStreamDecoder {
 public:
  ZstdStreamDecoder();
  ~ZstdStreamDecoder();
  ZstdStreamDecoder(const ZstdStreamDecoder&) = delete;
  ZstdStreamDecoder& operator=(const ZstdStreamDecoder&) = delete;
  // Appends what in decompresses to to *out. False on damaged input.
  bool Decode(std::string_view in, std::string* out);

 private:
  ZSTD_DCtx_s* ctx_;
};

}  // namespace typeahead::replication
