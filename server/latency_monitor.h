// LatencyMonitor is a shard's record of latency spikes: events (a slow "command", a slow
// "fast-command") that took at least latency-monitor-threshold milliseconds (0: off), kept as
// Redis keeps them, per event a series of its last 160 spikes, one sample per second holding
// that second's worst, and the worst ever. LATENCY LATEST, HISTORY and DOCTOR merge the
// shards' series (Merge): a second's sample is the worst any shard saw in it.
//
// Threading: each shard's monitor on its own thread.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace typeahead::server {

struct LatencySample {
  int64_t unix_time = 0;  // seconds; 0: an empty slot
  uint64_t ms = 0;
};

// One event's series, oldest sample first.
struct LatencySeries {
  std::vector<LatencySample> samples;
  uint64_t max_ms = 0;
};

class LatencyMonitor {
 public:
  static constexpr size_t kSamples = 160;

  void Configure(int64_t threshold_ms);
  // The one comparison made for every command.
  bool Spike(uint64_t nsec) const { return nsec >= threshold_ns_; }
  // Records a spike of ms milliseconds of event at unix_time.
  void Add(std::string_view event, uint64_t ms, int64_t unix_time);
  // Forgets the named events (every event when names is empty); those there were.
  std::vector<std::string> Reset(const std::vector<std::string>& names);
  std::map<std::string, LatencySeries> Series() const;

 private:
  struct Ring {
    std::array<LatencySample, kSamples> samples{};
    size_t next = 0;
    uint64_t max_ms = 0;
  };
  uint64_t threshold_ns_ = UINT64_MAX;
  std::map<std::string, Ring, std::less<>> events_;
};

// The shards' series as one: per event, per second the worst sample, the newest kSamples.
std::map<std::string, LatencySeries> MergeLatency(
    const std::vector<std::map<std::string, LatencySeries>>& shards);

}  // namespace typeahead::server
