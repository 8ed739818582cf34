// Server owns the shards, the listening sockets and the process-wide facts (run id, start
// time, client counts). It accepts on shard 0 and hands each connection round-robin to a shard,
// which then serves it entirely on its own thread.
// Thread-safe where marked; everything else is called from main() before Run().
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "server/client_pause.h"
#include "server/config.h"
#include "server/persistence.h"
#include "server/replication_host.h"
#include "server/shard.h"
#include "server/supervision.h"

namespace typeahead::replication {
class Replication;
}

namespace typeahead::server {

inline constexpr std::string_view kRedisVersion = "7.0.15";  // what clients gate features on
inline constexpr std::string_view kTypeaheadVersion = "0.1.0";

class Server {
 public:
  explicit Server(Config config);
  ~Server();

  // Binds, starts the shard threads and blocks until shutdown. Returns the exit code.
  int Run();
  // Stops accepting and ends every shard's loop. Thread-safe; idempotent.
  void RequestShutdown(std::string_view reason);
  // SHUTDOWN and SIGTERM: saves as Persistence::SaveBeforeShutdown says, then shuts down.
  // A failed save stops the shutdown (returns false) only when there is no log to fall back
  // on and force is not set. From a shard thread.
  boost::asio::awaitable<bool> Shutdown(std::string reason, bool save, bool nosave, bool force);

  ShardSet& shards() { return shards_; }
  Persistence& persistence() { return persistence_; }
  replication::Replication& replication() { return *replication_; }
  const std::string& run_id() const { return run_id_; }
  std::chrono::system_clock::time_point started() const { return started_; }
  // The heap before the data was loaded (INFO's used_memory_startup).
  int64_t startup_memory() const { return startup_memory_; }
  uint16_t port() const { return port_; }
  uint16_t tls_port() const { return tls_port_; }          // 0: no TLS listener
  uint16_t metrics_port() const { return metrics_port_; }  // 0: no metrics-port listener
  uint16_t http_port() const { return http_port_; }        // 0: no http-port listener
  const std::string& executable() const { return executable_; }
  void set_executable(std::string path) { executable_ = std::move(path); }

  // While the data loads at start-up (Persistence::Recover on a loader thread): commands not
  // flagged kLoading are refused with -LOADING, and nothing that serves touches the
  // partitions or the journals. Thread-safe.
  bool loading() const { return loading_.load(std::memory_order_acquire); }
  const Supervision& supervision() const { return supervision_; }
  ClientPause& client_pause() { return client_pause_; }
  // Whether the server may change data of its own accord (pruning decaying keys): a loaded
  // primary whose writes are not paused and whose logs take writes. Thread-safe.
  bool OwnChangesAllowed();

  // Thread-safe counters, touched on connect and disconnect only.
  uint64_t NextClientId() { return next_client_id_.fetch_add(1); }
  void ClientConnected() { connected_.fetch_add(1, std::memory_order_relaxed); }
  void ClientDisconnected() { connected_.fetch_sub(1, std::memory_order_relaxed); }
  int64_t connected_clients() const { return connected_.load(std::memory_order_relaxed); }

 private:
  // What a listener's connections speak: RESP (or HTTP, told by the first bytes) in plaintext
  // or TLS, or HTTP only (metrics-port; http-port, HTTPS when tls-port is set).
  enum class ListenerKind { kPlain, kTls, kMetrics, kHttp };
  boost::asio::awaitable<void> Accept(boost::asio::ip::tcp::acceptor& acceptor, ListenerKind kind);
  void WaitForSignal(std::shared_ptr<boost::asio::signal_set> signals);
  // The loader thread's work, and what shard 0 does once it is done (Run).
  void Load();
  void Loaded();
  // The once-a-second progress line while loading, on shard 0.
  void LogLoadingProgress(std::shared_ptr<boost::asio::steady_timer> timer);
  void Listen();
  // Binds every address of bind on port; returns the port bound (port 0: the one chosen).
  uint16_t ListenOn(int64_t port, ListenerKind kind, const std::vector<std::string>& bind);

  // Counters first: connections destroyed with the shards still update them.
  std::atomic<uint64_t> next_client_id_{1};
  std::atomic<int64_t> connected_{0};
  std::atomic<bool> stopping_{false};
  // A shutdown's save is running or done: the server changes nothing of its own accord, so
  // what it saves and the stream offset it keeps stay what replicas have.
  std::atomic<bool> saving_to_stop_{false};
  std::atomic<bool> loading_{true};
  bool shutting_down_ = false;                       // shard 0: a signal's save is running
  std::atomic<bool> keep_replication_state_{false};  // set by Shutdown() when the data is kept
  Config config_;
  Supervision supervision_{config_.supervised};
  ClientPause client_pause_;
  ReplicationHost replication_host_{*this};  // what replication_ sees of us
  // Before shards_, so destroyed after them: coroutines in the shards' loops refer to it. Its
  // links (sockets on shard 0) are dropped by Release() when the loops stopped.
  std::unique_ptr<replication::Replication> replication_;
  ShardSet shards_;
  // After shards_: destroyed first, so background jobs finish while the shards still exist.
  Persistence persistence_;
  struct Listener {
    std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor;
    ListenerKind kind;
  };
  std::vector<Listener> acceptors_;
  std::string run_id_;
  std::string executable_;
  std::chrono::system_clock::time_point started_;
  int64_t startup_memory_ = 0;
  uint16_t port_ = 0;
  uint16_t tls_port_ = 0;
  uint16_t metrics_port_ = 0;
  uint16_t http_port_ = 0;
  std::string load_error_;  // why loading failed: Run() throws it once the loops stopped
  size_t next_shard_ = 0;
};

}  // namespace typeahead::server
