// Two Replication objects in one process, each over a test Host, joined by a real loopback
// socket: a full sync and then the stream, with nothing of the server linked. What the test's
// "server" does before PSYNC (answer PING and REPLCONF, hand the socket over) is what the
// server's handlers do (server/replication_commands.cc).
#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "protocol/ascii.h"
#include "protocol/resp_parser.h"
#include "replication/host.h"
#include "replication/replication.h"
#include "storage/mutation.h"
#include "storage/routing.h"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace typeahead;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// The partition's sink is the side itself, as a shard's is its journal: it keeps what it is
// given (a replica's log) and passes it to the feed (a primary's stream).
class TestSide final : public replication::PartitionSide, public storage::MutationSink {
 public:
  TestSide(size_t id, asio::io_context& io) : id_(id), feed_(io) { partition_.set_sink(this); }
  size_t id() const override { return id_; }
  storage::Partition& partition() override { return partition_; }
  replication::ReplicationFeed& feed() override { return feed_; }
  void Apply(const storage::Mutation& m) override {
    auto args = encoder_.Encode(m);
    logged.emplace_back(args.begin(), args.end());
    feed_.Record(args);
  }

  // What the ACINCRBY handler does on its shard.
  void IncrBy(std::string_view key, std::string_view term, int64_t by) {
    REQUIRE(partition_.IncrBy(key, term, by));
  }

  std::vector<std::vector<std::string>> logged;  // what the partition emitted, in order

 private:
  size_t id_;
  storage::Partition partition_;
  replication::ReplicationFeed feed_;
  storage::MutationEncoder encoder_;
};

// Every partition on one io_context: RunOn runs inline, Post posts.
class TestHost final : public replication::Host {
 public:
  TestHost(asio::io_context& io, size_t partitions, uint16_t port) : io_(io), port_(port) {
    for (size_t i = 0; i < partitions; ++i) sides_.push_back(std::make_unique<TestSide>(i, io));
  }
  TestSide& side(size_t p) { return *sides_[p]; }
  // The side that owns term under the routing rule.
  TestSide& owner(std::string_view term) {
    return *sides_[storage::PartitionOfTerm(term, sides_.size())];
  }

  size_t partitions() const override { return sides_.size(); }
  asio::io_context& home() override { return io_; }
  replication::PartitionSide& home_side() override { return *sides_[0]; }
  asio::awaitable<void> RunOn(size_t p,
                              std::function<void(replication::PartitionSide&)> f) override {
    f(*sides_[p]);
    co_return;
  }
  void Post(size_t p, std::function<void(replication::PartitionSide&)> f) override {
    asio::post(io_, [this, p, f = std::move(f)] { f(*sides_[p]); });
  }
  replication::Settings settings() const override { return settings_; }
  uint16_t port() const override { return port_; }
  uint16_t tls_port() const override { return 0; }
  std::unique_ptr<TlsSession> NewTlsClientSession(std::string* error) override {
    *error = "no TLS here";
    return nullptr;
  }
  asio::awaitable<bool> Checkpoint(std::string) override {
    ++checkpoints;
    co_return true;
  }
  bool CheckpointRunning() const override { return false; }

  int checkpoints = 0;

 private:
  asio::io_context& io_;
  uint16_t port_;
  replication::Settings settings_;
  std::vector<std::unique_ptr<TestSide>> sides_;
};

// Answers the replica's handshake on the primary's port and hands the socket to the primary
// at PSYNC.
asio::awaitable<void> ServeHandshake(tcp::acceptor& acceptor, replication::Replication& primary) {
  auto [aec, socket] = co_await acceptor.async_accept(kNoThrow);
  REQUIRE_FALSE(aec);
  protocol::RespParser parser;
  std::string in;
  replication::ReplicaHello hello;
  hello.ip = "127.0.0.1";
  for (;;) {
    char buf[4096];
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(buf), kNoThrow);
    REQUIRE_FALSE(ec);
    in.append(buf, n);
    while (parser.Parse(in) == protocol::RespParser::Status::kCommand) {
      std::vector<std::string> args(parser.args().begin(), parser.args().end());
      in.erase(0, parser.consumed());
      if (EqualsIgnoreCase(args[0], "psync")) {
        primary.AttachReplica(replication::LinkSocket(std::move(socket), nullptr), hello, args[1],
                              args[2]);
        co_return;
      }
      if (EqualsIgnoreCase(args[0], "replconf") && EqualsIgnoreCase(args[1], "listening-port")) {
        hello.listening_port = std::stoll(args[2]);
      }
      std::string reply = EqualsIgnoreCase(args[0], "ping") ? "+PONG\r\n" : "+OK\r\n";
      co_await asio::async_write(socket, asio::buffer(reply), kNoThrow);
    }
  }
}

// Runs io until done() holds or 20 s passed; returns done().
template <typename F>
bool RunUntil(asio::io_context& io, F done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(10));
    if (io.stopped()) io.restart();
  }
  return done();
}

int64_t ScoreOf(TestHost& host, std::string_view key, std::string_view term) {
  const storage::Trie* dict = host.owner(term).partition().Find(key);
  if (dict == nullptr) return 0;
  return dict->Score(term).value_or(0);
}

TEST_CASE("A replica follows a primary through Host alone: full sync, then the stream") {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  uint16_t port = acceptor.local_endpoint().port();
  // Another partition count on each side: the replica routes every term by its own rule.
  TestHost primary_host(io, 2, port), replica_host(io, 3, 0);
  replication::Replication primary(primary_host), replica(replica_host);

  std::map<std::string, int64_t> want;
  auto record = [&](std::string term, int64_t by) {
    primary_host.owner(term).IncrBy("q", term, by);
    want[term] += by;
  };
  // First letters a to z: the routing rule (by first byte) spreads them over every partition.
  for (int i = 0; i < 300; ++i) record(char('a' + i % 26) + std::to_string(i), 1 + i % 7);
  record("apple", 2);
  record("app", 1);

  asio::co_spawn(io, ServeHandshake(acceptor, primary), asio::detached);
  CHECK(replica.ReplicaOf("127.0.0.1", port) == "+OK");
  auto all_there = [&] {
    for (const auto& [term, freq] : want) {
      if (ScoreOf(replica_host, "q", term) != freq) return false;
    }
    return true;
  };
  REQUIRE(RunUntil(io, all_there));
  CHECK(replica_host.checkpoints == 1);  // its files are made to match the loaded data
  // Loading the sync logs nothing: the checkpoint holds it.
  for (size_t p = 0; p < replica_host.partitions(); ++p) CHECK(replica_host.side(p).logged.empty());
  CHECK(replica.is_replica());
  CHECK(replica.Info().find("master_link_status:up") != std::string::npos);
  CHECK(primary.Info().find("connected_slaves:1") != std::string::npos);

  // The stream: writes on both primary partitions after the sync reach the replica, and each
  // replica partition logs what it applied.
  record("apple", 5);
  record("banana", 3);
  record("h7", -1);  // frequency 1: the term goes
  CHECK_FALSE(all_there());
  REQUIRE(RunUntil(io, all_there));
  CHECK(ScoreOf(replica_host, "q", "apple") == 7);
  const auto& logged = replica_host.owner("banana").logged;
  REQUIRE_FALSE(logged.empty());
  CHECK(logged.back() == std::vector<std::string>{"ACINCRBY", "q", "banana", "3"});

  // As at shutdown: the links go, and what is still queued on io is destroyed with it.
  replica.Release();
  primary.Release();
}

}  // namespace
