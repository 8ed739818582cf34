// The heap count behind used_memory and maxmemory: every block from operator new is in it
// while it lives, whichever thread allocates and whichever frees it.
#include "server/memory_usage.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

using typeahead::server::HeapBytes;

namespace {
constexpr int64_t kBlock = 64 << 20;
constexpr int64_t kSlack = 1 << 20;  // what else the process allocates meanwhile
}  // namespace

TEST_CASE("HeapBytes counts a block while it lives and not after") {
  int64_t before = HeapBytes();
  auto block = std::make_unique<char[]>(kBlock);
  block[kBlock - 1] = 1;
  CHECK(HeapBytes() - before >= kBlock);
  CHECK(HeapBytes() - before < kBlock + kSlack);
  block.reset();
  CHECK(HeapBytes() - before < kSlack);
}

TEST_CASE("HeapBytes sums the threads: a block freed by another thread leaves the count") {
  int64_t before = HeapBytes();
  std::vector<std::unique_ptr<char[]>> blocks(4);
  std::vector<std::thread> threads;
  for (auto& b : blocks) threads.emplace_back([&b] { b = std::make_unique<char[]>(kBlock); });
  for (auto& t : threads) t.join();
  CHECK(HeapBytes() - before >= 4 * kBlock);
  std::thread([&blocks] { blocks.clear(); }).join();
  CHECK(HeapBytes() - before < kSlack);
}

TEST_CASE("Aligned and nothrow forms are counted and released") {
  struct alignas(256) Wide {
    char bytes[1 << 20];
  };
  int64_t before = HeapBytes();
  auto wide = std::make_unique<Wide[]>(16);
  CHECK(reinterpret_cast<uintptr_t>(wide.get()) % 256 == 0);
  char* quiet = new (std::nothrow) char[kBlock];
  REQUIRE(quiet != nullptr);
  CHECK(HeapBytes() - before >= 16 * (1 << 20) + kBlock);
  delete[] quiet;
  wide.reset();
  CHECK(HeapBytes() - before < kSlack);
}
