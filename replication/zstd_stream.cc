#include "replication/zstd_stream.h"

#include <zstd.h>

namespace typeahead::replication {

ZstdStreamEncoder::ZstdStreamEncoder(int level) : ctx_(ZSTD_createCCtx()) {
  ZSTD_CCtx_setParameter(ctx_, ZSTD_c_compressionLevel, level);
}

ZstdStreamEncoder::~ZstdStreamEncoder() { ZSTD_freeCCtx(ctx_); }

bool ZstdStreamEncoder::Encode(std::string_view in, std::string* out) {
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  size_t chunk = ZSTD_CStreamOutSize();
  for (;;) {
    size_t at = out->size();
    out->resize(at + chunk);
    ZSTD_outBuffer output{out->data() + at, chunk, 0};
    size_t left = ZSTD_compressStream2(ctx_, &output, &input, ZSTD_e_flush);
    out->resize(at + output.pos);
    if (ZSTD_isError(left)) return false;
    if (left == 0 && input.pos == input.size) return true;
  }
}

ZstdStreamDecoder::ZstdStreamDecoder() : ctx_(ZSTD_createDCtx()) {}

ZstdStreamDecoder::~ZstdStreamDecoder() { ZSTD_freeDCtx(ctx_); }

bool ZstdStreamDecoder::Decode(std::string_view in, std::string* out) {
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  size_t chunk = ZSTD_DStreamOutSize();
  while (input.pos < input.size) {
    size_t at = out->size();
    out->resize(at + chunk);
    ZSTD_outBuffer output{out->data() + at, chunk, 0};
    size_t r = ZSTD_decompressStream(ctx_, &output, &input);
    out->resize(at + output.pos);
    if (ZSTD_isError(r)) return false;
    // A full output buffer may hold more back: go round even with no input left.
    while (output.pos == output.size) {
      at = out->size();
      out->resize(at + chunk);
      output = {out->data() + at, chunk, 0};
      r = ZSTD_decompressStream(ctx_, &output, &input);
      out->resize(at + output.pos);
      if (ZSTD_isError(r)) return false;
    }
  }
  return true;
}

}  // namespace typeahead::replication
