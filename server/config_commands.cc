// CONFIG GET, SET, REWRITE, RESETSTAT and HELP over the directives of server/config.h. SET
// validates every pair on a copy and then gives each shard the new copy before it replies.

#include <boost/asio/awaitable.hpp>

#include "base/log.h"
#include "protocol/ascii.h"
#include "replication/replication.h"
#include "server/acl_change.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/errors.h"
#include "server/glob.h"
#include "server/server.h"
#include "server/shard.h"
#include "server/tls_context.h"
#include "storage/file_util.h"

namespace typeahead::server {
namespace {
using boost::asio::awaitable;

void ConfigGet(CommandContext& cx, Args args) {
  const Config& config = cx.shard.config();
  std::vector<std::pair<std::string_view, std::string>> found;
  // value() is only asked for a name that matches.
  auto add = [&](std::string_view name, auto value) {
    for (size_t i = 2; i < args.size(); ++i) {
      if (GlobMatch(args[i], name, true)) {
        found.emplace_back(name, value());
        return;
      }
    }
  };
  for (auto name : DirectiveNames()) add(name, [&] { return *GetDirective(config, name); });
  // Redis-only directives clients ask for, reported with the value that describes us.
  static const std::pair<std::string_view, std::string_view> kFixed[] = {
      {"databases", "1"}, {"maxmemory-policy", "noeviction"}, {"cluster-enabled", "no"}};
  for (auto [name, value] : kFixed) add(name, [v = value] { return std::string(v); });
  for (auto [alias, canonical] : kDirectiveAliases) {
    add(alias, [&, c = canonical] { return *GetDirective(config, c); });
  }
  for (const auto& [name, value] : config.ignored) {
    // One database, whatever the file said: kFixed's answer above.
    if (name != "databases") add(name, [&v = value] { return v; });
  }
  cx.reply.Map(found.size());
  for (auto& [k, v] : found) {
    cx.reply.Bulk(k);
    cx.reply.Bulk(v);
  }
}

awaitable<void> ConfigSet(CommandContext& cx, Args args) {
  if (args.size() % 2 != 0) {
    co_return cx.Error(errors::WrongArity("config|set"));
  }
  Config next = cx.shard.config();
  for (size_t i = 2; i < args.size(); i += 2) {
    if (!IsDirective(args[i])) {
      co_return cx.Error(errors::ConfigSetUnknown(args[i]));
    }
    for (size_t j = 2; j < i; j += 2) {
      if (EqualsIgnoreCase(args[j], args[i])) {
        co_return cx.Error(errors::ConfigSetFailed(args[i], errors::kDuplicateParameter));
      }
    }
  }
  for (size_t i = 2; i < args.size(); i += 2) {
    std::string value(args[i + 1]);
    if (auto e = SetDirective(&next, args[i], std::span<const std::string>(&value, 1), true)) {
      co_return cx.Error(errors::ConfigSetFailed(ToLower(args[i]), *e));
    }
  }
  // A tls-* directive rebuilds the TLS context, rereading its files (here, on this shard's
  // thread, as Redis reads them on its one thread: a few small files, rarely); when that fails
  // nothing is set and the context in use stays.
  std::shared_ptr<const TlsContext> tls = cx.shard.tls_context();
  if (TlsContextNeeded(next)) {
    for (size_t i = 2; i < args.size(); i += 2) {
      if (!IsTlsContextDirective(args[i])) continue;
      std::string error;
      tls = TlsContext::Build(next, &error);
      if (tls == nullptr) {
        Log(LogLevel::kWarning, "Failed to reload TLS configuration: {}", error);
        co_return cx.Error(errors::ConfigSetFailed(ToLower(args[i]), error));
      }
      break;
    }
  }
  LogLevel level;
  if (LogLevelFromName(next.loglevel, &level)) LogSetLevel(level);
  bool new_password = next.requirepass != cx.shard.config().requirepass;
  // Every shard gets the new copy before we reply, so later commands see it everywhere.
  co_await cx.server.shards().ForEach([&next, &tls](Shard& s) {
    s.set_config(next);
    s.set_tls_context(tls);
  });
  if (new_password) {
    // requirepass is the default user's password, as Redis 6 made it.
    std::string pass = ">" + next.requirepass;
    auto set_password = [&](Acl& acl) {
      std::vector<std::string_view> rules{"resetpass", pass};
      if (next.requirepass.empty()) rules[1] = "nopass";
      return acl.SetUser("default", rules);
    };
    co_await ChangeAcl(cx.server.shards(), set_password);
  }
  cx.reply.Ok();
}

awaitable<void> ConfigRewrite(CommandContext& cx, Args) {
  Config config = cx.shard.config();
  if (config.config_file.empty()) {
    co_return cx.Error(errors::kNoConfigFile);
  }
  // replicaof as REPLICAOF left it, which Sentinel rewrites the file to remember.
  replication::Replication& repl = cx.server.replication();
  auto primary = [&](Shard&) { return repl.PrimaryAddress(); };
  config.replicaof = co_await cx.server.shards().Run(0, primary);
  std::string error;
  auto text = storage::ReadWholeFile(config.config_file, &error);
  // The users go in the file too, unless an aclfile holds them.
  std::string users = config.aclfile.empty() ? cx.shard.acl().Serialize() : "";
  std::string rewritten = RewriteConfig(text ? *text : "", config, users);
  if (!storage::WriteFileAtomically(config.config_file, rewritten, &error)) {
    Log(LogLevel::kWarning, "CONFIG REWRITE failed: {}", error);
    co_return cx.Error(errors::ConfigRewriteFailed(error));
  }
  Log(LogLevel::kNotice, "CONFIG REWRITE executed with success.");
  cx.reply.Ok();
}

awaitable<void> ConfigResetStat(CommandContext& cx, Args) {
  size_t slots = CommandTable::Get().all().size();
  co_await cx.server.shards().ForEach([slots](Shard& s) {
    s.stats() = ShardStats();
    s.stats().commands.resize(slots);
    s.command_latency().Reset();
  });
  cx.reply.Ok();
}

}  // namespace

CommandSpec ConfigCommand() {
  std::vector<CommandSpec> config_subs = {
      {
          .name = "config|get",
          .arity = -3,
          .flags = kAdmin | kNoScript | kLoading | kStale,
          .group = "server",
          .since = "2.0.0",
          .summary = "Returns the effective values of configuration parameters.",
          .complexity = "O(N) when N is the number of configuration parameters provided",
          .args = {{"parameter", "string", {}, false, true}},
          .help = {{"GET <pattern>",
                    {"Return parameters matching the glob-like <pattern> and their values."}}},
          .sync = ConfigGet,
      },
      {
          .name = "config|set",
          .arity = -4,
          .flags = kAdmin | kNoScript | kLoading | kStale,
          .group = "server",
          .since = "2.0.0",
          .summary = "Sets configuration parameters in-flight.",
          .complexity = "O(N) when N is the number of configuration parameters provided",
          .args =
              {{"data", "block", {}, false, true, {{"parameter", "string"}, {"value", "string"}}}},
          .help = {{"SET <directive> <value>", {"Set the configuration <directive> to <value>."}}},
          .async = ConfigSet,
      },
      {
          .name = "config|resetstat",
          .arity = 2,
          .flags = kAdmin | kNoScript | kLoading | kStale,
          .group = "server",
          .since = "2.0.0",
          .summary = "Resets the server's statistics.",
          .complexity = "O(1)",
          .help = {{"RESETSTAT", {"Reset statistics reported by the INFO command."}}},
          .async = ConfigResetStat,
      },
      {
          .name = "config|rewrite",
          .arity = 2,
          .flags = kAdmin | kNoScript | kLoading | kStale,
          .group = "server",
          .since = "2.8.0",
          .summary = "Persists the effective configuration to file.",
          .complexity = "O(1)",
          .help = {{"REWRITE", {"Rewrite the configuration file."}}},
          .async = ConfigRewrite,
      },
      {
          .name = "config|help",
          .arity = 2,
          .flags = kLoading | kStale,
          .group = "server",
          .since = "5.0.0",
          .summary = "Returns helpful text about the different subcommands.",
          .complexity = "O(1)",
          .sync = ContainerHelp,
      },
  };
  return {
      .name = "config",
      .arity = -2,
      .group = "server",
      .since = "2.0.0",
      .summary = "A container for server configuration commands.",
      .complexity = "Depends on subcommand.",
      .subcommands = std::move(config_subs),
  };
}

}  // namespace typeahead::server
