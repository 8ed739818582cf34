#include "server/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "protocol/ascii.h"
#include "protocol/number.h"
#include "protocol/resp_parser.h"

namespace typeahead::server {
namespace {

using Args = std::span<const std::string>;
using Setter = std::function<std::optional<std::string>(Config&, Args)>;
using Getter = std::function<std::string(const Config&)>;

struct Directive {
  std::string_view name;
  bool mutable_at_runtime;
  Setter set;
  Getter get;
};

std::optional<std::string> OneArg(Args args) {
  if (args.size() != 1) return "wrong number of arguments";
  return std::nullopt;
}

Directive Int(std::string_view name, int64_t Config::*field, int64_t lo, int64_t hi,
              bool mut = true) {
  return {name, mut,
          [=](Config& c, Args a) -> std::optional<std::string> {
            if (auto e = OneArg(a)) return e;
            int64_t v;
            if (!protocol::ParseInt64(a[0], &v))
              return "argument couldn't be parsed into an integer";
            if (v < lo || v > hi) {
              return fmt::format("argument must be between {} and {} inclusive", lo, hi);
            }
            c.*field = v;
            return std::nullopt;
          },
          [=](const Config& c) { return std::to_string(c.*field); }};
}

Directive Memory(std::string_view name, int64_t Config::*field, int64_t lo, int64_t hi) {
  return {name, true,
          [=](Config& c, Args a) -> std::optional<std::string> {
            if (auto e = OneArg(a)) return e;
            int64_t v;
            if (!ParseMemory(a[0], &v)) return "argument must be a memory value";
            if (v < lo || v > hi) {
              return fmt::format("argument must be between {} and {} inclusive", lo, hi);
            }
            c.*field = v;
            return std::nullopt;
          },
          [=](const Config& c) { return std::to_string(c.*field); }};
}

Directive Bool(std::string_view name, bool Config::*field, bool mut = true) {
  return {name, mut,
          [=](Config& c, Args a) -> std::optional<std::string> {
            if (auto e = OneArg(a)) return e;
            std::string v = ToLower(a[0]);
            if (v != "yes" && v != "no") return "argument must be 'yes' or 'no'";
            c.*field = v == "yes";
            return std::nullopt;
          },
          [=](const Config& c) { return std::string(c.*field ? "yes" : "no"); }};
}

Directive Str(std::string_view name, std::string Config::*field, bool mut = true) {
  return {name, mut,
          [=](Config& c, Args a) -> std::optional<std::string> {
            if (auto e = OneArg(a)) return e;
            c.*field = a[0];
            return std::nullopt;
          },
          [=](const Config& c) { return c.*field; }};
}

Directive Enum(std::string_view name, std::string Config::*field,
               std::vector<std::string_view> values, bool mutable_at_runtime = true) {
  return {name, mutable_at_runtime,
          [=](Config& c, Args a) -> std::optional<std::string> {
            if (auto e = OneArg(a)) return e;
            std::string v = ToLower(a[0]);
            if (std::find(values.begin(), values.end(), v) == values.end()) {
              std::string list;
              for (auto x : values) list += (list.empty() ? "" : ", ") + std::string(x);
              return "argument(s) must be one of the following: " + list;
            }
            c.*field = v;
            return std::nullopt;
          },
          [=](const Config& c) { return c.*field; }};
}

// The words of every argument: CONFIG SET passes a list value ("60 100 300 10", "normal 0 0 0
// pubsub ...", "127.0.0.1 ::1") as one argument, a config file line as several.
std::vector<std::string> SplitWords(Args args) {
  std::vector<std::string> words;
  for (const auto& arg : args) {
    std::istringstream in(arg);
    for (std::string w; in >> w;) words.push_back(w);
  }
  return words;
}

std::string JoinWords(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : " ") + w;
  return s;
}

std::optional<std::string> SetOutputLimits(Config& c, Args given) {
  std::vector<std::string> a = SplitWords(given);
  if (a.empty() || a.size() % 4 != 0) return "wrong number of arguments";
  Config next = c;
  for (size_t i = 0; i < a.size(); i += 4) {
    std::string cls = ToLower(a[i]);
    OutputLimit* limit = nullptr;
    if (cls == "normal")
      limit = &next.output_normal;
    else if (cls == "replica" || cls == "slave")
      limit = &next.output_replica;
    else if (cls == "pubsub")
      limit = &next.output_pubsub;
    else
      return "Invalid client class specified in buffer limit configuration.";
    OutputLimit l;
    if (!ParseMemory(a[i + 1], &l.hard) || !ParseMemory(a[i + 2], &l.soft) ||
        !protocol::ParseInt64(a[i + 3], &l.soft_seconds) || l.hard < 0 || l.soft < 0 ||
        l.soft_seconds < 0) {
      return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    }
    *limit = l;
  }
  c = next;
  return std::nullopt;
}

std::string GetOutputLimits(const Config& c) {
  auto one = [](const OutputLimit& l) {
    return fmt::format("{} {} {}", l.hard, l.soft, l.soft_seconds);
  };
  return fmt::format("normal {} slave {} pubsub {}", one(c.output_normal), one(c.output_replica),
                     one(c.output_pubsub));
}

// Percentiles from 0 to 100, as many as given; `""` for none, as Redis takes them.
std::optional<std::string> SetPercentiles(Config& c, Args a) {
  std::vector<double> out;
  for (const std::string& w : SplitWords(a)) {
    char* end = nullptr;
    errno = 0;
    double p = std::strtod(w.c_str(), &end);
    if (end != w.c_str() + w.size() || errno != 0 || std::isnan(p)) {
      return "Invalid latency-tracking-info-percentiles parameters";
    }
    if (p > 100.0 || p < 0.0) {
      return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
    }
    out.push_back(p);
  }
  c.latency_tracking_info_percentiles = std::move(out);
  return std::nullopt;
}

std::optional<std::string> SetSave(Config& c, Args a) {
  // `save ""` disables snapshots; otherwise pairs of <seconds> <changes>.
  if (a.size() == 1 && a[0].empty()) {
    c.save.clear();
    return std::nullopt;
  }
  std::vector<std::string> words = SplitWords(a);
  if (words.empty() || words.size() % 2 != 0) return "Invalid save parameters";
  for (const auto& w : words) {
    int64_t v;
    if (!protocol::ParseInt64(w, &v) || v < 0) return "Invalid save parameters";
  }
  c.save = JoinWords(words);
  return std::nullopt;
}

// tls-protocols: words from TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, any case; empty is the default.
bool ValidTlsProtocols(std::string_view words) {
  std::istringstream in{std::string(words)};
  for (std::string w; in >> w;) {
    w = ToLower(w);
    if (w != "tlsv1" && w != "tlsv1.1" && w != "tlsv1.2" && w != "tlsv1.3") return false;
  }
  return true;
}

const std::vector<Directive>& Table() {
  static const std::vector<Directive> table = {
      Int("port", &Config::port, 0, 65535, false),
      Int("tcp-backlog", &Config::tcp_backlog, 0, INT_MAX, false),
      // Replicas here are always read-only: "yes" is the one value.
      {"replica-read-only", false,
       [](Config&, Args a) -> std::optional<std::string> {
         if (a.size() == 1 && EqualsIgnoreCase(a[0], "yes")) return std::nullopt;
         return "argument must be 'yes': replicas are always read-only";
       },
       [](const Config&) { return std::string("yes"); }},
      // Keyspace notifications are not there yet: only "" (none) is taken.
      {"notify-keyspace-events", true,
       [](Config&, Args a) -> std::optional<std::string> {
         if (a.size() == 1 && a[0].empty()) return std::nullopt;
         return "keyspace notifications are not supported yet; \"\" (none) is the one value";
       },
       [](const Config&) { return std::string(); }},
      Bool("daemonize", &Config::daemonize, false),
      Enum("supervised", &Config::supervised, {"no", "upstart", "systemd", "auto"}, false),
      Str("pidfile", &Config::pidfile, false),
      {"bind", false,
       [](Config& c, Args a) -> std::optional<std::string> {
         std::vector<std::string> addrs = SplitWords(a);
         if (addrs.empty()) return "wrong number of arguments";
         c.bind = addrs;
         return std::nullopt;
       },
       [](const Config& c) { return JoinWords(c.bind); }},
      Str("dir", &Config::dir, false),
      Str("requirepass", &Config::requirepass),
      Str("aclfile", &Config::aclfile, false),
      Int("acllog-max-len", &Config::acllog_max_len, 0, LLONG_MAX),
      Int("slowlog-log-slower-than", &Config::slowlog_log_slower_than, -1, LLONG_MAX),
      Int("slowlog-max-len", &Config::slowlog_max_len, 0, LONG_MAX),
      Int("latency-monitor-threshold", &Config::latency_monitor_threshold, 0, LLONG_MAX),
      Bool("latency-tracking", &Config::latency_tracking),
      {"latency-tracking-info-percentiles", true, SetPercentiles,
       [](const Config& c) {
         std::string out;
         for (double p : c.latency_tracking_info_percentiles) {
           out += (out.empty() ? "" : " ") + fmt::format("{}", p);
         }
         return out;
       }},
      Bool("protected-mode", &Config::protected_mode),
      Int("maxclients", &Config::maxclients, 1, INT_MAX),
      Int("timeout", &Config::timeout, 0, INT_MAX),
      Memory("maxmemory", &Config::maxmemory, 0, LLONG_MAX),
      Bool("appendonly", &Config::appendonly, false),
      Enum("appendfsync", &Config::appendfsync, {"always", "everysec", "no"}),
      Int("auto-aof-rewrite-percentage", &Config::auto_aof_rewrite_percentage, 0, INT_MAX),
      Memory("auto-aof-rewrite-min-size", &Config::auto_aof_rewrite_min_size, 0, LLONG_MAX),
      Bool("stop-writes-on-bgsave-error", &Config::stop_writes_on_bgsave_error),
      Int("debug-log-flush-delay", &Config::debug_log_flush_delay, 0, 1000),
      {"save", true, SetSave, [](const Config& c) { return c.save; }},
      {"replicaof", false,
       [](Config& c, Args a) -> std::optional<std::string> {
         std::vector<std::string> words = SplitWords(a);
         int64_t port;
         if (words.size() != 2 || !protocol::ParseInt64(words[1], &port) || port < 0 ||
             port > 65535) {
           return "wrong number of arguments";
         }
         c.replicaof = JoinWords(words);
         return std::nullopt;
       },
       [](const Config& c) { return c.replicaof; }},
      Str("masteruser", &Config::masteruser),
      Str("masterauth", &Config::masterauth),
      Memory("repl-backlog-size", &Config::repl_backlog_size, 16 * 1024, LLONG_MAX),
      Int("repl-timeout", &Config::repl_timeout, 1, INT_MAX),
      Int("repl-ping-replica-period", &Config::repl_ping_replica_period, 1, INT_MAX),
      Int("replica-priority", &Config::replica_priority, 0, INT_MAX),
      Str("replica-announce-ip", &Config::replica_announce_ip),
      Int("replica-announce-port", &Config::replica_announce_port, 0, 65535),
      Int("min-replicas-to-write", &Config::min_replicas_to_write, 0, INT_MAX),
      Int("min-replicas-max-lag", &Config::min_replicas_max_lag, 0, INT_MAX),
      Bool("replica-serve-stale-data", &Config::replica_serve_stale_data),
      Enum("repl-compression", &Config::repl_compression, {"no", "zstd"}),
      Enum("loglevel", &Config::loglevel, {"debug", "verbose", "notice", "warning"}),
      Str("logfile", &Config::logfile, false),
      Memory("proto-max-bulk-len", &Config::proto_max_bulk_len, 1024 * 1024, LLONG_MAX),
      Memory("client-query-buffer-limit", &Config::client_query_buffer_limit, 1024 * 1024,
             LLONG_MAX),
      {"client-output-buffer-limit", true, SetOutputLimits, GetOutputLimits},
      Int("threads", &Config::threads, 1, 1024, false),
      Bool("pin-threads", &Config::pin_threads, false),
      // The trie stores a label length in 16 bits: 65535 is the longest possible term.
      Int("max-term-length", &Config::max_term_length, 1, 65535),
      Int("max-topk", &Config::max_topk, 1, 1000000),
      {"decay-min-score", true,
       [](Config& c, Args a) -> std::optional<std::string> {
         if (auto e = OneArg(a)) return e;
         double v;
         if (!protocol::ParseDouble(a[0], &v) || !std::isfinite(v) || v < 0) {
           return "argument must be a number >= 0";
         }
         c.decay_min_score = v;
         return std::nullopt;
       },
       [](const Config& c) { return fmt::format("{}", c.decay_min_score); }},
      Int("metrics-port", &Config::metrics_port, 0, 65535, false),
      Int("http-port", &Config::http_port, 0, 65535, false),
      {"http-bind", false,
       [](Config& c, Args a) -> std::optional<std::string> {
         c.http_bind = SplitWords(a);
         return std::nullopt;
       },
       [](const Config& c) { return JoinWords(c.http_bind); }},
      {"http-cors-origins", true,
       [](Config& c, Args a) -> std::optional<std::string> {
         c.http_cors_origins = SplitWords(a);
         return std::nullopt;
       },
       [](const Config& c) { return JoinWords(c.http_cors_origins); }},
      Memory("http-max-body", &Config::http_max_body, 1, 1ll << 30),
      Int("http-request-timeout", &Config::http_request_timeout, 1, 3600),
      Int("key-load-delay", &Config::key_load_delay, 0, 1000000),
      Int("tls-port", &Config::tls_port, 0, 65535, false),
      Str("tls-cert-file", &Config::tls_cert_file),
      Str("tls-key-file", &Config::tls_key_file),
      Str("tls-key-file-pass", &Config::tls_key_file_pass),
      Str("tls-ca-cert-file", &Config::tls_ca_cert_file),
      Str("tls-ca-cert-dir", &Config::tls_ca_cert_dir),
      Enum("tls-auth-clients", &Config::tls_auth_clients, {"yes", "no", "optional"}),
      {"tls-protocols", true,
       [](Config& c, Args a) -> std::optional<std::string> {
         std::string words = JoinWords(SplitWords(a));
         if (!ValidTlsProtocols(words)) {
           return "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', "
                  "'TLSv1.2' and 'TLSv1.3'.";
         }
         c.tls_protocols = words;
         return std::nullopt;
       },
       [](const Config& c) { return c.tls_protocols; }},
      Str("tls-ciphers", &Config::tls_ciphers),
      Str("tls-ciphersuites", &Config::tls_ciphersuites),
      Bool("tls-prefer-server-ciphers", &Config::tls_prefer_server_ciphers),
      Bool("tls-session-caching", &Config::tls_session_caching),
      Int("tls-session-cache-size", &Config::tls_session_cache_size, 0, INT_MAX),
      Int("tls-session-cache-timeout", &Config::tls_session_cache_timeout, 0, INT_MAX),
      Str("tls-client-cert-file", &Config::tls_client_cert_file),
      Str("tls-client-key-file", &Config::tls_client_key_file),
      Str("tls-client-key-file-pass", &Config::tls_client_key_file_pass),
      Bool("tls-replication", &Config::tls_replication),
      Int("debug-tls-handshake-timeout", &Config::debug_tls_handshake_timeout, 1, 3600),
  };
  return table;
}

const Directive* Find(std::string_view name) {
  std::string lower = ToLower(name);
  for (auto [alias, canonical] : kDirectiveAliases) {
    if (lower == alias) lower = canonical;
  }
  for (const auto& d : Table()) {
    if (d.name == lower) return &d;
  }
  return nullptr;
}

}  // namespace

