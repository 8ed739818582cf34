// Journal is a shard's side of the append-only log: it is the shard partition's MutationSink,
// so every change made on the shard is recorded here, in the order the shard applied it
// (storage/mutation.h says how), and passed to the replication stream; and a connection holds a
// write's reply until WhenDurable says the record reached the kernel (appendfsync everysec and no)
// or the disk (always). A flush is posted once per loop turn however many records arrived in it, so
// one write (and with `always` one fdatasync) covers every client served in that turn: group
// commit. With everysec the background worker runs fdatasync each second.
//
// When a write or sync fails the records stay buffered, waiting replies stay held, the
// process-wide DiskHealth makes connections refuse write commands (MISCONF), and the flush is
// retried every 100 ms until it succeeds. So nothing is acknowledged that is not written.
//
// Invariant: only the owning shard's thread touches a Journal.
#pragma once

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "replication/feed.h"
#include "server/command_latency.h"
#include "server/watched_keys.h"
#include "storage/append_log.h"
#include "storage/mutation.h"

namespace typeahead::server {

class Shard;
class BackgroundWorker;

// Process-wide disk health, read (relaxed) by connections before each write command.
struct DiskHealth {
  std::atomic<int> failing_logs{0};  // journals whose last write or sync failed
  std::atomic<int> log_errno{0};     // the error of the latest failure
  std::atomic<bool> snapshot_failed{false};
};

class Journal final : public storage::MutationSink {
 public:
  // watched: the shard's WATCH table, which every change touches; it outlives the journal.
  Journal(Shard& shard, WatchedKeys* watched);
  ~Journal() override;

  void Attach(BackgroundWorker* background, DiskHealth* health) {
    background_ = background;
    health_ = health;
  }
  // Starts logging into path, whose first byte is offset base (start-up), or, when a log is
  // open, makes everything in it durable, closes it and continues in path at its end (a
  // checkpoint). False with *error; the old log stays in use then.
  bool SwitchTo(const std::string& path, std::string* error);
  // At start-up without a log (appendonly no).
  bool Open(const std::string& path, uint64_t base, std::string* error);
  // Writes and syncs what is buffered and closes (shutdown).
  void Close();
  bool enabled() const { return log_.is_open(); }

  // Logs one change made on this shard, and passes it to the replication stream; a change to a
  // watched key marks its watchers (server/watched_keys.h).
  void Apply(const storage::Mutation& m) override {
    ++changes_;
    if (!watched_->empty()) watched_->Touch(m);
    if (!feed_.enabled() && !log_.is_open()) return;
    auto args = encoder_.Encode(m);
    feed_.Record(args);
    if (!log_.is_open()) return;
    log_.Append(args);
    ScheduleFlush();
  }
  // The offset after the last record: what a connection waits for after its writes.
  uint64_t end() const { return log_.end(); }
  // Calls done() on this thread once everything up to offset is durable as appendfsync asks;
  // at once when it already is or when nothing is logged.
  void WhenDurable(uint64_t offset, std::function<void()> done);

  // Changes recorded since start-up, for the save rules (the checkpoint keeps its own mark).
  uint64_t changes() const { return changes_; }
  const storage::AppendLog& log() const { return log_; }
  bool failing() const { return failing_; }
  // How long each fdatasync of the log took (appendfsync always on this thread, everysec in
  // the background), for /metrics.
  const LatencyHistogram& fsync_latency() const { return fsync_latency_; }

 private:
  WatchedKeys* watched_;
  bool Durable(uint64_t offset) const;
  bool Always() const;
  void ScheduleFlush();
  void PostFlush(uint64_t seen, int deferrals);
  void Flush();
  static constexpr int kMaxDeferrals = 3;
  void SetFailing(int err, std::string_view what);
  void RunWaiters();
  void SyncEverySecond();
  int TimedSync();  // log_.Sync(), timed into fsync_latency_

  Shard& shard_;
  replication::ReplicationFeed& feed_;
  BackgroundWorker* background_ = nullptr;
  DiskHealth* health_ = nullptr;
  storage::AppendLog log_;
  storage::MutationEncoder encoder_;
  uint64_t changes_ = 0;
  struct Waiter {
    uint64_t offset;
    std::function<void()> done;
  };
  std::vector<Waiter> waiters_;
  bool flush_scheduled_ = false;
  bool failing_ = false;
  bool sync_in_flight_ = false;
  LatencyHistogram fsync_latency_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer sync_timer_;
  // Lives as long as the journal; background jobs hold it to know whether to post back.
  std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace typeahead::server
