#include "server/server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <thread>

#include "base/log.h"
#include "base/random.h"
#include "replication/replication.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/errors.h"
#include "server/http_endpoints.h"
#include "server/memory_usage.h"
#include "server/tls_context.h"

namespace typeahead::server {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// The addresses of http-port: http-bind's, or bind's when it names none.
const std::vector<std::string>& HttpBind(const Config& config) {
  return config.http_bind.empty() ? config.bind : config.http_bind;
}

// Loopback as Redis counts it: 127.0.0.0/8 and ::1 (and 127/8 mapped into IPv6).
bool IsLoopback(const tcp::endpoint& remote) {
  auto a = remote.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  }
  return a.is_loopback();
}

// Writes the reason and closes. The socket is fresh and the text short: it fits the send
// buffer, so nothing here blocks. What the client already sent (redis-cli sends its command
// at once) is read first: closing with unread input sends a reset, which may destroy the
// reason before the client reads it.
template <typename Socket>
void Refuse(Socket& socket, std::string_view reason) {
  boost::system::error_code ec;
  asio::write(socket, asio::buffer(reason), ec);
  socket.shutdown(Socket::shutdown_send, ec);
  socket.non_blocking(true, ec);
  char sink[4096];
  for (int i = 0; i < 16 && !ec; ++i) socket.read_some(asio::buffer(sink), ec);
  socket.close(ec);
}

}  // namespace

Server::Server(Config config)
    : config_(std::move(config)),
      shards_(static_cast<size_t>(config_.threads), config_),
      persistence_(shards_, config_),
      run_id_(RandomHex40()),
      started_(std::chrono::system_clock::now()) {
  replication_ = std::make_unique<replication::Replication>(replication_host_);
  size_t slots = CommandTable::Get().all().size();
  for (size_t i = 0; i < shards_.size(); ++i) shards_[i].stats().commands.resize(slots);
  Acl users;
  if (auto error = InitialAcl(config_, &users)) throw std::runtime_error(*error);
  users.set_version(1);
  for (size_t i = 0; i < shards_.size(); ++i) shards_[i].AdoptAcl(users);
  for (size_t i = 0; i < shards_.size(); ++i) {
    shards_[i].set_own_changes_gate([this] { return OwnChangesAllowed(); });
  }
}

bool Server::OwnChangesAllowed() {
  // As a client's write would be let through: replicas follow their primary's deletions, a
  // paused server changes nothing, and what cannot be logged is not done; nor, once a
  // shutdown saves, what the save would miss.
  ClientPause::Clock::time_point until;
  return !loading() && !saving_to_stop_ && !stopping_ && !replication_->is_replica() &&
         persistence_.health().failing_logs.load(std::memory_order_relaxed) == 0 &&
         !(client_pause_.set() && client_pause_.Holds(true, &until));
}

Server::~Server() = default;

void Server::Listen() {
  // Port 0 with tls-port set is TLS only, as in Redis; without tls-port, port 0 binds a port
  // the kernel chooses (what the in-process test server listens on).
  if (config_.port != 0 || !TlsEnabled(config_)) {
    port_ = ListenOn(config_.port, ListenerKind::kPlain, config_.bind);
  }
  if (TlsEnabled(config_)) {
    tls_port_ = ListenOn(config_.tls_port, ListenerKind::kTls, config_.bind);
  }
  if (acceptors_.empty()) throw std::runtime_error("Failed listening on any bind address");
  if (config_.metrics_port != 0) {
    metrics_port_ = ListenOn(config_.metrics_port, ListenerKind::kMetrics, config_.bind);
  }
  if (config_.http_port != 0) {
    http_port_ = ListenOn(config_.http_port, ListenerKind::kHttp, HttpBind(config_));
  }
}

uint16_t Server::ListenOn(int64_t port, ListenerKind kind, const std::vector<std::string>& bind) {
  asio::io_context& io = shards_[0].io();
  uint16_t bound = 0;
  for (const std::string& spec : bind) {
    std::string host = spec;
    if (!host.empty() && host[0] == '-') host = host.substr(1);  // "-::1": optional address
    if (host == "*") host = "0.0.0.0";
    if (host == "::*") host = "::";
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) throw std::runtime_error("Invalid bind address '" + spec + "'");
    tcp::endpoint ep(address, static_cast<uint16_t>(port));
    auto acceptor = std::make_unique<tcp::acceptor>(io);
    acceptor->open(ep.protocol());
    acceptor->set_option(tcp::acceptor::reuse_address(true));
    if (address.is_v6()) acceptor->set_option(asio::ip::v6_only(true));
    acceptor->bind(ep, ec);
    if (ec) {
      if (spec[0] == '-') continue;
      throw std::runtime_error(
          fmt::format("Warning: Could not create server {} listening "
                      "socket {}:{}: {}",
                      kind == ListenerKind::kTls       ? "TLS"
                      : kind == ListenerKind::kMetrics ? "metrics"
                      : kind == ListenerKind::kHttp    ? "HTTP"
                                                       : "TCP",
                      host, port, ec.message()));
    }
    acceptor->listen(static_cast<int>(config_.tcp_backlog));
    bound = acceptor->local_endpoint().port();
    acceptors_.push_back({std::move(acceptor), kind});
  }
  return bound;
}

