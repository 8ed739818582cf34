#include "server/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <vector>

#include "base/utf8.h"
#include "server/command_table.h"
#include "server/info.h"
#include "server/server.h"
#include "server/shard.h"

namespace typeahead::server {
namespace {
using boost::asio::awaitable;

// The exporter's names for INFO's fields (without the redis_ namespace), those of Redis 7's
// fields that the server has. A field not here and not handled below is not exported, as
// with the exporter.
struct FieldName {
  std::string_view field, name;
  bool counter;
};
constexpr FieldName kFieldNames[] = {
    {"uptime_in_seconds", "uptime_in_seconds", false},
    {"process_id", "process_id", false},
    {"io_threads_active", "io_threads_active", false},
    {"connected_clients", "connected_clients", false},
    {"blocked_clients", "blocked_clients", false},
    {"tracking_clients", "tracking_clients", false},
    {"clients_in_timeout_table", "clients_in_timeout_table", false},
    {"client_recent_max_output_buffer", "client_recent_max_output_buffer_bytes", false},
    {"client_recent_max_input_buffer", "client_recent_max_input_buffer_bytes", false},
    {"allocator_active", "allocator_active_bytes", false},
    {"allocator_allocated", "allocator_allocated_bytes", false},
    {"allocator_resident", "allocator_resident_bytes", false},
    {"allocator_frag_ratio", "allocator_frag_ratio", false},
    {"allocator_frag_bytes", "allocator_frag_bytes", false},
    {"allocator_rss_ratio", "allocator_rss_ratio", false},
    {"allocator_rss_bytes", "allocator_rss_bytes", false},
    {"used_memory", "memory_used_bytes", false},
    {"used_memory_rss", "memory_used_rss_bytes", false},
    {"used_memory_peak", "memory_used_peak_bytes", false},
    {"used_memory_lua", "memory_used_lua_bytes", false},
    {"used_memory_overhead", "memory_used_overhead_bytes", false},
    {"used_memory_startup", "memory_used_startup_bytes", false},
    {"used_memory_dataset", "memory_used_dataset_bytes", false},
    {"used_memory_scripts", "memory_used_scripts_bytes", false},
    {"number_of_cached_scripts", "number_of_cached_scripts", false},
    {"maxmemory", "memory_max_bytes", false},
    {"mem_fragmentation_ratio", "mem_fragmentation_ratio", false},
    {"mem_fragmentation_bytes", "mem_fragmentation_bytes", false},
    {"mem_clients_slaves", "mem_clients_slaves", false},
    {"mem_clients_normal", "mem_clients_normal", false},
    {"mem_not_counted_for_evict", "mem_not_counted_for_eviction_bytes", false},
    {"lazyfree_pending_objects", "lazyfree_pending_objects", false},
    {"active_defrag_running", "active_defrag_running", false},
    {"loading", "loading_dump_file", false},
    {"rdb_changes_since_last_save", "rdb_changes_since_last_save", false},
    {"rdb_bgsave_in_progress", "rdb_bgsave_in_progress", false},
    {"rdb_last_save_time", "rdb_last_save_timestamp_seconds", false},
    {"rdb_last_bgsave_status", "rdb_last_bgsave_status", false},
    {"rdb_last_bgsave_time_sec", "rdb_last_bgsave_duration_sec", false},
    {"rdb_current_bgsave_time_sec", "rdb_current_bgsave_duration_sec", false},
    {"rdb_last_cow_size", "rdb_last_cow_size_bytes", false},
    {"aof_enabled", "aof_enabled", false},
    {"aof_rewrite_in_progress", "aof_rewrite_in_progress", false},
    {"aof_rewrite_scheduled", "aof_rewrite_scheduled", false},
    {"aof_last_rewrite_time_sec", "aof_last_rewrite_duration_sec", false},
    {"aof_current_rewrite_time_sec", "aof_current_rewrite_duration_sec", false},
    {"aof_last_cow_size", "aof_last_cow_size_bytes", false},
    {"aof_current_size", "aof_current_size_bytes", false},
    {"aof_base_size", "aof_base_size_bytes", false},
    {"aof_pending_rewrite", "aof_pending_rewrite", false},
    {"aof_buffer_length", "aof_buffer_length", false},
    {"aof_rewrite_buffer_length", "aof_rewrite_buffer_length", false},
    {"aof_pending_bio_fsync", "aof_pending_bio_fsync", false},
    {"aof_delayed_fsync", "aof_delayed_fsync", false},
    {"aof_last_bgrewrite_status", "aof_last_bgrewrite_status", false},
    {"aof_last_write_status", "aof_last_write_status", false},
    {"pubsub_channels", "pubsub_channels", false},
    {"pubsub_patterns", "pubsub_patterns", false},
    {"latest_fork_usec", "latest_fork_usec", false},
    {"connected_slaves", "connected_slaves", false},
    {"repl_backlog_size", "replication_backlog_bytes", false},
    {"repl_backlog_active", "repl_backlog_is_active", false},
    {"repl_backlog_first_byte_offset", "repl_backlog_first_byte_offset", false},
    {"repl_backlog_histlen", "repl_backlog_history_bytes", false},
    {"master_repl_offset", "master_repl_offset", false},
    {"second_repl_offset", "second_repl_offset", false},
    {"slave_priority", "slave_priority", false},
    {"sync_full", "replica_resyncs_full", false},
    {"sync_partial_ok", "replica_partial_resync_accepted", false},
    {"sync_partial_err", "replica_partial_resync_denied", false},
    {"total_connections_received", "connections_received_total", true},
    {"total_commands_processed", "commands_processed_total", true},
    {"rejected_connections", "rejected_connections_total", true},
    {"total_net_input_bytes", "net_input_bytes_total", true},
    {"total_net_output_bytes", "net_output_bytes_total", true},
    {"expired_keys", "expired_keys_total", true},
    {"evicted_keys", "evicted_keys_total", true},
    {"keyspace_hits", "keyspace_hits_total", true},
    {"keyspace_misses", "keyspace_misses_total", true},
    {"used_cpu_sys", "cpu_sys_seconds_total", true},
    {"used_cpu_user", "cpu_user_seconds_total", true},
    {"used_cpu_sys_children", "cpu_sys_children_seconds_total", true},
    {"used_cpu_user_children", "cpu_user_children_seconds_total", true},
    {"used_cpu_sys_main_thread", "cpu_sys_main_thread_seconds_total", true},
    {"used_cpu_user_main_thread", "cpu_user_main_thread_seconds_total", true},
    {"total_error_replies", "total_error_replies", true},
    {"total_reads_processed", "total_reads_processed", true},
    {"total_writes_processed", "total_writes_processed", true},
};

// Upper bounds of the latency histograms' buckets, in seconds (Prometheus's le), and in ns.
constexpr std::array<double, 19> kBounds = {
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
    0.025,   0.05,     0.1,     0.25,   0.5,     1,      2.5,   5,      10};

// A label value as the format wants it: backslash, quote and newline escaped, and valid UTF-8
// (a dictionary's name is any bytes: a byte that is not UTF-8 becomes U+FFFD, or one bad key
// would make Prometheus reject the whole scrape).
std::string Escape(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  while (!v.empty()) {
    char c = v.front();
    size_t n = Utf8Length(v);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      n = 1;
    } else if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.append(v.substr(0, n));
    }
    v.remove_prefix(n);
  }
  return out;
}

