// MONITOR: every command the server runs, as one line per command, streamed to the clients
// that asked for it. A connection that runs MONITOR is registered on its own shard
// (Shard::monitors()) and counted in the server-wide count (ShardSet::monitors()); while that
// count is above zero, each command is formatted once where it ran (its connection's shard,
// after it ran) and the line is posted to every shard, whose monitors each get it. Lines from
// one connection keep their order: one shard formats them, and a shard's posts to another
// arrive in the order sent.
//
// The line is Redis's: `+<unix seconds>.<microseconds> [0 <ip:port>] "arg" "arg"...`, each
// argument quoted and escaped as Redis's sdscatrepr does, secrets as "(redacted)"
// (server/slowlog.h). Commands flagged admin or skip_monitor are not shown.
//
// Threading: FeedMonitors on the running shard's thread; the count is a relaxed atomic read
// once per command, written only when a client starts or stops monitoring.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace typeahead::server {

class ShardSet;
struct CommandSpec;

// The monitor line of one command, without the leading '+' and the CRLF.
std::string MonitorLine(int64_t unix_us, std::string_view addr,
                        std::span<const std::string_view> args);

// Sends the command to every monitor when the command may be shown. Callers check
// ShardSet::monitors() first: the common case, nobody monitoring, costs one load.
void FeedMonitors(ShardSet& shards, const CommandSpec& spec, std::string_view addr,
                  std::span<const std::string_view> args);

}  // namespace typeahead::server
