// Generic keyspace commands over autocomplete keys: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN,
// RENAME, DBSIZE, FLUSHALL, FLUSHDB. Each key is spread over every partition, so each of these
// asks every shard.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/asio/awaitable.hpp>
#include <set>

#include "protocol/ascii.h"
#include "protocol/number.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/errors.h"
#include "server/glob.h"
#include "server/keyspace.h"
#include "server/server.h"
#include "server/shard.h"

namespace typeahead::server {
using boost::asio::awaitable;

awaitable<std::vector<std::string>> CollectKeys(ShardSet& shards, std::string_view pattern) {
  bool all = pattern == "*";
  auto per_shard = co_await shards.RunAll([&](Shard& s) {
    std::vector<std::string> keys;
    for (const auto& [key, dict] : s.partition().keys()) {
      if (all || GlobMatch(pattern, key)) keys.push_back(key);
    }
    return keys;
  });
  std::vector<std::string> out;
  for (auto& v : per_shard) out.insert(out.end(), v.begin(), v.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  co_return out;
}

namespace {

// For each key in keys, whether any shard held it; erases it everywhere when erase is set.
awaitable<std::vector<bool>> Present(ShardSet& shards, Args keys, bool erase) {
  auto per_shard = co_await shards.RunAll([&](Shard& s) {
    std::vector<bool> found(keys.size());
    if (erase) {
      s.partition().EraseKeys(keys, &found);
    } else {
      for (size_t i = 0; i < keys.size(); ++i) found[i] = s.partition().Find(keys[i]) != nullptr;
    }
    return found;
  });
  std::vector<bool> any(keys.size());
  for (const auto& v : per_shard) {
    for (size_t i = 0; i < keys.size(); ++i) any[i] = any[i] || v[i];
  }
  co_return any;
}

awaitable<void> Del(CommandContext& cx, Args args) {
  auto found = co_await Present(cx.server.shards(), args.subspan(1), true);
  cx.reply.Integer(std::count(found.begin(), found.end(), true));
}

awaitable<void> Exists(CommandContext& cx, Args args) {
  auto found = co_await Present(cx.server.shards(), args.subspan(1), false);
  cx.reply.Integer(std::count(found.begin(), found.end(), true));
}

awaitable<void> Type(CommandContext& cx, Args args) {
  auto found = co_await Present(cx.server.shards(), args.subspan(1), false);
  cx.reply.Simple(found[0] ? "autocomplete" : "none");
}

awaitable<void> Keys(CommandContext& cx, Args args) {
  auto keys = co_await CollectKeys(cx.server.shards(), args[1]);
  cx.reply.Array(keys.size());
  for (const auto& k : keys) cx.reply.Bulk(k);
}

// SCAN orders keys by a 62-bit hash and the cursor is the next hash to visit, so a key present
// for the whole iteration is returned exactly once however others come and go (keys sharing a
// hash are returned together).
uint64_t ScanHash(std::string_view key) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
  return (h >> 2) | 1;  // never 0, which means "done"
}

awaitable<void> Scan(CommandContext& cx, Args args) {
  int64_t cursor;
  if (!protocol::ParseInt64(args[1], &cursor) || cursor < 0) {
    // Redis parses the cursor as unsigned: a negative or non-numeric one is invalid.
    co_return cx.Error(errors::kInvalidCursor);
  }
  std::string_view pattern = "*";
  int64_t count = 10;
  std::string_view type;
  for (size_t i = 2; i < args.size(); i += 2) {
    if (i + 1 >= args.size()) co_return cx.Error(errors::kSyntax);
    if (EqualsIgnoreCase(args[i], "MATCH")) {
      pattern = args[i + 1];
    } else if (EqualsIgnoreCase(args[i], "COUNT")) {
      if (!protocol::ParseInt64(args[i + 1], &count)) {
        co_return cx.Error(errors::kNotInteger);
      }
      if (count < 1) co_return cx.Error(errors::kSyntax);
    } else if (EqualsIgnoreCase(args[i], "TYPE")) {
      type = args[i + 1];
    } else {
      co_return cx.Error(errors::kSyntax);
    }
  }
  auto keys = co_await CollectKeys(cx.server.shards(), "*");
  std::vector<std::pair<uint64_t, std::string*>> order;
  for (auto& k : keys) {
    uint64_t h = ScanHash(k);
    if (h >= static_cast<uint64_t>(cursor)) order.emplace_back(h, &k);
  }
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string_view> batch;
  uint64_t next = 0;
  size_t visited = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    // Stop at a hash boundary once COUNT keys were visited.
    if (visited >= static_cast<size_t>(count) && order[i].first != order[i - 1].first) {
      next = order[i].first;
      break;
    }
    ++visited;
    const std::string& k = *order[i].second;
    if (!GlobMatch(pattern, k)) continue;
    if (!type.empty() && !EqualsIgnoreCase(type, "autocomplete")) continue;
    batch.push_back(k);
  }
  cx.reply.Array(2);
  cx.reply.Bulk(std::to_string(next));
  cx.reply.Array(batch.size());
  for (auto k : batch) cx.reply.Bulk(k);
}

awaitable<void> Rename(CommandContext& cx, Args args) {
  std::string_view from = args[1], to = args[2];
  auto found = co_await Present(cx.server.shards(), args.subspan(1, 1), false);
  if (!found[0]) co_return cx.Error(errors::kNoSuchKey);
  co_await cx.server.shards().ForEach([&](Shard& s) {
    // Every partition must end with `to` holding exactly what `from` held there.
    if (!s.partition().Rename(from, to)) s.partition().Erase(to);
  });
  cx.reply.Ok();
}

awaitable<void> DbSize(CommandContext& cx, Args) {
  auto keys = co_await CollectKeys(cx.server.shards(), "*");
  cx.reply.Integer(static_cast<int64_t>(keys.size()));
}

awaitable<void> FlushAll(CommandContext& cx, Args args) {
  if (args.size() > 2 || (args.size() == 2 && !EqualsIgnoreCase(args[1], "ASYNC") &&
                          !EqualsIgnoreCase(args[1], "SYNC"))) {
    co_return cx.Error(errors::kSyntax);
  }
  co_await cx.server.shards().ForEach([](Shard& s) { s.partition().Clear(); });
  cx.reply.Ok();
}

}  // namespace