bool ParseMemory(std::string_view s, int64_t* out) {
  size_t i = 0;
  while (i < s.size() && (isdigit(static_cast<unsigned char>(s[i])) || (i == 0 && s[i] == '-'))) {
    ++i;
  }
  std::string_view digits = s.substr(0, i);
  std::string unit = ToLower(s.substr(i));
  int64_t mul;
  if (unit.empty() || unit == "b")
    mul = 1;
  else if (unit == "k")
    mul = 1000;
  else if (unit == "kb")
    mul = 1024;
  else if (unit == "m")
    mul = 1000 * 1000;
  else if (unit == "mb")
    mul = 1024 * 1024;
  else if (unit == "g")
    mul = 1000ll * 1000 * 1000;
  else if (unit == "gb")
    mul = 1024ll * 1024 * 1024;
  else
    return false;
  int64_t v;
  if (!protocol::ParseInt64(digits, &v)) return false;
  if (__builtin_mul_overflow(v, mul, out)) return false;
  return true;
}

bool IgnoredDirective(std::string_view name) {
  // Redis 7.0's directives for what this server does not have or does its own way: data
  // types' encodings, RDB and AOF file names and options, lazy freeing, the event loop's
  // frequency, process title and OOM score, diskless sync, keepalive, jemalloc, THP, syslog,
  // I/O threads, eviction tuning; and databases (there is one, whatever the file says).
  static constexpr std::string_view kIgnored =
      " activerehashing always-show-logo aof-load-truncated aof-rewrite-incremental-fsync"
      " aof-timestamp-enabled aof-use-rdb-preamble appenddirname appendfilename dbfilename"
      " disable-thp dynamic-hz hash-max-listpack-entries hash-max-listpack-value"
      " hash-max-ziplist-entries hash-max-ziplist-value hll-sparse-max-bytes hz"
      " jemalloc-bg-thread lazyfree-lazy-eviction lazyfree-lazy-expire lazyfree-lazy-server-del"
      " lazyfree-lazy-user-del lazyfree-lazy-user-flush list-compress-depth"
      " list-max-listpack-size list-max-ziplist-size no-appendfsync-on-rewrite oom-score-adj"
      " oom-score-adj-values proc-title-template rdb-del-sync-files rdb-save-incremental-fsync"
      " rdbchecksum rdbcompression repl-disable-tcp-nodelay repl-diskless-load"
      " repl-diskless-sync repl-diskless-sync-delay repl-diskless-sync-max-replicas"
      " replica-lazy-flush slave-lazy-flush set-max-intset-entries set-proc-title"
      " stream-node-max-bytes stream-node-max-entries tcp-keepalive zset-max-listpack-entries"
      " zset-max-listpack-value zset-max-ziplist-entries zset-max-ziplist-value"
      " syslog-enabled syslog-ident syslog-facility crash-log-enabled crash-memcheck-enabled"
      " io-threads io-threads-do-reads lua-time-limit busy-reply-threshold"
      " active-expire-effort lfu-log-factor lfu-decay-time maxmemory-samples"
      " maxmemory-eviction-tenacity replica-ignore-maxmemory slave-ignore-maxmemory"
      " activedefrag sanitize-dump-payload databases ";
  std::string word = " " + ToLower(name) + " ";
  return word.size() > 3 && kIgnored.find(word) != std::string_view::npos;
}

