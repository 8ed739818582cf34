// The per-shard subscription table: what PUBSUB reports as subscribers come and go (delivery
// itself needs live connections: tests/integration/pubsub_test.cc).
#include "server/pubsub.h"

#include <doctest/doctest.h>

#include <algorithm>

using typeahead::server::Connection;
using typeahead::server::PubSub;

TEST_CASE("PubSub: channels, counts and patterns follow subscriptions") {
  PubSub table;
  // Only the addresses are stored until a message is published.
  auto* a = reinterpret_cast<Connection*>(0x1000);
  auto* b = reinterpret_cast<Connection*>(0x2000);
  table.Subscribe(a, "news");
  table.Subscribe(b, "news");
  table.Subscribe(a, "sport");
  table.PSubscribe(b, "n*");
  auto channels = table.Channels("");
  std::sort(channels.begin(), channels.end());
  CHECK(channels == std::vector<std::string>{"news", "sport"});
  CHECK(table.Channels("s*") == std::vector<std::string>{"sport"});
  CHECK(table.NumSub("news") == 2);
  CHECK(table.NumSub("weather") == 0);
  CHECK(table.Patterns() == std::vector<std::string>{"n*"});
  table.Unsubscribe(a, "news");
  CHECK(table.NumSub("news") == 1);
  table.Unsubscribe(b, "news");
  table.Unsubscribe(b, "news");  // twice: harmless
  CHECK(table.NumSub("news") == 0);
  CHECK(table.Channels("") == std::vector<std::string>{"sport"});
  table.PUnsubscribe(b, "n*");
  CHECK(table.Patterns().empty());
  CHECK(table.Publish("news", "nobody listens") == 0);
}