asio::awaitable<void> Server::Accept(tcp::acceptor& acceptor, ListenerKind kind) {
  const HttpListener http = kind == ListenerKind::kMetrics ? HttpListener::kMetrics
                            : kind == ListenerKind::kHttp  ? HttpListener::kHttp
                                                           : HttpListener::kClient;
  const bool tls = kind == ListenerKind::kTls ||
                   (kind == ListenerKind::kHttp && TlsEnabled(shards_[0].config()));
  for (;;) {
    Shard& target = shards_[next_shard_++ % shards_.size()];
    auto [ec, socket] =
        co_await acceptor.async_accept(target.io(), asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || stopping_) co_return;
    if (ec) {
      Log(LogLevel::kWarning, "Accepting client connection: {}", ec.message());
      // Out of descriptors and the like: back off instead of spinning.
      asio::steady_timer t(acceptor.get_executor(), std::chrono::milliseconds(10));
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    ++shards_[0].stats().connections_received;
    const Config& config = shards_[0].config();
    std::string_view refusal;
    if (connected_clients() >= config.maxclients) {
      refusal = errors::kMaxClientsReply;
    } else if (config.protected_mode && shards_[0].acl().default_user().nopass()) {
      boost::system::error_code pec;
      auto remote = socket.remote_endpoint(pec);
      if (pec || !IsLoopback(remote)) refusal = errors::kProtectedModeReply;
    }
    if (!refusal.empty()) {
      ++shards_[0].stats().rejected_connections;
      // A TLS client could not read a plaintext reason: it is closed before its handshake.
      if (tls) {
        boost::system::error_code cec;
        socket.close(cec);
        Log(LogLevel::kVerbose, "Refused a TLS client before its handshake: {}",
            refusal.substr(1, refusal.find('\r') - 1));
      } else if (http != HttpListener::kClient) {
        // An HTTP client reads the reason as a response: 503 (metrics-port) or 429 (http-port)
        // for maxclients, 403 for protected mode, the text without RESP's framing.
        std::string response;
        WriteHttpRefusal(refusal != errors::kMaxClientsReply ? 403
                         : http == HttpListener::kHttp       ? 429
                                                             : 503,
                         refusal.substr(1, refusal.size() - 3), http, &response);
        Refuse(socket, response);
      } else {
        Refuse(socket, refusal);
      }
      continue;
    }
    // The slot is taken here, so a burst of accepts cannot pass maxclients; the connection
    // itself is built on its shard's thread, since it registers in that shard's client table.
    ClientConnected();
    asio::post(target.io(), [this, &target, tls, http, socket = std::move(socket),
                             id = NextClientId()]() mutable {
      // The shard's own context: CONFIG SET may have replaced it since the accept.
      const TlsContext* context = tls ? target.tls_context().get() : nullptr;
      auto conn = std::make_unique<Connection>(*this, target, std::move(socket), id, context, http);
      Connection::Start(std::move(conn));
    });
  }
}

int Server::Run() {
  asio::io_context& io0 = shards_[0].io();
  // Signals first: once we listen, clients (and supervisors) may consider us up and send
  // SIGTERM, which must shut down cleanly rather than kill.
  auto signals = std::make_shared<asio::signal_set>(io0, SIGINT, SIGTERM);
  WaitForSignal(signals);
  startup_memory_ = HeapBytes();
  RefreshUsedMemory();  // maxmemory holds from the first command, before shard 0's cron runs
  if (TlsContextNeeded(config_)) {
    // Before listening: a bad certificate or key stops the start, naming the file.
    std::string error;
    auto tls = TlsContext::Build(config_, &error);
    if (tls == nullptr) throw std::runtime_error("Failed to configure TLS: " + error);
    for (size_t i = 0; i < shards_.size(); ++i) shards_[i].set_tls_context(tls);
  }
  Listen();
  for (auto& listener : acceptors_) {
    asio::co_spawn(io0, Accept(*listener.acceptor, listener.kind), asio::detached);
  }
  Log(LogLevel::kNotice, "typeahead {} (Redis protocol {}) with {} threads, pid {}",
      kTypeaheadVersion, kRedisVersion, shards_.size(), getpid());
  if (config_.port != 0 || !TlsEnabled(config_)) {
    Log(LogLevel::kNotice, "Ready to accept connections tcp on port {}", port_);
  }
  if (TlsEnabled(config_)) {
    Log(LogLevel::kNotice, "Ready to accept connections tls on port {}", tls_port_);
  }
  if (metrics_port_ != 0) {
    Log(LogLevel::kNotice, "Serving /metrics, /healthz and /readyz on port {}", metrics_port_);
  }
  if (http_port_ != 0) {
    Log(LogLevel::kNotice, "Serving the HTTP API and the demo page on {}://{}:{}/",
        TlsEnabled(config_) ? "https" : "http", HttpBind(config_).front(), http_port_);
  }
  supervision_.Notify("STATUS=Loading the data\n");
  // Clients are served from here on; until the data is loaded, what needs it gets -LOADING
  // (loading_), as Redis answers while it loads, so clients and Sentinel see a live server.
  replication_->Announce();
  std::thread loader([this] { Load(); });
  LogLoadingProgress(std::make_shared<asio::steady_timer>(io0));
  shards_.Start(config_.pin_threads);
  shards_.Join();
  persistence_.StopLoading();  // a shutdown while loading: the load gives up
  loader.join();
  replication_->Release();
  persistence_.Close();
  if (keep_replication_state_) replication_->SaveState(config_.dir);
  if (!load_error_.empty()) throw std::runtime_error(load_error_);
  Log(LogLevel::kNotice, "typeahead is now ready to exit, bye bye...");
  return 0;
}

void Server::Load() {
  try {
    persistence_.Recover();
  } catch (const std::exception& e) {
    if (!stopping_) {
      load_error_ = e.what();
      RequestShutdown("Loading the data failed: stopping");
    }
    return;
  }
  asio::post(shards_[0].io(), [this] { Loaded(); });
}

void Server::Loaded() {
  try {
    replication_->LoadState(config_.dir);
  } catch (const std::exception& e) {
    load_error_ = e.what();
    RequestShutdown("Loading the replication state failed: stopping");
    return;
  }
  RefreshUsedMemory();
  persistence_.StartTimers();
  // Release: what the loader wrote into the partitions and journals (before the post that
  // brought us here) is seen by every shard that reads loading() as false.
  loading_.store(false, std::memory_order_release);
  replication_->Start();
  supervision_.Ready(replication_->is_replica());
}

void Server::LogLoadingProgress(std::shared_ptr<asio::steady_timer> timer) {
  timer->expires_after(std::chrono::seconds(1));
  timer->async_wait([this, timer](const boost::system::error_code& ec) {
    if (ec || !loading() || stopping_) return;
    const Persistence& p = persistence_;
    Log(LogLevel::kNotice, "Loading: {:.2f}% ({} of {} bytes), {} s left", p.loading_percent(),
        p.loading_loaded_bytes(), p.loading_total_bytes(), p.loading_eta_seconds());
    LogLoadingProgress(timer);
  });
}

void Server::WaitForSignal(std::shared_ptr<asio::signal_set> signals) {
  signals->async_wait([this, signals](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    const char* reason = sig == SIGINT ? "Received SIGINT scheduling shutdown..."
                                       : "Received SIGTERM scheduling shutdown...";
    if (shutting_down_) {
      // A second signal while the first one's save runs: stop now (the logs hold the data).
      RequestShutdown(std::string(reason) + " (again: not waiting for the save)");
      return;
    }
    shutting_down_ = true;
    WaitForSignal(signals);
    // Trivially copyable captures only (see OffThread in persistence.cc on GCC 12).
    asio::co_spawn(
        shards_[0].io(),
        [this, reason]() -> asio::awaitable<void> {
          co_await Shutdown(reason, false, false, true);
        },
        asio::detached);
  });
}

asio::awaitable<bool> Server::Shutdown(std::string reason, bool save, bool nosave, bool force) {
  Log(LogLevel::kWarning, "{}", reason);
  if (loading()) {
    // Half the data is in memory: saving it would overwrite the files with less. They are as
    // they were, so the next start loads them again, as Redis does.
    RequestShutdown("Shutting down while loading: not saving");
    co_return true;
  }
  saving_to_stop_ = true;
  // No co_await inside && or ||: GCC 12 miscompiles it (an illegal instruction at run time).
  // Stream data in flight is applied first, so what is saved matches the replication offset.
  co_await asio::co_spawn(shards_[0].io(), replication_->Quiesce(), asio::use_awaitable);
  bool saved = true;
  if (!nosave) saved = co_await persistence_.SaveBeforeShutdown(save);
  if (!saved && !force && !persistence_.aof_enabled()) {
    Log(LogLevel::kWarning, "Error trying to save the data before exiting: not exiting.");
    auto resume = [this](Shard&) { replication_->Unquiesce(); };
    co_await shards_.Run(0, resume);
    saving_to_stop_ = false;
    co_return false;
  }
  // The replication offset is worth keeping only with the data it describes on disk.
  bool data_kept = persistence_.aof_enabled() ||
                   (saved && !nosave && (save || !shards_[0].config().save.empty()));
  keep_replication_state_ = data_kept;
  RequestShutdown("Shutting down");
  co_return true;
}

void Server::RequestShutdown(std::string_view reason) {
  if (stopping_.exchange(true)) return;
  Log(LogLevel::kWarning, "{}", reason);
  supervision_.Notify("STOPPING=1\n");
  // Acceptors belong to shard 0: close them there, then stop every loop.
  asio::post(shards_[0].io(), [this] {
    for (auto& a : acceptors_) {
      boost::system::error_code ec;
      a.acceptor->close(ec);
    }
    shards_.Stop();
  });
}

}  // namespace typeahead::server
