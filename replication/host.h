// Host is everything replication needs of the server that runs it, and nothing more: how many
// partitions there are, a way to run work on a partition's own thread, the loop replication
// itself runs on, a checkpoint of the data, the settings it reads, the port it announces and
// the TLS client side of a link to a primary.
// The server implements it (server/replication_host.h); replication never names a server type,
// so this layer builds and tests against storage and protocol alone.
//
// Threading: Replication calls a Host only from the home loop's thread (shard 0's). RunOn and
// Post run their function on partition p's thread, with that thread's PartitionSide; a
// PartitionSide is valid only there.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/tls_session.h"
#include "replication/feed.h"
#include "storage/partition.h"

namespace typeahead::replication {

// One partition's thread, as replication sees it.
class PartitionSide {
 public:
  virtual size_t id() const = 0;
  // Its sink logs every change, the ones applied from a primary's stream included, so a
  // restarted replica has what it acknowledged; a full sync's Replace emits nothing.
  virtual storage::Partition& partition() = 0;
  // This partition's side of the stream (a primary's).
  virtual ReplicationFeed& feed() = 0;

 protected:
  ~PartitionSide() = default;
};

// The settings replication reads, copied from the live configuration at each call (CONFIG SET
// changes them while it runs).
struct Settings {
  int64_t backlog_size = 16ll << 20;  // repl-backlog-size
  int64_t timeout = 60;               // repl-timeout, seconds
  int64_t ping_period = 10;           // repl-ping-replica-period, seconds
  int64_t priority = 100;             // replica-priority
  std::string replicaof;              // "host port" to follow at start-up, or empty
  std::string masteruser;             // with masterauth: AUTH <user> <pass>; empty: AUTH <pass>
  std::string masterauth;
  std::string announce_ip;    // replica-announce-ip; empty: the peer's address
  int64_t announce_port = 0;  // replica-announce-port; 0: our own port
  int64_t min_replicas_to_write = 0;
  int64_t min_replicas_max_lag = 10;      // seconds
  int64_t replica_output_hard_limit = 0;  // bytes queued for one replica; 0: no limit
  bool tls_replication = false;           // our link to a primary uses TLS
};

class Host {
 public:
  virtual size_t partitions() const = 0;
  // The loop replication runs on: its links, timers and coroutines live there.
  virtual boost::asio::io_context& home() = 0;
  // The home loop's own partition (partition 0), for work replication does in place.
  virtual PartitionSide& home_side() = 0;
  // Runs f on partition p's thread and resumes the caller on the home thread; inline when p
  // is the home partition. The caller keeps everything f refers to alive until it resumes.
  virtual boost::asio::awaitable<void> RunOn(size_t p, std::function<void(PartitionSide&)> f) = 0;
  // Runs f on partition p's thread later, in order with everything else this thread posts to p.
  virtual void Post(size_t p, std::function<void(PartitionSide&)> f) = 0;
  virtual Settings settings() const = 0;
  // The ports this server listens on (what a replica announces by default); 0: none.
  virtual uint16_t port() const = 0;
  virtual uint16_t tls_port() const = 0;
  // The client side of a TLS link to a primary, from the live TLS settings; null with *error
  // saying why when TLS is not configured.
  virtual std::unique_ptr<TlsSession> NewTlsClientSession(std::string* error) = 0;
  // Saves every partition and starts fresh logs, so our files match the data a full sync just
  // loaded. False when it failed or another checkpoint is running (CheckpointRunning()).
  virtual boost::asio::awaitable<bool> Checkpoint(std::string reason) = 0;
  virtual bool CheckpointRunning() const = 0;

 protected:
  ~Host() = default;
};

}  // namespace typeahead::replication
