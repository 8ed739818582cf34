#include "server/config.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>

#include "server/glob.h"

using namespace typeahead::server;

namespace {
std::optional<std::string> Load(std::vector<std::string> args, Config* c) {
  std::vector<char*> argv;
  static char name[] = "typeahead-server";
  argv.push_back(name);
  for (auto& a : args) argv.push_back(a.data());
  return LoadConfig(static_cast<int>(argv.size()), argv.data(), c);
}
}  // namespace

TEST_CASE("Config: defaults are the contract's") {
  Config c;
  REQUIRE_FALSE(Load({}, &c).has_value());
  CHECK(c.port == 6379);
  CHECK(c.bind == std::vector<std::string>{"127.0.0.1"});
  CHECK(c.dir == "./data");
  CHECK(c.appendonly);
  CHECK(c.appendfsync == "everysec");
  CHECK(c.max_term_length == 512);
  CHECK(c.max_topk == 1000);
  CHECK(c.threads >= 1);
  CHECK(*GetDirective(c, "proto-max-bulk-len") == "536870912");
}

TEST_CASE("Config: file then command line, later wins") {
  std::string path = "/tmp/typeahead-config-test.conf";
  {
    std::ofstream f(path);
    f << "# comment\n\nport 7000\nsave 60 100\nbind 127.0.0.1 ::1\nmaxclients 50\n"
         "client-output-buffer-limit normal 1mb 512kb 10\n";
  }
  Config c;
  REQUIRE_FALSE(Load({path, "--port", "7001", "--threads", "3"}, &c).has_value());
  CHECK(c.port == 7001);
  CHECK(c.threads == 3);
  CHECK(c.save == "60 100");
  CHECK(c.bind.size() == 2);
  CHECK(c.maxclients == 50);
  CHECK(c.output_normal.hard == 1024 * 1024);
  CHECK(c.output_normal.soft == 512 * 1024);
  CHECK(c.config_file.find("typeahead-config-test.conf") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("Config: errors name the file, line and directive") {
  std::string path = "/tmp/typeahead-config-bad.conf";
  {
    std::ofstream f(path);
    f << "port 7000\nnosuchthing 1\n";
  }
  Config c;
  auto e = Load({path}, &c);
  REQUIRE(e.has_value());
  CHECK(e->find("typeahead-config-bad.conf', at line 2") != std::string::npos);
  CHECK(e->find("nosuchthing") != std::string::npos);
  {
    std::ofstream f(path);
    f << "port abc\n";
  }
  e = Load({path}, &c);
  REQUIRE(e.has_value());
  CHECK(e->find("argument couldn't be parsed into an integer") != std::string::npos);
  std::remove(path.c_str());
  CHECK(Load({"--port", "99999"}, &c)->find("between 0 and 65535") != std::string::npos);
  CHECK(Load({"--appendfsync", "sometimes"}, &c).has_value());
  CHECK(Load({"/nonexistent/file.conf"}, &c)->find("can't open config file") != std::string::npos);
}

TEST_CASE("Config: runtime changes refuse immutable directives") {
  Config c;
  std::string v = "4";
  CHECK(*SetDirective(&c, "threads", std::span<const std::string>(&v, 1), true) ==
        "can't set immutable config");
  v = "100";
  CHECK_FALSE(SetDirective(&c, "MAX-TOPK", std::span<const std::string>(&v, 1), true));
  CHECK(c.max_topk == 100);
}

TEST_CASE("ParseMemory uses Redis's units") {
  int64_t v;
  CHECK((ParseMemory("1gb", &v) && v == 1024ll * 1024 * 1024));
  CHECK((ParseMemory("1g", &v) && v == 1000ll * 1000 * 1000));
  CHECK((ParseMemory("64MB", &v) && v == 64ll * 1024 * 1024));
  CHECK((ParseMemory("100", &v) && v == 100));
  CHECK_FALSE(ParseMemory("1xb", &v));
  CHECK_FALSE(ParseMemory("", &v));
}

TEST_CASE("GlobMatch follows Redis's stringmatch") {
  CHECK(GlobMatch("*", "anything"));
  CHECK(GlobMatch("h?llo", "hello"));
  CHECK(GlobMatch("h[ae]llo", "hallo"));
  CHECK_FALSE(GlobMatch("h[ae]llo", "hillo"));
  CHECK(GlobMatch("h[^e]llo", "hallo"));
  CHECK_FALSE(GlobMatch("h[^e]llo", "hello"));
  CHECK(GlobMatch("h[a-c]llo", "hbllo"));
  CHECK(GlobMatch("a\\*b", "a*b"));
  CHECK_FALSE(GlobMatch("a\\*b", "axb"));
  CHECK(GlobMatch("MAX*", "max-topk", true));
  CHECK_FALSE(GlobMatch("MAX*", "max-topk", false));
  CHECK(GlobMatch("a*b*c", "aXXbYYc"));
  CHECK_FALSE(GlobMatch("a*b*c", "aXXbYY"));
}

TEST_CASE("GlobPattern answers as GlobMatch, for literals and prefixes too") {
  const char* patterns[] = {"a:*", "a:", "", "*", "a:*x", "a\\*", "a?*", "a[:]*", "ab**", "a*b"};
  const char* subjects[] = {"", "a", "a:", "a:1", "a:*", "b:1", "a:1x", "ab", "ab*", "a*"};
  for (const char* p : patterns) {
    GlobPattern compiled(p);
    CHECK(compiled.text() == p);
    for (const char* s : subjects) {
      CAPTURE(p);
      CAPTURE(s);
      CHECK(compiled.Matches(s) == GlobMatch(p, s));
    }
  }
  CHECK(GlobPattern("a:*").Matches("a:"));
  CHECK_FALSE(GlobPattern("a:*").Matches("a"));
  CHECK_FALSE(GlobPattern("a:").Matches("a:1"));
}

TEST_CASE("Config: client-output-buffer-limit as one argument (CONFIG SET) or several") {
  Config c;
  std::vector<std::string> one = {"normal 2mb 1mb 5 pubsub 64mb 16mb 30"};
  REQUIRE_FALSE(SetDirective(&c, "client-output-buffer-limit", one, true).has_value());
  CHECK(c.output_normal.hard == 2 * 1024 * 1024);
  CHECK(c.output_normal.soft_seconds == 5);
  CHECK(c.output_pubsub.soft == 16 * 1024 * 1024);
  std::vector<std::string> split = {"normal", "0", "0", "0"};
  REQUIRE_FALSE(SetDirective(&c, "client-output-buffer-limit", split, true).has_value());
  CHECK(c.output_normal.hard == 0);
  std::vector<std::string> bad = {"normal 1mb 0"};
  CHECK(SetDirective(&c, "client-output-buffer-limit", bad, true).has_value());
  CHECK(c.output_pubsub.hard == 64 * 1024 * 1024);  // a refused value changes nothing
}

TEST_CASE("Config: the hardening directives") {
  Config c;
  CHECK(c.protected_mode);
  CHECK(c.maxmemory == 0);
  std::vector<std::string> mem = {"100mb"}, no = {"no"}, lots = {"lots"};
  REQUIRE_FALSE(SetDirective(&c, "maxmemory", mem, true).has_value());
  CHECK(c.maxmemory == 100ll * 1024 * 1024);
  REQUIRE_FALSE(SetDirective(&c, "protected-mode", no, true).has_value());
  CHECK_FALSE(c.protected_mode);
  CHECK(SetDirective(&c, "maxmemory", lots, true).has_value());
  CHECK(*GetDirective(c, "maxmemory") == "104857600");
}

TEST_CASE("Config: CONFIG REWRITE keeps comments and order, folds repeats, appends changes") {
  std::string original =
      "# top comment\n"
      "port 7000\n"
      "\n"
      "save 60 100\n"
      "save 300 10\n"
      "# requirepass is next\n"
      "requirepass \"old one\"\n"
      "slaveof 10.0.0.1 6379\n"
      "threads 2\n";
  Config c;
  c.port = 7000;
  c.save = "900 1";
  c.requirepass = "new pass";
  c.replicaof = "";  // promoted since
  c.threads = 2;
  c.maxclients = 50;
  c.replica_priority = 0;
  std::string out = RewriteConfig(original, c);
  CHECK(out ==
        "# top comment\n"
        "port 7000\n"
        "\n"
        "save 900 1\n"
        "# requirepass is next\n"
        "requirepass \"new pass\"\n"
        "threads 2\n"
        "# Generated by CONFIG REWRITE\n"
        "maxclients 50\n"
        "replica-priority 0\n");
  // Read back, the file gives the same configuration; rewriting it again changes nothing.
  std::string path = "/tmp/typeahead-rewrite-test.conf";
  {
    std::ofstream f(path);
    f << out;
  }
  Config back;
  REQUIRE_FALSE(Load({path}, &back).has_value());
  CHECK(back.save == "900 1");
  CHECK(back.requirepass == "new pass");
  CHECK(back.replicaof.empty());
  CHECK(back.maxclients == 50);
  CHECK(back.replica_priority == 0);
  CHECK(RewriteConfig(out, back) == out);
  std::remove(path.c_str());
}

TEST_CASE("Config: Redis directives without effect are taken from files, refused at runtime") {
  Config c;
  std::vector<std::string> ten = {"10"};
  CHECK(IgnoredDirective("hz"));
  CHECK(IgnoredDirective("HZ"));
  CHECK_FALSE(IgnoredDirective("nosuch"));
  CHECK_FALSE(IgnoredDirective("z"));  // a piece of a name is no name
  CHECK_FALSE(SetDirective(&c, "hz", ten, false).has_value());
  std::vector<std::string> twenty = {"20"};
  CHECK_FALSE(SetDirective(&c, "Hz", twenty, false).has_value());
  REQUIRE(c.ignored.size() == 1);
  CHECK(c.ignored[0] == std::pair<std::string, std::string>{"hz", "20"});
  CHECK(*SetDirective(&c, "hz", ten, true) == "can't set immutable config");
  CHECK(IsDirective("tcp-keepalive"));
  CHECK(*SetDirective(&c, "nosuch", ten, false) == "Bad directive or wrong number of arguments");
  // Taken for real: the backlog, daemonize, the pidfile; replica-read-only only as "yes";
  // notify-keyspace-events only as "" (none) until notifications exist.
  CHECK_FALSE(SetDirective(&c, "tcp-backlog", ten, false).has_value());
  CHECK(c.tcp_backlog == 10);
  std::vector<std::string> yes = {"yes"}, no = {"no"}, empty = {""}, kx = {"KEA"};
  CHECK_FALSE(SetDirective(&c, "daemonize", yes, false).has_value());
  CHECK(c.daemonize);
  CHECK(*SetDirective(&c, "daemonize", no, true) == "can't set immutable config");
  CHECK_FALSE(SetDirective(&c, "slave-read-only", yes, false).has_value());
  CHECK(SetDirective(&c, "replica-read-only", no, false).has_value());
  CHECK_FALSE(SetDirective(&c, "notify-keyspace-events", empty, true).has_value());
  CHECK(SetDirective(&c, "notify-keyspace-events", kx, true).has_value());
}
