#include "server/pubsub.h"

#include <algorithm>

#include "server/connection.h"
#include "server/glob.h"

namespace typeahead::server {
namespace {

void Remove(std::unordered_map<std::string, std::vector<Connection*>>& map, std::string_view key,
            Connection* c) {
  auto it = map.find(std::string(key));
  if (it == map.end()) return;
  std::erase(it->second, c);
  if (it->second.empty()) map.erase(it);
}

}  // namespace

void PubSub::Subscribe(Connection* c, std::string_view channel) {
  channels_[std::string(channel)].push_back(c);
}

void PubSub::Unsubscribe(Connection* c, std::string_view channel) { Remove(channels_, channel, c); }

void PubSub::PSubscribe(Connection* c, std::string_view pattern) {
  patterns_[std::string(pattern)].push_back(c);
}

void PubSub::PUnsubscribe(Connection* c, std::string_view pattern) {
  Remove(patterns_, pattern, c);
}

int64_t PubSub::Publish(std::string_view channel, std::string_view message) {
  int64_t n = 0;
  if (auto it = channels_.find(std::string(channel)); it != channels_.end()) {
    // Delivery may close a subscriber over its output limit: work on a copy of the list.
    std::vector<Connection*> subscribers = it->second;
    for (Connection* c : subscribers) {
      c->DeliverMessage({}, channel, message);
      ++n;
    }
  }
  for (const auto& [pattern, subscribers] : patterns_) {
    if (!GlobMatch(pattern, channel)) continue;
    std::vector<Connection*> copy = subscribers;
    for (Connection* c : copy) {
      c->DeliverMessage(pattern, channel, message);
      ++n;
    }
  }
  return n;
}

std::vector<std::string> PubSub::Channels(std::string_view pattern) const {
  std::vector<std::string> out;
  for (const auto& [channel, subscribers] : channels_) {
    if (pattern.empty() || GlobMatch(pattern, channel)) out.push_back(channel);
  }
  return out;
}

int64_t PubSub::NumSub(std::string_view channel) const {
  auto it = channels_.find(std::string(channel));
  return it == channels_.end() ? 0 : static_cast<int64_t>(it->second.size());
}

std::vector<std::string> PubSub::Patterns() const {
  std::vector<std::string> out;
  for (const auto& [pattern, subscribers] : patterns_) out.push_back(pattern);
  return out;
}

}  // namespace typeahead::server
