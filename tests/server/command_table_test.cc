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

TEST_CASE("ACL categories follow from the flags as Redis derives them, plus a row's own") {
  for (const CommandSpec* spec : CommandTable::Get().all()) {
    CAPTURE(spec->name);
    uint32_t acl = AclCategories(*spec);
    CHECK(((acl & kAclWrite) != 0) == ((spec->flags & kWrite) != 0 || (spec->acl & kAclWrite)));
    CHECK(((acl & kAclRead) != 0) == ((spec->flags & kReadonly) != 0 || (spec->acl & kAclRead)));
    if (spec->flags & kAdmin)
      CHECK((acl & (kAclAdmin | kAclDangerous)) == (kAclAdmin | kAclDangerous));
    if (spec->flags & kPubsub) CHECK((acl & kAclPubsub) != 0);
    // Exactly one of fast and slow, as the fast flag says.
    CHECK(((acl & kAclFast) != 0) == ((spec->flags & kFast) != 0));
    CHECK(((acl & kAclSlow) != 0) == ((spec->flags & kFast) == 0));
  }
  const CommandSpec* publish = CommandTable::Get().Find("publish");
  REQUIRE(publish != nullptr);
  CHECK(AclCategories(*publish) == (kAclPubsub | kAclFast));  // as Redis 7: @pubsub @fast
  const CommandSpec* keys = CommandTable::Get().Find("keys");
  CHECK(AclCategories(*keys) == (kAclKeyspace | kAclRead | kAclSlow | kAclDangerous));
}

TEST_CASE("Every container's HELP is generated, and every subcommand has its entry in it") {
  size_t containers = 0;
  for (const CommandSpec& spec : CommandTable::Get().commands()) {
    if (spec.subcommands.empty()) continue;
    ++containers;
    CAPTURE(spec.name);
    const CommandSpec* help = CommandTable::FindSub(spec, "help");
    REQUIRE(help != nullptr);
    CHECK((help->sync == &ContainerHelp));
    for (const CommandSpec& sub : spec.subcommands) {
      if (&sub == help) continue;
      CAPTURE(sub.name);
      REQUIRE_FALSE(sub.help.empty());
      std::string upper(sub.name.substr(sub.name.find('|') + 1));
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      for (const HelpEntry& e : sub.help) {
        CHECK(e.usage.substr(0, upper.size()) == upper);
        CHECK_FALSE(e.text.empty());
      }
    }
  }
  CHECK(containers == 9);  // ACL, CLIENT, COMMAND, CONFIG, LATENCY, MEMORY, OBJECT, PUBSUB, SLOWLOG
}

}  // namespace
}  // namespace typeahead::server
