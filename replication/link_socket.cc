#include "replication/link_socket.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/errc.hpp>

namespace typeahead::replication {
namespace asio = boost::asio;
using asio::awaitable;
using boost::system::error_code;

namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// What a broken TLS session reads as to the callers, who only log and close.
error_code TlsFailure() { return make_error_code(boost::system::errc::protocol_error); }
}  // namespace

awaitable<bool> LinkSocket::Handshake(std::unique_ptr<TlsSession> session) {
  tls_ = std::move(session);
  std::string buffer(16 * 1024, '\0');
  size_t plain = 0;
  // The first Receive, with nothing read, makes the ClientHello.
  TlsSession::Status status = tls_->Receive(buffer, 0, 0, &plain);
  for (;;) {
    if (status == TlsSession::Status::kFailed) {
      tls_error_ = tls_->error();
      // The alert telling the primary why, best effort.
      error_code ignored;
      asio::write(socket_, asio::buffer(tls_->output()), ignored);
      co_return false;
    }
    if (!tls_->output().empty()) {
      cipher_.swap(tls_->output());
      auto [wec, wn] = co_await asio::async_write(socket_, asio::buffer(cipher_), kNoThrow);
      cipher_.clear();
      if (wec) {
        tls_error_ = wec.message();
        co_return false;
      }
    }
    // A primary sends nothing before our first request; should it, Read hands it out first.
    if (plain > 0) early_.append(buffer, 0, plain);
    if (tls_->handshake_done()) co_return true;
    if (status == TlsSession::Status::kClosed) {
      tls_error_ = "the primary closed the connection during the TLS handshake";
      co_return false;
    }
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buffer), kNoThrow);
    if (ec) {
      tls_error_ = ec == asio::error::eof ? "the primary closed the connection during the TLS "
                                            "handshake"
                                          : ec.message();
      co_return false;
    }
    status = tls_->Receive(buffer, 0, n, &plain);
  }
}

awaitable<std::pair<error_code, size_t>> LinkSocket::Read(std::string& buffer, size_t at) {
  if (!early_.empty()) {
    size_t n = std::min(early_.size(), buffer.size() - at);
    buffer.replace(at, n, early_, 0, n);
    early_.erase(0, n);
    co_return std::pair{error_code(), n};
  }
  for (;;) {
    if (tls_closed_) co_return std::pair{error_code(asio::error::eof), size_t{0}};
    auto [ec, n] = co_await socket_.async_read_some(
        asio::buffer(buffer.data() + at, buffer.size() - at), kNoThrow);
    if (ec || tls_ == nullptr) co_return std::pair{ec, n};
    size_t plain = 0;
    switch (tls_->Receive(buffer, at, n, &plain)) {
      case TlsSession::Status::kOk:
        break;
      case TlsSession::Status::kClosed:
        tls_closed_ = true;  // what came before the peer's close_notify is still good
        break;
      case TlsSession::Status::kFailed:
        tls_error_ = tls_->error();
        co_return std::pair{TlsFailure(), size_t{0}};
    }
    if (plain > 0) co_return std::pair{error_code(), plain};
    // Only handshake or ticket records, or part of a record: read on.
  }
}

std::string* LinkSocket::Encrypt(std::string_view bytes) {
  if (!tls_->Send(bytes)) {
    tls_error_ = tls_->error();
    return nullptr;
  }
  return &tls_->output();
}

awaitable<bool> LinkSocket::Write(std::string_view bytes) {
  if (tls_ == nullptr) {
    auto [plain_ec, plain_n] = co_await asio::async_write(socket_, asio::buffer(bytes), kNoThrow);
    co_return !plain_ec;
  }
  std::string* cipher = Encrypt(bytes);
  if (cipher == nullptr) co_return false;
  cipher_.swap(*cipher);  // ours while it is written: a Read may add to the session's
  writing_ = true;
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(cipher_), kNoThrow);
  writing_ = false;
  cipher_.clear();
  if (cipher_.capacity() > (1u << 20)) std::string().swap(cipher_);  // after a full sync
  co_return !ec;
}

error_code LinkSocket::WriteNow(std::string_view bytes) {
  error_code ec;
  if (tls_ == nullptr) {
    asio::write(socket_, asio::buffer(bytes), ec);
    return ec;
  }
  std::string* cipher = Encrypt(bytes);
  if (cipher == nullptr) return TlsFailure();
  asio::write(socket_, asio::buffer(*cipher), ec);
  cipher->clear();
  return ec;
}

void LinkSocket::Close() {
  error_code ec;
  if (tls_ != nullptr && tls_->handshake_done() && !writing_) {
    // close_notify, best effort and without waiting; not while a Write is pending, whose
    // records it would split.
    tls_->Shutdown();
    socket_.non_blocking(true, ec);
    socket_.write_some(asio::buffer(tls_->output()), ec);
    tls_->output().clear();
  }
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

void LinkSocket::Reset(asio::io_context& io) {
  socket_ = asio::ip::tcp::socket(io);
  tls_.reset();
  cipher_.clear();
  early_.clear();
  tls_error_.clear();
  tls_closed_ = false;
  writing_ = false;
}

}  // namespace typeahead::replication
