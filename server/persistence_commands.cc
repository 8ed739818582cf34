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
      {
          .name = "save",
          .arity = 1,
          .flags = kAdmin | kNoScript,
          .group = "server",
          .since = "1.0.0",
          .summary = "Synchronously saves the database(s) to disk.",
          .complexity = "O(N) where N is the total number of keys in all databases",
          .async = Save,
      },
      {
          .name = "bgsave",
          .arity = -1,
          .flags = kAdmin | kNoScript,
          .group = "server",
          .since = "1.0.0",
          .summary = "Asynchronously saves the database(s) to disk.",
          .complexity = "O(1)",
          .args = {{"schedule", "pure-token", "SCHEDULE", true}},
          .sync = BgSave,
      },
      {
          .name = "bgrewriteaof",
          .arity = 1,
          .flags = kAdmin | kNoScript,
          .group = "server",
          .since = "1.0.0",
          .summary = "Asynchronously rewrites the append-only file to disk.",
          .complexity = "O(1)",
          .sync = BgRewriteAof,
      },
      {
          .name = "lastsave",
          .arity = 1,
          .flags = kLoading | kStale | kFast,
          .group = "server",
          .since = "1.0.0",
          .summary = "Returns the Unix timestamp of the last successful save to disk.",
          .complexity = "O(1)",
          .acl = kAclAdmin | kAclDangerous,
          .sync = LastSave,
      },
  };
}

}  // namespace typeahead::server
