#include "server/command_latency.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace typeahead::server {

size_t LatencyHistogram::Index(uint64_t ns) {
  ns = std::clamp<uint64_t>(ns, 1, kMaxNs);
  if (ns < 32) return ns;
  int e = std::bit_width(ns) - 1;  // 5 or more
  return (static_cast<size_t>(e - 4) << 5) + ((ns >> (e - 5)) & 31);
}

uint64_t LatencyHistogram::Top(size_t index) {
  if (index < 32) return index;
  int e = static_cast<int>(index >> 5) + 4;
  uint64_t low = (32 + (index & 31)) << (e - 5);
  return low + (uint64_t{1} << (e - 5)) - 1;
}

void LatencyHistogram::Add(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  sum_ns_ += other.sum_ns_;
}

uint64_t LatencyHistogram::Percentile(double p) const {
  if (total_ == 0) return 0;
  auto rank = static_cast<uint64_t>(std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * total_));
  rank = std::max<uint64_t>(rank, 1);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return Top(i);
  }
  return Top(kBuckets - 1);
}

uint64_t LatencyHistogram::CountUpTo(uint64_t ns) const {
  uint64_t n = 0;
  for (size_t i = 0; i < kBuckets && Top(i) <= ns; ++i) n += counts_[i];
  return n;
}

void LatencyHistogram::CountsUpTo(std::span<const uint64_t> bounds, std::span<uint64_t> out) const {
  uint64_t n = 0;
  size_t i = 0;
  for (size_t b = 0; b < bounds.size(); ++b) {
    for (; i < kBuckets && Top(i) <= bounds[b]; ++i) n += counts_[i];
    out[b] = n;
  }
}

void CommandLatency::Record(size_t stat_index, uint64_t ns) {
  if (stat_index >= by_command_.size()) by_command_.resize(stat_index + 1);
  auto& h = by_command_[stat_index];
  if (h == nullptr) h = std::make_unique<LatencyHistogram>();
  h->Record(ns);
}

}  // namespace typeahead::server
