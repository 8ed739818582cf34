// An in-process server for command-level tests, as Dragonfly's BaseFamilyTest: TestServer
// builds a real Server (a data directory, a chosen number of shards, appendonly as the test
// asks) and runs Server::Run() on a thread of its own, listening on an ephemeral loopback port;
// TestClient connects to it and runs commands, returning each reply as its raw RESP bytes and
// as a parsed RespValue (tests/server/resp_value.h).
//
// So a command takes exactly a client's path: Server::Accept, Connection's read and parse
// loop, the dispatcher's admission checks, the command table's handlers, the ShardBatch hops
// of a pipeline and the durability wait before a write's reply, with the shard threads, the
// journals and the persistence timers running as in production. Why a socket and not a seam
// into Connection: the path under test is the whole of it, and server/ carries nothing for
// tests (a loopback round trip costs tens of microseconds, which keeps server_test fast).
//
// Shards: Server::Accept hands connections round-robin, so the k-th client a server accepts
// (counting from 0) is served by shard k % shards; TestClient::shard() says which.
//
// The process's log (base/log.h) goes to <dir>/server.log of the latest server started, and
// back to stdout when it is destroyed. While a server runs, SIGINT and SIGTERM shut it down,
// as Run() installs its handlers.
//
// Threading: a TestServer and its clients are used from one test thread. The server's state
// belongs to its shard threads: OnShard() runs a function on one and returns the result; other
// Server members only after Stop(), or those Server documents as thread-safe.
//
// Every wait is bounded by kWait: a reply or a start that does not come throws, so the test
// fails (with the server's log) instead of hanging. A server that does not stop within kWait
// aborts the process: its threads cannot be left running behind the test.
#pragma once

#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "server/server.h"
#include "server/shard.h"
#include "storage/manifest.h"
#include "tests/server/resp_value.h"

namespace typeahead::test {

inline constexpr std::chrono::seconds kWait{30};

// A fresh directory under /tmp, removed with everything in it at the end of the scope.
struct TempDir {
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path;
};

struct TestServerOptions {
  size_t shards = 2;
  bool appendonly = true;
  // A data directory the caller owns and keeps, so that another server can start on it
  // (recovery tests); empty: a fresh temporary one, removed with the server.
  std::string dir;
  // Any other directive, as a config file line would set it: {"max-term-length", "8"}.
  // The fixture sets port 0, bind 127.0.0.1, dir, threads, appendonly and `save ""` (no
  // checkpoint from the timers unless a test asks for one) before these.
  std::vector<std::pair<std::string, std::string>> directives;
};

class TestServer {
 public:
  // Starts the server and returns once it accepts connections. Throws std::runtime_error
  // (with the server's log) when it does not start: a bad directive, a damaged data directory.
  explicit TestServer(TestServerOptions options = {});
  // The defaults with this many shards.
  explicit TestServer(size_t shards) : TestServer(WithShards(shards)) {}
  ~TestServer();  // Stop(), then removes the temporary directory, if the server made one
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // Shuts the server down as RequestShutdown does (no save) and waits until Run() returned:
  // the shard threads are joined and every log is closed. Idempotent.
  void Stop();

  bool running() const { return thread_.joinable(); }
  uint16_t port() const { return port_; }
  size_t shards() const { return shards_; }
  const std::string& dir() const { return dir_; }
  // The data files: <dir>/appendonlydir (storage/manifest.h names them).
  std::string data_dir() const;
  // What the server logged (notice and above) while it ran; for failure messages.
  std::string ReadLog() const;
  // While running, only its thread-safe members (RequestShutdown, the counters); after Stop(),
  // anything.
  server::Server& server() { return *server_; }

  // Runs f(server::Shard&) on shard i's thread and returns its result. f is moved there; what it
  // refers to must outlive the call. Throws when the shard does not run it within kWait.
  // REQUIRES: running().
  template <typename F>
  std::invoke_result_t<F&, server::Shard&> OnShard(size_t i, F f);

  // The changes every shard's journal counted since start-up (Journal::changes()).
  uint64_t JournalChanges();

  // Used by TestClient: the shard that serves the next connection.
  size_t TakeConnectionSlot() { return connections_++ % shards_; }

 private:
  static TestServerOptions WithShards(size_t shards) {
    TestServerOptions options;
    options.shards = shards;
    return options;
  }

  std::unique_ptr<TempDir> own_dir_;
  std::string dir_;
  size_t shards_;
  std::unique_ptr<server::Server> server_;
  std::thread thread_;
  std::future<void> finished_;  // ready once Run() returned (or threw)
  uint16_t port_ = 0;
  size_t connections_ = 0;
};

// A reply as read from the socket: its bytes and its value.
struct Reply {
  std::string raw;
  RespValue value;
  std::string Render() const { return value.Render(); }
};

// One client connection over loopback TCP, with a blocking socket. It must not outlive its
// server.
class TestClient {
 public:
  explicit TestClient(TestServer& server);
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  // The shard whose thread serves this connection.
  size_t shard() const { return shard_; }

  // Sends one command as a RESP multibulk and reads its reply. Throws when none comes.
  Reply Command(const std::vector<std::string>& args);
  // Command(args).Render(): what a CHECK compares.
  std::string Run(const std::vector<std::string>& args) { return Command(args).Render(); }
  // Sends every command in one write, so the server parses them as one pipeline (one batch
  // of hops per shard), then reads one reply each. The commands and their replies must fit
  // the socket buffers (a few hundred KB): the client writes everything before it reads.
  std::vector<Reply> Pipeline(const std::vector<std::vector<std::string>>& commands);

  // Raw access, for inline requests and protocol errors.
  void Send(std::string_view bytes);
  Reply Read();
  // True when the server closed the connection with nothing more to read.
  bool ReadEof();

 private:
  TestServer& server_;
  int fd_ = -1;
  size_t shard_ = 0;
  std::string in_;  // bytes read past the last reply
};

// Every key's every term with its frequency, in ranking order, one key a line: the whole
// state a client can see, for comparing before and after.
std::string DumpAll(TestClient& client);

// The data files. The manifest in data_dir (TestServer::data_dir()); throws when there is none.
storage::Manifest ReadManifest(const std::string& data_dir);
// Every record of the log file at path, its arguments joined by spaces ("ACRECORD k apple"),
// read with storage's RecordScanner from the offset its first record names. Throws when the
// file holds anything but whole, valid records.
std::vector<std::string> LogRecords(const std::string& path);

// The RESP multibulk encoding of a command.
std::string EncodeCommand(const std::vector<std::string>& args);

template <typename F>
std::invoke_result_t<F&, server::Shard&> TestServer::OnShard(size_t i, F f) {
  using R = std::invoke_result_t<F&, server::Shard&>;
  if (!running()) throw std::logic_error("OnShard on a stopped server");
  // Shared with the task, so that a task that runs late writes to nothing that is gone.
  auto done = std::make_shared<std::promise<R>>();
  std::future<R> result = done->get_future();
  server::Shard& shard = server_->shards()[i];
  boost::asio::post(shard.io(), [&shard, done, f = std::move(f)]() mutable {
    if constexpr (std::is_void_v<R>) {
      f(shard);
      done->set_value();
    } else {
      done->set_value(f(shard));
    }
  });
  if (result.wait_for(kWait) != std::future_status::ready) {
    throw std::runtime_error("shard " + std::to_string(i) + " did not run the task");
  }
  return result.get();
}

}  // namespace typeahead::test
