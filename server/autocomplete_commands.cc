// The autocomplete commands of the contract: ACRECORD, ACINCRBY, ACTOPK, ACSCORE, ACDEL,
// ACCARD. Commands that touch one term (or one non-empty prefix) name their shard with a
// router and run entirely there, replying into a buffer the connection splices in order, so a
// pipeline of them costs one hop per shard (see Connection). ACDEL, ACCARD and the empty
// prefix ask every shard.
#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <iterator>

#include "protocol/ascii.h"
#include "protocol/number.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/errors.h"
#include "server/server.h"
#include "server/shard.h"
#include "storage/routing.h"

namespace typeahead::server {
namespace {
using boost::asio::awaitable;

// Replies the contract's error for a bad term and returns false.
bool ValidTerm(const Config& config, std::string_view term, protocol::ReplyBuilder& r) {
  if (term.empty()) {
    r.Error(errors::kEmptyTerm);
    return false;
  }
  if (static_cast<int64_t>(term.size()) > config.max_term_length) {
    r.Error(errors::TermTooLong(config.max_term_length));
    return false;
  }
  return true;
}

bool ValidTerm(CommandContext& cx, std::string_view term) {
  if (ValidTerm(cx.shard.config(), term, cx.reply)) return true;
  cx.failed = true;
  return false;
}

using errors::ReplyStatus;

// Routers: the one shard a command touches. A bad (empty) term goes anywhere: the handler
// there replies the error.
ptrdiff_t RouteByTerm(Args args, size_t shards) {
  if (args[2].empty()) return 0;
  return static_cast<ptrdiff_t>(storage::PartitionOfTerm(args[2], shards));
}

ptrdiff_t RouteByPrefix(Args args, size_t shards) {
  return storage::PartitionOfPrefix(args[2], shards);  // -1: too short, fan out (AcTopKAll)
}

// The partition logs the change (its sink is the journal).
bool IncrByOnShard(Shard& s, Args args, int64_t delta, protocol::ReplyBuilder& r) {
  auto result = s.partition().IncrBy(args[1], args[2], delta);
  if (!result) return ReplyStatus(r, result.status());
  r.Integer(*result);
  return true;
}

bool AcRecordOnShard(Shard& s, Args args, protocol::ReplyBuilder& r) {
  if (!ValidTerm(s.config(), args[2], r)) return false;
  return IncrByOnShard(s, args, 1, r);
}

bool AcIncrByOnShard(Shard& s, Args args, protocol::ReplyBuilder& r) {
  if (!ValidTerm(s.config(), args[2], r)) return false;
  int64_t delta;
  if (!protocol::ParseInt64(args[3], &delta)) {
    r.Error(errors::kNotInteger);
    return false;
  }
  return IncrByOnShard(s, args, delta, r);
}

bool AcScoreOnShard(Shard& s, Args args, protocol::ReplyBuilder& r) {
  if (!ValidTerm(s.config(), args[2], r)) return false;
  const storage::Trie* dict = s.partition().Find(args[1]);
  auto score = dict ? dict->Score(args[2]) : std::nullopt;
  if (score) {
    r.Integer(*score);
  } else {
    r.Null();
  }
  return true;
}

awaitable<void> AcDel(CommandContext& cx, Args args) {
  // Validate every term first: an error must leave the dictionary untouched.
  for (size_t i = 2; i < args.size(); ++i) {
    if (!ValidTerm(cx, args[i])) co_return;
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

awaitable<void> AcCard(CommandContext& cx, Args args) {
  std::string_view key = args[1];
  auto sizes = co_await cx.server.shards().RunAll([&](Shard& s) {
    const storage::Trie* dict = s.partition().Find(key);
    return static_cast<int64_t>(dict ? dict->size() : 0);
  });
  int64_t total = 0;
  for (int64_t n : sizes) total += n;
  cx.reply.Integer(total);
}

// An ACTOPK reply: an array of n terms; WITHSCORES adds each frequency after its term (RESP2)
// or makes each element a [term, frequency] pair (RESP3, as Redis 7's ZRANGE ... WITHSCORES).
void TopKHeader(protocol::ReplyBuilder& r, size_t n, bool with_scores) {
  r.Array(with_scores && !r.resp3() ? n * 2 : n);
}
// One element of it, whose term spell(dst) writes (size bytes).
template <typename Spell>
void TopKElement(protocol::ReplyBuilder& r, bool with_scores, int64_t freq, size_t size,
                 Spell&& spell) {
  if (with_scores && r.resp3()) r.Array(2);
  spell(r.BulkSpace(size));
  if (with_scores) r.Integer(freq);
}

void ReplyTopK(protocol::ReplyBuilder& r, const std::vector<storage::ScoredTerm>& items,
               bool with_scores) {
  TopKHeader(r, items.size(), with_scores);
  for (const auto& s : items) {
    TopKElement(r, with_scores, s.freq, s.term.size(),
                [&s](char* dst) { std::memcpy(dst, s.term.data(), s.term.size()); });
  }
}

struct TopKRequest {
  size_t limit;  // k capped at max-topk
  bool with_scores = false;
};

// Parses k and the options. Replies the error and returns nullopt when they are bad.
std::optional<TopKRequest> ParseTopK(const Config& config, Args args, protocol::ReplyBuilder& r) {
  int64_t k;
  if (!protocol::ParseInt64(args[3], &k)) {
    r.Error(errors::kNotInteger);
    return std::nullopt;
  }
  if (k < 0) {
    r.Error(errors::kNotPositive);
    return std::nullopt;
  }
  TopKRequest req{static_cast<size_t>(std::min(k, config.max_topk))};
  for (size_t i = 4; i < args.size(); ++i) {
    if (!EqualsIgnoreCase(args[i], "WITHSCORES")) {
      r.Error(errors::kSyntax);
      return std::nullopt;
    }
    req.with_scores = true;
  }
  return req;
}

bool AcTopKOnShard(Shard& s, Args args, protocol::ReplyBuilder& r) {
  auto req = ParseTopK(s.config(), args, r);
  if (!req) return false;
  const storage::Trie* dict = s.partition().Find(args[1]);
  if (dict == nullptr) {
    TopKHeader(r, 0, req->with_scores);
    return true;
  }
  bool with_scores = req->with_scores;
  // Without scores the reply is the ranked terms alone, the same bytes in RESP2 and RESP3:
  // the trie keeps them at the prefix's node while its top k stands.
  storage::Trie::RenderSpot spot;
  std::string* out = r.buffer();
  if (!with_scores) {
    std::string_view kept = dict->FindRendered(args[2], req->limit, &spot);
    if (!kept.empty()) {
      out->append(kept);
      return true;
    }
  }
  size_t start = out->size();
  // Spelled straight into the reply: no string per result.
  dict->VisitTopK(
      args[2], req->limit, [&](size_t n) { TopKHeader(r, n, with_scores); },
      [&](int64_t freq, size_t size, auto spell) {
        TopKElement(r, with_scores, freq, size, spell);
      });
  if (!with_scores) dict->KeepRendered(spot, std::string_view(*out).substr(start));
  return true;
}

// ACTOPK with the empty prefix: every partition's own top-k, merged here.
awaitable<void> AcTopKAll(CommandContext& cx, Args args) {
  auto req = ParseTopK(cx.shard.config(), args, cx.reply);
  if (!req) {
    cx.failed = true;
    co_return;
  }
  std::string_view key = args[1], prefix = args[2];
  size_t limit = req->limit;
  auto parts = co_await cx.server.shards().RunAll([&](Shard& s) {
    std::vector<storage::ScoredTerm> items;
    if (const storage::Trie* dict = s.partition().Find(key)) dict->TopK(prefix, limit, &items);
    return items;
  });
  std::vector<storage::ScoredTerm> merged;
  for (auto& p : parts) std::move(p.begin(), p.end(), std::back_inserter(merged));
  size_t n = std::min(limit, merged.size());
  std::partial_sort(merged.begin(), merged.begin() + n, merged.end(),
                    [](const auto& a, const auto& b) { return storage::RanksBefore(a, b); });
  merged.resize(n);
  ReplyTopK(cx.reply, merged, req->with_scores);
}

}  // namespace

std::vector<CommandSpec> AutocompleteCommands() {
  ArgDoc key{"key", "key"};
  ArgDoc term{"term", "string"};
  return {
      {"acrecord",
       3,
       kWrite | kDenyOom | kFast,
       1,
       1,
       1,
       "autocomplete",
       "0.1.0",
       "Records one use of a term: adds it with frequency 1 or increments it.",
       "O(L) where L is the length of the term",
       {"write", "fast"},
       {key, term},
       nullptr,
       nullptr,
       {},
       RouteByTerm,
       AcRecordOnShard},
      {"acincrby",
       4,
       kWrite | kDenyOom | kFast,
       1,
       1,
       1,
       "autocomplete",
       "0.1.0",
       "Adds a signed increment to a term's frequency; removes the term at zero or below.",
       "O(L) where L is the length of the term",
       {"write", "fast"},
       {key, term, {"increment", "integer"}},
       nullptr,
       nullptr,
       {},
       RouteByTerm,
       AcIncrByOnShard},
      {"actopk",
       -4,
       kReadonly,
       1,
       1,
       1,
       "autocomplete",
       "0.1.0",
       "Returns the k most frequent terms starting with a prefix.",
       "O(M log k) where M is the number of matching terms",
       {"read", "slow"},
       {key,
        {"prefix", "string"},
        {"k", "integer"},
        {"withscores", "pure-token", "WITHSCORES", true}},
       nullptr,
       AcTopKAll,
       {},
       RouteByPrefix,
       AcTopKOnShard},
      {"acscore",
       3,
       kReadonly | kFast,
       1,
       1,
       1,
       "autocomplete",
       "0.1.0",
       "Returns a term's frequency.",
       "O(L) where L is the length of the term",
       {"read", "fast"},
       {key, term},
       nullptr,
       nullptr,
       {},
       RouteByTerm,
       AcScoreOnShard},
      {"acdel",
       -3,
       kWrite | kFast,
       1,
       1,
       1,
       "autocomplete",
       "0.1.0",
       "Removes terms from a dictionary.",
       "O(N) where N is the number of terms removed",
       {"write", "fast"},
       {key, {"term", "string", {}, false, true}},
       nullptr,
       AcDel},
      {"accard",
       2,
       kReadonly | kFast,
       1,
       1,
       1,
       "autocomplete",
       "0.1.0",
       "Returns the number of distinct terms in a dictionary.",
       "O(P) where P is the number of "
       "partitions",
       {"read", "fast"},
       {key},
       nullptr,
       AcCard},
  };
}

}  // namespace typeahead::server
