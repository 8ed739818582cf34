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
      cx.reply.NullArray();
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
    if (!category.empty() &&
        std::none_of(spec->acl_categories.begin(), spec->acl_categories.end(),
                     [&](std::string_view c) { return EqualsIgnoreCase(c, category); })) {
      continue;
    }
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
  int argc = static_cast<int>(cmd.size());
  if (spec->first_key == 0) return cx.Error(errors::kNoKeyArguments);
  int last = spec->last_key < 0 ? argc + spec->last_key : spec->last_key;
  std::vector<std::string_view> keys;
  for (int i = spec->first_key; i <= last && i < argc; i += spec->step) keys.push_back(cmd[i]);
  cx.reply.Array(keys.size());
  for (auto k : keys) cx.reply.Bulk(k);
}

void CommandHelp(CommandContext& cx, Args) {
  static const char* kLines[] = {
      "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "(no subcommand)",
      "    Return details about all commands.",
      "COUNT",
      "    Return the total number of commands in this server.",
      "LIST [FILTERBY (MODULE|ACLCAT|PATTERN) <value>]",
      "    Return a list of command names.",
      "INFO [<command-name> ...]",
      "    Return details about the given commands.",
      "DOCS [<command-name> ...]",
      "    Return documentation details about the given commands.",
      "GETKEYS <full-command>",
      "    Return the keys from a full command.",
      "HELP",
      "    Print this help.",
  };
  cx.reply.Array(std::size(kLines));
  for (const char* l : kLines) cx.reply.Simple(l);
}

// ---- TIME, SHUTDOWN ----

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
      {"command|count",
       2,
       kMeta,
       0,
       0,
       0,
       "server",
       "2.8.13",
       "Returns a count of commands.",
       "O(1)",
       {"slow", "connection"},
       {},
       CommandCount},
      {"command|docs",
       -2,
       kMeta,
       0,
       0,
       0,
       "server",
       "7.0.0",
       "Returns documentary information about one, multiple or all commands.",
       "O(N) where N is the number of commands to look up",
       {"slow", "connection"},
       {{"command-name", "string", {}, true, true}},
       CommandDocs},
      {"command|getkeys",
       -3,
       kMeta,
       0,
       0,
       0,
       "server",
       "2.8.13",
       "Extracts the key names from an arbitrary command.",
       "O(N) where N is the number of arguments to the command",
       {"slow", "connection"},
       {{"command", "string"}, {"arg", "string", {}, true, true}},
       CommandGetKeys},
      {"command|info",
       -2,
       kMeta,
       0,
       0,
       0,
       "server",
       "2.8.13",
       "Returns information about one, multiple or all commands.",
       "O(N) where N is the number of commands to look up",
       {"slow", "connection"},
       {{"command-name", "string", {}, true, true}},
       CommandInfo},
      {"command|list",
       -2,
       kMeta,
       0,
       0,
       0,
       "server",
       "7.0.0",
       "Returns a list of command names.",
       "O(N) where N is the total number of commands",
       {"slow", "connection"},
       {{"filterby",
         "oneof",
         "FILTERBY",
         true,
         false,
         {{"module-name", "string", "MODULE"},
          {"category", "string", "ACLCAT"},
          {"pattern", "pattern", "PATTERN"}}}},
       CommandList},
      {"command|help",
       2,
       kMeta,
       0,
       0,
       0,
       "server",
       "5.0.0",
       "Returns helpful text about the different subcommands.",
       "O(1)",
       {"slow", "connection"},
       {},
       CommandHelp},
  };
  return {
      {"command",
       -1,
       kMeta,
       0,
       0,
       0,
       "server",
       "2.8.13",
       "Returns detailed information about all commands.",
       "O(N) where N is the total number of "
       "commands",
       {"slow", "connection"},
       {},
       Command,
       nullptr,
       std::move(command_subs)},
      ConfigCommand(),
      {"info",
       -1,
       kLoading | kStale,
       0,
       0,
       0,
       "server",
       "1.0.0",
       "Returns information and statistics about the server.",
       "O(1)",
       {"slow", "dangerous"},
       {{"section", "string", {}, true, true}},
       nullptr,
       Info},
      {"time",
       1,
       kLoading | kStale | kFast,
       0,
       0,
       0,
       "server",
       "2.6.0",
       "Returns the server time.",
       "O(1)",
       {"fast"},
       {},
       Time},
      {"shutdown",
       -1,
       kAdmin | kNoScript | kLoading | kStale,
       0,
       0,
       0,
       "server",
       "1.0.0",
       "Synchronously saves the database(s) to disk and shuts down the Redis server.",
       "O(N) when saving, where N is the total number of keys in all databases",
       {"admin", "slow", "dangerous"},
       {{"save-selector",
         "oneof",
         {},
         true,
         false,
         {{"nosave", "pure-token", "NOSAVE"}, {"save", "pure-token", "SAVE"}}}},
       nullptr,
       Shutdown},
  };
}

}  // namespace typeahead::server
