// INFO [section ...]: what the server reports of itself, section by section (server/info.cc).
// Runs on the client's shard and visits every shard once for its figures.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <vector>

#include "server/command.h"
#include "server/command_latency.h"

namespace typeahead::server {

class ShardSet;

boost::asio::awaitable<void> Info(CommandContext& cx, Args args);

// Every shard's latency histograms added, by CommandSpec::stat_index (nullptr: not called);
// what INFO latencystats and LATENCY HISTOGRAM show.
boost::asio::awaitable<std::vector<std::unique_ptr<LatencyHistogram>>> GatherCommandLatency(
    ShardSet& shards);

}  // namespace typeahead::server
