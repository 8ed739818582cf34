#include "server/mailbox.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <stdexcept>

namespace typeahead::server {

namespace asio = boost::asio;

namespace {
int MakeEventFd() {
  int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) throw std::runtime_error("eventfd failed");
  return fd;
}
}  // namespace

Mailbox::Mailbox(asio::io_context& io)
    : io_(io), head_(&stub_), tail_(&stub_), doorbell_(io, MakeEventFd()) {}

Mailbox::~Mailbox() = default;

void Mailbox::Start() {
  asio::post(io_, [this] { Drain(); });
}

void Mailbox::Append(MailboxTask* task) {
  task->next.store(nullptr, std::memory_order_relaxed);
  // seq_cst: ordered before Push's read of asleep_, as Sleep's write of asleep_ is before its
  // read of head_ (one of the two sides always sees the other).
  MailboxTask* prev = head_.exchange(task, std::memory_order_seq_cst);
  prev->next.store(task, std::memory_order_release);
}

void Mailbox::Push(MailboxTask* task) {
  Append(task);
  // The plain load first: while the owner is awake this stays a read of a shared line.
  if (asleep_.load(std::memory_order_seq_cst) &&
      asleep_.exchange(false, std::memory_order_seq_cst)) {
    uint64_t one = 1;
    // Cannot fail short of a closed fd: the counter would need 2^64 rings to overflow.
    [[maybe_unused]] ssize_t n = ::write(doorbell_.native_handle(), &one, sizeof(one));
  }
}

MailboxTask* Mailbox::Pop() {
  MailboxTask* tail = tail_;
  MailboxTask* next = tail->next.load(std::memory_order_acquire);
  if (tail == &stub_) {
    if (next == nullptr) return nullptr;
    tail_ = next;
    tail = next;
    next = next->next.load(std::memory_order_acquire);
  }
  if (next != nullptr) {
    tail_ = next;
    return tail;
  }
  // tail is the newest task unless a producer has swapped head_ but not yet linked to it.
  if (tail != head_.load(std::memory_order_acquire)) return nullptr;
  Append(&stub_);
  next = tail->next.load(std::memory_order_acquire);
  if (next == nullptr) return nullptr;  // another push slipped in before the stub
  tail_ = next;
  return tail;
}

bool Mailbox::Empty() const {
  return tail_ == &stub_ && stub_.next.load(std::memory_order_acquire) == nullptr &&
         head_.load(std::memory_order_seq_cst) == &stub_;
}

void Mailbox::Drain() {
  for (int i = 0; i < kBatch; ++i) {
    MailboxTask* task = Pop();
    if (task == nullptr) {
      if (Empty()) {
        Sleep();
      } else {
        asio::post(io_, [this] { Drain(); });  // a push is half done: back next turn
      }
      return;
    }
    task->complete(task, true);
  }
  asio::post(io_, [this] { Drain(); });  // let the loop's I/O have a turn
}

void Mailbox::Sleep() {
  asleep_.store(true, std::memory_order_seq_cst);
  if (!Empty() && asleep_.exchange(false, std::memory_order_seq_cst)) {
    // A task landed before any producer saw us asleep, and nobody rang: carry on.
    asio::post(io_, [this] { Drain(); });
    return;
  }
  // Asleep, or a producer cleared asleep_ and rang: then this read completes at once.
  doorbell_.async_read_some(asio::buffer(&doorbell_value_, sizeof(doorbell_value_)),
                            [this](const boost::system::error_code& ec, size_t) {
                              if (!ec) Drain();
                            });
}

size_t Mailbox::Discard() {
  size_t n = 0;
  while (MailboxTask* task = Pop()) {
    task->complete(task, false);
    ++n;
  }
  return n;
}

}  // namespace typeahead::server
