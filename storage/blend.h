// Blends (ACTOPK key prefix k ... BLEND key2 weight2 ...): the top k terms under a prefix by a
// weighted sum of their frequencies in several dictionaries of one partition, a term absent
// from a dictionary counting 0 there; the candidates are every dictionary's terms under the
// prefix (the union, as ZUNION's, so a term only in a weight-0 dictionary scores 0); a
// decaying dictionary's frequency is its current score (storage/decay.h). Order:
// a fuzzy query's distance ascending, then the weighted sum descending, then term ascending.
//
// Exact without materialising the union: Fagin's threshold algorithm over one ranked stream per
// dictionary (its terms under the prefix in its own order, read in growing batches from
// Trie::TopK or FuzzyTopK), each term first met scored by a lookup in every dictionary. It stops
// when the k-th best beats every term not yet met. Such a term x, for each dictionary i that
// holds it, lies at or after the stream's next term (f_i, t_i): either its frequency there is
// below f_i, so at most f_i - 1, or it equals f_i and x >= t_i. So its score is at most
//   T = sum w_i * f_i, and at most T- = sum w_i * (f_i - 1) unless for some i with w_i > 0 its
//   frequency is f_i and x >= t_i >= L, L the least such t_i;
// and the k-th best (s, t) ranks before x when s > T, or s >= T, s > T- and t < L. The sums run
// in one fixed order over the dictionaries, as each term's own score does, and floating-point
// sums and products by weights >= 0 are monotone, so the bounds hold for the doubles computed,
// not only for exact values. The second rule is what keeps a long tail of equal frequencies
// (most terms of a Zipf dictionary occur once) from being read to its end.
// A fuzzy blend runs the algorithm once per distance, nearest first: a term's distance from the
// prefix is its own, the same in every dictionary that holds it.
//
// Not thread-safe: runs on the thread of the partition that owns the dictionaries.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "storage/trie.h"

namespace typeahead::storage {

// One dictionary of a blend and its weight. dict is null for a key the partition does not hold
// (no terms here). REQUIRES: weight finite and >= 0.
struct BlendSource {
  const Trie* dict = nullptr;
  double weight = 1;
};

// What a blend reads: the prefix, k, for a fuzzy blend the distance and exact bytes
// (Trie::FuzzyTopK's meaning), and the time decaying dictionaries' scores are taken at.
struct BlendQuery {
  std::string_view prefix;
  size_t k = 0;
  bool fuzzy = false;
  int max_distance = 0;
  size_t exact_bytes = 0;
  int64_t now_ms = 0;
};

// True when a ranks before b in a blend: distance ascending, score descending, term ascending.
inline bool BlendRanksBefore(const ScoredTerm& a, const ScoredTerm& b) {
  if (a.distance != b.distance) return a.distance < b.distance;
  if (a.score != b.score) return a.score > b.score;
  return a.term < b.term;
}

// Appends the blend's best q.k terms to *out in BlendRanksBefore's order, each with its score
// (freq is the first source's frequency, 0 when it lacks the term) and distance.
void BlendTopK(std::span<const BlendSource> sources, const BlendQuery& q,
               std::vector<ScoredTerm>* out);

}  // namespace typeahead::storage
