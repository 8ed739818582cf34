#include "server/connection.h"

#include <fmt/format.h>
#include <string.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "base/endpoint.h"
#include "base/log.h"
#include "base/tls_session.h"
#include "protocol/ascii.h"
#include "replication/replication.h"
#include "server/acl_change.h"
#include "server/command_table.h"
#include "server/dispatcher.h"
#include "server/errors.h"
#include "server/http.h"
#include "server/memory_usage.h"
#include "server/monitor.h"
#include "server/ranked_read.h"
#include "server/server.h"
#include "server/shard.h"
#include "server/tls_context.h"

namespace typeahead::server {
namespace asio = boost::asio;
using asio::awaitable;

namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
}  // namespace

Connection::Connection(Server& server, Shard& shard, asio::ip::tcp::socket socket, uint64_t id,
                       const TlsContext* tls, HttpListener listener)
    : server_(server),
      shard_(shard),
      socket_(std::move(socket), &ReadDone, this),
      wake_(socket_.get_executor()),
      batch_(server.shards(), shard, wake_, {&addr_, &name}),
      id_(id) {
  boost::system::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) addr_ = FormatEndpoint(remote);
  auto local = socket_.local_endpoint(ec);
  if (!ec) laddr_ = FormatEndpoint(local);
  fd_ = socket_.native_handle();
  created_ = last_interaction_ = Clock::now();
  SetDefaultUser();
  reply_.set_error_counts(&shard_.stats().errors);
  parser_.set_limits({.max_bulk_len = static_cast<size_t>(shard_.config().proto_max_bulk_len)});
  if (tls != nullptr) tls_ = std::make_unique<TlsSession>(tls->get());
  listener_ = listener;
  if (listener != HttpListener::kClient) {
    sniffed_ = true;
    http_ = std::make_unique<HttpRequestReader>(shard_.config().http_max_body);
  }
  shard_.clients()[id_] = this;  // the slot in connected_clients was taken by Server::Accept
}

Connection::~Connection() {
  Unwatch();
  StopMonitor();
  for (const auto& c : channels_) shard_.pubsub().Unsubscribe(this, c);
  for (const auto& p : patterns_) shard_.pubsub().PUnsubscribe(this, p);
  shard_.clients().erase(id_);
  server_.ClientDisconnected();
}

void Connection::Start(Owner self) {
  self->in_.resize(kReadChunk);
  Connection* c = self.get();
  c->Read(std::move(self));
}

