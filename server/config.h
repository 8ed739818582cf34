// Config holds every directive of the command contract, with Redis's names and defaults, and
// reads them from a redis.conf-style file plus `--directive value ...` arguments.
// A Config is a plain value: each shard thread keeps its own copy, and CONFIG SET validates
// on one copy and then replaces every thread's copy, so reads on the request path take no lock.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace typeahead::server {

struct OutputLimit {
  int64_t hard = 0;  // bytes; 0 = no limit
  int64_t soft = 0;
  int64_t soft_seconds = 0;
};

struct Config {
  int64_t port = 6379;
  std::vector<std::string> bind = {"127.0.0.1"};
  int64_t tcp_backlog = 511;  // the listen(2) backlog
  // Start-up as Redis: daemonize forks into the background (its output to /dev/null unless
  // logfile names a file); pidfile is written at start-up and removed at exit.
  bool daemonize = false;
  // How to tell a supervisor the server is ready (server/supervision.h): "no", "upstart",
  // "systemd" or "auto". Under a supervisor daemonize is ignored, as in Redis.
  std::string supervised = "no";
  std::string pidfile;
  // Redis directives that have no effect here (IgnoredDirective), as given: name and value.
  // Accepted in the file and on the command line with one warning at start-up, shown by CONFIG
  // GET, refused by CONFIG SET as immutable.
  std::vector<std::pair<std::string, std::string>> ignored;
  std::string dir = "./data";
  std::string requirepass;  // the default user's password (server/acl.h): a shorthand
  // ACL users: the config file's `user <name> <rule>...` lines (each the words after "user"),
  // or the file of them (ACL LOAD, ACL SAVE); not both.
  std::vector<std::vector<std::string>> users;
  std::string aclfile;
  int64_t acllog_max_len = 128;
  // SLOWLOG (server/slowlog.h): commands that took at least this many microseconds (negative:
  // none), the newest slowlog_max_len of them. LATENCY (server/latency_monitor.h): events of at
  // least this many milliseconds (0: off).
  int64_t slowlog_log_slower_than = 10000;
  int64_t slowlog_max_len = 128;
  int64_t latency_monitor_threshold = 0;
  // Per-command latency histograms, and the percentiles INFO latencystats shows of them.
  bool latency_tracking = true;
  std::vector<double> latency_tracking_info_percentiles = {50, 99, 99.9};
  // With no password, accept only loopback clients (127.0.0.0/8, ::1) as Redis 7 does.
  bool protected_mode = true;
  int64_t maxclients = 10000;
  int64_t timeout = 0;  // seconds a client may stay idle; 0 = forever
  // Commands flagged denyoom are refused while the allocator holds more than this (0 = never).
  int64_t maxmemory = 0;
  bool appendonly = true;
  std::string appendfsync = "everysec";
  std::string save = "3600 1 300 100 60 10000";
  // A checkpoint starts when the logs outgrow the snapshots by this percentage (0: never)
  // and are at least the minimum size.
  int64_t auto_aof_rewrite_percentage = 100;
  int64_t auto_aof_rewrite_min_size = 64ll << 20;
  bool stop_writes_on_bgsave_error = true;
  // Testing only: holds each log flush back this many milliseconds, widening the window in
  // which a reply sent before its record was written would be lost to a kill -9.
  int64_t debug_log_flush_delay = 0;
  std::string replicaof;   // "host port" to start as a replica of, empty for a primary
  std::string masteruser;  // with masterauth, the user a replica logs in to its primary as
  std::string masterauth;
  // Replication (replication/): the backlog for partial resyncs (cross-datacenter links lose
  // more than Redis's 1mb default covers), how long a silent link lives, how often a primary
  // pings its replicas, and the write quorum.
  int64_t repl_backlog_size = 16ll << 20;
  int64_t repl_timeout = 60;
  int64_t repl_ping_replica_period = 10;
  int64_t replica_priority = 100;
  // What a replica tells its primary to list it as (behind NAT or a proxy): empty / 0 = its
  // own address and port.
  std::string replica_announce_ip;
  int64_t replica_announce_port = 0;
  int64_t min_replicas_to_write = 0;
  int64_t min_replicas_max_lag = 10;
  // A replica whose link is down answers only commands flagged stale when this is off.
  bool replica_serve_stale_data = true;
  // "zstd": compress the links to replicas that offer it (ours do); "no": plain links.
  std::string repl_compression = "no";
  std::string loglevel = "notice";
  std::string logfile;
  int64_t proto_max_bulk_len = 512ll * 1024 * 1024;
  int64_t client_query_buffer_limit = 1024ll * 1024 * 1024;
  OutputLimit output_normal;
  OutputLimit output_replica{256ll << 20, 64ll << 20, 60};
  OutputLimit output_pubsub{32ll << 20, 8ll << 20, 60};
  int64_t threads = 0;  // 0 until resolved: hardware cores
  // Pin shard i to core i % cores. Off by default: on a machine shared with busy processes
  // (a load generator, another server) a pinned shard cannot move off a contended core
  // (redis-benchmark ping_mbulk P=16 on this 2-core box: 0.8-0.9 of Redis pinned, 1.09-1.19
  // unpinned). On dedicated cores, yes keeps each shard's data in one core's caches.
  bool pin_threads = false;
  int64_t max_term_length = 512;
  int64_t max_topk = 1000;
  // Decaying keys' terms whose score falls below this are dropped by the shards' crons, a
  // slice at a time (storage/decay_pruner.h), on a primary; 0: never.
  double decay_min_score = 0;

