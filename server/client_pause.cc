#include "server/client_pause.h"

#include <algorithm>

namespace typeahead::server {
namespace {
int64_t Nanos(ClientPause::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace

void ClientPause::Pause(Clock::time_point until, Mode mode) {
  std::lock_guard lock(mu_);
  int64_t end = std::max<int64_t>(Nanos(until), 1);
  if (end_ns_.load(std::memory_order_relaxed) != 0) {
    end = std::max(end, end_ns_.load(std::memory_order_relaxed));
    mode = std::max(mode, mode_.load(std::memory_order_relaxed));
  }
  mode_.store(mode, std::memory_order_relaxed);
  end_ns_.store(end, std::memory_order_release);
}

void ClientPause::Unpause() {
  std::lock_guard lock(mu_);
  end_ns_.store(0, std::memory_order_release);
  mode_.store(Mode::kOff, std::memory_order_relaxed);
}

bool ClientPause::Holds(bool writes, Clock::time_point* until) {
  if (!set()) return false;
  std::lock_guard lock(mu_);
  int64_t end = end_ns_.load(std::memory_order_relaxed);
  if (end == 0) return false;
  auto now = Clock::now();
  if (Nanos(now) >= end) {  // it ran out: the next command pays no clock read
    end_ns_.store(0, std::memory_order_relaxed);
    mode_.store(Mode::kOff, std::memory_order_relaxed);
    return false;
  }
  Mode mode = mode_.load(std::memory_order_relaxed);
  if (mode == Mode::kWrite && !writes) return false;
  *until =
      Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(end)));
  return true;
}

}  // namespace typeahead::server