// `a="x",b="y"` from name, value pairs.
std::string Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}=\"{}\"", name, Escape(value));
  }
  return out;
}

std::string Number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 9.007199254740992e15) {
    return fmt::format("{}", static_cast<int64_t>(v));
  }
  return fmt::format("{}", v);
}

// The families of one scrape, each written whole, as the format requires, in name order.
class Exposition {
 public:
  // Declares family name (a full name, with its namespace) once; later calls are ignored.
  void Family(const std::string& name, std::string_view type, std::string_view help) {
    auto [it, fresh] = families_.try_emplace(name);
    if (fresh) {
      it->second.type = type;
      it->second.help = help;
    }
  }
  // A sample of family (declared first) named family + suffix.
  void Sample(const std::string& family, std::string_view suffix, std::string_view labels,
              double value) {
    std::string& out = families_[family].samples;
    out += family;
    out += suffix;
    if (!labels.empty()) fmt::format_to(std::back_inserter(out), "{{{}}}", labels);
    out += ' ';
    out += Number(value);
    out += '\n';
  }
  void Gauge(const std::string& name, std::string_view help, std::string_view labels,
             double value) {
    Family(name, "gauge", help);
    Sample(name, "", labels, value);
  }
  void Counter(const std::string& name, std::string_view help, std::string_view labels,
               double value) {
    Family(name, "counter", help);
    Sample(name, "", labels, value);
  }
  // A histogram from a LatencyHistogram of nanoseconds, in seconds.
  void Histogram(const std::string& name, std::string_view help, std::string_view labels,
                 const LatencyHistogram& h) {
    Family(name, "histogram", help);
    std::array<uint64_t, kBounds.size()> bounds_ns, counts;
    for (size_t i = 0; i < kBounds.size(); ++i) {
      bounds_ns[i] = static_cast<uint64_t>(kBounds[i] * 1e9);
    }
    h.CountsUpTo(bounds_ns, counts);
    std::string sep = labels.empty() ? "" : ",";
    for (size_t i = 0; i < kBounds.size(); ++i) {
      Sample(name, "_bucket", fmt::format("{}{}le=\"{}\"", labels, sep, kBounds[i]),
             static_cast<double>(counts[i]));
    }
    Sample(name, "_bucket", fmt::format("{}{}le=\"+Inf\"", labels, sep),
           static_cast<double>(h.total()));
    Sample(name, "_sum", labels, static_cast<double>(h.sum_ns()) / 1e9);
    Sample(name, "_count", labels, static_cast<double>(h.total()));
  }

