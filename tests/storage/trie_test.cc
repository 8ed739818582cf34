#include "storage/trie.h"

#include <doctest/doctest.h>

#include <random>

#include "storage/partition.h"
#include "storage/routing.h"
#include "tests/storage/oracle.h"

using typeahead::storage::OpStatus;
using typeahead::storage::Partition;
using typeahead::storage::ScoredTerm;
using typeahead::storage::Trie;
using typeahead::test::Oracle;
using V = std::vector<ScoredTerm>;

namespace {
// VisitTopK spelled into strings, as a reply would be.
V Visited(const Trie& t, std::string_view prefix, size_t k) {
  V out;
  size_t announced = SIZE_MAX;
  bool in_bounds = true;
  t.VisitTopK(
      prefix, k, [&](size_t n) { announced = n; },
      [&](int64_t freq, size_t size, auto spell) {
        std::string term(size + 2, '#');
        spell(term.data() + 1);  // must write exactly size bytes where it is told
        in_bounds = in_bounds && term.front() == '#' && term.back() == '#';
        out.push_back({term.substr(1, size), freq});
      });
  if (!in_bounds || announced != out.size()) FAIL("VisitTopK wrote out of bounds or miscounted");
  return out;
}
// TopK, checked against VisitTopK on every call: both must give the same answer.
V Top(const Trie& t, std::string_view prefix, size_t k) {
  V out;
  t.TopK(prefix, k, &out);
  if (Visited(t, prefix, k) != out) FAIL("VisitTopK differs from TopK for '" << prefix << "'");
  return out;
}
constexpr size_t K = Trie::kCacheSize;

// A top-k's terms as a reply without scores renders them ("[a,b,"), through the trie's kept
// renderings: the kept bytes when they stand, else rendered by VisitTopK and kept.
std::string Rendered(const Trie& t, std::string_view prefix, size_t k) {
  Trie::RenderSpot spot;
  std::string_view kept = t.FindRendered(prefix, k, &spot);
  if (!kept.empty()) return std::string(kept);
  std::string out = "[";
  t.VisitTopK(
      prefix, k, [](size_t) {},
      [&](int64_t, size_t size, auto spell) {
        size_t at = out.size();
        out.resize(at + size);
        spell(out.data() + at);
        out += ',';
      });
  t.KeepRendered(spot, out);
  return out;
}
std::string Joined(const V& v) {
  std::string out = "[";
  for (const auto& s : v) out += s.term + ",";
  return out;
}
// Terms under 'z' enough for the trie to keep renderings at all (TopKMemo::SlotsFor).
void Pad(Trie& t) {
  for (int i = 0; i < 2000; ++i) t.IncrBy("z" + std::to_string(i), 1);
}
}  // namespace

TEST_CASE("Trie: the contract's example") {
  Trie d;
  CHECK(*d.IncrBy("apple", 1) == 1);
  CHECK(*d.IncrBy("apple", 1) == 2);
  d.IncrBy("app", 1);
  d.IncrBy("application", 1);
  d.IncrBy("appetite", 1);
  CHECK(Top(d, "app", 2) == V{{"apple", 2}, {"app", 1}});
  CHECK(Top(d, "app", 3) == V{{"apple", 2}, {"app", 1}, {"appetite", 1}});
  CHECK(Top(d, "", 10).size() == 4);
  CHECK(Top(d, "ap", 10).size() == 4);
  CHECK(Top(d, "appl", 10) == V{{"apple", 2}, {"application", 1}});
  CHECK(Top(d, "b", 10).empty());
  CHECK(Top(d, "applez", 10).empty());
  CHECK(Top(d, "app", 0).empty());
  CHECK(d.CheckInvariants() == "");
}

TEST_CASE("Trie: node layout splits edges and merges them back") {
  Trie d;
  d.IncrBy("romane", 1);
  CHECK(d.node_count() == 2);  // root + one leaf holding the whole term
  d.IncrBy("romanus", 1);
  CHECK(d.node_count() == 4);  // "roman" splits off, two leaves below it
  d.IncrBy("roman", 1);
  CHECK(d.node_count() == 4);  // the split node becomes a term
  d.IncrBy("rubens", 1);
  CHECK(d.node_count() == 6);  // "r" above "oman" and "ubens"
  CHECK(d.CheckInvariants() == "");
  CHECK(d.Erase("roman"));
  CHECK(d.node_count() == 6);  // still a branch
  CHECK(d.Erase("romanus"));
  CHECK(d.node_count() == 4);  // "oman" + "e" merged into "omane"
  CHECK(d.Erase("rubens"));
  CHECK(d.node_count() == 2);  // back to one leaf
  CHECK(*d.Score("romane") == 1);
  CHECK(d.CheckInvariants() == "");
  CHECK(d.Erase("romane"));
  CHECK(d.node_count() == 1);
  CHECK(d.empty());
}

