// Ranked reads: the table-built routed handler (RankedOnShard, from a row's RankedHandler)
// replies byte for byte what ACTOPK's own fast handler does, errors included, so a ranked
// read that names only its ranked part gets the contract's replies.
#include "server/ranked_read.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/shard.h"

namespace typeahead::server {
namespace {

std::string Reply(bool resp3, auto&& run) {
  std::string out;
  protocol::ReplyBuilder r(&out);
  r.set_resp3(resp3);
  run(r);
  return out;
}

TEST_CASE("The generic routed ranked read replies what ACTOPK's own handler does") {
  Config config;
  config.max_topk = 8;
  Shard shard(0, config);
  std::mt19937 rng(5);
  for (int i = 0; i < 400; ++i) {
    std::string term = std::string(1, static_cast<char>('a' + rng() % 3)) +
                       std::string(1, static_cast<char>('a' + rng() % 4)) + std::to_string(i % 37);
    REQUIRE(shard.partition().IncrBy("q", term, 1 + rng() % 5));
  }
  const CommandSpec* actopk = CommandTable::Get().Find("actopk");
  REQUIRE(actopk != nullptr);
  REQUIRE((actopk->ranked != nullptr));
  REQUIRE((actopk->async == &RankedFanOut));
  using V = std::vector<std::string_view>;
  for (const V& args : {V{"ACTOPK", "q", "a", "3"}, V{"ACTOPK", "q", "ab", "100", "WITHSCORES"},
                        V{"actopk", "q", "", "5"}, V{"ACTOPK", "nokey", "a", "2"},
                        V{"ACTOPK", "q", "zz", "2", "withscores"}, V{"ACTOPK", "q", "a", "0"},
                        V{"ACTOPK", "q", "a", "-1"}, V{"ACTOPK", "q", "a", "x"},
                        V{"ACTOPK", "q", "a", "2", "JUNK"}}) {
    for (bool resp3 : {false, true}) {
      CAPTURE(resp3);
      CAPTURE(args[2]);
      CAPTURE(args[3]);
      // Twice each: the second own-handler reply comes from the kept rendering.
      for (int round = 0; round < 2; ++round) {
        std::string own = Reply(resp3, [&](auto& r) { RunOnShard(*actopk, shard, args, r); });
        std::string generic = Reply(resp3, [&](auto& r) {
          errors::Status st = RankedOnShard(shard, args, r);
          if (st != errors::Status::kOk) errors::ReplyError(r, st, config.max_term_length);
        });
        CHECK(own == generic);
        CHECK_FALSE(own.empty());
      }
    }
  }
}

}  // namespace
}  // namespace typeahead::server
