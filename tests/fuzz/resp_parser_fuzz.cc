// libFuzzer target for the RESP parser. The input is a byte stream from a client; it is parsed
// twice, whole and cut into reads at sizes taken from the input's last byte, the way a
// connection feeds the parser (every unconsumed byte from the start of the current command,
// growing per read, the block copied to a new place each time). Every view must lie inside
// the bytes given and consumed() must move forward. Without errors both runs find the same
// commands; with one, the commands before it agree (which error comes first may depend on the
// cuts: a 70 KB line is "too big" only when it arrives without its newline, as in Redis).
// Before-AUTH limits are switched on by the input's first byte.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/resp_parser.h"

namespace {

using typeahead::protocol::RespParser;

struct Outcome {
  std::vector<std::vector<std::string>> commands;
  std::string error;
  bool operator==(const Outcome&) const = default;
};

void Check(bool ok) {
  if (!ok) abort();
}

Outcome Feed(std::string_view data, size_t step, bool unauth) {
  RespParser parser;
  parser.set_unauthenticated(unauth);
  Outcome out;
  size_t start = 0, end = 0;
  std::string moved;  // the caller's buffer: moves between reads
  while (end < data.size()) {
    end = std::min(data.size(), end + step);
    while (start < end) {
      moved.assign(data.substr(start, end - start));
      auto status = parser.Parse(moved);
      if (status == RespParser::Status::kNeedMore) break;
      if (status == RespParser::Status::kError) {
        out.error = parser.error();
        Check(!out.error.empty());
        return out;
      }
      Check(parser.consumed() > 0 && parser.consumed() <= moved.size());
      std::vector<std::string> cmd;
      for (std::string_view a : parser.args()) {
        if (!parser.inline_command()) {
          Check(a.data() >= moved.data() && a.data() + a.size() <= moved.data() + moved.size());
        }
        cmd.emplace_back(a);
      }
      if (!cmd.empty()) out.commands.push_back(std::move(cmd));
      start += parser.consumed();
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  bool unauth = (data[0] & 1) != 0;
  size_t step = 1 + data[size - 1] % 17;
  Outcome whole = Feed(bytes, bytes.size(), unauth);
  Outcome split = Feed(bytes, step, unauth);
  if (whole.error.empty() && split.error.empty()) {
    Check(whole == split);
  } else {
    const auto& a = whole.commands.size() < split.commands.size() ? whole : split;
    const auto& b = &a == &whole ? split : whole;
    Check(std::equal(a.commands.begin(), a.commands.end(), b.commands.begin()));
  }
  return 0;
}
