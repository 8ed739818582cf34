#include "server/watched_keys.h"

#include <doctest/doctest.h>

#include <array>
#include <memory>
#include <string_view>

namespace typeahead::server {
namespace {

using storage::Mutation;
using Watch = WatchedKeys::Watch;

TEST_CASE("WatchedKeys marks the watchers of the keys a change names, and only those") {
  WatchedKeys table;
  auto a = std::make_shared<Watch>(), b = std::make_shared<Watch>();
  table.Add("k", a);
  table.Add("k", a);  // twice: one entry
  table.Add("j", b);
  table.Touch(Mutation::Increment("other", "t", 1));
  CHECK_FALSE(a->dirty);
  CHECK_FALSE(b->dirty);
  table.Touch(Mutation::Increment("k", "t", 1));
  CHECK(a->dirty);
  CHECK_FALSE(b->dirty);
  CHECK(table.size() == 1);  // k's entry did its work

  std::array<std::string_view, 2> keys = {"x", "j"};
  table.Touch(Mutation::EraseKeys(keys));
  CHECK(b->dirty);
  CHECK(table.empty());
}

TEST_CASE("WatchedKeys: a rename touches both names, FLUSHALL every key") {
  WatchedKeys table;
  auto from = std::make_shared<Watch>(), to = std::make_shared<Watch>();
  auto any = std::make_shared<Watch>();
  table.Add("old", from);
  table.Add("new", to);
  table.Touch(Mutation::Rename("old", "new"));
  CHECK(from->dirty);
  CHECK(to->dirty);
  table.Add("z", any);
  std::array<std::string_view, 1> terms = {"t"};
  table.Touch(Mutation::EraseTerms("y", terms));
  CHECK_FALSE(any->dirty);
  table.Touch(Mutation::Clear());
  CHECK(any->dirty);
  CHECK(table.empty());
}

TEST_CASE("WatchedKeys::Sweep drops the watches that ended") {
  WatchedKeys table;
  auto ended = std::make_shared<Watch>(), live = std::make_shared<Watch>();
  table.Add("a", ended);
  table.Add("b", ended);
  table.Add("b", live);
  ended->active = false;
  table.Sweep();
  CHECK(table.size() == 1);
  table.Touch(Mutation::Increment("b", "t", 1));
  CHECK(live->dirty);
  CHECK_FALSE(ended->dirty);
}

}  // namespace
}  // namespace typeahead::server