std::vector<CommandSpec> KeyspaceCommands() {
  ArgDoc key{"key", "key"};
  ArgDoc keys{"key", "key", {}, false, true};
  ArgDoc flush_mode{
      "flush-type", "oneof", {},
      true,         false,   {{"async", "pure-token", "ASYNC"}, {"sync", "pure-token", "SYNC"}}};
  return {
      {"del",
       -2,
       kWrite,
       1,
       -1,
       1,
       "generic",
       "1.0.0",
       "Deletes one or more keys.",
       "O(N) where N is the number of keys that will be removed.",
       {"keyspace", "write", "slow"},
       {keys},
       nullptr,
       Del},
      {"unlink",
       -2,
       kWrite | kFast,
       1,
       -1,
       1,
       "generic",
       "4.0.0",
       "Asynchronously deletes one or more keys.",
       "O(1) for each key removed.",
       {"keyspace", "write", "fast"},
       {keys},
       nullptr,
       Del},
      {"exists",
       -2,
       kReadonly | kFast,
       1,
       -1,
       1,
       "generic",
       "1.0.0",
       "Determines whether one or more keys exist.",
       "O(N) where N is the number of keys to check.",
       {"keyspace", "read", "fast"},
       {keys},
       nullptr,
       Exists},
      {"type",
       2,
       kReadonly | kFast,
       1,
       1,
       1,
       "generic",
       "1.0.0",
       "Determines the type of value stored at a key.",
       "O(1)",
       {"keyspace", "read", "fast"},
       {key},
       nullptr,
       Type},
      {"keys",
       2,
       kReadonly,
       0,
       0,
       0,
       "generic",
       "1.0.0",
       "Returns all key names that match a pattern.",
       "O(N) with N being the number of keys",
       {"keyspace", "read", "slow", "dangerous"},
       {{"pattern", "pattern"}},
       nullptr,
       Keys},
      {"scan",
       -2,
       kReadonly,
       0,
       0,
       0,
       "generic",
       "2.8.0",
       "Iterates over the key names in the database.",
       "O(1) for every call. O(N) for a complete "
       "iteration.",
       {"keyspace", "read", "slow"},
       {{"cursor", "integer"},
        {"pattern", "pattern", "MATCH", true},
        {"count", "integer", "COUNT", true},
        {"type", "string", "TYPE", true}},
       nullptr,
       Scan},
      {"rename",
       3,
       kWrite,
       1,
       2,
       1,
       "generic",
       "1.0.0",
       "Renames a key and overwrites the "
       "destination.",
       "O(1)",
       {"keyspace", "write", "slow"},
       {key, {"newkey", "key"}},
       nullptr,
       Rename},
      {"dbsize",
       1,
       kReadonly | kFast,
       0,
       0,
       0,
       "server",
       "1.0.0",
       "Returns the number of keys in the database.",
       "O(1)",
       {"keyspace", "read", "fast"},
       {},
       nullptr,
       DbSize},
      {"flushall",
       -1,
       kWrite,
       0,
       0,
       0,
       "server",
       "1.0.0",
       "Removes all keys from all databases.",
       "O(N) where N is the total number of keys in all databases",
       {"keyspace", "write", "slow", "dangerous"},
       {flush_mode},
       nullptr,
       FlushAll},
      {"flushdb",
       -1,
       kWrite,
       0,
       0,
       0,
       "server",
       "1.0.0",
       "Remove all keys from the current database.",
       "O(N) where N is the number of keys in the selected database",
       {"keyspace", "write", "slow", "dangerous"},
       {flush_mode},
       nullptr,
       FlushAll},
  };
}

}  // namespace typeahead::server
