// Decaying dictionaries (storage/decay.h, Partition::Add and SetDecay) against a brute-force
// oracle in long double that keeps each term's sum of increments x 2^((t - epoch) / half-life)
// with no rebase at all (its exponent range reaches 2^16383): random increments at random
// event times (in order and backfilled), decrements, deletions, half-life changes, and
// rebases forced by a half-life of milliseconds. Then the same state rebuilt from the log the
// partition emitted and from a snapshot, bit for bit.
#include "storage/decay.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "storage/mutation.h"
#include "storage/partition.h"
#include "storage/snapshot.h"
#include "tests/storage/recording_sink.h"

namespace st = typeahead::storage;

namespace {

struct DecayOracle {
  long double half_life = 0;  // ms; 0: counts
  int64_t epoch = 0;
  std::map<std::string, long double> stored;

  long double Score(const std::string& term, int64_t at) const {
    auto it = stored.find(term);
    if (it == stored.end()) return 0;
    return it->second * std::exp2l(-static_cast<long double>(at - epoch) / half_life);
  }
  // What the term's stored value would become; the caller decides whether to apply it.
  long double After(const std::string& term, int64_t delta, int64_t at) const {
    auto it = stored.find(term);
    long double was = it == stored.end() ? 0 : it->second;
    return was + delta * std::exp2l(static_cast<long double>(at - epoch) / half_life);
  }
  void Set(const std::string& term, long double v) {
    if (v > 0) {
      stored[term] = v;
    } else {
      stored.erase(term);
    }
  }
  void SetHalfLife(int64_t h, int64_t at) {
    for (auto& [term, v] : stored) v = Score(term, at);
    half_life = static_cast<long double>(h);
    epoch = at;
  }
};

double ScoreOf(const st::Partition& p, std::string_view key, const std::string& term, int64_t at) {
  const st::Trie* dict = p.Find(key);
  if (dict == nullptr) return 0;
  auto f = dict->Score(term);
  return f ? dict->decay().ScoreAt(st::DecodeStored(*f), at) : 0;
}

// Scores below this may have been dropped (stored below DBL_MIN after a rebase).
constexpr long double kTiny = 1e-290L;

void CheckAgainst(const st::Partition& p, const DecayOracle& o, int64_t at) {
  const st::Trie* dict = p.Find("k");
  REQUIRE(dict != nullptr);
  REQUIRE(dict->decay().on());
  CHECK(dict->CheckInvariants() == "");
  for (const auto& [term, v] : o.stored) {
    long double want = o.Score(term, at);
    double got = ScoreOf(p, "k", term, at);
    if (want > kTiny) {
      INFO("term ", term, " want ", static_cast<double>(want), " got ", got);
      CHECK(std::fabs(static_cast<long double>(got) - want) <= 1e-9L * want);
    }
  }
  dict->ForEach([&](std::string_view term, int64_t) {
    long double want = o.Score(std::string(term), at);
    INFO("term ", std::string(term), " only here");
    CHECK(want > 0);
  });
  // Rankings: the same terms as the oracle's, near ties (1e-9) aside, for several prefixes.
  for (std::string prefix : {"", "a", "b", "ab", "ca"}) {
    std::vector<st::ScoredTerm> ours;
    dict->TopK(prefix, 40, &ours);
    std::vector<std::pair<long double, std::string>> theirs;
    for (const auto& [term, v] : o.stored) {
      if (term.starts_with(prefix) && o.Score(term, at) > kTiny) {
        theirs.emplace_back(o.Score(term, at), term);
      }
    }
    std::sort(theirs.begin(), theirs.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    size_t n = std::min<size_t>(theirs.size(), 40);
    REQUIRE(ours.size() >= n);
    for (size_t i = 0; i < n; ++i) {
      if (ours[i].term == theirs[i].second) continue;
      long double a = o.Score(ours[i].term, at), b = theirs[i].first;
      INFO("prefix '", prefix, "' rank ", i, ": ", ours[i].term, " vs ", theirs[i].second);
      CHECK(std::fabs(a - b) <= 1e-9L * b);
    }
  }
}

using typeahead::testing::Contents;
using typeahead::testing::Replayed;

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/typeahead-decay-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("Decaying scores match a brute-force oracle through rebases, and replay bit for bit") {
  std::mt19937 rng(77);
  auto term = [&] {
    std::string t(1 + rng() % 4, 'a');
    for (char& c : t) c = static_cast<char>('a' + rng() % 3);
    return t;
  };
  st::Partition p;
  typeahead::testing::RecordingSink sink;
  p.set_sink(&sink);
  DecayOracle o;
  // Counts first: ACDECAY makes them the scores as of its time.
  std::map<std::string, int64_t> counts;
  for (int i = 0; i < 300; ++i) {
    std::string t = term();
    int64_t d = 1 + rng() % 5;
    REQUIRE(p.Add("k", t, d, st::kNoTime));
    counts[t] += d;
  }
  int64_t clock = 1'000'000;
  p.SetDecay("k", 2, clock);
  o.half_life = 2;
  o.epoch = clock;
  for (const auto& [t, c] : counts) o.stored[t] = c;
  CheckAgainst(p, o, clock);

  int64_t checks = 0;
  for (int op = 0; op < 6000; ++op) {
    if (op == 2000 || op == 4000) {  // a new half-life; thousands of them pass in between
      int64_t h = op == 2000 ? 1 : 2;
      p.SetDecay("k", h, clock);
      o.SetHalfLife(h, clock);
      CheckAgainst(p, o, clock);
    }
    clock += rng() % 4;
    int64_t at = rng() % 5 == 0 ? clock - static_cast<int64_t>(rng() % 300) : clock;  // backfill
    std::string t = term();
    unsigned kind = rng() % 100;
    if (kind < 75) {
      int64_t d = 1 + rng() % 9;
      long double want = o.After(t, d, at);
      auto r = p.Add("k", t, d, at);
      REQUIRE(r);
      o.Set(t, want);
    } else if (kind < 88) {
      // A decrement that keeps a clear part of the score, or clearly removes the term: no
      // cancellation down to rounding, where the two arithmetics could disagree on presence.
      int64_t d = -(1 + static_cast<int64_t>(rng() % 9));
      auto it = o.stored.find(t);
      long double was = it == o.stored.end() ? 0 : it->second;
      long double want = o.After(t, d, at);
      if (was > 0 && std::fabs(want) < 1e-6L * was) continue;
      REQUIRE(p.Add("k", t, d, at));
      o.Set(t, want);
    } else if (kind < 98) {
      std::string_view one = t;
      p.EraseTerms("k", std::span(&one, 1));
      o.stored.erase(t);
    } else {
      CheckAgainst(p, o, clock);
      ++checks;
    }
  }
  CheckAgainst(p, o, clock);
  const st::Trie* dict = p.Find("k");
  REQUIRE(dict != nullptr);
  MESSAGE("checks: ", checks, ", shift: ", dict->decay().shift, ", terms: ", dict->size());
  CHECK(dict->decay().shift > static_cast<int64_t>(st::kRebaseExponent));  // rebased, twice+

  // The log the partition emitted rebuilds it bit for bit: event times, half-life changes and
  // the rebases they imply.
  CHECK(Contents(Replayed(sink)) == Contents(p));

  // So does a snapshot, the decay (with its shift) included.
  TempDir dir;
  std::string error;
  REQUIRE_MESSAGE(st::WriteSnapshot(&p, dir.path + "/s.tas", st::SnapshotInfo{}, &error), error);
  st::Partition loaded;
  st::SnapshotInfo info;
  REQUIRE_MESSAGE(st::LoadSnapshot(dir.path + "/s.tas", &loaded, &info, &error), error);
  CHECK(Contents(loaded) == Contents(p));
}

TEST_CASE("Partitions of one key that rebased differently give equal terms equal scores") {
  st::Partition a, b;
  a.SetDecay("k", 1, 0);
  b.SetDecay("k", 1, 0);
  REQUIRE(a.Add("k", "x", 3, 100));
  REQUIRE(b.Add("k", "y", 3, 100));
  REQUIRE(a.Add("k", "x", 2, 130));
  REQUIRE(b.Add("k", "y", 2, 130));
  REQUIRE(a.Add("k", "z", 1, 900));  // 900 half-lives past the epoch: a rebases, b does not
  CHECK(a.Find("k")->decay().shift > 0);
  CHECK(b.Find("k")->decay().shift == 0);
  for (int64_t t : {130, 400, 777, 950}) {
    double x = ScoreOf(a, "k", "x", t), y = ScoreOf(b, "k", "y", t);
    CHECK(x == y);  // bit for bit: the merge of the two answers ranks exactly
    CHECK(x > 0);
  }
  // And a write after the rebase adds what the same write adds in b.
  REQUIRE(a.Add("k", "x", 5, 950));
  REQUIRE(b.Add("k", "y", 5, 950));
  CHECK(ScoreOf(a, "k", "x", 960) == ScoreOf(b, "k", "y", 960));
}

TEST_CASE("ACDECAY: counts become scores, half-life changes keep scores, 0 rounds back") {
  st::Partition p;
  typeahead::testing::RecordingSink sink;
  p.set_sink(&sink);
  p.Add("k", "apple", 4, st::kNoTime);
  p.Add("k", "app", 1, st::kNoTime);
  CHECK(p.Add("k", "app", 1, 12345).value() == 2);  // no decay: AT changes nothing
  p.SetDecay("k", 1000, 10'000);                    // a 1 s half-life from t = 10 s
  CHECK(ScoreOf(p, "k", "apple", 10'000) == 4);
  CHECK(ScoreOf(p, "k", "apple", 11'000) == 2);
  CHECK(ScoreOf(p, "k", "apple", 12'000) == 1);
  CHECK(ScoreOf(p, "k", "apple", 9'000) == 8);
  // An event two half-lives before the epoch adds a quarter of itself at the epoch.
  p.Add("k", "app", 4, 8'000);
  CHECK(ScoreOf(p, "k", "app", 10'000) == 3);
  size_t records = sink.records.size();
  p.SetDecay("k", 1000, 99'999);  // the half-life it has: nothing changes, nothing logged
  CHECK(sink.records.size() == records);
  CHECK(ScoreOf(p, "k", "apple", 10'000) == 4);
  // A new half-life keeps each score as of its time, then decays at the new pace.
  p.SetDecay("k", 2000, 11'000);
  CHECK(ScoreOf(p, "k", "apple", 11'000) == 2);
  CHECK(ScoreOf(p, "k", "apple", 13'000) == 1);
  CHECK(ScoreOf(p, "k", "app", 13'000) == doctest::Approx(0.75));
  // 0: the scores at that time, rounded to the nearest count (halves up); 0 removes a term.
  p.Add("k", "zero", 1, 11'000);  // 0.25 at 15 s
  p.SetDecay("k", 0, 15'000);     // apple 0.5 -> 1, app 0.375 -> gone, zero 0.25 -> gone
  const st::Trie* dict = p.Find("k");
  REQUIRE(dict != nullptr);
  CHECK_FALSE(dict->decay().on());
  CHECK(dict->Score("apple") == 1);
  CHECK_FALSE(dict->Score("app").has_value());
  CHECK_FALSE(dict->Score("zero").has_value());
  CHECK(dict->CheckInvariants() == "");
  CHECK(p.Add("k", "apple", 1, 1).value() == 2);  // counts again

  // A missing key is created empty, and stays while empty; DEL drops it.
  p.SetDecay("trend", 60'000, 0);
  REQUIRE(p.Find("trend") != nullptr);
  CHECK(p.Find("trend")->empty());
  p.Add("trend", "x", 1, 0);
  p.Add("trend", "x", -1, 0);
  REQUIRE(p.Find("trend") != nullptr);
  CHECK(p.Find("trend")->decay().half_life_ms == 60'000);
  p.SetDecay("none", 0, 0);  // 0 on a missing key: nothing
  CHECK(p.Find("none") == nullptr);
  p.Erase("trend");
  CHECK(p.Find("trend") == nullptr);

  // The log replays to the same state; an empty decaying key survives a snapshot.
  p.SetDecay("empty", 5'000, 77);
  CHECK(Contents(Replayed(sink)) == Contents(p));
  TempDir dir;
  std::string error;
  REQUIRE(st::WriteSnapshot(&p, dir.path + "/s.tas", st::SnapshotInfo{}, &error));
  st::Partition loaded;
  st::SnapshotInfo info;
  REQUIRE_MESSAGE(st::LoadSnapshot(dir.path + "/s.tas", &loaded, &info, &error), error);
  CHECK(Contents(loaded) == Contents(p));
  REQUIRE(loaded.Find("empty") != nullptr);
  CHECK(loaded.Find("empty")->decay() == st::Decay{5'000, 77, 0});
}

TEST_CASE("A snapshot keeps the cut's scores when ACDECAY or a rebase comes mid-walk") {
  st::Partition p;
  p.SetDecay("k", 1, 0);
  std::mt19937 rng(5);
  for (int i = 0; i < 5000; ++i) {
    std::string t = "t" + std::to_string(rng() % 3000);
    p.Add("k", t, 1 + rng() % 3, rng() % 100);
  }
  typeahead::testing::PartitionBits at_cut = Contents(p);
  TempDir dir;
  std::string error;
  for (int change = 0; change < 2; ++change) {
    std::string path = dir.path + "/s" + std::to_string(change) + ".tas";
    st::SnapshotWriter w(&p, path, st::SnapshotInfo{});
    REQUIRE(w.ok());
    w.Step(500);
    if (change == 0) {
      p.SetDecay("k", 3, 150);
    } else {
      p.Add("k", "late", 1, 2000);  // hundreds of half-lives on: a rebase
    }
    while (!w.Step(500)) {
    }
    REQUIRE(w.ok());
    REQUIRE(w.file()->Finish(w.info().keys, w.info().terms, &error));
    st::Partition loaded;
    st::SnapshotInfo info;
    REQUIRE_MESSAGE(st::LoadSnapshot(path, &loaded, &info, &error), error);
    CHECK(Contents(loaded) == at_cut);
    at_cut = Contents(p);
  }
  CHECK(p.Find("k")->decay().shift > 0);
}

TEST_CASE("Decay records encode with their event times and decode back") {
  auto round_trip = [](const st::Mutation& m) {
    st::MutationEncoder enc;
    auto args = enc.Encode(m);
    std::vector<std::string> held(args.begin(), args.end());
    std::vector<std::string_view> views(held.begin(), held.end());
    st::Mutation back;
    REQUIRE(st::DecodeMutation(views, &back));
    CHECK(back == m);
    return held;
  };
  st::Mutation rec = st::Mutation::Increment("k", "apple", 1);
  rec.at_ms = 1700000000123;
  CHECK(round_trip(rec) ==
        std::vector<std::string>{"ACRECORD", "k", "apple", "AT", "1700000000123"});
  st::Mutation by = st::Mutation::Increment("k", "apple", -3);
  by.at_ms = 0;
  CHECK(round_trip(by) == std::vector<std::string>{"ACINCRBY", "k", "apple", "-3", "AT", "0"});
  CHECK(round_trip(st::Mutation::Decay("k", 1500, 42)) ==
        std::vector<std::string>{"ACDECAY", "k", "1.500", "AT", "42"});
  CHECK(round_trip(st::Mutation::Decay("k", 0, 42)) ==
        std::vector<std::string>{"ACDECAY", "k", "0.000", "AT", "42"});
  CHECK(round_trip(st::Mutation::Decay("k", 86400000, 1)) ==
        std::vector<std::string>{"ACDECAY", "k", "86400.000", "AT", "1"});
  st::Mutation m;
  using V = std::vector<std::string_view>;
  CHECK_FALSE(st::DecodeMutation(V{"ACRECORD", "k", "t", "AT"}, &m));
  CHECK_FALSE(st::DecodeMutation(V{"ACRECORD", "k", "t", "AT", "-1"}, &m));
  CHECK_FALSE(st::DecodeMutation(V{"ACRECORD", "k", "t", "AS", "1"}, &m));
  CHECK_FALSE(st::DecodeMutation(V{"ACDECAY", "k", "1"}, &m));  // a record always has AT
  CHECK_FALSE(st::DecodeMutation(V{"ACDECAY", "k", "0.0001", "AT", "1"}, &m));
  CHECK_FALSE(st::DecodeMutation(V{"ACDECAY", "k", "-1", "AT", "1"}, &m));
}

TEST_CASE("A Scale computes ScoreAt and Grown bit for bit, and Add's score is ACSCORE's") {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20000; ++i) {
    st::Decay d{static_cast<int64_t>(1 + rng() % 100000), static_cast<int64_t>(rng() % 1000000),
                static_cast<int64_t>(rng() % 3000)};
    int64_t t = static_cast<int64_t>(rng() % 100000000);
    double v = std::ldexp(static_cast<double>(1 + rng() % 1000000), static_cast<int>(rng() % 400));
    st::Decay::Scale s = d.ScaleAt(t);
    CHECK(st::EncodeStored(s.Score(v)) == st::EncodeStored(d.ScoreAt(v, t)));
    CHECK(st::EncodeStored(s.Grown(v)) == st::EncodeStored(d.Grown(v, t)));
  }
  st::Partition p;
  p.SetDecay("k", 1000, 0);
  for (int i = 0; i < 2000; ++i) {
    int64_t at = static_cast<int64_t>(i / 3 * 7);  // three writes per millisecond: the memo
    double score = -1;
    st::Decay decay;
    std::string t = "t" + std::to_string(rng() % 50);
    auto r = p.Add("k", t, 1 + static_cast<int64_t>(rng() % 5), at, &decay, &score);
    REQUIRE(r);
    CHECK(decay == p.Find("k")->decay());
    // With AT the reply is the score now, not at AT: a score of now is far below AT's.
    CHECK(score >= 0);
    CHECK(score < decay.ScoreAt(st::DecodeStored(*r), at));
  }
  // Without AT: the score at the write's own time, as ACSCORE then computes it.
  p.SetDecay("n", 3600000, st::WallClockMs());
  double score = -1;
  auto r = p.Add("n", "x", 2, st::kNoTime, nullptr, &score);
  REQUIRE(r);
  double later = p.Find("n")->decay().ScoreAt(st::DecodeStored(*r), st::WallClockMs());
  CHECK(score >= later);
  // Grown at the write's time and scored back at it: 2 up to the two roundings (the write may
  // fall a millisecond or more after ACDECAY's epoch, so not always exactly 2).
  CHECK(std::fabs(score - 2.0) <= 1e-12);
  CHECK(later > 1.99);
}

TEST_CASE("Half-lives and event times parse within their limits") {
  int64_t ms = -1;
  CHECK((st::ParseHalfLife("3600", &ms) && ms == 3'600'000));
  CHECK((st::ParseHalfLife("0.001", &ms) && ms == 1));
  CHECK((st::ParseHalfLife("0", &ms) && ms == 0));
  CHECK((st::ParseHalfLife("1e10", &ms) && ms == 10'000'000'000'000));
  CHECK_FALSE(st::ParseHalfLife("0.0004", &ms));
  CHECK_FALSE(st::ParseHalfLife("1.1e10", &ms));
  CHECK_FALSE(st::ParseHalfLife("-1", &ms));
  CHECK_FALSE(st::ParseHalfLife("nan", &ms));
  CHECK_FALSE(st::ParseHalfLife("inf", &ms));
  CHECK_FALSE(st::ParseHalfLife("x", &ms));
  CHECK((st::ParseEventTime("253402300799999", &ms) && ms == st::kMaxEventTime));
  CHECK_FALSE(st::ParseEventTime("253402300800000", &ms));
  CHECK_FALSE(st::ParseEventTime("-1", &ms));
  CHECK_FALSE(st::ParseEventTime("1.5", &ms));
}

TEST_CASE("A rebase drops exactly the scores a double cannot hold, and every cache stays exact") {
  st::Partition p;
  p.SetDecay("k", 1, 0);  // a 1 ms half-life from t = 0
  std::mt19937 rng(11);
  std::map<std::string, int64_t> at;
  for (int i = 0; i < 3000; ++i) {
    std::string t = "t" + std::to_string(i);
    at[t] = rng() % 700;
    REQUIRE(p.Add("k", t, 1 + rng() % 3, at[t]));
  }
  REQUIRE(p.Find("k")->size() == 3000);
  // 1600 half-lives past the epoch: a rebase by 1600, and a value 2^t (t in ms) becomes
  // 2^(t - 1600) (times at most 3), normal only from t >= 578 on.
  REQUIRE(p.Add("k", "late", 1, 1600));
  const st::Trie* dict = p.Find("k");
  CHECK(dict->decay().shift == 1600);
  CHECK(dict->CheckInvariants() == "");
  for (const auto& [t, when] : at) {
    INFO(t, " at ", when);
    if (when >= 580) CHECK(dict->Score(t).has_value());
    if (when < 576) CHECK_FALSE(dict->Score(t).has_value());
  }
  // The ranking is the stored values' (a brute force over what is left).
  std::vector<std::pair<double, std::string>> all;
  dict->ForEach([&](std::string_view t, int64_t f) {
    all.emplace_back(-st::DecodeStored(f), std::string(t));
  });
  std::sort(all.begin(), all.end());
  std::vector<st::ScoredTerm> top;
  dict->TopK("", 100, &top);
  REQUIRE(top.size() == 100);
  for (size_t i = 0; i < top.size(); ++i) CHECK(top[i].term == all[i].second);
}
