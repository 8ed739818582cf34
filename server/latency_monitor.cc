#include "server/latency_monitor.h"

#include <algorithm>

namespace typeahead::server {

void LatencyMonitor::Configure(int64_t threshold_ms) {
  threshold_ns_ = threshold_ms <= 0 ? UINT64_MAX : static_cast<uint64_t>(threshold_ms) * 1000000;
}

void LatencyMonitor::Add(std::string_view event, uint64_t ms, int64_t unix_time) {
  auto it = events_.find(event);
  if (it == events_.end()) it = events_.emplace(std::string(event), Ring{}).first;
  Ring& r = it->second;
  r.max_ms = std::max(r.max_ms, ms);
  LatencySample& prev = r.samples[(r.next + kSamples - 1) % kSamples];
  if (prev.unix_time == unix_time) {  // one sample per second: its worst
    prev.ms = std::max(prev.ms, ms);
    return;
  }
  r.samples[r.next] = {unix_time, ms};
  r.next = (r.next + 1) % kSamples;
}

std::vector<std::string> LatencyMonitor::Reset(const std::vector<std::string>& names) {
  std::vector<std::string> gone;
  if (names.empty()) {
    for (const auto& [name, ring] : events_) gone.push_back(name);
    events_.clear();
    return gone;
  }
  for (const std::string& name : names) {
    if (events_.erase(name) > 0) gone.push_back(name);
  }
  return gone;
}

std::map<std::string, LatencySeries> LatencyMonitor::Series() const {
  std::map<std::string, LatencySeries> out;
  for (const auto& [name, ring] : events_) {
    LatencySeries& s = out[name];
    s.max_ms = ring.max_ms;
    for (size_t j = 0; j < kSamples; ++j) {
      const LatencySample& sample = ring.samples[(ring.next + j) % kSamples];
      if (sample.unix_time != 0) s.samples.push_back(sample);
    }
  }
  return out;
}

std::map<std::string, LatencySeries> MergeLatency(
    const std::vector<std::map<std::string, LatencySeries>>& shards) {
  std::map<std::string, LatencySeries> out;
  for (const auto& series : shards) {
    for (const auto& [name, s] : series) {
      LatencySeries& m = out[name];
      m.max_ms = std::max(m.max_ms, s.max_ms);
      m.samples.insert(m.samples.end(), s.samples.begin(), s.samples.end());
    }
  }
  for (auto& [name, m] : out) {
    std::stable_sort(
        m.samples.begin(), m.samples.end(),
        [](const LatencySample& a, const LatencySample& b) { return a.unix_time < b.unix_time; });
    std::vector<LatencySample> merged;
    for (const LatencySample& s : m.samples) {
      if (!merged.empty() && merged.back().unix_time == s.unix_time) {
        merged.back().ms = std::max(merged.back().ms, s.ms);
      } else {
        merged.push_back(s);
      }
    }
    if (merged.size() > LatencyMonitor::kSamples) {
      merged.erase(merged.begin(), merged.end() - LatencyMonitor::kSamples);
    }
    m.samples = std::move(merged);
  }
  return out;
}

}  // namespace typeahead::server
