// The autocomplete commands of the contract: ACRECORD, ACINCRBY, ACTOPK, ACSCORE, ACDEL,
// ACCARD. Arguments are validated on the connection's thread, so a bad request never reaches
// a partition; the work then runs on the partition that owns the term (storage/routing.h).
#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <iterator>

#include "protocol/number.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/server.h"
#include "server/shard.h"
#include "storage/routing.h"

namespace typeahead::server {
namespace {
using boost::asio::awaitable;
using storage::OpStatus;

bool Eq(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Replies the contract's error for a bad term and returns false.
bool ValidTerm(CommandContext& cx, std::string_view term) {
  if (term.empty()) {
    cx.Error("ERR empty term");
    return false;
  }
  int64_t max = cx.shard.config().max_term_length;
  if (static_cast<int64_t>(term.size()) > max) {
    cx.Error(fmt::format("ERR term is longer than max-term-length ({} bytes)", max));
    return false;
  }
  return true;
}

void ReplyStatus(CommandContext& cx, OpStatus status) {
  switch (status) {
    case OpStatus::kOverflow:
      return cx.Error("ERR increment or decrement would overflow");
    case OpStatus::kWrongType:
      return cx.Error("WRONGTYPE Operation against a key holding the wrong kind of value");
    case OpStatus::kOutOfMemory:
      return cx.Error("OOM command not allowed when used memory > 'maxmemory'.");
    case OpStatus::kOk:
      return;
  }
}

awaitable<void> IncrBy(CommandContext& cx, std::string_view key, std::string_view term,
                       int64_t delta) {
  ShardSet& shards = cx.server.shards();
  size_t owner = storage::PartitionOfTerm(term, shards.size());
  auto result = co_await shards.Run(owner, [&](Shard& s) {
    auto& dict = s.partition().FindOrCreate(key);
    auto r = dict.IncrBy(term, delta);
    s.partition().EraseIfEmpty(key);
    return r;
  });
  if (!result) co_return ReplyStatus(cx, result.status());
  cx.reply.Integer(*result);
}

awaitable<void> AcRecord(CommandContext& cx, Args args) {
  if (!ValidTerm(cx, args[2])) co_return;
  co_await IncrBy(cx, args[1], args[2], 1);
}

awaitable<void> AcIncrBy(CommandContext& cx, Args args) {
  if (!ValidTerm(cx, args[2])) co_return;
  int64_t delta;
  if (!protocol::ParseInt64(args[3], &delta)) {
    co_return cx.Error("ERR value is not an integer or out of range");
  }
  co_await IncrBy(cx, args[1], args[2], delta);
}

awaitable<void> AcScore(CommandContext& cx, Args args) {
  if (!ValidTerm(cx, args[2])) co_return;
  ShardSet& shards = cx.server.shards();
  std::string_view key = args[1], term = args[2];
  auto score = co_await shards.Run(storage::PartitionOfTerm(term, shards.size()), [&](Shard& s) {
    const storage::Trie* dict = s.partition().Find(key);
    return dict ? dict->Score(term) : std::nullopt;
  });
  if (!score) co_return cx.reply.Null();
  cx.reply.Integer(*score);
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
    storage::Trie* dict = s.partition().Find(key);
    int64_t n = 0;
    if (dict == nullptr) return n;
    for (auto term : terms) {
      if (storage::PartitionOfTerm(term, shards.size()) == s.id() && dict->Erase(term)) ++n;
    }
    s.partition().EraseIfEmpty(key);
    return n;
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

void ReplyTopK(protocol::ReplyBuilder& r, const std::vector<storage::ScoredTerm>& items,
               bool with_scores) {
  if (!with_scores) {
    r.Array(items.size());
    for (const auto& s : items) r.Bulk(s.term);
  } else if (r.resp3()) {
    // RESP3: an array of [term, frequency] pairs, as Redis 7's ZRANGE ... WITHSCORES.
    r.Array(items.size());
    for (const auto& s : items) {
      r.Array(2);
      r.Bulk(s.term);
      r.Integer(s.freq);
    }
  } else {
    r.Array(items.size() * 2);
    for (const auto& s : items) {
      r.Bulk(s.term);
      r.Integer(s.freq);
    }
  }
}

awaitable<void> AcTopK(CommandContext& cx, Args args) {
  std::string_view key = args[1], prefix = args[2];
  int64_t k;
  if (!protocol::ParseInt64(args[3], &k)) {
    co_return cx.Error("ERR value is not an integer or out of range");
  }
  if (k < 0) co_return cx.Error("ERR value is out of range, must be positive");
  bool with_scores = false;
  for (size_t i = 4; i < args.size(); ++i) {
    if (!Eq(args[i], "WITHSCORES")) co_return cx.Error("ERR syntax error");
    with_scores = true;
  }
  size_t limit = static_cast<size_t>(std::min(k, cx.shard.config().max_topk));
  ShardSet& shards = cx.server.shards();
  ptrdiff_t owner = storage::PartitionOfPrefix(prefix, shards.size());
  protocol::ReplyBuilder& reply = cx.reply;
  if (owner >= 0) {
    // One partition holds every match: it renders the reply straight into our output buffer
    // (this connection is suspended until it finishes), so no term is copied.
    co_await shards.Run(static_cast<size_t>(owner), [&](Shard& s) {
      std::vector<storage::ScoredTerm>& items = s.topk_scratch();
      items.clear();
      if (const storage::Trie* dict = s.partition().Find(key)) dict->TopK(prefix, limit, &items);
      ReplyTopK(reply, items, with_scores);
    });
    co_return;
  }
  // The empty prefix: every partition's own top-k, merged here.
  auto parts = co_await shards.RunAll([&](Shard& s) {
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
  ReplyTopK(reply, merged, with_scores);
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
       AcRecord},
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
       AcIncrBy},
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
       AcTopK},
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
       AcScore},
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
