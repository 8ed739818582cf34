// Server commands: COMMAND, TIME, SHUTDOWN, and the table row of INFO (server/info.cc; CONFIG
// is in config_commands.cc).

#include <algorithm>
#include <boost/asio/awaitable.hpp>

#include "protocol/ascii.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/errors.h"
#include "server/glob.h"
#include "server/info.h"
#include "server/server.h"
#include "server/shard.h"

namespace typeahead::server {
namespace {
using boost::asio::awaitable;

// ---- COMMAND ----

size_t CountCommands() { return CommandTable::Get().commands().size(); }

void Command(CommandContext& cx, Args) {
  const auto& all = CommandTable::Get().commands();
  cx.reply.Array(all.size());
  for (const auto& spec : all) ReplyCommandInfo(cx.reply, spec);
}

void CommandCount(CommandContext& cx, Args) {
  cx.reply.Integer(static_cast<int64_t>(CountCommands()));
}

// Whether spec is in the ACL category named (without "@", any case).
bool InAclCategory(const CommandSpec& spec, std::string_view category) {
  uint32_t acl = AclCategories(spec);
  for (auto [bit, name] : kAclCategoryNames) {
    if ((acl & bit) && EqualsIgnoreCase(name, category)) return true;
  }
  return false;
}

// A name as COMMAND INFO/DOCS take it: "client|list" or "client list" are not accepted by
// Redis either; only the container name or the "a|b" full name.
const CommandSpec* FindByFullName(std::string_view name) {
  auto bar = name.find('|');
  const CommandSpec* spec = CommandTable::Get().Find(name.substr(0, bar));
  if (spec == nullptr || bar == std::string_view::npos) return spec;
  return CommandTable::FindSub(*spec, name.substr(bar + 1));
}

void CommandInfo(CommandContext& cx, Args args) {
  if (args.size() == 2) return Command(cx, args);
  cx.reply.Array(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) {
    const CommandSpec* spec = FindByFullName(args[i]);
    if (spec == nullptr) {
      cx.reply.Null();  // as Redis: a null bulk, not a null array
    } else {
      ReplyCommandInfo(cx.reply, *spec);
    }
  }
}

void CommandDocs(CommandContext& cx, Args args) {
  std::vector<const CommandSpec*> specs;
  if (args.size() == 2) {
    for (const auto& spec : CommandTable::Get().commands()) specs.push_back(&spec);
  } else {
    for (size_t i = 2; i < args.size(); ++i) {
      if (const CommandSpec* spec = FindByFullName(args[i])) specs.push_back(spec);
    }
  }
  cx.reply.Map(specs.size());
  for (const CommandSpec* spec : specs) {
    cx.reply.Bulk(spec->name);
    ReplyCommandDocs(cx.reply, *spec);
  }
}

void CommandList(CommandContext& cx, Args args) {
  std::string_view pattern = "*", category;
  if (args.size() == 5 && EqualsIgnoreCase(args[2], "FILTERBY")) {
    if (EqualsIgnoreCase(args[3], "PATTERN")) {
      pattern = args[4];
    } else if (EqualsIgnoreCase(args[3], "ACLCAT")) {
      category = args[4];
    } else if (EqualsIgnoreCase(args[3], "MODULE")) {
      cx.reply.Array(0);
      return;
    } else {
      return cx.Error(errors::kSyntax);
    }
  } else if (args.size() != 2) {
    return cx.Error(errors::kSyntax);
  }
  std::vector<std::string_view> names;
  for (const CommandSpec* spec : CommandTable::Get().all()) {
    if (!GlobMatch(pattern, spec->name, true)) continue;
    if (!category.empty() && !InAclCategory(*spec, category)) continue;
    names.push_back(spec->name);
  }
  cx.reply.Array(names.size());
  for (auto n : names) cx.reply.Bulk(n);
}

void CommandGetKeys(CommandContext& cx, Args args) {
  Args cmd = args.subspan(2);
  const CommandSpec* spec = CommandTable::Get().Find(cmd[0]);
  if (spec == nullptr) return cx.Error(errors::kInvalidCommand);
  if (!spec->subcommands.empty() && cmd.size() >= 2) {
    spec = CommandTable::FindSub(*spec, cmd[1]);
    if (spec == nullptr) return cx.Error(errors::kInvalidCommand);
  }
  if (!spec->ArityOk(cmd.size())) return cx.Error(errors::kInvalidArgCount);
  if (spec->keys.first == 0) return cx.Error(errors::kNoKeyArguments);
  std::vector<std::string_view> keys;
  ForEachKey(*spec, cmd, [&](size_t i) {
    keys.push_back(cmd[i]);
    return true;
  });
  cx.reply.Array(keys.size());
  for (auto k : keys) cx.reply.Bulk(k);
}

// ---- TIME, SHUTDOWN ----

// MONITOR (server/monitor.h). A client already monitoring gets no reply, as from Redis.
void Monitor(CommandContext& cx, Args) {
  // A transaction's client expects one reply per command, not a stream.
  if (cx.conn.in_exec()) return cx.Error(errors::kMonitorInTransaction);
  if (cx.conn.StartMonitor()) cx.reply.Ok();
}

void Time(CommandContext& cx, Args) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  cx.reply.Array(2);
  cx.reply.Bulk(std::to_string(us / 1000000));
  cx.reply.Bulk(std::to_string(us % 1000000));
}

awaitable<void> Shutdown(CommandContext& cx, Args args) {
  bool save = false, nosave = false, force = false;
  for (size_t i = 1; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "NOSAVE")) {
      nosave = true;
    } else if (EqualsIgnoreCase(args[i], "SAVE")) {
      save = true;
    } else if (EqualsIgnoreCase(args[i], "FORCE")) {
      force = true;
    } else if (!EqualsIgnoreCase(args[i], "NOW")) {
      co_return cx.Error(errors::kSyntax);
    }
  }
  if (save && nosave) co_return cx.Error(errors::kSyntax);
  if (!co_await cx.server.Shutdown("User requested shutdown...", save, nosave, force)) {
    co_return cx.Error(errors::kShutdownFailed);
  }
  // As Redis: no reply on success; the connection closes when the server stops.
  cx.conn.CloseAfterReply();
}

}  // namespace

