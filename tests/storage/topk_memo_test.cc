#include "storage/topk_memo.h"

#include <doctest/doctest.h>

#include <string>

using typeahead::storage::TopKMemo;

namespace {
constexpr size_t kBig = 1u << 20;  // terms: a table of SlotsFor(kBig) slots
}

TEST_CASE("TopKMemo: finds what it kept for the same node and k only") {
  TopKMemo m;
  CHECK(m.Find(7, 10).empty());
  CHECK(m.Keep(7, 10, "*1\r\n$3\r\nabc\r\n", kBig));
  CHECK(m.Find(7, 10) == "*1\r\n$3\r\nabc\r\n");
  CHECK(m.Find(7, 9).empty());
  CHECK(m.Find(8, 10).empty());
  CHECK(m.hits() == 1);
  // One entry per node: another k replaces it.
  CHECK(m.Keep(7, 5, "five", kBig));
  CHECK(m.Find(7, 10).empty());
  CHECK(m.Find(7, 5) == "five");
  m.Drop(7);
  CHECK(m.Find(7, 5).empty());
}

TEST_CASE("TopKMemo: refuses what it cannot hold and small tries") {
  TopKMemo m;
  CHECK_FALSE(m.Keep(1, 10, std::string(TopKMemo::kMaxBytes + 1, 'x'), kBig));
  CHECK(m.Keep(1, 10, std::string(TopKMemo::kMaxBytes, 'x'), kBig));
  CHECK(m.Find(1, 10).size() == TopKMemo::kMaxBytes);
  CHECK_FALSE(m.Keep(2, 10, "", kBig));
  TopKMemo small;
  CHECK(TopKMemo::SlotsFor(100) == 0);
  CHECK_FALSE(small.Keep(1, 10, "abc", 100));
  CHECK(small.MemoryUsage() == 0);
}

TEST_CASE("TopKMemo: the table follows the trie's size and colliding nodes replace each other") {
  CHECK(TopKMemo::SlotsFor(2048) == 16);
  CHECK(TopKMemo::SlotsFor(10'000'000) == 65536);
  TopKMemo m;
  CHECK(m.Keep(1, 10, "one", 2048));
  CHECK(m.slots() == 16);
  // More nodes than slots: every node still finds its own bytes or nothing, never another's.
  for (uint32_t n = 0; n < 100; ++n) m.Keep(n, 10, "node" + std::to_string(n), 2048);
  size_t found = 0;
  for (uint32_t n = 0; n < 100; ++n) {
    std::string_view got = m.Find(n, 10);
    if (got.empty()) continue;
    ++found;
    CHECK(got == "node" + std::to_string(n));
  }
  CHECK(found > 0);
  CHECK(found <= 16);
  // Growing drops what was kept.
  CHECK(m.Keep(200, 10, "grown", 1u << 16));
  CHECK(m.slots() == 512);
  CHECK(m.Find(99, 10).empty());
  CHECK(m.Find(200, 10) == "grown");
}

TEST_CASE("TopKMemo: loci are found by the whole prefix, and short prefixes only") {
  TopKMemo m;
  CHECK(m.FindLocus("app") == nullptr);
  m.KeepLocus("app", 42, 5, 3, kBig);
  const TopKMemo::Locus* e = m.FindLocus("app");
  REQUIRE(e != nullptr);
  CHECK(e->node == 42);
  CHECK(e->path_len == 5);
  CHECK(e->frees == 3);
  CHECK(m.FindLocus("ap") == nullptr);
  CHECK(m.FindLocus("appl") == nullptr);
  std::string long_prefix(TopKMemo::kMaxPrefix + 1, 'a');
  m.KeepLocus(long_prefix, 7, long_prefix.size(), 0, kBig);
  CHECK(m.FindLocus(long_prefix) == nullptr);
  TopKMemo small;
  small.KeepLocus("app", 42, 5, 3, 100);
  CHECK(small.FindLocus("app") == nullptr);
}
