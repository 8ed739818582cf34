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
#include <utility>
#include <vector>

#include "protocol/ascii.h"
#include "protocol/reply_builder.h"
#include "server/errors.h"
#include "storage/trie.h"

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
  // Replies status's error (errors::ReplyError) and counts a failed call.
  void Fail(errors::Status status);
};

using SyncHandler = void (*)(CommandContext&, Args);
// The shard that owns everything a command touches, or -1 when it needs several (then the
// sync/async handler runs instead). Must not fail: bad arguments route anywhere.
using Router = ptrdiff_t (*)(Args, size_t shards);
// Runs on the owning shard's thread. Replies there and returns kOk, or returns the error
// without replying: the caller replies it (RunOnShard in server/ranked_read.h).
using ShardHandler = errors::Status (*)(Shard&, Args, protocol::ReplyBuilder&);
// What a ranked read asks for: how many terms, and whether with their frequencies; for a
// fuzzy read (ACTOPK ... FUZZY), the distance, the bytes that must match exactly, and the
// distances in the reply with the frequencies. A suggestion read (FT.SUGGET) replies in
// RediSearch's shape instead, scores as doubles and, with_payloads, each term's payload.
struct RankedRequest {
  size_t limit = 0;
  bool with_scores = false;
  bool fuzzy = false;
  int max_distance = 0;
  size_t exact_bytes = 0;
  bool suggestion = false;
  bool with_payloads = false;
  // A blend (ACTOPK ... BLEND, storage/blend.h): the other keys start at args[blend_at], each
  // followed by its weight, which blend_weights holds (the first key's, 1, not among them).
  // Scores are then the blend's weighted sums, doubles.
  size_t blend_at = 0;
  std::vector<double> blend_weights;
  bool blend() const { return blend_at != 0; }
  // The key decays (storage/decay.h): each result's score holds its current score, a double,
  // and its freq the stored value under this partition's shift, scale.
  bool decaying = false;
  int64_t scale = 0;
  bool double_scores() const { return blend() || decaying; }
};
// A ranked read (a prefix command) on one shard: parses args into *req and appends the
// shard's best req->limit terms to *out, in ranking order (storage::RanksBefore). The table
// makes of it the fan-out (every shard, merged, when the prefix is too short to route) and,
// unless the row has a faster one of its own, the routed on-shard handler
// (server/ranked_read.h). The same args must give the same status on every shard.
using RankedHandler = errors::Status (*)(Shard&, Args, RankedRequest* req,
                                         std::vector<storage::ScoredTerm>* out);
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
  // Never in SLOWLOG: EXEC, whose commands are logged one by one, as Redis.
  kSkipSlowlog = 1 << 14,
  // Not a write, but goes into the replication stream (PUBLISH): CLIENT PAUSE WRITE holds it.
  kMayReplicate = 1 << 15,
  // Ours: args[1] is a dictionary and args[2] a term whose path in it the command walks; a
  // batch of such commands warms their paths together first (Trie::WarmPaths).
  kWalksTerm = 1 << 16,
};

// ACL categories, in the order Redis lists them (COMMAND and ACL CAT show them so), then ours.
// The flags imply some (AclCategories below); a row names only the others, such as its group's
// (keyspace, connection, transaction) or dangerous on a command that is not admin. Redis's
// data-type categories (set, hash, ...) hold no command here; they exist so that rules written
// for Redis (+@string, -@hash) load unchanged.
enum AclCategory : uint32_t {
  kAclKeyspace = 1 << 0,
  kAclRead = 1 << 1,
  kAclWrite = 1 << 2,
  kAclSet = 1 << 3,
  kAclSortedset = 1 << 4,
  kAclList = 1 << 5,
  kAclHash = 1 << 6,
  kAclString = 1 << 7,
  kAclBitmap = 1 << 8,
  kAclHyperloglog = 1 << 9,
  kAclGeo = 1 << 10,
  kAclStream = 1 << 11,
  kAclPubsub = 1 << 12,
  kAclAdmin = 1 << 13,
  kAclFast = 1 << 14,
  kAclSlow = 1 << 15,
  kAclBlocking = 1 << 16,
  kAclDangerous = 1 << 17,
  kAclConnection = 1 << 18,
  kAclTransaction = 1 << 19,
  kAclScripting = 1 << 20,
  kAclAutocomplete = 1 << 21,  // ours: every command of the autocomplete group
};
inline constexpr size_t kAclCategoryCount = 22;
// Each category with its name (without "@"), in that order.
extern const std::pair<AclCategory, std::string_view> kAclCategoryNames[kAclCategoryCount];

