// The autocomplete commands of the contract: ACRECORD, ACINCRBY, ACTOPK, ACSCORE, ACDEL,
// ACCARD, and ACDECAY, which makes a key's scores decay (storage/decay.h). Commands that touch one
// term (or one non-empty prefix) name their shard with a router and run entirely there, replying
// into a buffer the connection splices in order, so a pipeline of them costs one hop per shard (see
// Connection). ACDEL and ACCARD ask every shard; ACTOPK is a ranked read (server/ranked_read.h),
// whose fan-out for the empty prefix the table builds.
#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <cmath>
#include <iterator>

#include "protocol/ascii.h"
#include "protocol/number.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/errors.h"
#include "server/ranked_read.h"
#include "server/server.h"
#include "server/shard.h"
#include "storage/blend.h"
#include "storage/decay.h"
#include "storage/routing.h"

namespace typeahead::server {
namespace {
using boost::asio::awaitable;
using errors::Status;

// ACTOPK: by the bytes every match starts with, the whole prefix unless FUZZY says fewer.
// Options are read only as far as they decide that; the handler checks them.
ptrdiff_t RouteTopK(Args args, size_t shards) {
  std::string_view prefix = args[2];
  int64_t distance = 0, exact = 0;
  for (size_t i = 4; i + 1 < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "BLEND")) break;  // the rest are keys and weights
    if (EqualsIgnoreCase(args[i], "FUZZY")) {
      if (!protocol::ParseInt64(args[++i], &distance)) return 0;
    } else if (EqualsIgnoreCase(args[i], "PREFIXLEN")) {
      if (!protocol::ParseInt64(args[++i], &exact) || exact < 0) return 0;
    }
  }
  if (distance != 0) prefix = prefix.substr(0, std::min<uint64_t>(exact, prefix.size()));
  return storage::PartitionOfPrefix(prefix, shards);  // -1: too short, fan out
}

// An optional trailing AT unix-ms from args[at] on: *ms gets it, or kNoTime without one.
Status ParseAt(Args args, size_t at, int64_t* ms) {
  *ms = storage::kNoTime;
  if (args.size() == at) return Status::kOk;
  if (args.size() != at + 2 || !EqualsIgnoreCase(args[at], "AT")) return Status::kSyntax;
  return storage::ParseEventTime(args[at + 1], ms) ? Status::kOk : Status::kBadEventTime;
}

// A stored frequency as a reply: the count, or a decaying key's score at t_ms, a double.
void ReplyStored(protocol::ReplyBuilder& r, int64_t stored, const storage::Decay& decay,
                 int64_t t_ms) {
  if (!decay.on()) return r.Integer(stored);
  r.Double(stored == 0 ? 0.0 : decay.ScoreAt(storage::DecodeStored(stored), t_ms));
}

// The partition logs the change (its sink is the journal), with its event time for a key
// that decays. The reply is the new frequency, or score now.
Status IncrByOnShard(Shard& s, Args args, int64_t delta, size_t at, protocol::ReplyBuilder& r) {
  int64_t at_ms;
  if (Status st = ParseAt(args, at, &at_ms); st != Status::kOk) return st;
  storage::Decay decay;
  double score = 0;
  auto result = s.partition().Add(args[1], args[2], delta, at_ms, &decay, &score);
  if (!result) return errors::FromStorage(result.status());
  if (decay.on()) {
    r.Double(score);
  } else {
    r.Integer(*result);
  }
  return Status::kOk;
}

Status AcRecordOnShard(Shard& s, Args args, protocol::ReplyBuilder& r) {
  if (Status st = CheckTerm(s.config(), args[2]); st != Status::kOk) return st;
  return IncrByOnShard(s, args, 1, 3, r);
}

Status AcIncrByOnShard(Shard& s, Args args, protocol::ReplyBuilder& r) {
  if (Status st = CheckTerm(s.config(), args[2]); st != Status::kOk) return st;
  int64_t delta;
  if (!protocol::ParseInt64(args[3], &delta)) return Status::kNotInteger;
  return IncrByOnShard(s, args, delta, 4, r);
}

// ACSCORE key term [AT unix-ms]: a decaying key's score at that time (now without one).
Status AcScoreOnShard(Shard& s, Args args, protocol::ReplyBuilder& r) {
  if (Status st = CheckTerm(s.config(), args[2]); st != Status::kOk) return st;
  int64_t at_ms;
  if (Status st = ParseAt(args, 3, &at_ms); st != Status::kOk) return st;
  const storage::Trie* dict = s.partition().Find(args[1]);
  if (dict != nullptr) dict->Touch(s.clock());
  auto score = dict ? dict->Score(args[2]) : std::nullopt;
  if (score) {
    ++s.stats().keyspace_hits;
    const storage::Decay& decay = dict->decay();
    ReplyStored(r, *score, decay,
                at_ms != storage::kNoTime || !decay.on() ? at_ms : storage::WallClockMs());
  } else {
    ++s.stats().keyspace_misses;
    r.Null();
  }
  return Status::kOk;
}

