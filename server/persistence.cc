#include "server/persistence.h"

#include <dirent.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "base/log.h"
#include "server/config.h"
#include "server/shard.h"
#include "storage/file_util.h"
#include "storage/recovery.h"
#include "storage/routing.h"
#include "storage/snapshot.h"

namespace typeahead::server {
namespace asio = boost::asio;
using asio::awaitable;
using storage::Manifest;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// A shard writes its snapshot for about kSlice between two turns of its loop, checking the
// clock every kSliceStep terms. A count alone is not enough: the same count takes five times
// longer in a trie built by random inserts (nodes scattered in memory) than in one loaded
// from a snapshot (nodes in walk order).
constexpr auto kSlice = std::chrono::milliseconds(1);
constexpr size_t kSliceStep = 256;
constexpr int kMaxQueuedBlocks = 8;  // 256 KB each

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Runs f on the background worker and resumes the caller on its own executor with f's result.
// f is taken by reference: GCC 12 destroys a lambda temporary passed by value to a coroutine
// twice (a double free when it captures a std::string), so callers pass a named one.
template <typename F>
awaitable<std::invoke_result_t<F&>> OffThread(BackgroundWorker& bg, F& f) {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer wake(ex, asio::steady_timer::time_point::max());
  std::optional<std::invoke_result_t<F&>> result;
  bg.Submit([&] {
    result = f();
    asio::post(ex, [&] { wake.cancel(); });
  });
  co_await wake.async_wait(kNoThrow);
  co_return std::move(*result);
}

// Runs fn(i) for every i on a thread each (start-up work on idle cores). Rethrows nothing:
// fn reports its own errors.
template <typename F>
void ForEachInParallel(size_t n, F fn) {
  std::vector<std::thread> threads;
  for (size_t i = 0; i < n; ++i) threads.emplace_back([&fn, i] { fn(i); });
  for (auto& t : threads) t.join();
}

}  // namespace

Persistence::Persistence(ShardSet& shards, const Config& config)
    : shards_(shards),
      dir_(config.dir + "/" + std::string(storage::kDataDirName)),
      aof_(config.appendonly),
      key_load_delay_(config.key_load_delay) {
  for (size_t i = 0; i < shards_.size(); ++i) shards_[i].journal().Attach(&background_, &health_);
}

std::string Persistence::FilePath(const std::string& name) const { return dir_ + "/" + name; }

bool Persistence::SwitchManifest(const Manifest& m, std::string* error) {
  if (!storage::WriteFileAtomically(FilePath(std::string(storage::kManifestName)), m.Serialize(),
                                    error)) {
    return false;
  }
  // Only now, with the new manifest durable, may the files it dropped go.
  std::vector<std::string> live;
  for (const auto& p : m.partitions) {
    if (!p.snapshot.empty()) live.push_back(p.snapshot);
    live.insert(live.end(), p.logs.begin(), p.logs.end());
  }
  if (DIR* d = opendir(dir_.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (!Manifest::IsDataFileName(name)) continue;
      if (std::find(live.begin(), live.end(), name) != live.end()) continue;
      unlink(FilePath(name).c_str());
    }
    closedir(d);
  }
  return true;
}

double Persistence::loading_percent() const {
  uint64_t total = loading_total_bytes();
  if (total == 0) return 0;
  return static_cast<double>(std::min(loading_loaded_bytes(), total)) * 100 / total;
}

int64_t Persistence::loading_eta_seconds() const {
  uint64_t total = loading_total_bytes(), done = std::min(loading_loaded_bytes(), total);
  int64_t elapsed = UnixNow() - loading_start_time();
  if (elapsed <= 0) return 1;
  return static_cast<int64_t>(static_cast<double>(elapsed) * (total - done) / (done + 1));
}

