// MULTI, EXEC, DISCARD, WATCH and UNWATCH with Redis's replies. A transaction's commands run
// in order with nothing of the same connection between them; each partition applies its part
// atomically, but, unlike Redis, other clients' commands may run on other partitions between
// two commands of an EXEC (see redis-compat.md). WATCH is accepted and watches nothing yet:
// EXEC never fails because a key changed.
#include "server/command_table.h"
#include "server/connection.h"
#include "server/errors.h"

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

void Watch(CommandContext& cx, Args) {
  if (cx.conn.in_multi()) return cx.Error(errors::kWatchInMulti);
  cx.reply.Ok();
}

void Unwatch(CommandContext& cx, Args) { cx.reply.Ok(); }

}  // namespace

std::vector<CommandSpec> TransactionCommands() {
  constexpr uint32_t kTx = kNoScript | kLoading | kStale | kFast | kAllowBusy;
  return {
      {"multi",
       1,
       kTx | kNotQueued,
       0,
       0,
       0,
       "transactions",
       "1.2.0",
       "Starts a transaction.",
       "O(1)",
       {"fast", "transaction"},
       {},
       Multi},
      {"exec",
       1,
       kNoScript | kLoading | kStale | kSkipMonitor | kNotQueued,
       0,
       0,
       0,
       "transactions",
       "1.2.0",
       "Executes all commands in a transaction.",
       "Depends on commands in the transaction",
       {"slow", "transaction"},
       {},
       nullptr,
       Exec},
      {"discard",
       1,
       kTx | kNotQueued,
       0,
       0,
       0,
       "transactions",
       "2.0.0",
       "Discards a transaction.",
       "O(N), when N is the number of queued commands",
       {"fast", "transaction"},
       {},
       Discard},
      {"watch",
       -2,
       kTx | kNotQueued,
       1,
       -1,
       1,
       "transactions",
       "2.2.0",
       "Monitors changes to keys to determine the execution of a transaction.",
       "O(1) for every key.",
       {"fast", "transaction"},
       {{"key", "key", {}, false, true}},
       Watch},
      {"unwatch",
       1,
       kTx,
       0,
       0,
       0,
       "transactions",
       "2.2.0",
       "Forgets about watched keys of a transaction.",
       "O(1)",
       {"fast", "transaction"},
       {},
       Unwatch},
  };
}

}  // namespace typeahead::server
