// The TLS side of a Connection (server/connection.h): turning what the chain reads into
// plaintext and what it writes into ciphertext, through the connection's TlsSession
// (base/tls_session.h). A failed handshake or record closes only this connection, with one
// log line naming the client and OpenSSL's reason.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "base/log.h"
#include "base/tls_session.h"
#include "server/connection.h"
#include "server/shard.h"

namespace typeahead::server {
namespace asio = boost::asio;
using asio::awaitable;

size_t Connection::unsent_bytes() const {
  if (!writing_) return 0;
  return out_.size() + (tls_ != nullptr ? tls_->output().size() : 0);
}

bool Connection::HandshakeOverdue(Clock::time_point now) const {
  return tls_ != nullptr && !tls_->handshake_done() &&
         now - created_ > std::chrono::seconds(shard_.config().debug_tls_handshake_timeout);
}

bool Connection::ReceiveTls(size_t* n) {
  bool handshaking = !tls_->handshake_done();
  size_t plain = 0;
  switch (tls_->Receive(in_, in_end_, *n, &plain)) {
    case TlsSession::Status::kOk:
      break;
    case TlsSession::Status::kClosed:
      keep_ = false;  // what came before the client's close_notify is still answered
      break;
    case TlsSession::Status::kFailed: {
      // The alert telling the client why, best effort: the socket is non-blocking.
      boost::system::error_code ec;
      socket_.write_some(asio::buffer(tls_->output()), ec);
      if (handshaking) {
        Log(LogLevel::kNotice, "Error accepting a TLS client connection: {} (addr={} laddr={})",
            tls_->error(), addr_, laddr_);
      } else {
        Log(LogLevel::kNotice, "TLS error on client connection: {} ({})", tls_->error(),
            Describe());
      }
      return false;
    }
  }
  *n = plain;
  return true;
}

Connection::WriteResult Connection::TryWriteTls() {
  if (!out_.empty()) {
    if (!tls_->Send(out_)) {
      Log(LogLevel::kNotice, "TLS error on client connection: {} ({})", tls_->error(), Describe());
      return WriteResult::kFailed;
    }
    out_.clear();
    if (out_.capacity() > 4 * kFlushBytes) out_.shrink_to_fit();
  }
  std::string& cipher = tls_->output();
  boost::system::error_code ec;
  size_t n = socket_.write_some(asio::buffer(cipher), ec);  // the socket is non-blocking
  if (ec == asio::error::would_block || ec == asio::error::try_again) return WriteResult::kPending;
  if (ec) return WriteResult::kFailed;
  shard_.stats().net_output_bytes += n;
  ++shard_.stats().writes_processed;
  cipher.erase(0, n);  // rare that anything stays: the socket buffer is full; Flush writes it
  if (!cipher.empty()) return WriteResult::kPending;
  if (cipher.capacity() > 4 * kFlushBytes) cipher.shrink_to_fit();
  return WriteResult::kDone;
}

awaitable<bool> Connection::FlushTls() {
  // As Flush: messages published while a write is in flight wait in push_ and go next. The
  // session's output is written in place: nothing else adds to it while the chain waits here.
  for (;;) {
    if (!out_.empty()) {
      if (!tls_->Send(out_)) {
        Log(LogLevel::kNotice, "TLS error on client connection: {} ({})", tls_->error(),
            Describe());
        co_return false;
      }
      out_.clear();
    }
    std::string& cipher = tls_->output();
    if (cipher.empty()) break;
    writing_ = true;
    write_started_ = Clock::now();
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(cipher),
                                              asio::as_tuple(asio::use_awaitable));
    writing_ = false;
    shard_.stats().net_output_bytes += n;
    ++shard_.stats().writes_processed;
    cipher.clear();
    if (cipher.capacity() > 4 * kFlushBytes) cipher.shrink_to_fit();
    if (ec || killed_) co_return false;
    out_.swap(push_);
  }
  if (out_.capacity() > 4 * kFlushBytes) out_.shrink_to_fit();
  co_return !killed_;
}

}  // namespace typeahead::server
