// Histogram records latencies in log-linear buckets, as HdrHistogram does: values are exact
// below 64 ns and otherwise kept within 1/32 (about 3%) of their true value, from nanoseconds
// to hours, in a fixed 2,000-odd counters. Recording is a few instructions, so a load
// generator can record every request.
#pragma once

#include <array>
#include <cstdint>

namespace typeahead::tools {

class Histogram {
 public:
  void Record(uint64_t nanos);
  void Merge(const Histogram& other);
  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  // The value at quantile q in [0, 1]: the smallest bucket value with at least q of the
  // recorded values at or below it.
  uint64_t Percentile(double q) const;

 private:
  static constexpr int kSubBits = 5;  // 32 linear sub-buckets per power of two
  static constexpr int kBuckets = (64 - kSubBits) * (1 << kSubBits) + (1 << kSubBits);
  static int Index(uint64_t v);
  static uint64_t ValueAt(int index);  // the highest value of bucket index

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0, max_ = 0;
};

}  // namespace typeahead::tools