void Connection::Kill() {
  killed_ = true;
  WakeFromPause();
  boost::system::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

awaitable<bool> Connection::FlushOutput() {
  if (out_.empty()) co_return !killed_;
  co_return co_await Flush();
}

int Connection::ReleaseSocket(asio::ip::tcp* protocol, std::unique_ptr<TlsSession>* tls) {
  *tls = std::move(tls_);
  boost::system::error_code ec;
  auto local = socket_.local_endpoint(ec);
  *protocol = !ec && local.address().is_v6() ? asio::ip::tcp::v6() : asio::ip::tcp::v4();
  killed_ = true;
  return socket_.release(ec);
}

void Connection::Reset() {
  DiscardMulti();
  StopMonitor();
  while (!channels_.empty()) RemoveChannel(*channels_.begin());
  while (!patterns_.empty()) RemovePattern(*patterns_.begin());
  resp = 2;
  reply_.set_resp3(false);
  name.clear();
  SetDefaultUser();
}

void Connection::SetDefaultUser() {
  user = &shard_.acl().default_user();
  authenticated = user->enabled() && user->nopass();
}

void Connection::LogAclDenial(std::string_view reason, std::string_view object,
                              std::string_view username, bool in_multi) {
  ShardStats& stats = shard_.stats();
  if (reason == "command") ++stats.acl_denied_cmd;
  if (reason == "key") ++stats.acl_denied_key;
  if (reason == "channel") ++stats.acl_denied_channel;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  LogAclEvent(server_.shards(), {.reason = std::string(reason),
                                 .context = in_multi ? "multi" : "toplevel",
                                 .object = std::string(object),
                                 .username = std::string(username),
                                 .ms = ms,
                                 .client_info = Describe()});
}

std::string Connection::Describe() const {
  auto now = Clock::now();
  auto age = std::chrono::duration_cast<std::chrono::seconds>(now - created_).count();
  auto idle = std::chrono::duration_cast<std::chrono::seconds>(now - last_interaction_).count();
  return fmt::format(
      "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db=0 sub={} psub={} ssub=0 "
      "multi=-1 qbuf={} qbuf-free={} argv-mem=0 multi-mem=0 rbs={} rbp=0 obl=0 oll=0 omem={} "
      "tot-mem={} events=r cmd={} user={} redir=-1 resp={} lib-name={} lib-ver={}",
      id_, addr_, laddr_, fd_, name, age, idle, subscriptions() > 0 ? "P" : "N", channels_.size(),
      patterns_.size(), query_bytes(), in_.size() - query_bytes(), in_.size(), output_bytes(),
      buffer_bytes(), last_command_, user->name(), resp, lib_name, lib_ver);
}

void Connection::PrepareRead() {
  // Keep the unconsumed input at the front and at least kReadChunk free after it; for a large
  // bulk, room for what it still needs, but never more than the buffer already holds: the
  // buffer grows by doubling as the bytes really arrive, so a client that announces a 500 MB
  // bulk and sends nothing costs us one chunk, not 500 MB of zeroed pages.
  size_t pending = in_end_ - in_start_;
  size_t want = std::max(kReadChunk, std::min(parser_.bytes_hint(), in_.size()));
  if (in_.size() - in_end_ >= want) return;
  if (in_start_ > 0) {
    std::memmove(in_.data(), in_.data() + in_start_, pending);
    in_start_ = 0;
    in_end_ = pending;
  }
  if (in_.size() - in_end_ < want) in_.resize(std::max(in_.size() * 2, in_end_ + want));
}

void Connection::Read(Owner self) {
  if (killed_) return Finish(std::move(self));
  if (subscriptions() > 0 || monitor_) return Spawn(std::move(self), Slow::kSubscriberWait);
  PrepareRead();
  reader_ = std::move(self);
  socket_.ReadSome(in_.data() + in_end_, in_.size() - in_end_);
}

void Connection::ReadDone(void* target, bool abandoned, boost::system::error_code ec, size_t n) {
  auto* c = static_cast<Connection*>(target);
  Owner self = std::move(c->reader_);
  if (!abandoned) c->OnRead(std::move(self), ec, n);
}

void Connection::OnRead(Owner self, boost::system::error_code ec, size_t n) {
  if (ec || killed_) return Finish(std::move(self));
  shard_.stats().net_input_bytes += n;
  ++shard_.stats().reads_processed;
  if (tls_ != nullptr && !ReceiveTls(&n)) return Finish(std::move(self));
  in_end_ += n;
  last_interaction_ = clock_mark_ = Clock::now();
  Process(std::move(self));
}

void Connection::Process(Owner self) {
  if (!sniffed_) {
    // HTTP or RESP, from the first bytes (after a TLS handshake, the first plaintext ones).
    Sniff sniff = SniffHttp(std::string_view(in_.data() + in_start_, in_end_ - in_start_));
    if (sniff == Sniff::kNeedMore) return AfterTurn(std::move(self));
    sniffed_ = true;
    if (sniff == Sniff::kHttp) {
      http_ = std::make_unique<HttpRequestReader>(shard_.config().http_max_body);
    }
  }
  if (http_ != nullptr) return Spawn(std::move(self), Slow::kHttp);
  switch (ProcessSome()) {
    case Step::kDone:
      break;
    case Step::kClose:
      keep_ = false;
      break;
    case Step::kPending:
      batch_.Start(resp == 3);
      return Park(std::move(self), Then::kProcess);
    case Step::kAsync:
      return Spawn(std::move(self), Slow::kAsyncCommand);
    case Step::kFlush:
      return Spawn(std::move(self), Slow::kFlushMidTurn);
    case Step::kPaused:
      return Spawn(std::move(self), Slow::kPaused);
  }
  if (out_.empty()) return AfterTurn(std::move(self));
  // One turn of the loop first: the other clients whose requests arrived with this one are
  // served, and the replies leave together at the end of the batch, as Redis writes them
  // before it sleeps. A client reading many connections then finds many ready at once
  // instead of waking for each.
  asio::post(shard_.io(), [self = std::move(self)]() mutable {
    Connection* c = self.get();
    c->AfterTurn(std::move(self));
  });
}

void Connection::AfterTurn(Owner self) {
  if (killed_) return Finish(std::move(self));
  if (!out_.empty() && batch_.DurabilityDue()) {
    batch_.StartDurable();
    return Park(std::move(self), Then::kWrite);
  }
  Write(std::move(self));
}

void Connection::Write(Owner self) {
  switch (TryWrite()) {
    case WriteResult::kDone:
      return Next(std::move(self));
    case WriteResult::kPending:
      return Spawn(std::move(self), Slow::kFlushEndTurn);
    case WriteResult::kFailed:
      return Finish(std::move(self));
  }
}

void Connection::Next(Owner self) {
  if (!keep_ || close_after_reply_ || killed_) return Finish(std::move(self));
  // Before AUTH, at most 1 MB of pending input, as Redis.
  int64_t query_limit =
      authenticated ? shard_.config().client_query_buffer_limit
                    : std::min<int64_t>(shard_.config().client_query_buffer_limit, 1024 * 1024);
  if (static_cast<int64_t>(in_end_ - in_start_) > query_limit) {
    Log(LogLevel::kWarning, "Closing client that reached max query buffer length: {}", Describe());
    return Finish(std::move(self));
  }
  if (in_start_ == in_end_) {
    in_start_ = in_end_ = 0;
    // A burst may have grown the buffer; an idle client keeps only one chunk.
    if (in_.size() > 4 * kReadChunk) {
      in_.resize(kReadChunk);
      in_.shrink_to_fit();
    }
  }
  Read(std::move(self));
}

void Connection::Finish(Owner self) {
  boost::system::error_code ec;
  if (tls_ != nullptr && tls_->handshake_done() && !killed_) {
    // close_notify, best effort: the socket is non-blocking and the alert small.
    tls_->Shutdown();
    socket_.write_some(asio::buffer(tls_->output()), ec);
  }
  socket_.close(ec);
  self.reset();  // the last use of this connection
}

void Connection::Park(Owner self, Then then) {
  if (batch_.hops_left() > 0) {
    // Waits again until the count says every hop is back: the hops hold pointers into this
    // connection, so it must neither go on nor end before.
    wake_.async_wait([self = std::move(self), then](boost::system::error_code) mutable {
      Connection* c = self.get();
      c->Park(std::move(self), then);
    });
    return;
  }
  if (then == Then::kWrite) return Write(std::move(self));
  batch_.Finish(out_, clock_mark_);
  Process(std::move(self));
}

void Connection::Spawn(Owner self, Slow what) {
  asio::co_spawn(shard_.io(), RunSlow(std::move(self), what), asio::detached);
}

awaitable<void> Connection::RunSlow(Owner self, Slow what) {
  Connection* c = self.get();
  switch (what) {
    case Slow::kAsyncCommand:
      co_await c->RunAsyncCommand();
      break;
    case Slow::kFlushMidTurn: {
      if (!c->RunPendingHere()) co_await c->RunPending();
      WriteResult written = c->TryWrite();
      if (written == WriteResult::kFailed) co_return c->Finish(std::move(self));
      if (written == WriteResult::kPending && !co_await c->Flush()) {
        co_return c->Finish(std::move(self));
      }
      c->clock_mark_ = Clock::now();  // waiting for the client to read is not command time
      break;
    }
    case Slow::kFlushEndTurn:
      if (!co_await c->Flush()) co_return c->Finish(std::move(self));
      co_return c->Next(std::move(self));
    case Slow::kSubscriberWait:
      co_return co_await c->SubscriberWait(self);
    case Slow::kHttp:
      co_await c->ServeHttpRequests();
      co_return c->AfterTurn(std::move(self));
    case Slow::kPaused: {
      bool alive = co_await c->WaitWhilePaused();
      if (!alive) co_return c->Finish(std::move(self));
      break;
    }
  }
  c->Process(std::move(self));
}

Connection::Step Connection::ProcessSome() {
  for (;;) {
    if (out_.size() >= kFlushBytes) return Step::kFlush;
    if (!have_command_) {
      if (in_start_ >= in_end_ || close_after_reply_ || killed_) break;
      std::string_view data(in_.data() + in_start_, in_end_ - in_start_);
      parser_.set_unauthenticated(!authenticated);  // AUTH may be the command just run
      auto status = parser_.Parse(data);
      if (status == protocol::RespParser::Status::kNeedMore) break;
      have_command_ = true;
      protocol_error_ = status == protocol::RespParser::Status::kError;
      Args args = parser_.args();
      command_spec_ = protocol_error_ || args.empty() ? nullptr : Resolve(args);
    }
    if (protocol_error_) {
      if (!RunPendingHere()) return Step::kPending;  // what came before still runs, in order
      have_command_ = protocol_error_ = false;
      reply_.Error(parser_.error());
      Log(LogLevel::kVerbose, "Protocol error ({}) from client: {}", parser_.error(), Describe());
      return Step::kClose;
    }
    Args args = parser_.args();
    const CommandSpec* spec = command_spec_;
    // CLIENT PAUSE holds the command, queued in MULTI or not, as Redis: what came before it
    // runs and is answered first.
    if (spec != nullptr && server_.client_pause().set() && HeldByPause(*spec)) {
      if (!RunPendingHere()) return Step::kPending;
      return Step::kPaused;
    }
    if (args.empty()) {
      ConsumeCommand();
    } else if (in_multi_ && (spec == nullptr || !(spec->flags & kNotQueued))) {
      if (!RunPendingHere()) return Step::kPending;  // replies stay in order
      size_t mark = out_.size();
      if (spec == nullptr) {
        reply_.Error(error_text_);
        multi_failed_ = true;
      } else {
        queued_.push_back({spec, std::vector<std::string>(args.begin(), args.end())});
        reply_.Simple("QUEUED");
      }
      if (reply_mode_ != ReplyMode::kOn) ApplyReplyMode(mark);
      ConsumeCommand();
    } else {
      ptrdiff_t target = spec != nullptr && spec->route != nullptr
                             ? spec->route(args, server_.shards().size())
                             : -1;
      if (target >= 0 && reply_mode_ == ReplyMode::kOn) {
        // Batched with its neighbours: one hop per shard for the whole run (RunPending).
        batch_.Add(spec, static_cast<size_t>(target), args);
        bool run_now = parser_.inline_command() || batch_.size() >= kMaxPending;
        ConsumeCommand();
        if (run_now && !RunPendingHere()) return Step::kPending;
      } else {
        // Anything else runs after everything before it: replies stay in order.
        if (!RunPendingHere()) return Step::kPending;
        size_t mark = out_.size();
        if (spec == nullptr) {
          reply_.Error(error_text_);
        } else if (spec->sync != nullptr && target < 0) {
          // Sync handlers run inline: no coroutine frame per command on the common path.
          CommandContext cx{server_, shard_, *this, reply_};
          spec->sync(cx, args);
          if (spec->flags & kWrite) batch_.NoteWrite();
          Account(*spec, args, cx.failed);
        } else {
          return Step::kAsync;  // async, or routed while CLIENT REPLY is not ON
        }
        if (reply_mode_ != ReplyMode::kOn) ApplyReplyMode(mark);
        ConsumeCommand();
      }
    }
  }
  if (!RunPendingHere()) return Step::kPending;
  return Step::kDone;
}

void Connection::ConsumeCommand() {
  in_start_ += parser_.consumed();
  have_command_ = false;
}

awaitable<void> Connection::RunAsyncCommand() {
  size_t mark = out_.size();
  // A message published while the command waits must not land inside the reply that may be
  // dropped: it waits in push_ and follows.
  bool hold = reply_mode_ != ReplyMode::kOn;
  holding_pushes_ = hold;
  co_await RunCommand(*command_spec_, parser_.args());
  holding_pushes_ = false;
  if (reply_mode_ != ReplyMode::kOn || hold) ApplyReplyMode(mark);
  if (hold && !push_.empty()) {
    out_ += push_;
    push_.clear();
  }
  ConsumeCommand();
}

bool Connection::HeldByPause(const CommandSpec& spec) {
  constexpr uint32_t kReplicated = kWrite | kMayReplicate;
  bool writes = (spec.flags & kReplicated) != 0;
  if (!writes && in_multi_ && spec.name == "exec") {
    for (const Queued& q : queued_) writes = writes || (q.spec->flags & kReplicated) != 0;
  }
  return server_.client_pause().Holds(writes, &pause_until_);
}

awaitable<bool> Connection::WaitWhilePaused() {
  // GCC 12 miscompiles a co_await inside a condition: each result goes to a local first.
  if (!out_.empty()) {
    bool flushed = co_await Flush();
    if (!flushed) co_return false;
  }
  bool alive = co_await SleepWhilePaused(*command_spec_);
  co_return alive;
}

awaitable<bool> Connection::SleepWhilePaused(const CommandSpec& spec) {
  paused_ = true;
  ++shard_.stats().paused_clients;
  while (!killed_ && HeldByPause(spec)) {
    wake_.expires_at(pause_until_);  // or CLIENT UNPAUSE's WakeFromPause, or Kill
    co_await wake_.async_wait(kNoThrow);
  }
  --shard_.stats().paused_clients;
  paused_ = false;
  clock_mark_ = Clock::now();  // the wait is not the command's time
  co_return !killed_;
}

void Connection::ApplyReplyMode(size_t mark) {
  if (reply_mode_ == ReplyMode::kOn) return;
  if (reply_mode_ == ReplyMode::kOff || reply_mode_ == ReplyMode::kSkip) out_.resize(mark);
  if (reply_mode_ == ReplyMode::kSkip) {
    reply_mode_ = ReplyMode::kOn;
  } else if (reply_mode_ == ReplyMode::kSkipNext) {
    reply_mode_ = ReplyMode::kSkip;
  }
}

bool Connection::RunPendingHere() { return batch_.RunHere(out_, resp == 3, clock_mark_); }

awaitable<void> Connection::RunPending() {
  batch_.Start(resp == 3);
  while (batch_.hops_left() > 0) co_await wake_.async_wait(kNoThrow);
  batch_.Finish(out_, clock_mark_);
}

awaitable<void> Connection::WaitDurable() {
  batch_.StartDurable();
  while (batch_.hops_left() > 0) co_await wake_.async_wait(kNoThrow);
}

Connection::WriteResult Connection::TryWrite() {
  if (killed_) return WriteResult::kFailed;
  if (out_.empty() && (tls_ == nullptr || tls_->output().empty())) return WriteResult::kDone;
  // Every reply passes here, batched or not: the one place to hold the hard limit.
  const OutputLimit& limit = shard_.config().output_normal;
  if (limit.hard > 0 && static_cast<int64_t>(out_.size()) > limit.hard) {
    Log(LogLevel::kWarning, "Client {} closed for overcoming of output buffer limits.", Describe());
    return WriteResult::kFailed;
  }
  // Replies to writes wait for their log records (Flush); reads need not.
  if (batch_.DurabilityDue()) return WriteResult::kPending;
  if (tls_ != nullptr) return TryWriteTls();
  boost::system::error_code ec;
  size_t n = socket_.write_some(asio::buffer(out_), ec);  // the socket is non-blocking
  if (ec == asio::error::would_block || ec == asio::error::try_again) return WriteResult::kPending;
  if (ec) return WriteResult::kFailed;
  shard_.stats().net_output_bytes += n;
  ++shard_.stats().writes_processed;
  if (n < out_.size()) {  // rare: the socket buffer is full; Flush writes the rest
    std::memmove(out_.data(), out_.data() + n, out_.size() - n);
    out_.resize(out_.size() - n);
    return WriteResult::kPending;
  }
  out_.clear();
  if (out_.capacity() > 4 * kFlushBytes) out_.shrink_to_fit();
  return WriteResult::kDone;
}

awaitable<bool> Connection::Flush() {
  if (batch_.DurabilityDue()) co_await WaitDurable();
  if (tls_ != nullptr) co_return co_await FlushTls();
  // Messages published while a write is in flight wait in push_ and go next.
  while (!out_.empty()) {
    writing_ = true;
    write_started_ = Clock::now();
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(out_), kNoThrow);
    writing_ = false;
    shard_.stats().net_output_bytes += n;
    ++shard_.stats().writes_processed;
    out_.clear();
    if (out_.capacity() > 4 * kFlushBytes) out_.shrink_to_fit();
    if (ec || killed_) co_return false;
    out_.swap(push_);
  }
  co_return !killed_;
}

