// ACL and its subcommands: users (SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI), what they
// may do (CAT, DRYRUN), the file of them (LOAD, SAVE), the log of refusals (LOG) and GENPASS.
// Every change goes through ChangeAcl (server/acl_change.h), so it holds on every shard before
// the reply; reads use the connection's own shard's copy.

#include <openssl/rand.h>

#include <boost/asio/awaitable.hpp>
#include <chrono>

#include "base/log.h"
#include "protocol/ascii.h"
#include "protocol/number.h"
#include "server/acl_change.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/errors.h"
#include "server/server.h"
#include "server/shard.h"
#include "storage/file_util.h"

namespace typeahead::server {
namespace {
using boost::asio::awaitable;

constexpr int64_t kGenpassMaxBits = 4096;

awaitable<void> AclSetUser(CommandContext& cx, Args args) {
  std::string_view name = args[2];
  if (!ValidAclName(name)) co_return cx.Error(errors::kAclBadUsername);
  std::vector<std::string_view> rules(args.begin() + 3, args.end());
  auto set = [&](Acl& acl) { return acl.SetUser(name, rules); };
  if (auto error = co_await ChangeAcl(cx.server.shards(), set)) co_return cx.Error(*error);
  cx.reply.Ok();
}

void AclGetUser(CommandContext& cx, Args args) {
  const AclUser* u = cx.shard.acl().Find(args[2]);
  if (u == nullptr) return cx.reply.Null();
  auto& r = cx.reply;
  r.Map(6);
  r.Bulk("flags");
  std::vector<std::string_view> flags = u->Flags();
  r.Set(flags.size());
  for (std::string_view f : flags) r.Bulk(f);
  r.Bulk("passwords");
  r.Array(u->passwords().size());
  for (const std::string& p : u->passwords()) r.Bulk(p);
  r.Bulk("commands");
  r.Bulk(u->DescribeCommands());
  r.Bulk("keys");
  r.Bulk(u->DescribeKeys());
  r.Bulk("channels");
  r.Bulk(u->DescribeChannels());
  r.Bulk("selectors");
  r.Array(0);
}

awaitable<void> AclDelUser(CommandContext& cx, Args args) {
  std::vector<std::string_view> names(args.begin() + 2, args.end());
  for (std::string_view name : names) {
    if (name == "default") co_return cx.Error(errors::kAclDefaultUndeletable);
  }
  size_t deleted = 0;
  auto del = [&](Acl& acl) -> std::optional<std::string> {
    deleted = acl.DelUsers(names);
    return std::nullopt;
  };
  co_await ChangeAcl(cx.server.shards(), del);
  cx.reply.Integer(static_cast<int64_t>(deleted));
}

void AclList(CommandContext& cx, Args) {
  const Acl& acl = cx.shard.acl();
  cx.reply.Array(acl.users().size());
  for (const auto& [name, user] : acl.users())
    cx.reply.Bulk("user " + name + " " + user->Describe());
}

void AclUsers(CommandContext& cx, Args) {
  const Acl& acl = cx.shard.acl();
  cx.reply.Array(acl.users().size());
  for (const auto& [name, user] : acl.users()) cx.reply.Bulk(name);
}

void AclWhoami(CommandContext& cx, Args) { cx.reply.Bulk(cx.conn.user->name()); }

void AclCat(CommandContext& cx, Args args) {
  if (args.size() > 3) return cx.Error(errors::SubcommandSyntax(args[1], "ACL"));
  if (args.size() == 2) {
    cx.reply.Array(kAclCategoryCount);
    for (auto [bit, name] : kAclCategoryNames) cx.reply.Bulk(name);
    return;
  }
  uint32_t category = AclCategoryNamed(args[2]);
  if (category == 0) return cx.Error(errors::AclUnknownCategory(args[2]));
  std::vector<const CommandSpec*> specs = CommandsInCategory(category);
  cx.reply.Array(specs.size());
  for (const CommandSpec* spec : specs) cx.reply.Bulk(spec->name);
}

void AclDryRun(CommandContext& cx, Args args) {
  const AclUser* u = cx.shard.acl().Find(args[2]);
  if (u == nullptr) return cx.Error(errors::AclUserNotFound(args[2]));
  Args command = args.subspan(3);
  const CommandSpec* spec = CommandTable::Get().Find(command[0]);
  if (spec != nullptr && !spec->subcommands.empty() && command.size() >= 2) {
    spec = CommandTable::FindSub(*spec, command[1]);
  }
  if (spec == nullptr) return cx.Error(errors::AclCommandNotFound(command[0]));
  if (!spec->ArityOk(command.size())) return cx.Error(errors::WrongArity(spec->name));
  size_t arg = 0;
  AclDenied denied = u->Check(*spec, command, &arg);
  if (denied == AclDenied::kNone) return cx.reply.Ok();
  cx.reply.Bulk(errors::AclDryRunDenied(static_cast<int>(denied), spec->name, command[arg]));
}

void AclGenPass(CommandContext& cx, Args args) {
  if (args.size() > 3) return cx.Error(errors::SubcommandSyntax(args[1], "ACL"));
  int64_t bits = 256;
  if (args.size() == 3 && !protocol::ParseInt64(args[2], &bits)) {
    return cx.Error(errors::kNotInteger);
  }
  if (bits <= 0 || bits > kGenpassMaxBits) return cx.Error(errors::kAclGenpassRange);
  unsigned char random[kGenpassMaxBits / 8];
  size_t chars = static_cast<size_t>((bits + 3) / 4);
  RAND_bytes(random, static_cast<int>((chars + 1) / 2));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string pass(chars, '0');
  for (size_t i = 0; i < chars; ++i) {
    unsigned char b = random[i / 2];
    pass[i] = kHex[i % 2 == 0 ? b >> 4 : b & 15];
  }
  cx.reply.Bulk(pass);
}

awaitable<void> AclLoad(CommandContext& cx, Args) {
  const std::string file = AclFilePath(cx.shard.config());
  if (file.empty()) co_return cx.Error(errors::kAclNoFile);
  auto load = [&](Acl& acl) -> std::optional<std::string> {
    std::string why;
    std::optional<std::string> text = storage::ReadWholeFile(file, &why);
    if (!text) return errors::AclFileUnreadable(file, why);
    return acl.Load(*text, file);
  };
  if (auto error = co_await ChangeAcl(cx.server.shards(), load)) co_return cx.Error(*error);
  cx.reply.Ok();
}

void AclSave(CommandContext& cx, Args) {
  const std::string file = AclFilePath(cx.shard.config());
  if (file.empty()) return cx.Error(errors::kAclNoFile);
  std::string why;
  if (!storage::WriteFileAtomically(file, cx.shard.acl().Serialize(), &why)) {
    Log(LogLevel::kWarning, "Writing ACL file for ACL SAVE: {}", why);
    return cx.Error(errors::kAclSaveFailed);
  }
  cx.reply.Ok();
}

awaitable<void> AclLog(CommandContext& cx, Args args) {
  if (args.size() > 3) co_return cx.Error(errors::SubcommandSyntax(args[1], "ACL"));
  int64_t count = 10;
  ShardSet& shards = cx.server.shards();
  if (args.size() == 3) {
    if (EqualsIgnoreCase(args[2], "reset")) {
      co_await shards.Run(0, [](Shard& s) { s.acl().ResetLog(); });
      co_return cx.reply.Ok();
    }
    if (!protocol::ParseInt64(args[2], &count)) co_return cx.Error(errors::kNotInteger);
    count = std::max<int64_t>(count, 0);
  }
  auto read = [count](Shard& s) {
    const auto& log = s.acl().log();
    size_t n = std::min(log.size(), static_cast<size_t>(count));
    return std::vector<AclLogEntry>(log.begin(), log.begin() + static_cast<ptrdiff_t>(n));
  };
  std::vector<AclLogEntry> entries = co_await shards.Run(0, read);
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  auto& r = cx.reply;
  r.Array(entries.size());
  for (const AclLogEntry& e : entries) {
    r.Map(7);
    r.Bulk("count");
    r.Integer(static_cast<int64_t>(e.count));
    r.Bulk("reason");
    r.Bulk(e.reason);
    r.Bulk("context");
    r.Bulk(e.context);
    r.Bulk("object");
    r.Bulk(e.object);
    r.Bulk("username");
    r.Bulk(e.username);
    r.Bulk("age-seconds");
    r.Double(static_cast<double>(now - e.ms) / 1000);
    r.Bulk("client-info");
    r.Bulk(e.client_info);
  }
}

// The rows' common parts: Redis's flags; admin (and so @admin @dangerous) but for CAT,
// GENPASS, WHOAMI and HELP.
CommandSpec Sub(std::string_view name, int arity, bool admin, std::string_view since,
                std::string_view summary, std::vector<ArgDoc> args, HelpEntry help,
                SyncHandler sync, AsyncHandler async = nullptr) {
  return {
      .name = name,
      .arity = arity,
      .flags = (admin ? kAdmin : 0u) | kNoScript | kLoading | kStale,
      .group = "server",
      .since = since,
      .summary = summary,
      .complexity = "O(1)",
      .args = std::move(args),
      .help = {std::move(help)},
      .sync = sync,
      .async = async,
  };
}

}  // namespace

CommandSpec AclCommand() {
  std::vector<CommandSpec> subs = {
      Sub("acl|cat", -2, false, "6.0.0",
          "Lists the ACL categories, or the commands inside a category.",
          {{"category", "string", {}, true}},
          {"CAT [<category>]",
           {"List all commands that belong to <category>, or all command categories",
            "when no category is specified."}},
          AclCat),
      Sub("acl|deluser", -3, true, "6.0.0", "Deletes ACL users, and terminates their connections.",
          {{"username", "string", {}, false, true}},
          {"DELUSER <username> [<username> ...]", {"Delete a list of users."}}, nullptr,
          AclDelUser),
      Sub("acl|dryrun", -4, true, "7.0.0",
          "Simulates the execution of a command by a user, without executing the command.",
          {{"username", "string"}, {"command", "string"}, {"arg", "string", {}, true, true}},
          {"DRYRUN <username> <command> [<arg> ...]",
           {"Returns whether the user can execute the given command without executing the "
            "command."}},
          AclDryRun),
      Sub("acl|getuser", 3, true, "6.0.0", "Lists the ACL rules of a user.",
          {{"username", "string"}}, {"GETUSER <username>", {"Get the user's details."}},
          AclGetUser),
      Sub("acl|genpass", -2, false, "6.0.0",
          "Generates a pseudorandom, secure password that can be used to identify ACL users.",
          {{"bits", "integer", {}, true}},
          {"GENPASS [<bits>]",
           {"Generate a secure 256-bit user password. The optional `bits` argument can",
            "be used to specify a different size."}},
          AclGenPass),
      Sub("acl|list", 2, true, "6.0.0", "Dumps the effective rules in ACL file format.", {},
          {"LIST", {"Show users details in config file format."}}, AclList),
      Sub("acl|load", 2, true, "6.0.0", "Reloads the rules from the configured ACL file.", {},
          {"LOAD", {"Reload users from the ACL file."}}, nullptr, AclLoad),
      Sub("acl|log", -2, true, "6.0.0", "Lists recent security events generated due to ACL rules.",
          {{"operation",
            "oneof",
            {},
            true,
            false,
            {{"count", "integer"}, {"reset", "pure-token", "RESET"}}}},
          {"LOG [<count> | RESET]", {"Show the ACL log entries."}}, nullptr, AclLog),
      Sub("acl|save", 2, true, "6.0.0", "Saves the effective ACL rules in the configured ACL file.",
          {}, {"SAVE", {"Save the current config to the ACL file."}}, AclSave),
      Sub("acl|setuser", -3, true, "6.0.0", "Creates and modifies an ACL user and its rules.",
          {{"username", "string"}, {"rule", "string", {}, true, true}},
          {"SETUSER <username> <attribute> [<attribute> ...]",
           {"Create or modify a user with the specified attributes."}},
          nullptr, AclSetUser),
      Sub("acl|users", 2, true, "6.0.0", "Lists all ACL users.", {},
          {"USERS", {"List all the registered usernames."}}, AclUsers),
      Sub("acl|whoami", 2, false, "6.0.0",
          "Returns the authenticated username of the current connection.", {},
          {"WHOAMI", {"Return the current connection username."}}, AclWhoami),
      {
          .name = "acl|help",
          .arity = 2,
          .flags = kLoading | kStale,
          .group = "server",
          .since = "6.0.0",
          .summary = "Returns helpful text about the different subcommands.",
          .complexity = "O(1)",
          .sync = ContainerHelp,
      },
  };
  return {
      .name = "acl",
      .arity = -2,
      .group = "server",
      .since = "6.0.0",
      .summary = "A container for Access List Control commands.",
      .complexity = "Depends on subcommand.",
      .subcommands = std::move(subs),
  };
}

}  // namespace typeahead::server
