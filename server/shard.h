// A Shard is one thread with its own io_context (pinned to core i with `pin-threads yes`,
// unpinned by default), owning one storage partition, the connections accepted onto it and its
// own counters. ShardSet::Run() moves a piece of work to the shard that owns the data and
// resumes the caller on its own thread, so shards share no locks on the request path: each
// shard's lock-free Mailbox is the handoff.
//
// Invariant: a shard's partition, clients and stats are touched only from its own thread.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "protocol/error_counts.h"
#include "replication/feed.h"
#include "replication/host.h"
#include "server/acl.h"
#include "server/command_latency.h"
#include "server/config.h"
#include "server/journal.h"
#include "server/latency_monitor.h"
#include "server/mailbox.h"
#include "server/pubsub.h"
#include "server/slowlog.h"
#include "server/watched_keys.h"
#include "storage/decay_pruner.h"
#include "storage/partition.h"
#include "storage/snapshot.h"

namespace typeahead::server {

namespace asio = boost::asio;

class Connection;
class TlsContext;
struct CommandSpec;

// A shard's io_context, with execution_context's protected shutdown() opened up: ShardSet
// destroys the work still queued on every shard before it frees any of them, since a pending
// coroutine frame may hold work on (and so touch when destroyed) another shard's context.
class ShardContext : public asio::io_context {
 public:
  ShardContext() : asio::io_context(1) {}
  void DestroyPending() { shutdown(); }
};

struct CommandStat {
  uint64_t calls = 0;
  uint64_t nsec = 0;  // INFO shows microseconds; fast commands take well under one
  uint64_t failed_calls = 0;
  uint64_t rejected_calls = 0;
};

struct ShardStats {
  uint64_t commands_processed = 0;
  uint64_t connections_received = 0;
  uint64_t rejected_connections = 0;
  uint64_t auth_failures = 0;  // AUTH and HELLO AUTH with a wrong user or password
  // Commands refused by ACL, by reason: the command, a key, a channel.
  uint64_t acl_denied_cmd = 0, acl_denied_key = 0, acl_denied_channel = 0;
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  uint64_t reads_processed = 0, writes_processed = 0;  // socket reads and writes that moved bytes
  // ACTOPK and ACSCORE replies that found something (a term, a score) and those that did not.
  uint64_t keyspace_hits = 0, keyspace_misses = 0;
  int64_t paused_clients = 0;       // connections holding a command until CLIENT PAUSE ends
  uint64_t decay_pruned_terms = 0;  // terms below decay-min-score the cron dropped
  // Every error reply of this shard's connections and batches, by code (INFO errorstats).
  protocol::ErrorCounts errors;
  std::vector<CommandStat> commands;  // indexed by CommandSpec::stat_index
  // instantaneous_ops_per_sec: commands counted in each of the last 16 100-ms samples.
  static constexpr size_t kSamples = 16;
  uint64_t samples[kSamples] = {};
  size_t sample_index = 0;
  uint64_t last_sample_commands = 0;
};

// Final: replication reaches a shard as a replication::PartitionSide, everything else as a
// Shard, whose calls of those members are direct.
class Shard final : public replication::PartitionSide {
 public:
  Shard(size_t id, Config config);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  size_t id() const override { return id_; }
  asio::io_context& io() { return *io_; }
  // Work for this shard from other shards (see ShardSet::Run and PostTo).
  Mailbox& mailbox() { return *mailbox_; }
  // Its sink is the journal from construction on; Persistence detaches it while loading.
  storage::Partition& partition() override { return partition_; }
  const Config& config() const { return config_; }
  void set_config(const Config& c);
  // What this shard's TLS connections are made from (server/tls_context.h); null while TLS is
  // off. Replaced like the config: by a task on this shard's thread.
  const std::shared_ptr<const TlsContext>& tls_context() const { return tls_context_; }
  void set_tls_context(std::shared_ptr<const TlsContext> c) { tls_context_ = std::move(c); }
  // This shard's copy of the users (server/acl.h), which its connections point into.
  const Acl& acl() const { return acl_; }
  Acl& acl() { return acl_; }
  // Takes state when it is newer than this shard's (server/acl_change.h): a connection whose
  // user is gone is closed, and so is a subscriber whose user lost one of its channels.
  void AdoptAcl(const Acl& state);
  ShardStats& stats() { return stats_; }
  Journal& journal() { return *journal_; }
  // This shard's side of the replication stream (fed by the journal).
  replication::ReplicationFeed& feed() override { return *feed_; }
  // The snapshot being written of this shard's partition, if any (see Persistence).
  std::unique_ptr<storage::SnapshotWriter>& snapshot() { return snapshot_; }
  std::unordered_map<uint64_t, Connection*>& clients() { return clients_; }
  PubSub& pubsub() { return pubsub_; }
  // This shard's clients in MONITOR mode (server/monitor.h).
  std::vector<Connection*>& monitors() { return monitors_; }
  // This shard's part of SLOWLOG and of LATENCY, configured with the config.
  SlowLog& slowlog() { return slowlog_; }
  WatchedKeys& watched_keys() { return watched_keys_; }
  LatencyMonitor& latency() { return latency_; }
  // Unix seconds as of the last cron tick (100 ms): what reads stamp dictionaries with
  // (Trie::Touch); clock_source() is what the partition stamps its writes with.
  uint32_t clock() const { return clock_; }
  const uint32_t* clock_source() const { return &clock_; }
  // Each command's distribution of times (INFO latencystats, LATENCY HISTOGRAM).
  CommandLatency& command_latency() { return command_latency_; }
  // Feeds latency tracking, SLOWLOG and LATENCY with a command that took nsec: a bucket's
  // increment and two comparisons unless it was slow.
  void NoteCommandTime(const CommandSpec& spec, std::span<const std::string_view> args,
                       uint64_t nsec, const SlowLogClient& client) {
    if (latency_tracking_) command_latency_.Record(spec.stat_index, nsec);
    if (slowlog_.Slow(nsec) || latency_.Spike(nsec)) NoteSlowCommand(spec, args, nsec, client);
  }

