#include "replication/replication.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <sstream>
#include <thread>

#include "base/endpoint.h"
#include "base/log.h"
#include "base/random.h"
#include "protocol/ascii.h"
#include "protocol/number.h"
#include "protocol/resp_parser.h"
#include "replication/feed.h"
#include "replication/stream_applier.h"
#include "replication/sync_payload.h"
#include "replication/zstd_stream.h"
#include "storage/file_util.h"
#include "storage/replay.h"
#include "storage/routing.h"
#include "storage/snapshot.h"

namespace typeahead::replication {
namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;

namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// Terms a partition serialises per slice of a full sync: a few milliseconds of its time.
constexpr size_t kSyncSliceTerms = 16 * 1024;

int64_t SecondsSince(Replication::Clock::time_point t) {
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

}  // namespace

// One replica attached to us (primary side). Lives on shard 0; the serving coroutine, the ACK
// reader and links_ share it.
struct ReplicaLink {
  ReplicaLink(asio::io_context& io, tcp::socket s) : socket(std::move(s)), wake(io) {}
  tcp::socket socket;
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
    boost::system::error_code ec;
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
    wake.cancel();
  }
};

// Our link to the primary (replica side).
struct PrimaryLink {
  PrimaryLink(asio::io_context& io, std::string h, int64_t p, size_t shards)
      : host(std::move(h)), port(p), socket(io), wake(io), applier(shards) {}
  std::string host;
  int64_t port;
  tcp::socket socket;
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
    boost::system::error_code ec;
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
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

Replication::Replication(Host& host) : host_(host), replid_(RandomHex40()), replid2_(40, '0') {}

Replication::~Replication() = default;

namespace {
constexpr std::string_view kStateFile = "replication.state";
}

void Replication::LoadState(const std::string& dir) {
  std::string path = dir + "/" + std::string(kStateFile), error;
  if (access(path.c_str(), F_OK) != 0) return;
  auto text = storage::ReadWholeFile(path, &error);
  // Used once: removed before anything else can change the data.
  if (unlink(path.c_str()) != 0 || !storage::SyncDir(dir, &error)) {
    throw std::runtime_error(fmt::format("Can't remove {}: {}", path, strerror(errno)));
  }
  std::istringstream in(text ? *text : "");
  std::string magic, replid;
  uint64_t offset = 0;
  StreamPosition pos;
  if (!(in >> magic >> replid >> offset >> pos.partition >> pos.partitions >> pos.seq) ||
      magic != "typeahead-replication-1" || replid.size() != 40) {
    Log(LogLevel::kWarning, "Ignoring a damaged {}", path);
    return;
  }
  replid_ = replid;
  backlog_ = std::make_unique<Backlog>(static_cast<size_t>(host_.settings().backlog_size));
  backlog_->Reset(offset);
  resume_ = pos;
  Log(LogLevel::kNotice, "Continuing replication history {} at offset {}", replid_, offset);
}

void Replication::SaveState(const std::string& dir) {
  if (!quiesced_ || !backlog_) return;
  std::string text = fmt::format("typeahead-replication-1\n{}\n{}\n{} {} {}\n", replid_,
                                 backlog_->end(), resume_ ? resume_->partition : -1,
                                 resume_ ? resume_->partitions : 0, resume_ ? resume_->seq : 0);
  std::string error;
  if (!storage::WriteFileAtomically(dir + "/" + std::string(kStateFile), text, &error)) {
    Log(LogLevel::kWarning, "Can't save the replication state: {}", error);
  }
}

awaitable<void> Replication::Quiesce() {
  if (primary_) {
    const StreamApplier& a = primary_->applier;
    quiesced_host_ = primary_->host;
    quiesced_port_ = primary_->port;
    primary_->stopped = true;
    primary_->Close();
    asio::steady_timer poll(host_.home());
    while (applying_) {
      poll.expires_after(std::chrono::milliseconds(1));
      co_await poll.async_wait(kNoThrow);
    }
    // The data matches the offset unless a full sync is replacing it.
    if (primary_->ever_connected && primary_->state != PrimaryLink::State::kSync) {
      resume_ = StreamPosition{a.partition(), a.partitions(), a.seq()};
    } else {
      quiesced_ = false;
      co_return;
    }
  } else {
    resume_.reset();  // a primary's stream announces its first partition anyway
  }
  quiesced_ = true;
}

void Replication::Unquiesce() {
  quiesced_ = false;
  if (!quiesced_host_.empty() && primary_ && primary_->stopped) {
    primary_.reset();
    replica_ = false;  // so ReplicaOf starts a new link instead of saying "already connected"
    ReplicaOf(quiesced_host_, quiesced_port_);
  }
}

void Replication::Start() {
  asio::co_spawn(host_.home(), Cron(), asio::detached);
  const std::string replicaof = host_.settings().replicaof;
  if (backlog_ && replicaof.empty()) {
    EnableFeeds();  // a restarted primary: every write goes on into the stream
  }
  if (!replicaof.empty()) {
    auto space = replicaof.find(' ');
    int64_t port = 0;
    protocol::ParseInt64(std::string_view(replicaof).substr(space + 1), &port);
    ReplicaOf(replicaof.substr(0, space), port);
  }
}

void Replication::Release() {
  for (auto& link : links_) link->Close();
  links_.clear();
  if (primary_) primary_->Close();
  primary_.reset();
  waiters_.clear();
}

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

void Replication::AttachReplica(tcp::socket socket, ReplicaHello hello, std::string replid,
                                std::string offset) {
  auto link = std::make_shared<ReplicaLink>(host_.home(), std::move(socket));
  link->id = ++next_link_id_;
  boost::system::error_code ec;
  auto remote = link->socket.remote_endpoint(ec);
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
    auto [ec, n] = co_await asio::async_write(link->socket, asio::buffer(reply), kNoThrow);
    if (ec) link->Close();
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
    auto [ec, n] = co_await asio::async_write(link->socket, asio::buffer(out), kNoThrow);
    if (ec) break;
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
  auto [lec, ln] = co_await asio::async_write(link->socket, asio::buffer(line), kNoThrow);
  bool ok = !lec;
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
      auto [ec, written] = co_await asio::async_write(link->socket, asio::buffer(wire), kNoThrow);
      if (ec || link->closed) ok = false;
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
  auto [ec, written] = co_await asio::async_write(link->socket, asio::buffer(wire), kNoThrow);
  if (ec || link->closed) co_return false;
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
    auto [ec, n] = co_await link->socket.async_read_some(
        asio::buffer(in.data() + have, in.size() - have), kNoThrow);
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

// ---------------------------------------------------------------------------------------
// Replica side

std::string Replication::ReplicaOf(const std::string& host, int64_t port,
                                   std::string_view requester) {
  std::string asked = requester.empty() ? "" : fmt::format(" (user request from '{}')", requester);
  if (host.empty()) {
    if (!replica_) return "+OK";
    StopFollowing();
    EnsureBacklog();
    ShiftReplid();
    replica_ = false;
    LogSetRole('M');
    EnableFeeds();
    DisconnectReplicas();  // they come back and continue partially with the new replid
    Log(LogLevel::kNotice, "MASTER MODE enabled{}", asked);
    return "+OK";
  }
  if (replica_ && primary_ && primary_->host == host && primary_->port == port) {
    return "+OK Already connected to specified master";
  }
  StopFollowing();
  replica_ = true;
  LogSetRole('S');
  Log(LogLevel::kNotice, "REPLICAOF {}:{} enabled{}", host, port, asked);
  DisableFeeds();
  DisconnectReplicas();
  UpdateGoodReplicas();
  auto& io = host_.home();
  primary_ = std::make_shared<PrimaryLink>(io, host, port, host_.partitions());
  if (resume_) {
    primary_->applier.Resume(resume_->partition, resume_->partitions, resume_->seq);
    resume_.reset();
  }
  Log(LogLevel::kNotice, "Connecting to MASTER {}:{}", host, port);
  asio::co_spawn(io, FollowPrimary(primary_), asio::detached);
  return "+OK";
}

void Replication::StopFollowing() {
  link_up_ = false;
  if (!primary_) return;
  primary_->stopped = true;
  primary_->Close();
  primary_.reset();
}

awaitable<void> Replication::FollowPrimary(std::shared_ptr<PrimaryLink> link) {
  auto& io = host_.home();
  while (!link->stopped) {
    link->state = PrimaryLink::State::kConnecting;
    link->in.clear();
    link->zstd.reset();  // a new connection starts plain
    link->last_io = Clock::now();
    bool ok = co_await Handshake(*link);
    if (ok) ok = co_await Stream(*link);
    link_up_ = false;
    if (link->stopped) break;
    if (link->state == PrimaryLink::State::kConnected) link->down_since = Clock::now();
    link->state = PrimaryLink::State::kConnect;
    link->Close();
    // Reconnect once a second, as Redis's replication cron does.
    asio::steady_timer backoff(io, std::chrono::seconds(1));
    co_await backoff.async_wait(kNoThrow);
    link->socket = tcp::socket(io);
  }
}

namespace {

// Reads what the primary sent into link.in, decompressed once the link is (after the PSYNC
// reply line).
awaitable<bool> ReadMore(PrimaryLink& link) {
  link.raw.resize(64 * 1024);
  auto [ec, n] = co_await link.socket.async_read_some(asio::buffer(link.raw), kNoThrow);
  if (ec || link.stopped) co_return false;
  link.last_io = Replication::Clock::now();
  std::string_view got(link.raw.data(), n);
  if (!link.zstd) {
    link.in.append(got);
  } else if (!link.zstd->Decode(got, &link.in)) {
    Log(LogLevel::kWarning, "Damaged zstd data from the master");
    co_return false;
  }
  co_return true;
}

// The next CRLF-terminated line from the primary, without the CRLF. A primary sends bare
// newlines to keep the link alive while it prepares a snapshot: they are skipped.
awaitable<bool> ReadLine(PrimaryLink& link, std::string* line) {
  for (;;) {
    size_t skip = 0;
    while (skip < link.in.size() && link.in[skip] == '\n') ++skip;
    link.in.erase(0, skip);
    size_t end = link.in.find("\r\n");
    if (end != std::string::npos) {
      line->assign(link.in, 0, end);
      link.in.erase(0, end + 2);
      co_return true;
    }
    if (link.in.size() > 64 * 1024) co_return false;
    if (!co_await ReadMore(link)) co_return false;
  }
}

// Sends request and reads the reply line.
awaitable<bool> Exchange(PrimaryLink& link, std::string request, std::string* line) {
  auto [ec, n] = co_await asio::async_write(link.socket, asio::buffer(request), kNoThrow);
  if (ec) co_return false;
  co_return co_await ReadLine(link, line);
}

}  // namespace

awaitable<bool> Replication::Handshake(PrimaryLink& link) {
  tcp::resolver resolver(host_.home());
  auto [rec, endpoints] =
      co_await resolver.async_resolve(link.host, std::to_string(link.port), kNoThrow);
  if (rec) {
    Log(LogLevel::kWarning, "Unable to resolve MASTER {}: {}", link.host, rec.message());
    co_return false;
  }
  auto [cec, ep] = co_await asio::async_connect(link.socket, endpoints, kNoThrow);
  if (cec || link.stopped) {
    Log(LogLevel::kWarning, "Error condition on socket for SYNC: {}", cec.message());
    co_return false;
  }
  boost::system::error_code ec;
  link.socket.set_option(tcp::no_delay(true), ec);
  Log(LogLevel::kNotice, "MASTER <-> REPLICA sync started");
  const Settings config = host_.settings();
  std::string line;
  // Each step: send, read the reply line. REPLCONF errors are ignored, as Redis does.
  if (!co_await Exchange(link, Command("PING"), &line)) co_return false;
  if (!line.starts_with("+") && !line.starts_with("-NOAUTH")) {
    Log(LogLevel::kWarning, "Error reply to PING from master: '{}'", line);
    co_return false;
  }
  if (!config.masterauth.empty()) {
    if (!co_await Exchange(link, Command("AUTH", config.masterauth), &line)) co_return false;
    if (!line.starts_with("+")) {
      Log(LogLevel::kWarning, "Unable to AUTH to MASTER: {}", line);
      co_return false;
    }
  }
  std::string port = std::to_string(config.announce_port > 0 ? config.announce_port : host_.port());
  if (!co_await Exchange(link, Command("REPLCONF", "listening-port", port), &line)) {
    co_return false;
  }
  if (!config.announce_ip.empty()) {
    std::string ip = config.announce_ip;
    if (!co_await Exchange(link, Command("REPLCONF", "ip-address", ip), &line)) co_return false;
  }
  if (!co_await Exchange(link, Command("REPLCONF", "capa", "eof", "capa", "psync2"), &line)) {
    co_return false;
  }
  // Our own capability: a typeahead primary with repl-compression zstd answers +zstd; any
  // other answer (a Redis primary's error included) means a plain link.
  if (!co_await Exchange(link, Command("REPLCONF", "compression", "zstd"), &line)) {
    co_return false;
  }
  bool compressed = line == "+zstd";
  std::string psync;
  if (backlog_) {
    std::string offset = std::to_string(backlog_->end() + 1);
    psync = Command("PSYNC", replid_, offset);
  } else {
    psync = Command("PSYNC", "?", "-1");
  }
  if (!co_await Exchange(link, psync, &line)) co_return false;
  if (compressed) {
    // Whatever came after the reply line is compressed, and so is all that follows.
    link.zstd = std::make_unique<ZstdStreamDecoder>();
    std::string rest = std::exchange(link.in, {});
    if (!link.zstd->Decode(rest, &link.in)) co_return false;
  }
  if (line.starts_with("+FULLRESYNC ")) {
    auto words = std::string_view(line).substr(12);
    auto space = words.find(' ');
    int64_t offset = -1;
    if (space != 40 || !protocol::ParseInt64(words.substr(space + 1), &offset) || offset < 0) {
      Log(LogLevel::kWarning, "Bad FULLRESYNC reply from master: '{}'", line);
      co_return false;
    }
    Log(LogLevel::kNotice, "Full resync from master: {}:{}", words.substr(0, 40), offset);
    co_return co_await LoadPayload(link, std::string(words.substr(0, 40)),
                                   static_cast<uint64_t>(offset));
  }
  if (line.starts_with("+CONTINUE")) {
    std::string id = line.size() >= 50 ? line.substr(10, 40) : replid_;
    if (id != replid_) {
      // The primary was promoted: our history is its secondary one.
      replid2_ = replid_;
      second_offset_ = static_cast<int64_t>(backlog_->end() + 1);
      replid_ = id;
      DisconnectReplicas();
    }
    // The stream continues where it broke off: the applier keeps its state.
    Log(LogLevel::kNotice, "Successful partial resynchronization with master.");
    link.state = PrimaryLink::State::kConnected;
    link.ever_connected = true;
    link_up_ = true;
    co_return true;
  }
  Log(LogLevel::kWarning, "Unexpected reply to PSYNC from master: '{}'", line);
  co_return false;
}

awaitable<bool> Replication::LoadPayload(PrimaryLink& link, std::string replid, uint64_t offset) {
  link.state = PrimaryLink::State::kSync;
  link.sync_read_bytes = 0;
  std::string line;
  if (!co_await ReadLine(link, &line)) co_return false;
  if (!line.starts_with("$EOF:") || line.size() != 45) {
    Log(LogLevel::kWarning, "Unexpected full-sync header from master: '{}'", line.substr(0, 64));
    co_return false;
  }
  SyncPayloadDecoder decoder(line.substr(5));
  for (;;) {
    size_t used = decoder.Feed(link.in);
    link.sync_read_bytes += used;
    link.in.erase(0, used);
    if (!decoder.error().empty()) {
      Log(LogLevel::kWarning, "{}", decoder.error());
      co_return false;
    }
    if (decoder.done()) break;
    if (!co_await ReadMore(link)) co_return false;
  }
  Log(LogLevel::kNotice, "MASTER <-> REPLICA sync: received {} bytes of payload",
      link.sync_read_bytes);
  // Decode on a thread of our own into fresh partitions: shard 0 keeps serving meanwhile.
  size_t local = host_.partitions();
  struct Load {
    std::vector<storage::Partition> staging;
    std::string error;
    std::atomic<bool> done{false};
  };
  auto load = std::make_shared<Load>();
  load->staging.resize(local);
  std::vector<uint64_t> cuts;
  for (const auto& part : decoder.parts()) cuts.push_back(part.cut);
  std::thread loader([load, &decoder, local] {
    auto sink = [&](std::string_view key, std::string_view term, int64_t freq) {
      return static_cast<bool>(
          load->staging[storage::PartitionOfTerm(term, local)].IncrBy(key, term, freq));
    };
    for (size_t p = 0; p < decoder.parts().size() && load->error.empty(); ++p) {
      storage::SnapshotInfo info;
      std::string name = fmt::format("from the master (partition {})", p);
      if (!storage::DecodeSnapshot(decoder.parts()[p].snapshot, name, sink, &info, &load->error)) {
        break;
      }
      std::string().swap(decoder.parts()[p].snapshot);
    }
    load->done = true;
  });
  asio::steady_timer poll(host_.home());
  while (!load->done) {
    poll.expires_after(std::chrono::milliseconds(20));
    co_await poll.async_wait(kNoThrow);
  }
  loader.join();
  if (!load->error.empty()) {
    Log(LogLevel::kWarning, "MASTER <-> REPLICA sync: {}", load->error);
    co_return false;
  }
  if (link.stopped) co_return false;
  // Swap every partition in, then make our own files match before applying the stream.
  for (size_t i = 0; i < local; ++i) {
    auto swap_in = [&, i](PartitionSide& s) { s.partition().Replace(std::move(load->staging[i])); };
    co_await host_.RunOn(i, swap_in);
  }
  load.reset();
  Log(LogLevel::kNotice, "MASTER <-> REPLICA sync: Finished with success");
  for (int attempt = 0; attempt < 600; ++attempt) {
    if (co_await host_.Checkpoint("replica full sync")) break;
    if (!host_.CheckpointRunning()) {
      Log(LogLevel::kWarning, "Checkpoint after the full sync failed; the logs still follow");
      break;
    }
    poll.expires_after(std::chrono::milliseconds(100));  // one is running; take ours after it
    co_await poll.async_wait(kNoThrow);
  }
  replid_ = std::move(replid);
  replid2_ = std::string(40, '0');
  second_offset_ = -1;
  if (!backlog_) {
    backlog_ = std::make_unique<Backlog>(static_cast<size_t>(host_.settings().backlog_size));
  }
  backlog_->Reset(offset);
  link.applier.Reset();
  const SyncPayloadDecoder::Resume& resume = decoder.resume();
  link.applier.Resume(resume.partition, resume.partitions, resume.seq);
  link.applier.SetCuts(std::move(cuts), resume.skip);
  link.state = PrimaryLink::State::kConnected;
  link.ever_connected = true;
  link_up_ = true;
  co_return true;
}

awaitable<bool> Replication::Stream(PrimaryLink& link) {
  for (;;) {
    while (hold_stream_) {  // a replica of ours is cutting its snapshot (FullSync)
      link.wake.expires_after(std::chrono::milliseconds(1));
      co_await link.wake.async_wait(kNoThrow);
    }
    if (!link.in.empty()) {
      size_t used = 0;
      if (!link.applier.Consume(link.in, &used)) {
        Log(LogLevel::kWarning, "Protocol error in the master's stream: {}", link.applier.error());
        co_return false;
      }
      if (used > 0) {
        applying_ = true;
        co_await ApplyBatches(link);
        applying_ = false;
        // The primary's bytes, unchanged: our offsets stay the primary's (and our own
        // replicas get the same stream).
        std::string_view applied(link.in.data(), used);
        backlog_->Append(applied);
        for (auto& sub : links_) sub->Send(applied);
        link.in.erase(0, used);
      }
      if (link.applier.ack_requested) {
        link.applier.ack_requested = false;
        SendAck(link);
      }
    }
    if (link.stopped) co_return false;
    if (!co_await ReadMore(link)) {
      if (!link.stopped) Log(LogLevel::kWarning, "Connection with master lost.");
      co_return false;
    }
  }
}

awaitable<void> Replication::ApplyBatches(PrimaryLink& link) {
  auto& batches = link.applier.batches();
  // Each shard applies its part and logs it in its own journal; they run in parallel and the
  // last to finish wakes us. Until then nothing touches the bytes the batches point into.
  size_t left = 0;
  asio::steady_timer& wake = link.wake;
  wake.expires_at(asio::steady_timer::time_point::max());
  auto apply = [&batches](PartitionSide& s) {
    StreamApplier::Batch& b = batches[s.id()];
    std::string error;
    std::vector<std::vector<std::string>> records;
    std::vector<std::string_view> views;
    for (const auto& op : b.ops) {
      std::span<const std::string_view> args(&b.args[op.arg_begin], op.arg_count);
      if (op.source < 0) {
        if (storage::ApplyLogged(&s.partition(), args, &error)) {
          s.LogApplied(args);
        } else {
          Log(LogLevel::kWarning, "Replication stream: {}", error);
        }
        continue;
      }
      records.clear();
      if (!storage::ApplyLoggedFrom(&s.partition(), args, static_cast<size_t>(op.source),
                                    op.sources, &records, &error)) {
        Log(LogLevel::kWarning, "Replication stream: {}", error);
      }
      for (const auto& record : records) {
        views.assign(record.begin(), record.end());
        s.LogApplied(views);
      }
    }
    b.Clear();
  };
  for (size_t i = 1; i < host_.partitions(); ++i) {
    if (batches[i].ops.empty()) continue;
    ++left;
    host_.Post(i, [&](PartitionSide& side) {
      apply(side);
      host_.Post(0, [&](PartitionSide&) {
        if (--left == 0) wake.cancel();
      });
    });
  }
  if (!batches[0].ops.empty()) apply(host_.home_side());
  // Until every shard is done, even when the link closes meanwhile (Close() cancels wake, as
  // REPLICAOF NO ONE does in a failover): the batches point into link.in, which the caller
  // erases as soon as this returns, and its ACK must not count what a shard still applies.
  while (left > 0) co_await wake.async_wait(kNoThrow);
}

void Replication::SendAck(PrimaryLink& link) {
  if (link.state != PrimaryLink::State::kConnected || !backlog_) return;
  std::string offset = std::to_string(backlog_->end());
  std::string ack = Command("REPLCONF", "ACK", offset);
  boost::system::error_code ec;
  asio::write(link.socket, asio::buffer(ack), ec);  // small; the socket buffer takes it
}

// ---------------------------------------------------------------------------------------
// Both

awaitable<void> Replication::Cron() {
  asio::steady_timer timer(host_.home());
  for (;;) {
    timer.expires_after(std::chrono::seconds(1));
    auto [ec] = co_await timer.async_wait(kNoThrow);
    if (ec) co_return;
    const Settings config = host_.settings();
    if (primary_) {
      if (primary_->state == PrimaryLink::State::kConnected) SendAck(*primary_);
      if (primary_->state != PrimaryLink::State::kConnect &&
          SecondsSince(primary_->last_io) > config.timeout) {
        Log(LogLevel::kWarning, "MASTER timeout: no data nor PING received...");
        primary_->Close();
      }
    }
    for (auto& link : links_) {
      if (link->state == ReplicaLink::State::kOnline &&
          SecondsSince(link->last_ack) > config.timeout) {
        Log(LogLevel::kWarning, "Disconnecting timedout replica: {}:{}", link->hello.ip,
            link->hello.listening_port);
        link->Close();
      }
    }
    if (!replica_ && !links_.empty() && SecondsSince(last_ping_) >= config.ping_period) {
      last_ping_ = Clock::now();
      Feed(Command("PING"));
    }
    if (backlog_ && backlog_->capacity() != static_cast<size_t>(config.backlog_size)) {
      backlog_->Resize(static_cast<size_t>(config.backlog_size));
    }
    UpdateGoodReplicas();
  }
}

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
