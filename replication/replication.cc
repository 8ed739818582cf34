// Replication's life cycle: the state a clean shutdown saves and the next start takes over,
// start, quiesce for a shutdown, release; and the cron both sides run once a second. The
// primary side is in primary.cc, the replica side in replica.cc, INFO and ROLE in
// replication_info.cc.
#include "replication/replication.h"

#include <fmt/format.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <sstream>

#include "base/log.h"
#include "base/random.h"
#include "protocol/number.h"
#include "replication/links.h"
#include "storage/file_util.h"

namespace typeahead::replication {
using asio::awaitable;

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
  if (!started_) {  // still loading: no stream data to keep an offset for
    quiesced_ = false;
    co_return;
  }
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
  if (!started_) return;  // Start() follows the primary once loaded
  if (!quiesced_host_.empty() && primary_ && primary_->stopped) {
    primary_.reset();
    replica_ = false;  // so ReplicaOf starts a new link instead of saying "already connected"
    ReplicaOf(quiesced_host_, quiesced_port_);
  }
}

namespace {
// "host port" as the replicaof directive keeps it; an empty host when unset.
std::pair<std::string, int64_t> ParseReplicaOf(const std::string& replicaof) {
  auto space = replicaof.find(' ');
  if (replicaof.empty() || space == std::string::npos) return {"", 0};
  int64_t port = 0;
  protocol::ParseInt64(std::string_view(replicaof).substr(space + 1), &port);
  return {replicaof.substr(0, space), port};
}
}  // namespace

void Replication::Announce() {
  auto [host, port] = ParseReplicaOf(host_.settings().replicaof);
  if (host.empty()) return;
  replica_ = true;
  // A link in state kConnect that nothing follows until Start().
  primary_ = std::make_shared<PrimaryLink>(host_.home(), host, port, host_.partitions());
}

void Replication::Start() {
  started_ = true;
  asio::co_spawn(host_.home(), Cron(), asio::detached);
  auto [host, port] = ParseReplicaOf(host_.settings().replicaof);
  if (backlog_ && host.empty()) {
    EnableFeeds();  // a restarted primary: every write goes on into the stream
  }
  if (!host.empty()) {
    primary_.reset();  // Announce()'s placeholder: ReplicaOf starts the real link
    ReplicaOf(host, port);
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

}  // namespace typeahead::replication