  // Whether the server may change data of its own accord now (a primary, loaded, writes not
  // paused, its logs healthy): asked before the cron prunes; unset: never. Set before Start().
  void set_own_changes_gate(std::function<bool()> gate) { own_changes_gate_ = std::move(gate); }

  // The shard whose thread is running, or nullptr off the shard threads.
  static Shard* Current();

  // Starts the thread, pinned to cpu (-1: not pinned).
  void Start(int cpu);
  void Stop() { io_->stop(); }
  void Join();
  // After Join: releases the tasks still in the mailbox (run=false), then destroys the
  // handlers and coroutine frames still queued on the io_context.
  void DiscardMailbox() { mailbox_->Discard(); }
  void DestroyPending() { io_->DestroyPending(); }

 private:
  // Every 100 ms: samples the ops counter; with decay-min-score set, prunes a slice of the
  // decaying keys (PruneDecayed); once a second closes clients that closed their side
  // unseen (Connection::ClientClosed), idle for longer than `timeout` or over the soft output
  // limit for longer than its seconds; on shard 0 refreshes
  // UsedMemory() for the maxmemory check.
  void Cron();
  void PruneDecayed();
  void CloseClientsOverLimits();
  void NoteSlowCommand(const CommandSpec& spec, std::span<const std::string_view> args,
                       uint64_t nsec, const SlowLogClient& client);

  size_t id_;
  // Destroyed first (see ~Shard): pending coroutines own connections that unregister from
  // clients_ when destroyed.
  std::unique_ptr<ShardContext> io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::unique_ptr<Mailbox> mailbox_;  // destroyed before io_: its doorbell lives on it
  std::thread thread_;
  storage::Partition partition_;
  std::unique_ptr<replication::ReplicationFeed> feed_;
  WatchedKeys watched_keys_;          // before journal_, which touches it
  std::unique_ptr<Journal> journal_;  // destroyed before io_: its timers live on it
  std::unique_ptr<storage::SnapshotWriter> snapshot_;
  Config config_;
  std::shared_ptr<const TlsContext> tls_context_;
  Acl acl_;
  ShardStats stats_;
  std::unordered_map<uint64_t, Connection*> clients_;
  PubSub pubsub_;
  std::vector<Connection*> monitors_;
  SlowLog slowlog_;
  LatencyMonitor latency_;
  CommandLatency command_latency_;
  bool latency_tracking_ = true;
  unsigned cron_ticks_ = 0;
  storage::DecayPruner pruner_;
  std::function<bool()> own_changes_gate_;
  uint32_t clock_ = 0;  // unix seconds, refreshed by the cron: what dictionaries are stamped with
};

namespace detail {
template <typename R>
struct HopSignature {
  using type = void(R);
};
template <>
struct HopSignature<void> {
  using type = void();
};

// One ShardSet::Run hop: `go` runs f on the target shard, `back` resumes the caller on its
// own shard. Allocated per hop and freed on the caller's shard.
template <typename F, typename Handler>
struct RunOp {
  using R = std::invoke_result_t<F&, Shard&>;
  struct Task : MailboxTask {
    RunOp* op;
  };

