// What Replication shows of itself: INFO replication's fields and ROLE's reply, as Redis 7
// names and shapes them (Sentinel and the exporters parse both).
#include <fmt/format.h>

#include "replication/links.h"
#include "replication/replication.h"

namespace typeahead::replication {

std::string Replication::Info() const {
  std::string out;
  auto field = [&](std::string_view name, const auto& value) {
    fmt::format_to(std::back_inserter(out), "{}:{}\r\n", name, value);
  };
  const Settings config = host_.settings();
  uint64_t offset = backlog_ ? backlog_->end() : 0;
  if (!replica_) {
    field("role", "master");
  } else {
    field("role", "slave");
    field("master_host", primary_->host);
    field("master_port", primary_->port);
    bool up = primary_->state == PrimaryLink::State::kConnected;
    field("master_link_status", up ? "up" : "down");
    field("master_last_io_seconds_ago",
          primary_->ever_connected ? SecondsSince(primary_->last_io) : -1);
    bool syncing = primary_->state == PrimaryLink::State::kSync;
    field("master_sync_in_progress", syncing ? 1 : 0);
    field("slave_read_repl_offset", offset);
    field("slave_repl_offset", offset);
    if (syncing) {
      field("master_sync_total_bytes", -1);
      field("master_sync_read_bytes", primary_->sync_read_bytes);
      field("master_sync_left_bytes", -1);
      field("master_sync_perc", "0.00");
      field("master_sync_last_io_seconds_ago", SecondsSince(primary_->last_io));
    }
    if (!up) {
      field("master_link_down_since_seconds",
            primary_->ever_connected ? SecondsSince(primary_->down_since) : -1);
    }
    field("slave_priority", config.priority);
    field("slave_read_only", 1);
    field("replica_announced", 1);
  }
  field("connected_slaves", links_.size());
  if (config.min_replicas_to_write > 0 && !replica_) {
    field("min_slaves_good_slaves", good_replicas());
  }
  for (size_t i = 0; i < links_.size(); ++i) {
    const ReplicaLink& l = *links_[i];
    bool online = l.state == ReplicaLink::State::kOnline;
    field(
        fmt::format("slave{}", i),
        fmt::format("ip={},port={},state={},offset={},lag={}", l.hello.ip, l.hello.listening_port,
                    online ? "online" : "send_bulk", l.ack, online ? SecondsSince(l.last_ack) : 0));
  }
  field("master_failover_state", "no-failover");
  field("master_replid", replid_);
  field("master_replid2", replid2_);
  field("master_repl_offset", offset);
  field("second_repl_offset", second_offset_);
  field("repl_backlog_active", backlog_ ? 1 : 0);
  field("repl_backlog_size", config.backlog_size);
  field("repl_backlog_first_byte_offset", backlog_ ? backlog_->first_byte_offset() : 0);
  field("repl_backlog_histlen", backlog_ ? backlog_->size() : 0);
  return out;
}

void Replication::Role(protocol::ReplyBuilder& r) const {
  uint64_t offset = backlog_ ? backlog_->end() : 0;
  if (replica_) {
    r.Array(5);
    r.Bulk("slave");
    r.Bulk(primary_->host);
    r.Integer(primary_->port);
    r.Bulk(primary_->StateName());
    r.Integer(primary_->state == PrimaryLink::State::kConnected ? static_cast<int64_t>(offset)
                                                                : -1);
    return;
  }
  r.Array(3);
  r.Bulk("master");
  r.Integer(static_cast<int64_t>(offset));
  size_t online = 0;
  for (const auto& link : links_) online += link->state == ReplicaLink::State::kOnline;
  r.Array(online);
  for (const auto& link : links_) {
    if (link->state != ReplicaLink::State::kOnline) continue;
    r.Array(3);
    r.Bulk(link->hello.ip);
    r.Bulk(std::to_string(link->hello.listening_port));
    r.Bulk(std::to_string(link->ack));
  }
}

}  // namespace typeahead::replication
