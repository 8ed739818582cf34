#include "tools/histogram.h"

#include <algorithm>
#include <bit>

namespace typeahead::tools {

int Histogram::Index(uint64_t v) {
  if (v < (1u << kSubBits)) return static_cast<int>(v);
  int exp = 63 - std::countl_zero(v);  // v in [2^exp, 2^(exp+1))
  int shift = exp - kSubBits;
  auto sub = static_cast<int>((v >> shift) & ((1u << kSubBits) - 1));
  return (shift + 1) * (1 << kSubBits) + sub;
}

uint64_t Histogram::ValueAt(int index) {
  if (index < (1 << kSubBits)) return static_cast<uint64_t>(index);
  int shift = index / (1 << kSubBits) - 1;
  uint64_t sub = static_cast<uint64_t>(index % (1 << kSubBits));
  uint64_t base = (uint64_t{1} << (shift + kSubBits)) | (sub << shift);
  return base + ((uint64_t{1} << shift) - 1);
}

void Histogram::Record(uint64_t nanos) {
  ++counts_[Index(nanos)];
  ++count_;
  max_ = std::max(max_, nanos);
}

void Histogram::Merge(const Histogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

uint64_t Histogram::Percentile(double q) const {
  if (count_ == 0) return 0;
  auto want = static_cast<uint64_t>(q * static_cast<double>(count_) + 0.5);
  want = std::clamp<uint64_t>(want, 1, count_);
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= want) return std::min(ValueAt(i), max_);
  }
  return max_;
}

}  // namespace typeahead::tools