  std::string Text() const {
    std::string out;
    for (const auto& [name, f] : families_) {
      fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n{}", name, f.help, name,
                     f.type, f.samples);
    }
    return out;
  }

 private:
  struct Entry {
    std::string_view type;
    std::string help;
    std::string samples;
  };
  std::map<std::string, Entry, std::less<>> families_;
};

// INFO's value as a number: "ok" and "err" as the exporter reads them, else a float.
bool ParseValue(std::string_view v, double* out) {
  if (v == "ok" || v == "true") return *out = 1, true;
  if (v == "err" || v == "fail" || v == "false") return *out = 0, true;
  std::string s(v);
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return end != s.c_str() && *end == '\0';
}

// "a=1,b=x" into its pairs.
std::map<std::string, std::string, std::less<>> Pairs(std::string_view v) {
  std::map<std::string, std::string, std::less<>> out;
  while (!v.empty()) {
    size_t comma = v.find(',');
    std::string_view part = v.substr(0, comma);
    size_t eq = part.find('=');
    if (eq != std::string_view::npos) out[std::string(part.substr(0, eq))] = part.substr(eq + 1);
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return out;
}

double Get(const std::map<std::string, std::string, std::less<>>& m, std::string_view key) {
  auto it = m.find(key);
  double v = 0;
  if (it == m.end() || !ParseValue(it->second, &v)) return 0;
  return v;
}

// What INFO says, as the exporter turns it into metrics.
void FromInfo(std::string_view info, Exposition& x) {
  std::map<std::string, std::string, std::less<>> fields;
  std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> cmdstats;
  std::string master_host, master_port;
  bool db0 = false;
  std::vector<std::pair<std::string, double>> replicas;  // ip:port, acknowledged offset
  ForEachInfoField(info, [&](std::string_view section, std::string_view key,
                             std::string_view value) {
    fields[std::string(key)] = value;
    if (key == "master_host") master_host = value;
    if (key == "master_port") master_port = value;
    double v = 0;
    if (section == "Replication") {
      std::string primary = Labels({{"master_host", master_host}, {"master_port", master_port}});
      if (key == "master_link_status") {
        x.Gauge("redis_master_link_up", "Master link status on Redis slave", primary,
                value == "up" ? 1 : 0);
        return;
      }
      if (key == "master_last_io_seconds_ago" || key == "master_sync_in_progress" ||
          key == "slave_repl_offset") {
        std::string help = fmt::format("INFO replication {}", key);
        if (ParseValue(value, &v)) x.Gauge(fmt::format("redis_{}", key), help, primary, v);
        return;
      }
      if (key.starts_with("slave") && key.size() > 5 && std::isdigit(key[5])) {
        auto p = Pairs(value);
        std::string labels =
            Labels({{"slave_ip", p["ip"]}, {"slave_port", p["port"]}, {"slave_state", p["state"]}});
        x.Gauge("redis_connected_slave_offset_bytes", "Offset of connected slave", labels,
                Get(p, "offset"));
        x.Gauge("redis_connected_slave_lag_seconds", "Lag of connected slave", labels,
                Get(p, "lag"));
        replicas.emplace_back(fmt::format("{}:{}", p["ip"], p["port"]), Get(p, "offset"));
        return;
      }
    } else if (section == "Commandstats" && key.starts_with("cmdstat_")) {
      cmdstats[std::string(key.substr(8))] = Pairs(value);
      return;
    } else if (section == "Errorstats" && key.starts_with("errorstat_")) {
      x.Counter("redis_errors_total", "Total number of errors per error type",
                Labels({{"err", key.substr(10)}}), Get(Pairs(value), "count"));
      return;
    } else if (section == "Latencystats" && key.starts_with("latency_percentiles_usec_")) {
      std::string cmd(key.substr(25));
      const auto& stat = cmdstats[cmd];  // Commandstats comes first in INFO
      x.Family("redis_latency_percentiles_usec", "summary",
               "A summary of latency percentile distribution per command");
      for (const auto& [p, usec] : Pairs(value)) {
        double q = 0, u = 0;
        if (!ParseValue(std::string_view(p).substr(1), &q) || !ParseValue(usec, &u)) continue;
        x.Sample("redis_latency_percentiles_usec", "",
                 Labels({{"cmd", cmd}, {"quantile", Number(q)}}), u);
      }
      x.Sample("redis_latency_percentiles_usec", "_sum", Labels({{"cmd", cmd}}), Get(stat, "usec"));
      x.Sample("redis_latency_percentiles_usec", "_count", Labels({{"cmd", cmd}}),
               Get(stat, "calls"));
      return;
    } else if (section == "Keyspace" && key.starts_with("db")) {
      auto p = Pairs(value);
      std::string db = Labels({{"db", key}});
      x.Gauge("redis_db_keys", "Total number of keys by DB", db, Get(p, "keys"));
      x.Gauge("redis_db_keys_expiring", "Total number of expiring keys by DB", db,
              Get(p, "expires"));
      x.Gauge("redis_db_avg_ttl_seconds", "Avg TTL in seconds", db, Get(p, "avg_ttl") / 1000);
      db0 = db0 || key == "db0";
      return;
    } else if (section == "CPU" && key.starts_with("used_cpu_") &&
               key.find("_shard_") != std::string_view::npos) {
      // Ours: used_cpu_{sys,user}_shard_N.
      size_t at = key.find("_shard_");
      std::string_view mode = key.substr(9, at - 9);
      if (ParseValue(value, &v)) {
        x.Counter("typeahead_shard_cpu_seconds_total", "CPU time of each shard thread",
                  Labels({{"shard", key.substr(at + 7)}, {"mode", mode}}), v);
      }
      return;
    }
    if (key.starts_with("cluster_") && ParseValue(value, &v)) {
      x.Gauge(fmt::format("redis_{}", key), fmt::format("INFO field {}", key), "", v);
      return;
    }
    for (const FieldName& f : kFieldNames) {
      if (f.field != key) continue;
      if (!ParseValue(value, &v)) break;
      std::string name = fmt::format("redis_{}", f.name), help = fmt::format("INFO field {}", key);
      f.counter ? x.Counter(name, help, "", v) : x.Gauge(name, help, "", v);
      break;
    }
  });
  for (const auto& [cmd, stat] : cmdstats) {
    std::string labels = Labels({{"cmd", cmd}});
    x.Counter("redis_commands_total", "Total number of calls per command", labels,
              Get(stat, "calls"));
    x.Counter("redis_commands_duration_seconds_total",
              "Total amount of time in seconds spent per command", labels, Get(stat, "usec") / 1e6);
    x.Counter("redis_commands_rejected_calls_total",
              "Total number of errors within command execution per command", labels,
              Get(stat, "rejected_calls"));
    x.Counter("redis_commands_failed_calls_total",
              "Total number of errors prior command execution per command", labels,
              Get(stat, "failed_calls"));
  }
  double primary_offset = 0;
  if (ParseValue(fields["master_repl_offset"], &primary_offset)) {
    for (const auto& [replica, offset] : replicas) {
      x.Gauge("typeahead_replica_lag_bytes",
              "Bytes of the replication stream a replica has not acknowledged",
              Labels({{"replica", replica}}), std::max(0.0, primary_offset - offset));
    }
  }
  if (!db0) {
    x.Gauge("redis_db_keys", "Total number of keys by DB", Labels({{"db", "db0"}}), 0);
    x.Gauge("redis_db_keys_expiring", "Total number of expiring keys by DB",
            Labels({{"db", "db0"}}), 0);
  }
  auto field = [&](std::string_view k) {
    auto it = fields.find(k);
    return it == fields.end() ? std::string_view() : std::string_view(it->second);
  };
  x.Gauge("redis_instance_info", "Information about the Redis instance",
          Labels({{"role", field("role")},
                  {"redis_version", field("redis_version")},
                  {"redis_build_id", field("redis_build_id")},
                  {"redis_mode", field("redis_mode")},
                  {"os", field("os")},
                  {"maxmemory_policy", field("maxmemory_policy")},
                  {"tcp_port", field("tcp_port")},
                  {"run_id", field("run_id")},
                  {"process_id", field("process_id")}}),
          1);
  if (field("role") == "slave") {
    x.Gauge("redis_slave_info", "Information about the Redis slave",
            Labels({{"master_host", field("master_host")},
                    {"master_port", field("master_port")},
                    {"read_only", field("slave_read_only")}}),
            1);
  }
  double uptime = 0;
  if (ParseValue(field("uptime_in_seconds"), &uptime)) {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    x.Gauge("redis_start_time_seconds",
            "Start time of the Redis instance since unix epoch in seconds.", "",
            static_cast<double>(now) - uptime);
  }
}

// What every shard adds that INFO does not say.
struct ShardPart {
  std::vector<std::pair<std::string, size_t>> keys;  // a dictionary's part here: its terms
  uint64_t memo_hits = 0;
  uint64_t pruned = 0;  // decay_pruned_terms
  LatencyHistogram fsync;
  size_t slowlog_entries = 0;
  uint64_t slowlog_last_id = 0, slowlog_last_usec = 0;
  std::map<std::string, LatencySeries> latency;
};

}  // namespace

