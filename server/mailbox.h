// Mailbox is how work crosses from one shard to another without a lock: any thread pushes a
// task, the owning shard's loop runs it. The queue is an intrusive multi-producer,
// single-consumer list (Vyukov's): a push is one atomic exchange and one store, a pop touches
// only the consumer's end. Tasks are not allocated here: callers embed them in whatever they
// already own (a connection's hop, an operation's state), so a hop costs no allocation.
//
// While the owner's loop is busy it polls the queue between turns, and producers write
// nothing but the queue. Only when it is about to sleep does it mark itself asleep; the first
// producer to see that rings an eventfd doorbell, which wakes the loop through its reactor.
//
// Invariants: only the owning thread pops (Drain runs on the owner's io_context); a task is
// in at most one mailbox at a time and its owner keeps it alive until it has run or been
// discarded.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <utility>

namespace typeahead::server {

// A unit of work in a Mailbox. complete(task, run): run it (true), or release what it owns
// without running it (false: the mailbox is being destroyed with the task still queued).
struct MailboxTask {
  std::atomic<MailboxTask*> next{nullptr};
  void (*complete)(MailboxTask* task, bool run) = nullptr;
};

class Mailbox {
 public:
  explicit Mailbox(boost::asio::io_context& io);
  ~Mailbox();
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // On the owning thread, once its loop runs: starts taking tasks.
  void Start();
  // From any thread. task->complete must be set.
  void Push(MailboxTask* task);
  // After the loop stopped: completes every queued task with run=false. Returns how many.
  size_t Discard();

 private:
  // How many tasks run before the loop gets a turn for I/O.
  static constexpr int kBatch = 128;

  // Runs up to kBatch tasks, then either yields a turn or goes to sleep on the doorbell.
  void Drain();
  void Sleep();
  // The oldest queued task, or nullptr when there is none or a push is half done.
  MailboxTask* Pop();
  // True when no task is queued or being pushed. Owner only.
  bool Empty() const;
  void Append(MailboxTask* task);

  boost::asio::io_context& io_;
  // Producers' end: the newest task. Alone on its cache line, away from the consumer's.
  alignas(64) std::atomic<MailboxTask*> head_;
  // Set by the owner just before it sleeps; whoever clears it rings the doorbell.
  alignas(64) std::atomic<bool> asleep_{false};
  // Consumer's end: the oldest task, or the stub.
  alignas(64) MailboxTask* tail_;
  MailboxTask stub_;
  boost::asio::posix::stream_descriptor doorbell_;
  uint64_t doorbell_value_ = 0;
};

// Runs f() on the mailbox's owner. Allocates the task, so it is for work off the
// per-request path; hops made for every request embed their tasks instead.
template <typename F>
void PostTo(Mailbox& to, F f) {
  struct Task : MailboxTask {
    explicit Task(F&& g) : f(std::move(g)) {}
    F f;
  };
  auto* task = new Task(std::move(f));
  task->complete = [](MailboxTask* base, bool run) {
    auto* self = static_cast<Task*>(base);
    if (run) self->f();
    delete self;
  };
  to.Push(task);
}

}  // namespace typeahead::server
