// LinkSocket over real loopback sockets: plaintext, and TLS both ways with client certificates
// (the replica's Handshake against a server side driven as Connection drives it), a payload
// of many records, what a peer of another CA or without a certificate gets, close_notify.
#include "replication/link_socket.h"

#include <doctest/doctest.h>
#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <optional>
#include <string>

#include "tests/test_certs.h"

namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using typeahead::TlsSession;
using typeahead::replication::LinkSocket;
using typeahead::testing::TheCerts;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// A context as server/tls_context.cc makes them: the side's certificate, peers checked
// against ca, a certificate required of them.
struct Ctx {
  SSL_CTX* ctx;
  Ctx(bool client, const std::string& cert, const std::string& ca) {
    const auto& certs = TheCerts();
    ctx = SSL_CTX_new(client ? TLS_client_method() : TLS_server_method());
    REQUIRE(SSL_CTX_use_certificate_chain_file(ctx, certs(cert + ".crt").c_str()) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey_file(ctx, certs(cert + ".key").c_str(), SSL_FILETYPE_PEM) == 1);
    REQUIRE(SSL_CTX_load_verify_locations(ctx, certs(ca + ".crt").c_str(), nullptr) == 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  ~Ctx() { SSL_CTX_free(ctx); }
};

// A connected pair on loopback: what the primary accepted, and the replica's end.
struct Pair {
  asio::io_context io;
  tcp::socket server{io}, client{io};
  Pair() {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client.connect(acceptor.local_endpoint());
    server = acceptor.accept();
  }
};

// The server side of a handshake, as Connection does it: read, Receive, write what it made.
// Returns the session once done, or null (with the session's error in *error).
awaitable<std::unique_ptr<TlsSession>> Accept(tcp::socket& socket, SSL_CTX* ctx,
                                              std::string* error) {
  auto session = std::make_unique<TlsSession>(ctx);
  std::string buf(16 * 1024, '\0');
  while (!session->handshake_done()) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(buf), kNoThrow);
    if (ec) co_return nullptr;
    size_t plain = 0;
    auto status = session->Receive(buf, 0, n, &plain);
    co_await asio::async_write(socket, asio::buffer(session->output()), kNoThrow);
    session->output().clear();
    if (status == TlsSession::Status::kFailed) {
      *error = session->error();
      co_return nullptr;
    }
  }
  co_return session;
}

// Reads exactly n bytes of plaintext through link.
awaitable<std::string> ReadAll(LinkSocket& link, size_t n) {
  std::string got, buf(8192, '\0');
  while (got.size() < n) {
    auto [ec, m] = co_await link.Read(buf, 0);
    if (ec) break;
    got.append(buf, 0, m);
  }
  co_return got;
}

// Both ends of a handshake run to their end on p.io: the server side's session (null when it
// refused, with the reason in error) and whether the replica's Handshake succeeded.
struct Handshakes {
  std::unique_ptr<TlsSession> accepted;
  std::string error;
  bool replica_ok = false;
};
Handshakes RunHandshakes(Pair& p, LinkSocket& replica, SSL_CTX* server, SSL_CTX* client) {
  Handshakes h;
  asio::co_spawn(
      p.io, [&]() -> awaitable<void> { h.accepted = co_await Accept(p.server, server, &h.error); },
      asio::detached);
  asio::co_spawn(
      p.io,
      [&]() -> awaitable<void> {
        h.replica_ok = co_await replica.Handshake(
            std::make_unique<TlsSession>(client, TlsSession::Side::kClient));
      },
      asio::detached);
  p.io.run();
  p.io.restart();
  return h;
}

}  // namespace

TEST_CASE("LinkSocket: plaintext both ways") {
  Pair p;
  LinkSocket primary(std::move(p.server), nullptr), replica(std::move(p.client), nullptr);
  std::string at_primary, at_replica;
  asio::co_spawn(
      p.io,
      [&]() -> awaitable<void> {
        bool sent = co_await replica.Write("PSYNC ? -1\r\n");
        CHECK(sent);
        at_primary = co_await ReadAll(primary, 12);
        bool replied = co_await primary.Write("+FULLRESYNC\r\n");
        CHECK(replied);
        at_replica = co_await ReadAll(replica, 13);
      },
      asio::detached);
  p.io.run();
  CHECK(at_primary == "PSYNC ? -1\r\n");
  CHECK(at_replica == "+FULLRESYNC\r\n");
  CHECK_FALSE(primary.tls());
}

