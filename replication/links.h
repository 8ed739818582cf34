// The two kinds of replication link and the helpers every part of Replication shares: a
// ReplicaLink is one replica attached to us (primary side, replication/primary.cc), a
// PrimaryLink our link to the primary we follow (replica side, replication/replica.cc).
// Internal to replication/: nothing outside it includes this.
//
// Threading: links live on the home loop (shard 0's) and are touched only there.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/log.h"
#include "replication/feed.h"
#include "replication/link_socket.h"
#include "replication/replication.h"
#include "replication/stream_applier.h"
#include "replication/zstd_stream.h"

namespace typeahead::replication {

namespace asio = boost::asio;
using asio::ip::tcp;

inline constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
inline int64_t SecondsSince(Replication::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(Replication::Clock::now() - t).count();
}

// Variadic rather than an initializer_list: GCC 12 cannot keep the list's array in a
// coroutine frame ("array used as initializer").
template <typename... A>
std::string Command(const A&... args) {
  const std::string_view list[] = {args...};
  std::string out;
  AppendCommand(&out, list);
  return out;
}

// One replica attached to us (primary side). Lives on shard 0; the serving coroutine, the ACK
// reader and links_ share it.
struct ReplicaLink {
  ReplicaLink(asio::io_context& io, LinkSocket s) : socket(std::move(s)), wake(io) {}
  LinkSocket socket;
  asio::steady_timer wake;  // wakes the writer when pending gets bytes
  uint64_t id = 0;
  ReplicaHello hello;
  std::string peer;  // ip:port of the socket, as CLIENT KILL ADDR names it
  enum class State { kSyncing, kOnline } state = State::kSyncing;
  std::string pending;  // stream bytes not yet written
  uint64_t ack = 0;
  Replication::Clock::time_point last_ack = Replication::Clock::now();
  bool closed = false;
  int64_t hard_limit = 0;
  std::unique_ptr<ZstdStreamEncoder> zstd;  // repl-compression zstd, when the replica offered it
  uint64_t* raw_bytes = nullptr;            // the Replication's totals
  uint64_t* wire_bytes = nullptr;

  // What goes on the socket for these stream bytes.
  std::string Wire(std::string bytes) {
    *raw_bytes += bytes.size();
    if (zstd) {
      std::string out;
      if (!zstd->Encode(bytes, &out)) {
        Log(LogLevel::kWarning, "zstd failed on the link to replica {}:{}", hello.ip,
            hello.listening_port);
        Close();
        return {};
      }
      bytes = std::move(out);
    }
    *wire_bytes += bytes.size();
    return bytes;
  }

  void Send(std::string_view bytes) {
    if (closed) return;
    pending.append(bytes);
    if (hard_limit > 0 && static_cast<int64_t>(pending.size()) > hard_limit) {
      Log(LogLevel::kWarning,
          "Replica {}:{} closed for overcoming of output buffer limits ({} bytes pending).",
          hello.ip, hello.listening_port, pending.size());
      Close();
      return;
    }
    if (state == State::kOnline) wake.cancel();
  }
  void Close() {
    closed = true;
    socket.Close();
    wake.cancel();
  }
};

// Our link to the primary (replica side).
struct PrimaryLink {
  PrimaryLink(asio::io_context& io, std::string h, int64_t p, size_t shards)
      : host(std::move(h)), port(p), socket(io), wake(io), applier(shards) {}
  std::string host;
  int64_t port;
  LinkSocket socket;
  asio::steady_timer wake;
  enum class State { kConnect, kConnecting, kSync, kConnected } state = State::kConnect;
  bool stopped = false;
  std::string in;  // received, not yet consumed
  StreamApplier applier;
  Replication::Clock::time_point last_io = Replication::Clock::now();
  Replication::Clock::time_point down_since = Replication::Clock::now();
  uint64_t sync_read_bytes = 0;
  bool ever_connected = false;
  std::unique_ptr<ZstdStreamDecoder> zstd;  // set when the primary said it compresses
  std::string raw;                          // bytes as read, before decompression

  void Close() {
    socket.Close();
    wake.cancel();
  }
  std::string_view StateName() const {
    switch (state) {
      case State::kConnect:
        return "connect";
      case State::kConnecting:
        return "connecting";
      case State::kSync:
        return "sync";
      case State::kConnected:
        return "connected";
    }
    return "connect";
  }
};

}  // namespace typeahead::replication