std::vector<CommandSpec> ServerCommands() {
  constexpr uint32_t kMeta = kLoading | kStale;
  std::vector<CommandSpec> command_subs = {
      {
          .name = "command|count",
          .arity = 2,
          .flags = kMeta,
          .group = "server",
          .since = "2.8.13",
          .summary = "Returns a count of commands.",
          .complexity = "O(1)",
          .acl = kAclConnection,
          .help = {{"COUNT", {"Return the total number of commands in this server."}}},
          .sync = CommandCount,
      },
      {
          .name = "command|list",
          .arity = -2,
          .flags = kMeta,
          .group = "server",
          .since = "7.0.0",
          .summary = "Returns a list of command names.",
          .complexity = "O(N) where N is the total number of commands",
          .acl = kAclConnection,
          .args = {{"filterby",
                    "oneof",
                    "FILTERBY",
                    true,
                    false,
                    {{"module-name", "string", "MODULE"},
                     {"category", "string", "ACLCAT"},
                     {"pattern", "pattern", "PATTERN"}}}},
          .help = {{"LIST [FILTERBY (MODULE|ACLCAT|PATTERN) <value>]",
                    {"Return a list of command names."}}},
          .sync = CommandList,
      },
      {
          .name = "command|info",
          .arity = -2,
          .flags = kMeta,
          .group = "server",
          .since = "2.8.13",
          .summary = "Returns information about one, multiple or all commands.",
          .complexity = "O(N) where N is the number of commands to look up",
          .acl = kAclConnection,
          .args = {{"command-name", "string", {}, true, true}},
          .help = {{"INFO [<command-name> ...]", {"Return details about the given commands."}}},
          .sync = CommandInfo,
      },
      {
          .name = "command|docs",
          .arity = -2,
          .flags = kMeta,
          .group = "server",
          .since = "7.0.0",
          .summary = "Returns documentary information about one, multiple or all commands.",
          .complexity = "O(N) where N is the number of commands to look up",
          .acl = kAclConnection,
          .args = {{"command-name", "string", {}, true, true}},
          .help = {{"DOCS [<command-name> ...]",
                    {"Return documentation details about the given commands."}}},
          .sync = CommandDocs,
      },
      {
          .name = "command|getkeys",
          .arity = -4,  // Redis 7.0's: the command and at least one of its arguments
          .flags = kMeta,
          .group = "server",
          .since = "2.8.13",
          .summary = "Extracts the key names from an arbitrary command.",
          .complexity = "O(N) where N is the number of arguments to the command",
          .acl = kAclConnection,
          .args = {{"command", "string"}, {"arg", "string", {}, true, true}},
          .help = {{"GETKEYS <full-command>", {"Return the keys from a full command."}}},
          .sync = CommandGetKeys,
      },
      {
          .name = "command|help",
          .arity = 2,
          .flags = kMeta,
          .group = "server",
          .since = "5.0.0",
          .summary = "Returns helpful text about the different subcommands.",
          .complexity = "O(1)",
          .acl = kAclConnection,
          .sync = ContainerHelp,
      },
  };
  return {
      {
          .name = "command",
          .arity = -1,
          .flags = kMeta,
          .group = "server",
          .since = "2.8.13",
          .summary = "Returns detailed information about all commands.",
          .complexity = "O(N) where N is the total number of "
                        "commands",
          .acl = kAclConnection,
          .help = {{"(no subcommand)", {"Return details about all commands."}}},
          .sync = Command,
          .subcommands = std::move(command_subs),
      },
      ConfigCommand(),
      AclCommand(),
      SlowlogCommand(),
      LatencyCommand(),
      MemoryCommand(),
      ObjectCommand(),
      {
          .name = "monitor",
          .arity = 1,
          .flags = kAdmin | kNoScript | kLoading | kStale,
          .group = "server",
          .since = "1.0.0",
          .summary = "Listens for all requests received by the server in real-time.",
          .sync = Monitor,
      },
      {
          .name = "info",
          .arity = -1,
          .flags = kLoading | kStale,
          .group = "server",
          .since = "1.0.0",
          .summary = "Returns information and statistics about the server.",
          .complexity = "O(1)",
          .acl = kAclDangerous,
          .args = {{"section", "string", {}, true, true}},
          .async = Info,
      },
      {
          .name = "time",
          .arity = 1,
          .flags = kLoading | kStale | kFast,
          .group = "server",
          .since = "2.6.0",
          .summary = "Returns the server time.",
          .complexity = "O(1)",
          .sync = Time,
      },
      {
          .name = "shutdown",
          .arity = -1,
          .flags = kAdmin | kNoScript | kLoading | kStale,
          .group = "server",
          .since = "1.0.0",
          .summary = "Synchronously saves the database(s) to disk and shuts down the Redis server.",
          .complexity = "O(N) when saving, where N is the total number of keys in all databases",
          .args = {{"save-selector",
                    "oneof",
                    {},
                    true,
                    false,
                    {{"nosave", "pure-token", "NOSAVE"}, {"save", "pure-token", "SAVE"}}}},
          .async = Shutdown,
      },
  };
}

}  // namespace typeahead::server