  RunOp(Shard& t, Shard& h, F& fn, Handler&& hd)
      : target(t), home(h), f(fn), handler(std::move(hd)) {
    go.op = this;
    go.complete = &Go;
    back.op = this;
    back.complete = &Back;
  }

  static void Go(MailboxTask* task, bool run) {
    RunOp* op = static_cast<Task*>(task)->op;
    if (!run) return delete op;
    if constexpr (std::is_void_v<R>) {
      op->f(op->target);
    } else {
      op->result.emplace(op->f(op->target));
    }
    op->home.mailbox().Push(&op->back);
  }

  static void Back(MailboxTask* task, bool run) {
    RunOp* op = static_cast<Task*>(task)->op;
    if (!run) return delete op;
    Handler handler = std::move(op->handler);
    if constexpr (std::is_void_v<R>) {
      delete op;
      std::move(handler)();
    } else {
      R result = std::move(*op->result);
      delete op;
      std::move(handler)(std::move(result));
    }
  }

  Task go, back;
  Shard& target;
  Shard& home;
  F& f;
  Handler handler;
  std::optional<std::conditional_t<std::is_void_v<R>, char, R>> result;
};
}  // namespace detail

class ShardSet {
 public:
  ShardSet(size_t n, const Config& config);
  ~ShardSet() { DestroyPending(); }

  size_t size() const { return shards_.size(); }
  Shard& operator[](size_t i) { return *shards_[i]; }

  void Start(bool pin);
  void Stop();
  void Join();

  // How many clients are in MONITOR mode on any shard (server/monitor.h): read per command.
  size_t monitors() const { return monitors_.load(std::memory_order_relaxed); }
  void AddMonitor() { monitors_.fetch_add(1, std::memory_order_relaxed); }
  void RemoveMonitor() { monitors_.fetch_sub(1, std::memory_order_relaxed); }

  // Runs f(Shard&) on shard i and resumes the caller on its own executor with the result.
  // Runs inline when the caller is already on shard i. The caller must keep everything f
  // refers to alive until the returned awaitable completes.
  template <typename F>
  asio::awaitable<std::invoke_result_t<F&, Shard&>> Run(size_t i, F f) {
    using R = std::invoke_result_t<F&, Shard&>;
    Shard& target = *shards_[i];
    Shard* self = Shard::Current();
    if (&target == self) co_return f(target);
    if (self == nullptr) {  // off the shard threads: no mailbox to come back to
      co_return co_await asio::co_spawn(
          target.io(), [&target, &f]() -> asio::awaitable<R> { co_return f(target); },
          asio::use_awaitable);
    }
    co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&,
                                            typename detail::HopSignature<R>::type>(
        [&target, self, &f](auto handler) {
          using Op = detail::RunOp<F, decltype(handler)>;
          auto* op = new Op(target, *self, f, std::move(handler));
          target.mailbox().Push(&op->go);
        },
        asio::use_awaitable);
  }

  // Runs f() on shard i, in order with every other task this thread sends to it.
  template <typename F>
  void Post(size_t i, F f) {
    PostTo(shards_[i]->mailbox(), std::move(f));
  }

  // Runs f on every shard, the caller's own first, and returns the results by shard id.
  template <typename F>
  asio::awaitable<std::vector<std::invoke_result_t<F&, Shard&>>> RunAll(F f) {
    std::vector<std::invoke_result_t<F&, Shard&>> out(shards_.size());
    Shard* self = Shard::Current();
    if (self != nullptr) out[self->id()] = f(*self);
    for (size_t i = 0; i < shards_.size(); ++i) {
      if (shards_[i].get() == self) continue;
      out[i] = co_await Run(i, std::ref(f));
    }
    co_return out;
  }

  // RunAll for work that returns nothing.
  template <typename F>
  asio::awaitable<void> ForEach(F f) {
    Shard* self = Shard::Current();
    if (self != nullptr) f(*self);
    for (size_t i = 0; i < shards_.size(); ++i) {
      if (shards_[i].get() != self) co_await Run(i, std::ref(f));
    }
  }

 private:
  // Destroys the work still queued on every shard before any shard is freed.
  void DestroyPending();

  std::vector<std::unique_ptr<Shard>> shards_;
  // Lines of their own: the ids are written by every shard that logs a slow command, the count
  // read by every command.
  alignas(64) std::atomic<uint64_t> slowlog_ids_{0};  // SLOWLOG ids, shared by the shards
  alignas(64) std::atomic<size_t> monitors_{0};
};

}  // namespace typeahead::server