TEST_CASE("Trie: frequencies at or below zero remove the term") {
  Trie d;
  CHECK(*d.IncrBy("x", -5) == 0);
  CHECK(d.empty());
  CHECK(*d.IncrBy("x", 3) == 3);
  CHECK(*d.IncrBy("x", 0) == 3);
  CHECK(*d.IncrBy("x", -3) == 0);
  CHECK_FALSE(d.Score("x").has_value());
  CHECK(d.empty());
}

TEST_CASE("Trie: payloads belong to present terms, are counted, and go with them") {
  Trie d;
  size_t bare = d.MemoryUsage();
  CHECK_FALSE(d.SetPayload("x", "p"));  // no such term
  CHECK(d.payload_count() == 0);
  d.IncrBy("x", 2);
  d.IncrBy("xy", 1);
  CHECK(d.SetPayload("x", std::string(100, 'p')));
  CHECK(d.SetPayload("xy", std::string_view("\0q", 2)));
  CHECK(d.Payload("x") == std::string(100, 'p'));
  CHECK(d.Payload("xy") == std::string_view("\0q", 2));
  CHECK(d.Payload("nope").empty());
  CHECK(d.MemoryUsage() >= bare + 100);
  CHECK(d.CheckInvariants().empty());
  CHECK(d.SetPayload("x", "short"));  // replaced, and the bytes recounted
  CHECK(d.Payload("x") == "short");
  CHECK(d.CheckInvariants().empty());
  // Queries leave payloads out: the caller asks for them.
  CHECK(Top(d, "x", 2) == V{{"x", 2}, {"xy", 1}});
  CHECK(d.SetPayload("xy", ""));  // empty: none
  CHECK(d.payload_count() == 1);
  d.IncrBy("x", -2);
  CHECK(d.payload_count() == 0);
  CHECK(d.CheckInvariants().empty());
  d.IncrBy("x", 1);
  CHECK(d.Payload("x").empty());  // a term added again starts without one
  Trie copy = d;
  CHECK(copy.SetPayload("xy", "c"));
  CHECK(d.Payload("xy").empty());
}

TEST_CASE("Trie: overflow is refused and changes nothing") {
  Trie d;
  d.IncrBy("x", INT64_MAX);
  CHECK(d.IncrBy("x", 1).status() == OpStatus::kOverflow);
  CHECK(*d.Score("x") == INT64_MAX);
  CHECK(Top(d, "", 1) == V{{"x", INT64_MAX}});
  CHECK(*d.IncrBy("x", INT64_MIN) == 0);  // INT64_MAX + INT64_MIN = -1: removed
  d.IncrBy("y", 1);
  CHECK(d.IncrBy("y", INT64_MIN).ok());
  CHECK(d.empty());
}

TEST_CASE("Trie: bytes order as unsigned, NUL included") {
  Trie d;
  d.IncrBy("a\xff", 1);
  d.IncrBy("a\x01", 1);
  d.IncrBy(std::string_view("a\0", 2), 1);
  d.IncrBy("a", 1);
  auto top = Top(d, "a", 4);
  REQUIRE(top.size() == 4);
  CHECK(top[0].term == "a");
  CHECK(top[1].term == std::string("a\0", 2));
  CHECK(top[2].term == "a\x01");
  CHECK(top[3].term == "a\xff");
}