// ACDECAY key half-life-seconds [AT unix-ms]: on every partition, each keeping its terms'
// scores as of that time (now without one).
awaitable<void> AcDecay(CommandContext& cx, Args args) {
  int64_t half_life, at_ms;
  if (!storage::ParseHalfLife(args[2], &half_life)) co_return cx.Fail(Status::kBadHalfLife);
  if (Status st = ParseAt(args, 3, &at_ms); st != Status::kOk) co_return cx.Fail(st);
  if (at_ms == storage::kNoTime) at_ms = storage::WallClockMs();
  std::string_view key = args[1];
  co_await cx.server.shards().RunAll([&](Shard& s) {
    s.partition().SetDecay(key, half_life, at_ms);
    return 0;
  });
  cx.reply.Ok();
}

awaitable<void> AcDel(CommandContext& cx, Args args) {
  // Validate every term first: an error must leave the dictionary untouched.
  for (size_t i = 2; i < args.size(); ++i) {
    if (Status st = CheckTerm(cx.shard.config(), args[i]); st != Status::kOk) co_return cx.Fail(st);
  }
  ShardSet& shards = cx.server.shards();
  std::string_view key = args[1];
  Args terms = args.subspan(2);
  auto removed = co_await shards.RunAll([&](Shard& s) {
    // This partition's part: the terms routing gives it (the log gets the ones removed).
    std::vector<std::string_view> mine;
    for (auto term : terms) {
      if (storage::PartitionOfTerm(term, shards.size()) == s.id()) mine.push_back(term);
    }
    return static_cast<int64_t>(s.partition().EraseTerms(key, mine));
  });
  int64_t total = 0;
  for (int64_t n : removed) total += n;
  cx.reply.Integer(total);
}

// ACTOPK's k (capped at max-topk) and options: WITHSCORES, FUZZY d [PREFIXLEN n], and last,
// BLEND key weight [key weight ...], everything after it in pairs, so any key name will do.
Status ParseTopK(const Config& config, Args args, RankedRequest* req) {
  int64_t k;
  if (!protocol::ParseInt64(args[3], &k)) return Status::kNotInteger;
  if (k < 0) return Status::kNotPositive;
  *req = RankedRequest();
  req->limit = static_cast<size_t>(std::min(k, config.max_topk));
  req->exact_bytes = SIZE_MAX;
  for (size_t i = 4; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "WITHSCORES")) {
      req->with_scores = true;
    } else if (EqualsIgnoreCase(args[i], "FUZZY") && i + 1 < args.size() && !req->fuzzy) {
      int64_t d;
      if (!protocol::ParseInt64(args[++i], &d)) return Status::kNotInteger;
      if (d < 0 || d > storage::kMaxFuzzyDistance) return Status::kFuzzyDistance;
      req->fuzzy = true;
      req->max_distance = static_cast<int>(d);
      req->exact_bytes = 0;
      // PREFIXLEN belongs to FUZZY: right after its distance.
      if (i + 2 < args.size() && EqualsIgnoreCase(args[i + 1], "PREFIXLEN")) {
        int64_t n;
        if (!protocol::ParseInt64(args[i + 2], &n)) return Status::kNotInteger;
        if (n < 0) return Status::kNotPositive;
        req->exact_bytes = static_cast<size_t>(n);
        i += 2;
      }
    } else if (EqualsIgnoreCase(args[i], "BLEND")) {
      size_t pairs = args.size() - i - 1;
      if (pairs == 0 || pairs % 2 != 0) return Status::kSyntax;
      req->blend_at = i + 1;
      for (size_t j = i + 2; j < args.size(); j += 2) {
        double w;
        if (!protocol::ParseDouble(args[j], &w)) return Status::kWeightNotFloat;
        if (!(w >= 0) || std::isinf(w)) return Status::kWeightNegative;
        req->blend_weights.push_back(w);
      }
      break;
    } else {
      return Status::kSyntax;
    }
  }
  return Status::kOk;
}

