// Replication makes this server a primary that streams its changes to replicas, or a replica
// that follows a primary, as Redis does (PSYNC, one ordered command stream with byte offsets,
// a backlog for partial resyncs, replid/replid2 across promotions).
//
// The stream: each shard's ReplicationFeed hands its records to shard 0 once per loop turn;
// shard 0 puts them in one stream, announcing with `REPLCONF PARTITION p n seq` whose records
// follow, appends it to the backlog and to every replica link. So the stream keeps each
// partition's order, which is all the data needs: partitions share no terms.
//
// Full sync: +FULLRESYNC <replid> <offset> where offset is the stream end when the replica
// arrived; then each partition is cut, one after the other, and its snapshot streamed a slice
// at a time (storage/snapshot.h, in memory, with the partition serving between slices) inside
// Redis's diskless `$EOF:<mark>` framing (sync_payload.h); the replica skips the records
// of partition p below p's cut (stream_applier.h). The stream from offset on was buffered for
// the replica meanwhile and follows.
//
// A replica loads the payload on a thread of its own into fresh partitions, swaps them in
// (serving the old data until then), takes a checkpoint so its own files match, and applies
// the stream, appending the primary's bytes unchanged to its own backlog: its offsets are the
// primary's, so after a promotion the other replicas continue partially.
//
// It reaches the server only through Host (replication/host.h), on the host's home loop.
//
// Threads: everything here runs on the home loop's thread (shard 0's) except is_replica(),
// stale() and good_replicas(), which connections read on every write command.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/reply_builder.h"
#include "replication/backlog.h"
#include "replication/host.h"
#include "replication/link_socket.h"

namespace typeahead::replication {

struct ReplicaLink;
struct PrimaryLink;

// What a replica said about itself (REPLCONF) before its PSYNC.
struct ReplicaHello {
  std::string ip;  // REPLCONF ip-address, else the peer's address
  int64_t listening_port = 0;
  bool zstd = false;  // REPLCONF compression zstd, and our repl-compression is zstd
};

class Replication {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Replication(Host& host);
  ~Replication();

  // At start-up, before serving: takes over the replication id and offset a clean shutdown
  // saved (SaveState) with the data, so replicas, or our primary, continue partially. The
  // file is removed at once: after a crash the data on disk may be past that offset.
  void LoadState(const std::string& dir);
  // Before the shard threads run: with `replicaof` set, the server is a replica from its first
  // reply, as Redis is: while the data loads, INFO and ROLE show the primary, link down.
  void Announce();
  // On shard 0's thread once loaded: starts the cron and follows `replicaof` if set.
  void Start();
  // Shutdown, on shard 0 before the last save: stops following the primary and waits for
  // the stream data in flight to be applied, so the data matches the offset SaveState writes.
  boost::asio::awaitable<void> Quiesce();
  // The shutdown was called off: follows the primary again.
  void Unquiesce();
  // After the shard threads stopped and the data is durable: saves the id and offset.
  void SaveState(const std::string& dir);
  // After the shard threads stopped: drops the links (their sockets are shard 0's).
  void Release();

  // Thread-safe.
  bool is_replica() const { return replica_.load(std::memory_order_relaxed); }
  // A replica whose link to the primary is not streaming (replica-serve-stale-data).
  bool stale() const { return is_replica() && !link_up_.load(std::memory_order_relaxed); }
  // Replicas whose last ACK is at most min-replicas-max-lag seconds old (refreshed on every
  // ACK and once a second), for min-replicas-to-write.
  int64_t good_replicas() const { return good_replicas_.load(std::memory_order_relaxed); }

  // REPLICAOF host port, or NO ONE with an empty host. Returns the status reply. requester is
  // the asking client's CLIENT INFO line, for the log (empty: the server itself asks).
  std::string ReplicaOf(const std::string& host, int64_t port, std::string_view requester = {});
  // Whether a replica may sync from us now (a replica must be connected to its primary).
  bool CanServePsync() const;
  // PSYNC on a connection that handed its socket over.
  void AttachReplica(LinkSocket socket, ReplicaHello hello, std::string replid, std::string offset);

  // CLIENT KILL TYPE replica [ADDR ip:port] and TYPE master: closes the links; returns how
  // many. A killed link to the primary reconnects as a broken one would.
  int64_t KillReplicaLinks(const std::string& addr);
  int64_t KillPrimaryLink();

