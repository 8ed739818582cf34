// BlendTopK against the contract's example and against a brute-force oracle that scores every
// term of the union.
#include "storage/blend.h"

#include <doctest/doctest.h>

#include <map>
#include <random>

#include "tests/storage/oracle.h"

using typeahead::storage::BlendQuery;
using typeahead::storage::BlendRanksBefore;
using typeahead::storage::BlendSource;
using typeahead::storage::BlendTopK;
using typeahead::storage::ScoredTerm;
using typeahead::storage::Trie;
using typeahead::test::Oracle;
using V = std::vector<ScoredTerm>;

namespace {

struct Blended {
  std::string term;
  double score;
  int distance;
  bool operator==(const Blended&) const = default;
};
using B = std::vector<Blended>;

B Blend(std::span<const BlendSource> sources, const BlendQuery& q) {
  V items;
  BlendTopK(sources, q, &items);
  B out;
  for (const auto& s : items) out.push_back({s.term, s.score, s.distance});
  return out;
}

// Every term under the prefix (within the distance) of any dictionary, scored in the sources'
// order as the contract says, sorted.
B OracleBlend(const std::vector<const Oracle*>& dicts, const std::vector<double>& weights,
              const BlendQuery& q) {
  std::map<std::string, int> union_terms;  // term -> distance
  for (const Oracle* o : dicts) {
    V all = q.fuzzy ? o->FuzzyTopK(std::string(q.prefix), SIZE_MAX, q.max_distance, q.exact_bytes)
                    : o->TopK(std::string(q.prefix), SIZE_MAX);
    for (const auto& s : all) union_terms[s.term] = s.distance;
  }
  V all;
  for (const auto& [term, distance] : union_terms) {
    ScoredTerm s{term, 0, static_cast<uint8_t>(distance)};
    for (size_t i = 0; i < dicts.size(); ++i) {
      s.score += weights[i] * static_cast<double>(dicts[i]->Score(term));
    }
    all.push_back(s);
  }
  std::sort(all.begin(), all.end(), BlendRanksBefore);
  if (all.size() > q.k) all.resize(q.k);
  B out;
  for (const auto& s : all) out.push_back({s.term, s.score, s.distance});
  return out;
}

}  // namespace

namespace doctest {
template <>
struct StringMaker<B> {
  static String convert(const B& v) {
    std::string out = "[";
    for (const auto& s : v) {
      out += s.term + ":" + std::to_string(s.score) + "/" + std::to_string(s.distance) + " ";
    }
    return String(out.c_str()) + "]";
  }
};
}  // namespace doctest

TEST_CASE("BlendTopK: weighted sums, absent terms counting 0, ties by term") {
  Trie global, user;
  global.IncrBy("apple", 100);
  global.IncrBy("app", 50);
  global.IncrBy("application", 40);
  global.IncrBy("appetite", 10);
  global.IncrBy("banana", 500);
  user.IncrBy("appetite", 20);
  user.IncrBy("apply", 3);
  user.IncrBy("apps", 8);
  BlendSource sources[] = {{&global, 1}, {&user, 5}};
  BlendQuery q{.prefix = "app", .k = 4};
  CHECK(Blend(sources, q) ==
        B{{"appetite", 110, 0}, {"apple", 100, 0}, {"app", 50, 0}, {"application", 40, 0}});
  q.k = 10;
  CHECK(Blend(sources, q).back() == Blended{"apply", 15, 0});
  // apps (8 x 5) ties application (40): term order.
  CHECK(Blend(sources, q)[3] == Blended{"application", 40, 0});
  CHECK(Blend(sources, q)[4] == Blended{"apps", 40, 0});
  // The first dictionary's frequency rides along.
  V items;
  BlendTopK(sources, q, &items);
  CHECK(items.front().freq == 10);
  CHECK(items[4].freq == 0);

  // A weight of 0 keeps a dictionary's terms candidates, at score 0: after the others.
  BlendSource zero[] = {{&global, 1}, {&user, 0}};
  B got = Blend(zero, q);
  REQUIRE(got.size() == 6);
  CHECK(got[3] == Blended{"appetite", 10, 0});
  CHECK(got[4] == Blended{"apply", 0, 0});
  CHECK(got[5] == Blended{"apps", 0, 0});
  // An absent first key: the others alone.
  BlendSource absent[] = {{nullptr, 1}, {&user, 0.5}};
  CHECK(Blend(absent, q) == B{{"appetite", 10, 0}, {"apps", 4, 0}, {"apply", 1.5, 0}});
  // No match, k = 0, the empty prefix (every term).
  CHECK(Blend(sources, BlendQuery{.prefix = "zz", .k = 3}).empty());
  CHECK(Blend(sources, BlendQuery{.prefix = "app", .k = 0}).empty());
  CHECK(Blend(sources, BlendQuery{.prefix = "", .k = 1}) == B{{"banana", 500, 0}});
  // Fuzzy: nothing starts with "apl", and every app* term is one edit from it ("ap" is).
  BlendQuery fq{.prefix = "apl", .k = 3, .fuzzy = true, .max_distance = 1};
  CHECK(Blend(sources, fq) == B{{"appetite", 110, 1}, {"apple", 100, 1}, {"app", 50, 1}});
  global.IncrBy("aplomb", 1);
  CHECK(Blend(sources, fq).front() == Blended{"aplomb", 1, 0});
}

