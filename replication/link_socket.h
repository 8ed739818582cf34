// LinkSocket is a replication link's connection, plaintext or TLS: a TCP socket and, on a TLS
// link, the TlsSession (base/tls_session.h) its bytes pass through. Everything above it (the
// reply lines, the full-sync payload, the stream and its zstd layer, the ACKs) reads and
// writes plaintext through Read/Write and never knows which kind it has.
//
// A primary's link to a replica is handed over from the client connection the PSYNC came on,
// with that connection's session when it came on tls-port: the handshake is done and the
// stream continues in the same session. A replica's link to its primary starts plaintext and
// calls Handshake() after connecting when tls-replication is yes.
//
// Invariants: at most one Read and one Write are pending at a time (a primary's link writes
// the stream while its ACK reader reads). On a TLS link both go through the one session, which
// is safe because they run on one thread and neither is inside OpenSSL while it waits: Write
// takes the session's ciphertext into a buffer of its own before it waits, so what a Read
// makes the session send meanwhile (a TLS 1.3 key update's answer) waits in the session for
// the next Write.
//
// Threading: the home loop's thread only, like the links (replication/links.h).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "base/tls_session.h"

namespace typeahead::replication {

class LinkSocket {
 public:
  explicit LinkSocket(boost::asio::io_context& io) : socket_(io) {}
  // tls: the session the connection was already using, or null for plaintext.
  LinkSocket(boost::asio::ip::tcp::socket socket, std::unique_ptr<TlsSession> tls)
      : socket_(std::move(socket)), tls_(std::move(tls)) {}

  boost::asio::ip::tcp::socket& tcp() { return socket_; }
  bool tls() const { return tls_ != nullptr; }
  // What broke the TLS session, for the log line of a failed Read, Write or Handshake.
  const std::string& tls_error() const { return tls_error_; }

  // Client side, on a connected socket: the TLS handshake through session. False with
  // tls_error() saying why (OpenSSL's reason, the certificate check's among them).
  boost::asio::awaitable<bool> Handshake(std::unique_ptr<TlsSession> session);
  // Reads what has arrived into buffer[at, buffer.size()) and returns how many bytes of
  // plaintext now start at buffer[at] (a TLS read may grow buffer). Never 0 without an error;
  // buffer must have room past at.
  boost::asio::awaitable<std::pair<boost::system::error_code, size_t>> Read(std::string& buffer,
                                                                            size_t at);
  // Writes all of bytes; false when the link broke. Take the result into a variable before
  // testing it: GCC 12 miscompiles `if (!co_await s.Write(str))` when str converts to the
  // string_view (the call runs on a wrong `this`).
  boost::asio::awaitable<bool> Write(std::string_view bytes);
  // Writes a few bytes at once, blocking (a replica's ACK: the socket buffer takes it). Never
  // while a Write is pending: on a TLS link the records would interleave.
  boost::system::error_code WriteNow(std::string_view bytes);
  // Shuts the socket down and closes it, waking a pending Read or Write; a TLS link sends
  // close_notify first. The session stays until the socket is replaced (Reset): a pending
  // Read may still be finishing with it.
  void Close();
  // A fresh, unconnected plaintext socket on io (a replica's next connection attempt).
  void Reset(boost::asio::io_context& io);

 private:
  std::string* Encrypt(std::string_view bytes);  // null when the session is broken

  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsSession> tls_;
  std::string cipher_;  // a TLS Write's ciphertext while it is written
  std::string early_;   // plaintext that came with the end of the handshake
  std::string tls_error_;
  bool tls_closed_ = false;  // the peer sent close_notify
  bool writing_ = false;     // a TLS Write is waiting for the socket
};

}  // namespace typeahead::replication