std::optional<std::string> SetDirective(Config* config, std::string_view name,
                                        std::span<const std::string> args, bool runtime) {
  const Directive* d = Find(name);
  if (d == nullptr && IgnoredDirective(name)) {
    if (runtime) return "can't set immutable config";
    std::string lower = ToLower(name), value = JoinWords(SplitWords(args));
    auto it = std::find_if(config->ignored.begin(), config->ignored.end(),
                           [&](const auto& entry) { return entry.first == lower; });
    if (it != config->ignored.end()) {
      it->second = std::move(value);  // a later line wins, as for any directive
    } else {
      config->ignored.emplace_back(std::move(lower), std::move(value));
    }
    return std::nullopt;
  }
  if (d == nullptr) return "Bad directive or wrong number of arguments";
  if (runtime && !d->mutable_at_runtime) return "can't set immutable config";
  return d->set(*config, args);
}

std::optional<std::string> GetDirective(const Config& config, std::string_view name) {
  const Directive* d = Find(name);
  if (d == nullptr) return std::nullopt;
  return d->get(config);
}

std::vector<std::string_view> DirectiveNames() {
  std::vector<std::string_view> names;
  for (const auto& d : Table()) names.push_back(d.name);
  return names;
}

bool IsDirective(std::string_view name) { return Find(name) != nullptr || IgnoredDirective(name); }

