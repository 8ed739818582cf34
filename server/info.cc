// INFO: Redis 7's sections that apply to a dictionary server (Server, Clients, Memory,
// Persistence, Stats, Replication, CPU, Commandstats, Errorstats, Latencystats, Keyspace) and our
// own Autocomplete section, asked for by its own name. Every shard's figures are gathered in one
// round, then each section asked for is written by a function of its own, in Redis's order.
#include "server/info.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <set>

#include "protocol/ascii.h"
#include "replication/replication.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/memory_usage.h"
#include "server/server.h"
#include "server/shard.h"

namespace typeahead::server {
namespace {
using boost::asio::awaitable;

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
  rusage cpu{};  // the shard thread's own
  size_t max_query_bytes = 0, max_output_bytes = 0, clients_bytes = 0;
  uint64_t memo_hits = 0, cached_nodes = 0;
  std::vector<std::string> keys;            // with the keyspace section
  std::array<uint64_t, 5> repl_counters{};  // shard 0's: see Figures
  std::string repl_info;                    // shard 0's
};

// The reply's text: "# Title" lines and "name:value" fields, sections apart by a blank line.
struct InfoText {
  std::string out;
  void Section(std::string_view title) {
    if (!out.empty()) out += "\r\n";
    out += fmt::format("# {}\r\n", title);
  }
  template <typename V>
  void Field(std::string_view name, const V& value) {
    out += fmt::format("{}:{}\r\n", name, value);
  }
};

// Every figure the sections read, gathered once per INFO.
struct Figures {
  Server& server;
  const Config& config;
  std::vector<ShardSnapshot> snaps;
  ShardStats total;  // summed over the shards
  double ops = 0;
  size_t terms = 0, engine_bytes = 0;
  std::set<std::string> channels, patterns;  // a channel may have subscribers on every shard
  std::array<uint64_t, 5> repl_counters{};   // sync_full, partial ok/err, raw and wire bytes
  std::string repl_info;
  int64_t now_us = 0, uptime = 0;
  bool loading = false;  // read once: every section of one reply agrees
};

void ServerSection(InfoText& t, const Figures& f) {
  Server& server = f.server;
  const auto& config = f.config;
  const auto& now_us = f.now_us;
  const auto& uptime = f.uptime;
  utsname u;
  uname(&u);
  t.Section("Server");
  t.Field("redis_version", kRedisVersion);
  t.Field("redis_git_sha1", "00000000");
  t.Field("redis_git_dirty", 0);
  t.Field("redis_build_id", "0");
  t.Field("redis_mode", "standalone");
  t.Field("typeahead_version", kTypeaheadVersion);
  t.Field("os", fmt::format("{} {} {}", u.sysname, u.release, u.machine));
  t.Field("arch_bits", 64);
  t.Field("monotonic_clock", "POSIX clock_gettime");
  t.Field("multiplexing_api", "epoll");
  t.Field("gcc_version", fmt::format("{}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__));
  t.Field("process_id", getpid());
  t.Field("process_supervised", server.supervision().Name());
  t.Field("run_id", server.run_id());
  t.Field("tcp_port", server.port());
  t.Field("server_time_usec", now_us);
  t.Field("uptime_in_seconds", uptime);
  t.Field("uptime_in_days", uptime / 86400);
  t.Field("hz", 10);
  t.Field("configured_hz", 10);
  t.Field("executable", server.executable());
  t.Field("config_file", config.config_file);
  t.Field("io_threads_active", 0);
  t.Field("shard_threads", server.shards().size());
}

void ClientsSection(InfoText& t, const Figures& f) {
  Server& server = f.server;
  const auto& config = f.config;
  t.Section("Clients");
  t.Field("connected_clients", server.connected_clients());
  t.Field("cluster_connections", 0);
  t.Field("maxclients", config.maxclients);
  size_t max_in = 0, max_out = 0;
  for (const auto& s : f.snaps) {
    max_in = std::max(max_in, s.max_query_bytes);
    max_out = std::max(max_out, s.max_output_bytes);
  }
  // The largest now (Redis: over the last few seconds).
  t.Field("client_recent_max_input_buffer", max_in);
  t.Field("client_recent_max_output_buffer", max_out);
  int64_t paused = 0;  // as Redis, a client held by CLIENT PAUSE is a blocked one
  for (const auto& s : f.snaps) paused += s.stats.paused_clients;
  t.Field("blocked_clients", paused);
  t.Field("tracking_clients", 0);
  t.Field("clients_in_timeout_table", 0);
}

void MemorySection(InfoText& t, const Figures& f) {
  const auto& config = f.config;
  const auto& engine_bytes = f.engine_bytes;
  int64_t used = HeapBytes(), rss = RssBytes();
  NotePeakMemory(used);
  int64_t peak = PeakUsedMemory();
  size_t clients_bytes = 0;
  for (const auto& s : f.snaps) clients_bytes += s.clients_bytes;
  int64_t dataset = static_cast<int64_t>(engine_bytes);
  t.Section("Memory");
  t.Field("used_memory", used);
  t.Field("used_memory_human", Human(used));
  t.Field("used_memory_rss", rss);
  t.Field("used_memory_rss_human", Human(rss));
  t.Field("used_memory_peak", peak);
  t.Field("used_memory_peak_human", Human(peak));
  t.Field("used_memory_peak_perc",
          fmt::format("{:.2f}%", peak > 0 ? 100.0 * static_cast<double>(used) / peak : 0.0));
  // What is not the engine's arrays: start-up, connections, the replication backlog, logs.
  t.Field("used_memory_overhead", std::max<int64_t>(0, used - dataset));
  t.Field("used_memory_startup", f.server.startup_memory());
  // The engine's arrays as allocated (capacity): tries, label arenas, caches, key tables.
  t.Field("used_memory_dataset", engine_bytes);
  t.Field("used_memory_dataset_perc",
          fmt::format("{:.2f}%", used > 0 ? 100.0 * static_cast<double>(dataset) / used : 0.0));
  t.Field("total_system_memory", sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE));
  t.Field("maxmemory", config.maxmemory);
  t.Field("maxmemory_human", Human(config.maxmemory));
  t.Field("maxmemory_policy", "noeviction");
  t.Field("mem_fragmentation_ratio",
          fmt::format("{:.2f}", used > 0 ? static_cast<double>(rss) / used : 0.0));
  t.Field("mem_fragmentation_bytes", rss - used);
  t.Field("mem_clients_normal", clients_bytes);
  t.Field("mem_allocator", "libc");
}

void PersistenceSection(InfoText& t, const Figures& f) {
  Server& server = f.server;
  const auto& snaps = f.snaps;
  t.Section("Persistence");
  const Persistence& p = server.persistence();
  bool loading = f.loading;
  t.Field("loading", loading ? 1 : 0);
  t.Field("async_loading", 0);
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
  t.Field("rdb_changes_since_last_save", changes - std::min(changes, p.changes_at_last_save()));
  t.Field("rdb_bgsave_in_progress", saving ? 1 : 0);
  t.Field("rdb_last_save_time", p.last_save_time());
  t.Field("rdb_last_bgsave_status", p.last_save_ok() ? "ok" : "err");
  t.Field("rdb_last_bgsave_time_sec", p.last_save_seconds());
  t.Field("rdb_current_bgsave_time_sec", saving ? now - started : -1);
  t.Field("rdb_saves", p.saves());
  t.Field("aof_enabled", p.aof_enabled() ? 1 : 0);
  t.Field("aof_rewrite_in_progress", saving && p.aof_enabled() ? 1 : 0);
  t.Field("aof_rewrite_scheduled", 0);
  t.Field("aof_last_rewrite_time_sec", p.aof_enabled() ? p.last_save_seconds() : -1);
  t.Field("aof_current_rewrite_time_sec", saving && p.aof_enabled() ? now - started : -1);
  t.Field("aof_last_bgrewrite_status", p.last_save_ok() ? "ok" : "err");
  t.Field("aof_rewrites", p.aof_enabled() ? p.saves() : 0);
  t.Field("aof_last_write_status",
          p.health().failing_logs.load(std::memory_order_relaxed) > 0 ? "err" : "ok");
  if (p.aof_enabled()) {
    t.Field("aof_current_size", p.snapshot_bytes() + log_bytes);
    t.Field("aof_base_size", p.snapshot_bytes());
    t.Field("aof_pending_rewrite", 0);
    t.Field("aof_buffer_length", buffered);
    t.Field("aof_pending_bio_fsync", unsynced > 0 ? 1 : 0);
    t.Field("aof_delayed_fsync", 0);
  }
  if (loading) {
    t.Field("loading_start_time", p.loading_start_time());
    t.Field("loading_total_bytes", p.loading_total_bytes());
    t.Field("loading_rdb_used_mem", 0);
    t.Field("loading_loaded_bytes", std::min(p.loading_loaded_bytes(), p.loading_total_bytes()));
    t.Field("loading_loaded_perc", fmt::format("{:.2f}", p.loading_percent()));
    t.Field("loading_eta_seconds", p.loading_eta_seconds());
  }
}

void StatsSection(InfoText& t, const Figures& f) {
  const auto& total = f.total;
  const auto& ops = f.ops;
  const auto& channels = f.channels;
  const auto& patterns = f.patterns;
  const auto& repl_counters = f.repl_counters;
  t.Section("Stats");
  t.Field("total_connections_received", total.connections_received);
  t.Field("total_commands_processed", total.commands_processed);
  t.Field("instantaneous_ops_per_sec", static_cast<int64_t>(ops));
  t.Field("total_net_input_bytes", total.net_input_bytes);
  t.Field("total_net_output_bytes", total.net_output_bytes + repl_counters[4]);
  t.Field("total_net_repl_output_bytes", repl_counters[4]);
  // Ours: the same bytes before repl-compression (equal when it is off).
  t.Field("total_repl_output_bytes_uncompressed", repl_counters[3]);
  t.Field("rejected_connections", total.rejected_connections);
  t.Field("sync_full", repl_counters[0]);
  t.Field("sync_partial_ok", repl_counters[1]);
  t.Field("sync_partial_err", repl_counters[2]);
  t.Field("expired_keys", 0);
  t.Field("evicted_keys", 0);
  // Ours: terms of decaying keys dropped below decay-min-score.
  t.Field("decay_pruned_terms", total.decay_pruned_terms);
  t.Field("keyspace_hits", total.keyspace_hits);
  t.Field("keyspace_misses", total.keyspace_misses);
  t.Field("pubsub_channels", channels.size());
  t.Field("pubsub_patterns", patterns.size());
  t.Field("total_forks", 0);
  t.Field("acl_access_denied_auth", total.auth_failures);
  t.Field("acl_access_denied_cmd", total.acl_denied_cmd);
  t.Field("acl_access_denied_key", total.acl_denied_key);
  t.Field("acl_access_denied_channel", total.acl_denied_channel);
  t.Field("total_error_replies", total.errors.total);
  t.Field("total_reads_processed", total.reads_processed);
  t.Field("total_writes_processed", total.writes_processed);
}

void CpuSection(InfoText& t, const Figures& f) {
  rusage self;
  getrusage(RUSAGE_SELF, &self);
  auto secs = [](timeval tv) { return fmt::format("{}.{:06}", tv.tv_sec, tv.tv_usec); };
  t.Section("CPU");
  t.Field("used_cpu_sys", secs(self.ru_stime));
  t.Field("used_cpu_user", secs(self.ru_utime));
  t.Field("used_cpu_sys_children", "0.000000");
  t.Field("used_cpu_user_children", "0.000000");
  // Redis's main thread is its one event loop; ours, shard 0's, and then each shard's.
  t.Field("used_cpu_sys_main_thread", secs(f.snaps[0].cpu.ru_stime));
  t.Field("used_cpu_user_main_thread", secs(f.snaps[0].cpu.ru_utime));
  for (size_t i = 0; i < f.snaps.size(); ++i) {
    t.Field(fmt::format("used_cpu_sys_shard_{}", i), secs(f.snaps[i].cpu.ru_stime));
    t.Field(fmt::format("used_cpu_user_shard_{}", i), secs(f.snaps[i].cpu.ru_utime));
  }
}

void ErrorstatsSection(InfoText& t, const Figures& f) {
  t.Section("Errorstats");
  auto codes = f.total.errors.by_code;
  std::sort(codes.begin(), codes.end());  // by name, as Redis lists them
  for (const auto& [code, n] : codes) {
    t.Field(fmt::format("errorstat_{}", code), fmt::format("count={}", n));
  }
}

void CommandstatsSection(InfoText& t, const Figures& f) {
  const auto& total = f.total;
  t.Section("Commandstats");
  const auto& specs = CommandTable::Get().all();
  for (size_t i = 0; i < specs.size(); ++i) {
    const CommandStat& s = total.commands[i];
    if (s.calls == 0 && s.rejected_calls == 0 && s.failed_calls == 0) continue;
    t.Field(fmt::format("cmdstat_{}", specs[i]->name),
            fmt::format("calls={},usec={},usec_per_call={:.2f},rejected_calls={},failed_calls={}",
                        s.calls, s.nsec / 1000,
                        s.calls ? static_cast<double>(s.nsec) / 1000.0 / s.calls : 0.0,
                        s.rejected_calls, s.failed_calls));
  }
}

void LatencystatsSection(InfoText& t, const Figures& f,
                         const std::vector<std::unique_ptr<LatencyHistogram>>& latency) {
  t.Section("Latencystats");
  const auto& specs = CommandTable::Get().all();
  for (size_t i = 0; i < latency.size() && i < specs.size(); ++i) {
    if (latency[i] == nullptr) continue;
    std::string line;
    for (double p : f.config.latency_tracking_info_percentiles) {
      if (!line.empty()) line += ',';
      line += fmt::format("p{}={:.3f}", p, static_cast<double>(latency[i]->Percentile(p)) / 1000);
    }
    t.Field(fmt::format("latency_percentiles_usec_{}", specs[i]->name), line);
  }
}

void AutocompleteSection(InfoText& t, const Figures& f) {
  const auto& terms = f.terms;
  const auto& engine_bytes = f.engine_bytes;
  uint64_t hits = 0, cached = 0;
  for (const auto& s : f.snaps) {
    hits += s.memo_hits;
    cached += s.cached_nodes;
  }
  // ACTOPK calls, fan-outs counted once: what the memo could have answered.
  const CommandSpec* topk = CommandTable::Get().Find("actopk");
  uint64_t reads = f.total.commands[topk->stat_index].calls;
  // Not a Redis section: the engine's own figures.
  t.Section("Autocomplete");
  t.Field("terms", terms);
  t.Field("engine_bytes_per_term",
          fmt::format("{:.1f}", terms ? static_cast<double>(engine_bytes) / terms : 0.0));
  t.Field("cached_nodes", cached);
  t.Field("memo_hits", hits);
  t.Field("memo_hit_rate",
          fmt::format("{:.2f}%", reads ? std::min(100.0, 100.0 * hits / reads) : 0.0));
}

}  // namespace

void ForEachInfoField(
    std::string_view text,
    const std::function<void(std::string_view, std::string_view, std::string_view)>& fn) {
  std::string_view section;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.starts_with("# ")) {
      section = line.substr(2);
      continue;
    }
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) fn(section, line.substr(0, colon), line.substr(colon + 1));
  }
}

