// The HTTP side of a Connection (server/connection.h): the complete requests of a turn are
// answered in order into out_, which the chain then writes as it writes RESP replies; a
// request the reader refuses is answered and the connection closed after it, as the bytes
// after it cannot be framed.
#include "base/log.h"
#include "server/connection.h"
#include "server/http.h"
#include "server/http_endpoints.h"

namespace typeahead::server {

boost::asio::awaitable<void> Connection::ServeHttpRequests() {
  HttpListener where = metrics_port_ ? HttpListener::kMetrics : HttpListener::kClient;
  while (keep_ && !killed_ && in_start_ < in_end_) {
    size_t used = 0;
    auto status = http_->Feed(std::string_view(in_.data() + in_start_, in_end_ - in_start_), &used);
    in_start_ += used;
    if (status == HttpRequestReader::Status::kNeedMore) break;
    if (status == HttpRequestReader::Status::kError) {
      Log(LogLevel::kVerbose, "HTTP request refused ({}) from client: {}", http_->error_text(),
          Describe());
      WriteHttpRefusal(http_->error_status(), http_->error_text(), &out_);
      keep_ = false;
      break;
    }
    bool keep = co_await ServeHttp(server_, shard_, http_->request(), where, &out_);
    http_->Reset();
    if (!keep) keep_ = false;
    // Pipelined scrapes: what is answered leaves before the next is made.
    if (out_.size() >= kFlushBytes) {
      bool flushed = co_await Flush();
      if (!flushed) keep_ = false;
    }
  }
}

}  // namespace typeahead::server
