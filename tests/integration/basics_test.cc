// Connection, server and keyspace commands against the real binary.
#include <doctest/doctest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "tests/integration/server_process.h"

using namespace typeahead::test;

TEST_CASE("PING, ECHO, SELECT, TIME") {
  ServerProcess server;
  auto c = Connect(server.port());
  CHECK(Run(c.get(), {"PING"}) == "+PONG");
  CHECK(Run(c.get(), {"ping", "hello"}) == "\"hello\"");
  CHECK(Run(c.get(), {"PING", "a", "b"}) == "-ERR wrong number of arguments for 'ping' command");
  CHECK(Run(c.get(), {"ECHO", std::string("bin\0ary\r\n", 9)}) ==
        "\"" + std::string("bin\0ary\r\n", 9) + "\"");
  CHECK(Run(c.get(), {"SELECT", "0"}) == "+OK");
  CHECK(Run(c.get(), {"SELECT", "1"}) == "-ERR DB index is out of range");
  CHECK(Run(c.get(), {"SELECT", "x"}) == "-ERR value is not an integer or out of range");
  auto t = Command(c.get(), {"TIME"});
  REQUIRE(t->type == REDIS_REPLY_ARRAY);
  CHECK(t->elements == 2);
  CHECK(std::stoll(t->element[0]->str) > 1700000000);
}

TEST_CASE("Unknown commands and arity errors use Redis's texts") {
  ServerProcess server;
  auto c = Connect(server.port());
  CHECK(Run(c.get(), {"FOO", "a", "b"}) ==
        "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' ");
  CHECK(Run(c.get(), {"FOO"}) == "-ERR unknown command 'FOO', with args beginning with: ");
  CHECK(Run(c.get(), {"ECHO"}) == "-ERR wrong number of arguments for 'echo' command");
  CHECK(Run(c.get(), {"ACTOPK", "k"}) == "-ERR wrong number of arguments for 'actopk' command");
  CHECK(Run(c.get(), {"CLIENT"}) == "-ERR wrong number of arguments for 'client' command");
  CHECK(Run(c.get(), {"CLIENT", "SETNAME"}) ==
        "-ERR wrong number of arguments for 'client|setname' command");
  CHECK(Run(c.get(), {"CLIENT", "NOPE"}) == "-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.");
  // CR/LF in an echoed argument never breaks the error line.
  CHECK(Run(c.get(), {"FOO", "a\r\nb"}) ==
        "-ERR unknown command 'FOO', with args beginning with: 'a  b' ");
  CHECK(Run(c.get(), {"PING"}) == "+PONG");
}

TEST_CASE("HELLO 2 and HELLO 3 switch the protocol per connection") {
  ServerProcess server;
  RawConn raw(server.port());
  raw.Send("HELLO 3\r\n");
  std::string reply = raw.ReadN(4096, 300);
  CHECK(reply.rfind("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n"
                    "$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:",
                    0) == 0);
  CHECK(reply.find("$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
                   "$7\r\nmodules\r\n*0\r\n") != std::string::npos);
  // RESP3 null and map replies.
  CHECK(raw.Roundtrip("ACSCORE k nothing\r\n", "_\r\n") == "_\r\n");
  CHECK(raw.Roundtrip("CONFIG GET max-topk\r\n", "%1\r\n$8\r\nmax-topk\r\n$4\r\n1000\r\n") ==
        "%1\r\n$8\r\nmax-topk\r\n$4\r\n1000\r\n");
  raw.Send("HELLO 2\r\n");
  reply = raw.ReadN(4096, 300);
  CHECK(reply.rfind("*14\r\n$6\r\nserver\r\n", 0) == 0);
  CHECK(raw.Roundtrip("ACSCORE k nothing\r\n", "$-1\r\n") == "$-1\r\n");

  auto c = Connect(server.port());
  CHECK(Run(c.get(), {"HELLO", "4"}) == "-NOPROTO unsupported protocol version");
  CHECK(Run(c.get(), {"HELLO", "x"}) == "-ERR Protocol version is not an integer or out of range");
  CHECK(Run(c.get(), {"HELLO", "2", "BOGUS"}) == "-ERR Syntax error in HELLO option 'BOGUS'");
  auto h = Command(c.get(), {"HELLO", "2", "SETNAME", "myname"});
  REQUIRE(h->type == REDIS_REPLY_ARRAY);
  CHECK(h->elements == 14);
  CHECK(Run(c.get(), {"CLIENT", "GETNAME"}) == "\"myname\"");
}