namespace {

// One word of a config line, quoted when the reader would otherwise split or drop it.
std::string ConfigWord(std::string_view w) {
  bool plain = !w.empty() && w.find_first_of(" \t\"'\\\r\n#") == std::string_view::npos;
  if (plain) return std::string(w);
  std::string q = "\"";
  for (char c : w) {
    if (c == '"' || c == '\\') q.push_back('\\');
    if (c == '\n') {
      q += "\\n";
      continue;
    }
    q.push_back(c);
  }
  return q + "\"";
}

std::string ConfigLine(std::string_view name, const Config& c) {
  std::string value = *GetDirective(c, name);
  // Lists are written word by word (the reader takes every word); the rest as one value.
  static const std::string_view kLists[] = {"save", "bind", "client-output-buffer-limit",
                                            "replicaof", "tls-protocols"};
  bool list = std::find(std::begin(kLists), std::end(kLists), name) != std::end(kLists);
  std::string line(name);
  if (list && !value.empty()) {
    std::istringstream in(value);
    for (std::string w; in >> w;) line += " " + ConfigWord(w);
  } else {
    line += " " + ConfigWord(value);
  }
  return line;
}

}  // namespace

std::string RewriteConfig(std::string_view original, const Config& config,
                          std::string_view user_lines) {
  constexpr std::string_view kRewriteHeader = "# Generated by CONFIG REWRITE";
  std::string out;
  std::set<std::string_view> seen;
  bool header = false, users_written = false;
  size_t pos = 0;
  while (pos < original.size()) {
    size_t end = original.find('\n', pos);
    if (end == std::string_view::npos) end = original.size();
    std::string_view line = original.substr(pos, end - pos);
    pos = end + 1;
    std::vector<std::string> words;
    const Directive* d = nullptr;
    size_t start = line.find_first_not_of(" \t\r");
    if (start != std::string_view::npos && line[start] != '#' &&
        protocol::RespParser::SplitArgs(line, &words) && !words.empty()) {
      d = Find(words[0]);
      if (EqualsIgnoreCase(words[0], "user")) {  // every user, where the first one was
        if (!users_written) out += user_lines;
        users_written = true;
        continue;
      }
    }
    if (d == nullptr) {
      if (line == kRewriteHeader) header = true;  // a rewrite's additions: appended below it
      out += std::string(line) + "\n";
      continue;
    }
    if (!seen.insert(d->name).second) continue;  // folded into its first line
    // No primary any more: the line goes, as Redis drops it.
    if (d->name == "replicaof" && config.replicaof.empty()) continue;
    out += ConfigLine(d->name, config) + "\n";
  }
  const Config defaults;
  for (const auto& d : Table()) {
    // threads is resolved at start-up (0 = every core): written only where the file has it.
    if (seen.count(d.name) || d.name == "threads") continue;
    if (*GetDirective(config, d.name) == *GetDirective(defaults, d.name)) continue;
    if (!header) {
      if (!out.empty() && out.back() != '\n') out += "\n";
      out += std::string(kRewriteHeader) + "\n";
      header = true;
    }
    out += ConfigLine(d.name, config) + "\n";
  }
  if (!users_written && !user_lines.empty()) {
    if (!header) {
      if (!out.empty() && out.back() != '\n') out += "\n";
      out += std::string(kRewriteHeader) + "\n";
    }
    out += user_lines;
  }
  return out;
}

