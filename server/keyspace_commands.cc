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
    // Every partition must end with `to` holding exactly what `from` held there: the rename
    // mutation, applied as replay applies it (a partition without `from` drops `to`).
    s.partition().Apply(storage::Mutation::Rename(from, to));
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
      {
          .name = "del",
          .arity = -2,
          .flags = kWrite,
          .keys = {1, -1, 1},
          .group = "generic",
          .since = "1.0.0",
          .summary = "Deletes one or more keys.",
          .complexity = "O(N) where N is the number of keys that will be removed.",
          .acl = kAclKeyspace,
          .args = {keys},
          .async = Del,
      },
      {
          .name = "unlink",
          .arity = -2,
          .flags = kWrite | kFast,
          .keys = {1, -1, 1},
          .group = "generic",
          .since = "4.0.0",
          .summary = "Asynchronously deletes one or more keys.",
          .complexity = "O(1) for each key removed.",
          .acl = kAclKeyspace,
          .args = {keys},
          .async = Del,
      },
      {
          .name = "exists",
          .arity = -2,
          .flags = kReadonly | kFast,
          .keys = {1, -1, 1},
          .group = "generic",
          .since = "1.0.0",
          .summary = "Determines whether one or more keys exist.",
          .complexity = "O(N) where N is the number of keys to check.",
          .acl = kAclKeyspace,
          .args = {keys},
          .async = Exists,
      },
      {
          .name = "type",
          .arity = 2,
          .flags = kReadonly | kFast,
          .keys = {1, 1, 1},
          .group = "generic",
          .since = "1.0.0",
          .summary = "Determines the type of value stored at a key.",
          .complexity = "O(1)",
          .acl = kAclKeyspace,
          .args = {key},
          .async = Type,
      },
      {
          .name = "keys",
          .arity = 2,
          .flags = kReadonly,
          .group = "generic",
          .since = "1.0.0",
          .summary = "Returns all key names that match a pattern.",
          .complexity = "O(N) with N being the number of keys",
          .acl = kAclKeyspace | kAclDangerous,
          .args = {{"pattern", "pattern"}},
          .async = Keys,
      },
      {
          .name = "scan",
          .arity = -2,
          .flags = kReadonly,
          .group = "generic",
          .since = "2.8.0",
          .summary = "Iterates over the key names in the database.",
          .complexity = "O(1) for every call. O(N) for a complete "
                        "iteration.",
          .acl = kAclKeyspace,
          .args = {{"cursor", "integer"},
                   {"pattern", "pattern", "MATCH", true},
                   {"count", "integer", "COUNT", true},
                   {"type", "string", "TYPE", true}},
          .async = Scan,
      },
      {
          .name = "rename",
          .arity = 3,
          .flags = kWrite,
          .keys = {1, 2, 1},
          .group = "generic",
          .since = "1.0.0",
          .summary = "Renames a key and overwrites the "
                     "destination.",
          .complexity = "O(1)",
          .acl = kAclKeyspace,
          .args = {key, {"newkey", "key"}},
          .async = Rename,
      },
      {
          .name = "dbsize",
          .arity = 1,
          .flags = kReadonly | kFast,
          .group = "server",
          .since = "1.0.0",
          .summary = "Returns the number of keys in the database.",
          .complexity = "O(1)",
          .acl = kAclKeyspace,
          .async = DbSize,
      },
      {
          .name = "flushall",
          .arity = -1,
          .flags = kWrite,
          .group = "server",
          .since = "1.0.0",
          .summary = "Removes all keys from all databases.",
          .complexity = "O(N) where N is the total number of keys in all databases",
          .acl = kAclKeyspace | kAclDangerous,
          .args = {flush_mode},
          .async = FlushAll,
      },
      {
          .name = "flushdb",
          .arity = -1,
          .flags = kWrite,
          .group = "server",
          .since = "1.0.0",
          .summary = "Remove all keys from the current database.",
          .complexity = "O(N) where N is the number of keys in the selected database",
          .acl = kAclKeyspace | kAclDangerous,
          .args = {flush_mode},
          .async = FlushAll,
      },
  };
}

}  // namespace typeahead::server