// Which arguments are pub/sub channels, for ACL channel permissions: PUBLISH's first, every
// one of SUBSCRIBE, or every one of PSUBSCRIBE as a pattern (matched literally against the
// user's patterns, as Redis does).
enum class ChannelArgs : uint8_t { kNone, kFirst, kAll, kAllPatterns };

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

// Where the keys are, as Redis's first key, last key (negative: from the end) and step; all
// zero for a command without keys.
struct KeyRange {
  int first = 0, last = 0, step = 0;
};

// Keys that follow a keyword (ACTOPK ... BLEND key weight ...), as a Redis 7 key spec whose
// begin_search is a keyword: after the first argument at or after index `from` equal to keyword
// (any case), every step-th argument up to `last` (negative: from the end; -1 the last
// argument). Empty keyword: none.
struct KeywordKeys {
  std::string_view keyword = {};
  int from = 0;
  int last = 0;
  int step = 0;
};

// One entry of a container's HELP reply: a usage line and the lines that explain it.
struct HelpEntry {
  std::string_view usage;
  std::vector<std::string_view> text;
};

// Rows are written with designated initializers in this order; whatever a row leaves out is
// empty (no flags, no keys, no handler).
struct CommandSpec {
  std::string_view name = {};  // lower case; "client|list" style for subcommands
  int arity = 0;
  uint32_t flags = 0;
  KeyRange keys = {};
  KeywordKeys keyword_keys = {};  // more keys, after a keyword
  std::string_view group = {};    // "connection", "server", "generic", "autocomplete"
  std::string_view since = {};
  std::string_view summary = {};
  std::string_view complexity = {};
  uint32_t acl = 0;  // AclCategory bits the flags do not imply
  ChannelArgs channels = ChannelArgs::kNone;
  std::vector<ArgDoc> args = {};
  // A subcommand's entries in its container's HELP (HelpReply), or a container's own for
  // the form without a subcommand.
  std::vector<HelpEntry> help = {};
  SyncHandler sync = nullptr;
  AsyncHandler async = nullptr;
  std::vector<CommandSpec> subcommands = {};
  Router route = nullptr;
  ShardHandler on_shard = nullptr;
  RankedHandler ranked = nullptr;

  size_t stat_index = 0;  // assigned by the table

  // Whether argc arguments (the name included) fit: positive arity is exact, negative a
  // minimum, as Redis's table says.
  bool ArityOk(size_t argc) const {
    int n = static_cast<int>(argc);
    return arity > 0 ? n == arity : n >= -arity;
  }
};

// Calls fn(i) for the index of each key in args (the command's name at 0): the range's, then
// those after the keyword. Stops at the first fn that returns false, and returns false then.
template <typename Fn>
bool ForEachKey(const CommandSpec& spec, Args args, Fn&& fn) {
  int n = static_cast<int>(args.size());
  const KeyRange& range = spec.keys;
  if (range.first > 0) {
    int last = range.last < 0 ? n + range.last : range.last;
    for (int i = range.first; i <= last && i < n; i += range.step) {
      if (!fn(static_cast<size_t>(i))) return false;
    }
  }
  const KeywordKeys& kw = spec.keyword_keys;
  if (kw.keyword.empty()) return true;
  for (int at = kw.from; at < n; ++at) {
    if (!EqualsIgnoreCase(args[at], kw.keyword)) continue;
    int last = kw.last < 0 ? n + kw.last : at + kw.last;
    for (int i = at + 1; i <= last && i < n; i += kw.step) {
      if (!fn(static_cast<size_t>(i))) return false;
    }
    break;
  }
  return true;
}

// The spec's ACL categories: those its flags imply, as Redis derives them (write, read,
// admin and dangerous, pubsub, fast or else slow), autocomplete for that group, and its own.
uint32_t AclCategories(const CommandSpec& spec);

}  // namespace typeahead::server
