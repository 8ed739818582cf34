#include "server/journal.h"

#include <string.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <chrono>

#include "base/log.h"
#include "server/background.h"
#include "server/shard.h"

namespace typeahead::server {
namespace asio = boost::asio;

Journal::Journal(Shard& shard, WatchedKeys* watched)
    : watched_(watched),
      shard_(shard),
      feed_(shard.feed()),
      retry_timer_(shard.io()),
      sync_timer_(shard.io()) {}

Journal::~Journal() { alive_->store(false); }

bool Journal::Always() const { return shard_.config().appendfsync == "always"; }

bool Journal::Durable(uint64_t offset) const {
  return Always() ? log_.synced() >= offset : log_.written() >= offset;
}

bool Journal::Open(const std::string& path, uint64_t base, std::string* error) {
  if (!log_.Open(path, base, error)) return false;
  SyncEverySecond();
  return true;
}

bool Journal::SwitchTo(const std::string& path, std::string* error) {
  if (!log_.is_open()) return false;
  if (int err = log_.Write(); err != 0 || (err = TimedSync()) != 0) {
    *error = fmt::format("can't write {}: {}", log_.path(), strerror(err));
    SetFailing(err, "write");
    return false;
  }
  // Open replaces the file only once the new one is open: on failure the old one stays.
  if (!log_.Open(path, log_.end(), error)) return false;
  RunWaiters();
  return true;
}

void Journal::Close() {
  std::string error;
  if (log_.is_open() && !log_.Close(&error)) Log(LogLevel::kWarning, "{}", error);
  retry_timer_.cancel();
  sync_timer_.cancel();
}

void Journal::WhenDurable(uint64_t offset, std::function<void()> done) {
  if (!log_.is_open() || Durable(offset)) {
    done();
    return;
  }
  waiters_.push_back({offset, std::move(done)});
  ScheduleFlush();
}

void Journal::ScheduleFlush() {
  if (flush_scheduled_ || failing_) return;
  flush_scheduled_ = true;
  if (int64_t delay = shard_.config().debug_log_flush_delay; delay > 0) {
    retry_timer_.expires_after(std::chrono::milliseconds(delay));
    retry_timer_.async_wait([this](const boost::system::error_code& ec) {
      flush_scheduled_ = false;
      if (!ec) Flush();
    });
    return;
  }
  PostFlush(log_.end(), 0);
}

void Journal::PostFlush(uint64_t seen, int deferrals) {
  // Posted behind everything already queued on this loop, so the whole turn's records go out
  // together. With `always` an fdatasync costs milliseconds: while records keep arriving, let
  // the loop poll the sockets again (a few times at most) so one sync covers the clients
  // whose requests were just arriving, as Redis's sync before sleeping does.
  asio::post(shard_.io(), [this, seen, deferrals] {
    if (Always() && deferrals < kMaxDeferrals && log_.end() != seen) {
      return PostFlush(log_.end(), deferrals + 1);
    }
    flush_scheduled_ = false;
    Flush();
  });
}

void Journal::Flush() {
  if (!log_.is_open()) return;
  int err = log_.Write();
  if (err == 0 && Always()) err = TimedSync();
  if (err != 0) return SetFailing(err, Always() ? "write or fsync" : "write");
  if (failing_) {
    failing_ = false;
    health_->failing_logs.fetch_sub(1, std::memory_order_relaxed);
    Log(LogLevel::kWarning, "Log write error looks solved: {} is being written again.",
        log_.path());
  }
  RunWaiters();
}

int Journal::TimedSync() {
  auto start = std::chrono::steady_clock::now();
  int err = log_.Sync();
  fsync_latency_.Record(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count());
  return err;
}

void Journal::SetFailing(int err, std::string_view what) {
  health_->log_errno.store(err, std::memory_order_relaxed);
  if (!failing_) {
    failing_ = true;
    health_->failing_logs.fetch_add(1, std::memory_order_relaxed);
    Log(LogLevel::kWarning, "Error trying to {} the append only file {}: {}", what, log_.path(),
        strerror(err));
  }
  // Retry until the disk takes the bytes again; the next success clears the failure.
  retry_timer_.expires_after(std::chrono::milliseconds(100));
  retry_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) Flush();
  });
}

void Journal::RunWaiters() {
  if (waiters_.empty()) return;
  // done() may add waiters (a connection's next batch): collect the ready ones first.
  std::vector<Waiter> ready;
  size_t keep = 0;
  for (auto& w : waiters_) {
    if (Durable(w.offset)) {
      ready.push_back(std::move(w));
    } else {
      waiters_[keep++] = std::move(w);
    }
  }
  waiters_.resize(keep);
  for (auto& w : ready) w.done();
}

void Journal::SyncEverySecond() {
  sync_timer_.expires_after(std::chrono::seconds(1));
  sync_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    SyncEverySecond();
    if (!log_.is_open() || Always() || shard_.config().appendfsync == "no" || sync_in_flight_ ||
        log_.synced() >= log_.written() || background_ == nullptr) {
      return;
    }
    // fdatasync can take long on a busy disk: run it on a duplicate descriptor in the
    // background, so a checkpoint may close the original meanwhile.
    int fd = dup(log_.fd());
    if (fd < 0) return;
    sync_in_flight_ = true;
    uint64_t target = log_.written();
    std::string path = log_.path();
    background_->Submit([this, fd, target, path, alive = alive_, io = &shard_.io()] {
      auto start = std::chrono::steady_clock::now();
      int err = fdatasync(fd) == 0 ? 0 : errno;
      auto took = std::chrono::steady_clock::now() - start;
      close(fd);
      if (!alive->load()) return;
      asio::post(*io, [this, err, target, path, alive, took] {
        if (!alive->load()) return;
        sync_in_flight_ = false;
        fsync_latency_.Record(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count());
        if (err != 0) {
          SetFailing(err, "fsync");
          return;
        }
        if (path == log_.path()) log_.MarkSynced(target);
      });
    });
  });
}

}  // namespace typeahead::server
