// FuzzyTopK against the contract's examples and against a brute-force oracle that computes
// every term's distance from the query.
#include <doctest/doctest.h>

#include <random>

#include "storage/trie.h"
#include "tests/storage/oracle.h"

using typeahead::storage::ScoredTerm;
using typeahead::storage::Trie;
using typeahead::test::Oracle;
using V = std::vector<ScoredTerm>;

namespace doctest {
template <>
struct StringMaker<V> {
  static String convert(const V& v) {
    std::string out = "[";
    for (const auto& s : v) {
      out += s.term + ":" + std::to_string(s.freq) + "/" + std::to_string(s.distance) + " ";
    }
    return String(out.c_str()) + "]";
  }
};
}  // namespace doctest

namespace {
V Fuzzy(const Trie& t, std::string_view prefix, size_t k, int d, size_t exact = 0) {
  V out;
  t.FuzzyTopK(prefix, k, d, exact, &out);
  return out;
}
}  // namespace

TEST_CASE("FuzzyTopK: distance first, then frequency, then term") {
  Trie t;
  t.IncrBy("apple", 5);
  t.IncrBy("apply", 2);
  t.IncrBy("maple", 9);
  t.IncrBy("ample", 3);
  t.IncrBy("banana", 7);
  // "aple" is one edit from "apple" (a p dropped), "ample" (p for m) and "maple" (its m
  // dropped), two from "apply" (every prefix of it needs two: "appl" too).
  V got = Fuzzy(t, "aple", 10, 1);
  V want = {{"maple", 9, 1}, {"apple", 5, 1}, {"ample", 3, 1}};
  CHECK(got == want);
  // Exact matches come first whatever their frequency.
  t.IncrBy("aplomb", 1);
  got = Fuzzy(t, "apl", 2, 1);
  CHECK(got == V{{"aplomb", 1, 0}, {"maple", 9, 1}});
  // A swap of two adjacent bytes is one edit; as a substitution pair it would be two.
  got = Fuzzy(t, "bnaana", 10, 1);
  CHECK(got == V{{"banana", 7, 1}});
  CHECK(Fuzzy(t, "bnaana", 10, 0).empty());
  // The first PREFIXLEN bytes must match exactly: "maple" starts with m, not a.
  got = Fuzzy(t, "aple", 10, 1, 1);
  CHECK(got == V{{"apple", 5, 1}, {"ample", 3, 1}, {"aplomb", 1, 1}});
  CHECK(Fuzzy(t, "aple", 10, 2, 1).back() == ScoredTerm{"apply", 2, 2});
  // Distance 0 is the plain prefix query; so is a PREFIXLEN covering the whole prefix.
  CHECK(Fuzzy(t, "app", 10, 0) == V{{"apple", 5}, {"apply", 2}});
  CHECK(Fuzzy(t, "app", 10, 2, 3) == V{{"apple", 5}, {"apply", 2}});
  // A query shorter than the distance matches every term.
  CHECK(Fuzzy(t, "z", 10, 1).size() == t.size());
  CHECK(Fuzzy(t, "zzzz", 10, 2).empty());
  CHECK(Fuzzy(t, "aple", 0, 2).empty());
}

TEST_CASE("FuzzyTopK: a query as long as the longest term costs a band, not a table") {
  Trie t;
  std::string long_term(Trie::kMaxTermLength, 'x');
  t.IncrBy(long_term, 3);
  std::string query = long_term;
  query[100] = 'y';
  query[40000] = 'z';
  CHECK(Fuzzy(t, query, 1, 2) == V{{long_term, 3, 2}});
  CHECK(Fuzzy(t, query, 1, 1).empty());
}

TEST_CASE("FuzzyTopK: 100k random operations match a brute-force oracle") {
  std::mt19937_64 rng(20261207);
  Trie d;
  Oracle oracle;
  // Four letters and short terms: shared prefixes, near-duplicates and ties everywhere.
  auto random_term = [&](size_t max_len) { return typeahead::test::RandomTerm(rng, max_len); };
  // One random edit (or none, or two) of a term's prefix: what a typist sends.
  auto typo = [&](std::string s) {
    for (int edits = static_cast<int>(rng() % 3); edits > 0 && !s.empty(); --edits) {
      size_t at = rng() % s.size();
      switch (rng() % 4) {
        case 0:
          s[at] = static_cast<char>('a' + rng() % 5);
          break;
        case 1:
          s.erase(at, 1);
          break;
        case 2:
          s.insert(at, 1, static_cast<char>('a' + rng() % 5));
          break;
        default:
          if (at + 1 < s.size()) std::swap(s[at], s[at + 1]);
          break;
      }
    }
    return s;
  };
  const size_t K = Trie::kCacheSize;
  size_t checks = 0, matched = 0;
  for (int op = 0; op < 100000; ++op) {
    std::string t = random_term(7);
    CHECK(typeahead::test::RandomWrite(rng, d, oracle, t));
    if (op % 4 != 0) continue;
    std::string prefix = typo(t.substr(0, rng() % (t.size() + 1)));
    int dist = static_cast<int>(rng() % 3);
    size_t exact = rng() % 3;
    size_t k;
    switch (rng() % 4) {
      case 0:
        k = rng() % (K + 1);
        break;
      case 1:
        k = K + 1 + rng() % 40;
        break;
      case 2:
        k = 1000;
        break;
      default:
        k = 1 + rng() % 3;
        break;
    }
    auto want = oracle.FuzzyTopK(prefix, k, dist, exact);
    auto got = Fuzzy(d, prefix, k, dist, exact);
    ++checks;
    matched += !want.empty();
    if (got != want) {
      FAIL("op " << op << ": top " << k << " within " << dist << " of '" << prefix << "', exact "
                 << exact << ": " << got.size() << " results, want " << want.size());
    }
  }
  CHECK(d.CheckInvariants() == "");
  MESSAGE("fuzzy queries checked: " << checks << ", with results: " << matched);
}