  // HTTP's /metrics, /healthz and /readyz on a port of their own, on every bind address,
  // without credentials (server/http_endpoints.h); 0: none (they are on port and tls-port
  // anyway).
  int64_t metrics_port = 0;
  // The HTTP/JSON API and the demo page (server/http_api.h) on a port of their own: 0 none
  // (they are on port and tls-port anyway, after the first bytes tell HTTP from RESP). HTTPS
  // when tls-port is set, with its certificates. http_bind: its addresses, empty for bind's.
  int64_t http_port = 0;
  std::vector<std::string> http_bind;
  // Origins whose pages may call the API (CORS): exact "scheme://host[:port]" values, or "*".
  std::vector<std::string> http_cors_origins;
  int64_t http_max_body = 1024 * 1024;
  // Seconds an HTTP request may take from its first byte to its last (a slow-loris client is
  // closed with 408 after it).
  int64_t http_request_timeout = 10;
  // Microseconds of sleep per term and log record loaded at start-up (Redis's key-load-delay,
  // for tests that watch a load); 0: none.
  int64_t key_load_delay = 0;

  // TLS on client and replication links (server/tls_context.h): a second listener on tls_port (0:
  // none; with port 0 as well, TLS only). The files are read when the server starts and again on
  // every CONFIG SET of a tls-* directive. tls_auth_clients: "yes" (a client must present a
  // certificate the CA signed), "optional" (checked when presented) or "no".
  int64_t tls_port = 0;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_key_file_pass;
  std::string tls_ca_cert_file;
  std::string tls_ca_cert_dir;
  std::string tls_auth_clients = "yes";
  std::string tls_protocols;  // empty: "TLSv1.2 TLSv1.3"
  std::string tls_ciphers;
  std::string tls_ciphersuites;
  bool tls_prefer_server_ciphers = false;
  bool tls_session_caching = true;
  int64_t tls_session_cache_size = 20480;
  int64_t tls_session_cache_timeout = 300;
  // Replication over TLS: a replica connects to its primary with TLS, presenting the client
  // certificate (tls-cert-file when unset), and announces tls_port.
  std::string tls_client_cert_file;
  std::string tls_client_key_file;
  std::string tls_client_key_file_pass;
  bool tls_replication = false;
  // Seconds a TLS client may take to finish its handshake; such a client holds a maxclients
  // slot meanwhile. A directive only so that tests need not wait the default.
  int64_t debug_tls_handshake_timeout = 10;

  std::string config_file;  // absolute path of the file we started from, empty if none
};

// Sets one directive. name is matched case-insensitively. Returns an error message (without
// "ERR") or nullopt. When runtime is true, directives that cannot change while serving are
// refused with Redis's "can't set immutable config".
std::optional<std::string> SetDirective(Config* config, std::string_view name,
                                        std::span<const std::string> args, bool runtime);
// The value CONFIG GET shows, or nullopt for an unknown directive.
std::optional<std::string> GetDirective(const Config& config, std::string_view name);
// Every directive name, in table order.
std::vector<std::string_view> DirectiveNames();
bool IsDirective(std::string_view name);
// Redis's old names (slaveof, slave-priority, ...) and the directive each stands for; CONFIG
// GET lists a matching alias under its own name, as Redis does.
inline constexpr std::pair<std::string_view, std::string_view> kDirectiveAliases[] = {
    {"slaveof", "replicaof"},
    {"repl-ping-slave-period", "repl-ping-replica-period"},
    {"slave-priority", "replica-priority"},
    {"slave-serve-stale-data", "replica-serve-stale-data"},
    {"slave-read-only", "replica-read-only"},
    {"slave-announce-ip", "replica-announce-ip"},
    {"slave-announce-port", "replica-announce-port"},
    {"min-slaves-to-write", "min-replicas-to-write"},
    {"min-slaves-max-lag", "min-replicas-max-lag"},
};
// Whether name is one of the Redis directives accepted without effect (Config::ignored).
bool IgnoredDirective(std::string_view name);

// CONFIG REWRITE: original (the config file's text) with every directive it sets rewritten to
// config's value in place (comments, blank lines and order kept; repeated lines of one
// directive folded into the first), and the directives it lacks whose value differs from the
// default appended after a "# Generated by CONFIG REWRITE" line.
// user_lines: the `user` lines to write in place of the file's (every ACL user, as Redis), or
// empty to drop them (with an aclfile, which holds the users instead).
std::string RewriteConfig(std::string_view original, const Config& config,
                          std::string_view user_lines = {});

// Parses `typeahead-server [file] [--directive value ...]`. On failure returns the full
// message to print (naming the file, line and directive); the caller exits with code 1.
std::optional<std::string> LoadConfig(int argc, char** argv, Config* config);

// Redis's memtoll: "1gb", "64mb", "100k" (k=1000, kb=1024, ...). False if malformed.
bool ParseMemory(std::string_view s, int64_t* out);

}  // namespace typeahead::server
