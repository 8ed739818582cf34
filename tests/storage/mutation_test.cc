// The mutation vocabulary: encoding round trips, and a partition's emitted mutations redo
// exactly its changes on another partition (what the log and a replica rely on).
#include "storage/mutation.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "storage/partition.h"
#include "storage/replay.h"
#include "tests/storage/recording_sink.h"

namespace {

using namespace typeahead;
using storage::Mutation;
using storage::MutationKind;
using Args = std::vector<std::string_view>;

// Every key and term of p with its frequency and payload, in one comparable list.
std::vector<std::string> Dump(const storage::Partition& p) {
  std::vector<std::string> out;
  for (const auto& [key, dict] : p.keys()) {
    dict.ForEach([&, &key = key, &dict = dict](std::string_view term, int64_t freq) {
      out.push_back(key + "\x1f" + std::string(term) + "\x1f" + std::to_string(freq) + "\x1f" +
                    std::string(dict.Payload(term)));
    });
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("Mutations encode as the commands that make the same change") {
  storage::MutationEncoder enc;
  auto encoded = [&](const Mutation& m) {
    auto args = enc.Encode(m);
    return std::vector<std::string>(args.begin(), args.end());
  };
  using V = std::vector<std::string>;
  CHECK(encoded(Mutation::Increment("k", "apple", 1)) == V{"ACRECORD", "k", "apple"});
  CHECK(encoded(Mutation::Increment("k", "apple", -9223372036854775807 - 1)) ==
        V{"ACINCRBY", "k", "apple", "-9223372036854775808"});
  const std::string_view terms[] = {"a", "b"};
  CHECK(encoded(Mutation::EraseTerms("k", terms)) == V{"ACDEL", "k", "a", "b"});
  CHECK(encoded(Mutation::EraseKeys(terms)) == V{"DEL", "a", "b"});
  CHECK(encoded(Mutation::Rename("a", "b")) == V{"RENAME", "a", "b"});
  CHECK(encoded(Mutation::Clear()) == V{"FLUSHALL"});
  CHECK(encoded(Mutation::Suggest("k", "apple", 0, "p")) ==
        V{"FT.SUGADD", "k", "apple", "0", "INCR", "PAYLOAD", "p"});
  CHECK(encoded(Mutation::Suggest("k", "apple", -2, "")) ==
        V{"FT.SUGADD", "k", "apple", "-2", "INCR", "PAYLOAD", ""});
}

TEST_CASE("Decoding refuses what is no mutation, and ignores the case of names") {
  Mutation m;
  CHECK(storage::DecodeMutation(Args{"acincrby", "k", "t", "-3"}, &m));
  CHECK(m == Mutation::Increment("k", "t", -3));
  CHECK(storage::DecodeMutation(Args{"AcRecord", "k", "t"}, &m));
  CHECK(m == Mutation::Increment("k", "t", 1));
  CHECK(storage::DecodeMutation(Args{"ft.sugadd", "k", "t", "3", "incr", "payload", "p"}, &m));
  CHECK(m == Mutation::Suggest("k", "t", 3, "p"));
  CHECK(m != Mutation::Suggest("k", "t", 3, "q"));
  CHECK(m != Mutation::Increment("k", "t", 3));
  // Only the encoder's form of FT.SUGADD is a mutation: the handler turns the others into it.
  for (const Args& bad :
       {Args{"FT.SUGADD", "k", "t", "3"}, Args{"FT.SUGADD", "k", "t", "3", "INCR"},
        Args{"FT.SUGADD", "k", "t", "3", "PAYLOAD", "p", "INCR"},
        Args{"FT.SUGADD", "k", "t", "1.5", "INCR", "PAYLOAD", "p"},
        Args{"FT.SUGADD", "k", "", "1", "INCR", "PAYLOAD", "p"}}) {
    CHECK_FALSE(storage::DecodeMutation(bad, &m));
  }
  for (const Args& bad :
       {Args{}, Args{"ACTOPK", "k", "t"}, Args{"ACRECORD", "k", ""}, Args{"ACRECORD", "k"},
        Args{"ACINCRBY", "k", "t", "1.5"}, Args{"ACINCRBY", "k", "t", "+1"}, Args{"ACDEL", "k"},
        Args{"DEL"}, Args{"RENAME", "a"}, Args{"FLUSHALL", "ASYNC"}}) {
    CHECK_FALSE(storage::DecodeMutation(bad, &m));
  }
  // A term the trie cannot hold, as only a crafted stream could carry: refused, not applied.
  std::string longest(storage::Trie::kMaxTermLength, 'x'), too_long = longest + "x";
  CHECK(storage::DecodeMutation(Args{"ACRECORD", "k", longest}, &m));
  CHECK_FALSE(storage::DecodeMutation(Args{"ACRECORD", "k", too_long}, &m));
  CHECK_FALSE(storage::DecodeMutation(Args{"ACINCRBY", "k", too_long, "2"}, &m));
}

TEST_CASE("Decode(Encode(m)) == m for random mutations, binary names included") {
  std::mt19937_64 rng(18);
  auto name = [&] {
    std::string s(1 + rng() % 6, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 4 == 0 ? rng() % 256 : 'a' + rng() % 3);
    return s;
  };
  storage::MutationEncoder enc;
  for (int i = 0; i < 2000; ++i) {
    std::vector<std::string> names;
    for (int j = 1 + rng() % 4; j > 0; --j) names.push_back(name());
    std::vector<std::string_view> views(names.begin(), names.end());
    std::string key = name(), other = name();
    auto delta = static_cast<int64_t>(rng());
    Mutation m;
    switch (rng() % 7) {
      case 0:
        m = Mutation::Increment(key, names[0], 1);
        break;
      case 6:
        m = Mutation::Suggest(key, names[0], delta,
                              rng() % 3 == 0 ? std::string_view() : std::string_view(other));
        break;
      case 1:
        m = Mutation::Increment(key, names[0], delta);
        break;
      case 2:
        m = Mutation::EraseTerms(key, views);
        break;
      case 3:
        m = Mutation::EraseKeys(views);
        break;
      case 4:
        m = Mutation::Rename(key, other);
        break;
      default:
        m = Mutation::Clear();
        break;
    }
    auto args = enc.Encode(m);
    Mutation back;
    REQUIRE(storage::DecodeMutation(args, &back));
    CHECK(back == m);
  }
}

TEST_CASE("A partition emits one mutation per change, none for no change") {
  storage::Partition p;
  testing::RecordingSink sink;
  p.set_sink(&sink);
  using V = std::vector<std::vector<std::string>>;
  CHECK(*p.IncrBy("k", "apple", 2) == 2);
  CHECK(*p.IncrBy("k", "apple", 0) == 2);   // no change
  CHECK(*p.IncrBy("k", "pear", -4) == 0);   // absent term, lowered: no change
  CHECK(*p.IncrBy("nokey", "x", -1) == 0);  // absent key: no change
  CHECK(p.EraseTerm("k", "pear") == false);
  CHECK(p.Erase("nokey") == false);
  CHECK(p.Rename("nokey", "k") == false);
  CHECK(sink.records == V{{"ACINCRBY", "k", "apple", "2"}});
  sink.records.clear();

  CHECK(!p.IncrBy("k", "apple", INT64_MAX));  // overflow: nothing changes, nothing logged
  CHECK(p.IncrBy("k", "fig", 1));
  const std::string_view erase[] = {"apple", "absent", "fig"};
  CHECK(p.EraseTerms("k", erase) == 2);  // the key goes with its last term
  CHECK(p.Find("k") == nullptr);
  p.IncrBy("a", "t", 1);
  p.IncrBy("b", "t", 1);
  const std::string_view keys[] = {"zz", "a"};
  std::vector<bool> found;
  CHECK(p.EraseKeys(keys, &found) == 1);
  CHECK(found == std::vector<bool>{false, true});
  CHECK(p.Rename("b", "c"));
  p.Clear();
  p.Clear();  // as FLUSHALL on an empty server: still replicated
  CHECK(sink.records == V{{"ACRECORD", "k", "fig"},
                          {"ACDEL", "k", "apple", "fig"},
                          {"ACRECORD", "a", "t"},
                          {"ACRECORD", "b", "t"},
                          {"DEL", "a"},
                          {"RENAME", "b", "c"},
                          {"FLUSHALL"},
                          {"FLUSHALL"}});

  // Suggest: one kSuggest when the payload changes, an increment when only the score does.
  sink.records.clear();
  CHECK(*p.Suggest("s", "t", 0, "p") == 0);  // nothing to create: no change
  CHECK(*p.Suggest("s", "t", 2, "p") == 2);
  CHECK(p.Find("s")->Payload("t") == "p");
  CHECK(*p.Suggest("s", "t", 1, "p") == 3);  // the same payload
  CHECK(*p.Suggest("s", "t", 0, "p") == 3);  // no change at all
  CHECK(*p.IncrBy("s", "t", 1) == 4);        // an increment keeps the payload
  CHECK(p.Find("s")->Payload("t") == "p");
  CHECK(*p.Suggest("s", "t", 0, "q") == 4);
  CHECK(*p.Suggest("s", "u", -1, "q") == 0);  // an absent term stays absent
  CHECK(*p.Suggest("s", "t", 0, "") == 4);    // empty: the payload goes
  CHECK(p.Find("s")->Payload("t").empty());
  CHECK(p.Find("s")->payload_count() == 0);
  CHECK(*p.Suggest("s", "t", 0, "r") == 4);
  CHECK(*p.Suggest("s", "t", -4, "x") == 0);  // removed, and the key with it
  CHECK(p.Find("s") == nullptr);
  CHECK(sink.records == V{{"FT.SUGADD", "s", "t", "2", "INCR", "PAYLOAD", "p"},
                          {"ACRECORD", "s", "t"},
                          {"ACRECORD", "s", "t"},
                          {"FT.SUGADD", "s", "t", "0", "INCR", "PAYLOAD", "q"},
                          {"FT.SUGADD", "s", "t", "0", "INCR", "PAYLOAD", ""},
                          {"FT.SUGADD", "s", "t", "0", "INCR", "PAYLOAD", "r"},
                          {"FT.SUGADD", "s", "t", "-4", "INCR", "PAYLOAD", "x"}});
  // A term's payload goes with the term, whichever way it goes.
  p.set_sink(nullptr);
  p.Suggest("s", "a", 1, "pa");
  p.Suggest("s", "b", 1, "pb");
  p.Suggest("s", "c", 1, "pc");
  p.IncrBy("s", "a", -1);
  p.EraseTerm("s", "b");
  CHECK(p.Find("s")->payload_count() == 1);
  CHECK(p.Find("s")->CheckInvariants().empty());
  p.IncrBy("s", "a", 1);
  CHECK(p.Find("s")->Payload("a").empty());
  p.Erase("s");
  p.set_sink(&sink);

  // Replace (a full sync) takes the other's keys, emits nothing and keeps the sink.
  sink.records.clear();
  storage::Partition loaded;
  loaded.IncrBy("x", "y", 5);
  p.Replace(std::move(loaded));
  CHECK(sink.records.empty());
  CHECK(p.sink() == &sink);
  CHECK(p.Find("x")->Score("y") == 5);
}

TEST_CASE("Replaying what a partition emitted rebuilds it exactly, after random changes") {
  std::mt19937 rng(7);
  storage::Partition p, replayed;
  testing::RecordingSink sink;
  p.set_sink(&sink);
  const char* keys[] = {"k1", "k2", "k3"};
  auto term = [&] { return std::string(1, static_cast<char>('a' + rng() % 5)) + "x"; };
  std::string error;
  for (int i = 0; i < 5000; ++i) {
    std::string key = keys[rng() % 3], t1 = term(), t2 = term();
    switch (rng() % 20) {
      case 0: {
        const std::string_view ts[] = {t1, t2};
        p.EraseTerms(key, ts);
        break;
      }
      case 1:
        p.Erase(key);
        break;
      case 2:
        p.Rename(key, keys[rng() % 3]);
        break;
      case 3:
        if (rng() % 10 == 0) p.Clear();
        break;
      case 4:
      case 5:
        p.IncrBy(key, t1, -static_cast<int64_t>(rng() % 4));
        break;
      case 6:
      case 7: {
        const char* payloads[] = {"", "p1", "p2", "\0bin"};
        std::string_view payload(payloads[rng() % 4]);
        if (payload == "\0bin") payload = std::string_view("\0bin", 4);
        p.Suggest(key, t1, static_cast<int64_t>(rng() % 5) - 2, payload);
        break;
      }
      default:
        p.IncrBy(key, t1, 1 + rng() % 3);
        break;
    }
    for (const auto& r : sink.records) {
      Args args(r.begin(), r.end());
      REQUIRE_MESSAGE(storage::ApplyLogged(&replayed, args, &error), error);
    }
    sink.records.clear();
    if (i % 500 == 0) REQUIRE(Dump(p) == Dump(replayed));
  }
  CHECK(Dump(p) == Dump(replayed));
  CHECK_FALSE(Dump(p).empty());
}

}  // namespace
