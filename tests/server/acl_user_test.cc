// AclUser and Acl as values: the rule language, what Describe() gives back, the check of a
// command against a user, loading and saving ACL files, adopting a newer state in place, and
// the grouping of ACL LOG entries. The texts are Redis 7.0.15's, as it answers ACL SETUSER.
#include "server/acl_user.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "server/acl.h"
#include "server/command_table.h"

namespace {
using typeahead::server::Acl;
using typeahead::server::AclDenied;
using typeahead::server::AclLogEntry;
using typeahead::server::AclUser;
using typeahead::server::CommandSpec;
using typeahead::server::CommandTable;

AclUser Make(std::vector<std::string_view> rules) {
  AclUser user("u");
  for (std::string_view rule : rules) {
    std::string_view error = user.Apply(rule);
    REQUIRE_MESSAGE(error.empty(), rule, ": ", error);
  }
  return user;
}

const CommandSpec& Spec(std::string_view name, std::string_view sub = {}) {
  const CommandSpec* spec = CommandTable::Get().Find(name);
  REQUIRE(spec != nullptr);
  if (!sub.empty()) spec = CommandTable::FindSub(*spec, sub);
  REQUIRE(spec != nullptr);
  return *spec;
}

// The check of a command line: the command is looked up by its first word (and second for a
// container), as the dispatcher does.
AclDenied Check(const AclUser& user, std::vector<std::string_view> args, size_t* arg = nullptr) {
  size_t unused = 0;
  const CommandSpec* spec = &Spec(args[0]);
  if (!spec->subcommands.empty() && args.size() > 1) spec = &Spec(args[0], args[1]);
  return user.Check(*spec, args, arg ? arg : &unused);
}

}  // namespace

TEST_CASE("AclUser: a new user is off and allowed nothing; the default user everything") {
  AclUser fresh("alice");
  CHECK_FALSE(fresh.enabled());
  CHECK_FALSE(fresh.Authenticates(""));
  CHECK(fresh.Describe() == "off resetchannels -@all");
  CHECK(Check(fresh, {"ACTOPK", "k", "a", "1"}) == AclDenied::kCommand);
  // AUTH and HELLO are never refused: a user must be able to log in as another.
  CHECK(Check(fresh, {"AUTH", "bob", "x"}) == AclDenied::kNone);

  AclUser def = AclUser::Default();
  CHECK(def.unrestricted());
  CHECK(def.Describe() == "on nopass ~* &* +@all");
  CHECK(def.Authenticates("anything"));
  CHECK(Check(def, {"FLUSHALL"}) == AclDenied::kNone);
}

TEST_CASE("AclUser: passwords are kept as SHA-256 and compared as hashes") {
  AclUser u = Make({"on", ">secret"});
  REQUIRE(u.passwords().size() == 1);
  // sha256("secret")
  CHECK(u.passwords()[0] == "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b");
  CHECK(u.Authenticates("secret"));
  CHECK_FALSE(u.Authenticates("secreT"));
  CHECK_FALSE(u.Authenticates(""));
  CHECK(u.Apply("#2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b").empty());
  CHECK(u.passwords().size() == 1);  // the same hash, once
  CHECK(u.Apply("#2BB80D537B1DA3E38BD30361AA855686BDE0EACD7162FEF6A25FE97BF527A25B") ==
        "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
        "characters");
  CHECK(u.Apply(">other").empty());
  CHECK(u.Authenticates("other"));
  CHECK(u.Apply("<secret").empty());
  CHECK_FALSE(u.Authenticates("secret"));
  CHECK(u.Apply("<never-set") ==
        "The password you are trying to remove from the user does not exist");
  CHECK(u.Apply("#abc") ==
        "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
        "characters");
  CHECK(u.Apply("nopass").empty());
  CHECK(u.passwords().empty());
  CHECK(u.Authenticates("whatever"));
  CHECK(u.Apply("resetpass").empty());
  CHECK_FALSE(u.nopass());
  CHECK_FALSE(u.Authenticates("whatever"));
  CHECK(u.Apply("off").empty());
  CHECK(u.Apply(">x").empty());
  CHECK_FALSE(u.Authenticates("x"));  // a disabled user logs in with nothing
}

