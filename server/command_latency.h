// CommandLatency is a shard's distribution of each command's time, for INFO latencystats
// (latency_percentiles_usec_<cmd>) and LATENCY HISTOGRAM, with latency-tracking on (its
// default, as in Redis 7). A LatencyHistogram counts nanoseconds in log-linear buckets: every
// value below 32 exactly, above that 32 buckets per power of two (within 3.2%), from 1 ns to
// Redis's ceiling of 1 s; a command's histogram is made at its first call. The shards'
// histograms add bucket by bucket.
//
// A command's time is the one SLOWLOG and commandstats use (server/slowlog.h): a pipelined
// batch's is shared evenly among its commands.
//
// Threading: each shard's on its own thread; INFO and LATENCY copy them there.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace typeahead::server {

class LatencyHistogram {
 public:
  static constexpr uint64_t kMaxNs = 1'000'000'000;
  static constexpr size_t kBuckets = 828;  // Index(kMaxNs) is 827

  void Record(uint64_t ns) {
    ++counts_[Index(ns)];
    ++total_;
    sum_ns_ += ns;
  }
  void Add(const LatencyHistogram& other);
  uint64_t total() const { return total_; }
  uint64_t sum_ns() const { return sum_ns_; }  // of the values recorded, unclamped
  // The smallest bucket top with at least p percent of the values at or below it (ns).
  uint64_t Percentile(double p) const;
  // How many values are at or below ns.
  uint64_t CountUpTo(uint64_t ns) const;
  // CountUpTo of each of bounds (ascending) in one pass, into out (as many): a Prometheus
  // histogram's cumulative buckets. A bucket straddling a bound counts above it, so each count
  // is exact to the bucket width (3.2%).
  void CountsUpTo(std::span<const uint64_t> bounds, std::span<uint64_t> out) const;

  static size_t Index(uint64_t ns);
  static uint64_t Top(size_t index);  // the largest value bucket index holds

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
  uint64_t sum_ns_ = 0;
};

class CommandLatency {
 public:
  void Record(size_t stat_index, uint64_t ns);
  // nullptr for a command not called since start or Reset.
  const LatencyHistogram* Of(size_t stat_index) const {
    return stat_index < by_command_.size() ? by_command_[stat_index].get() : nullptr;
  }
  size_t size() const { return by_command_.size(); }
  void Reset() { by_command_.clear(); }

 private:
  std::vector<std::unique_ptr<LatencyHistogram>> by_command_;  // by CommandSpec::stat_index
};

}  // namespace typeahead::server
