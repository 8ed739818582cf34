#include "server/shard.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

#include "base/log.h"
#include "server/command.h"
#include "server/connection.h"
#include "server/memory_usage.h"

namespace typeahead::server {
namespace {
thread_local Shard* t_current = nullptr;
}

namespace {
uint32_t UnixSeconds() {
  return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}
}  // namespace

Shard::Shard(size_t id, Config config)
    : id_(id),
      io_(std::make_unique<ShardContext>()),
      work_(asio::make_work_guard(*io_)),
      mailbox_(std::make_unique<Mailbox>(*io_)),
      feed_(std::make_unique<replication::ReplicationFeed>(*io_)),
      journal_(std::make_unique<Journal>(*this, &watched_keys_)),
      config_(std::move(config)) {
  partition_.set_sink(journal_.get());
  partition_.set_clock(&clock_);
  clock_ = UnixSeconds();
  set_config(config_);
}

void Shard::NoteSlowCommand(const CommandSpec& spec, std::span<const std::string_view> args,
                            uint64_t nsec, const SlowLogClient& client) {
  if (slowlog_.Slow(nsec) && !(spec.flags & kSkipSlowlog)) slowlog_.Add(args, nsec, client);
  if (latency_.Spike(nsec)) {
    int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    latency_.Add((spec.flags & kFast) ? "fast-command" : "command", nsec / 1000000, now);
  }
}

void Shard::set_config(const Config& c) {
  if (&c != &config_) config_ = c;
  slowlog_.Configure(c.slowlog_log_slower_than, c.slowlog_max_len);
  latency_.Configure(c.latency_monitor_threshold);
  latency_tracking_ = c.latency_tracking;
}

Shard::~Shard() {
  work_.reset();
  journal_.reset();
  snapshot_.reset();
  mailbox_.reset();
  io_.reset();
}

Shard* Shard::Current() { return t_current; }

void Shard::Start(int cpu) {
  thread_ = std::thread([this, cpu] {
    t_current = this;
    if (cpu >= 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpu, &set);
      if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0) {
        Log(LogLevel::kWarning, "Could not pin shard {} to CPU {}", id_, cpu);
      }
    }
    char name[16];
    snprintf(name, sizeof(name), "shard-%zu", id_);
    pthread_setname_np(pthread_self(), name);
    Cron();
    mailbox_->Start();
    io_->run();
  });
}

void Shard::Join() {
  if (thread_.joinable()) thread_.join();
}

void Shard::Cron() {
  auto timer = std::make_shared<asio::steady_timer>(*io_, std::chrono::milliseconds(100));
  timer->async_wait([this, timer](const boost::system::error_code& ec) {
    if (ec) return;
    // As Redis's trackInstantaneousMetric: INFO averages the last 16 samples.
    stats_.samples[stats_.sample_index] = stats_.commands_processed - stats_.last_sample_commands;
    stats_.sample_index = (stats_.sample_index + 1) % ShardStats::kSamples;
    stats_.last_sample_commands = stats_.commands_processed;
    if (id_ == 0) RefreshUsedMemory();
    clock_ = UnixSeconds();
    PruneDecayed();
    if (++cron_ticks_ % 10 == 0) {
      CloseClientsOverLimits();
      if (!watched_keys_.empty()) watched_keys_.Sweep();
    }
    Cron();
  });
}

void Shard::PruneDecayed() {
  // At most 1 ms of the shard's time per tick (1%; a request waits at most that), and at most
  // 10000 terms (a small trie's walk is fast; see docs/benchmarks.md for a big one's).
  constexpr size_t kBudget = 10000;
  constexpr auto kTime = std::chrono::milliseconds(1);
  double floor = config_.decay_min_score;
  if (floor <= 0 || !own_changes_gate_ || !own_changes_gate_()) return;
  auto r = pruner_.Step(partition_, floor, storage::WallClockMs(), kBudget,
                        std::chrono::steady_clock::now() + kTime);
  stats_.decay_pruned_terms += r.dropped;
}