const CommandSpec* Connection::Resolve(Args args) {
  ClientFacts facts{authenticated, resp, subscriptions(), user, this};
  const CommandSpec* spec = Admit(args, facts, shard_, server_, &error_text_);
  if (spec != nullptr) last_command_ = spec->name;
  return spec;
}

void Connection::DiscardMulti() {
  in_multi_ = multi_failed_ = false;
  queued_.clear();
  Unwatch();
}

const std::shared_ptr<WatchedKeys::Watch>& Connection::StartWatch() {
  if (watch_ == nullptr) watch_ = std::make_shared<WatchedKeys::Watch>();
  return watch_;
}

void Connection::Unwatch() {
  if (watch_ == nullptr) return;
  watch_->active.store(false, std::memory_order_relaxed);  // the shards drop its entries
  watch_.reset();
}

awaitable<void> Connection::ExecMulti() {
  if (multi_failed_) {
    DiscardMulti();
    reply_.Error(errors::kExecAbort);
    co_return;
  }
  if (watch_ != nullptr && watch_->dirty.load(std::memory_order_acquire)) {
    // A watched key changed since WATCH: nothing runs, and the reply is a null array.
    DiscardMulti();
    reply_.NullArray();
    co_return;
  }
  std::vector<Queued> queued = std::move(queued_);
  DiscardMulti();
  reply_.Array(queued.size());
  in_exec_ = true;
  std::vector<std::string_view> args;
  for (const Queued& q : queued) {
    args.assign(q.args.begin(), q.args.end());
    // The user's rules may have changed since the command was queued.
    size_t arg = 0;
    AclDenied denied = user->Check(*q.spec, args, &arg);
    if (denied != AclDenied::kNone) {
      LogAclDenial(AclDeniedName(denied), denied == AclDenied::kCommand ? q.spec->name : args[arg],
                   user->name(), true);
      reply_.Error(errors::ExecNoPerm(errors::AclReason(static_cast<int>(denied))));
      continue;
    }
    co_await RunCommand(*q.spec, args);
  }
  in_exec_ = false;
}