TEST_CASE("Trie: caches appear above kCacheSize terms and are repaired on decrements") {
  Trie d;
  // K+1 terms under "p": the node gets a cache.
  for (size_t i = 0; i <= K; ++i) d.IncrBy("p" + std::to_string(100 + i), 100 + i);
  CHECK(d.CheckInvariants() == "");
  // The best term falls to the bottom: the cache must learn of the K+1-th term it never held.
  d.IncrBy("p" + std::to_string(100 + K), -(100 + static_cast<int64_t>(K)) + 1);
  CHECK(d.CheckInvariants() == "");
  CHECK(Top(d, "p", K).back().term == "p100");
  CHECK(Top(d, "p", K + 1).back().term == "p" + std::to_string(100 + K));
  // Deleting a cached term pulls the next one in.
  d.Erase("p" + std::to_string(99 + K));
  CHECK(d.CheckInvariants() == "");
  // Dropping to K terms drops the cache.
  d.Erase("p" + std::to_string(98 + K));
  CHECK(d.CheckInvariants() == "");
}

TEST_CASE("Trie: ties break bytewise inside caches and across children") {
  Trie d;
  std::vector<std::string> terms;
  for (char a = 'a'; a <= 'e'; ++a) {
    for (char b = 'a'; b <= 'e'; ++b) terms.push_back(std::string("t") + a + b);
  }
  for (auto it = terms.rbegin(); it != terms.rend(); ++it) d.IncrBy(*it, 7);
  auto top = Top(d, "t", 5);
  CHECK(top == V{{"taa", 7}, {"tab", 7}, {"tac", 7}, {"tad", 7}, {"tae", 7}});
  d.IncrBy("tee", 1);
  CHECK(Top(d, "t", 2) == V{{"tee", 8}, {"taa", 7}});
  d.IncrBy("tee", -2);
  CHECK(Top(d, "te", 5).back() == ScoredTerm{"tee", 6});
  CHECK(d.CheckInvariants() == "");
}

TEST_CASE("Trie: a kept rendering stands until a write below its node may reorder it") {
  Trie d;
  Pad(d);
  d.IncrBy("abc", 5);
  CHECK(Rendered(d, "ab", 10) == "[abc,");
  uint64_t hits = d.rendered_hits();
  CHECK(Rendered(d, "ab", 10) == "[abc,");
  CHECK(d.rendered_hits() == hits + 1);
  // The prefix ended inside the leaf's label; the split gives it a new node.
  d.IncrBy("abx", 1);
  CHECK(Rendered(d, "ab", 10) == "[abc,abx,");
  CHECK(Rendered(d, "abc", 10) == "[abc,");
  d.IncrBy("abx", 10);
  CHECK(Rendered(d, "ab", 10) == "[abx,abc,");
  // A leaf with a kept rendering becomes a branch.
  d.IncrBy("abcd", 1);
  CHECK(Rendered(d, "abc", 10) == "[abc,abcd,");
  // A cached node (more than K terms): a rise that keeps the order keeps the rendering; one
  // that passes another term does not.
  for (size_t i = 0; i <= K + 4; ++i) d.IncrBy(std::string("q") + char('a' + i), 100 - i);
  CHECK(Rendered(d, "q", 3) == "[qa,qb,qc,");
  hits = d.rendered_hits();
  d.IncrBy("qa", 1);
  d.IncrBy("qt", 1);  // below the cached list
  CHECK(Rendered(d, "q", 3) == "[qa,qb,qc,");
  CHECK(d.rendered_hits() == hits + 1);
  d.IncrBy("qc", 2);  // 100, past qb's 99
  CHECK(Rendered(d, "q", 3) == "[qa,qc,qb,");
  d.IncrBy("qc", -2);
  CHECK(Rendered(d, "q", 3) == "[qa,qb,qc,");
  d.IncrBy("qb", -50);  // falls out of the list: Repair brings qd in
  CHECK(Rendered(d, "q", 3) == "[qa,qc,qd,");
  // Removals free ids that later terms reuse: nothing kept above them may survive.
  CHECK(Rendered(d, "ab", 10) == "[abx,abc,abcd,");
  d.Erase("abx");  // "ab" and "abc" merge back into one node
  CHECK(Rendered(d, "ab", 10) == "[abc,abcd,");
  d.Erase("abcd");
  d.Erase("abc");
  CHECK(Rendered(d, "ab", 10) == "[");
  d.IncrBy("abe", 3);
  d.IncrBy("abf", 4);
  CHECK(Rendered(d, "ab", 10) == "[abf,abe,");
  CHECK(Rendered(d, "abe", 10) == "[abe,");
  CHECK(d.CheckInvariants() == "");
}