TEST_CASE("AclUser: commands by name, subcommand and category") {
  AclUser reader = Make({"on", "nopass", "allkeys", "+@read"});
  CHECK(Check(reader, {"ACTOPK", "k", "a", "1"}) == AclDenied::kNone);
  CHECK(Check(reader, {"ACSCORE", "k", "a"}) == AclDenied::kNone);
  CHECK(Check(reader, {"ACRECORD", "k", "a"}) == AclDenied::kCommand);
  CHECK(Check(reader, {"DEL", "k"}) == AclDenied::kCommand);
  CHECK(reader.DescribeCommands() == "-@all +@read");

  AclUser ac = Make({"on", "nopass", "allkeys", "+@autocomplete", "-acrecord"});
  CHECK(Check(ac, {"ACTOPK", "k", "a", "1"}) == AclDenied::kNone);
  CHECK(Check(ac, {"ACINCRBY", "k", "a", "2"}) == AclDenied::kNone);
  CHECK(Check(ac, {"ACRECORD", "k", "a"}) == AclDenied::kCommand);
  CHECK(Check(ac, {"DEL", "k"}) == AclDenied::kCommand);
  CHECK(ac.DescribeCommands() == "-@all +@autocomplete -acrecord");

  AclUser sub = Make({"on", "nopass", "+config|get"});
  CHECK(Check(sub, {"CONFIG", "GET", "maxclients"}) == AclDenied::kNone);
  CHECK(Check(sub, {"CONFIG", "SET", "maxclients", "1"}) == AclDenied::kCommand);
  CHECK(sub.DescribeCommands() == "-@all +config|get");

  AclUser all = Make({"on", "nopass", "allkeys", "allcommands", "-@dangerous"});
  CHECK(Check(all, {"ACTOPK", "k", "a", "1"}) == AclDenied::kNone);
  CHECK(Check(all, {"FLUSHALL"}) == AclDenied::kCommand);
  CHECK(Check(all, {"CONFIG", "SET", "maxclients", "1"}) == AclDenied::kCommand);
  CHECK(all.DescribeCommands() == "+@all -@dangerous");

  AclUser u("u");
  CHECK(u.Apply("+@nosuch") == "Unknown command or category name in ACL");
  CHECK(u.Apply("+nosuchcommand") == "Unknown command or category name in ACL");
  CHECK(u.Apply("bogus") == "Syntax error");
  CHECK(u.Apply("+acl|nosuch") == "Unknown command or category name in ACL");
}

TEST_CASE("AclUser: keys by pattern, with read and write permissions apart") {
  AclUser tenant = Make({"on", "nopass", "~a:*", "+@all"});
  size_t arg = 99;
  CHECK(Check(tenant, {"ACRECORD", "a:q", "apple"}) == AclDenied::kNone);
  CHECK(Check(tenant, {"ACRECORD", "b:q", "apple"}, &arg) == AclDenied::kKey);
  CHECK(arg == 1);
  // Every key of a many-key command is checked: RENAME's source and its destination.
  CHECK(Check(tenant, {"RENAME", "a:q", "b:q"}, &arg) == AclDenied::kKey);
  CHECK(arg == 2);
  CHECK(Check(tenant, {"DEL", "a:1", "a:2", "b:3"}, &arg) == AclDenied::kKey);
  CHECK(arg == 3);
  // Commands without keys are not restricted by key patterns.
  CHECK(Check(tenant, {"PING"}) == AclDenied::kNone);

  AclUser split = Make({"on", "nopass", "+@all", "%R~r:*", "%W~w:*"});
  CHECK(Check(split, {"ACTOPK", "r:q", "a", "1"}) == AclDenied::kNone);
  CHECK(Check(split, {"ACRECORD", "r:q", "a"}) == AclDenied::kKey);
  CHECK(Check(split, {"ACRECORD", "w:q", "a"}) == AclDenied::kNone);
  CHECK(Check(split, {"ACTOPK", "w:q", "a", "1"}) == AclDenied::kKey);
  CHECK(split.DescribeKeys() == "%R~r:* %W~w:*");
  // %RW~ is ~.
  AclUser rw = Make({"%RW~x*"});
  CHECK(rw.DescribeKeys() == "~x*");

  AclUser u("u");
  CHECK(u.Apply("%X~a") == "Syntax error");
  CHECK(u.Apply("allkeys").empty());
  CHECK(u.Apply("~a*") ==
        "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not "
        "have any effect. Try 'resetkeys' to start with an empty list of patterns");
  CHECK(u.Apply("resetkeys").empty());
  CHECK(u.DescribeKeys().empty());
}

