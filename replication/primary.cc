// The primary side of Replication: the feeds that put every partition's changes into one
// stream, the backlog, serving a replica (partial resync from the backlog or a full sync of
// every partition's snapshot), its ACKs, WAIT and min-replicas-to-write.
#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/endpoint.h"
#include "base/log.h"
#include "base/random.h"
#include "protocol/ascii.h"
#include "protocol/number.h"
#include "replication/links.h"
#include "replication/replication.h"
#include "replication/sync_payload.h"
#include "storage/snapshot.h"

namespace typeahead::replication {
using asio::awaitable;

namespace {
// Terms a partition serialises per slice of a full sync: a few milliseconds of its time.
constexpr size_t kSyncSliceTerms = 16 * 1024;
}  // namespace

// ---------------------------------------------------------------------------------------
// Primary side

void Replication::EnsureBacklog() {
  if (!backlog_) {
    backlog_ = std::make_unique<Backlog>(static_cast<size_t>(host_.settings().backlog_size));
  }
  if (!replica_) EnableFeeds();
}

void Replication::EnableFeeds() {
  if (feeds_enabled_) return;
  feeds_enabled_ = true;
  last_partition_ = -1;  // the first batch announces its partition
  for (size_t i = 0; i < host_.partitions(); ++i) {
    auto enable = [this, i](PartitionSide& side) {
      side.feed().Enable([this, i](uint64_t seq, std::string records) {
        // Shard 0's batches join the stream at once: WAIT's target and a full sync's cut,
        // taken on shard 0 right after a hand-off, must see them, and with one thread no
        // hop to another shard would run a posted job first.
        if (i == 0) {
          AppendBatch(i, seq, std::move(records));
          return;
        }
        // Through shard 0's mailbox, where this shard's cut and WAIT hops come back too:
        // a batch handed off before one of those returns is in the stream when it does.
        host_.Post(0, [this, i, seq, records = std::move(records)](PartitionSide&) mutable {
          AppendBatch(i, seq, std::move(records));
        });
      });
    };
    // Ours at once: a full sync may cut this partition before a posted job would run. The
    // others' cuts reach their mailboxes after their enable, so they see it.
    if (i == 0) {
      enable(host_.home_side());
    } else {
      host_.Post(i, enable);
    }
  }
}

void Replication::DisableFeeds() {
  if (!feeds_enabled_) return;
  feeds_enabled_ = false;
  host_.home_side().feed().Disable();
  for (size_t i = 1; i < host_.partitions(); ++i) {
    host_.Post(i, [](PartitionSide& side) { side.feed().Disable(); });
  }
}

void Replication::AppendBatch(size_t partition, uint64_t seq, std::string records) {
  if (!feeds_enabled_ || !backlog_) return;  // written before we became a replica
  if (last_partition_ != static_cast<int64_t>(partition)) {
    last_partition_ = static_cast<int64_t>(partition);
    std::string p = std::to_string(partition), n = std::to_string(host_.partitions()),
                s = std::to_string(seq);
    Feed(Command("REPLCONF", "PARTITION", p, n, s));
  }
  Feed(records);
}

void Replication::Feed(std::string_view bytes) {
  backlog_->Append(bytes);
  for (auto& link : links_) link->Send(bytes);
}

void Replication::ShiftReplid() {
  replid2_ = replid_;
  second_offset_ = static_cast<int64_t>((backlog_ ? backlog_->end() : 0) + 1);
  replid_ = RandomHex40();
  Log(LogLevel::kNotice,
      "Setting secondary replication ID to {}, valid up to offset: {}. New "
      "replication ID is {}",
      replid2_, second_offset_, replid_);
}

void Replication::DisconnectReplicas() {
  for (auto& link : links_) link->Close();
  links_.clear();
  UpdateGoodReplicas();
}

int64_t Replication::KillReplicaLinks(const std::string& addr) {
  int64_t n = 0;
  for (auto& link : links_) {
    if (!addr.empty() && link->peer != addr) continue;
    link->Close();
    ++n;
  }
  return n;
}

int64_t Replication::KillPrimaryLink() {
  if (!primary_ || primary_->state == PrimaryLink::State::kConnect) return 0;
  primary_->Close();
  return 1;
}

std::string Replication::PrimaryAddress() const {
  if (!replica_ || !primary_) return "";
  return fmt::format("{} {}", primary_->host, primary_->port);
}

bool Replication::CanServePsync() const {
  return !replica_ || (primary_ && primary_->state == PrimaryLink::State::kConnected);
}

void Replication::AttachReplica(LinkSocket socket, ReplicaHello hello, std::string replid,
                                std::string offset) {
  auto link = std::make_shared<ReplicaLink>(host_.home(), std::move(socket));
  link->id = ++next_link_id_;
  boost::system::error_code ec;
  auto remote = link->socket.tcp().remote_endpoint(ec);
  if (!ec) link->peer = FormatEndpoint(remote);
  link->hello = std::move(hello);
  link->hard_limit = host_.settings().replica_output_hard_limit;
  if (link->hello.zstd) link->zstd = std::make_unique<ZstdStreamEncoder>(1);
  link->raw_bytes = &stream_raw_bytes_;
  link->wire_bytes = &stream_wire_bytes_;
  asio::co_spawn(host_.home(), ServeReplica(std::move(link), std::move(replid), std::move(offset)),
                 asio::detached);
}

awaitable<void> Replication::ServeReplica(std::shared_ptr<ReplicaLink> link, std::string replid,
                                          std::string offset_text) {
  const std::string who = fmt::format("{}:{}", link->hello.ip, link->hello.listening_port);
  int64_t offset = -1;
  protocol::ParseInt64(offset_text, &offset);
  bool same_history = replid == replid_ || (replid == replid2_ && second_offset_ >= 0 &&
                                            offset >= 0 && offset <= second_offset_);
  bool partial =
      backlog_ && same_history && offset >= 0 && backlog_->Covers(static_cast<uint64_t>(offset));
  if (partial) {
    ++sync_partial_ok_;
    EnsureBacklog();
    std::string reply = fmt::format("+CONTINUE {}\r\n", replid_);
    link->pending = backlog_->CopyFrom(static_cast<uint64_t>(offset));
    link->state = ReplicaLink::State::kOnline;
    link->ack = static_cast<uint64_t>(offset - 1);
    links_.push_back(link);
    // The reply line is plain; what follows it may be compressed.
    bool written = co_await link->socket.Write(reply);
    if (!written) link->Close();
    Log(LogLevel::kNotice,
        "Partial resynchronization request from {} accepted. Sending {} bytes of backlog "
        "starting from offset {}.",
        who, backlog_->end() + 1 - static_cast<uint64_t>(offset), offset);
  } else {
    if (replid != "?") {
      ++sync_partial_err_;
      Log(LogLevel::kNotice,
          "Partial resynchronization not accepted for {}: replication ID or offset {} not in "
          "the backlog",
          who, offset_text);
    }
    ++sync_full_;
    Log(LogLevel::kNotice, "Starting full sync to replica {}", who);
    bool ok = co_await FullSync(link);
    if (!ok) {
      link->Close();
      std::erase(links_, link);
      UpdateGoodReplicas();
      co_return;
    }
    Log(LogLevel::kNotice, "Synchronization with replica {} succeeded", who);
  }
  UpdateGoodReplicas();
  asio::co_spawn(host_.home(), ReadAcks(link), asio::detached);
  while (!link->closed) {
    if (link->pending.empty()) {
      link->wake.expires_at(asio::steady_timer::time_point::max());
      co_await link->wake.async_wait(kNoThrow);
      continue;
    }
    std::string out = link->Wire(std::exchange(link->pending, {}));
    bool sent = co_await link->socket.Write(out);
    if (!sent) break;
  }
  if (!link->socket.tls_error().empty()) {
    Log(LogLevel::kNotice, "TLS error on the link to replica {}: {}", who,
        link->socket.tls_error());
  }
  Log(LogLevel::kNotice, "Connection with replica {} lost.", who);
  link->Close();
  std::erase(links_, link);
  UpdateGoodReplicas();
}

awaitable<bool> Replication::FullSync(std::shared_ptr<ReplicaLink> link) {
  EnsureBacklog();
  size_t n = host_.partitions();
  asio::steady_timer poll(host_.home());
  // A replica serving replicas of its own cuts every partition at one stream offset: the
  // stream it relays is its primary's, applied here between reads, so it holds that off
  // while it cuts (and needs no per-partition cuts then).
  bool chained = replica_;
  while (chained && applying_) {
    poll.expires_after(std::chrono::milliseconds(1));
    co_await poll.async_wait(kNoThrow);
  }
  hold_stream_ = chained;
  uint64_t start = backlog_->end();
  if (!chained) last_partition_ = -1;  // the stream from start opens with a partition marker
  link->state = ReplicaLink::State::kSyncing;
  link->pending.clear();
  links_.push_back(link);  // buffers the stream from start while the snapshot goes out
  // Cut every partition. On a primary each hands its buffered records to the stream first,
  // so once the last cut returns here every record below a cut is in the stream.
  std::vector<std::unique_ptr<storage::SnapshotWriter>> writers(n);
  std::vector<uint64_t> cuts(n, 0);
  for (size_t p = 0; p < n; ++p) {
    auto cut = [&, p, chained](PartitionSide& s) {
      if (!chained) {
        s.feed().HandOff();
        cuts[p] = s.feed().seq();
      }
      storage::SnapshotInfo info{static_cast<uint32_t>(p), static_cast<uint32_t>(n), 0};
      writers[p] = std::make_unique<storage::SnapshotWriter>(&s.partition(), "", info);
    };
    co_await host_.RunOn(p, cut);
  }
  uint64_t skip = backlog_->end() - start;
  std::string mark = RandomHex40();
  std::string line = fmt::format("+FULLRESYNC {} {}\r\n", replid_, start);
  std::string head = fmt::format("$EOF:{}\r\n", mark);
  head += PayloadHeader(static_cast<uint32_t>(n));
  if (chained && primary_) {
    const StreamApplier& a = primary_->applier;
    head += PayloadResume(a.partition(), a.partitions(), a.seq(), 0);
  } else {
    head += PayloadResume(-1, 0, 0, chained ? 0 : skip);
  }
  hold_stream_ = false;
  uint64_t payload_bytes = 0, wire_bytes = stream_wire_bytes_;
  bool ok = co_await link->socket.Write(line);
  std::string error;
  for (size_t p = 0; p < n; ++p) {
    std::string chunk = std::move(head);
    head.clear();
    chunk += PayloadPartition(static_cast<uint32_t>(p), cuts[p]);
    bool done = !ok;
    while (!done) {
      std::string data;
      auto step = [&, p](PartitionSide&) {
        storage::SnapshotWriter& w = *writers[p];
        done = w.Step(kSyncSliceTerms);
        if (done && w.ok()) w.file()->Finish(w.info().keys, w.info().terms, &error);
        if (!w.ok() && error.empty()) error = w.error();
        std::string out = w.file()->TakeOutput();
        if (done) writers[p].reset();  // detaches from the partition on its own thread
        data = std::move(out);
      };
      co_await host_.RunOn(p, step);
      if (!error.empty()) ok = false;
      if (!data.empty()) chunk += PayloadData(data);
      payload_bytes += chunk.size();
      std::string wire = link->Wire(std::move(chunk));
      chunk.clear();
      bool written = co_await link->socket.Write(wire);
      if (!written || link->closed) ok = false;
      if (!ok) break;
    }
  }
  for (size_t p = 0; p < n; ++p) {
    if (!writers[p]) continue;
    auto drop = [&, p](PartitionSide&) { writers[p].reset(); };
    co_await host_.RunOn(p, drop);
  }
  if (!ok) {
    if (!error.empty()) Log(LogLevel::kWarning, "Full sync snapshot failed: {}", error);
    co_return false;
  }
  std::string tail = PayloadEnd(mark);
  payload_bytes += tail.size();
  std::string wire = link->Wire(std::move(tail));
  bool tail_sent = co_await link->socket.Write(wire);
  if (!tail_sent || link->closed) co_return false;
  wire_bytes = stream_wire_bytes_ - wire_bytes;
  Log(LogLevel::kNotice,
      "Full sync payload sent: {} bytes ({} on the wire{}); streaming from "
      "offset {}",
      payload_bytes, wire_bytes, link->zstd ? ", zstd" : "", start);
  link->state = ReplicaLink::State::kOnline;
  link->ack = start;
  link->last_ack = Clock::now();
  co_return true;
}

awaitable<void> Replication::ReadAcks(std::shared_ptr<ReplicaLink> link) {
  protocol::RespParser parser;
  std::string in(4096, '\0');
  size_t have = 0;
  while (!link->closed) {
    if (have == in.size()) in.resize(in.size() * 2);
    auto [ec, n] = co_await link->socket.Read(in, have);
    if (ec) break;
    have += n;
    size_t used = 0;
    while (used < have) {
      auto status = parser.Parse(std::string_view(in.data() + used, have - used));
      if (status != protocol::RespParser::Status::kCommand) break;
      const auto& args = parser.args();
      if (args.size() >= 3 && EqualsIgnoreCase(args[0], "REPLCONF") &&
          EqualsIgnoreCase(args[1], "ACK")) {
        int64_t offset;
        if (protocol::ParseInt64(args[2], &offset) && offset >= 0) {
          OnAck(*link, static_cast<uint64_t>(offset));
        }
      }
      used += parser.consumed();
    }
    std::memmove(in.data(), in.data() + used, have - used);
    have -= used;
    if (have > 1024 * 1024) break;  // a replica sends acks, nothing that large
  }
  link->Close();
}

void Replication::OnAck(ReplicaLink& link, uint64_t offset) {
  link.ack = std::max(link.ack, offset);
  link.last_ack = Clock::now();
  UpdateGoodReplicas();
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (AckedAtLeast((*it)->target) >= (*it)->needed) {
      (*it)->wake();
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
}

uint64_t Replication::WaitTarget() {
  uint64_t target = backlog_ ? backlog_->end() : 0;
  if (!links_.empty() && backlog_ && !replica_) Feed(Command("REPLCONF", "GETACK", "*"));
  return target;
}

size_t Replication::AckedAtLeast(uint64_t offset) const {
  size_t n = 0;
  for (const auto& link : links_) {
    if (link->state == ReplicaLink::State::kOnline && link->ack >= offset) ++n;
  }
  return n;
}

std::shared_ptr<void> Replication::AddWaiter(uint64_t target, size_t needed,
                                             std::function<void()> wake) {
  auto w = std::make_shared<Waiter>(Waiter{target, needed, std::move(wake)});
  waiters_.push_back(w);
  return w;
}

void Replication::CancelWait(const std::shared_ptr<void>& waiter) {
  std::erase_if(waiters_, [&](const auto& w) { return w.get() == waiter.get(); });
}

void Replication::UpdateGoodReplicas() {
  const Settings config = host_.settings();
  int64_t good = 0;
  for (const auto& link : links_) {
    if (link->state == ReplicaLink::State::kOnline &&
        SecondsSince(link->last_ack) <= config.min_replicas_max_lag) {
      ++good;
    }
  }
  good_replicas_.store(good, std::memory_order_relaxed);
}

}  // namespace typeahead::replication