void Persistence::Recover() {
  auto started = std::chrono::steady_clock::now();
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw std::runtime_error(fmt::format("Can't create {}: {}", dir_, ec.message()));
  size_t n = shards_.size();
  std::string error;
  std::string manifest_path = FilePath(std::string(storage::kManifestName));
  if (access(manifest_path.c_str(), F_OK) != 0) {
    // A new data directory: empty logs, no snapshots yet.
    manifest_.generation = 1;
    manifest_.partitions.resize(n);
    if (aof_) {
      for (size_t p = 0; p < n; ++p) manifest_.partitions[p].logs = {Manifest::LogName(1, p)};
    }
    OpenJournals(manifest_, std::vector<uint64_t>(n, 0));  // creates the logs
    if (!SwitchManifest(manifest_, &error)) throw std::runtime_error(error);
    last_save_time_ = UnixNow();
    Log(LogLevel::kNotice, "No data yet in {}: starting empty", dir_);
    return;
  }
  auto text = storage::ReadWholeFile(manifest_path, &error);
  if (!text || !Manifest::Parse(*text, &manifest_, &error)) {
    throw std::runtime_error(fmt::format("Bad manifest {}: {}", manifest_path, error));
  }
  size_t m = manifest_.partitions.size();
  // What the load reads (its progress's total), and of it the snapshots (INFO's
  // aof_base_size once loaded).
  uint64_t total = 0, snapshots = 0;
  auto size_of = [this](const std::string& name) -> uint64_t {
    std::error_code size_ec;
    uint64_t size = std::filesystem::file_size(FilePath(name), size_ec);
    return size_ec ? 0 : size;
  };
  for (const auto& p : manifest_.partitions) {
    if (!p.snapshot.empty()) snapshots += size_of(p.snapshot);
    for (const auto& log : p.logs) total += size_of(log);
  }
  total += snapshots;
  loading_start_ = UnixNow();
  loading_total_ = total;
  progress_.term_delay_us = key_load_delay_;
  // Load every partition of the files on a thread of its own. With another thread count than
  // the files were written with, load them as they were and move the terms afterwards.
  std::vector<storage::Partition> staging(m == n ? 0 : m);
  std::vector<storage::LoadStats> stats(m);
  std::vector<std::string> errors(m);
  // What the files hold is replayed, not logged again: the journals hear of the partitions'
  // changes only once everything is loaded.
  for (size_t p = 0; p < n; ++p) {
    shards_[p].partition().set_sink(nullptr);
    shards_[p].partition().set_clock(nullptr);  // the shard's cron writes it meanwhile
  }
  ForEachInParallel(m, [&](size_t p) {
    storage::Partition* into = m == n ? &shards_[p].partition() : &staging[p];
    storage::LoadPartitionFiles(dir_, manifest_.partitions[p], into, &stats[p], &errors[p],
                                &progress_);
  });
  uint64_t records = 0, snapshot_terms = 0, bytes = 0;
  for (size_t p = 0; p < m; ++p) {
    for (const auto& w : stats[p].warnings) Log(LogLevel::kWarning, "{}", w);
    if (!errors[p].empty()) throw std::runtime_error(errors[p]);
    records += stats[p].records;
    snapshot_terms += stats[p].snapshot_terms;
    bytes += stats[p].log_bytes;
  }
  snapshot_bytes_ += snapshots;
  if (m != n) {
    for (auto& part : staging) {
      for (const auto& [key, dict] : part.keys()) {
        // Stored values move as they are, under the decay that gives them their meaning.
        for (size_t p = 0; p < n; ++p) shards_[p].partition().AdoptDecay(key, dict.decay());
        dict.ForEach([&, &key = key, &dict = dict](std::string_view term, int64_t freq) {
          shards_[storage::PartitionOfTerm(term, n)].partition().Restore(
              key, term, freq, dict.Payload(term), dict.decay().shift);
        });
      }
      part.Clear();
    }
  }
  for (size_t p = 0; p < n; ++p) {
    shards_[p].partition().set_sink(&shards_[p].journal());
    shards_[p].partition().set_clock(shards_[p].clock_source());
  }
  size_t terms = 0;
  for (size_t p = 0; p < n; ++p) terms += shards_[p].partition().term_count();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  Log(LogLevel::kNotice,
      "Data loaded from {}: {} snapshot terms and {} log records ({} bytes), {} terms now, "
      "in {:.3f} seconds",
      dir_, snapshot_terms, records, bytes, terms, seconds);
  last_save_time_ = UnixNow();
  bool logs_fit = m == n;
  for (const auto& p : manifest_.partitions) logs_fit = logs_fit && (p.logs.empty() != aof_);
  if (!logs_fit) {
    // The files were written with another thread count, or appendonly changed: write the data
    // in this server's layout before serving.
    CheckpointNow(m != n ? fmt::format("the data has {} partitions and the server {}", m, n)
                         : std::string("appendonly changed"));
    return;
  }
  std::vector<uint64_t> bases;
  for (const auto& st : stats) bases.push_back(st.last_log_base);
  OpenJournals(manifest_, bases);
  // Leftovers of a checkpoint cut short by a crash.
  if (!SwitchManifest(manifest_, &error)) throw std::runtime_error(error);
}