awaitable<std::vector<std::unique_ptr<LatencyHistogram>>> GatherCommandLatency(ShardSet& shards) {
  auto parts = co_await shards.RunAll([](Shard& s) {
    std::vector<std::pair<size_t, LatencyHistogram>> mine;
    const CommandLatency& l = s.command_latency();
    for (size_t i = 0; i < l.size(); ++i) {
      if (const LatencyHistogram* h = l.Of(i)) mine.emplace_back(i, *h);
    }
    return mine;
  });
  std::vector<std::unique_ptr<LatencyHistogram>> out(CommandTable::Get().all().size());
  for (const auto& part : parts) {
    for (const auto& [i, h] : part) {
      if (out[i] == nullptr) out[i] = std::make_unique<LatencyHistogram>();
      out[i]->Add(h);
    }
  }
  co_return out;
}

awaitable<void> Info(CommandContext& cx, Args args) {
  std::string text = co_await BuildInfo(cx.server, cx.shard.config(), args.subspan(1));
  cx.reply.Verbatim(text);
}

awaitable<std::string> BuildInfo(Server& server, const Config& config, Args sections) {
  // Redis's default sections, then ours.
  static const std::array<std::string_view, 11> kDefault = {
      "server", "clients",    "memory",  "persistence", "stats",       "replication",
      "cpu",    "errorstats", "cluster", "keyspace",    "autocomplete"};
  std::set<std::string, std::less<>> wanted;
  bool all = false, everything = false;
  for (std::string_view section : sections) {
    std::string s = ToLower(section);
    if (s == "all")
      all = true;
    else if (s == "everything")
      everything = true;
    else if (s == "default")
      wanted.insert(kDefault.begin(), kDefault.end());
    else
      wanted.insert(s);
  }
  if (sections.empty()) wanted.insert(kDefault.begin(), kDefault.end());
  auto want = [&](std::string_view name) {
    if (everything) return true;
    if (all) return true;
    return wanted.count(name) > 0;
  };

  // While loading, the loader owns the partitions and the journals: their figures are left 0.
  bool loading = server.loading();
  bool keyspace = want("keyspace") && !loading;
  replication::Replication& repl = server.replication();
  // One visit of every shard for everything: each hop wakes a sleeping shard thread, which on
  // an idle server costs more than all the rest of INFO.
  auto snaps = co_await server.shards().RunAll([loading, keyspace, &repl](Shard& s) {
    ShardSnapshot snap{.stats = s.stats(),
                       .clients = s.clients().size(),
                       .channels = s.pubsub().Channels(""),
                       .patterns = s.pubsub().Patterns()};
    if (s.id() == 0) {  // replication is shard 0's
      snap.repl_counters = {repl.sync_full(), repl.sync_partial_ok(), repl.sync_partial_err(),
                            repl.stream_raw_bytes(), repl.stream_wire_bytes()};
      snap.repl_info = repl.Info();
    }
    if (keyspace) {
      for (const auto& [key, dict] : s.partition().keys()) snap.keys.push_back(key);
    }
    if (!loading) {
      const auto& log = s.journal().log();
      snap.terms = s.partition().term_count();
      snap.engine_bytes = s.partition().MemoryUsage();
      for (const auto& [key, dict] : s.partition().keys()) {
        snap.memo_hits += dict.rendered_hits();
        snap.cached_nodes += dict.cached_node_count();
      }
      snap.changes = s.journal().changes();
      snap.log_bytes = log.is_open() ? log.end() - log.base() : 0;
      snap.log_buffered = log.is_open() ? log.buffered() : 0;
      snap.log_unsynced = log.is_open() ? log.written() - log.synced() : 0;
    }
    getrusage(RUSAGE_THREAD, &snap.cpu);  // this shard's thread: RunAll runs this on it
    for (const auto& [id, c] : s.clients()) {
      snap.max_query_bytes = std::max(snap.max_query_bytes, c->query_bytes());
      snap.max_output_bytes = std::max(snap.max_output_bytes, c->output_bytes());
      snap.clients_bytes += c->buffer_bytes();
    }
    return snap;
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
    total.acl_denied_cmd += s.stats.acl_denied_cmd;
    total.acl_denied_key += s.stats.acl_denied_key;
    total.acl_denied_channel += s.stats.acl_denied_channel;
    total.net_input_bytes += s.stats.net_input_bytes;
    total.net_output_bytes += s.stats.net_output_bytes;
    total.reads_processed += s.stats.reads_processed;
    total.writes_processed += s.stats.writes_processed;
    total.keyspace_hits += s.stats.keyspace_hits;
    total.keyspace_misses += s.stats.keyspace_misses;
    total.decay_pruned_terms += s.stats.decay_pruned_terms;
    total.errors.Add(s.stats.errors);
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

  std::array<uint64_t, 5> repl_counters = snaps.front().repl_counters;
  std::string repl_info = std::move(snaps.front().repl_info);
  std::set<std::string_view> distinct;  // a key has a part on every shard
  for (const auto& snap : snaps) distinct.insert(snap.keys.begin(), snap.keys.end());
  size_t key_count = distinct.size();

  auto now = std::chrono::system_clock::now();
  int64_t uptime = std::chrono::duration_cast<std::chrono::seconds>(now - server.started()).count();
  int64_t now_us =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  Figures f{.server = server,
            .config = config,
            .snaps = std::move(snaps),
            .total = std::move(total),
            .ops = ops,
            .terms = terms,
            .engine_bytes = engine_bytes,
            .channels = std::move(channels),
            .patterns = std::move(patterns),
            .repl_counters = repl_counters,
            .repl_info = std::move(repl_info),
            .now_us = now_us,
            .uptime = uptime,
            .loading = loading};
  InfoText t;
  if (want("server")) ServerSection(t, f);
  if (want("clients")) ClientsSection(t, f);
  if (want("memory")) MemorySection(t, f);
  if (want("persistence")) PersistenceSection(t, f);
  if (want("stats")) StatsSection(t, f);
  if (want("replication")) {
    t.Section("Replication");
    t.out += f.repl_info;
  }
  if (want("cpu")) CpuSection(t, f);
  if (everything || wanted.count("commandstats") || all) CommandstatsSection(t, f);
  if (want("errorstats")) ErrorstatsSection(t, f);
  if (everything || wanted.count("latencystats") || all) {
    LatencystatsSection(t, f, co_await GatherCommandLatency(server.shards()));
  }
  if (want("cluster")) {
    t.Section("Cluster");
    t.Field("cluster_enabled", 0);
  }
  if (want("keyspace")) {
    t.Section("Keyspace");
    if (key_count > 0) t.Field("db0", fmt::format("keys={},expires=0,avg_ttl=0", key_count));
  }
  if (want("autocomplete")) AutocompleteSection(t, f);
  co_return std::move(t.out);
}

}  // namespace typeahead::server