void Shard::AdoptAcl(const Acl& state) {
  std::vector<const AclUser*> changed;
  std::vector<std::unique_ptr<AclUser>> removed = acl_.Adopt(state, &changed);
  if (removed.empty() && changed.empty()) return;
  auto is_removed = [&](const AclUser* u) {
    for (const auto& r : removed) {
      if (r.get() == u) return true;
    }
    return false;
  };
  auto lost_channel = [](const Connection& c) {
    for (const auto& ch : c.channels()) {
      if (!c.user->ChannelAllowed(ch, false)) return true;
    }
    for (const auto& p : c.patterns()) {
      if (!c.user->ChannelAllowed(p, true)) return true;
    }
    return false;
  };
  for (auto& [id, conn] : clients_) {
    if (is_removed(conn->user)) {
      conn->user = &AclUser::Nobody();  // the old one is destroyed below
      conn->Kill();
    } else if (std::find(changed.begin(), changed.end(), conn->user) != changed.end() &&
               lost_channel(*conn)) {
      conn->Kill();
    }
  }
}

void Shard::CloseClientsOverLimits() {
  auto now = Connection::Clock::now();
  const OutputLimit& out = config_.output_normal;
  std::vector<Connection*> idle, slow, gone, handshaking, slow_http;
  for (auto& [id, conn] : clients_) {
    // Idle for a second at least: a client that sends often never costs the peek.
    if (conn->HandshakeOverdue(now)) {
      handshaking.push_back(conn);
    } else if (conn->HttpRequestOverdue(now)) {
      slow_http.push_back(conn);
    } else if (now - conn->last_interaction() >= std::chrono::seconds(1) && conn->ClientClosed()) {
      gone.push_back(conn);
    } else if (config_.timeout > 0 &&
               now - conn->last_interaction() > std::chrono::seconds(config_.timeout)) {
      idle.push_back(conn);
    } else if (out.soft > 0 && static_cast<int64_t>(conn->unsent_bytes()) > out.soft &&
               now - conn->write_started() >= std::chrono::seconds(out.soft_seconds)) {
      slow.push_back(conn);
    }
  }
  for (Connection* conn : gone) {
    Log(LogLevel::kVerbose, "Client closed connection {}", conn->Describe());
    conn->Kill();
  }
  for (Connection* conn : handshaking) {
    Log(LogLevel::kNotice, "Closing TLS client that did not finish its handshake in {} s: {}",
        config_.debug_tls_handshake_timeout, conn->Describe());
    conn->Kill();
  }
  for (Connection* conn : slow_http) {
    Log(LogLevel::kVerbose, "Closing HTTP client whose request took over {} s: {}",
        config_.http_request_timeout, conn->Describe());
    conn->RefuseOverdueHttp();
  }
  for (Connection* conn : idle) {
    Log(LogLevel::kVerbose, "Closing idle client {}", conn->Describe());
    conn->Kill();
  }
  for (Connection* conn : slow) {
    Log(LogLevel::kWarning, "Client {} closed for overcoming of output buffer limits.",
        conn->Describe());
    conn->Kill();
  }
}

ShardSet::ShardSet(size_t n, const Config& config) {
  for (size_t i = 0; i < n; ++i) {
    shards_.push_back(std::make_unique<Shard>(i, config));
    shards_.back()->slowlog().ShareIds(&slowlog_ids_);
  }
}

void ShardSet::Start(bool pin) {
  // The cores this process may use (a cpuset or taskset may allow fewer than exist).
  std::vector<int> cores;
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &allowed)) cores.push_back(c);
    }
  }
  for (auto& s : shards_) {
    s->Start(pin && !cores.empty() ? cores[s->id() % cores.size()] : -1);
  }
}

void ShardSet::DestroyPending() {
  // Every mailbox first: a connection's hop tasks may sit in another shard's mailbox, and
  // destroying the connection's frame (an io_context's pending work) frees them. Twice: a
  // frame destroyed on one shard may post to a shard drained before it.
  for (int pass = 0; pass < 2; ++pass) {
    for (auto& s : shards_) s->DiscardMailbox();
    for (auto& s : shards_) s->DestroyPending();
  }
}

void ShardSet::Stop() {
  for (auto& s : shards_) s->Stop();
}

void ShardSet::Join() {
  for (auto& s : shards_) s->Join();
}

}  // namespace typeahead::server
