// ACL through a client's whole path (tests/server/command_fixture.h): logging in as a user
// with AUTH and HELLO, the NOPERM refusals of commands, keys and channels, changes that reach
// live connections on every shard, MULTI/EXEC's re-check, ACL LOG and ACL DRYRUN. The texts
// are Redis 7.0.15's, written out as a client sees them.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/server/command_fixture.h"

namespace {
using typeahead::test::TestClient;
using typeahead::test::TestServer;

constexpr const char* kNoPermCommand =
    "-NOPERM this user has no permissions to run the 'acrecord' command";
constexpr const char* kNoPermKey =
    "-NOPERM this user has no permissions to access one of the keys used as arguments";
constexpr const char* kNoPermChannel =
    "-NOPERM this user has no permissions to access one of the channels used as arguments";
constexpr const char* kWrongPass = "-WRONGPASS invalid username-password pair or user is disabled.";

void SetUpTenants(TestClient& admin) {
  REQUIRE(admin.Run({"ACL", "SETUSER", "tenant_a", "on", ">pa", "~a:*", "+@autocomplete",
                     "+ping"}) == "+OK");
  REQUIRE(admin.Run({"ACL", "SETUSER", "tenant_b", "on", ">pb", "~b:*", "+@autocomplete"}) ==
          "+OK");
  REQUIRE(admin.Run({"ACL", "SETUSER", "reader", "on", "nopass", "allkeys", "+@read"}) == "+OK");
}

}  // namespace

TEST_CASE("AUTH and HELLO log in as a user; a wrong password changes nothing") {
  TestServer server(2);
  TestClient admin(server);
  SetUpTenants(admin);
  TestClient c(server);
  CHECK(c.Run({"ACL", "WHOAMI"}) == "\"default\"");
  CHECK(c.Run({"AUTH", "tenant_a", "wrong"}) == kWrongPass);
  CHECK(c.Run({"AUTH", "nosuchuser", "pa"}) == kWrongPass);
  CHECK(c.Run({"ACL", "WHOAMI"}) == "\"default\"");
  CHECK(c.Run({"AUTH", "tenant_a", "pa"}) == "+OK");
  CHECK(c.Run({"ACL", "WHOAMI"}) ==
        "-NOPERM this user has no permissions to run the 'acl|whoami' command");
  CHECK(c.Run({"CLIENT", "LIST"}) ==
        "-NOPERM this user has no permissions to run the 'client|list' command");
  // The default user has no password: AUTH with one argument says so, as Redis does.
  CHECK(c.Run({"AUTH", "pa"}) ==
        "-ERR AUTH <password> called without any password configured for the default user. "
        "Are you sure your configuration is correct?");

  TestClient h(server);
  auto hello = h.Command({"HELLO", "3", "AUTH", "tenant_b", "pb"});
  REQUIRE(hello.value.type == typeahead::test::RespType::kMap);
  CHECK(h.Run({"ACRECORD", "b:q", "x"}) == ":1");
  CHECK(h.Run({"HELLO", "3", "AUTH", "tenant_b", "bad"}) == kWrongPass);
  CHECK(h.Run({"ACRECORD", "b:q", "x"}) == ":2");  // still tenant_b

  // A disabled user cannot log in, even with its password.
  REQUIRE(admin.Run({"ACL", "SETUSER", "tenant_b", "off"}) == "+OK");
  TestClient d(server);
  CHECK(d.Run({"AUTH", "tenant_b", "pb"}) == kWrongPass);
}

TEST_CASE("NOPERM: a blend's every key is checked, as a read") {
  TestServer server(2);
  TestClient admin(server);
  SetUpTenants(admin);
  admin.Run({"ACRECORD", "a:global", "apple"});
  admin.Run({"ACRECORD", "b:user", "apple"});
  REQUIRE(admin.Run({"ACL", "SETUSER", "a_reader", "on", "nopass", "%R~a:*", "+actopk"}) == "+OK");
  TestClient a(server);
  REQUIRE(a.Run({"AUTH", "a_reader", "x"}) == "+OK");
  CHECK(a.Run({"ACTOPK", "a:global", "app", "3", "BLEND", "a:user", "2"}) == R"(["apple"])");
  CHECK(a.Run({"ACTOPK", "a:global", "app", "3", "BLEND", "a:user", "2", "b:user", "1"}) ==
        kNoPermKey);
  CHECK(a.Run({"ACTOPK", "a:global", "", "3", "BLEND", "b:user", "1"}) == kNoPermKey);
  CHECK(admin.Run({"ACL", "DRYRUN", "a_reader", "ACTOPK", "a:global", "a", "1", "BLEND", "b:user",
                   "1"}) == "\"This user has no permissions to access the 'b:user' key\"");
}