TEST_CASE("AclUser: channels for PUBLISH, SUBSCRIBE and PSUBSCRIBE") {
  AclUser u = Make({"on", "nopass", "+@all", "allkeys", "resetchannels", "&news.*"});
  CHECK(Check(u, {"PUBLISH", "news.eu", "hi"}) == AclDenied::kNone);
  size_t arg = 0;
  CHECK(Check(u, {"PUBLISH", "sports", "hi"}, &arg) == AclDenied::kChannel);
  CHECK(arg == 1);
  CHECK(Check(u, {"SUBSCRIBE", "news.eu", "sports"}, &arg) == AclDenied::kChannel);
  CHECK(arg == 2);
  // A pattern is allowed only when a channel rule is that very pattern.
  CHECK(Check(u, {"PSUBSCRIBE", "news.*"}) == AclDenied::kNone);
  CHECK(Check(u, {"PSUBSCRIBE", "news.e*"}) == AclDenied::kChannel);
  CHECK(u.DescribeChannels() == "&news.*");
}

TEST_CASE("AclUser: reset, and Describe rebuilds the same user") {
  AclUser u = Make({"on", ">p1", "~a:*", "%R~b:*", "&c", "+@read", "+acrecord", "-actopk"});
  std::string described = u.Describe();
  CHECK(described == "on #" + typeahead::server::HashPassword("p1") +
                         " ~a:* %R~b:* resetchannels &c -@all +@read +acrecord -actopk");
  AclUser again("u");
  REQUIRE(again.Apply("reset").empty());
  size_t start = 0;
  while (start < described.size()) {
    size_t end = described.find(' ', start);
    if (end == std::string::npos) end = described.size();
    REQUIRE(again.Apply(std::string_view(described).substr(start, end - start)).empty());
    start = end + 1;
  }
  CHECK(again.Describe() == described);

  REQUIRE(u.Apply("reset").empty());
  CHECK(u.Describe() == "off resetchannels -@all");
}

TEST_CASE("Acl: SETUSER is all or nothing; the default user cannot be deleted") {
  Acl acl;
  std::vector<std::string_view> good{"on", ">pw", "~a:*", "+@autocomplete"};
  CHECK_FALSE(acl.SetUser("alice", good).has_value());
  REQUIRE(acl.Find("alice") != nullptr);
  std::string before = acl.Find("alice")->Describe();
  std::vector<std::string_view> bad{"off", "~b:*", "+nosuch"};
  auto error = acl.SetUser("alice", bad);
  REQUIRE(error.has_value());
  CHECK(*error ==
        "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL");
  CHECK(acl.Find("alice")->Describe() == before);
  CHECK(acl.SetUser("nobody-yet", bad).has_value());
  CHECK(acl.Find("nobody-yet") == nullptr);

  std::vector<std::string_view> names{"alice", "default", "ghost"};
  CHECK(acl.DelUsers(names) == 1);
  CHECK(acl.Find("alice") == nullptr);
  CHECK(acl.Find("default") != nullptr);
}

