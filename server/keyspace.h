// Whole-keyspace views. A key's terms are spread over every partition, so a key exists when
// any partition holds it; these helpers ask every shard and merge.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "server/shard.h"

namespace typeahead::server {

// Distinct key names matching the glob pattern ("*" for all), sorted bytewise.
boost::asio::awaitable<std::vector<std::string>> CollectKeys(ShardSet& shards,
                                                             std::string_view pattern);

}  // namespace typeahead::server