TEST_CASE("Trie: ForEach walks every term in bytewise order") {
  Trie d;
  for (const char* t : {"b", "abc", "ab", "a", "bcd", "c"}) d.IncrBy(t, 2);
  std::vector<std::string> seen;
  d.ForEach([&](std::string_view t, int64_t f) {
    CHECK(f == 2);
    seen.emplace_back(t);
  });
  CHECK(seen == std::vector<std::string>{"a", "ab", "abc", "b", "bcd", "c"});
}

TEST_CASE("Trie: 200k random operations match a brute-force oracle") {
  std::mt19937_64 rng(20261128);
  Trie d;
  Oracle oracle;
  // A small alphabet and short terms make deep sharing, splits, merges and many ties.
  auto random_term = [&](size_t max_len) { return typeahead::test::RandomTerm(rng, max_len); };
  const size_t kMaxTopK = 1000;
  for (int op = 0; op < 200000; ++op) {
    std::string t = random_term(6);
    CHECK(typeahead::test::RandomWrite(rng, d, oracle, t));
    // Prefixes: empty, matching, non-matching; k from 0 to past the cache and past max-topk.
    std::string prefix;
    switch (rng() % 4) {
      case 0:
        prefix = "";
        break;
      case 1:
        prefix = t.substr(0, rng() % (t.size() + 1));
        break;
      case 2:
        prefix = random_term(4);
        break;
      default:
        prefix = random_term(2) + "z";
        break;
    }
    size_t k;
    switch (rng() % 4) {
      case 0:
        k = rng() % (K + 1);
        break;
      case 1:
        k = K + 1 + rng() % 40;
        break;
      case 2:
        k = kMaxTopK + 1;
        break;
      default:
        k = rng() % 3;
        break;
    }
    auto got = Top(d, prefix, std::min(k, kMaxTopK));
    auto want = oracle.TopK(prefix, std::min(k, kMaxTopK));
    if (got != want) {
      FAIL("op " << op << ": top " << k << " for '" << prefix << "' differs");
    }
    // Kept renderings: the same k as above, and a fixed k asked again and again, as an
    // application does, so most of these are answered from what was kept before.
    if (Rendered(d, prefix, std::min(k, kMaxTopK)) != Joined(want)) {
      FAIL("op " << op << ": kept rendering of top " << k << " for '" << prefix << "' differs");
    }
    if (Rendered(d, prefix, 10) != Joined(oracle.TopK(prefix, 10))) {
      FAIL("op " << op << ": kept rendering of top 10 for '" << prefix << "' differs");
    }
    if (op % 20000 == 0) REQUIRE(d.CheckInvariants() == "");
  }
  CHECK(d.size() == oracle.size());
  CHECK(d.CheckInvariants() == "");
  CHECK(d.rendered_hits() > 10000);
  MESSAGE("terms at the end: " << d.size() << ", nodes: " << d.node_count()
                               << ", answers from kept renderings: " << d.rendered_hits());
}

TEST_CASE("Partition: keys exist while they have terms; rename replaces the target") {
  Partition p;
  p.IncrBy("a", "x", 1);
  p.IncrBy("b", "y", 1);
  CHECK(p.IncrBy("c", "z", -1).value() == 0);
  CHECK(p.Find("c") == nullptr);
  CHECK(p.Rename("a", "b"));
  CHECK(p.Find("a") == nullptr);
  CHECK(p.Find("b")->Score("x") == 1);
  CHECK_FALSE(p.Find("b")->Score("y").has_value());
  CHECK(p.EraseTerm("b", "x"));
  CHECK(p.keys().empty());
  p.IncrBy("d", "w", 2);
  CHECK(p.IncrBy("d", "w", -2).value() == 0);
  CHECK(p.keys().empty());
}

