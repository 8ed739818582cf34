#include "server/replication_host.h"

#include "server/server.h"
#include "server/tls_context.h"

namespace typeahead::server {

size_t ReplicationHost::partitions() const { return server_.shards().size(); }

boost::asio::io_context& ReplicationHost::home() { return server_.shards()[0].io(); }

replication::PartitionSide& ReplicationHost::home_side() { return server_.shards()[0]; }

boost::asio::awaitable<void> ReplicationHost::RunOn(
    size_t p, std::function<void(replication::PartitionSide&)> f) {
  auto run = [&f](Shard& s) { f(s); };
  co_await server_.shards().Run(p, run);
}

void ReplicationHost::Post(size_t p, std::function<void(replication::PartitionSide&)> f) {
  ShardSet& shards = server_.shards();
  shards.Post(p, [&shards, p, f = std::move(f)] { f(shards[p]); });
}

replication::Settings ReplicationHost::settings() const {
  const Config& c = server_.shards()[0].config();
  replication::Settings s;
  s.backlog_size = c.repl_backlog_size;
  s.timeout = c.repl_timeout;
  s.ping_period = c.repl_ping_replica_period;
  s.priority = c.replica_priority;
  s.replicaof = c.replicaof;
  s.masteruser = c.masteruser;
  s.masterauth = c.masterauth;
  s.announce_ip = c.replica_announce_ip;
  s.announce_port = c.replica_announce_port;
  s.min_replicas_to_write = c.min_replicas_to_write;
  s.min_replicas_max_lag = c.min_replicas_max_lag;
  s.replica_output_hard_limit = c.output_replica.hard;
  s.tls_replication = c.tls_replication;
  return s;
}

uint16_t ReplicationHost::port() const { return server_.port(); }

uint16_t ReplicationHost::tls_port() const { return server_.tls_port(); }

std::unique_ptr<TlsSession> ReplicationHost::NewTlsClientSession(std::string* error) {
  const std::shared_ptr<const TlsContext>& tls = server_.shards()[0].tls_context();
  if (tls == nullptr || tls->client() == nullptr) {
    *error = "tls-replication is yes but TLS is not configured";
    return nullptr;
  }
  return std::make_unique<TlsSession>(tls->client(), TlsSession::Side::kClient);
}

boost::asio::awaitable<bool> ReplicationHost::Checkpoint(std::string reason) {
  co_return co_await server_.persistence().Checkpoint(std::move(reason));
}

bool ReplicationHost::CheckpointRunning() const { return server_.persistence().in_progress(); }

}  // namespace typeahead::server
