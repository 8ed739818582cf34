// Ranked reads: the commands that answer with terms in ranking order (frequency descending,
// then bytewise), such as ACTOPK. A row names its RankedHandler (command.h), the part that
// runs on one shard, and the table builds the rest from it (CommandTable's constructor):
//   - RankedFanOut, the async handler for a prefix too short to route (the empty prefix):
//     the RankedHandler on every shard, the parts merged to the request's limit here;
//   - RankedOnShard, the routed handler, unless the row has a faster one of its own (ACTOPK
//     replies from the trie's kept rendering).
// The reply shape (ReplyRanked and its two pieces) is the same for every ranked read.
//
// Threading: RankedFanOut on the connection's thread, hopping to every shard;
// RankedOnShard and RunOnShard on the shard's.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <type_traits>
#include <vector>

#include "server/command.h"
#include "storage/trie.h"

namespace typeahead::server {

// Runs spec's on-shard handler and replies its error if it returns one. False then.
bool RunOnShard(const CommandSpec& spec, Shard& s, Args args, protocol::ReplyBuilder& r);

boost::asio::awaitable<void> RankedFanOut(CommandContext& cx, Args args);
errors::Status RankedOnShard(Shard& s, Args args, protocol::ReplyBuilder& r);

// A ranked reply: an array of n terms; WITHSCORES adds each frequency after its term (RESP2)
// or makes each element a [term, frequency] pair (RESP3, as Redis 7's ZRANGE ... WITHSCORES),
// and a fuzzy read's distance after the frequency ([term, frequency, distance] in RESP3). A
// blend's scores are its weighted sums instead, and a decaying key's its current scores, as
// doubles (RESP3 doubles, RESP2 bulk strings as ZSCORE's).
// fields: what each element carries, 1 (the term), 2 (and its frequency) or 3 (and distance).
inline int RankedFields(const RankedRequest& req) {
  return req.with_scores ? (req.fuzzy ? 3 : 2) : 1;
}
inline void RankedHeader(protocol::ReplyBuilder& r, size_t n, int fields) {
  r.Array(r.resp3() ? n : n * fields);
}
// One element of it, whose term spell(dst) writes (size bytes).
// score: a frequency (an integer) or a blend's weighted sum (a double).
template <typename Score, typename Spell>
void RankedElement(protocol::ReplyBuilder& r, int fields, Score score, int distance, size_t size,
                   Spell&& spell) {
  if (fields > 1 && r.resp3()) r.Array(fields);
  spell(r.BulkSpace(size));
  if constexpr (std::is_floating_point_v<Score>) {
    if (fields > 1) r.Double(score);
  } else {
    if (fields > 1) r.Integer(score);
  }
  if (fields > 2) r.Integer(distance);
}
// The reply for req: RankedHeader and RankedElement's shape, or for a suggestion read
// FT.SUGGET's, a flat array of each term, its frequency as a double with WITHSCORES and its
// payload (nil for none) with WITHPAYLOADS, in RESP2 and RESP3 alike.
void ReplyRanked(protocol::ReplyBuilder& r, const std::vector<storage::ScoredTerm>& items,
                 const RankedRequest& req);
// For a decaying dict: sets the score of each of items from `from` on to its current score
// (from its stored frequency) and marks req decaying. Nothing for a dict that does not decay.
void ScoreDecaying(const storage::Trie& dict, RankedRequest* req,
                   std::vector<storage::ScoredTerm>* items, size_t from = 0);

}  // namespace typeahead::server