awaitable<void> Connection::RunCommand(const CommandSpec& spec, Args args) {
  ShardSet& shards = server_.shards();
  ptrdiff_t target = spec.route != nullptr ? spec.route(args, shards.size()) : -1;
  if (target >= 0) {
    bool resp3 = resp == 3;
    bool ok = true;
    auto run = [&](Shard& s) {
      std::string out;
      protocol::ReplyBuilder r(&out);
      r.set_resp3(resp3);
      r.set_error_counts(&s.stats().errors);
      ok = RunOnShard(spec, s, args, r);
      return out;
    };
    out_ += co_await shards.Run(static_cast<size_t>(target), run);
    if (spec.flags & kWrite) batch_.NoteWrite();
    Account(spec, args, !ok);
    co_return;
  }
  CommandContext cx{server_, shard_, *this, reply_};
  if (spec.sync != nullptr) {
    spec.sync(cx, args);
  } else {
    co_await spec.async(cx, args);
  }
  if (spec.flags & kWrite) batch_.NoteWrite();
  Account(spec, args, cx.failed);
}

void Connection::Account(const CommandSpec& spec, Args args, bool failed) {
  // One clock read per command: a command's time runs from the previous command's end (or the
  // read that brought it), so parsing is included and the clock is read half as often.
  auto now = Clock::now();
  auto nsec = std::chrono::duration_cast<std::chrono::nanoseconds>(now - clock_mark_).count();
  clock_mark_ = now;
  ShardStats& stats = shard_.stats();
  CommandStat& stat = stats.commands[spec.stat_index];
  ++stats.commands_processed;
  ++stat.calls;
  stat.nsec += nsec;
  if (failed) ++stat.failed_calls;
  shard_.NoteCommandTime(spec, args, static_cast<uint64_t>(nsec), {&addr_, &name});
  if (server_.shards().monitors() > 0) FeedMonitors(server_.shards(), spec, addr_, args);
}

}  // namespace typeahead::server
