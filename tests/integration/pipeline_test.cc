// Pipelining and many concurrent connections: exact replies, in order.
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <map>
#include <memory>
#include <thread>

#include "tests/integration/server_process.h"

using namespace typeahead::test;

TEST_CASE("200 connections each pipelining 1000 commands get exact replies in order") {
  ServerProcess server;
  constexpr int kConns = 200, kCommands = 1000;
  std::vector<std::unique_ptr<RawConn>> conns;
  std::vector<std::string> want(kConns), got(kConns), send(kConns);
  std::vector<size_t> sent(kConns, 0);
  for (int c = 0; c < kConns; ++c) {
    conns.push_back(std::make_unique<RawConn>(server.port()));
    for (int i = 0; i < kCommands; ++i) {
      if (i % 2 == 0) {
        send[c] += "PING\r\n";
        want[c] += "+PONG\r\n";
      } else {
        std::string v = std::to_string(c) + ":" + std::to_string(i);
        send[c] += "*2\r\n$4\r\nECHO\r\n$" + std::to_string(v.size()) + "\r\n" + v + "\r\n";
        want[c] += "$" + std::to_string(v.size()) + "\r\n" + v + "\r\n";
      }
    }
  }
  // Write and read all sockets concurrently with poll, bounded in time.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int done = 0;
  while (done < kConns && std::chrono::steady_clock::now() < deadline) {
    std::vector<pollfd> fds;
    for (int c = 0; c < kConns; ++c) {
      short ev = 0;
      if (got[c].size() < want[c].size()) ev |= POLLIN;
      if (sent[c] < send[c].size()) ev |= POLLOUT;
      fds.push_back({conns[c]->fd(), ev, 0});
    }
    if (poll(fds.data(), fds.size(), 1000) <= 0) continue;
    for (int c = 0; c < kConns; ++c) {
      if (fds[c].revents & POLLOUT) {
        ssize_t n =
            ::send(fds[c].fd, send[c].data() + sent[c],
                   std::min<size_t>(send[c].size() - sent[c], 7000), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) sent[c] += static_cast<size_t>(n);
      }
      if (fds[c].revents & POLLIN) {
        char buf[65536];
        ssize_t n = recv(fds[c].fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) {
          got[c].append(buf, static_cast<size_t>(n));
          if (got[c].size() >= want[c].size()) ++done;
        }
      }
    }
  }
  CHECK(done == kConns);
  int exact = 0;
  for (int c = 0; c < kConns; ++c) exact += got[c] == want[c] ? 1 : 0;
  CHECK(exact == kConns);
}

TEST_CASE("Replies of a pipeline split at every byte are exact") {
  ServerProcess server;
  RawConn raw(server.port());
  std::string cmds =
      "*3\r\n$8\r\nACRECORD\r\n$1\r\nk\r\n$5\r\nhello\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n"
      "*4\r\n$6\r\nACTOPK\r\n$1\r\nk\r\n$1\r\nh\r\n$1\r\n5\r\n";
  std::string want = ":1\r\n+PONG\r\n$3\r\nabc\r\n*1\r\n$5\r\nhello\r\n";
  for (char ch : cmds) {
    raw.Send(std::string(1, ch));
  }
  CHECK(raw.ReadN(want.size()) == want);
}

TEST_CASE("A large bulk argument arrives in pieces") {
  ServerProcess server;
  RawConn raw(server.port());
  std::string big(5 * 1024 * 1024, 'x');
  std::string cmd = "*2\r\n$4\r\nECHO\r\n$" + std::to_string(big.size()) + "\r\n" + big + "\r\n";
  raw.Send(cmd);
  std::string want = "$" + std::to_string(big.size()) + "\r\n" + big + "\r\n";
  CHECK(raw.ReadN(want.size(), 20000) == want);
}

