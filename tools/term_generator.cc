#include "tools/term_generator.h"

#include <algorithm>
#include <cmath>

namespace typeahead::tools {
namespace {
// Share of English dictionary words starting with each letter a..z (per mille, rounded):
// s, c, p, a, m lead; x, z, y, q trail.
constexpr double kInitial[26] = {61, 44, 94, 56, 41, 38,  30, 34, 36, 7,  9, 31, 58,
                                 22, 26, 79, 5,  51, 115, 48, 25, 14, 21, 1, 4,  5};
// Letter frequencies in English text (per mille).
constexpr double kLetters[26] = {82, 15, 28, 43, 127, 22, 20, 61, 70, 2,  8, 40, 24,
                                 67, 75, 19, 1,  60,  63, 91, 28, 10, 24, 2, 20, 1};

std::vector<double> Cumulative(const double (&w)[26]) {
  std::vector<double> c(26);
  double sum = 0;
  for (int i = 0; i < 26; ++i) c[i] = (sum += w[i]);
  for (double& x : c) x /= sum;
  return c;
}
}  // namespace

TermGenerator::TermGenerator(uint64_t seed)
    : rng_(seed), initial_(Cumulative(kInitial)), letters_(Cumulative(kLetters)) {}

char TermGenerator::Letter(const std::vector<double>& cumulative) {
  double u = std::uniform_real_distribution<double>(0, 1)(rng_);
  size_t i = std::lower_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin();
  return static_cast<char>('a' + std::min<size_t>(i, 25));
}

std::string TermGenerator::Next() {
  // Lengths 4..18, centred on 11 (a word plus a few letters).
  std::binomial_distribution<int> extra(14, 0.5);
  while (true) {
    int len = 4 + extra(rng_);
    std::string term(1, Letter(initial_));
    while (static_cast<int>(term.size()) < len) term.push_back(Letter(letters_));
    if (seen_.insert(term).second) return term;
  }
}

int64_t TermGenerator::ZipfFrequency(uint64_t rank, uint64_t n) {
  return std::max<int64_t>(1, std::llround(static_cast<double>(n) / static_cast<double>(rank)));
}

}  // namespace typeahead::tools
