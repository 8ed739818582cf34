// SAVE, BGSAVE, BGREWRITEAOF and LASTSAVE. Here the three writers are one operation, a
// checkpoint (see persistence.h): a snapshot of every partition plus fresh logs. SAVE waits
// for it but, unlike Redis's, does not stop other clients meanwhile.
#include "protocol/ascii.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/errors.h"
#include "server/server.h"

namespace typeahead::server {
namespace {

boost::asio::awaitable<void> Save(CommandContext& cx, Args) {
  Persistence& p = cx.server.persistence();
  if (p.in_progress()) co_return cx.Error(errors::kSaveInProgress);
  if (!co_await p.Checkpoint("SAVE")) co_return cx.Error(errors::kSaveFailed);
  cx.reply.Ok();
}

void BgSave(CommandContext& cx, Args args) {
  if (args.size() > 2 || (args.size() == 2 && !EqualsIgnoreCase(args[1], "SCHEDULE"))) {
    return cx.Error(errors::kSyntax);
  }
  if (!cx.server.persistence().StartCheckpoint("BGSAVE")) {
    if (args.size() == 2) return cx.reply.Simple("Background saving scheduled");
    return cx.Error(errors::kSaveInProgress);
  }
  cx.reply.Simple("Background saving started");
}

void BgRewriteAof(CommandContext& cx, Args) {
  if (!cx.server.persistence().StartCheckpoint("BGREWRITEAOF")) {
    return cx.Error(errors::kRewriteInProgress);
  }
  cx.reply.Simple("Background append only file rewriting started");
}

void LastSave(CommandContext& cx, Args) {
  cx.reply.Integer(cx.server.persistence().last_save_time());
}

}  // namespace

std::vector<CommandSpec> PersistenceCommands() {
  return {
      {"save",
       1,
       kAdmin | kNoScript,
       0,
       0,
       0,
       "server",
       "1.0.0",
       "Synchronously saves the database(s) to disk.",
       "O(N) where N is the total number of keys in all databases",
       {"admin", "slow", "dangerous"},
       {},
       nullptr,
       Save},
      {"bgsave",
       -1,
       kAdmin | kNoScript,
       0,
       0,
       0,
       "server",
       "1.0.0",
       "Asynchronously saves the database(s) to disk.",
       "O(1)",
       {"admin", "slow", "dangerous"},
       {{"schedule", "pure-token", "SCHEDULE", true}},
       BgSave},
      {"bgrewriteaof",
       1,
       kAdmin | kNoScript,
       0,
       0,
       0,
       "server",
       "1.0.0",
       "Asynchronously rewrites the append-only file to disk.",
       "O(1)",
       {"admin", "slow", "dangerous"},
       {},
       BgRewriteAof},
      {"lastsave",
       1,
       kLoading | kStale | kFast,
       0,
       0,
       0,
       "server",
       "1.0.0",
       "Returns the Unix timestamp of the last successful save to disk.",
       "O(1)",
       {"admin", "fast", "dangerous"},
       {},
       LastSave},
  };
}

}  // namespace typeahead::server
