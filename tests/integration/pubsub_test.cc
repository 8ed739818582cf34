// Pub/sub over the wire: subscribers spread over every thread, patterns, PUBSUB, Redis's
// subscribed-mode rules in RESP2 and push frames in RESP3, slow subscribers cut off at their
// output limit, and CLIENT KILL TYPE pubsub.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/integration/server_process.h"

using namespace typeahead::test;

namespace {

// The next reply or push on a connection, rendered.
std::string Next(redisContext* c) {
  void* r = nullptr;
  if (redisGetReply(c, &r) != REDIS_OK) return "<error>";
  ReplyPtr reply(static_cast<redisReply*>(r), freeReplyObject);
  return Render(reply.get());
}

void Send(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  redisAppendCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data());
  int done = 0;
  while (!done) redisBufferWrite(c, &done);
}

}  // namespace

TEST_CASE("PUBLISH reaches subscribers on every thread, by channel and by pattern") {
  ServerProcess server({"--threads", "2"});
  // Connections go round-robin over the threads: these four sit on both.
  std::vector<RedisPtr> subs;
  for (int i = 0; i < 4; ++i) {
    subs.push_back(Connect(server.port()));
    if (i < 3) {
      Send(subs.back().get(), {"SUBSCRIBE", "news", "other"});
      CHECK(Next(subs.back().get()) == R"(["subscribe", "news", :1])");
      CHECK(Next(subs.back().get()) == R"(["subscribe", "other", :2])");
    } else {
      Send(subs.back().get(), {"PSUBSCRIBE", "n*"});
      CHECK(Next(subs.back().get()) == R"(["psubscribe", "n*", :1])");
    }
  }
  auto pub = Connect(server.port());
  CHECK(Run(pub.get(), {"PUBLISH", "news", "hello"}) == ":4");
  for (int i = 0; i < 3; ++i) CHECK(Next(subs[i].get()) == R"(["message", "news", "hello"])");
  CHECK(Next(subs[3].get()) == R"(["pmessage", "n*", "news", "hello"])");
  CHECK(Run(pub.get(), {"PUBLISH", "nobody", "x"}) == ":1");  // the pattern only
  CHECK(Next(subs[3].get()) == R"(["pmessage", "n*", "nobody", "x"])");
  CHECK(Run(pub.get(), {"PUBLISH", "void", "x"}) == ":0");
  CHECK(Run(pub.get(), {"PUBSUB", "CHANNELS"}) == R"(["news", "other"])");
  CHECK(Run(pub.get(), {"PUBSUB", "CHANNELS", "n*"}) == R"(["news"])");
  CHECK(Run(pub.get(), {"PUBSUB", "NUMSUB", "news", "void"}) == R"(["news", :3, "void", :0])");
  CHECK(Run(pub.get(), {"PUBSUB", "NUMPAT"}) == ":1");
  CHECK(InfoField(pub.get(), "stats", "pubsub_channels") == "2");
  CHECK(InfoField(pub.get(), "stats", "pubsub_patterns") == "1");

  // Subscribed mode (RESP2): only the subscription commands, PING, QUIT and RESET.
  redisContext* s = subs[0].get();
  Send(s, {"ACTOPK", "k", "a", "1"});
  CHECK(Next(s) ==
        "-ERR Can't execute 'actopk': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
        "RESET are allowed in this context");
  Send(s, {"PING"});
  CHECK(Next(s) == R"(["pong", ""])");
  Send(s, {"UNSUBSCRIBE", "other"});
  CHECK(Next(s) == R"(["unsubscribe", "other", :1])");
  Send(s, {"UNSUBSCRIBE"});
  CHECK(Next(s) == R"(["unsubscribe", "news", :0])");
  Send(s, {"UNSUBSCRIBE"});
  CHECK(Next(s) == R"(["unsubscribe", nil, :0])");
  CHECK(Run(s, {"PING"}) == "+PONG");  // back to normal
  CHECK(Run(pub.get(), {"PUBLISH", "news", "again"}) == ":3");
  // RESET leaves subscribed mode too.
  Send(subs[1].get(), {"RESET"});
  CHECK(Next(subs[1].get()) == R"(["message", "news", "again"])");
  CHECK(Next(subs[1].get()) == "+RESET");
  CHECK(Run(pub.get(), {"PUBSUB", "NUMSUB", "news"}) == R"(["news", :1])");
}

TEST_CASE("RESP3 subscribers get push frames and may run any command") {
  ServerProcess server({"--threads", "2"});
  RawConn sub(server.port());
  sub.Send("HELLO 3\r\n");
  std::string hello = sub.ReadN(1);
  CHECK(hello == "%");
  sub.ReadUntilClose(300);  // the rest of HELLO's map
  CHECK(sub.Roundtrip("SUBSCRIBE ch\r\n", ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n") ==
        ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
  auto pub = Connect(server.port());
  CHECK(Run(pub.get(), {"PUBLISH", "ch", "hi"}) == ":1");
  std::string push = ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n";
  CHECK(sub.ReadN(push.size()) == push);
  CHECK(sub.Roundtrip("ACCARD k\r\n", ":0\r\n") == ":0\r\n");
  CHECK(sub.Roundtrip("PING\r\n", "+PONG\r\n") == "+PONG\r\n");
}

TEST_CASE("A subscriber that stops reading is cut at client-output-buffer-limit pubsub") {
  ServerProcess server({"--threads", "2", "--client-output-buffer-limit", "pubsub 256kb 0 0"});
  RawConn slow(server.port());
  slow.Send("SUBSCRIBE flood\r\n");
  auto pub = Connect(server.port());
  WaitFor([&] { return Run(pub.get(), {"PUBSUB", "NUMSUB", "flood"}) == R"(["flood", :1])"; });
  std::string payload(16 * 1024, 'x');
  // The socket buffers take a few MB before our buffer grows; 64 MB of messages is plenty.
  for (int i = 0; i < 4096; ++i) {
    if (Run(pub.get(), {"PUBLISH", "flood", payload}) == ":0") break;
  }
  CHECK(WaitFor([&] {
    return Run(pub.get(), {"PUBSUB", "NUMSUB", "flood"}) == R"(["flood", :0])";
  }));
  CHECK(server.ReadLog().find("closed for overcoming of output buffer limits") !=
        std::string::npos);
  CHECK(Run(pub.get(), {"PING"}) == "+PONG");
}

TEST_CASE("CLIENT KILL TYPE pubsub and TYPE normal each spare the other kind") {
  ServerProcess server({"--threads", "2"});
  auto sub = Connect(server.port());
  Send(sub.get(), {"SUBSCRIBE", "ch"});
  CHECK(Next(sub.get()) == R"(["subscribe", "ch", :1])");
  auto plain = Connect(server.port());
  CHECK(Run(plain.get(), {"PING"}) == "+PONG");
  auto admin = Connect(server.port());
  CHECK(Run(admin.get(), {"CLIENT", "KILL", "TYPE", "normal"}) == ":1");  // plain, not admin
  CHECK(Run(admin.get(), {"PUBSUB", "NUMSUB", "ch"}) == R"(["ch", :1])");
  CHECK(Run(admin.get(), {"CLIENT", "KILL", "TYPE", "pubsub"}) == ":1");
  CHECK(WaitFor([&] { return Run(admin.get(), {"PUBSUB", "NUMSUB", "ch"}) == R"(["ch", :0])"; }));
  CHECK(Command(plain.get(), {"PING"}) == nullptr);
}