TEST_CASE("AUTH and requirepass") {
  SUBCASE("without a password") {
    ServerProcess server;
    auto c = Connect(server.port());
    CHECK(Run(c.get(), {"AUTH", "pw"}) ==
          "-ERR AUTH <password> called without any password configured for the default user. "
          "Are you sure your configuration is correct?");
    CHECK(Run(c.get(), {"AUTH", "default", "anything"}) == "+OK");
    CHECK(Run(c.get(), {"AUTH", "bob", "x"}) ==
          "-WRONGPASS invalid username-password pair or user is disabled.");
  }
  SUBCASE("with a password") {
    ServerProcess server({"--requirepass", "s3cret"});
    auto c = Connect(server.port());
    CHECK(Run(c.get(), {"PING"}) == "-NOAUTH Authentication required.");
    CHECK(Run(c.get(), {"ACRECORD", "k", "t"}) == "-NOAUTH Authentication required.");
    CHECK(Run(c.get(), {"AUTH", "wrong"}) ==
          "-WRONGPASS invalid username-password pair or user is disabled.");
    CHECK(Run(c.get(), {"HELLO", "2"}).rfind("-NOAUTH HELLO must be called", 0) == 0);
    CHECK(Run(c.get(), {"AUTH", "s3cret"}) == "+OK");
    CHECK(Run(c.get(), {"PING"}) == "+PONG");
    auto d = Connect(server.port());
    auto h = Command(d.get(), {"HELLO", "2", "AUTH", "default", "s3cret"});
    CHECK(h->type == REDIS_REPLY_ARRAY);
    CHECK(Run(d.get(), {"PING"}) == "+PONG");
    CHECK(Run(d.get(), {"RESET"}) == "+RESET");
    CHECK(Run(d.get(), {"PING"}) == "-NOAUTH Authentication required.");
  }
}