TEST_CASE("A client that stops reading is back-pressured, not buffered without bound") {
  ServerProcess server;
  {
    auto c = Connect(server.port());
    for (int i = 0; i < 200; ++i) Run(c.get(), {"ACRECORD", "k", "term" + std::to_string(i)});
  }
  long long rss_before = 0;
  {
    auto c = Connect(server.port());
    rss_before = std::stoll(InfoField(c.get(), "memory", "used_memory_rss"));
  }
  RawConn flood(server.port());
  int rcv = 4096;
  setsockopt(flood.fd(), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
  std::string cmd = "ACTOPK k term 200\r\n";
  std::string batch;
  for (int i = 0; i < 100; ++i) batch += cmd;
  // Send for a bounded time without reading; the server stops reading from us when its
  // writes block, so our sends eventually block too.
  size_t sent = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < deadline) {
    ssize_t n = ::send(flood.fd(), batch.data(), batch.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0)
      sent += static_cast<size_t>(n);
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Each reply is ~3 KB for ~19 request bytes: unbounded buffering would hold gigabytes. What
  // the server holds for the flooding client (CLIENT LIST tot-mem: query and reply buffers)
  // is the exact measure; RSS growth is the whole process's view (its bound leaves room for
  // ASan's quarantine of freed blocks, about 85 MB here; a release build grows under 1 MB).
  auto c = Connect(server.port());
  long long rss = std::stoll(InfoField(c.get(), "memory", "used_memory_rss"));
  CHECK(rss - rss_before < 128ll * 1024 * 1024);
  CHECK(Run(c.get(), {"PING"}) == "+PONG");
  std::string list = Run(c.get(), {"CLIENT", "LIST"});
  auto line = list.find("cmd=actopk");
  REQUIRE(line != std::string::npos);
  auto field = list.rfind("tot-mem=", line);
  REQUIRE(field != std::string::npos);
  long long held = std::stoll(list.substr(field + 8));
  CHECK(held < 1024 * 1024);
  MESSAGE("sent " << sent << " bytes of requests without reading; the server holds " << held
                  << " bytes for that client; RSS " << rss_before << " -> " << rss);
}

TEST_CASE("A pipeline mixing shards, fan-outs, errors and inline commands replies in order") {
  ServerProcess server({"--threads", "2"});
  RawConn raw(server.port());
  std::map<std::string, int64_t> model;
  std::string send, want;
  auto bulk = [](const std::string& s) {
    return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
  };
  auto cmd = [&](std::initializer_list<std::string> args) {
    std::string c = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& a : args) c += bulk(a);
    return c;
  };
  for (int i = 0; i < 3000; ++i) {
    // First letters vary, so consecutive commands land on different shards.
    std::string term =
        std::string(1, static_cast<char>('a' + (i * 7) % 26)) + std::to_string(i % 300);
    if (i % 17 == 0) {
      send += "ACRECORD k " + term + "\r\n";  // inline: its args live in the parser
    } else {
      send += cmd({"ACRECORD", "k", term});
    }
    want += ":" + std::to_string(++model[term]) + "\r\n";
    if (i % 7 == 0) {
      send += cmd({"ACCARD", "k"});  // asks every shard: must see everything before it
      want += ":" + std::to_string(model.size()) + "\r\n";
    }
    if (i % 11 == 0) {
      send += cmd({"ACSCORE", "k", term});
      want += ":" + std::to_string(model[term]) + "\r\n";
    }
    if (i % 13 == 0) {
      send += cmd({"NOPE"});
      want += "-ERR unknown command 'NOPE', with args beginning with: \r\n";
    }
    if (i % 19 == 0) {
      send += cmd({"ACRECORD", "k", ""});
      want += "-ERR empty term\r\n";
    }
  }
  // The empty-prefix top-1 merges every shard: the most recorded term, ties bytewise.
  auto best = std::min_element(model.begin(), model.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  send += cmd({"ACTOPK", "k", "", "1", "WITHSCORES"});
  want += "*2\r\n" + bulk(best->first) + ":" + std::to_string(best->second) + "\r\n";
  raw.Send(send);
  CHECK(raw.ReadN(want.size(), 30000) == want);
}

TEST_CASE("A transaction and a protocol error behind other shards' commands wait for them") {
  // Commands for the other shard are still out when MULTI, EXEC and the malformed frame are
  // parsed: each must wait for them, reply after them, and the error must close the
  // connection only once everything before it ran and was answered.
  ServerProcess server({"--threads", "2"});
  auto record = [](const std::string& term) {
    return "*3\r\n$8\r\nACRECORD\r\n$1\r\nk\r\n$" + std::to_string(term.size()) + "\r\n" + term +
           "\r\n";
  };
  std::string send, want;
  for (char c = 'a'; c <= 'z'; ++c) {
    send += record(std::string(1, c) + "x");
    want += ":1\r\n";
  }
  send += "*1\r\n$5\r\nMULTI\r\n";
  want += "+OK\r\n";
  send += record("qx") + record("zz");
  want += "+QUEUED\r\n+QUEUED\r\n";
  send += "*1\r\n$4\r\nEXEC\r\n";
  want += "*2\r\n:2\r\n:1\r\n";
  for (char c = 'a'; c <= 'z'; ++c) {
    send += record(std::string(1, c) + "x");
    want += c == 'q' ? ":3\r\n" : ":2\r\n";
  }
  send += "*1\r\n$-7\r\n";
  want += "-ERR Protocol error: invalid bulk length\r\n";
  RawConn raw(server.port());
  raw.Send(send + record("never"));
  CHECK(raw.ReadUntilClose(10000) == want);
  CHECK(raw.closed());
  auto c = Connect(server.port());
  CHECK(Command(c.get(), {"ACCARD", "k"})->integer == 27);
  CHECK(Command(c.get(), {"ACSCORE", "k", "qx"})->integer == 3);
  CHECK(Command(c.get(), {"ACSCORE", "k", "never"})->type == REDIS_REPLY_NIL);
}

TEST_CASE("50 writers on the same and on different terms lose no increment") {
  ServerProcess server({"--threads", "2"});
  constexpr int kClients = 50, kOps = 400;
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      auto conn = Connect(server.port());
      for (int i = 0; i < kOps; ++i) {
        // Pipelines of 4: the hot term, a term shared by all, and this client's own term.
        redisAppendCommand(conn.get(), "ACRECORD k hot");
        redisAppendCommand(conn.get(), "ACINCRBY k shared%d 2", i % 10);
        redisAppendCommand(conn.get(), "ACRECORD k own-%d", c);
        redisAppendCommand(conn.get(), "ACTOPK k h 1 WITHSCORES");
        for (int r = 0; r < 4; ++r) {
          void* reply = nullptr;
          if (redisGetReply(conn.get(), &reply) == REDIS_OK) freeReplyObject(reply);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  auto c = Connect(server.port());
  CHECK(Run(c.get(), {"ACSCORE", "k", "hot"}) == ":" + std::to_string(kClients * kOps));
  for (int i = 0; i < 10; ++i) {
    CHECK(Run(c.get(), {"ACSCORE", "k", "shared" + std::to_string(i)}) ==
          ":" + std::to_string(2 * kClients * kOps / 10));
  }
  for (int i = 0; i < kClients; ++i) {
    CHECK(Run(c.get(), {"ACSCORE", "k", "own-" + std::to_string(i)}) == ":" + std::to_string(kOps));
  }
  CHECK(Run(c.get(), {"ACCARD", "k"}) == ":" + std::to_string(1 + 10 + kClients));
}

TEST_CASE("Readers during writes only see rankings that were true at some moment") {
  // Writers only ever increment, each term in a strictly increasing sequence of steps, so a
  // reader's top list must be sorted and every score it shows must be monotonic over time.
  ServerProcess server({"--threads", "2"});
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      auto conn = Connect(server.port());
      for (int i = 0; i < 3000 && !stop; ++i) {
        Run(conn.get(),
            {"ACINCRBY", "r", "t" + std::to_string((i + w) % 40), std::to_string(1 + w)});
      }
    });
  }
  auto reader = Connect(server.port());
  std::map<std::string, long long> last_seen;
  int violations = 0;
  for (int q = 0; q < 500; ++q) {
    auto r = Command(reader.get(), {"ACTOPK", "r", "t", "40", "WITHSCORES"});
    REQUIRE(r->type == REDIS_REPLY_ARRAY);
    long long prev = LLONG_MAX;
    std::string prev_term;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
      std::string term(r->element[i]->str, r->element[i]->len);
      long long f = r->element[i + 1]->integer;
      if (f > prev || (f == prev && term < prev_term)) ++violations;  // not ranked
      if (f < last_seen[term]) ++violations;                          // went back in time
      last_seen[term] = f;
      prev = f;
      prev_term = term;
    }
  }
  stop = true;
  for (auto& t : writers) t.join();
  CHECK(violations == 0);
}