// The blend's top k on this shard: the first key at weight 1, then each BLEND key with its
// weight, every one read from this shard's partition (routing is by term, so a term's
// frequencies in every dictionary live on one shard).
void BlendOnShard(Shard& s, Args args, const RankedRequest& req,
                  std::vector<storage::ScoredTerm>* out) {
  static thread_local std::vector<storage::BlendSource> sources;  // the shard thread's, reused
  sources.clear();
  auto add = [&](std::string_view key, double weight) {
    const storage::Trie* dict = s.partition().Find(key);
    if (dict != nullptr) dict->Touch(s.clock());
    sources.push_back({dict, weight});
  };
  add(args[1], 1);
  for (size_t i = 0; i < req.blend_weights.size(); ++i) {
    add(args[req.blend_at + 2 * i], req.blend_weights[i]);
  }
  storage::BlendQuery q{.prefix = args[2],
                        .k = req.limit,
                        .fuzzy = req.fuzzy,
                        .max_distance = req.max_distance,
                        .exact_bytes = req.exact_bytes,
                        .now_ms = storage::WallClockMs()};
  storage::BlendTopK(sources, q, out);
}

// ACTOPK as a ranked read: this shard's top k under the prefix (the fan-out's part).
Status AcTopKRanked(Shard& s, Args args, RankedRequest* req,
                    std::vector<storage::ScoredTerm>* out) {
  if (Status st = ParseTopK(s.config(), args, req); st != Status::kOk) return st;
  if (req->blend()) {
    BlendOnShard(s, args, *req, out);
  } else if (const storage::Trie* dict = s.partition().Find(args[1])) {
    dict->Touch(s.clock());
    size_t first = out->size();
    if (req->fuzzy) {
      dict->FuzzyTopK(args[2], req->limit, req->max_distance, req->exact_bytes, out);
    } else {
      dict->TopK(args[2], req->limit, out);
    }
    ScoreDecaying(*dict, req, out, first);
  }
  return Status::kOk;
}

// ACTOPK routed to its prefix's shard: spelled straight into the reply, no string per
// result, and without scores from the rendering the trie keeps at the prefix's node.
Status AcTopKOnShard(Shard& s, Args args, protocol::ReplyBuilder& r) {
  RankedRequest req;
  if (Status st = ParseTopK(s.config(), args, &req); st != Status::kOk) return st;
  if (req.blend()) {  // strings built per result, as for a fuzzy read
    static thread_local std::vector<storage::ScoredTerm> items;  // the shard thread's, reused
    items.clear();
    BlendOnShard(s, args, req, &items);
    ++(items.empty() ? s.stats().keyspace_misses : s.stats().keyspace_hits);
    ReplyRanked(r, items, req);
    return Status::kOk;
  }
  const storage::Trie* dict = s.partition().Find(args[1]);
  if (dict == nullptr) {
    ++s.stats().keyspace_misses;
    RankedHeader(r, 0, RankedFields(req));
    return Status::kOk;
  }
  dict->Touch(s.clock());
  if (req.fuzzy) {  // strings built per result: the distances' walk is the cost, not these
    static thread_local std::vector<storage::ScoredTerm> items;  // the shard thread's, reused
    items.clear();
    dict->FuzzyTopK(args[2], req.limit, req.max_distance, req.exact_bytes, &items);
    ScoreDecaying(*dict, &req, &items);
    ++(items.empty() ? s.stats().keyspace_misses : s.stats().keyspace_hits);
    ReplyRanked(r, items, req);
    return Status::kOk;
  }
  bool with_scores = req.with_scores;
  int fields = RankedFields(req);
  const storage::Decay& decay = dict->decay();
  bool decayed_scores = with_scores && decay.on();
  storage::Decay::Scale now;
  if (decayed_scores) now = decay.ScaleAt(storage::WallClockMs());
  // Without scores the reply is the ranked terms alone, the same bytes in RESP2 and RESP3:
  // the trie keeps them at the prefix's node while its top k stands.
  storage::Trie::RenderSpot spot;
  std::string* out = r.buffer();
  if (!with_scores) {
    std::string_view kept = dict->FindRendered(args[2], req.limit, &spot);
    if (!kept.empty()) {
      ++s.stats().keyspace_hits;  // a node's rendering: it has terms
      out->append(kept);
      return Status::kOk;
    }
  }
  size_t start = out->size();
  dict->VisitTopK(
      args[2], req.limit,
      [&](size_t n) {
        ++(n > 0 ? s.stats().keyspace_hits : s.stats().keyspace_misses);
        RankedHeader(r, n, fields);
      },
      [&](int64_t freq, size_t size, auto spell) {
        if (!decayed_scores) return RankedElement(r, fields, freq, 0, size, spell);
        RankedElement(r, fields, now.Score(storage::DecodeStored(freq)), 0, size, spell);
      });
  if (!with_scores) dict->KeepRendered(spot, std::string_view(*out).substr(start));
  return Status::kOk;
}

}  // namespace

ptrdiff_t RouteByTerm(Args args, size_t shards) {
  if (args[2].empty()) return 0;
  return static_cast<ptrdiff_t>(storage::PartitionOfTerm(args[2], shards));
}

