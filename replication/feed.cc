#include "replication/feed.h"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "protocol/reply_builder.h"

namespace typeahead::replication {

void AppendCommand(std::string* out, std::span<const std::string_view> args) {
  protocol::ReplyBuilder r(out);
  r.Array(args.size());
  for (std::string_view a : args) r.Bulk(a);
}

void ReplicationFeed::Disable() {
  sink_ = nullptr;
  handed_ += buffer_.size();
  buffer_.clear();
}

void ReplicationFeed::Append(std::span<const std::string_view> args) {
  AppendCommand(&buffer_, args);
  if (!scheduled_) {
    scheduled_ = true;
    // Posted behind whatever this turn is running: one hand-off per turn, however many
    // records it produced.
    boost::asio::post(io_, [this] { HandOff(); });
  }
}

void ReplicationFeed::HandOff() {
  scheduled_ = false;
  if (buffer_.empty() || !sink_) return;
  uint64_t seq = handed_;
  handed_ += buffer_.size();
  std::string out;
  out.reserve(std::min<size_t>(buffer_.capacity(), 64 * 1024));
  out.swap(buffer_);
  sink_(seq, std::move(out));
}

}  // namespace typeahead::replication
