#include "server/slowlog.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <limits>

#include "protocol/ascii.h"

namespace typeahead::server {

void SlowLog::Configure(int64_t slower_than_us, int64_t max_len) {
  threshold_ns_ = slower_than_us < 0 ? std::numeric_limits<uint64_t>::max()
                                     : static_cast<uint64_t>(slower_than_us) * 1000;
  max_len_ = static_cast<size_t>(std::max<int64_t>(max_len, 0));
  // As Redis: a shorter limit takes effect with the next slow command.
}

void SlowLog::Add(std::span<const std::string_view> args, uint64_t nsec,
                  const SlowLogClient& client) {
  SlowLogEntry e;
  e.id = ids_->fetch_add(1, std::memory_order_relaxed);
  e.unix_time = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  e.usec = nsec / 1000;
  size_t kept = std::min(args.size(), kMaxArgs);
  e.args.reserve(kept);
  for (size_t i = 0; i < kept; ++i) {
    if (kept != args.size() && i == kept - 1) {
      e.args.push_back(fmt::format("... ({} more arguments)", args.size() - kept + 1));
    } else if (RedactedArgument(args, i)) {
      e.args.emplace_back("(redacted)");
    } else if (args[i].size() > kMaxArgBytes) {
      e.args.push_back(fmt::format("{}... ({} more bytes)", args[i].substr(0, kMaxArgBytes),
                                   args[i].size() - kMaxArgBytes));
    } else {
      e.args.emplace_back(args[i]);
    }
  }
  e.addr = *client.addr;
  e.name = *client.name;
  entries_.push_front(std::move(e));
  while (entries_.size() > max_len_) entries_.pop_back();
}

bool RedactedArgument(std::span<const std::string_view> args, size_t i) {
  if (i == 0 || args.empty()) return false;
  std::string_view cmd = args[0];
  if (EqualsIgnoreCase(cmd, "auth")) return true;
  if (EqualsIgnoreCase(cmd, "acl")) return i >= 2 && EqualsIgnoreCase(args[1], "setuser");
  if (EqualsIgnoreCase(cmd, "hello")) {
    // HELLO [protover [AUTH username password] [SETNAME name]], options in any order
    for (size_t j = 2; j < args.size();) {
      if (EqualsIgnoreCase(args[j], "auth") && j + 2 < args.size()) {
        if (i == j + 1 || i == j + 2) return true;
        j += 3;
      } else {
        j += EqualsIgnoreCase(args[j], "setname") ? 2 : 1;
      }
    }
    return false;
  }
  if (EqualsIgnoreCase(cmd, "config")) {
    if (args.size() < 2 || !EqualsIgnoreCase(args[1], "set") || i < 3 || i % 2 == 0) {
      return false;
    }
    std::string_view name = args[i - 1];
    return EqualsIgnoreCase(name, "requirepass") || EqualsIgnoreCase(name, "masterauth") ||
           EqualsIgnoreCase(name, "tls-key-file-pass") ||
           EqualsIgnoreCase(name, "tls-client-key-file-pass");
  }
  return false;
}

}  // namespace typeahead::server
