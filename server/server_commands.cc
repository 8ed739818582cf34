// Server commands: COMMAND, INFO, CONFIG, TIME, SHUTDOWN.
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <set>

#include "base/log.h"
#include "protocol/ascii.h"
#include "replication/replication.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/glob.h"
#include "server/keyspace.h"
#include "server/memory_usage.h"
#include "server/server.h"
#include "server/shard.h"
#include "storage/file_util.h"

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
      return cx.Error("ERR syntax error");
    }
  } else if (args.size() != 2) {
    return cx.Error("ERR syntax error");
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
  if (spec == nullptr) return cx.Error("ERR Invalid command specified");
  if (!spec->subcommands.empty() && cmd.size() >= 2) {
    spec = CommandTable::FindSub(*spec, cmd[1]);
    if (spec == nullptr) return cx.Error("ERR Invalid command specified");
  }
  int argc = static_cast<int>(cmd.size());
  if ((spec->arity > 0 && argc != spec->arity) || argc < -spec->arity) {
    return cx.Error("ERR Invalid number of arguments specified for command");
  }
  if (spec->first_key == 0) return cx.Error("ERR The command has no key arguments");
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

// ---- INFO ----

std::string Human(double bytes) {
  const char* units[] = {"B", "K", "M", "G", "T"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{}B", static_cast<int64_t>(bytes))
                : fmt::format("{:.2f}{}", bytes, units[u]);
}

struct ShardSnapshot {
  ShardStats stats;
  size_t clients = 0;
  size_t terms = 0;
  size_t engine_bytes = 0;
  uint64_t changes = 0, log_bytes = 0, log_buffered = 0, log_unsynced = 0;
  std::vector<std::string> channels, patterns;
};

awaitable<void> Info(CommandContext& cx, Args args) {
  std::set<std::string> wanted;
  bool all = false, everything = false;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string s = ToLower(args[i]);
    if (s == "all")
      all = true;
    else if (s == "everything")
      everything = true;
    else if (s == "default")
      wanted.insert({"server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                     "keyspace"});
    else
      wanted.insert(s);
  }
  if (args.size() == 1) {
    wanted = {"server", "clients",     "memory", "persistence",
              "stats",  "replication", "cpu",    "keyspace"};
  }
  auto want = [&](std::string_view name) {
    if (everything) return true;
    if (all) return true;
    return wanted.count(std::string(name)) > 0;
  };

  Server& server = cx.server;
  auto snaps = co_await server.shards().RunAll([](Shard& s) {
    const auto& log = s.journal().log();
    return ShardSnapshot{s.stats(),
                         s.clients().size(),
                         s.partition().term_count(),
                         s.partition().MemoryUsage(),
                         s.journal().changes(),
                         log.is_open() ? log.end() - log.base() : 0,
                         log.is_open() ? log.buffered() : 0,
                         log.is_open() ? log.written() - log.synced() : 0,
                         s.pubsub().Channels(""),
                         s.pubsub().Patterns()};
  });
  std::set<std::string> channels, patterns;  // a channel may have subscribers on every shard
  for (const auto& snap : snaps) {
    channels.insert(snap.channels.begin(), snap.channels.end());
    patterns.insert(snap.patterns.begin(), snap.patterns.end());
  }
  ShardStats total;
  total.commands.resize(CommandTable::Get().all().size());
  double ops = 0;
  size_t terms = 0, engine_bytes = 0;
  for (const auto& s : snaps) {
    total.commands_processed += s.stats.commands_processed;
    total.connections_received += s.stats.connections_received;
    total.rejected_connections += s.stats.rejected_connections;
    total.auth_failures += s.stats.auth_failures;
    total.net_input_bytes += s.stats.net_input_bytes;
    total.net_output_bytes += s.stats.net_output_bytes;
    for (size_t i = 0; i < total.commands.size(); ++i) {
      total.commands[i].calls += s.stats.commands[i].calls;
      total.commands[i].nsec += s.stats.commands[i].nsec;
      total.commands[i].failed_calls += s.stats.commands[i].failed_calls;
      total.commands[i].rejected_calls += s.stats.commands[i].rejected_calls;
    }
    uint64_t sum = 0;
    for (uint64_t v : s.stats.samples) sum += v;
    ops += static_cast<double>(sum) / ShardStats::kSamples * 10;  // samples are 100 ms apart
    terms += s.terms;
    engine_bytes += s.engine_bytes;
  }

  replication::Replication& repl = server.replication();
  std::array<uint64_t, 5> repl_counters{};
  auto repl_state = [&](Shard&) {
    repl_counters = {repl.sync_full(), repl.sync_partial_ok(), repl.sync_partial_err(),
                     repl.stream_raw_bytes(), repl.stream_wire_bytes()};
    return repl.Info();
  };
  std::string repl_info = co_await server.shards().Run(0, repl_state);

  const Config& config = cx.shard.config();
  auto now = std::chrono::system_clock::now();
  int64_t uptime = std::chrono::duration_cast<std::chrono::seconds>(now - server.started()).count();
  int64_t now_us =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::string out;
  auto section = [&](std::string_view title) {
    if (!out.empty()) out += "\r\n";
    out += fmt::format("# {}\r\n", title);
  };
  auto field = [&](std::string_view name, const auto& value) {
    out += fmt::format("{}:{}\r\n", name, value);
  };

  if (want("server")) {
    utsname u;
    uname(&u);
    section("Server");
    field("redis_version", kRedisVersion);
    field("redis_git_sha1", "00000000");
    field("redis_git_dirty", 0);
    field("redis_build_id", "0");
    field("redis_mode", "standalone");
    field("typeahead_version", kTypeaheadVersion);
    field("os", fmt::format("{} {} {}", u.sysname, u.release, u.machine));
    field("arch_bits", 64);
    field("monotonic_clock", "POSIX clock_gettime");
    field("multiplexing_api", "epoll");
    field("gcc_version", fmt::format("{}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__));
    field("process_id", getpid());
    field("process_supervised", "no");
    field("run_id", server.run_id());
    field("tcp_port", server.port());
    field("server_time_usec", now_us);
    field("uptime_in_seconds", uptime);
    field("uptime_in_days", uptime / 86400);
    field("hz", 10);
    field("configured_hz", 10);
    field("executable", server.executable());
    field("config_file", config.config_file);
    field("io_threads_active", 0);
    field("shard_threads", server.shards().size());
  }
  if (want("clients")) {
    section("Clients");
    field("connected_clients", server.connected_clients());
    field("cluster_connections", 0);
    field("maxclients", config.maxclients);
    field("blocked_clients", 0);
    field("tracking_clients", 0);
    field("clients_in_timeout_table", 0);
  }
  if (want("memory")) {
    int64_t used = HeapBytes(), rss = RssBytes();
    section("Memory");
    field("used_memory", used);
    field("used_memory_human", Human(used));
    field("used_memory_rss", rss);
    // The engine's arrays as allocated (capacity): tries, label arenas, caches, key tables.
    field("used_memory_dataset", engine_bytes);
    field("used_memory_rss_human", Human(rss));
    field("total_system_memory", sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE));
    field("maxmemory", config.maxmemory);
    field("maxmemory_human", Human(config.maxmemory));
    field("maxmemory_policy", "noeviction");
    field("mem_fragmentation_ratio",
          fmt::format("{:.2f}", used > 0 ? static_cast<double>(rss) / used : 0.0));
    field("mem_allocator", "libc");
  }
  if (want("persistence")) {
    section("Persistence");
    field("loading", 0);
    field("async_loading", 0);
    const Persistence& p = server.persistence();
    uint64_t changes = 0, log_bytes = 0, buffered = 0, unsynced = 0;
    for (const auto& s : snaps) {
      changes += s.changes;
      log_bytes += s.log_bytes;
      buffered += s.log_buffered;
      unsynced += s.log_unsynced;
    }
    int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    int64_t started = p.current_save_started();
    bool saving = started >= 0;
    field("rdb_changes_since_last_save", changes - std::min(changes, p.changes_at_last_save()));
    field("rdb_bgsave_in_progress", saving ? 1 : 0);
    field("rdb_last_save_time", p.last_save_time());
    field("rdb_last_bgsave_status", p.last_save_ok() ? "ok" : "err");
    field("rdb_last_bgsave_time_sec", p.last_save_seconds());
    field("rdb_current_bgsave_time_sec", saving ? now - started : -1);
    field("rdb_saves", p.saves());
    field("aof_enabled", p.aof_enabled() ? 1 : 0);
    field("aof_rewrite_in_progress", saving && p.aof_enabled() ? 1 : 0);
    field("aof_rewrite_scheduled", 0);
    field("aof_last_rewrite_time_sec", p.aof_enabled() ? p.last_save_seconds() : -1);
    field("aof_current_rewrite_time_sec", saving && p.aof_enabled() ? now - started : -1);
    field("aof_last_bgrewrite_status", p.last_save_ok() ? "ok" : "err");
    field("aof_rewrites", p.aof_enabled() ? p.saves() : 0);
    field("aof_last_write_status",
          p.health().failing_logs.load(std::memory_order_relaxed) > 0 ? "err" : "ok");
    if (p.aof_enabled()) {
      field("aof_current_size", p.snapshot_bytes() + log_bytes);
      field("aof_base_size", p.snapshot_bytes());
      field("aof_pending_rewrite", 0);
      field("aof_buffer_length", buffered);
      field("aof_pending_bio_fsync", unsynced > 0 ? 1 : 0);
      field("aof_delayed_fsync", 0);
    }
  }
  if (want("stats")) {
    section("Stats");
    field("total_connections_received", total.connections_received);
    field("total_commands_processed", total.commands_processed);
    field("instantaneous_ops_per_sec", static_cast<int64_t>(ops));
    field("total_net_input_bytes", total.net_input_bytes);
    field("total_net_output_bytes", total.net_output_bytes + repl_counters[4]);
    field("total_net_repl_output_bytes", repl_counters[4]);
    // Ours: the same bytes before repl-compression (equal when it is off).
    field("total_repl_output_bytes_uncompressed", repl_counters[3]);
    field("rejected_connections", total.rejected_connections);
    field("sync_full", repl_counters[0]);
    field("sync_partial_ok", repl_counters[1]);
    field("sync_partial_err", repl_counters[2]);
    field("expired_keys", 0);
    field("evicted_keys", 0);
    field("pubsub_channels", channels.size());
    field("pubsub_patterns", patterns.size());
    field("total_forks", 0);
    field("acl_access_denied_auth", total.auth_failures);
    field("acl_access_denied_cmd", 0);
    field("acl_access_denied_key", 0);
    field("acl_access_denied_channel", 0);
  }
  if (want("replication")) {
    section("Replication");
    out += repl_info;
  }
  if (want("cpu")) {
    rusage self;
    getrusage(RUSAGE_SELF, &self);
    auto secs = [](timeval t) { return fmt::format("{}.{:06}", t.tv_sec, t.tv_usec); };
    section("CPU");
    field("used_cpu_sys", secs(self.ru_stime));
    field("used_cpu_user", secs(self.ru_utime));
    field("used_cpu_sys_children", "0.000000");
    field("used_cpu_user_children", "0.000000");
  }
  if (everything || wanted.count("commandstats") || all) {
    section("Commandstats");
    const auto& specs = CommandTable::Get().all();
    for (size_t i = 0; i < specs.size(); ++i) {
      const CommandStat& s = total.commands[i];
      if (s.calls == 0 && s.rejected_calls == 0 && s.failed_calls == 0) continue;
      field(fmt::format("cmdstat_{}", specs[i]->name),
            fmt::format("calls={},usec={},usec_per_call={:.2f},rejected_calls={},failed_calls={}",
                        s.calls, s.nsec / 1000,
                        s.calls ? static_cast<double>(s.nsec) / 1000.0 / s.calls : 0.0,
                        s.rejected_calls, s.failed_calls));
    }
  }
  if (want("keyspace")) {
    auto keys = co_await CollectKeys(server.shards(), "*");
    section("Keyspace");
    if (!keys.empty()) field("db0", fmt::format("keys={},expires=0,avg_ttl=0", keys.size()));
  }
  if (want("keyspace") || want("memory")) {
    // Not a Redis section: the engine's own figures.
    section("Autocomplete");
    field("terms", terms);
    field("engine_bytes_per_term",
          fmt::format("{:.1f}", terms ? static_cast<double>(engine_bytes) / terms : 0.0));
  }
  cx.reply.Verbatim(out);
}

// ---- CONFIG ----

void ConfigGet(CommandContext& cx, Args args) {
  std::vector<std::pair<std::string_view, std::string>> found;
  for (auto name : DirectiveNames()) {
    for (size_t i = 2; i < args.size(); ++i) {
      if (GlobMatch(args[i], name, true)) {
        found.emplace_back(name, *GetDirective(cx.shard.config(), name));
        break;
      }
    }
  }
  // Redis-only directives clients ask for, reported with the value that describes us.
  static const std::pair<std::string_view, std::string_view> kFixed[] = {
      {"databases", "1"},
      {"maxmemory-policy", "noeviction"},
      {"cluster-enabled", "no"},
      {"daemonize", "no"}};
  for (auto [name, value] : kFixed) {
    for (size_t i = 2; i < args.size(); ++i) {
      if (GlobMatch(args[i], name, true)) {
        found.emplace_back(name, std::string(value));
        break;
      }
    }
  }
  cx.reply.Map(found.size());
  for (auto& [k, v] : found) {
    cx.reply.Bulk(k);
    cx.reply.Bulk(v);
  }
}

awaitable<void> ConfigSet(CommandContext& cx, Args args) {
  if (args.size() % 2 != 0) {
    co_return cx.Error("ERR wrong number of arguments for 'config|set' command");
  }
  Config next = cx.shard.config();
  for (size_t i = 2; i < args.size(); i += 2) {
    if (!IsDirective(args[i])) {
      co_return cx.Error(
          fmt::format("ERR Unknown option or number of arguments for CONFIG SET - '{}'", args[i]));
    }
  }
  for (size_t i = 2; i < args.size(); i += 2) {
    std::string value(args[i + 1]);
    if (auto e = SetDirective(&next, args[i], std::span<const std::string>(&value, 1), true)) {
      co_return cx.Error(fmt::format(
          "ERR CONFIG SET failed (possibly related to argument '{}') - {}", ToLower(args[i]), *e));
    }
  }
  LogLevel level;
  if (LogLevelFromName(next.loglevel, &level)) LogSetLevel(level);
  // Every shard gets the new copy before we reply, so later commands see it everywhere.
  co_await cx.server.shards().ForEach([&next](Shard& s) { s.set_config(next); });
  cx.reply.Ok();
}

awaitable<void> ConfigRewrite(CommandContext& cx, Args) {
  Config config = cx.shard.config();
  if (config.config_file.empty()) {
    co_return cx.Error("ERR The server is running without a config file");
  }
  // replicaof as REPLICAOF left it, which Sentinel rewrites the file to remember.
  replication::Replication& repl = cx.server.replication();
  auto primary = [&](Shard&) { return repl.PrimaryAddress(); };
  config.replicaof = co_await cx.server.shards().Run(0, primary);
  std::string error;
  auto text = storage::ReadWholeFile(config.config_file, &error);
  std::string rewritten = RewriteConfig(text ? *text : "", config);
  if (!storage::WriteFileAtomically(config.config_file, rewritten, &error)) {
    Log(LogLevel::kWarning, "CONFIG REWRITE failed: {}", error);
    co_return cx.Error(fmt::format("ERR Rewriting config file: {}", error));
  }
  Log(LogLevel::kNotice, "CONFIG REWRITE executed with success.");
  cx.reply.Ok();
}

awaitable<void> ConfigResetStat(CommandContext& cx, Args) {
  size_t slots = CommandTable::Get().all().size();
  co_await cx.server.shards().ForEach([slots](Shard& s) {
    s.stats() = ShardStats();
    s.stats().commands.resize(slots);
  });
  cx.reply.Ok();
}

void ConfigHelp(CommandContext& cx, Args) {
  static const char* kLines[] = {
      "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET <pattern>",
      "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value>",
      "    Set the configuration <directive> to <value>.",
      "RESETSTAT",
      "    Reset statistics reported by the INFO command.",
      "REWRITE",
      "    Rewrite the configuration file.",
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
      co_return cx.Error("ERR syntax error");
    }
  }
  if (save && nosave) co_return cx.Error("ERR syntax error");
  if (!co_await cx.server.Shutdown("User requested shutdown...", save, nosave, force)) {
    co_return cx.Error("ERR Errors trying to SHUTDOWN. Check logs.");
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
  std::vector<CommandSpec> config_subs = {
      {"config|get",
       -3,
       kAdmin | kNoScript | kLoading | kStale,
       0,
       0,
       0,
       "server",
       "2.0.0",
       "Returns the effective values of configuration parameters.",
       "O(N) when N is the number of configuration parameters provided",
       {"admin", "slow", "dangerous"},
       {{"parameter", "string", {}, false, true}},
       ConfigGet},
      {"config|set",
       -4,
       kAdmin | kNoScript | kLoading | kStale,
       0,
       0,
       0,
       "server",
       "2.0.0",
       "Sets configuration parameters in-flight.",
       "O(N) when N is the number of configuration parameters provided",
       {"admin", "slow", "dangerous"},
       {{"data", "block", {}, false, true, {{"parameter", "string"}, {"value", "string"}}}},
       nullptr,
       ConfigSet},
      {"config|rewrite",
       2,
       kAdmin | kNoScript | kLoading | kStale,
       0,
       0,
       0,
       "server",
       "2.8.0",
       "Persists the effective configuration to file.",
       "O(1)",
       {"admin", "slow", "dangerous"},
       {},
       nullptr,
       ConfigRewrite},
      {"config|resetstat",
       2,
       kAdmin | kNoScript | kLoading | kStale,
       0,
       0,
       0,
       "server",
       "2.0.0",
       "Resets the server's statistics.",
       "O(1)",
       {"admin", "slow", "dangerous"},
       {},
       nullptr,
       ConfigResetStat},
      {"config|help",
       2,
       kLoading | kStale,
       0,
       0,
       0,
       "server",
       "5.0.0",
       "Returns helpful text about the different subcommands.",
       "O(1)",
       {"slow"},
       {},
       ConfigHelp},
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
      {"config",
       -2,
       0,
       0,
       0,
       0,
       "server",
       "2.0.0",
       "A container for server configuration commands.",
       "Depends on subcommand.",
       {"slow"},
       {},
       nullptr,
       nullptr,
       std::move(config_subs)},
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
