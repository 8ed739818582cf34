// INFO [section ...]: what the server reports of itself, section by section (server/info.cc).
// Runs on the client's shard and visits every shard once for its figures.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/command.h"
#include "server/command_latency.h"

namespace typeahead::server {

class Server;
class ShardSet;
struct Config;

boost::asio::awaitable<void> Info(CommandContext& cx, Args args);
// The reply's text for the sections named (none: the default ones), from any shard's thread
// with that shard's config; also what /metrics is made of (server/metrics.h).
boost::asio::awaitable<std::string> BuildInfo(Server& server, const Config& config, Args sections);

// Calls fn(section, field, value) for each "field:value" line of an INFO text, section being
// the title of the "# Title" line above it: how /metrics and MEMORY STATS read INFO's own
// figures instead of gathering them again.
void ForEachInfoField(
    std::string_view text,
    const std::function<void(std::string_view, std::string_view, std::string_view)>& fn);

// Every shard's latency histograms added, by CommandSpec::stat_index (nullptr: not called);
// what INFO latencystats and LATENCY HISTOGRAM show.
boost::asio::awaitable<std::vector<std::unique_ptr<LatencyHistogram>>> GatherCommandLatency(
    ShardSet& shards);

}  // namespace typeahead::server
