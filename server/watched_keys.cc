#include "server/watched_keys.h"

#include <algorithm>

namespace typeahead::server {

void WatchedKeys::Add(std::string_view key, std::shared_ptr<Watch> watch) {
  auto it = keys_.find(key);
  if (it == keys_.end()) it = keys_.try_emplace(std::string(key)).first;
  auto& watchers = it->second;
  if (std::find(watchers.begin(), watchers.end(), watch) == watchers.end()) {
    watchers.push_back(std::move(watch));
  }
}

void WatchedKeys::Touch(const storage::Mutation& m) {
  using storage::MutationKind;
  switch (m.kind) {
    case MutationKind::kIncrement:
    case MutationKind::kSuggest:
    case MutationKind::kEraseTerms:
    case MutationKind::kDecay:
      return TouchKey(m.key);
    case MutationKind::kEraseKeys:
      for (std::string_view key : m.names) TouchKey(key);
      return;
    case MutationKind::kRename:
      TouchKey(m.key);
      return TouchKey(m.new_key);
    case MutationKind::kClear:
      return TouchAll();
  }
}

void WatchedKeys::TouchKey(std::string_view key) {
  auto it = keys_.find(key);  // only while some key is watched
  if (it == keys_.end()) return;
  // Once dirty a watch stays so until it ends: the entry has done its work.
  for (const auto& watch : it->second) watch->dirty.store(true, std::memory_order_release);
  keys_.erase(it);
}

void WatchedKeys::TouchAll() {
  for (auto& [key, watchers] : keys_) {
    for (const auto& watch : watchers) watch->dirty.store(true, std::memory_order_release);
  }
  keys_.clear();
}

void WatchedKeys::Sweep() {
  for (auto it = keys_.begin(); it != keys_.end();) {
    auto& watchers = it->second;
    std::erase_if(watchers,
                  [](const auto& w) { return !w->active.load(std::memory_order_relaxed); });
    it = watchers.empty() ? keys_.erase(it) : std::next(it);
  }
}

}  // namespace typeahead::server
