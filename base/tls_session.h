// TlsSession is the TLS layer of one connection: an OpenSSL SSL object between two memory BIOs,
// so that OpenSSL never touches the socket. The server side serves a client accepted on
// tls-port (server/connection.h), and a replica link handed over from such a connection
// (replication/link_socket.h); the client side is a replica's link to a TLS primary. The owner
// keeps doing all the I/O: the ciphertext it reads goes in through Receive(), which also drives
// the handshake and decrypts in place; what it sends goes in through Send() and what it writes
// to the socket is output(). One read path, one write path, for plaintext and TLS alike: a
// plaintext connection pays one null pointer check for this.
//
// Why Receive decrypts everything it can at once: a socket read that finds nothing new is
// only made after epoll reports bytes, so plaintext left buffered inside SSL (SSL_pending)
// would wait for the client's next request. Draining each time leaves nothing there.
// Renegotiation is off (server/tls_context.cc), so a write never needs a read first; what a
// read makes OpenSSL send on its own (handshake records, TLS 1.3 session tickets, the answer
// to a key update) lands in output() and leaves with the next write, which the connection
// makes after every read that produced some.
//
// A client side starts its handshake on the first Receive (n may be 0): that puts the
// ClientHello in output().
//
// Threading: one thread at a time, the owner's (a connection's shard, or the replication home
// loop after a hand-over). The SSL holds its own reference on the SSL_CTX, so the context it
// came from may be replaced meanwhile.
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace typeahead {

class TlsSession {
 public:
  enum class Side { kServer, kClient };
  // Throws std::bad_alloc when OpenSSL cannot allocate.
  explicit TlsSession(SSL_CTX* ctx, Side side = Side::kServer);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  enum class Status { kOk, kClosed, kFailed };
  // Takes the n bytes of ciphertext at buffer[at] and replaces them with the plaintext they
  // (and what earlier calls left incomplete) decrypt to, growing buffer when needed; *plain is
  // how many bytes of plaintext now start at buffer[at]. kClosed: the client sent close_notify
  // (the plaintext before it is valid); kFailed: the handshake or a record failed, error() says
  // why. After either, nothing more may be received.
  Status Receive(std::string& buffer, size_t at, size_t n, size_t* plain);
  // Encrypts all of plain into output(). False (error() says why) when the session is broken.
  bool Send(std::string_view plain);
  // Ciphertext waiting for the socket; the caller erases what it wrote.
  std::string& output() { return output_; }
  // Queues close_notify (before closing a connection whose handshake finished).
  void Shutdown();

  bool handshake_done() const { return handshake_done_; }
  const std::string& error() const { return error_; }

 private:
  void TakeOutput();  // the write BIO's bytes into output_

  SSL* ssl_;
  BIO* in_;   // owned by ssl_: ciphertext from the client
  BIO* out_;  // owned by ssl_: ciphertext for the client
  std::string output_;
  std::string error_;
  bool handshake_done_ = false;
};

// OpenSSL's queued errors of this thread as one line ("reason, reason"), emptying the queue.
// `fallback` when the queue is empty.
std::string TakeSslErrors(std::string_view fallback = "unknown error");

}  // namespace typeahead
