#include "server/command_table.h"

#include <doctest/doctest.h>

#include <cctype>
#include <string>

namespace typeahead::server {
namespace {

TEST_CASE("CommandTable finds every command by its name in any case, and nothing else") {
  const CommandTable& table = CommandTable::Get();
  REQUIRE(table.commands().size() >= 40);
  for (const CommandSpec& spec : table.commands()) {
    std::string name(spec.name), upper = name;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(table.Find(name) == &spec);
    CHECK(table.Find(upper) == &spec);
    CHECK(table.Find(name + "x") != &spec);
    CHECK(table.Find(name.substr(0, name.size() - 1)) != &spec);
  }
  CHECK(table.Find("") == nullptr);
  CHECK(table.Find("nosuchcommand") == nullptr);
  CHECK(table.Find(std::string(33, 'a')) == nullptr);
  CHECK(table.Find(std::string("pi\0g", 4)) == nullptr);
  CHECK(table.Find("acTopK") != nullptr);
}

}  // namespace
}  // namespace typeahead::server