void Persistence::CheckpointNow(std::string_view why) {
  Log(LogLevel::kNotice, "Writing a new snapshot before serving: {}", why);
  size_t n = shards_.size();
  Manifest next;
  next.generation = manifest_.generation + 1;
  next.partitions.resize(n);
  std::vector<std::string> errors(n);
  ForEachInParallel(n, [&](size_t p) {
    next.partitions[p].snapshot = Manifest::SnapshotName(next.generation, p);
    storage::SnapshotInfo info{static_cast<uint32_t>(p), static_cast<uint32_t>(n), 0};
    storage::WriteSnapshot(&shards_[p].partition(), FilePath(next.partitions[p].snapshot), info,
                           &errors[p]);
    if (aof_) next.partitions[p].logs = {Manifest::LogName(next.generation, p)};
  });
  std::string error;
  for (const auto& e : errors) {
    if (!e.empty()) throw std::runtime_error(e);
  }
  OpenJournals(next, std::vector<uint64_t>(n, 0));  // creates the logs the manifest will name
  if (!SwitchManifest(next, &error)) throw std::runtime_error(error);
  manifest_ = next;
  snapshot_bytes_ = 0;
  for (size_t p = 0; p < n; ++p) {
    std::error_code size_ec;
    snapshot_bytes_ += std::filesystem::file_size(FilePath(next.partitions[p].snapshot), size_ec);
  }
}

void Persistence::OpenJournals(const Manifest& m, const std::vector<uint64_t>& bases) {
  std::string error;
  for (size_t p = 0; aof_ && p < m.partitions.size(); ++p) {
    if (!shards_[p].journal().Open(FilePath(m.partitions[p].logs.back()), bases[p], &error)) {
      throw std::runtime_error(error);
    }
  }
}

void Persistence::Close() {
  for (size_t i = 0; i < shards_.size(); ++i) shards_[i].journal().Close();
}

bool Persistence::StartCheckpoint(std::string reason) {
  if (in_progress_.exchange(true)) return false;
  asio::co_spawn(shards_[0].io(), RunCheckpoint(std::move(reason)), asio::detached);
  return true;
}

awaitable<bool> Persistence::Checkpoint(std::string reason) {
  if (in_progress_.exchange(true)) co_return false;
  co_return co_await asio::co_spawn(shards_[0].io(), RunCheckpoint(std::move(reason)),
                                    asio::use_awaitable);
}

