// CommandSpec is one row of the command table: Redis's arity convention (positive = exact,
// negative = minimum, counting the name), flags, key positions, documentation and a handler.
// The same rows drive dispatch, arity and unknown-command errors, COMMAND INFO/DOCS/COUNT/
// LIST/GETKEYS and per-command statistics, so they cannot disagree.
//
// Handlers run on the connection's thread. A sync handler replies before returning; an async
// one may hop to other shards (ShardSet::Run) and replies before its awaitable completes.
// Arguments are views into the connection's read buffer, valid until the handler completes.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"

namespace typeahead::server {

class Server;
class Shard;
class Connection;

using Args = std::span<const std::string_view>;

struct CommandContext {
  Server& server;
  Shard& shard;
  Connection& conn;
  protocol::ReplyBuilder& reply;
  bool failed = false;  // set by Error(): counted in failed_calls
  void Error(std::string_view text) {
    failed = true;
    reply.Error(text);
  }
};

using SyncHandler = void (*)(CommandContext&, Args);
// The shard that owns everything a command touches, or -1 when it needs several (then the
// sync/async handler runs instead). Must not fail: bad arguments route anywhere.
using Router = ptrdiff_t (*)(Args, size_t shards);
// Runs on the owning shard's thread and replies there. Returns false when it replied an error.
using ShardHandler = bool (*)(Shard&, Args, protocol::ReplyBuilder&);
using AsyncHandler = boost::asio::awaitable<void> (*)(CommandContext&, Args);

enum CommandFlag : uint32_t {
  kWrite = 1 << 0,
  kReadonly = 1 << 1,
  kDenyOom = 1 << 2,
  kAdmin = 1 << 3,
  kPubsub = 1 << 4,
  kNoScript = 1 << 5,
  kLoading = 1 << 6,
  kStale = 1 << 7,
  kFast = 1 << 8,
  kNoAuth = 1 << 9,
  kSkipMonitor = 1 << 10,
  kAllowBusy = 1 << 11,
  // Ours, not shown by COMMAND: runs at once inside MULTI instead of being queued (EXEC,
  // DISCARD, MULTI, WATCH, QUIT, RESET, as Redis).
  kNotQueued = 1 << 12,
  // Ours: allowed on a RESP2 connection with subscriptions ((P)(UN)SUBSCRIBE, PING, QUIT,
  // RESET).
  kSubscribedOk = 1 << 13,
};

// One argument in COMMAND DOCS: name and type as Redis ("key", "string", "integer",
// "pattern", "pure-token", "oneof", "block"), an optional token and flags.
struct ArgDoc {
  std::string_view name;
  std::string_view type;
  std::string_view token = {};
  bool optional = false;
  bool multiple = false;
  std::vector<ArgDoc> children = {};
};

struct CommandSpec {
  std::string_view name;  // lower case; "client|list" style for subcommands
  int arity;
  uint32_t flags;
  int first_key, last_key, step;
  std::string_view group;  // "connection", "server", "generic", "autocomplete"
  std::string_view since;
  std::string_view summary;
  std::string_view complexity;
  std::vector<std::string_view> acl_categories;  // without "@"
  std::vector<ArgDoc> args;
  SyncHandler sync = nullptr;
  AsyncHandler async = nullptr;
  std::vector<CommandSpec> subcommands = {};
  Router route = nullptr;
  ShardHandler on_shard = nullptr;

  size_t stat_index = 0;  // assigned by the table

  // Whether argc arguments (the name included) fit: positive arity is exact, negative a
  // minimum, as Redis's table says.
  bool ArityOk(size_t argc) const {
    int n = static_cast<int>(argc);
    return arity > 0 ? n == arity : n >= -arity;
  }
};

}  // namespace typeahead::server
