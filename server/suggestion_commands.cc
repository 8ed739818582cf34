// RediSearch's suggestion commands over our dictionaries: FT.SUGADD, FT.SUGGET, FT.SUGDEL,
// FT.SUGLEN, in its grammar and reply shapes, so a client written for RediSearch runs
// unchanged. A key they create is an ordinary dictionary (ACTOPK reads it, ACRECORD writes
// it), scores are frequencies (integers: a fractional score is refused, never rounded) and
// the order is the exact ranking, not RediSearch's length-normalised score. Payloads live in
// the dictionary with their terms (storage/trie.h) and travel in the log, snapshots and
// replication as the kSuggest mutation (storage/mutation.h).
//
// FT.SUGLEN is ACCARD. Threading: FT.SUGADD and FT.SUGLEN hop from the connection's thread to the
// shards; FT.SUGGET is a ranked read (server/ranked_read.h), FT.SUGDEL runs on its term's shard.
#include <boost/asio/awaitable.hpp>
#include <cmath>

#include "protocol/ascii.h"
#include "protocol/number.h"
#include "server/command_table.h"
#include "server/errors.h"
#include "server/ranked_read.h"
#include "server/server.h"
#include "server/shard.h"
#include "storage/routing.h"

namespace typeahead::server {
namespace {
using boost::asio::awaitable;
using errors::Status;

// FT.SUGGET's defaults, as RediSearch's: five suggestions, FUZZY one edit.
constexpr size_t kDefaultSuggestions = 5;
constexpr int kSuggestFuzzyDistance = 1;

// A score as an exact integer: an integer, or a double with an integral value in range.
Status ParseScore(std::string_view arg, int64_t* out) {
  if (protocol::ParseInt64(arg, out)) return Status::kOk;
  double d;
  if (!protocol::ParseDouble(arg, &d)) return Status::kNotFloat;
  if (!std::isfinite(d) || d != std::trunc(d)) return Status::kScoreFractional;
  // 2^63 is exact as a double; anything at or past it does not fit.
  if (d >= 9223372036854775808.0 || d < -9223372036854775808.0) return Status::kNotInteger;
  *out = static_cast<int64_t>(d);
  return Status::kOk;
}

struct SugAddRequest {
  int64_t score = 0;
  bool incr = false;
  bool with_payload = false;
  std::string_view payload;
};

Status ParseSugAdd(const Config& config, Args args, SugAddRequest* req) {
  if (Status st = CheckTerm(config, args[2]); st != Status::kOk) return st;
  if (Status st = ParseScore(args[3], &req->score); st != Status::kOk) return st;
  for (size_t i = 4; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "INCR")) {
      req->incr = true;
    } else if (EqualsIgnoreCase(args[i], "PAYLOAD") && i + 1 < args.size()) {
      req->with_payload = true;
      req->payload = args[++i];
    } else {
      return Status::kSyntax;
    }
  }
  if (!req->incr && req->score <= 0) return Status::kScoreNotPositive;
  return Status::kOk;
}

// Without INCR the score replaces the frequency: the change is the difference, so the log
// and replicas see one increment. Without PAYLOAD the term keeps the payload it has.
awaitable<void> SugAdd(CommandContext& cx, Args args) {
  SugAddRequest req;
  if (Status st = ParseSugAdd(cx.shard.config(), args, &req); st != Status::kOk) {
    co_return cx.Fail(st);
  }
  std::string_view key = args[1], term = args[2];
  ShardSet& shards = cx.server.shards();
  size_t owner = storage::PartitionOfTerm(term, shards.size());
  Status status = co_await shards.Run(owner, [&](Shard& s) {
    storage::Partition& p = s.partition();
    int64_t delta = req.score;
    const storage::Trie* dict = p.Find(key);
    if (dict != nullptr && dict->decay().on()) return Status::kDecayingKey;
    if (!req.incr) delta -= (dict ? dict->Score(term) : std::nullopt).value_or(0);  // both > 0
    auto result =
        req.with_payload ? p.Suggest(key, term, delta, req.payload) : p.IncrBy(key, term, delta);
    return result ? Status::kOk : errors::FromStorage(result.status());
  });
  if (status != Status::kOk) co_return cx.Fail(status);
  int64_t size = co_await DictionarySize(cx, key);
  cx.reply.Integer(size);
}

Status SugDelOnShard(Shard& s, Args args, protocol::ReplyBuilder& r) {
  if (Status st = CheckTerm(s.config(), args[2]); st != Status::kOk) return st;
  r.Integer(s.partition().EraseTerm(args[1], args[2]) ? 1 : 0);
  return Status::kOk;
}

bool HasFuzzy(Args args) {
  for (size_t i = 3; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "FUZZY")) return true;
  }
  return false;
}

