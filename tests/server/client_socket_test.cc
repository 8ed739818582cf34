// ClientSocket: a read started before the client's next bytes arrive waits for epoll instead of
// trying a recv that fails, and no byte is ever left unreported because of it. Over a real
// loopback TCP connection; the client side is a plain blocking socket on the same thread.
#include "server/client_socket.h"

#include <doctest/doctest.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <utility>

namespace asio = boost::asio;
using typeahead::server::ClientSocket;

namespace {

// A server socket whose reads land in `buffer` and report to `result`, and its client.
struct Link {
  struct Result {
    bool called = false;
    bool abandoned = false;
    boost::system::error_code ec;
    size_t bytes = 0;
  };

  std::unique_ptr<asio::io_context> io = std::make_unique<asio::io_context>(1);
  std::unique_ptr<asio::ip::tcp::socket> client = std::make_unique<asio::ip::tcp::socket>(*io);
  std::unique_ptr<ClientSocket> server;
  char buffer[64];
  Result result;

  Link() {
    asio::ip::tcp::acceptor acceptor(*io, {asio::ip::address_v4::loopback(), 0});
    client->connect(acceptor.local_endpoint());
    server = std::make_unique<ClientSocket>(acceptor.accept(), &Done, this);
  }

  static void Done(void* target, bool abandoned, boost::system::error_code ec, size_t bytes) {
    auto* link = static_cast<Link*>(target);
    link->result = {true, abandoned, ec, bytes};
    // As a connection does: a pending read is what keeps the socket alive.
    if (abandoned) link->server.reset();
  }

  void Send(std::string_view data) {
    REQUIRE(::send(client->native_handle(), data.data(), data.size(), 0) ==
            static_cast<ssize_t>(data.size()));
  }

  // Runs the loop until the pending read completes, at most 5 s.
  void Wait() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!result.called && std::chrono::steady_clock::now() < deadline) {
      io->restart();  // a loop that ran out of work stays stopped until restarted
      io->run_one_for(std::chrono::milliseconds(100));
    }
    CHECK(result.called);
  }

  // Only what is queued now, as a loop turn with nothing else to do.
  void Poll() {
    io->restart();
    io->poll();
  }

  // Reads up to `size` bytes; "" when the read failed.
  std::string Read(size_t size = sizeof(buffer)) {
    result = {};
    server->ReadSome(buffer, size);
    Wait();
    if (!result.called || result.ec) return "";
    return std::string(buffer, result.bytes);
  }
};

}  // namespace

TEST_CASE("ClientSocket: a read after a short read waits for epoll instead of a failing recv") {
  Link link;
  for (int i = 0; i < 200; ++i) {
    // The request/reply order: the read is started, then the client's request arrives.
    link.result = {};
    link.server->ReadSome(link.buffer, sizeof(link.buffer));
    link.Poll();
    CHECK_FALSE(link.result.called);
    std::string request = "req" + std::to_string(i);
    link.Send(request);
    link.Wait();
    REQUIRE_FALSE(link.result.ec);
    CHECK(std::string(link.buffer, link.result.bytes) == request);
  }
  // Only the first read tried at once: the reactor starts out assuming data may be there.
  CHECK(link.server->empty_reads() == 1);
}

TEST_CASE("ClientSocket: bytes are never left unread") {
  Link link;
  SUBCASE("a read that fills its buffer is followed by one that tries at once") {
    link.Send(std::string(100, 'x'));
    CHECK(link.Read(40) == std::string(40, 'x'));
    CHECK(link.Read(40) == std::string(40, 'x'));
    CHECK(link.Read(40) == std::string(20, 'x'));
  }
  SUBCASE("bytes that arrive while no read is pending, seen by the reactor first or not") {
    link.Send("one");
    CHECK(link.Read() == "one");
    link.Send("two");
    link.Poll();  // the reactor sees the arrival with no read queued
    CHECK(link.Read() == "two");
    link.Send("three");
    CHECK(link.Read() == "three");  // the read is queued before the reactor looks
  }
  CHECK(link.server->empty_reads() <= 1);
}

TEST_CASE("ClientSocket: end of file, close and a destroyed io_context end a pending read") {
  Link link;
  SUBCASE("the client closes") {
    link.client->close();
    link.Read();
    CHECK(link.result.ec == asio::error::eof);
    CHECK_FALSE(link.result.abandoned);
  }
  SUBCASE("the server closes its socket with a read pending") {
    link.server->ReadSome(link.buffer, sizeof(link.buffer));
    link.server->close();
    link.Wait();
    CHECK(link.result.ec == asio::error::operation_aborted);
    CHECK_FALSE(link.result.abandoned);
  }
  SUBCASE("the io_context is destroyed with a read pending") {
    link.server->ReadSome(link.buffer, sizeof(link.buffer));
    link.Poll();
    link.client.reset();
    link.io.reset();  // the queued read is abandoned, and Done releases the socket
    CHECK(link.result.called);
    CHECK(link.result.abandoned);
    CHECK(link.server == nullptr);
  }
}
