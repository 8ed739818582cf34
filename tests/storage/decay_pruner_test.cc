// DecayPruner (storage/decay_pruner.h) against a brute-force filter: after a whole round at a
// fixed time, a partition's decaying keys hold exactly their terms whose score (as ACSCORE
// computes it) is at least the floor, every top-k is the old one with the dropped terms left
// out, keys that do not decay are untouched, no step scores more than its budget, and the
// mutations emitted rebuild the partition bit for bit (what a replica or a replay follows).
#include "storage/decay_pruner.h"

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "storage/partition.h"
#include "tests/storage/recording_sink.h"

namespace st = typeahead::storage;
using typeahead::testing::Contents;
using typeahead::testing::PartitionBits;
using typeahead::testing::Replayed;

namespace {

// What p would hold with every decaying key's terms scoring below min_score at now_ms gone.
PartitionBits Filtered(const st::Partition& p, double min_score, int64_t now_ms) {
  PartitionBits out = Contents(p);
  for (auto& [key, part] : out) {
    auto& [decay, terms] = part;
    if (!decay.on()) continue;
    std::erase_if(terms, [&](const auto& t) {
      return decay.ScoreAt(st::DecodeStored(t.second), now_ms) < min_score;
    });
  }
  return out;
}

// Steps until `rounds` rounds ended, checking each step's budget; returns the terms dropped.
size_t RunRounds(st::DecayPruner& pruner, st::Partition& p, double min_score, int64_t now_ms,
                 std::mt19937& rng, int rounds) {
  size_t dropped = 0;
  for (int steps = 0; rounds > 0; ++steps) {
    REQUIRE(steps < 1000000);
    size_t budget = 1 + rng() % 40;
    auto r = pruner.Step(p, min_score, now_ms, budget);
    CHECK(r.scored <= budget);
    dropped += r.dropped;
    rounds -= r.round_done;
  }
  return dropped;
}

std::string RandomTerm(std::mt19937& rng) {
  std::string t(1 + rng() % 5, 'a');
  for (char& c : t) c = static_cast<char>('a' + rng() % 4);
  return t;
}

// A partition with one big decaying key (half-life 1 s, events over 20 s), one that rebased
// (half-life 2 ms, events over 5 s), forty small decaying ones, an empty decaying one and a
// counting one whose frequencies are all 1.
void Fill(st::Partition& p, std::mt19937& rng) {
  p.SetDecay("trend", 1000, 0);
  p.SetDecay("fast", 2, 0);
  p.SetDecay("quiet", 3600000, 0);
  for (int i = 0; i < 40; ++i) p.SetDecay("u:" + std::to_string(i), 1000, 0);
  for (int i = 0; i < 6000; ++i) {
    p.Add("trend", RandomTerm(rng), 1 + rng() % 3, rng() % 20000);
    p.Add("fast", RandomTerm(rng), 1, i);
    p.Add("u:" + std::to_string(rng() % 40), RandomTerm(rng), 1, rng() % 20000);
    p.Add("counts", RandomTerm(rng), 1, st::kNoTime);
  }
}

// A filled partition recording what it emits, and the generator that goes on from there.
struct Filled {
  std::mt19937 rng;
  st::Partition p;
  typeahead::testing::RecordingSink sink;
  explicit Filled(unsigned seed) : rng(seed) {
    p.set_sink(&sink);
    Fill(p, rng);
  }
};

}  // namespace