std::optional<std::string> LoadConfig(int argc, char** argv, Config* config) {
  struct Line {
    std::string source;  // "file:line" or "command line"
    std::string text;
  };
  std::vector<Line> lines;
  int i = 1;
  if (i < argc && std::string_view(argv[i]).substr(0, 2) != "--") {
    std::string path = argv[i++];
    std::ifstream in(path);
    if (!in) {
      return fmt::format("Fatal error, can't open config file '{}': {}", path, strerror(errno));
    }
    char* abs = realpath(path.c_str(), nullptr);
    config->config_file = abs != nullptr ? abs : path;
    free(abs);
    std::string text;
    for (int n = 1; std::getline(in, text); ++n) {
      lines.push_back({fmt::format("'{}', at line {}", path, n), text});
    }
  }
  // `--port 7000 --save 60 1000`: each option takes every argument up to the next `--`.
  for (; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.substr(0, 2) != "--" || a.size() == 2) {
      return fmt::format(
          "*** FATAL CONFIG FILE ERROR ***\nReading the command line, at argument {}\n>>> '{}'\n"
          "Expected --directive value",
          i, a);
    }
    Line l{fmt::format("the command line, at argument {}", i), std::string(a.substr(2))};
    while (i + 1 < argc && std::string_view(argv[i + 1]).substr(0, 2) != "--") {
      std::string v = argv[++i];
      // Quote so that values with spaces or empty values survive the split below.
      std::string q = "\"";
      for (char c : v) {
        if (c == '"' || c == '\\') q.push_back('\\');
        q.push_back(c);
      }
      l.text += " " + q + "\"";
    }
    lines.push_back(std::move(l));
  }
  for (const auto& line : lines) {
    std::vector<std::string> words;
    std::string_view t = line.text;
    size_t start = t.find_first_not_of(" \t\r");
    if (start == std::string_view::npos || t[start] == '#') continue;
    std::string error;
    if (!protocol::RespParser::SplitArgs(t, &words)) {
      error = "Unbalanced quotes in configuration line";
    } else if (!words.empty()) {
      std::vector<std::string> args(words.begin() + 1, words.end());
      if (EqualsIgnoreCase(words[0], "user")) {
        // Checked with the other users once every line is read (InitialAcl).
        if (args.empty()) error = "wrong number of arguments";
        config->users.push_back(std::move(args));
      } else if (auto e = SetDirective(config, words[0], args, false)) {
        error = *e;
      }
    }
    if (!error.empty()) {
      return fmt::format(
          "*** FATAL CONFIG FILE ERROR ***\nReading {}\n>>> '{}'\n{}", line.source,
          JoinWords(words.empty() ? std::vector<std::string>{std::string(t)} : words), error);
    }
  }
  if (config->threads == 0) {
    config->threads = std::max(1u, std::thread::hardware_concurrency());
  }
  return std::nullopt;
}

}  // namespace typeahead::server
