// The HTTP side of a Connection (server/connection.h): the complete requests of a turn are
// answered in order into out_, which the chain then writes as it writes RESP replies; a
// request the reader refuses is answered and the connection closed after it, as the bytes
// after it cannot be framed.
#include "base/log.h"
#include "server/connection.h"
#include "server/http.h"
#include "server/http_endpoints.h"
#include "server/server.h"
#include "server/shard.h"

namespace typeahead::server {

boost::asio::awaitable<void> Connection::ServeHttpRequests() {
  while (keep_ && !killed_ && in_start_ < in_end_) {
    size_t used = 0;
    // A request's time runs from the read that brought its first bytes.
    if (!http_->mid_request()) http_started_ = last_interaction_;
    auto status = http_->Feed(std::string_view(in_.data() + in_start_, in_end_ - in_start_), &used);
    in_start_ += used;
    if (status == HttpRequestReader::Status::kNeedMore) break;
    if (status == HttpRequestReader::Status::kError) {
      Log(LogLevel::kVerbose, "HTTP request refused ({}) from client: {}", http_->error_text(),
          Describe());
      WriteHttpRefusal(http_->error_status(), http_->error_text(), listener_, &out_);
      keep_ = false;
      break;
    }
    bool keep = co_await ServeHttp(server_, shard_, *this, http_->request(), listener_, &out_);
    http_->Reset(static_cast<size_t>(shard_.config().http_max_body));
    if (!keep) keep_ = false;
    // Pipelined requests: what is answered leaves before the next is made.
    if (out_.size() >= kFlushBytes) {
      bool flushed = co_await Flush();
      if (!flushed) keep_ = false;
    }
  }
}

boost::asio::awaitable<void> Connection::RunForHttp(const AclUser* as, Args args,
                                                    std::string* reply) {
  user = as;
  authenticated = true;
  if (resp != 3) SetProtocol(3);  // typed replies: what the JSON is made from
  size_t mark = out_.size();
  clock_mark_ = Clock::now();
  const CommandSpec* spec = Resolve(args);
  if (spec == nullptr) {
    reply_.Error(error_text_);
  } else {
    // CLIENT PAUSE holds API requests as it holds RESP commands; a client killed meanwhile
    // runs nothing (its response is never sent).
    bool alive = true;
    if (server_.client_pause().set()) alive = co_await SleepWhilePaused(*spec);
    if (alive) {
      co_await RunCommand(*spec, args);
    } else {
      reply_.Error(errors::kClientGone);
    }
  }
  reply->assign(out_, mark);
  out_.resize(mark);
}

bool Connection::HttpRequestOverdue(Clock::time_point now) const {
  return http_ != nullptr && http_->mid_request() &&
         now - http_started_ > std::chrono::seconds(shard_.config().http_request_timeout);
}

void Connection::RefuseOverdueHttp() {
  if (tls_ == nullptr && !writing_) {
    // Best effort, on the non-blocking socket: the client learns why before the close.
    std::string response;
    WriteHttpRefusal(408, errors::kHttpRequestTimeout, listener_, &response);
    boost::system::error_code ec;
    socket_.write_some(boost::asio::buffer(response), ec);
  }
  Kill();
}

}  // namespace typeahead::server
