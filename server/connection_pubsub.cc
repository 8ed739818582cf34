// The subscriber side of a Connection (server/connection.h): the channels and patterns it
// subscribed to, the messages its shard's PubSub delivers to it, the MONITOR lines it gets
// (server/monitor.h), and, while it has subscriptions or monitors, the wait for whichever
// comes first, its client or something to send.
#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/log.h"
#include "server/connection.h"
#include "server/server.h"
#include "server/shard.h"

namespace typeahead::server {
namespace asio = boost::asio;
using asio::awaitable;
using namespace asio::experimental::awaitable_operators;  // || on awaitables (a .cc file)

namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
}  // namespace

bool Connection::AddChannel(std::string_view channel) {
  if (!channels_.emplace(channel).second) return false;
  shard_.pubsub().Subscribe(this, channel);
  return true;
}

bool Connection::RemoveChannel(std::string_view channel) {
  auto it = channels_.find(std::string(channel));
  if (it == channels_.end()) return false;
  shard_.pubsub().Unsubscribe(this, channel);
  channels_.erase(it);
  return true;
}

bool Connection::AddPattern(std::string_view pattern) {
  if (!patterns_.emplace(pattern).second) return false;
  shard_.pubsub().PSubscribe(this, pattern);
  return true;
}

bool Connection::RemovePattern(std::string_view pattern) {
  auto it = patterns_.find(std::string(pattern));
  if (it == patterns_.end()) return false;
  shard_.pubsub().PUnsubscribe(this, pattern);
  patterns_.erase(it);
  return true;
}

void Connection::DeliverMessage(std::string_view pattern, std::string_view channel,
                                std::string_view message) {
  if (killed_) return;
  protocol::ReplyBuilder r(PushBuffer());
  r.set_resp3(resp == 3);
  r.Push(pattern.empty() ? 3 : 4);
  r.Bulk(pattern.empty() ? "message" : "pmessage");
  if (!pattern.empty()) r.Bulk(pattern);
  r.Bulk(channel);
  r.Bulk(message);
  Pushed(shard_.config().output_pubsub);
}

std::string* Connection::PushBuffer() {
  // While a write of out_ is in flight out_ must not change, nor while a reply CLIENT REPLY
  // may drop is being made: what comes waits in push_.
  return writing_ || holding_pushes_ ? &push_ : &out_;
}

void Connection::Pushed(const OutputLimit& limit) {
  if (limit.hard > 0 && static_cast<int64_t>(out_.size() + push_.size()) > limit.hard) {
    Log(LogLevel::kWarning, "Client {} closed for overcoming of output buffer limits.", Describe());
    Kill();
    return;
  }
  if (waiting_push_) wake_.cancel();
}

bool Connection::StartMonitor() {
  if (monitor_) return false;
  monitor_ = true;
  shard_.monitors().push_back(this);
  server_.shards().AddMonitor();
  return true;
}

void Connection::StopMonitor() {
  if (!monitor_) return;
  monitor_ = false;
  auto& list = shard_.monitors();
  list.erase(std::find(list.begin(), list.end(), this));
  server_.shards().RemoveMonitor();
}

void Connection::DeliverMonitorLine(std::string_view line) {
  if (killed_) return;
  protocol::ReplyBuilder r(PushBuffer());
  r.Simple(line);
  Pushed(shard_.config().output_normal);  // a monitor is a normal client, as in Redis
}

awaitable<void> Connection::SubscriberWait(Owner& self) {
  // A subscriber waits for its client or for a message to send, whichever comes first.
  PrepareRead();
  auto buffer = asio::buffer(in_.data() + in_end_, in_.size() - in_end_);
  wake_.expires_at(asio::steady_timer::time_point::max());
  waiting_push_ = true;
  auto either = co_await (socket_.async_read_some(buffer, kNoThrow) || wake_.async_wait(kNoThrow));
  waiting_push_ = false;
  if (either.index() == 0) {
    auto [ec, n] = std::get<0>(either);
    co_return OnRead(std::move(self), ec, n);
  }
  if (killed_) co_return Finish(std::move(self));
  WriteResult written = TryWrite();
  if (written == WriteResult::kPending && !co_await Flush()) written = WriteResult::kFailed;
  if (written == WriteResult::kFailed) co_return Finish(std::move(self));
  Read(std::move(self));
}

}  // namespace typeahead::server
