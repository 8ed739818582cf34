// Persistence owns the data directory: recovery at start-up and checkpoints while serving.
//
// Files (in <dir>/appendonlydir): per partition, a snapshot (storage/snapshot.h) and the logs
// written since it (storage/log_record.h), named by a manifest (storage/manifest.h).
// A checkpoint (SAVE, BGSAVE, BGREWRITEAOF, a `save` rule, or the log outgrowing the
// snapshots by auto-aof-rewrite-percentage) does, in order:
//   1. create an empty next-generation log per partition and make a manifest naming the old
//      files plus the new logs durable: from here every record is covered whatever happens;
//   2. on each shard, switch the journal to its new log and cut a snapshot at that instant;
//      the shard writes it a slice at a time between requests (no fork, no pause);
//   3. when every snapshot is on disk (fsynced, renamed), make the manifest naming only the
//      new snapshots and logs durable, then remove the old files.
// A crash anywhere recovers from whichever manifest is on disk, with nothing missing.
//
// Threads: the coordinator runs on shard 0; each shard writes its own snapshot; file syncs,
// renames and the manifest go through the background worker. Fields read by INFO are atomic.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "server/background.h"
#include "server/journal.h"
#include "storage/manifest.h"
#include "storage/snapshot.h"

namespace typeahead::server {

class Shard;
class ShardSet;
struct Config;

class Persistence {
 public:
  Persistence(ShardSet& shards, const Config& config);

  // At start-up, on a loader thread while the shards serve only what may run while loading
  // (Server::loading()): loads the data directory into the partitions and opens the logs.
  // Nothing else touches the partitions or the journals meanwhile. Throws std::runtime_error
  // with a message naming the file and offset on damage, or storage::kLoadStopped after
  // StopLoading().
  void Recover();
  // Makes a Recover() in progress give up soon (a shutdown while loading). Thread-safe.
  void StopLoading() { progress_.stop.store(true); }
  // While Recover() runs: the bytes of the files it loads, those loaded so far, and when it
  // started (unix seconds), for INFO's loading_* fields and the progress log line.
  uint64_t loading_total_bytes() const { return loading_total_.load(); }
  uint64_t loading_loaded_bytes() const { return progress_.bytes.load(); }
  int64_t loading_start_time() const { return loading_start_.load(); }
  // Done so far, and the seconds left at the pace since the start (1 in the first second),
  // as Redis computes loading_loaded_perc and loading_eta_seconds.
  double loading_percent() const;
  int64_t loading_eta_seconds() const;
  // Starts the once-a-second check of the save rules and the log size (on shard 0).
  void StartTimers();
  // After the shard threads stopped: makes every log durable and closes it.
  void Close();

  // Takes a checkpoint; resumes the caller when it is durable (true) or failed. From any
  // shard thread. False at once when one is already running.
  boost::asio::awaitable<bool> Checkpoint(std::string reason);
  // Starts a checkpoint and returns; false when one is already running.
  bool StartCheckpoint(std::string reason);
  // Before a shutdown: takes a checkpoint when forced (SHUTDOWN SAVE) or when save rules are
  // configured and something changed since the last one, as Redis does, so the next start
  // loads a snapshot instead of replaying logs. Waits for a checkpoint already running.
  // Returns false when the checkpoint failed. From any shard thread.
  boost::asio::awaitable<bool> SaveBeforeShutdown(bool forced);
  bool in_progress() const { return in_progress_.load(); }

  DiskHealth& health() { return health_; }
  const DiskHealth& health() const { return health_; }
  BackgroundWorker& background() { return background_; }

  // For INFO persistence and LASTSAVE.
  int64_t last_save_time() const { return last_save_time_.load(); }
  bool last_save_ok() const { return last_save_ok_.load(); }
  int64_t last_save_seconds() const { return last_save_seconds_.load(); }
  int64_t current_save_started() const { return current_started_.load(); }
  uint64_t saves() const { return saves_.load(); }
  uint64_t snapshot_bytes() const { return snapshot_bytes_.load(); }
  uint64_t changes_at_last_save() const { return changes_at_save_.load(); }
  bool aof_enabled() const { return aof_; }

 private:
  std::string FilePath(const std::string& name) const;
  // Writes m as the manifest and removes data files it does not name. Blocking.
  bool SwitchManifest(const storage::Manifest& m, std::string* error);
  // Start-up: opens (creating when absent) each shard's journal on its partition's last log
  // in m, bases[p] being the offset of that file's first byte. Throws on failure.
  void OpenJournals(const storage::Manifest& m, const std::vector<uint64_t>& bases);
  // Start-up: snapshots every partition synchronously into a new generation.
  void CheckpointNow(std::string_view why);
  boost::asio::awaitable<bool> RunCheckpoint(std::string reason);
  struct ShardResult {
    bool ok = true;
    std::string error;
    uint64_t bytes = 0, changes = 0;
    std::chrono::steady_clock::duration longest_slice{};  // the longest pause it caused
  };
  // On shard s: writes its snapshot (s.snapshot()) to the end and commits the file.
  boost::asio::awaitable<void> WriteSnapshot(Shard& s, ShardResult* r);
  boost::asio::awaitable<void> Cron();
  // Changes recorded on every shard since the last successful checkpoint.
  boost::asio::awaitable<uint64_t> ChangesSinceSave();

  ShardSet& shards_;
  std::string dir_;
  bool aof_;
  int64_t key_load_delay_;
  DiskHealth health_;
  BackgroundWorker background_;
  storage::Manifest manifest_;  // shard 0's thread once serving
  std::atomic<bool> in_progress_{false};
  std::atomic<int64_t> last_save_time_{0};
  std::atomic<bool> last_save_ok_{true};
  std::atomic<int64_t> last_save_seconds_{-1};
  std::atomic<int64_t> current_started_{-1};
  std::atomic<uint64_t> saves_{0};
  std::atomic<uint64_t> snapshot_bytes_{0};
  std::atomic<uint64_t> changes_at_save_{0};
  std::chrono::steady_clock::time_point last_failure_{};
  storage::LoadProgress progress_;
  std::atomic<uint64_t> loading_total_{0};
  std::atomic<int64_t> loading_start_{0};
};

}  // namespace typeahead::server
