// ReplicationFeed is a shard's side of the replication stream. Every change the shard makes
// reaches Record() (through its Journal, in the order the shard applied it), is encoded as a
// RESP command and, once per loop turn, handed with one post to the sink: the replication
// coordinator on shard 0, which puts the batches of every shard into one ordered stream.
//
// seq() counts the bytes this shard has ever recorded. A replica's full sync cuts the
// partition at some seq and skips the partition's records below it (see replication.h), so
// the stream carries a partition's seq wherever its records resume.
//
// Invariant: only the owning shard's thread touches a feed. Disabled (no sink), Record costs
// one branch: a server without replicas encodes nothing.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace typeahead::replication {

class ReplicationFeed {
 public:
  // Called on the shard's thread with the seq of the first byte and the encoded records.
  using Sink = std::function<void(uint64_t seq, std::string records)>;

  explicit ReplicationFeed(boost::asio::io_context& io) : io_(io) {}

  void Enable(Sink sink) { sink_ = std::move(sink); }
  void Disable();
  bool enabled() const { return static_cast<bool>(sink_); }

  void Record(std::span<const std::string_view> args) {
    if (!sink_) return;
    Append(args);
  }
  // Hands what is buffered to the sink now (normally done at the end of the loop turn).
  void HandOff();

  uint64_t seq() const { return handed_ + buffer_.size(); }

 private:
  void Append(std::span<const std::string_view> args);

  boost::asio::io_context& io_;
  Sink sink_;
  std::string buffer_;
  uint64_t handed_ = 0;
  bool scheduled_ = false;
};

// Appends args as a RESP multibulk command, the stream's encoding.
void AppendCommand(std::string* out, std::span<const std::string_view> args);

}  // namespace typeahead::replication
