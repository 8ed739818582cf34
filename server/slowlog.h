// SlowLog is a shard's record of the commands its connections ran that took at least
// slowlog-log-slower-than microseconds (0: every command, negative: none), newest first, at
// most slowlog-max-len of them: what SLOWLOG GET and LEN show once the shards' logs are
// merged by id. The ids come from one counter the shards share, so a merge orders entries as
// Redis's single log would, and the newest slowlog-max-len of the union are exactly those
// one log would have kept. An entry keeps the arguments as Redis trims them (32 at most, 128
// bytes each) with passwords redacted (RedactedArgument).
//
// A command's time is the connection's (Connection::Account): from the end of the command
// before it, so parsing counts; a pipelined batch's time is shared evenly among its commands.
//
// Threading: each shard's log on its own thread; the id counter is atomic, touched only when a
// command is slow.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace typeahead::server {

struct SlowLogEntry {
  uint64_t id = 0;
  int64_t unix_time = 0;  // seconds
  uint64_t usec = 0;
  std::vector<std::string> args;
  std::string addr;  // the client's ip:port
  std::string name;  // its CLIENT SETNAME name
};

// Who ran the command, as the connection knows it (the strings live as long as it).
struct SlowLogClient {
  const std::string* addr;
  const std::string* name;
};

class SlowLog {
 public:
  static constexpr size_t kMaxArgs = 32;
  static constexpr size_t kMaxArgBytes = 128;

  // slower_than_us < 0 logs nothing; max_len entries are kept.
  void Configure(int64_t slower_than_us, int64_t max_len);
  // The one comparison made for every command.
  bool Slow(uint64_t nsec) const { return nsec >= threshold_ns_; }
  // Records a command Slow() said was slow.
  void Add(std::span<const std::string_view> args, uint64_t nsec, const SlowLogClient& client);
  const std::deque<SlowLogEntry>& entries() const { return entries_; }
  void Reset() { entries_.clear(); }
  // The counter shared by every shard of a server (ShardSet); a shard alone counts its own.
  void ShareIds(std::atomic<uint64_t>* ids) { ids_ = ids; }

 private:
  uint64_t threshold_ns_ = 10'000'000;
  size_t max_len_ = 128;
  std::deque<SlowLogEntry> entries_;  // newest first
  std::atomic<uint64_t> own_ids_{0};
  std::atomic<uint64_t>* ids_ = &own_ids_;
};

// Whether args[i] is a secret that logs show as "(redacted)", as Redis hides them: AUTH's
// arguments, HELLO's AUTH pair, every rule of ACL SETUSER, and the values of CONFIG SET's
// password parameters.
bool RedactedArgument(std::span<const std::string_view> args, size_t i);

}  // namespace typeahead::server
