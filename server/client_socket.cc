#include "server/client_socket.h"

#include <sys/socket.h>

#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/detail/socket_ops.hpp>
#include <boost/asio/version.hpp>
#include <cassert>
#include <utility>

// The reactor calls below are Asio's internal interface as read in Asio 1.26 (Boost 1.81, what
// scripts/setup installs). Before accepting another version, read its epoll_reactor::start_op,
// descriptor_state::perform_io and reactor_op again (1.28 changed how start_op completes an
// operation at once) and run tests/server/client_socket_test.cc.
static_assert(BOOST_ASIO_VERSION == 102600, "ClientSocket relies on the internals of Asio 1.26");
static_assert(std::is_same_v<boost::asio::detail::reactor, boost::asio::detail::epoll_reactor>,
              "ClientSocket relies on the epoll reactor");

namespace typeahead::server {
namespace asio = boost::asio;

class ClientSocket::ReadOp : public asio::detail::reactor_op {
 public:
  ReadOp(asio::detail::reactor& reactor, ReadDone done, void* target)
      : reactor_op(boost::system::error_code(), &Perform, &Complete),
        reactor_(reactor),
        done_(done),
        target_(target) {}

  void Start(asio::detail::reactive_socket_service_base::base_implementation_type& impl, char* data,
             size_t size) {
    assert(!pending_);
    pending_ = true;
    fd_ = impl.socket_;
    data_ = data;
    size_ = size;
    ec_ = boost::system::error_code();
    bytes_transferred_ = 0;
    // allow_speculative: the reactor reads at once only while it has not seen the socket
    // emptied (the last read short, see Perform) or has seen new bytes arrive since.
    reactor_.start_op(asio::detail::reactor::read_op, impl.socket_, impl.reactor_data_, this,
                      /*is_continuation=*/false, /*allow_speculative=*/true);
  }

  bool pending() const { return pending_; }
  // Set by a short read that returned data; taken by the one check EndQueued makes after it.
  bool TakeShortRead() { return std::exchange(short_read_, false); }
  uint64_t empty_reads() const { return empty_reads_; }

 private:
  static status Perform(reactor_op* base) {
    auto* op = static_cast<ReadOp*>(base);
    if (!asio::detail::socket_ops::non_blocking_recv1(op->fd_, op->data_, op->size_, 0,
                                                      /*is_stream=*/true, op->ec_,
                                                      op->bytes_transferred_)) {
      ++op->empty_reads_;
      return not_done;
    }
    // done_and_exhausted makes the reactor wait for epoll before the next read (see the
    // header): right after an error, end of file, or a read that did not fill the buffer.
    if (op->ec_ || op->bytes_transferred_ < op->size_) {
      op->short_read_ = !op->ec_ && op->bytes_transferred_ > 0;
      return done_and_exhausted;
    }
    return done;
  }

  // owner is null when the io_context destroys the operation without running it.
  static void Complete(void* owner, asio::detail::scheduler_operation* base,
                       const boost::system::error_code&, size_t) {
    auto* op = static_cast<ReadOp*>(base);
    op->pending_ = false;
    boost::system::error_code ec = op->ec_;
    // The reactor completes an operation on a descriptor it is shutting down without
    // touching it: that is no data, not a successful empty read.
    if (!ec && op->bytes_transferred_ == 0) ec = asio::error::operation_aborted;
    // The last use of op: done may destroy the socket, and op with it.
    op->done_(op->target_, owner == nullptr, ec, op->bytes_transferred_);
  }

  asio::detail::reactor& reactor_;
  ReadDone done_;
  void* target_;
  asio::detail::socket_type fd_ = asio::detail::invalid_socket;
  char* data_ = nullptr;
  size_t size_ = 0;
  bool pending_ = false;
  bool short_read_ = false;
  uint64_t empty_reads_ = 0;
};

ClientSocket::ClientSocket(asio::ip::tcp::socket socket, ReadDone done, void* target)
    : asio::ip::tcp::socket(std::move(socket)) {
  boost::system::error_code ec;
  non_blocking(true, ec);  // the reactor reads itself, and writes are tried at once
  auto& reactor = asio::use_service<asio::detail::reactor>(
      asio::query(get_executor(), asio::execution::context));
  op_ = std::make_unique<ReadOp>(reactor, done, target);
}

ClientSocket::~ClientSocket() {
  // Closing with a read queued would complete op_ after it is gone.
  assert(!op_->pending());
}

void ClientSocket::ReadSome(char* data, size_t size) {
  op_->Start(impl_.get_implementation(), data, size);
}

bool ClientSocket::EndQueued() {
  if (!op_->pending() || !op_->TakeShortRead()) return false;
  char byte;
  ssize_t n = ::recv(native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0;
}

uint64_t ClientSocket::empty_reads() const { return op_->empty_reads(); }

}  // namespace typeahead::server