TEST_CASE("CLIENT subcommands") {
  ServerProcess server;
  auto c = Connect(server.port());
  auto other = Connect(server.port());
  auto id = Command(c.get(), {"CLIENT", "ID"});
  REQUIRE(id->type == REDIS_REPLY_INTEGER);
  CHECK(Run(c.get(), {"CLIENT", "GETNAME"}) == "nil");
  CHECK(Run(c.get(), {"CLIENT", "SETNAME", "with space"}) ==
        "-ERR Client names cannot contain spaces, newlines or special characters.");
  CHECK(Run(c.get(), {"CLIENT", "SETNAME", "worker-1"}) == "+OK");
  CHECK(Run(c.get(), {"CLIENT", "GETNAME"}) == "\"worker-1\"");
  CHECK(Run(c.get(), {"CLIENT", "SETINFO", "LIB-NAME", "redis-py"}) == "+OK");
  CHECK(Run(c.get(), {"CLIENT", "SETINFO", "LIB-VER", "5.0.1"}) == "+OK");
  CHECK(Run(c.get(), {"CLIENT", "SETINFO", "COLOR", "x"}) == "-ERR Unrecognized option 'COLOR'");
  CHECK(Run(c.get(), {"CLIENT", "NO-EVICT", "on"}) == "+OK");
  CHECK(Run(c.get(), {"CLIENT", "NO-TOUCH", "off"}) == "+OK");
  auto info = Command(c.get(), {"CLIENT", "INFO"});
  std::string line(info->str, info->len);
  CHECK(line.find("id=" + std::to_string(id->integer) + " ") == 0);
  CHECK(line.find(" name=worker-1 ") != std::string::npos);
  CHECK(line.find(" lib-name=redis-py lib-ver=5.0.1") != std::string::npos);
  CHECK(line.find(" cmd=client|info ") != std::string::npos);
  // A reply to the other connection first: it is listed once the server has accepted it, which
  // may come after its connect() returned.
  auto other_id = Command(other.get(), {"CLIENT", "ID"});
  auto list = Command(c.get(), {"CLIENT", "LIST"});
  std::string all(list->str, list->len);
  CHECK(std::count(all.begin(), all.end(), '\n') == 2);  // two connections, one line each
  // The other connection lives on another shard thread when the server has two.
  CHECK(Run(c.get(), {"CLIENT", "KILL", "ID", std::to_string(other_id->integer)}) == ":1");
  CHECK(Command(other.get(), {"PING"}) == nullptr);
  CHECK(Run(c.get(), {"CLIENT", "KILL", "ID", std::to_string(id->integer)}) == ":0");  // SKIPME
  CHECK(Run(c.get(), {"CLIENT", "KILL", "127.0.0.1:1"}) == "-ERR No such client");
  CHECK(Run(c.get(), {"PING"}) == "+PONG");
  // HELP is built from the subcommand rows: Redis's header, each entry, HELP last.
  auto help = Command(c.get(), {"CLIENT", "HELP"});
  REQUIRE(help->type == REDIS_REPLY_ARRAY);
  std::vector<std::string> lines;
  for (size_t i = 0; i < help->elements; ++i) lines.emplace_back(help->element[i]->str);
  REQUIRE(lines.size() == 29);
  CHECK(lines[0] == "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  CHECK(lines[1] == "GETNAME");
  CHECK(lines[2] == "    Return the name of the current connection.");
  CHECK(std::count(lines.begin(), lines.end(), "SETNAME <name>") == 1);
  CHECK(std::count(lines.begin(), lines.end(), "REPLY (ON|OFF|SKIP)") == 1);
  CHECK(std::count(lines.begin(), lines.end(), "PAUSE <timeout> [WRITE|ALL]") == 1);
  CHECK(std::count(lines.begin(), lines.end(), "UNPAUSE") == 1);
  CHECK(lines[27] == "HELP");
  CHECK(lines[28] == "    Print this help.");
  auto command_help = Command(c.get(), {"COMMAND", "HELP"});
  REQUIRE(command_help->type == REDIS_REPLY_ARRAY);
  REQUIRE(command_help->elements > 2);
  CHECK(std::string(command_help->element[1]->str) == "(no subcommand)");
}

TEST_CASE("COMMAND reports the one command table") {
  ServerProcess server;
  auto c = Connect(server.port());
  auto count = Command(c.get(), {"COMMAND", "COUNT"});
  auto all = Command(c.get(), {"COMMAND"});
  REQUIRE(all->type == REDIS_REPLY_ARRAY);
  CHECK(static_cast<long long>(all->elements) == count->integer);
  for (size_t i = 0; i < all->elements; ++i) {
    const redisReply* e = all->element[i];
    REQUIRE(e->type == REDIS_REPLY_ARRAY);
    REQUIRE(e->elements == 10);
    CHECK(e->element[0]->type == REDIS_REPLY_STRING);
    CHECK(e->element[1]->type == REDIS_REPLY_INTEGER);
  }
  auto info = Command(c.get(), {"COMMAND", "INFO", "actopk", "nosuch", "client|list"});
  REQUIRE(info->elements == 3);
  CHECK(Render(info->element[0]->element[0]) == "\"actopk\"");
  CHECK(info->element[0]->element[1]->integer == -4);
  // BLEND's keys follow a keyword: movablekeys, and a second key spec that says where.
  CHECK(Render(info->element[0]->element[2]) == "[+readonly, +movablekeys]");
  CHECK(info->element[0]->element[3]->integer == 1);
  REQUIRE(info->element[0]->element[8]->elements == 2);
  CHECK(Render(info->element[0]->element[8]->element[1]) ==
        R"(["flags", [+RO, +ACCESS], "begin_search", ["type", "keyword", "spec", ["keyword", )"
        R"("BLEND", "startfrom", :4]], "find_keys", ["type", "range", "spec", ["lastkey", :-2, )"
        R"("keystep", :2, "limit", :0]]])");
  CHECK(Run(c.get(), {"COMMAND", "GETKEYS", "ACTOPK", "g", "a", "3", "WITHSCORES", "BLEND", "u",
                      "2", "v", "0.5"}) == R"(["g", "u", "v"])");
  CHECK(info->element[1]->type == REDIS_REPLY_NIL);
  CHECK(Render(info->element[2]->element[0]) == "\"client|list\"");
  CHECK(Run(c.get(), {"COMMAND", "GETKEYS", "ACRECORD", "dict", "term"}) == "[\"dict\"]");
  CHECK(Run(c.get(), {"COMMAND", "GETKEYS", "DEL", "a", "b"}) == "[\"a\", \"b\"]");
  // Redis 7.0's texts, byte for byte: GETKEYS needs the command and one argument at least.
  CHECK(Run(c.get(), {"COMMAND", "GETKEYS", "PING", "x"}) ==
        "-ERR The command has no key arguments");
  CHECK(Run(c.get(), {"COMMAND", "GETKEYS", "NOPE", "x"}) == "-ERR Invalid command specified");
  CHECK(Run(c.get(), {"COMMAND", "GETKEYS", "ACTOPK", "a", "b"}) ==
        "-ERR Invalid number of arguments specified for command");
  CHECK(Run(c.get(), {"COMMAND", "GETKEYS", "PING"}) ==
        "-ERR wrong number of arguments for 'command|getkeys' command");
  // The pattern filter: every name it gives matches, and the contract's commands are there
  // (a count would break on every new command).
  auto list = Command(c.get(), {"COMMAND", "LIST", "FILTERBY", "PATTERN", "ac*"});
  REQUIRE(list->type == REDIS_REPLY_ARRAY);
  std::set<std::string> listed;
  for (size_t i = 0; i < list->elements; ++i) listed.insert(list->element[i]->str);
  for (const auto& name : listed) CHECK(name.substr(0, 2) == "ac");
  for (const char* name : {"acrecord", "acincrby", "actopk", "acscore", "acdel", "accard"}) {
    CHECK(listed.count(name) == 1);
  }
  auto docs = Command(c.get(), {"COMMAND", "DOCS"});
  REQUIRE(docs->type == REDIS_REPLY_ARRAY);
  CHECK(docs->elements == 2 * all->elements);
  // Every docs entry is a flat map with string keys, and every argument has name and type:
  // redis-cli asserts on these shapes.
  for (size_t i = 0; i < docs->elements; i += 2) {
    CHECK(docs->element[i]->type == REDIS_REPLY_STRING);
    const redisReply* d = docs->element[i + 1];
    REQUIRE(d->type == REDIS_REPLY_ARRAY);
    for (size_t j = 0; j < d->elements; j += 2) {
      CHECK(d->element[j]->type == REDIS_REPLY_STRING);
      std::string key = d->element[j]->str;
      if (key == "arguments") {
        const redisReply* args = d->element[j + 1];
        for (size_t a = 0; a < args->elements; ++a) {
          std::string rendered = Render(args->element[a]);
          CHECK(rendered.find("\"name\"") != std::string::npos);
          CHECK(rendered.find("\"type\"") != std::string::npos);
        }
      }
    }
  }
}

TEST_CASE("Replies byte for byte as redis-server 7.0.15 gives them, where they once differed") {
  ServerProcess server({"--threads", "2"});
  struct Case {
    std::string send, want;
  } resp2[] = {
      {"COMMAND INFO nosuch\r\n", "*1\r\n$-1\r\n"},
      {"PUBSUB CHANNELS x y\r\n",
       "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP."
       "\r\n"},
      {"CONFIG SET MAXCLIENTS 100 maxclients 200\r\n",
       "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - duplicate "
       "parameter\r\n"},
      {"REPLICAOF h x\r\n", "-ERR Invalid master port\r\n"},
      {"REPLICAOF h 70000\r\n", "-ERR Invalid master port\r\n"},
      {"PUBSUB NUMSUB a b\r\n", "*4\r\n$1\r\na\r\n:0\r\n$1\r\nb\r\n:0\r\n"},
  };
  RawConn raw(server.port());
  for (const auto& tc : resp2) {
    CAPTURE(tc.send);
    CHECK(raw.Roundtrip(tc.send, tc.want) == tc.want);
  }
  // The duplicate was refused as a whole: nothing of it was set.
  CHECK(raw.Roundtrip("CONFIG GET maxclients\r\n", "*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n") ==
        "*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n");
  RawConn raw3(server.port());
  raw3.Send("HELLO 3\r\n");
  raw3.ReadUntil("modules\r\n*0\r\n");
  Case resp3[] = {
      {"COMMAND INFO nosuch\r\n", "*1\r\n_\r\n"},
      {"PUBSUB NUMSUB a b\r\n", "*4\r\n$1\r\na\r\n:0\r\n$1\r\nb\r\n:0\r\n"},  // not a map
  };
  for (const auto& tc : resp3) {
    CAPTURE(tc.send);
    CHECK(raw3.Roundtrip(tc.send, tc.want) == tc.want);
  }
  // Key specs and subcommands are sets in RESP3, as Redis has them: DEL's reply ends with
  // its one key spec's last field, then an empty set of subcommands.
  std::string del = "limit\r\n:0\r\n~0\r\n";
  raw3.Send("COMMAND INFO del\r\n");
  std::string got = raw3.ReadUntil(del);
  CHECK(got.size() >= del.size());
  CHECK(got.substr(got.size() - del.size()) == del);
  CHECK(got.find("~1\r\n%3\r\n$5\r\nflags") != std::string::npos);
}

TEST_CASE("INFO sections in Redis's format") {
  ServerProcess server;
  auto c = Connect(server.port());
  Run(c.get(), {"ACRECORD", "k1", "t"});
  Run(c.get(), {"ACRECORD", "k2", "u"});
  auto r = Command(c.get(), {"INFO"});
  REQUIRE(r->type == REDIS_REPLY_STRING);
  std::string info(r->str, r->len);
  for (const char* section : {"# Server\r\n", "# Clients\r\n", "# Memory\r\n", "# Persistence\r\n",
                              "# Stats\r\n", "# Replication\r\n", "# CPU\r\n", "# Keyspace\r\n"}) {
    CHECK(info.find(section) != std::string::npos);
  }
  CHECK(std::regex_search(info, std::regex("\r\nredis_version:7\\.0\\.\\d+\r\n")));
  CHECK(std::regex_search(info, std::regex("\r\nrun_id:[0-9a-f]{40}\r\n")));
  CHECK(info.find("\r\nloading:0\r\n") != std::string::npos);
  CHECK(info.find("\r\nrole:master\r\n") != std::string::npos);
  CHECK(info.find("\r\ndb0:keys=2,expires=0,avg_ttl=0\r\n") != std::string::npos);
  CHECK(std::regex_search(info, std::regex("\r\nused_memory:\\d+\r\n")));
  CHECK(std::regex_search(info, std::regex("\r\nused_memory_rss:\\d+\r\n")));
  CHECK(std::regex_search(info, std::regex("\r\ntotal_commands_processed:\\d+\r\n")));
  CHECK(std::regex_search(info, std::regex("\r\ninstantaneous_ops_per_sec:\\d+\r\n")));
  CHECK(info.find("# Commandstats") == std::string::npos);
  auto cs = Command(c.get(), {"INFO", "commandstats"});
  std::string stats(cs->str, cs->len);
  CHECK(stats.find("# Commandstats\r\ncmdstat_") == 0);
  CHECK(std::regex_search(stats, std::regex("cmdstat_acrecord:calls=2,usec=\\d+,usec_per_call=")));
  auto two = Command(c.get(), {"INFO", "server", "clients"});
  std::string s2(two->str, two->len);
  CHECK(s2.find("# Server") == 0);
  CHECK(s2.find("# Clients") != std::string::npos);
  CHECK(s2.find("# Memory") == std::string::npos);
  // A new run id at every start.
  ServerProcess other;
  auto d = Connect(other.port());
  auto r2 = Command(d.get(), {"INFO", "server"});
  std::smatch m1, m2;
  std::string i2(r2->str, r2->len);
  REQUIRE(std::regex_search(info, m1, std::regex("run_id:([0-9a-f]{40})")));
  REQUIRE(std::regex_search(i2, m2, std::regex("run_id:([0-9a-f]{40})")));
  CHECK(m1[1] != m2[1]);
}

TEST_CASE("CONFIG GET and SET") {
  ServerProcess server;
  auto c = Connect(server.port());
  CHECK(Run(c.get(), {"CONFIG", "GET", "max-topk"}) == "[\"max-topk\", \"1000\"]");
  CHECK(Run(c.get(), {"CONFIG", "GET", "save"}) == "[\"save\", \"3600 1 300 100 60 10000\"]");
  CHECK(Run(c.get(), {"CONFIG", "GET", "appendonly"}) == "[\"appendonly\", \"yes\"]");
  CHECK(Run(c.get(), {"CONFIG", "GET", "nosuch"}) == "[]");
  auto many = Command(c.get(), {"CONFIG", "GET", "*"});
  CHECK(many->elements >= 2 * 18);
  CHECK(Run(c.get(), {"CONFIG", "SET", "max-topk", "2"}) == "+OK");
  CHECK(Run(c.get(), {"CONFIG", "GET", "max-topk"}) == "[\"max-topk\", \"2\"]");
  // Every shard sees the change: a new connection (maybe on another thread) too.
  for (int i = 0; i < 4; ++i) {
    auto d = Connect(server.port());
    CHECK(Run(d.get(), {"CONFIG", "GET", "max-topk"}) == "[\"max-topk\", \"2\"]");
  }
  CHECK(Run(c.get(), {"CONFIG", "SET", "nosuch", "1"}) ==
        "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  CHECK(Run(c.get(), {"CONFIG", "SET", "max-topk", "abc"}) ==
        "-ERR CONFIG SET failed (possibly related to argument 'max-topk') - argument couldn't be "
        "parsed into an integer");
  CHECK(Run(c.get(), {"CONFIG", "SET", "threads", "8"}) ==
        "-ERR CONFIG SET failed (possibly related to argument 'threads') - can't set immutable "
        "config");
  // All or nothing: a bad second pair leaves the first unchanged.
  CHECK(Run(c.get(), {"CONFIG", "SET", "max-topk", "5", "timeout", "x"}).rfind("-ERR", 0) == 0);
  CHECK(Run(c.get(), {"CONFIG", "GET", "max-topk"}) == "[\"max-topk\", \"2\"]");
  CHECK(Run(c.get(), {"CONFIG", "SET", "max-topk"}) ==
        "-ERR wrong number of arguments for 'config|set' command");
}

TEST_CASE("Keyspace commands see every partition") {
  ServerProcess server;
  auto c = Connect(server.port());
  // Terms with many first letters land on every partition.
  for (char ch = 'a'; ch <= 'z'; ++ch) Run(c.get(), {"ACRECORD", "dict", std::string(1, ch) + "x"});
  Run(c.get(), {"ACRECORD", "other", "q"});
  CHECK(Run(c.get(), {"DBSIZE"}) == ":2");
  CHECK(Run(c.get(), {"EXISTS", "dict", "other", "dict", "none"}) == ":3");
  CHECK(Run(c.get(), {"TYPE", "dict"}) == "+autocomplete");
  CHECK(Run(c.get(), {"TYPE", "none"}) == "+none");
  CHECK(Run(c.get(), {"KEYS", "*"}) == "[\"dict\", \"other\"]");
  CHECK(Run(c.get(), {"KEYS", "d*"}) == "[\"dict\"]");
  CHECK(Run(c.get(), {"ACCARD", "dict"}) == ":26");
  CHECK(Run(c.get(), {"RENAME", "dict", "other"}) == "+OK");
  CHECK(Run(c.get(), {"ACCARD", "other"}) == ":26");
  CHECK(Run(c.get(), {"ACSCORE", "other", "q"}) == "nil");
  CHECK(Run(c.get(), {"EXISTS", "dict"}) == ":0");
  CHECK(Run(c.get(), {"RENAME", "nope", "x"}) == "-ERR no such key");
  CHECK(Run(c.get(), {"DEL", "other", "nope"}) == ":1");
  CHECK(Run(c.get(), {"DBSIZE"}) == ":0");

  for (int i = 0; i < 50; ++i) Run(c.get(), {"ACRECORD", "key:" + std::to_string(i), "t"});
  std::set<std::string> seen;
  std::string cursor = "0";
  int rounds = 0;
  do {
    auto r = Command(c.get(), {"SCAN", cursor, "COUNT", "7", "TYPE", "autocomplete"});
    REQUIRE(r->type == REDIS_REPLY_ARRAY);
    cursor = r->element[0]->str;
    for (size_t i = 0; i < r->element[1]->elements; ++i) {
      CHECK(seen.insert(r->element[1]->element[i]->str).second);
    }
  } while (cursor != "0" && ++rounds < 100);
  CHECK(seen.size() == 50);
  CHECK(Run(c.get(), {"SCAN", "0", "TYPE", "string"}).find("[]") != std::string::npos);
  CHECK(Run(c.get(), {"SCAN", "x"}) == "-ERR invalid cursor");
  CHECK(Run(c.get(), {"SCAN", "0", "COUNT", "0"}) == "-ERR syntax error");
  CHECK(Run(c.get(), {"UNLINK", "key:1", "key:2"}) == ":2");
  CHECK(Run(c.get(), {"FLUSHDB"}) == "+OK");
  CHECK(Run(c.get(), {"DBSIZE"}) == ":0");
  Run(c.get(), {"ACRECORD", "k", "t"});
  CHECK(Run(c.get(), {"FLUSHALL", "ASYNC"}) == "+OK");
  CHECK(Run(c.get(), {"DBSIZE"}) == ":0");
  CHECK(Run(c.get(), {"FLUSHALL", "LATER"}) == "-ERR syntax error");
}

TEST_CASE("Protocol errors reply Redis's text and close the connection") {
  ServerProcess server;
  struct Case {
    std::string send, want;
  } cases[] = {
      {"*1\r\nfoo\r\n", "-ERR Protocol error: expected '$', got 'f'\r\n"},
      {"*x\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
      {"*1\r\n$-3\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
      {"ECHO \"abc\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
      {"PING\r\n*1\r\nfoo\r\n", "+PONG\r\n-ERR Protocol error: expected '$', got 'f'\r\n"},
  };
  for (const auto& tc : cases) {
    CAPTURE(tc.send);
    RawConn raw(server.port());
    raw.Send(tc.send);
    CHECK(raw.ReadUntilClose() == tc.want);
    CHECK(raw.closed());
  }
  RawConn ok(server.port());
  CHECK(ok.Roundtrip("*-10\r\nPING\r\n", "+PONG\r\n") == "+PONG\r\n");
  CHECK(ok.Roundtrip("\r\n\r\nPING\r\n", "+PONG\r\n") == "+PONG\r\n");
}

TEST_CASE("QUIT replies and closes") {
  ServerProcess server;
  RawConn raw(server.port());
  raw.Send("QUIT\r\nPING\r\n");
  CHECK(raw.ReadUntilClose() == "+OK\r\n");
}

TEST_CASE("SHUTDOWN and SIGTERM stop the server cleanly") {
  {
    ServerProcess server;
    RawConn raw(server.port());
    raw.Send("SHUTDOWN NOSAVE\r\n");
    CHECK(raw.ReadUntilClose() == "");
    CHECK(server.WaitExit(10000) == 0);
    CHECK(server.ReadLog().find("User requested shutdown") != std::string::npos);
  }
  {
    ServerProcess server;
    auto c = Connect(server.port());
    CHECK(server.Stop(SIGTERM) == 0);
    CHECK(server.ReadLog().find("Received SIGTERM") != std::string::npos);
  }
  {
    ServerProcess server;
    // -1 is a timeout or a death by signal: the log says which (seen once under TSan, loaded).
    int code = server.Stop(SIGINT);
    CHECK_MESSAGE(code == 0, server.ReadLog());
  }
}

TEST_CASE("Log lines have Redis's shape") {
  ServerProcess server;
  std::string log = server.ReadLog();
  CHECK(std::regex_search(
      log, std::regex("\\d+:M \\d\\d [A-Z][a-z]{2} \\d{4} \\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\* "
                      "Ready to accept connections")));
}

TEST_CASE("A bad config exits with code 1 and names the problem") {
  std::string path = "/tmp/typeahead-bad-" + std::to_string(getpid()) + ".conf";
  {
    std::ofstream f(path);
    f << "port 1234\nmax-topk lots\n";
  }
  std::string cmd = std::string(TYPEAHEAD_SERVER_BIN) + " " + path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  int status = pclose(p);
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(out.find("at line 2") != std::string::npos);
  CHECK(out.find("max-topk lots") != std::string::npos);
  std::remove(path.c_str());
  std::string cmd2 = std::string(TYPEAHEAD_SERVER_BIN) + " --bogus 1 2>&1";
  p = popen(cmd2.c_str(), "r");
  out.clear();
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  CHECK(WEXITSTATUS(pclose(p)) == 1);
  CHECK(out.find("bogus") != std::string::npos);
}

TEST_CASE("maxclients refuses the excess connection with Redis's error") {
  ServerProcess server({"--maxclients", "2"});
  // Let the server see the start-up probe's connection close before counting.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto a = Connect(server.port());
  auto b = Connect(server.port());
  RawConn extra(server.port());
  CHECK(extra.ReadUntilClose() == "-ERR max number of clients reached\r\n");
  CHECK(Run(a.get(), {"PING"}) == "+PONG");
}

TEST_CASE("redis-compat.md lists exactly the commands the server accepts") {
  std::ifstream in(std::string(TYPEAHEAD_SOURCE_DIR) + "/redis-compat.md");
  REQUIRE(in.good());
  std::set<std::string> documented;
  std::regex row("^\\| `([A-Z.]+)` \\|");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, row)) {
      std::string name = m[1];
      for (char& ch : name) ch = static_cast<char>(tolower(ch));
      documented.insert(name);
    }
  }
  ServerProcess server;
  auto c = Connect(server.port());
  auto list = Command(c.get(), {"COMMAND", "LIST"});
  std::set<std::string> served;
  for (size_t i = 0; i < list->elements; ++i) {
    std::string name = list->element[i]->str;
    if (name.find('|') == std::string::npos) served.insert(name);
  }
  CHECK(documented == served);
}

namespace {
// Cpus_allowed_list of each thread of pid named shard-N, by N.
std::map<int, std::string> ShardAffinityNow(pid_t pid) {
  std::map<int, std::string> out;
  std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& entry : std::filesystem::directory_iterator(task_dir)) {
    std::ifstream status(entry.path() / "status");
    std::string line, name, cpus;
    while (std::getline(status, line)) {
      if (line.rfind("Name:\t", 0) == 0) name = line.substr(6);
      if (line.rfind("Cpus_allowed_list:\t", 0) == 0) cpus = line.substr(19);
    }
    if (name.rfind("shard-", 0) == 0) out[std::stoi(name.substr(6))] = cpus;
  }
  return out;
}

// A shard names itself (after pinning) once its thread runs, which may be after the server
// already answers on shard 0: wait, bounded, until all `want` shards have.
std::map<int, std::string> ShardAffinity(pid_t pid, size_t want = 2) {
  std::map<int, std::string> out;
  for (int i = 0; i < 250 && (out = ShardAffinityNow(pid)).size() < want; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return out;
}
}  // namespace

TEST_CASE("pin-threads yes pins shard threads one per core; the default leaves them free") {
  std::vector<int> cores;
  cpu_set_t allowed;
  REQUIRE(sched_getaffinity(0, sizeof(allowed), &allowed) == 0);
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &allowed)) cores.push_back(c);
  }
  {
    ServerProcess server({"--threads", "2", "--pin-threads", "yes"});
    auto affinity = ShardAffinity(server.pid());
    REQUIRE(affinity.size() == 2);
    CHECK(affinity[0] == std::to_string(cores[0]));
    CHECK(affinity[1] == std::to_string(cores[1 % cores.size()]));
  }
  {
    ServerProcess server({"--threads", "2"});
    auto affinity = ShardAffinity(server.pid());
    REQUIRE(affinity.size() == 2);
    if (cores.size() > 1) CHECK(affinity[0].find_first_of(",-") != std::string::npos);
  }
}
