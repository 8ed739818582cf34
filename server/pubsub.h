// PubSub is one shard's table of subscriptions: which of the connections served on this shard
// listen to which channels and patterns. PUBLISH asks every shard to deliver to its own
// subscribers (a hop per shard), so a publisher on one core reaches subscribers on all of them
// without a lock shared between threads.
//
// Invariant: only the owning shard's thread touches it; a connection is registered on its
// own shard only, and unregisters before it is destroyed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace typeahead::server {

class Connection;

class PubSub {
 public:
  void Subscribe(Connection* c, std::string_view channel);
  void Unsubscribe(Connection* c, std::string_view channel);
  void PSubscribe(Connection* c, std::string_view pattern);
  void PUnsubscribe(Connection* c, std::string_view pattern);

  // Delivers to this shard's subscribers of channel and of matching patterns; returns how many
  // received it (a connection with a channel and a pattern match counts twice, as in Redis).
  int64_t Publish(std::string_view channel, std::string_view message);

  // For PUBSUB.
  std::vector<std::string> Channels(std::string_view pattern) const;  // "" matches all
  int64_t NumSub(std::string_view channel) const;
  std::vector<std::string> Patterns() const;

 private:
  std::unordered_map<std::string, std::vector<Connection*>> channels_;
  std::unordered_map<std::string, std::vector<Connection*>> patterns_;
};

}  // namespace typeahead::server
