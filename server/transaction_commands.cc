// MULTI, EXEC, DISCARD, WATCH and UNWATCH with Redis's replies. A transaction's commands run
// in order with nothing of the same connection between them; each partition applies its part
// atomically, but, unlike Redis, other clients' commands may run on other partitions between
// two commands of an EXEC (see redis-compat.md). WATCH registers its keys with every shard
// (server/watched_keys.h) before it replies, so a change to one of them from then on, by any
// client or the replication stream, makes EXEC reply a null array and run nothing.
#include "server/command_table.h"
#include "server/connection.h"
#include "server/errors.h"
#include "server/server.h"
#include "server/shard.h"

namespace typeahead::server {
namespace {

void Multi(CommandContext& cx, Args) {
  if (cx.conn.in_multi()) return cx.Error(errors::kNestedMulti);
  cx.conn.BeginMulti();
  cx.reply.Ok();
}

boost::asio::awaitable<void> Exec(CommandContext& cx, Args) {
  if (!cx.conn.in_multi()) {
    cx.Error(errors::kExecWithoutMulti);
    co_return;
  }
  co_await cx.conn.ExecMulti();
}

void Discard(CommandContext& cx, Args) {
  if (!cx.conn.in_multi()) return cx.Error(errors::kDiscardWithoutMulti);
  cx.conn.DiscardMulti();
  cx.reply.Ok();
}

boost::asio::awaitable<void> Watch(CommandContext& cx, Args args) {
  if (cx.conn.in_multi()) {
    cx.Error(errors::kWatchInMulti);
    co_return;
  }
  std::shared_ptr<WatchedKeys::Watch> watch = cx.conn.StartWatch();
  co_await cx.server.shards().ForEach([&](Shard& s) {
    for (std::string_view key : args.subspan(1)) s.watched_keys().Add(key, watch);
  });
  cx.reply.Ok();
}

void Unwatch(CommandContext& cx, Args) {
  cx.conn.Unwatch();
  cx.reply.Ok();
}

}  // namespace

std::vector<CommandSpec> TransactionCommands() {
  constexpr uint32_t kTx = kNoScript | kLoading | kStale | kFast | kAllowBusy;
  return {
      {
          .name = "multi",
          .arity = 1,
          .flags = kTx | kNotQueued,
          .group = "transactions",
          .since = "1.2.0",
          .summary = "Starts a transaction.",
          .complexity = "O(1)",
          .acl = kAclTransaction,
          .sync = Multi,
      },
      {
          .name = "exec",
          .arity = 1,
          .flags = kNoScript | kLoading | kStale | kSkipMonitor | kNotQueued | kSkipSlowlog,
          .group = "transactions",
          .since = "1.2.0",
          .summary = "Executes all commands in a transaction.",
          .complexity = "Depends on commands in the transaction",
          .acl = kAclTransaction,
          .async = Exec,
      },
      {
          .name = "discard",
          .arity = 1,
          .flags = kTx | kNotQueued,
          .group = "transactions",
          .since = "2.0.0",
          .summary = "Discards a transaction.",
          .complexity = "O(N), when N is the number of queued commands",
          .acl = kAclTransaction,
          .sync = Discard,
      },
      {
          .name = "watch",
          .arity = -2,
          .flags = kTx | kNotQueued,
          .keys = {1, -1, 1},
          .group = "transactions",
          .since = "2.2.0",
          .summary = "Monitors changes to keys to determine the execution of a transaction.",
          .complexity = "O(1) for every key.",
          .acl = kAclTransaction,
          .args = {{"key", "key", {}, false, true}},
          .async = Watch,
      },
      {
          .name = "unwatch",
          .arity = 1,
          .flags = kTx,
          .group = "transactions",
          .since = "2.2.0",
          .summary = "Forgets about watched keys of a transaction.",
          .complexity = "O(1)",
          .acl = kAclTransaction,
          .sync = Unwatch,
      },
  };
}

}  // namespace typeahead::server