TEST_CASE("Routing: a prefix that names a partition names the one of all its terms") {
  using typeahead::storage::PartitionOfPrefix;
  using typeahead::storage::PartitionOfTerm;
  for (size_t n : {1, 2, 3, 4, 5, 8, 16}) {
    CAPTURE(n);
    for (int c = 0; c < 256; ++c) {
      for (int d : {0, int{'a'}, 255}) {
        std::string two{static_cast<char>(c), static_cast<char>(d)};
        for (const std::string& prefix : {two.substr(0, 1), two}) {
          ptrdiff_t p = PartitionOfPrefix(prefix, n);
          if (p < 0) continue;  // fans out: nothing to check
          CHECK(PartitionOfTerm(prefix, n) == static_cast<size_t>(p));
          CHECK(PartitionOfTerm(prefix + "xyz", n) == static_cast<size_t>(p));
          CHECK(static_cast<size_t>(p) < n);
        }
      }
    }
    CHECK(PartitionOfPrefix("", n) == -1);
    // One byte names a partition up to 4 partitions; beyond, it takes two.
    CHECK((PartitionOfPrefix("s", n) >= 0) == (n <= 4));
    CHECK(PartitionOfPrefix("st", n) >= 0);
  }
}

TEST_CASE("Trie: frequencies beyond 32 bits survive a leaf becoming a branch and back") {
  Trie d;
  int64_t big = (int64_t{1} << 40) + 5;
  d.IncrBy("x", big);
  d.IncrBy("y", 3);
  CHECK(*d.Score("x") == big);
  d.IncrBy("xy", 1);  // x gains a child: its frequency moves into the branch
  CHECK(*d.Score("x") == big);
  CHECK(*d.IncrBy("x", -big + 7) == 7);  // back within 32 bits
  CHECK(*d.IncrBy("x", big) == big + 7);
  CHECK(d.Erase("xy"));  // x is a leaf again
  CHECK(*d.Score("x") == big + 7);
  CHECK(Top(d, "", 2) == V{{"x", big + 7}, {"y", 3}});
  CHECK(*d.IncrBy("y", INT64_MAX - 3) == INT64_MAX);
  CHECK(d.CheckInvariants() == "");
}

TEST_CASE("Trie: a cache's floor holds around the 32-bit cap on frequencies") {
  // Promote turns a rising term away on the cache's floor, a 32-bit copy of the last listed
  // term's frequency; these frequencies straddle where it is capped.
  std::mt19937_64 rng(20261207);
  Trie d;
  Oracle oracle;
  const int64_t cap = UINT32_MAX;
  for (int i = 0; i < 40; ++i) {
    std::string t = "b" + std::to_string(i);
    int64_t f = cap - 25 + i;  // the 16th best starts just below the cap
    d.IncrBy(t, f);
    oracle.IncrBy(t, f);
  }
  for (int op = 0; op < 3000; ++op) {
    std::string t = "b" + std::to_string(rng() % 48);
    int64_t delta = static_cast<int64_t>(rng() % 7) - 3;  // no drift away from the cap
    if (oracle.Score(t) + delta <= 0) delta = 1;
    REQUIRE(*d.IncrBy(t, delta) == oracle.IncrBy(t, delta));
    if (Top(d, "b", Trie::kCacheSize) != oracle.TopK("b", Trie::kCacheSize)) {
      FAIL("op " << op << ": top " << Trie::kCacheSize << " differs");
    }
    REQUIRE(d.CheckInvariants() == "");
  }
}

TEST_CASE("Trie: warming paths changes nothing, whatever the terms") {
  Trie d;
  std::vector<std::string_view> none = {"", "a", "abc"};
  d.WarmPaths(none);  // an empty trie
  std::mt19937_64 rng(7);
  Oracle oracle;
  for (int i = 0; i < 3000; ++i) {
    std::string t = typeahead::test::RandomTerm(rng, 8);
    d.IncrBy(t, 1 + static_cast<int64_t>(rng() % 5));
    oracle.IncrBy(t, *d.Score(t) - oracle.Score(t));
  }
  // Present terms, their prefixes, absent terms, the empty string, a term far past any path,
  // and more terms than one warming walks.
  std::vector<std::string> terms = {"", std::string(300, 'a')};
  for (int i = 0; i < 2 * static_cast<int>(Trie::kWarmWalks); ++i) {
    std::string t = typeahead::test::RandomTerm(rng, 8);
    terms.push_back(t);
    terms.push_back(t.substr(0, t.size() / 2));
  }
  std::vector<std::string_view> views(terms.begin(), terms.end());
  d.WarmPaths(views);
  d.WarmPaths(std::span(views).first(1));
  CHECK(d.CheckInvariants() == "");
  for (const std::string& t : terms) {
    CHECK(Top(d, t, 20) == oracle.TopK(t, 20));
    CHECK(d.Score(t).value_or(0) == oracle.Score(t));
  }
}