  // "host port" of the primary we follow, or "" (CONFIG REWRITE's replicaof).
  std::string PrimaryAddress() const;

  // INFO replication's lines, ROLE's reply.
  std::string Info() const;
  void Role(protocol::ReplyBuilder& r) const;

  // WAIT: the offset every write made so far ends at (asks the replicas to acknowledge).
  uint64_t WaitTarget();
  size_t AckedAtLeast(uint64_t offset) const;
  // Calls wake once replicas >= needed acknowledged target; returns a handle for CancelWait.
  std::shared_ptr<void> AddWaiter(uint64_t target, size_t needed, std::function<void()> wake);
  void CancelWait(const std::shared_ptr<void>& waiter);

  // For INFO stats.
  uint64_t sync_full() const { return sync_full_; }
  uint64_t sync_partial_ok() const { return sync_partial_ok_; }
  uint64_t sync_partial_err() const { return sync_partial_err_; }
  // Stream and payload bytes sent to replicas, before and after compression.
  uint64_t stream_raw_bytes() const { return stream_raw_bytes_; }
  uint64_t stream_wire_bytes() const { return stream_wire_bytes_; }

 private:
  struct Waiter {
    uint64_t target;
    size_t needed;
    std::function<void()> wake;
  };

  // Primary side.
  void EnsureBacklog();
  void EnableFeeds();
  void DisableFeeds();
  void AppendBatch(size_t partition, uint64_t seq, std::string records);
  void Feed(std::string_view bytes);  // to the backlog and every replica
  void ShiftReplid();
  void DisconnectReplicas();
  void OnAck(ReplicaLink& link, uint64_t offset);
  boost::asio::awaitable<void> ServeReplica(std::shared_ptr<ReplicaLink> link, std::string replid,
                                            std::string offset);
  boost::asio::awaitable<bool> FullSync(std::shared_ptr<ReplicaLink> link);
  boost::asio::awaitable<void> ReadAcks(std::shared_ptr<ReplicaLink> link);

  // Replica side.
  boost::asio::awaitable<void> FollowPrimary(std::shared_ptr<PrimaryLink> link);
  boost::asio::awaitable<bool> Handshake(PrimaryLink& link);
  boost::asio::awaitable<bool> LoadPayload(PrimaryLink& link, std::string replid, uint64_t offset);
  boost::asio::awaitable<bool> Stream(PrimaryLink& link);
  boost::asio::awaitable<void> ApplyBatches(PrimaryLink& link);
  void SendAck(PrimaryLink& link);
  void StopFollowing();

  boost::asio::awaitable<void> Cron();
  void UpdateGoodReplicas();

  Host& host_;
  std::atomic<bool> replica_{false};
  std::atomic<int64_t> good_replicas_{0};
  std::atomic<bool> link_up_{false};
  std::string replid_, replid2_;
  int64_t second_offset_ = -1;
  std::unique_ptr<Backlog> backlog_;
  bool feeds_enabled_ = false;
  int64_t last_partition_ = -1;  // whose records the stream carried last
  std::vector<std::shared_ptr<ReplicaLink>> links_;
  std::shared_ptr<PrimaryLink> primary_;
  std::vector<std::shared_ptr<Waiter>> waiters_;
  uint64_t sync_full_ = 0, sync_partial_ok_ = 0, sync_partial_err_ = 0;
  uint64_t next_link_id_ = 0;
  uint64_t stream_raw_bytes_ = 0, stream_wire_bytes_ = 0;
  bool applying_ = false;  // Stream() is applying a read of the primary's stream
  bool quiesced_ = false;
  bool started_ = false;       // Start() ran: the data is loaded and a primary may be followed
  std::string quiesced_host_;  // the primary Quiesce() stopped following
  int64_t quiesced_port_ = 0;
  // Where the primary's stream stood at our last clean shutdown (see LoadState), for the
  // first link after start-up.
  struct StreamPosition {
    int64_t partition = -1;
    uint32_t partitions = 0;
    uint64_t seq = 0;
  };
  std::optional<StreamPosition> resume_;
  bool hold_stream_ = false;  // FullSync() on a replica is cutting its partitions
  Clock::time_point last_ping_ = Clock::now();
};

}  // namespace typeahead::replication
