#include "server/ranked_read.h"

#include <algorithm>
#include <cstring>
#include <iterator>

#include "server/command_table.h"
#include "server/server.h"
#include "server/shard.h"
#include "storage/blend.h"

namespace typeahead::server {

bool RunOnShard(const CommandSpec& spec, Shard& s, Args args, protocol::ReplyBuilder& r) {
  errors::Status status = spec.on_shard(s, args, r);
  if (status == errors::Status::kOk) return true;
  errors::ReplyError(r, status, s.config().max_term_length);
  return false;
}

void ReplyRanked(protocol::ReplyBuilder& r, const std::vector<storage::ScoredTerm>& items,
                 const RankedRequest& req) {
  if (req.suggestion) {
    r.Array(items.size() * (1 + req.with_scores + req.with_payloads));
    for (const auto& s : items) {
      r.Bulk(s.term);
      if (req.with_scores) r.Double(req.decaying ? s.score : static_cast<double>(s.freq));
      if (req.with_payloads) s.payload.empty() ? r.Null() : r.Bulk(s.payload);
    }
    return;
  }
  int fields = RankedFields(req);
  RankedHeader(r, items.size(), fields);
  for (const auto& s : items) {
    auto spell = [&s](char* dst) { std::memcpy(dst, s.term.data(), s.term.size()); };
    if (req.double_scores()) {  // as doubles (RESP2: ZSCORE's bulk strings)
      RankedElement(r, fields, s.score, s.distance, s.term.size(), spell);
    } else {
      RankedElement(r, fields, s.freq, s.distance, s.term.size(), spell);
    }
  }
}

void ScoreDecaying(const storage::Trie& dict, RankedRequest* req,
                   std::vector<storage::ScoredTerm>* items, size_t from) {
  const storage::Decay& decay = dict.decay();
  if (!decay.on()) return;
  req->decaying = true;
  const storage::Decay::Scale now = decay.ScaleAt(storage::WallClockMs());
  for (size_t i = from; i < items->size(); ++i) {
    storage::ScoredTerm& t = (*items)[i];
    t.score = now.Score(storage::DecodeStored(t.freq));
  }
  req->scale = decay.shift;
}

errors::Status RankedOnShard(Shard& s, Args args, protocol::ReplyBuilder& r) {
  const CommandSpec* spec = CommandTable::Get().Find(args[0]);
  RankedRequest req;
  std::vector<storage::ScoredTerm> items;
  errors::Status status = spec->ranked(s, args, &req, &items);
  if (status == errors::Status::kOk) ReplyRanked(r, items, req);
  return status;
}

boost::asio::awaitable<void> RankedFanOut(CommandContext& cx, Args args) {
  RankedHandler ranked = CommandTable::Get().Find(args[0])->ranked;
  struct Part {
    errors::Status status = errors::Status::kOk;
    RankedRequest req;
    std::vector<storage::ScoredTerm> items;
  };
  auto parts = co_await cx.server.shards().RunAll([&](Shard& s) {
    Part p;
    p.status = ranked(s, args, &p.req, &p.items);
    return p;
  });
  // Every shard parsed the same arguments: the first part says how the request went.
  const Part& first = parts.front();
  if (first.status != errors::Status::kOk) co_return cx.Fail(first.status);
  RankedRequest req = first.req;
  for (const Part& p : parts) {
    req.decaying = req.decaying || p.req.decaying;
    req.scale = std::max(req.scale, p.req.scale);
  }
  std::vector<storage::ScoredTerm> merged;
  for (auto& p : parts) {
    // A decaying key's stored values are on each partition's own scale (its shift): brought
    // to the largest, they rank across partitions as they do within one.
    if (req.decaying && !req.blend()) {
      for (auto& t : p.items) t.freq = storage::StoredAt(t.freq, p.req.scale, req.scale);
    }
    std::move(p.items.begin(), p.items.end(), std::back_inserter(merged));
  }
  size_t n = std::min(req.limit, merged.size());
  using Order = bool (*)(const storage::ScoredTerm&, const storage::ScoredTerm&);
  Order ranks = req.blend() ? storage::BlendRanksBefore : static_cast<Order>(storage::RanksBefore);
  std::partial_sort(merged.begin(), merged.begin() + n, merged.end(), ranks);
  merged.resize(n);
  ++(n > 0 ? cx.shard.stats().keyspace_hits : cx.shard.stats().keyspace_misses);
  ReplyRanked(cx.reply, merged, req);
}

}  // namespace typeahead::server
