// ReplicationHost is the server's side of replication::Host: it lends replication the shards
// (partition count, work on a shard's thread), shard 0's loop as its home, the live settings,
// the listening ports, shard 0's TLS client context and the persistence checkpoint. Server owns one
// and hands it to Replication, which sees nothing else of the server.
//
// Threading: as replication::Host says; settings() reads shard 0's copy of the configuration,
// so it is called on shard 0's thread.
#pragma once

#include "replication/host.h"

namespace typeahead::server {

class Server;

class ReplicationHost final : public replication::Host {
 public:
  explicit ReplicationHost(Server& server) : server_(server) {}

  size_t partitions() const override;
  boost::asio::io_context& home() override;
  replication::PartitionSide& home_side() override;
  boost::asio::awaitable<void> RunOn(size_t p,
                                     std::function<void(replication::PartitionSide&)> f) override;
  void Post(size_t p, std::function<void(replication::PartitionSide&)> f) override;
  replication::Settings settings() const override;
  uint16_t port() const override;
  uint16_t tls_port() const override;
  std::unique_ptr<TlsSession> NewTlsClientSession(std::string* error) override;
  boost::asio::awaitable<bool> Checkpoint(std::string reason) override;
  bool CheckpointRunning() const override;

 private:
  Server& server_;
};

}  // namespace typeahead::server
