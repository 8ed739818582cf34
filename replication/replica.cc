// The replica side of Replication: REPLICAOF, following the primary (connect, handshake,
// PSYNC), loading a full sync's payload into fresh partitions on a thread of its own, then
// applying the stream on every partition and acknowledging it.
#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <thread>
#include <unordered_map>

#include "base/log.h"
#include "protocol/number.h"
#include "replication/links.h"
#include "replication/replication.h"
#include "replication/sync_payload.h"
#include "storage/replay.h"
#include "storage/routing.h"
#include "storage/snapshot.h"

namespace typeahead::replication {
using asio::awaitable;

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
    link->socket.Reset(io);
  }
}

namespace {

// Reads what the primary sent into link.in, decompressed once the link is (after the PSYNC
// reply line).
awaitable<bool> ReadMore(PrimaryLink& link) {
  link.raw.resize(64 * 1024);
  auto [ec, n] = co_await link.socket.Read(link.raw, 0);
  if (ec || link.stopped) {
    if (!link.socket.tls_error().empty() && !link.stopped) {
      Log(LogLevel::kWarning, "TLS error on the link to the master: {}", link.socket.tls_error());
    }
    co_return false;
  }
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
  bool written = co_await link.socket.Write(request);
  if (!written) co_return false;
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
  auto [cec, ep] = co_await asio::async_connect(link.socket.tcp(), endpoints, kNoThrow);
  if (cec || link.stopped) {
    Log(LogLevel::kWarning, "Error condition on socket for SYNC: {}", cec.message());
    co_return false;
  }
  boost::system::error_code ec;
  link.socket.tcp().set_option(tcp::no_delay(true), ec);
  const Settings config = host_.settings();
  if (config.tls_replication) {
    std::string error;
    std::unique_ptr<TlsSession> session = host_.NewTlsClientSession(&error);
    if (session == nullptr) {
      Log(LogLevel::kWarning, "Unable to connect to MASTER over TLS: {}", error);
      co_return false;
    }
    if (!co_await link.socket.Handshake(std::move(session))) {
      if (!link.stopped) {
        Log(LogLevel::kWarning, "Unable to connect to MASTER over TLS: {}",
            link.socket.tls_error());
      }
      co_return false;
    }
  }
  Log(LogLevel::kNotice, "MASTER <-> REPLICA sync started");
  std::string line;
  // Each step: send, read the reply line. REPLCONF errors are ignored, as Redis does.
  if (!co_await Exchange(link, Command("PING"), &line)) co_return false;
  // A primary that wants a login first answers NOAUTH, or NOPERM to a user without PING.
  if (!line.starts_with("+") && !line.starts_with("-NOAUTH") && !line.starts_with("-NOPERM")) {
    Log(LogLevel::kWarning, "Error reply to PING from master: '{}'", line);
    co_return false;
  }
  if (!config.masterauth.empty()) {
    std::string auth = config.masteruser.empty()
                           ? Command("AUTH", config.masterauth)
                           : Command("AUTH", config.masteruser, config.masterauth);
    if (!co_await Exchange(link, auth, &line)) co_return false;
    if (!line.starts_with("+")) {
      Log(LogLevel::kWarning, "Unable to AUTH to MASTER: {}", line);
      co_return false;
    }
  }
  // The port clients reach us on, as Redis announces it: the TLS one when replication uses TLS,
  // so that Sentinel, which learns replicas from this, connects where they serve TLS.
  uint16_t own = config.tls_replication && host_.tls_port() != 0 ? host_.tls_port() : host_.port();
  std::string port = std::to_string(config.announce_port > 0 ? config.announce_port : own);
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
    // A decaying key's decay reaches every partition its terms may route to, before them;
    // its terms come on the source partition's scale (shift), which Restore converts.
    // Of the source partition's decaying keys; looked up by view, no string per term.
    std::unordered_map<std::string, int64_t, storage::StringHash, std::equal_to<>> shifts;
    auto adopt = [&](std::string_view key, const storage::Decay& d) {
      for (storage::Partition& part : load->staging) part.AdoptDecay(key, d);
      shifts[std::string(key)] = d.shift;
    };
    auto sink = [&](std::string_view key, std::string_view term, int64_t freq,
                    std::string_view payload) {
      auto it = shifts.find(key);
      int64_t shift = it == shifts.end() ? 0 : it->second;
      return static_cast<bool>(load->staging[storage::PartitionOfTerm(term, local)].Restore(
          key, term, freq, payload, shift));
    };
    for (size_t p = 0; p < decoder.parts().size() && load->error.empty(); ++p) {
      storage::SnapshotInfo info;
      std::string name = fmt::format("from the master (partition {})", p);
      if (!storage::DecodeSnapshot(decoder.parts()[p].snapshot, name, sink, adopt, &info,
                                   &load->error)) {
        break;
      }
      std::string().swap(decoder.parts()[p].snapshot);
      shifts.clear();
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
  // Each shard applies its part (its journal logs it); they run in parallel and the
  // last to finish wakes us. Until then nothing touches the bytes the batches point into.
  size_t left = 0;
  asio::steady_timer& wake = link.wake;
  wake.expires_at(asio::steady_timer::time_point::max());
  auto apply = [&batches](PartitionSide& s) {
    StreamApplier::Batch& b = batches[s.id()];
    std::string error;
    for (const auto& op : b.ops) {
      std::span<const std::string_view> args(&b.args[op.arg_begin], op.arg_count);
      // The partition's sink (its journal) logs what changed, so a restarted replica has what
      // it acknowledged.
      bool applied = op.source < 0 ? storage::ApplyLogged(&s.partition(), args, &error)
                                   : storage::ApplyLoggedFrom(&s.partition(), args,
                                                              static_cast<size_t>(op.source),
                                                              op.sources, &error);
      if (!applied) Log(LogLevel::kWarning, "Replication stream: {}", error);
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
  link.socket.WriteNow(ack);  // small; the socket buffer takes it
}

}  // namespace typeahead::replication
