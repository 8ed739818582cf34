// Shards and their mailboxes: lock-free hand-off between threads, hops that come back to the
// caller's shard, and what a ShardSet must get right when the loops stop with work queued.
// (Run under AddressSanitizer by scripts/test, which turns a use after free into a failure.)
#include "server/shard.h"

#include <doctest/doctest.h>

#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

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

namespace {
using typeahead::server::Mailbox;
using typeahead::server::MailboxTask;

// A task that records its producer's sequence number when it runs.
struct Numbered : MailboxTask {
  int producer = 0, seq = 0;
  std::vector<std::pair<int, int>>* ran = nullptr;
  int* discarded = nullptr;
};

void CompleteNumbered(MailboxTask* task, bool run) {
  auto* n = static_cast<Numbered*>(task);
  if (run) {
    n->ran->emplace_back(n->producer, n->seq);
  } else {
    ++*n->discarded;
  }
}
}  // namespace

TEST_CASE("Mailbox: tasks from many threads run once each, in each producer's order") {
  constexpr int kProducers = 4, kEach = 20000;
  asio::io_context io(1);
  auto work = asio::make_work_guard(io);
  Mailbox box(io);
  std::vector<std::pair<int, int>> ran;
  int discarded = 0;
  std::vector<std::unique_ptr<Numbered[]>> tasks;
  for (int p = 0; p < kProducers; ++p) tasks.push_back(std::make_unique<Numbered[]>(kEach));
  std::thread consumer([&] {
    box.Start();
    io.run();
  });
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kEach; ++i) {
        Numbered& t = tasks[p][i];
        t.producer = p;
        t.seq = i;
        t.ran = &ran;
        t.discarded = &discarded;
        t.complete = &CompleteNumbered;
        box.Push(&t);
        // Now and then let the consumer drain and fall asleep, so pushes also ring.
        if (i % 5000 == 4999) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
  }
  for (auto& t : producers) t.join();
  // The last task of all: once it ran, everything before it from this thread has too.
  std::atomic<bool> done{false};
  struct Flag : MailboxTask {
    std::atomic<bool>* done;
  } flag;
  flag.done = &done;
  flag.complete = [](MailboxTask* t, bool) { static_cast<Flag*>(t)->done->store(true); };
  box.Push(&flag);
  for (int i = 0; i < 5000 && !done.load(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  work.reset();
  io.stop();
  consumer.join();
  REQUIRE(done.load());
  CHECK(ran.size() == size_t{kProducers} * kEach);
  std::vector<int> next(kProducers, 0);
  bool ordered = true;
  for (auto [p, seq] : ran) {
    if (seq != next[p]++) ordered = false;
  }
  CHECK(ordered);
  CHECK(discarded == 0);
  CHECK(box.Discard() == 0);
}

TEST_CASE("Mailbox: a box whose loop never ran discards what it holds") {
  asio::io_context io(1);
  Mailbox box(io);
  std::vector<std::pair<int, int>> ran;
  int discarded = 0;
  std::vector<Numbered> tasks(3);
  for (auto& t : tasks) {
    t.ran = &ran;
    t.discarded = &discarded;
    t.complete = &CompleteNumbered;
    box.Push(&t);
  }
  CHECK(box.Discard() == 3);
  CHECK(discarded == 3);
  CHECK(ran.empty());
}

TEST_CASE("ShardSet::Run hops between running shards and back, with and without a result") {
  ShardSet shards(2, Config{});
  shards.Start(false);
  std::atomic<int> result{0};
  std::atomic<bool> finished{false};
  auto body = [&]() -> asio::awaitable<void> {
    size_t seen_on = 99;
    int sum = 0;
    for (int i = 0; i < 1000; ++i) {
      sum += co_await shards.Run(1, [&](typeahead::server::Shard& s) {
        seen_on = s.id();
        return 1;
      });
      co_await shards.Run(1, [](typeahead::server::Shard&) {});
    }
    // Back on shard 0 after every hop: Current() is the caller's shard again.
    bool home = typeahead::server::Shard::Current() == &shards[0];
    result = home && seen_on == 1 ? sum : -1;
    finished = true;
  };
  asio::co_spawn(shards[0].io(), body, asio::detached);
  for (int i = 0; i < 10000 && !finished; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  shards.Stop();
  shards.Join();
  CHECK(result == 1000);
}
