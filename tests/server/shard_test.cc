// Shard lifetime: what a ShardSet must get right when the loops stop with work still queued.
// (Run under AddressSanitizer by scripts/test, which turns a use after free into a failure.)
#include "server/shard.h"

#include <doctest/doctest.h>

#include <boost/asio/bind_executor.hpp>
#include <exception>

namespace asio = boost::asio;
using typeahead::server::Config;
using typeahead::server::ShardSet;

namespace {
// Counts its own destruction, so the test sees the queued frame really was destroyed.
struct Probe {
  int* destroyed;
  explicit Probe(int* d) : destroyed(d) {}
  Probe(Probe&& o) noexcept : destroyed(o.destroyed) { o.destroyed = nullptr; }
  ~Probe() {
    if (destroyed != nullptr) ++*destroyed;
  }
};
}  // namespace

TEST_CASE("ShardSet: work queued on one shard and tracked on another is destroyed safely") {
  int destroyed = 0;
  {
    ShardSet shards(2, Config{});
    // A coroutine queued on shard 1 whose completion handler belongs to shard 0: the queued
    // frame holds outstanding work on shard 0's context and releases it when destroyed, so
    // shard 0 must still exist when shard 1's queue is emptied. Neither loop ever runs.
    auto handler = [probe = Probe(&destroyed)](std::exception_ptr) {};
    asio::co_spawn(
        shards[1].io(), []() -> asio::awaitable<void> { co_return; },
        asio::bind_executor(shards[0].io().get_executor(), std::move(handler)));
  }
  CHECK(destroyed == 1);
}