TEST_CASE("BlendTopK: a long tail of equal frequencies is not read to its end") {
  // 20k terms once each under "t" and a user dictionary: the answer needs the tail's ties
  // broken by term, which the threshold's second rule allows after a handful of terms.
  Trie global, user;
  for (int i = 0; i < 20000; ++i) global.IncrBy("t" + std::to_string(100000 + i), 1);
  global.IncrBy("top", 9);
  user.IncrBy("t100005", 2);
  BlendSource sources[] = {{&global, 1}, {&user, 2}};
  CHECK(Blend(sources, BlendQuery{.prefix = "t", .k = 3}) ==
        B{{"top", 9, 0}, {"t100005", 5, 0}, {"t100000", 1, 0}});
}

TEST_CASE("BlendTopK: random dictionaries, weights and queries match a brute-force oracle") {
  std::mt19937_64 rng(24);
  const double weight_choices[] = {0, 0.5, 1, 2.5, 5, 1.0 / 3, 0.1};
  size_t queries = 0;
  for (int round = 0; round < 24; ++round) {
    size_t n = 2 + rng() % 3;  // 2 to 4 dictionaries
    std::vector<Trie> tries(n);
    std::vector<Oracle> oracles(n);
    for (int op = 0; op < 1500; ++op) {
      size_t i = rng() % n;
      std::string t = typeahead::test::RandomTerm(rng, 6);
      // Skewed dictionaries: the first big, the others small, some terms in several.
      if (i != 0 && rng() % 3 != 0) i = 0;
      REQUIRE(typeahead::test::RandomWrite(rng, tries[i], oracles[i], t));
    }
    for (int qi = 0; qi < 150; ++qi) {
      std::vector<BlendSource> sources;
      std::vector<const Oracle*> dicts;
      std::vector<double> weights;
      for (size_t i = 0; i < n; ++i) {
        double w = i == 0 ? 1 : weight_choices[rng() % std::size(weight_choices)];
        bool absent = rng() % 10 == 0;
        sources.push_back({absent ? nullptr : &tries[i], w});
        static const Oracle kEmpty;
        dicts.push_back(absent ? &kEmpty : &oracles[i]);
        weights.push_back(w);
      }
      std::string prefix = typeahead::test::RandomTerm(rng, 3).substr(0, rng() % 4);
      BlendQuery q{.prefix = prefix, .k = rng() % 40};
      if (rng() % 4 == 0) {
        q.fuzzy = true;
        q.max_distance = static_cast<int>(rng() % 3);
        q.exact_bytes = rng() % 3;
      }
      INFO("round ", round, " query ", qi, " prefix '", prefix, "' k ", q.k, " fuzzy ", q.fuzzy,
           " d ", q.max_distance);
      REQUIRE(Blend(sources, q) == OracleBlend(dicts, weights, q));
      ++queries;
    }
  }
  CHECK(queries == 24 * 150);
}