TEST_CASE("The pruner drops exactly the terms below the floor, and what remains ranks as before") {
  Filled f(5);
  auto& [rng, p, sink] = f;
  REQUIRE(p.Find("fast")->decay().shift > 0);  // the 2 ms key rebased
  const int64_t now = 20000;
  const double floor = 0.25;
  PartitionBits want = Filtered(p, floor, now);
  std::vector<std::string> prefixes = {"", "a", "b", "ab", "cd", "dda"};
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> ranked;
  for (const auto& [key, dict] : p.keys()) {
    for (const auto& prefix : prefixes) {
      std::vector<st::ScoredTerm> top;
      dict.TopK(prefix, 100, &top);  // beyond the cache: the best-first search too
      auto& kept = ranked[{key, prefix}];
      for (const auto& t : top) {
        if (want[key].second.contains(t.term)) kept.push_back(t.term);
      }
    }
  }
  size_t before = p.term_count();

  st::DecayPruner pruner;
  size_t dropped = RunRounds(pruner, p, floor, now, rng, 1);
  CHECK(dropped > 0);
  CHECK(p.term_count() == before - dropped);
  CHECK(Contents(p) == want);
  CHECK(p.Find("counts")->size() > 1000);  // frequencies of 1 do not decay: all stay
  REQUIRE(p.Find("quiet") != nullptr);     // an empty decaying key stays
  for (const auto& [key, dict] : p.keys()) {
    INFO("key ", key);
    CHECK(dict.CheckInvariants() == "");
    for (const auto& prefix : prefixes) {
      std::vector<st::ScoredTerm> top;
      dict.TopK(prefix, 100, &top);
      std::vector<std::string> got;
      for (const auto& t : top) got.push_back(t.term);
      const auto& kept = ranked[{key, prefix}];
      INFO("prefix '", prefix, "'");
      // The old top 100 without the dropped terms is a prefix of the new top 100.
      REQUIRE(got.size() >= kept.size());
      CHECK(std::vector<std::string>(got.begin(), got.begin() + kept.size()) == kept);
    }
  }
  CHECK(Contents(Replayed(sink)) == Contents(p));
  MESSAGE("dropped ", dropped, " of ", before, " terms");

  // A step past its deadline stops after one slice.
  st::DecayPruner late;
  auto r = late.Step(p, floor, now, 1000000, std::chrono::steady_clock::now());
  CHECK(r.scored <= st::DecayPruner::kSlice);

  // A second round at the same time finds nothing more.
  CHECK(RunRounds(pruner, p, floor, now, rng, 1) == 0);
}

TEST_CASE("The pruner resumes across writes, deletions and new keys between its slices") {
  Filled f(9);
  auto& [rng, p, sink] = f;
  // The same changes without pruning: a term the pruner took was below the floor when taken,
  // so every term of the model still above the floor at the end must be in p.
  st::Partition model = p;
  model.set_sink(nullptr);
  st::DecayPruner pruner;
  const double floor = 0.5;
  int64_t now = 20000;
  for (int i = 0; i < 3000; ++i) {
    now += rng() % 3;
    pruner.Step(p, floor, now, 1 + rng() % 30);
    unsigned kind = rng() % 10;
    std::string t = RandomTerm(rng) + "z";
    for (st::Partition* x : {&p, &model}) {
      if (kind < 6) {
        x->Add("trend", t, 5, now);  // scores 5 now: above the floor for a second at least
      } else if (kind < 8) {
        std::string_view one = t;
        x->EraseTerms("trend", std::span(&one, 1));
      } else if (kind < 9) {
        x->SetDecay("new:" + std::to_string(i), 1000, now);  // the key map may rehash
        x->Add("new:" + std::to_string(i), t, 1, now - 5000);
      } else {
        x->Add("fast", t, 1, now);
      }
    }
  }
  // One whole round at the final time (the first round_done may end one begun mid-way).
  RunRounds(pruner, p, floor, now, rng, 2);
  PartitionBits got = Contents(p), all = Contents(model);
  CHECK(got == Filtered(p, floor, now));  // nothing below the floor is left
  size_t kept = 0;
  for (const auto& [key, part] : Filtered(model, floor, now)) {
    for (const auto& [term, f] : part.second) {
      INFO("key ", key, " term ", term);
      CHECK(got[key].second.contains(term));  // nothing above it was taken
      ++kept;
    }
  }
  for (const auto& [key, part] : got) {
    for (const auto& [term, f] : part.second) CHECK(all[key].second.contains(term));
  }
  CHECK(kept > 100);
  CHECK(Contents(Replayed(sink)) == got);
  for (const auto& [key, dict] : p.keys()) CHECK(dict.CheckInvariants() == "");
}