awaitable<int64_t> DictionarySize(CommandContext& cx, std::string_view key) {
  auto sizes = co_await cx.server.shards().RunAll([&](Shard& s) {
    const storage::Trie* dict = s.partition().Find(key);
    return static_cast<int64_t>(dict ? dict->size() : 0);
  });
  int64_t total = 0;
  for (int64_t n : sizes) total += n;
  co_return total;
}

awaitable<void> AcCard(CommandContext& cx, Args args) {
  int64_t size = co_await DictionarySize(cx, args[1]);
  cx.reply.Integer(size);
}

Status CheckTerm(const Config& config, std::string_view term) {
  if (term.empty()) return Status::kEmptyTerm;
  if (static_cast<int64_t>(term.size()) > config.max_term_length) return Status::kTermTooLong;
  return Status::kOk;
}

std::vector<CommandSpec> AutocompleteCommands() {
  ArgDoc key{"key", "key"};
  ArgDoc term{"term", "string"};
  ArgDoc at{"unix-time-milliseconds", "unix-time", "AT", true};
  return {
      {
          .name = "acrecord",
          .arity = -3,
          .flags = kWrite | kDenyOom | kFast | kWalksTerm,
          .keys = {1, 1, 1},
          .group = "autocomplete",
          .since = "0.1.0",
          .summary = "Records one use of a term: adds it with frequency 1 or increments it; "
                     "on a decaying key, at the event time AT gives.",
          .complexity = "O(L) where L is the length of the term",
          .args = {key, term, at},
          .route = RouteByTerm,
          .on_shard = AcRecordOnShard,
      },
      {
          .name = "acincrby",
          .arity = -4,
          .flags = kWrite | kDenyOom | kFast | kWalksTerm,
          .keys = {1, 1, 1},
          .group = "autocomplete",
          .since = "0.1.0",
          .summary =
              "Adds a signed increment to a term's frequency; removes the term at zero or below.",
          .complexity = "O(L) where L is the length of the term",
          .args = {key, term, {"increment", "integer"}, at},
          .route = RouteByTerm,
          .on_shard = AcIncrByOnShard,
      },
      {
          .name = "actopk",
          .arity = -4,
          .flags = kReadonly,
          .keys = {1, 1, 1},
          .keyword_keys = {"blend", 4, -2, 2},
          .group = "autocomplete",
          .since = "0.1.0",
          .summary = "Returns the k most frequent terms starting with a prefix, or the k best "
                     "by a weighted sum over several dictionaries (BLEND).",
          .complexity = "O(M log k) where M is the number of matching terms",
          .args = {key,
                   {"prefix", "string"},
                   {"k", "integer"},
                   {"withscores", "pure-token", "WITHSCORES", true},
                   {"fuzzy",
                    "block",
                    {},
                    true,
                    false,
                    {{"distance", "integer", "FUZZY"}, {"length", "integer", "PREFIXLEN", true}}},
                   {"blend", "block", "BLEND", true, true, {{"key", "key"}, {"weight", "double"}}}},
          .route = RouteTopK,
          .on_shard = AcTopKOnShard,
          .ranked = AcTopKRanked,
      },
      {
          .name = "acscore",
          .arity = -3,
          .flags = kReadonly | kFast | kWalksTerm,
          .keys = {1, 1, 1},
          .group = "autocomplete",
          .since = "0.1.0",
          .summary = "Returns a term's frequency, or a decaying key's score now or at AT.",
          .complexity = "O(L) where L is the length of the term",
          .args = {key, term, at},
          .route = RouteByTerm,
          .on_shard = AcScoreOnShard,
      },
      {
          .name = "acdel",
          .arity = -3,
          .flags = kWrite | kFast,
          .keys = {1, 1, 1},
          .group = "autocomplete",
          .since = "0.1.0",
          .summary = "Removes terms from a dictionary.",
          .complexity = "O(N) where N is the number of terms removed",
          .args = {key, {"term", "string", {}, false, true}},
          .async = AcDel,
      },
      {
          .name = "acdecay",
          .arity = -3,
          .flags = kWrite | kDenyOom,
          .keys = {1, 1, 1},
          .group = "autocomplete",
          .since = "0.1.0",
          .summary = "Makes a dictionary's scores decay with a half-life (0: back to counts), "
                     "each term keeping its score as of now or AT.",
          .complexity = "O(N) where N is the number of terms in the dictionary",
          .args = {key, {"half-life-seconds", "double"}, at},
          .async = AcDecay,
      },
      {
          .name = "accard",
          .arity = 2,
          .flags = kReadonly | kFast,
          .keys = {1, 1, 1},
          .group = "autocomplete",
          .since = "0.1.0",
          .summary = "Returns the number of distinct terms in a dictionary.",
          .complexity = "O(P) where P is the number of "
                        "partitions",
          .args = {key},
          .async = AcCard,
      },
  };
}

}  // namespace typeahead::server