TEST_CASE("NOPERM: commands, keys and channels; refused commands change nothing") {
  TestServer server(2);
  TestClient admin(server);
  SetUpTenants(admin);
  REQUIRE(admin.Run({"ACRECORD", "b:q", "secret"}) == ":1");
  TestClient a(server);
  REQUIRE(a.Run({"AUTH", "tenant_a", "pa"}) == "+OK");
  CHECK(a.Run({"ACRECORD", "a:q", "apple"}) == ":1");
  CHECK(a.Run({"ACTOPK", "a:q", "", "5"}) == "[\"apple\"]");
  CHECK(a.Run({"ACTOPK", "b:q", "", "5"}) == kNoPermKey);
  CHECK(a.Run({"ACRECORD", "b:q", "secret"}) == kNoPermKey);
  CHECK(a.Run({"ACDEL", "b:q", "secret"}) == kNoPermKey);
  CHECK(a.Run({"DEL", "b:q"}) == "-NOPERM this user has no permissions to run the 'del' command");
  CHECK(a.Run({"FLUSHALL"}) ==
        "-NOPERM this user has no permissions to run the 'flushall' command");
  CHECK(a.Run({"PUBLISH", "news", "x"}) ==
        "-NOPERM this user has no permissions to run the 'publish' command");
  CHECK(admin.Run({"ACTOPK", "b:q", "", "5", "WITHSCORES"}) == "[\"secret\", :1]");

  TestClient r(server);
  REQUIRE(r.Run({"AUTH", "reader", "x"}) == "+OK");
  CHECK(r.Run({"ACTOPK", "b:q", "", "5"}) == "[\"secret\"]");
  CHECK(r.Run({"ACRECORD", "b:q", "x"}) == kNoPermCommand);
  CHECK(admin.Run({"ACCARD", "b:q"}) == ":1");

  REQUIRE(admin.Run({"ACL", "SETUSER", "pub", "on", "nopass", "+publish", "+subscribe",
                     "resetchannels", "&news.*"}) == "+OK");
  TestClient p(server);
  REQUIRE(p.Run({"AUTH", "pub", "x"}) == "+OK");
  CHECK(p.Run({"PUBLISH", "news.eu", "x"}) == ":0");
  CHECK(p.Run({"PUBLISH", "sports", "x"}) == kNoPermChannel);
  CHECK(p.Run({"SUBSCRIBE", "news.eu", "sports"}) == kNoPermChannel);
}

TEST_CASE("ACL SETUSER reaches live connections on every shard from its reply on") {
  TestServer server(2);
  TestClient admin(server);
  SetUpTenants(admin);
  TestClient a0(server), a1(server);  // one on each shard
  REQUIRE(a0.shard() != a1.shard());
  for (TestClient* c : {&a0, &a1}) REQUIRE(c->Run({"AUTH", "tenant_a", "pa"}) == "+OK");
  for (TestClient* c : {&a0, &a1}) CHECK(c->Run({"ACRECORD", "b:q", "x"}) == kNoPermKey);
  REQUIRE(admin.Run({"ACL", "SETUSER", "tenant_a", "~b:*"}) == "+OK");
  for (TestClient* c : {&a0, &a1}) CHECK(c->Run({"ACRECORD", "b:q", "x"}).starts_with(":"));
  REQUIRE(admin.Run({"ACL", "SETUSER", "tenant_a", "-acrecord"}) == "+OK");
  for (TestClient* c : {&a0, &a1}) CHECK(c->Run({"ACRECORD", "a:q", "x"}) == kNoPermCommand);
  // A bad rule changes nothing, and the connections keep what they had.
  CHECK(admin.Run({"ACL", "SETUSER", "tenant_a", "+acrecord", "+nosuch"}) ==
        "-ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL");
  for (TestClient* c : {&a0, &a1}) CHECK(c->Run({"ACRECORD", "a:q", "x"}) == kNoPermCommand);
}

