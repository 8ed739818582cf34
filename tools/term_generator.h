// TermGenerator makes reproducible English-like dictionaries for tests and benchmarks: unique
// [a-z] terms with English initial-letter skew and a mean length near 11, ranked by a Zipf(s=1)
// frequency (rank r gets max(1, round(top / r))). Same seed, same terms, same order.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

namespace typeahead::tools {

class TermGenerator {
 public:
  explicit TermGenerator(uint64_t seed);

  // The next unique term.
  std::string Next();

  // Zipf(s=1) frequency of the term at rank (1-based) among n, with the top term at n.
  static int64_t ZipfFrequency(uint64_t rank, uint64_t n);

 private:
  char Letter(const std::vector<double>& cumulative);

  std::mt19937_64 rng_;
  std::vector<double> initial_;  // cumulative initial-letter weights
  std::vector<double> letters_;  // cumulative letter weights for the rest of a term
  std::unordered_set<std::string> seen_;
};

}  // namespace typeahead::tools
