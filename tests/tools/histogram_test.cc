#include "tools/histogram.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <vector>

using typeahead::tools::Histogram;

TEST_CASE("Histogram: exact for small values, within 1/32 above, max exact") {
  Histogram h;
  for (uint64_t v = 0; v < 32; ++v) h.Record(v);
  CHECK(h.Percentile(0.0) == 0);
  CHECK(h.Percentile(0.5) == 15);
  CHECK(h.Percentile(1.0) == 31);
  std::mt19937_64 rng(3);
  Histogram big;
  std::vector<uint64_t> values;
  for (int i = 0; i < 100000; ++i) {
    uint64_t v = rng() % 50000000;  // up to 50 ms in nanoseconds
    values.push_back(v);
    big.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    uint64_t exact = values[static_cast<size_t>(q * values.size()) - 1];
    uint64_t got = big.Percentile(q);
    CHECK(got >= exact);
    CHECK(got <= exact + exact / 32 + 1);
  }
  CHECK(big.max() == values.back());
  CHECK(big.Percentile(1.0) == values.back());
  Histogram merged;
  merged.Merge(h);
  merged.Merge(big);
  CHECK(merged.count() == 100032);
  CHECK(Histogram().Percentile(0.99) == 0);
}