// FUZZY matches from the first byte on: every shard may hold a match.
ptrdiff_t RouteSugGet(Args args, size_t shards) {
  return HasFuzzy(args) ? -1 : storage::PartitionOfPrefix(args[2], shards);
}

// FT.SUGGET key prefix [FUZZY] [WITHSCORES] [WITHPAYLOADS] [MAX num], in any order.
Status ParseSugGet(const Config& config, Args args, RankedRequest* req) {
  *req = RankedRequest();
  req->suggestion = true;
  req->exact_bytes = SIZE_MAX;
  int64_t max = kDefaultSuggestions;
  for (size_t i = 3; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "FUZZY")) {
      req->fuzzy = true;
      req->max_distance = kSuggestFuzzyDistance;
      req->exact_bytes = 0;
    } else if (EqualsIgnoreCase(args[i], "WITHSCORES")) {
      req->with_scores = true;
    } else if (EqualsIgnoreCase(args[i], "WITHPAYLOADS")) {
      req->with_payloads = true;
    } else if (EqualsIgnoreCase(args[i], "MAX") && i + 1 < args.size()) {
      if (!protocol::ParseInt64(args[++i], &max)) return Status::kNotInteger;
      if (max < 0) return Status::kNotPositive;
    } else {
      return Status::kSyntax;
    }
  }
  req->limit = static_cast<size_t>(std::min(max, config.max_topk));
  return Status::kOk;
}

Status SugGetRanked(Shard& s, Args args, RankedRequest* req,
                    std::vector<storage::ScoredTerm>* out) {
  if (Status st = ParseSugGet(s.config(), args, req); st != Status::kOk) return st;
  const storage::Trie* dict = s.partition().Find(args[1]);
  if (dict == nullptr) return Status::kOk;
  dict->Touch(s.clock());
  size_t first = out->size();
  if (req->fuzzy) {
    dict->FuzzyTopK(args[2], req->limit, req->max_distance, req->exact_bytes, out);
  } else {
    dict->TopK(args[2], req->limit, out);
  }
  ScoreDecaying(*dict, req, out, first);
  if (req->with_payloads && dict->payload_count() > 0) {
    for (size_t i = first; i < out->size(); ++i) {
      (*out)[i].payload.assign(dict->Payload((*out)[i].term));
    }
  }
  return Status::kOk;
}

}  // namespace

std::vector<CommandSpec> SuggestionCommands() {
  ArgDoc key{"key", "key"};
  ArgDoc string{"string", "string"};
  return {
      {
          .name = "ft.sugadd",
          .arity = -4,
          .flags = kWrite | kDenyOom | kWalksTerm,
          .keys = {1, 1, 1},
          .group = "autocomplete",
          .since = "1.0.0",
          .summary = "Adds a suggestion with a score (the frequency), or adds to its score with "
                     "INCR; returns the dictionary's size.",
          .complexity = "O(L + P) where L is the length of the string and P the number of "
                        "partitions",
          .args = {key,
                   string,
                   {"score", "double"},
                   {"incr", "pure-token", "INCR", true},
                   {"payload", "string", "PAYLOAD", true}},
          .async = SugAdd,
      },
      {
          .name = "ft.sugget",
          .arity = -3,
          .flags = kReadonly,
          .keys = {1, 1, 1},
          .group = "autocomplete",
          .since = "1.0.0",
          .summary = "Returns the most frequent suggestions starting with a prefix.",
          .complexity = "O(M log k) where M is the number of matching strings",
          .args = {key,
                   {"prefix", "string"},
                   {"fuzzy", "pure-token", "FUZZY", true},
                   {"withscores", "pure-token", "WITHSCORES", true},
                   {"withpayloads", "pure-token", "WITHPAYLOADS", true},
                   {"max", "integer", "MAX", true}},
          .route = RouteSugGet,
          .ranked = SugGetRanked,
      },
      {
          .name = "ft.sugdel",
          .arity = 3,
          .flags = kWrite | kFast,
          .keys = {1, 1, 1},
          .group = "autocomplete",
          .since = "1.0.0",
          .summary = "Removes a suggestion: 1 when it was there, else 0.",
          .complexity = "O(L) where L is the length of the string",
          .args = {key, string},
          .route = RouteByTerm,
          .on_shard = SugDelOnShard,
      },
      {
          .name = "ft.suglen",
          .arity = 2,
          .flags = kReadonly | kFast,
          .keys = {1, 1, 1},
          .group = "autocomplete",
          .since = "1.0.0",
          .summary = "Returns the number of suggestions in a dictionary.",
          .complexity = "O(P) where P is the number of partitions",
          .args = {key},
          .async = AcCard,
      },
  };
}

}  // namespace typeahead::server