TEST_CASE("ACL DELUSER closes the user's connections; losing a channel ends a subscription") {
  TestServer server(2);
  TestClient admin(server);
  SetUpTenants(admin);
  TestClient a0(server), a1(server), b(server);
  for (TestClient* c : {&a0, &a1}) REQUIRE(c->Run({"AUTH", "tenant_a", "pa"}) == "+OK");
  REQUIRE(b.Run({"AUTH", "tenant_b", "pb"}) == "+OK");
  CHECK(admin.Run({"ACL", "DELUSER", "tenant_a", "ghost"}) == ":1");
  CHECK(a0.ReadEof());
  CHECK(a1.ReadEof());
  CHECK(b.Run({"ACRECORD", "b:q", "x"}) == ":1");  // the other tenant is untouched
  CHECK(admin.Run({"ACL", "DELUSER", "default"}) == "-ERR The 'default' user cannot be removed");
  CHECK(admin.Run({"ACL", "USERS"}) == "[\"default\", \"reader\", \"tenant_b\"]");

  REQUIRE(admin.Run({"ACL", "SETUSER", "sub", "on", "nopass", "+@pubsub", "resetchannels", "&news",
                     "&sports"}) == "+OK");
  TestClient s(server);
  REQUIRE(s.Run({"AUTH", "sub", "x"}) == "+OK");
  REQUIRE(s.Run({"SUBSCRIBE", "news"}) == "[\"subscribe\", \"news\", :1]");
  REQUIRE(admin.Run({"ACL", "SETUSER", "sub", "resetchannels", "&sports"}) == "+OK");
  CHECK(s.ReadEof());
}

TEST_CASE("MULTI/EXEC: a command whose permission went away while queued is refused") {
  TestServer server(2);
  TestClient admin(server);
  SetUpTenants(admin);
  REQUIRE(admin.Run({"ACL", "SETUSER", "tenant_a", "+@transaction"}) == "+OK");
  TestClient a(server);
  REQUIRE(a.Run({"AUTH", "tenant_a", "pa"}) == "+OK");
  REQUIRE(a.Run({"MULTI"}) == "+OK");
  // Refused while queueing: the transaction is discarded at EXEC.
  CHECK(a.Run({"ACRECORD", "b:q", "x"}) == kNoPermKey);
  CHECK(a.Run({"EXEC"}) == "-EXECABORT Transaction discarded because of previous errors.");

  REQUIRE(a.Run({"MULTI"}) == "+OK");
  REQUIRE(a.Run({"ACRECORD", "a:q", "x"}) == "+QUEUED");
  REQUIRE(admin.Run({"ACL", "SETUSER", "tenant_a", "-acrecord"}) == "+OK");
  CHECK(a.Run({"EXEC"}) ==
        "[-NOPERM ACLs rules changed between the moment the transaction was accumulated and the "
        "EXEC call. This command is no longer allowed for the following reason: no permission "
        "to execute the command or subcommand]");
  CHECK(admin.Run({"ACCARD", "a:q"}) == ":0");
}