awaitable<std::string> RenderMetrics(Server& server, Shard& shard) {
  Exposition x;
  const Config& config = shard.config();
  const std::array<std::string_view, 1> everything = {"everything"};
  std::string info = co_await BuildInfo(server, config, everything);
  x.Gauge("redis_up", "Information about the Redis instance", "", 1);
  FromInfo(info, x);
  x.Gauge("redis_config_maxclients", "config_maxclients", "",
          static_cast<double>(config.maxclients));
  x.Gauge("redis_config_maxmemory", "config_maxmemory", "", static_cast<double>(config.maxmemory));

  // While loading, the loader owns the partitions and the journals (Server::loading()).
  bool loading = server.loading();
  auto parts = co_await server.shards().RunAll([loading](Shard& s) {
    ShardPart p;
    if (!loading) {
      for (const auto& [name, dict] : s.partition().keys()) {
        p.keys.emplace_back(name, dict.size());
        p.memo_hits += dict.rendered_hits();
      }
      p.fsync = s.journal().fsync_latency();
    }
    p.pruned = s.stats().decay_pruned_terms;
    const auto& slow = s.slowlog().entries();  // newest first
    p.slowlog_entries = slow.size();
    if (!slow.empty()) {
      p.slowlog_last_id = slow.front().id;
      p.slowlog_last_usec = slow.front().usec;
    }
    p.latency = s.latency().Series();
    return p;
  });
  std::map<std::string, size_t, std::less<>> terms;
  uint64_t memo_hits = 0, pruned = 0;
  LatencyHistogram fsync;
  size_t slow_entries = 0;
  uint64_t slow_last_id = 0, slow_last_usec = 0;
  std::vector<std::map<std::string, LatencySeries>> series;
  for (auto& p : parts) {
    for (auto& [name, n] : p.keys) terms[name] += n;
    memo_hits += p.memo_hits;
    pruned += p.pruned;
    fsync.Add(p.fsync);
    slow_entries += p.slowlog_entries;
    if (p.slowlog_last_id >= slow_last_id && p.slowlog_entries > 0) {
      slow_last_id = p.slowlog_last_id;
      slow_last_usec = p.slowlog_last_usec;
    }
    series.push_back(std::move(p.latency));
  }
  slow_entries = std::min(slow_entries, static_cast<size_t>(config.slowlog_max_len));
  x.Gauge("redis_slowlog_length", "Total slowlog", "", static_cast<double>(slow_entries));
  x.Gauge("redis_slowlog_last_id", "Last id of slowlog", "", static_cast<double>(slow_last_id));
  x.Gauge("redis_last_slow_execution_duration_seconds",
          "The amount of time needed for last slow execution, in seconds", "",
          static_cast<double>(slow_last_usec) / 1e6);
  for (const auto& [event, s] : MergeLatency(std::move(series))) {
    if (s.samples.empty()) continue;
    std::string labels = Labels({{"event_name", event}});
    x.Gauge("redis_latency_spike_last", "When the latency spike last occurred", labels,
            static_cast<double>(s.samples.back().unix_time));
    x.Gauge("redis_latency_spike_duration_seconds", "Length of the last latency spike in seconds",
            labels, static_cast<double>(s.samples.back().ms) / 1000);
  }

  // Ours.
  size_t total_terms = 0;
  std::vector<std::pair<size_t, std::string_view>> largest;
  for (const auto& [name, n] : terms) {
    total_terms += n;
    largest.emplace_back(n, name);
  }
  x.Gauge("typeahead_terms", "Terms in every dictionary", "", static_cast<double>(total_terms));
  x.Gauge("typeahead_keys", "Dictionaries", "", static_cast<double>(terms.size()));
  size_t shown = std::min(largest.size(), kMetricsMaxKeys);
  std::partial_sort(largest.begin(), largest.begin() + shown, largest.end(),
                    [](const auto& a, const auto& b) {
                      return a.first != b.first ? a.first > b.first : a.second < b.second;
                    });
  x.Family("typeahead_key_terms", "gauge", "Terms in a dictionary (the largest ones)");
  for (size_t i = 0; i < shown; ++i) {
    x.Sample("typeahead_key_terms", "", Labels({{"key", largest[i].second}}),
             static_cast<double>(largest[i].first));
  }
  x.Counter("typeahead_memo_hits_total",
            "ACTOPK replies copied from a kept rendering instead of walking the trie", "",
            static_cast<double>(memo_hits));
  x.Counter("typeahead_decay_pruned_terms_total",
            "Terms of decaying keys dropped below decay-min-score", "",
            static_cast<double>(pruned));
  x.Histogram("typeahead_log_fsync_duration_seconds", "Time of each fdatasync of the log", "",
              fsync);
  auto latency = co_await GatherCommandLatency(server.shards());
  const auto& specs = CommandTable::Get().all();
  x.Family("typeahead_command_duration_seconds", "histogram",
           "Time of each command, as latency-tracking measures it");
  for (size_t i = 0; i < latency.size() && i < specs.size(); ++i) {
    if (latency[i] == nullptr) continue;
    x.Histogram("typeahead_command_duration_seconds", "", Labels({{"cmd", specs[i]->name}}),
                *latency[i]);
  }
  co_return x.Text();
}

}  // namespace typeahead::server