TEST_CASE("LinkSocket: mutual TLS, a payload of many records, ACKs back, close_notify") {
  Pair p;
  Ctx server_ctx(false, "server", "ca"), client_ctx(true, "client", "ca");
  LinkSocket replica(std::move(p.client), nullptr);
  Handshakes h = RunHandshakes(p, replica, server_ctx.ctx, client_ctx.ctx);
  REQUIRE(h.replica_ok);
  REQUIRE(h.accepted != nullptr);
  CHECK(replica.tls());
  CHECK(replica.tls_error().empty());

  // The primary's link continues the accepted session; what it writes is a full sync's worth
  // of records while the replica acknowledges from its side.
  LinkSocket primary(std::move(p.server), std::move(h.accepted));
  std::string payload(300 * 1024, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 23);
  std::string at_replica, at_primary;
  asio::co_spawn(
      p.io,
      [&]() -> awaitable<void> {
        bool sent = co_await primary.Write(payload);
        CHECK(sent);
        at_primary = co_await ReadAll(primary, 7);
      },
      asio::detached);
  asio::co_spawn(
      p.io,
      [&]() -> awaitable<void> {
        at_replica = co_await ReadAll(replica, payload.size());
        CHECK_FALSE(replica.WriteNow("ACK 42\n"));
      },
      asio::detached);
  p.io.run();
  p.io.restart();
  CHECK(at_replica == payload);
  CHECK(at_primary == "ACK 42\n");

  // The peer's close_notify ends the stream as end of file, not as an error.
  std::optional<boost::system::error_code> end;
  asio::co_spawn(
      p.io,
      [&]() -> awaitable<void> {
        std::string buf(1024, '\0');
        auto [ec, n] = co_await primary.Read(buf, 0);
        end = ec;
      },
      asio::detached);
  replica.Close();  // sends close_notify: no write is pending
  p.io.run();
  REQUIRE(end.has_value());
  CHECK(*end == asio::error::eof);
  CHECK(primary.tls_error().empty());
}

TEST_CASE("LinkSocket: a primary of another CA, and a replica without a certificate") {
  {
    Pair p;
    Ctx server_ctx(false, "stranger", "ca"), client_ctx(true, "client", "ca");
    LinkSocket replica(std::move(p.client), nullptr);
    Handshakes h = RunHandshakes(p, replica, server_ctx.ctx, client_ctx.ctx);
    CHECK_FALSE(h.replica_ok);
    CHECK(replica.tls_error().find("certificate verify failed") != std::string::npos);
    CHECK(replica.tls_error().find("unable to get local issuer certificate") != std::string::npos);
    CHECK(h.accepted == nullptr);
  }
  {
    Pair p;
    Ctx server_ctx(false, "server", "ca");
    SSL_CTX* bare = SSL_CTX_new(TLS_client_method());  // no certificate to present
    SSL_CTX_load_verify_locations(bare, TheCerts()("ca.crt").c_str(), nullptr);
    LinkSocket replica(std::move(p.client), nullptr);
    Handshakes h = RunHandshakes(p, replica, server_ctx.ctx, bare);
    SSL_CTX_free(bare);
    CHECK(h.accepted == nullptr);
    CHECK(h.error.find("peer did not return a certificate") != std::string::npos);
    // TLS 1.3: the client is done before the server has checked it; the refusal arrives as
    // an alert on its first read.
    if (h.replica_ok) {
      std::optional<boost::system::error_code> read;
      asio::co_spawn(
          p.io,
          [&]() -> awaitable<void> {
            std::string buf(1024, '\0');
            auto [ec, n] = co_await replica.Read(buf, 0);
            read = ec;
          },
          asio::detached);
      p.io.run();
      REQUIRE(read.has_value());
      CHECK(*read);
      CHECK(replica.tls_error().find("certificate required") != std::string::npos);
    }
  }
}