TEST_CASE("ACL LOG records refusals and failed logins; ACL DRYRUN checks without running") {
  TestServer server(2);
  TestClient admin(server);
  SetUpTenants(admin);
  TestClient a(server);
  REQUIRE(a.Run({"AUTH", "tenant_a", "pa"}) == "+OK");
  REQUIRE(a.Run({"ACRECORD", "b:q", "x"}) == kNoPermKey);
  REQUIRE(a.Run({"ACRECORD", "b:q", "x"}) == kNoPermKey);
  REQUIRE(a.Run({"AUTH", "tenant_a", "nope"}) == kWrongPass);

  auto log = admin.Command({"ACL", "LOG"}).value;
  REQUIRE(log.elements.size() == 2);
  // The newest first: the failed login, then the key refusal counted twice.
  auto field = [](const typeahead::test::RespValue& entry, const std::string& name) {
    for (size_t i = 0; i + 1 < entry.elements.size(); i += 2) {
      if (entry.elements[i].str == name) return entry.elements[i + 1].Render();
    }
    return std::string("<missing>");
  };
  CHECK(field(log.elements[0], "reason") == "\"auth\"");
  CHECK(field(log.elements[0], "object") == "\"AUTH\"");
  CHECK(field(log.elements[0], "username") == "\"tenant_a\"");
  CHECK(field(log.elements[1], "count") == ":2");
  CHECK(field(log.elements[1], "reason") == "\"key\"");
  CHECK(field(log.elements[1], "context") == "\"toplevel\"");
  CHECK(field(log.elements[1], "object") == "\"b:q\"");
  CHECK(field(log.elements[1], "client-info").find("user=tenant_a") != std::string::npos);
  CHECK(admin.Command({"ACL", "LOG", "1"}).value.elements.size() == 1);
  std::string stats = admin.Command({"INFO", "stats"}).value.str;
  CHECK(stats.find("acl_access_denied_auth:1\r\n") != std::string::npos);
  CHECK(stats.find("acl_access_denied_key:2\r\n") != std::string::npos);
  CHECK(stats.find("acl_access_denied_cmd:0\r\n") != std::string::npos);
  CHECK(admin.Run({"ACL", "LOG", "RESET"}) == "+OK");
  CHECK(admin.Run({"ACL", "LOG"}) == "[]");

  CHECK(admin.Run({"ACL", "DRYRUN", "tenant_a", "ACRECORD", "a:q", "x"}) == "+OK");
  CHECK(admin.Run({"ACL", "DRYRUN", "tenant_a", "ACRECORD", "b:q", "x"}) ==
        "\"This user has no permissions to access the 'b:q' key\"");
  CHECK(admin.Run({"ACL", "DRYRUN", "reader", "ACRECORD", "b:q", "x"}) ==
        "\"This user has no permissions to run the 'acrecord' command\"");
  CHECK(admin.Run({"ACL", "DRYRUN", "ghost", "PING"}) == "-ERR User 'ghost' not found");
  CHECK(admin.Run({"ACL", "DRYRUN", "reader", "NOSUCH"}) == "-ERR Command 'NOSUCH' not found");
  CHECK(admin.Run({"ACCARD", "a:q"}) == ":0");  // DRYRUN ran nothing
  CHECK(admin.Run({"ACL", "LOG"}) == "[]");     // nor logged anything
}

TEST_CASE("ACL GETUSER, LIST and CAT describe what SETUSER made") {
  TestServer server(1);
  TestClient admin(server);
  REQUIRE(admin.Run({"ACL", "SETUSER", "t", "on", "nopass", "~a:*", "%R~b:*", "resetchannels", "&c",
                     "-@all", "+@autocomplete"}) == "+OK");
  CHECK(admin.Run({"ACL", "LIST"}) ==
        "[\"user default on nopass ~* &* +@all\", "
        "\"user t on nopass ~a:* %R~b:* resetchannels &c -@all +@autocomplete\"]");
  CHECK(admin.Run({"ACL", "GETUSER", "t"}) ==
        "[\"flags\", [\"on\", \"nopass\"], \"passwords\", [], \"commands\", "
        "\"-@all +@autocomplete\", \"keys\", \"~a:* %R~b:*\", \"channels\", \"&c\", "
        "\"selectors\", []]");
  CHECK(admin.Run({"ACL", "GETUSER", "ghost"}) == "nil");
  auto cats = admin.Command({"ACL", "CAT"}).value.strings();
  CHECK(std::find(cats.begin(), cats.end(), "autocomplete") != cats.end());
  CHECK(std::find(cats.begin(), cats.end(), "keyspace") != cats.end());
  auto ac = admin.Command({"ACL", "CAT", "autocomplete"}).value.strings();
  CHECK(std::find(ac.begin(), ac.end(), "actopk") != ac.end());
  CHECK(std::find(ac.begin(), ac.end(), "acrecord") != ac.end());
  CHECK(std::find(ac.begin(), ac.end(), "ping") == ac.end());
  CHECK(admin.Run({"ACL", "CAT", "nosuch"}) == "-ERR Unknown category 'nosuch'");
  CHECK(admin.Command({"ACL", "GENPASS"}).value.str.size() == 64);
  CHECK(admin.Command({"ACL", "GENPASS", "5"}).value.str.size() == 2);
  CHECK(admin.Run({"ACL", "GENPASS", "0"}) ==
        "-ERR ACL GENPASS argument must be the number of bits for the output password, a "
        "positive number up to 4096");
}