awaitable<bool> Persistence::RunCheckpoint(std::string reason) {
  auto started = std::chrono::steady_clock::now();
  current_started_ = UnixNow();
  Log(LogLevel::kNotice, "Background saving started ({})", reason);
  size_t n = shards_.size();
  uint64_t gen = manifest_.generation + 1;
  std::string error;
  bool ok = true;
  if (aof_) {
    // Step 1: new logs exist and the manifest names them before any record goes there.
    Manifest with_new_logs = manifest_;
    with_new_logs.generation = gen;
    for (size_t p = 0; p < n; ++p)
      with_new_logs.partitions[p].logs.push_back(Manifest::LogName(gen, p));
    auto create_logs = [&] {
      for (size_t p = 0; p < n; ++p) {
        storage::AppendLog create;
        if (!create.Open(FilePath(Manifest::LogName(gen, p)), 0, &error)) return false;
      }
      return SwitchManifest(with_new_logs, &error);
    };
    ok = co_await OffThread(background_, create_logs);
    if (ok) manifest_ = with_new_logs;
  }
  // Step 2: cut every partition; each writes its snapshot and reports back here.
  std::vector<ShardResult> results(n);
  size_t left = 0;
  auto here = co_await asio::this_coro::executor;
  asio::steady_timer wake(here, asio::steady_timer::time_point::max());
  for (size_t i = 0; ok && i < n; ++i) {
    ++left;
    ShardResult* r = &results[i];
    // Trivially copyable captures only: the lambda is passed by value into a coroutine
    // (see OffThread on GCC 12).
    auto report = [&left, &wake, home = &shards_[0].io()](std::exception_ptr) {
      asio::post(*home, [&left, &wake] {
        if (--left == 0) wake.cancel();
      });
    };
    co_await shards_.Run(i, [&, i, r, report](Shard& s) {
      if (aof_ && !s.journal().SwitchTo(FilePath(Manifest::LogName(gen, i)), &r->error)) {
        r->ok = false;
        return report(nullptr);
      }
      r->changes = s.journal().changes();
      storage::SnapshotInfo info{static_cast<uint32_t>(i), static_cast<uint32_t>(n),
                                 s.journal().end()};
      s.snapshot() = std::make_unique<storage::SnapshotWriter>(
          &s.partition(), FilePath(Manifest::SnapshotName(gen, i)), info);
      asio::co_spawn(s.io(), WriteSnapshot(s, r), report);
    });
  }
  if (left > 0) co_await wake.async_wait(kNoThrow);
  uint64_t changes = 0, bytes = 0;
  std::chrono::steady_clock::duration longest_slice{};
  for (const auto& r : results) {
    longest_slice = std::max(longest_slice, r.longest_slice);
    if (!r.ok && ok) {
      ok = false;
      error = r.error;
    }
    changes += r.changes;
    bytes += r.bytes;
  }
  if (ok) {
    // Step 3: the new generation alone.
    Manifest next;
    next.generation = gen;
    next.partitions.resize(n);
    for (size_t p = 0; p < n; ++p) {
      next.partitions[p].snapshot = Manifest::SnapshotName(gen, p);
      if (aof_) next.partitions[p].logs = {Manifest::LogName(gen, p)};
    }
    auto switch_manifest = [&] { return SwitchManifest(next, &error); };
    ok = co_await OffThread(background_, switch_manifest);
    if (ok) manifest_ = next;
  }
  manifest_.generation = std::max(manifest_.generation, gen);  // never reuse a file name
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  last_save_seconds_ = static_cast<int64_t>(seconds + 0.5);
  current_started_ = -1;
  last_save_ok_ = ok;
  health_.snapshot_failed = !ok;
  if (ok) {
    last_save_time_ = UnixNow();
    changes_at_save_ = changes;
    snapshot_bytes_ = bytes;
    ++saves_;
    Log(LogLevel::kNotice,
        "Background saving terminated with success: {} bytes in {:.3f} seconds; the longest "
        "slice between requests took {:.3f} ms",
        bytes, seconds, std::chrono::duration<double, std::milli>(longest_slice).count());
  } else {
    last_failure_ = std::chrono::steady_clock::now();
    Log(LogLevel::kWarning, "Background saving error: {}", error);
  }
  in_progress_ = false;
  co_return ok;
}

awaitable<void> Persistence::WriteSnapshot(Shard& s, ShardResult* r) {
  // The shard only walks its partition, a slice per turn of its loop, so requests wait at most
  // one slice; the background worker compresses and writes the blocks, in order. At most
  // kMaxQueuedBlocks wait for it: the walk pauses (a millisecond at a time) beyond that.
  auto& writer = s.snapshot();
  writer->set_deferred(true);
  std::shared_ptr<storage::SnapshotFile> file = writer->file();
  auto queued = std::make_shared<std::atomic<int>>(0);
  asio::steady_timer pause(s.io());
  while (true) {
    while (queued->load() >= kMaxQueuedBlocks) {
      pause.expires_after(std::chrono::milliseconds(1));
      co_await pause.async_wait(kNoThrow);
    }
    auto slice_start = std::chrono::steady_clock::now();
    auto slice = std::chrono::steady_clock::duration::zero();
    bool done;
    do {
      done = writer->Step(kSliceStep);
      slice = std::chrono::steady_clock::now() - slice_start;
    } while (!done && slice < kSlice && queued->load() < kMaxQueuedBlocks);
    r->longest_slice = std::max(r->longest_slice, slice);
    for (auto& block : writer->TakeBlocks()) {
      queued->fetch_add(1);
      background_.Submit([file, queued, block = std::move(block)] {
        file->AppendBlock(block);
        queued->fetch_sub(1);
      });
    }
    if (done) break;
    co_await asio::post(s.io(), asio::use_awaitable);
  }
  if (!writer->ok()) {
    r->ok = false;
    r->error = writer->error();
    writer.reset();
    co_return;
  }
  storage::SnapshotInfo info = writer->info();
  writer.reset();
  auto finish = [&] {
    bool committed = file->Finish(info.keys, info.terms, &r->error);
    std::error_code size_ec;
    if (committed) r->bytes = std::filesystem::file_size(file->path(), size_ec);
    return committed;
  };
  r->ok = co_await OffThread(background_, finish);
}