TEST_CASE("Acl: an ACL file loads all or nothing, and Serialize gives it back") {
  Acl acl;
  std::string text =
      "user default on nopass ~* &* +@all\n"
      "user tenant_a on #" +
      typeahead::server::HashPassword("a") +
      " ~a:* resetchannels -@all +@autocomplete\n"
      "\n"
      "user reader on nopass %R~* resetchannels -@all +@read\n";
  REQUIRE_FALSE(acl.Load(text, "users.acl").has_value());
  CHECK(acl.users().size() == 3);
  CHECK(acl.Find("tenant_a")->Authenticates("a"));
  CHECK(acl.Serialize() ==
        "user default on nopass ~* &* +@all\n"
        "user reader on nopass %R~* resetchannels -@all +@read\n"
        "user tenant_a on #" +
            typeahead::server::HashPassword("a") + " ~a:* resetchannels -@all +@autocomplete\n");
  Acl copy;
  REQUIRE_FALSE(copy.Load(acl.Serialize(), "again.acl").has_value());
  CHECK(copy.Serialize() == acl.Serialize());

  // A bad line anywhere: nothing changes, and the error names the file and the line.
  auto error = acl.Load("user x on nopass +@all\nuser y on +@nosuch\n", "bad.acl");
  REQUIRE(error.has_value());
  CHECK(error->find("bad.acl:2") != std::string::npos);
  CHECK(acl.users().size() == 3);
  CHECK(acl.Find("x") == nullptr);
  CHECK(acl.Load("nonsense line\n", "bad.acl").has_value());
  CHECK(acl.Load("user a on\nuser a off\n", "dup.acl").has_value());  // a user twice
  CHECK(acl.users().size() == 3);

  // A file without the default user gives a fresh default user.
  REQUIRE_FALSE(acl.Load("user solo on nopass +@all\n", "solo.acl").has_value());
  CHECK(acl.default_user().unrestricted());
  CHECK(acl.Find("tenant_a") == nullptr);
}

TEST_CASE("Acl: Adopt changes users in place and names those removed or rechanneled") {
  Acl shard;
  std::vector<std::string_view> rules{"on", "nopass", "&c", "+@all"};
  REQUIRE_FALSE(shard.SetUser("sub", rules).has_value());
  REQUIRE_FALSE(shard.SetUser("gone", rules).has_value());
  shard.set_version(1);
  const AclUser* sub = shard.Find("sub");

  Acl next(shard);
  std::vector<std::string_view> narrower{"resetchannels", "&d"};
  REQUIRE_FALSE(next.SetUser("sub", narrower).has_value());
  std::vector<std::string_view> gone{"gone"};
  REQUIRE(next.DelUsers(gone) == 1);
  next.set_version(2);

  std::vector<const AclUser*> changed;
  auto removed = shard.Adopt(next, &changed);
  REQUIRE(removed.size() == 1);
  CHECK(removed[0]->name() == "gone");
  REQUIRE(changed.size() == 1);
  CHECK(changed[0] == sub);
  CHECK(shard.Find("sub") == sub);  // the same object: connections keep pointing at it
  CHECK(sub->DescribeChannels() == "&d");
  CHECK(shard.version() == 2);

  // An older state is ignored.
  Acl old(next);
  old.set_version(1);
  std::vector<std::string_view> extra{"on"};
  REQUIRE_FALSE(old.SetUser("late", extra).has_value());
  CHECK(shard.Adopt(old, &changed).empty());
  CHECK(shard.Find("late") == nullptr);
}

TEST_CASE("Acl: LOG groups alike refusals and keeps the newest max_len") {
  Acl acl;
  AclLogEntry e;
  e.reason = "key";
  e.context = "toplevel";
  e.object = "b:q";
  e.username = "tenant_a";
  e.ms = 1000;
  acl.Log(e, 2);
  e.ms = 2000;
  acl.Log(e, 2);
  REQUIRE(acl.log().size() == 1);
  CHECK(acl.log().front().count == 2);
  CHECK(acl.log().front().ms == 2000);
  e.ms = 2000 + 61000;  // more than a minute later: a new entry
  acl.Log(e, 2);
  CHECK(acl.log().size() == 2);
  e.object = "c:q";
  acl.Log(e, 2);
  REQUIRE(acl.log().size() == 2);
  CHECK(acl.log().front().object == "c:q");
  acl.ResetLog();
  CHECK(acl.log().empty());
}
