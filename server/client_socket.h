// ClientSocket is a client connection's TCP socket with a read that costs one system call per
// request where Asio's async_read_some costs two.
//
// Asio's async_read_some first tries the read at once (a "speculative" read) unless its epoll
// reactor has learned that the socket is empty, and it learns that only from end of file. A
// request/reply client has sent nothing new at the moment its reply leaves, so that first try
// is a recv failing with EAGAIN: one wasted system call per request, 1.1-1.4 µs on these VMs,
// about the whole CPU gap between ACTOPK and Redis's GET (Redis reads only what epoll reports).
// ReadSome tells the reactor that a short read emptied the socket. That is true of TCP: a
// receive that returns less than it was asked for took every byte queued at that moment, and
// Asio's edge-triggered registration reports every later arrival. So the next read waits for
// epoll instead of trying first, and a read that filled its buffer still tries at once.
//
// One thing a short read does not prove: that no end of file is queued. When the client's FIN
// arrived before the recv that took its last bytes (it sent and closed at once), that recv is
// short, the epoll edge that reported both is spent, and the wait that follows would last
// forever: the connection would stay in CLOSE-WAIT. EndQueued() is the check for that case,
// one peek, made by the shard's cron on a connection idle since such a read (Redis, reading
// what epoll reports level-triggered, closes at once; we close within the cron's second).
//
// Invariants: at most one ReadSome is pending. Its `done` runs on the socket's io_context
// thread exactly once: with the result (abandoned false), or with abandoned true when the
// io_context is destroyed with the read pending; then it only releases what it held for the
// read. The socket is not destroyed while a read is pending. Built on Asio's reactor internals
// (detail::reactor_op, epoll_reactor::start_op), checked against the Asio of Debian's Boost;
// the build stops on any other version rather than guess.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace typeahead::server {

class ClientSocket : public boost::asio::ip::tcp::socket {
 public:
  using ReadDone = void (*)(void* target, bool abandoned, boost::system::error_code ec,
                            size_t bytes);

  // Puts the socket in non-blocking mode; `done(target, ...)` completes every ReadSome.
  ClientSocket(boost::asio::ip::tcp::socket socket, ReadDone done, void* target);
  ~ClientSocket();
  ClientSocket(const ClientSocket&) = delete;
  ClientSocket& operator=(const ClientSocket&) = delete;

  // Reads what has arrived, up to `size` bytes, into `data` (which stays valid until done).
  void ReadSome(char* data, size_t size);
  // With a read pending: whether the client's end of file is queued unseen (see above). Peeks
  // only once after each short read that returned data; false at once otherwise.
  bool EndQueued();
  // Reads that found nothing and had to wait for epoll after all: with the reactor's view
  // kept right, only a read started before the client's next bytes arrived. For tests.
  uint64_t empty_reads() const;

 private:
  class ReadOp;
  std::unique_ptr<ReadOp> op_;  // one per socket, reused by every read
};

}  // namespace typeahead::server