awaitable<uint64_t> Persistence::ChangesSinceSave() {
  auto per_shard = co_await shards_.RunAll([](Shard& s) { return s.journal().changes(); });
  uint64_t total = 0;
  for (uint64_t c : per_shard) total += c;
  co_return total - std::min(total, changes_at_save_.load());
}

awaitable<bool> Persistence::SaveBeforeShutdown(bool forced) {
  const Config& config = Shard::Current()->config();
  if (!forced) {
    if (config.save.empty()) co_return true;
    uint64_t changes = co_await ChangesSinceSave();  // not inside ||: see Server::Shutdown
    if (changes == 0) co_return true;
  }
  asio::steady_timer wait(co_await asio::this_coro::executor);
  while (true) {
    while (in_progress_) {
      wait.expires_after(std::chrono::milliseconds(10));
      co_await wait.async_wait(kNoThrow);
    }
    if (in_progress_.exchange(true)) continue;  // another one started meanwhile
    co_return co_await asio::co_spawn(shards_[0].io(), RunCheckpoint("shutdown"),
                                      asio::use_awaitable);
  }
}

void Persistence::StartTimers() { asio::co_spawn(shards_[0].io(), Cron(), asio::detached); }

awaitable<void> Persistence::Cron() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (true) {
    timer.expires_after(std::chrono::seconds(1));
    auto [ec] = co_await timer.async_wait(kNoThrow);
    if (ec) co_return;
    if (in_progress_) continue;
    struct Sizes {
      uint64_t changes = 0, log_bytes = 0;
    };
    auto per_shard = co_await shards_.RunAll([](Shard& s) {
      const auto& log = s.journal().log();
      return Sizes{s.journal().changes(), log.is_open() ? log.end() - log.base() : 0};
    });
    Sizes total;
    for (const auto& s : per_shard) {
      total.changes += s.changes;
      total.log_bytes += s.log_bytes;
    }
    const Config& config = shards_[0].config();
    int64_t now = UnixNow();
    uint64_t changes = total.changes - changes_at_save_;
    // As Redis: after a failure, the save rules retry only every 5 seconds.
    bool may_retry =
        last_save_ok_ || std::chrono::steady_clock::now() - last_failure_ > std::chrono::seconds(5);
    std::istringstream rules(config.save);
    int64_t seconds, min_changes;
    std::string reason;
    while (may_retry && rules >> seconds >> min_changes) {
      if (changes >= static_cast<uint64_t>(min_changes) && now - last_save_time_ >= seconds &&
          changes > 0) {
        reason = fmt::format("{} changes in {} seconds", min_changes, seconds);
        break;
      }
    }
    if (reason.empty() && aof_ && may_retry && config.auto_aof_rewrite_percentage > 0 &&
        total.log_bytes >= static_cast<uint64_t>(config.auto_aof_rewrite_min_size) &&
        total.log_bytes * 100 >=
            snapshot_bytes_ * static_cast<uint64_t>(config.auto_aof_rewrite_percentage)) {
      reason = fmt::format("the logs grew to {} bytes", total.log_bytes);
    }
    if (!reason.empty()) StartCheckpoint(reason);
  }
}

}  // namespace typeahead::server
