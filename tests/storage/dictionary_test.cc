#include "storage/dictionary.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>

#include "storage/partition.h"
#include "storage/routing.h"

using typeahead::storage::Dictionary;
using typeahead::storage::OpStatus;
using typeahead::storage::Partition;
using typeahead::storage::Scored;

namespace {
std::vector<std::pair<std::string, int64_t>> Top(const Dictionary& d, std::string_view prefix,
                                                 size_t k) {
  std::vector<Scored> items;
  d.TopK(prefix, k, &items);
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& s : items) out.emplace_back(std::string(s.term), s.freq);
  return out;
}
}  // namespace

TEST_CASE("Dictionary: the contract's example") {
  Dictionary d;
  CHECK(*d.IncrBy("apple", 1) == 1);
  CHECK(*d.IncrBy("apple", 1) == 2);
  d.IncrBy("app", 1);
  d.IncrBy("application", 1);
  d.IncrBy("appetite", 1);
  using V = std::vector<std::pair<std::string, int64_t>>;
  CHECK(Top(d, "app", 2) == V{{"apple", 2}, {"app", 1}});
  CHECK(Top(d, "app", 3) == V{{"apple", 2}, {"app", 1}, {"appetite", 1}});
  CHECK(Top(d, "", 10).size() == 4);
  CHECK(Top(d, "b", 10).empty());
  CHECK(Top(d, "app", 0).empty());
}

TEST_CASE("Dictionary: frequencies at or below zero remove the term") {
  Dictionary d;
  CHECK(*d.IncrBy("x", -5) == 0);
  CHECK(d.empty());
  CHECK(*d.IncrBy("x", 3) == 3);
  CHECK(*d.IncrBy("x", -3) == 0);
  CHECK_FALSE(d.Score("x").has_value());
  CHECK(d.empty());
}

TEST_CASE("Dictionary: overflow is refused and changes nothing") {
  Dictionary d;
  d.IncrBy("x", INT64_MAX);
  auto r = d.IncrBy("x", 1);
  CHECK(r.status() == OpStatus::kOverflow);
  CHECK(*d.Score("x") == INT64_MAX);
  CHECK(*d.IncrBy("x", INT64_MIN) == 0);  // INT64_MAX + INT64_MIN = -1: removed
}

TEST_CASE("Dictionary: bytes order as unsigned") {
  Dictionary d;
  d.IncrBy("a\xff", 1);
  d.IncrBy("a\x01", 1);
  d.IncrBy("a", 1);
  auto top = Top(d, "a", 3);
  CHECK(top[0].first == "a");
  CHECK(top[1].first == "a\x01");
  CHECK(top[2].first == "a\xff");
}

TEST_CASE("Dictionary: matches a brute-force oracle under random operations") {
  std::mt19937_64 rng(7);
  Dictionary d;
  std::map<std::string, int64_t> oracle;
  auto term = [&] {
    std::string s;
    size_t len = 1 + rng() % 4;
    for (size_t i = 0; i < len; ++i) s.push_back(static_cast<char>('a' + rng() % 3));
    return s;
  };
  for (int op = 0; op < 20000; ++op) {
    std::string t = term();
    int64_t delta = static_cast<int64_t>(rng() % 7) - 2;
    if (rng() % 10 == 0) {
      CHECK(d.Erase(t) == (oracle.erase(t) == 1));
    } else {
      int64_t want = oracle.count(t) ? oracle[t] + delta : delta;
      if (want <= 0)
        oracle.erase(t);
      else
        oracle[t] = want;
      CHECK(*d.IncrBy(t, delta) == std::max<int64_t>(want, 0));
    }
    std::string prefix = term().substr(0, rng() % 3);
    size_t k = rng() % 12;
    std::vector<std::pair<std::string, int64_t>> want;
    for (const auto& [t2, f] : oracle) {
      if (t2.compare(0, prefix.size(), prefix) == 0) want.emplace_back(t2, f);
    }
    std::sort(want.begin(), want.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (want.size() > k) want.resize(k);
    REQUIRE(Top(d, prefix, k) == want);
  }
  CHECK(d.size() == oracle.size());
}

TEST_CASE("Partition: keys exist while they have terms; rename replaces the target") {
  Partition p;
  p.FindOrCreate("a").IncrBy("x", 1);
  p.FindOrCreate("b").IncrBy("y", 1);
  CHECK(p.Rename("a", "b"));
  CHECK(p.Find("a") == nullptr);
  CHECK(p.Find("b")->Score("x") == 1);
  CHECK_FALSE(p.Find("b")->Score("y").has_value());
  p.Find("b")->Erase("x");
  p.EraseIfEmpty("b");
  CHECK(p.keys().empty());
}

TEST_CASE("Routing: a non-empty prefix names the partition of all its terms") {
  for (size_t n : {1, 2, 3, 8}) {
    for (int c = 0; c < 256; ++c) {
      std::string term(1, static_cast<char>(c));
      CHECK(typeahead::storage::PartitionOfTerm(term + "xyz", n) ==
            static_cast<size_t>(typeahead::storage::PartitionOfPrefix(term, n)));
      CHECK(typeahead::storage::PartitionOfTerm(term, n) < n);
    }
    CHECK(typeahead::storage::PartitionOfPrefix("", n) == -1);
  }
}
