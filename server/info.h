// INFO [section ...]: what the server reports of itself, section by section (server/info.cc).
// Runs on the client's shard and visits every shard once for its figures.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "server/command.h"

namespace typeahead::server {

boost::asio::awaitable<void> Info(CommandContext& cx, Args args);

}  // namespace typeahead::server
