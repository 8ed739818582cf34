#include "server/monitor.h"

#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "server/command.h"
#include "server/connection.h"
#include "server/shard.h"
#include "server/slowlog.h"

namespace typeahead::server {
namespace {

void AppendQuoted(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          out += fmt::format("\\x{:02x}", c);
        }
    }
  }
  out += '"';
}

}  // namespace

std::string MonitorLine(int64_t unix_us, std::string_view addr,
                        std::span<const std::string_view> args) {
  std::string line = fmt::format("{}.{:06} [0 {}]", unix_us / 1000000, unix_us % 1000000, addr);
  for (size_t i = 0; i < args.size(); ++i) {
    line += ' ';
    AppendQuoted(line, RedactedArgument(args, i) ? std::string_view("(redacted)") : args[i]);
  }
  return line;
}

void FeedMonitors(ShardSet& shards, const CommandSpec& spec, std::string_view addr,
                  std::span<const std::string_view> args) {
  if (spec.flags & (kAdmin | kSkipMonitor)) return;
  int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  auto line = std::make_shared<const std::string>(MonitorLine(now, addr, args));
  for (size_t i = 0; i < shards.size(); ++i) {
    Shard& target = shards[i];
    shards.Post(i, [&target, line] {
      // A copy: delivery may close a monitor over its output limit.
      auto monitors = target.monitors();
      for (Connection* c : monitors) c->DeliverMonitorLine(*line);
    });
  }
}

}  // namespace typeahead::server
