// ClientPause is CLIENT PAUSE's state, shared by every shard: until when, and whether writes
// only (WRITE) or every command (ALL) must wait. A connection asks Holds() before running each
// command; a held one waits (Connection's pause wait) and runs it once the pause ends or
// CLIENT UNPAUSE wakes it, so commands already read run in order after the pause, as Redis's
// postponed clients do. As in Redis, a new pause keeps the later end and the stricter mode, and
// ALL holds every client command, CLIENT UNPAUSE included: only the timeout ends it then.
//
// Threading: Holds() is one relaxed atomic load while no pause is set (the hot path); the rest
// (setting, ending, noticing the end) takes a mutex, which only pauses touch.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

namespace typeahead::server {

class ClientPause {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Mode : uint8_t { kOff = 0, kWrite = 1, kAll = 2 };

  // Whether a pause may be set: the one load a command pays when none is.
  bool set() const { return end_ns_.load(std::memory_order_relaxed) != 0; }
  void Pause(Clock::time_point until, Mode mode);
  void Unpause();
  // Whether a command (writes: it changes data or may be replicated) must wait now; *until:
  // when the pause ends, for the wait.
  bool Holds(bool writes, Clock::time_point* until);

 private:
  std::mutex mu_;
  std::atomic<int64_t> end_ns_{0};  // steady-clock nanoseconds; 0: no pause
  std::atomic<Mode> mode_{Mode::kOff};
};

}  // namespace typeahead::server
