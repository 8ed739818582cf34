// ShardBatch is a connection's work on other shards: the pipeline's single-shard commands,
// run with one hop per shard however many commands each shard owns, and the wait until the log
// records of the connection's writes are durable as appendfsync asks. A Connection owns one
// and drives it; it never runs a command itself that is not a batched one.
//
// Batch: Add() queues commands (their args point into the connection's input, which must not
// move until they ran). RunHere() runs them at once when every one is the home shard's; else
// Start() sends one hop to each other shard involved (they run in parallel with the home
// shard's part), and once hops_left() is 0, Finish() splices every reply into the output in
// arrival order and counts the commands.
//
// Durability: each shard's part notes the log offset its writes reached; StartDurable() asks
// every such shard (and every shard after a write that ran outside the batch, NoteWrite())
// to report when its log is durable up to there. Replies wait until hops_left() is 0.
//
// Threading: driven on the connection's (home) shard thread. A hop runs on its shard's thread
// and touches only its own slot (its output, its log offset) until it reports back through the
// home shard's mailbox; the last report cancels `wake`, on which the connection waits. The
// batch must stay alive, and must not start new work, while hops_left() > 0.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/command.h"
#include "server/mailbox.h"
#include "server/slowlog.h"

namespace typeahead::server {

class Shard;
class ShardSet;
struct ShardStats;

class ShardBatch {
 public:
  using Clock = std::chrono::steady_clock;

  // client: who SLOWLOG names for the batch's slow commands.
  ShardBatch(ShardSet& shards, Shard& home, boost::asio::steady_timer& wake, SlowLogClient client);
  ShardBatch(const ShardBatch&) = delete;
  ShardBatch& operator=(const ShardBatch&) = delete;

  void Add(const CommandSpec* spec, size_t shard, Args args);
  bool empty() const { return pending_.empty(); }
  size_t size() const { return pending_.size(); }

  // Runs the batch now when every command is the home shard's, appending the replies to out
  // and counting the commands from clock_mark. False, with nothing done, otherwise.
  bool RunHere(std::string& out, bool resp3, Clock::time_point& clock_mark);
  // Sends the hops and runs the home shard's part.
  void Start(bool resp3);
  // After Start, once hops_left() is 0: appends the replies to out in order and counts.
  void Finish(std::string& out, Clock::time_point& clock_mark);

  // A write ran outside the batch (on whichever shard): its reply waits for every shard's log.
  void NoteWrite() { durable_all_ = true; }
  bool DurabilityDue() const;
  void StartDurable();

  size_t hops_left() const { return hops_left_; }

 private:
  struct Pending {
    const CommandSpec* spec;
    size_t shard;
    size_t arg_begin, arg_count;
    size_t reply_begin = 0, reply_end = 0;
    bool ok = true;
  };
  // One per shard, reused by every batch and durability wait: `go` carries the work to the
  // shard's mailbox, `back` reports to the home shard.
  struct Hop;
  struct HopTask : MailboxTask {
    Hop* hop = nullptr;
  };
  struct Hop {
    HopTask go, back;
    ShardBatch* batch = nullptr;
    size_t shard = 0;
    uint64_t need = 0;  // StartDurable: the log offset to wait for (0: the log's end)
  };
  static void RunHop(MailboxTask* task, bool run);
  static void DurableHop(MailboxTask* task, bool run);
  static void HopBack(MailboxTask* task, bool run);
  // Runs s's part on s's thread, appending its replies to out.
  void RunOn(Shard& s, std::string& out);
  // Before s's part runs: the paths of its kWalksTerm commands, brought toward the cache
  // together (storage::Trie::WarmPaths).
  void WarmPaths(Shard& s);
  void WaitDurableOn(Hop& hop);  // on hop.shard's thread
  void HopFinished();            // on the home thread
  void Account(Clock::time_point& clock_mark);

  static constexpr size_t kKeepBytes = 256 * 1024;  // a shard's reply buffer kept between uses

  ShardSet& shards_;
  Shard& home_;
  boost::asio::steady_timer& wake_;
  SlowLogClient client_;
  bool resp3_ = false;
  std::vector<Pending> pending_;
  std::vector<std::string_view> args_;
  // Per shard, sized once: the replies each shard wrote, and whether it is involved.
  std::vector<std::string> shard_out_;
  std::vector<bool> involved_;
  // Per shard, the log offset the replies wait for (0: none); durable_all_: every shard's
  // current end.
  std::vector<uint64_t> durable_need_;
  bool durable_all_ = false;
  std::unique_ptr<Hop[]> hops_;  // by shard id
  size_t hops_left_ = 0;
};

}  // namespace typeahead::server
