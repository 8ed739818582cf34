// fuzzy-oracle TERMS D K < queries
//
// The exact answer to ACTOPK key q K FUZZY D for each query line q, by brute force over every
// term of TERMS (gen-terms' `lines` format: "term freq" per line): a term's distance is the
// least optimal string alignment distance (a swap of adjacent bytes is one edit) between q and
// any of its prefixes; the answer is the K best terms within D, by distance, then frequency
// descending, then term. Prints one line per query: the terms, tab-separated. A second
// implementation, written apart from storage/trie_fuzzy.cc, so scripts/bench can tell the
// share of exact answers of each system without trusting any of them.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

struct Term {
  std::string term;
  long long freq;
};

// The least distance between q and a prefix of t, or d + 1 when it exceeds d.
int PrefixDistance(const std::string& q, const std::string& t, int d) {
  size_t n = q.size();
  // prev2, prev, cur: DP columns for t's bytes j-2, j-1, j; cell i is q's first i bytes.
  std::vector<int> prev2(n + 1), prev(n + 1), cur(n + 1);
  for (size_t i = 0; i <= n; ++i) prev[i] = static_cast<int>(i);
  int best = prev[n];
  size_t limit = std::min(t.size(), n + static_cast<size_t>(d));
  for (size_t j = 1; j <= limit; ++j) {
    cur[0] = static_cast<int>(j);
    int column_min = cur[0];
    for (size_t i = 1; i <= n; ++i) {
      int cost = q[i - 1] == t[j - 1] ? 0 : 1;
      int v = std::min({prev[i] + 1, cur[i - 1] + 1, prev[i - 1] + cost});
      if (i > 1 && j > 1 && q[i - 1] == t[j - 2] && q[i - 2] == t[j - 1]) {
        v = std::min(v, prev2[i - 2] + 1);
      }
      cur[i] = v;
      column_min = std::min(column_min, v);
    }
    best = std::min(best, cur[n]);
    if (column_min > d) break;  // every longer prefix is further still
    prev2.swap(prev);
    prev.swap(cur);
  }
  return std::min(best, d + 1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: fuzzy-oracle TERMS D K < queries\n");
    return 1;
  }
  int d = std::atoi(argv[2]);
  size_t k = std::strtoull(argv[3], nullptr, 10);
  std::ifstream in(argv[1]);
  std::vector<Term> terms;
  std::string term;
  long long freq;
  while (in >> term >> freq) terms.push_back({term, freq});
  struct Hit {
    int distance;
    const Term* t;
  };
  auto before = [](const Hit& a, const Hit& b) {
    if (a.distance != b.distance) return a.distance < b.distance;
    if (a.t->freq != b.t->freq) return a.t->freq > b.t->freq;
    return a.t->term < b.t->term;
  };
  std::string q;
  while (std::getline(std::cin, q)) {
    std::vector<Hit> hits;
    for (const Term& t : terms) {
      int dist = PrefixDistance(q, t.term, d);
      if (dist <= d) hits.push_back({dist, &t});
    }
    size_t n = std::min(k, hits.size());
    std::partial_sort(hits.begin(), hits.begin() + n, hits.end(), before);
    for (size_t i = 0; i < n; ++i) {
      if (i > 0) std::fputc('\t', stdout);
      std::fputs(hits[i].t->term.c_str(), stdout);
    }
    std::fputc('\n', stdout);
  }
  return 0;
}
