// WatchedKeys is one shard's table of the keys that clients WATCH, so that EXEC can refuse to
// run a transaction when one of them changed since (Redis's optimistic locking). A key's terms
// live in every partition, so a WATCH registers the key with every shard; each shard's journal
// (the sink of every change its partition makes, server/journal.h) touches the table with
// each change, and a change to a watched key marks its watchers dirty. EXEC reads its own flag.
//
// A Watch is shared by the client and the shards' entries: the client ends it (UNWATCH, EXEC,
// DISCARD, RESET, disconnect) by clearing `active`, and each shard drops ended watches when a
// change meets them or at its cron (Sweep), so a shard never reaches into a connection.
//
// A change is what the partition reports: recording or removing terms, deleting or renaming a
// key, and FLUSHALL / FLUSHDB, which marks every watch (Redis marks only the keys that existed;
// we do not look them up). A write that changes nothing (ACDEL of an absent term) touches
// nothing, as in Redis.
//
// Threading: a table belongs to its shard's thread; a Watch's flags are atomics, set on the
// shards' threads and read on the client's.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/mutation.h"
#include "storage/partition.h"

namespace typeahead::server {

class WatchedKeys {
 public:
  struct Watch {
    std::atomic<bool> dirty{false};  // a watched key changed
    std::atomic<bool> active{true};  // false: the client stopped watching
  };

  bool empty() const { return keys_.empty(); }
  size_t size() const { return keys_.size(); }
  void Add(std::string_view key, std::shared_ptr<Watch> watch);
  // Marks the watchers of every key m changes.
  void Touch(const storage::Mutation& m);
  // Drops the entries of watches that ended.
  void Sweep();

 private:
  void TouchKey(std::string_view key);
  void TouchAll();

  // Looked up by view (StringHash is transparent): a change builds no string.
  std::unordered_map<std::string, std::vector<std::shared_ptr<Watch>>, storage::StringHash,
                     std::equal_to<>>
      keys_;
};

}  // namespace typeahead::server
