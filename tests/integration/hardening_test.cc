// Hostile clients against the real binary: broken and random protocol bytes, clients that
// never read or send one byte at a time, too many connections, idle clients, a memory limit
// and authentication on every command. After each, the server answers PING and every stored
// term is exactly as it was.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "tests/integration/server_process.h"

using namespace typeahead::test;

namespace {

constexpr int kTerms = 300;

std::string TermName(int i) { return fmt::format("term{:03}", i); }

// A dictionary with distinct frequencies (term i recorded i+1 times), so its whole ranking is
// one exact answer.
void LoadDictionary(redisContext* c) {
  for (int i = 0; i < kTerms; ++i) {
    redisAppendCommand(c, "ACINCRBY dict %s %d", TermName(i).c_str(), i + 1);
  }
  for (int i = 0; i < kTerms; ++i) {
    redisReply* r = nullptr;
    REQUIRE(redisGetReply(c, reinterpret_cast<void**>(&r)) == REDIS_OK);
    freeReplyObject(r);
  }
}

std::string ExpectedRanking() {
  std::string s = "[";
  for (int i = kTerms - 1; i >= 0; --i) {
    if (i != kTerms - 1) s += ", ";
    s += fmt::format("\"{}\", :{}", TermName(i), i + 1);
  }
  return s + "]";
}

// PING answers and the dictionary is intact, on a fresh connection.
void CheckIntact(int port, const std::string& password = "") {
  auto c = Connect(port);
  if (!password.empty()) REQUIRE(Run(c.get(), {"AUTH", password}) == "+OK");
  CHECK(Run(c.get(), {"PING"}) == "+PONG");
  CHECK(Run(c.get(), {"ACCARD", "dict"}) == ":" + std::to_string(kTerms));
  CHECK(Run(c.get(), {"ACTOPK", "dict", "", "1000", "WITHSCORES"}) == ExpectedRanking());
  CHECK(Run(c.get(), {"DBSIZE"}) == ":1");
}

int64_t InfoInt(redisContext* c, const std::string& section, const std::string& field) {
  std::string value = InfoField(c, section, field);
  return value == "<missing>" ? -1 : std::stoll(value);
}

// Sends without blocking; returns bytes accepted (0 when the socket buffer is full).
size_t TrySend(int fd, std::string_view data) {
  ssize_t n = ::send(fd, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

}  // namespace

TEST_CASE("Malformed protocol gets Redis's error and a closed connection, nothing else") {
  ServerProcess server;
  LoadDictionary(Connect(server.port()).get());
  struct Case {
    std::string send, want;
  } cases[] = {
      {"*-5\r\nPING\r\n", "+PONG\r\n"},  // a negative count is an empty command, as in Redis
      {"*2000000\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
      {"*99999999999999999999999\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
      {"*1\r\n$600000000\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
      {"*1\r\n$-7\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
      {"*1\r\n$99999999999999999999999\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
      {"*2\r\n$4\r\nPING\r\n4\r\nPING\r\n", "-ERR Protocol error: expected '$', got '4'\r\n"},
      {"ACRECORD dict \"term000\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
      {"*1\r\n$" + std::string(70000, '9'), "-ERR Protocol error: too big bulk count string\r\n"},
      {std::string(70000, 'A'), "-ERR Protocol error: too big inline request\r\n"},
  };
  for (const auto& tc : cases) {
    CAPTURE(tc.send.substr(0, 40));
    RawConn raw(server.port());
    raw.Send(tc.send);
    if (tc.want == "+PONG\r\n") {
      CHECK(raw.ReadN(tc.want.size()) == tc.want);
    } else {
      CHECK(raw.ReadUntilClose() == tc.want);
      CHECK(raw.closed());
    }
  }
  CheckIntact(server.port());
}

TEST_CASE("Clients that send and close at once get their replies, then a closed connection") {
  // The FIN often arrives with the last bytes, before the server's read of them: the server
  // must still see the end of file (server/client_socket.h), not hold the socket forever in
  // CLOSE-WAIT. 100 clients make that race near certain to occur.
  ServerProcess server({"--threads", "2"});
  std::vector<std::unique_ptr<RawConn>> clients;
  for (int i = 0; i < 100; ++i) {
    clients.push_back(std::make_unique<RawConn>(server.port()));
    clients.back()->Send("PING\r\nPING\r\n");
    shutdown(clients.back()->fd(), SHUT_WR);
  }
  for (auto& raw : clients) {
    CHECK(raw->ReadUntilClose(10000) == "+PONG\r\n+PONG\r\n");
    CHECK(raw->closed());
  }
  auto c = Connect(server.port());
  CHECK(InfoInt(c.get(), "clients", "connected_clients") == 1);
}

TEST_CASE("Announcing huge bulks and never sending them costs no memory") {
  // Each client announces a 400 MB argument (allowed: proto-max-bulk-len is 512mb) and sends
  // 1 KB of it. Buffers that reserved what was announced would hold 3.2 GB.
  ServerProcess server;
  LoadDictionary(Connect(server.port()).get());
  auto c = Connect(server.port());
  int64_t before = InfoInt(c.get(), "memory", "used_memory_rss");
  std::vector<std::unique_ptr<RawConn>> conns;
  for (int i = 0; i < 8; ++i) {
    conns.push_back(std::make_unique<RawConn>(server.port()));
    conns.back()->Send("*3\r\n$8\r\nACRECORD\r\n$4\r\ndict\r\n$400000000\r\n" +
                       std::string(1024, 'x'));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int64_t after = InfoInt(c.get(), "memory", "used_memory_rss");
  MESSAGE("RSS before " << before << ", with 8 announced 400 MB bulks " << after);
  CHECK(after - before < 16ll * 1024 * 1024);
  conns.clear();
  CheckIntact(server.port());
}

TEST_CASE("30 buffers of random bytes leave the server and the data intact") {
  ServerProcess server;
  LoadDictionary(Connect(server.port()).get());
  uint64_t seed = std::random_device{}();
  MESSAGE("seed " << seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 30; ++i) {
    std::string junk(1 + rng() % 8192, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng());
    // Every third buffer starts like a command, to get past the first byte's checks.
    if (i % 3 == 1) junk = "*3\r\n$8\r\nACRECORD\r\n" + junk;
    if (i % 3 == 2) junk = "ACTOPK dict " + junk;
    RawConn raw(server.port());
    raw.Send(junk);
    raw.ReadUntilClose(200);  // an error and a close, or a wait for more bytes: both fine
  }
  CheckIntact(server.port());
}

TEST_CASE("Clients flooding ACTOPK without reading for 10 s keep the server's memory bounded") {
  // The bound: the server stops reading from a client whose replies it cannot write, so each
  // flooding client costs at most its socket buffers plus one batch of replies (~64 KB) and
  // one read chunk. Four such clients must not grow the allocator's count (used_memory) by
  // more than 64 MB, nor RSS by more than 512 MB: AddressSanitizer's quarantine of freed
  // blocks alone takes 256 MB of RSS, while unbounded buffering of these ~6 KB replies to
  // ~30-byte requests would take gigabytes within seconds.
  ServerProcess server({"--threads", "2"});
  LoadDictionary(Connect(server.port()).get());
  auto c = Connect(server.port());
  int64_t before = InfoInt(c.get(), "memory", "used_memory_rss");
  int64_t used_before = InfoInt(c.get(), "memory", "used_memory");
  std::string batch;
  for (int i = 0; i < 200; ++i) batch += "ACTOPK dict \"\" 300 WITHSCORES\r\n";
  std::atomic<bool> stop{false};
  std::atomic<size_t> sent{0};
  std::vector<std::thread> floods;
  for (int f = 0; f < 4; ++f) {
    floods.emplace_back([&] {
      RawConn flood(server.port());
      int rcv = 4096;
      setsockopt(flood.fd(), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
      while (!stop) {
        size_t n = TrySend(flood.fd(), batch);
        sent += n;
        if (n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
  }
  // Meanwhile another client is served normally.
  int64_t peak = 0, used_peak = 0;
  int pings = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    CHECK(Run(c.get(), {"PING"}) == "+PONG");
    ++pings;
    peak = std::max(peak, InfoInt(c.get(), "memory", "used_memory_rss"));
    used_peak = std::max(used_peak, InfoInt(c.get(), "memory", "used_memory"));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop = true;
  for (auto& t : floods) t.join();
  MESSAGE("sent " << sent.load() << " request bytes unread; used_memory before " << used_before
                  << ", peak " << used_peak << "; RSS before " << before << ", peak " << peak
                  << "; " << pings << " PINGs answered meanwhile");
  CHECK(pings > 20);
  CHECK(used_peak - used_before < 64ll * 1024 * 1024);
  CHECK(peak - before < 512ll * 1024 * 1024);
  CheckIntact(server.port());
}

TEST_CASE("Twice maxclients connections: the excess is refused, the rest served") {
  constexpr int kMax = 50;
  ServerProcess server({"--maxclients", std::to_string(kMax)});
  LoadDictionary(Connect(server.port()).get());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the loader has gone
  std::vector<std::unique_ptr<RawConn>> conns;
  for (int i = 0; i < 2 * kMax; ++i) conns.push_back(std::make_unique<RawConn>(server.port()));
  int served = 0, refused = 0;
  for (auto& conn : conns) {
    conn->Send("PING\r\n");
    std::string got = conn->ReadN(7, 3000);
    if (got == "+PONG\r\n") {
      ++served;
    } else if (got == "-ERR ma") {
      CHECK(got + conn->ReadUntilClose() == "-ERR max number of clients reached\r\n");
      ++refused;
    }
  }
  CHECK(served == kMax);
  CHECK(refused == kMax);
  conns.clear();
  // The slots are free again once the clients have gone.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto c = Connect(server.port());
  CHECK(InfoInt(c.get(), "clients", "connected_clients") == 1);
  CHECK(InfoInt(c.get(), "stats", "rejected_connections") == kMax);
  CheckIntact(server.port());
}

TEST_CASE("Slowloris clients (a byte per 100 ms) do not hold anyone else up") {
  ServerProcess server({"--threads", "2"});
  LoadDictionary(Connect(server.port()).get());
  const std::string cmd = "*3\r\n$8\r\nACRECORD\r\n$4\r\nslow\r\n$4\r\nterm\r\n";
  constexpr int kSlow = 20;
  std::vector<std::unique_ptr<RawConn>> slow;
  for (int i = 0; i < kSlow; ++i) slow.push_back(std::make_unique<RawConn>(server.port()));
  std::atomic<size_t> progress{0};
  std::thread loris([&] {
    for (size_t b = 0; b < cmd.size(); ++b) {
      for (auto& s : slow) s->Send(std::string(1, cmd[b]));
      progress = b + 1;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  // While every slow client is mid-command, a normal client runs 2000 commands.
  auto c = Connect(server.port());
  for (int i = 0; i < 2000; ++i) {
    REQUIRE(Run(c.get(), {"ACTOPK", "dict", "term2", "3"}) ==
            "[\"term299\", \"term298\", \"term297\"]");
  }
  CHECK(progress < cmd.size());  // done before the slow clients finished one command
  loris.join();
  std::set<std::string> counts;  // ACRECORD replies the term's new count: 1 to kSlow
  for (auto& s : slow) {
    std::string line;
    while (line.empty() || line.back() != '\n') {
      std::string b = s->ReadN(1);
      if (b.empty()) break;
      line += b;
    }
    counts.insert(line);
  }
  CHECK(counts.size() == kSlow);
  CHECK(counts.count(":1\r\n") == 1);
  CHECK(counts.count(":" + std::to_string(kSlow) + "\r\n") == 1);
  CHECK(Run(c.get(), {"ACSCORE", "slow", "term"}) == ":" + std::to_string(kSlow));
  CHECK(Run(c.get(), {"DEL", "slow"}) == ":1");
  CheckIntact(server.port());
}

TEST_CASE("timeout closes idle clients and spares active ones") {
  ServerProcess server({"--timeout", "1"});
  LoadDictionary(Connect(server.port()).get());
  RawConn idle(server.port());
  RawConn active(server.port());
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(3500)) {
    CHECK(active.Roundtrip("PING\r\n", "+PONG\r\n") == "+PONG\r\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  CHECK(idle.ReadUntilClose(100) == "");
  CHECK(idle.closed());
  CHECK_FALSE(active.closed());
  CheckIntact(server.port());
}

TEST_CASE("maxmemory refuses records with Redis's OOM error; reads and deletes go on") {
  ServerProcess server;
  auto c = Connect(server.port());
  LoadDictionary(c.get());
  int64_t used = InfoInt(c.get(), "memory", "used_memory");
  int64_t limit = used + 8 * 1024 * 1024;
  REQUIRE(Run(c.get(), {"CONFIG", "SET", "maxmemory", std::to_string(limit)}) == "+OK");
  CHECK(InfoInt(c.get(), "memory", "maxmemory") == limit);
  // Record new 200-byte terms until refused: every OK is stored, every OOM stored nothing.
  const std::string oom = "-OOM command not allowed when used memory > 'maxmemory'.";
  std::mt19937_64 rng(7);
  int stored = 0;
  std::string last;
  for (int batch = 0; batch < 400 && last != oom; ++batch) {
    for (int i = 0; i < 500; ++i) {
      std::string term(200, 'a');  // random letters: no shared prefix for the trie to fold
      for (char& ch : term) ch = static_cast<char>('a' + rng() % 26);
      redisAppendCommand(c.get(), "ACRECORD big %b", term.data(), term.size());
    }
    for (int i = 0; i < 500; ++i) {
      redisReply* r = nullptr;
      REQUIRE(redisGetReply(c.get(), reinterpret_cast<void**>(&r)) == REDIS_OK);
      last = Render(r);
      if (last == ":1")
        ++stored;
      else
        REQUIRE(last == oom);
      freeReplyObject(r);
    }
  }
  REQUIRE(last == oom);
  MESSAGE("stored " << stored << " terms of 200 bytes under an 8 MB allowance");
  CHECK(Run(c.get(), {"ACCARD", "big"}) == ":" + std::to_string(stored));
  CHECK(Run(c.get(), {"ACINCRBY", "dict", "term000", "1"}) == oom);
  CHECK(Run(c.get(), {"ACRECORD", "dict", "new"}) == oom);
  // Refused near the limit, not long before it (buffers freed since may put us just below).
  CHECK(InfoInt(c.get(), "memory", "used_memory") > limit - 2 * 1024 * 1024);
  // Reads, deletes and the rest of the server go on.
  CHECK(Run(c.get(), {"ACTOPK", "dict", "term29", "1"}) == "[\"term299\"]");
  CHECK(Run(c.get(), {"DEL", "big"}) == ":1");
  CHECK(Run(c.get(), {"CONFIG", "SET", "maxmemory", "0"}) == "+OK");
  CHECK(Run(c.get(), {"ACRECORD", "other", "x"}) == ":1");
  CHECK(Run(c.get(), {"DEL", "other"}) == ":1");
  CheckIntact(server.port());
}

TEST_CASE("requirepass guards every command on every path until AUTH") {
  const std::string pw = "s3cret-pw";
  ServerProcess server({"--requirepass", pw});
  auto admin = Connect(server.port());
  REQUIRE(Run(admin.get(), {"AUTH", pw}) == "+OK");
  LoadDictionary(admin.get());
  // Every command and subcommand the server knows, with as many arguments as its arity asks.
  auto list = Command(admin.get(), {"COMMAND", "LIST"});
  REQUIRE(list->type == REDIS_REPLY_ARRAY);
  std::vector<std::string> names;
  for (size_t i = 0; i < list->elements; ++i) {
    names.emplace_back(list->element[i]->str, list->element[i]->len);
  }
  auto is_container = [&](const std::string& name) {
    return std::any_of(names.begin(), names.end(),
                       [&](const std::string& n) { return n.rfind(name + "|", 0) == 0; });
  };
  std::vector<std::vector<std::string>> commands;
  for (const std::string& name : names) {
    auto info = Command(admin.get(), {"COMMAND", "INFO", name});
    REQUIRE(info->elements == 1);
    int arity = static_cast<int>(info->element[0]->element[1]->integer);
    // "CLIENT x": an unknown subcommand is reported before authentication, as in Redis; the
    // container's real subcommands are in the list themselves.
    if (is_container(name) && std::abs(arity) >= 2) continue;
    std::vector<std::string> args;
    size_t bar = name.find('|');
    args.push_back(name.substr(0, bar));
    if (bar != std::string::npos) args.push_back(name.substr(bar + 1));
    while (static_cast<int>(args.size()) < std::abs(arity)) args.push_back("dict");
    commands.push_back(args);
  }
  REQUIRE(commands.size() > 30);
  const std::set<std::string> open = {"auth", "hello", "quit", "reset"};
  auto c = Connect(server.port());
  std::string pipeline;  // the same commands again, inline and pipelined
  for (const auto& args : commands) {
    if (open.count(args[0])) continue;
    CAPTURE(args);
    CHECK(Run(c.get(), args) == "-NOAUTH Authentication required.");
    for (const auto& a : args) pipeline += a + " ";
    pipeline += "\r\n";
  }
  RawConn raw(server.port());
  raw.Send(pipeline);
  std::string want;
  for (const auto& args : commands) {
    if (!open.count(args[0])) want += "-NOAUTH Authentication required.\r\n";
  }
  CHECK(raw.ReadN(want.size()) == want);
  // Before AUTH, requests are held small, as Redis does.
  RawConn big(server.port());
  big.Send("*11\r\n");
  CHECK(big.ReadUntilClose() == "-ERR Protocol error: unauthenticated multibulk length\r\n");
  RawConn bulk(server.port());
  bulk.Send("*2\r\n$4\r\nAUTH\r\n$20000\r\n");
  CHECK(bulk.ReadUntilClose() == "-ERR Protocol error: unauthenticated bulk length\r\n");
  // Wrong passwords, by every way of giving one, are refused and counted.
  CHECK(Run(c.get(), {"AUTH", "nope"}) ==
        "-WRONGPASS invalid username-password pair or user is disabled.");
  CHECK(Run(c.get(), {"AUTH", "default", "nope"}) ==
        "-WRONGPASS invalid username-password pair or user is disabled.");
  CHECK(Run(c.get(), {"AUTH", "alice", pw}) ==
        "-WRONGPASS invalid username-password pair or user is disabled.");
  CHECK(Run(c.get(), {"HELLO", "3", "AUTH", "default", "nope"}) ==
        "-WRONGPASS invalid username-password pair or user is disabled.");
  CHECK(Run(c.get(), {"PING"}) == "-NOAUTH Authentication required.");
  CHECK(InfoInt(admin.get(), "stats", "acl_access_denied_auth") == 4);
  // Then each right way works.
  RawConn r3(server.port());  // hiredis here speaks only RESP2: read the RESP3 map raw
  r3.Send("HELLO 3 AUTH default " + pw + "\r\n");
  CHECK(r3.ReadN(1) == "%");
  r3.ReadN(1 << 20, 300);
  CHECK(r3.Roundtrip("PING\r\n", "+PONG\r\n") == "+PONG\r\n");
  auto d = Connect(server.port());
  CHECK(Run(d.get(), {"AUTH", "default", pw}) == "+OK");
  CHECK(Run(d.get(), {"ACTOPK", "dict", "term1", "1"}) == "[\"term199\"]");
  // FLUSHALL, DEL, RENAME, CONFIG SET, SHUTDOWN... were all refused above: nothing changed.
  CheckIntact(server.port(), pw);
}

TEST_CASE("client-query-buffer-limit closes a client whose pending request outgrows it") {
  ServerProcess server({"--client-query-buffer-limit", "1mb"});
  LoadDictionary(Connect(server.port()).get());
  RawConn over(server.port());
  over.Send("*2\r\n$4\r\nECHO\r\n$3000000\r\n" + std::string(1500000, 'x'));
  CHECK(over.ReadUntilClose() == "");
  CHECK(over.closed());
  // Under the limit a large argument is served.
  RawConn under(server.port());
  std::string arg(600000, 'y');
  std::string want = "$600000\r\n" + arg + "\r\n";
  CHECK(under.Roundtrip("*2\r\n$4\r\nECHO\r\n$600000\r\n" + arg + "\r\n", want) == want);
  CHECK(server.ReadLog().find("Closing client that reached max query buffer length") !=
        std::string::npos);
  CheckIntact(server.port());
}

TEST_CASE("client-output-buffer-limit normal: hard closes at once, soft after its seconds") {
  ServerProcess server({"--max-topk", "100000", "--threads", "2"});
  auto c = Connect(server.port());
  LoadDictionary(c.get());
  for (int i = 0; i < 20000; ++i) redisAppendCommand(c.get(), "ACRECORD big term-%d", i);
  for (int i = 0; i < 20000; ++i) {
    redisReply* r = nullptr;
    REQUIRE(redisGetReply(c.get(), reinterpret_cast<void**>(&r)) == REDIS_OK);
    freeReplyObject(r);
  }
  // Replies of ~500 KB: the empty prefix (merged from every shard) and a one-shard prefix.
  const std::string all = "ACTOPK big \"\" 20000 WITHSCORES\r\n";
  const std::string one = "ACTOPK big term- 20000 WITHSCORES\r\n";
  REQUIRE(Run(c.get(), {"CONFIG", "SET", "client-output-buffer-limit", "normal 256kb 0 0"}) ==
          "+OK");
  for (const std::string& cmd : {all, one}) {
    CAPTURE(cmd);
    RawConn raw(server.port());
    raw.Send(cmd);
    CHECK(raw.ReadUntilClose() == "");
    CHECK(raw.closed());
  }
  CHECK(Run(c.get(), {"ACTOPK", "big", "term-1999", "1"}) == "[\"term-1999\"]");
  // Soft: 256 KB for 1 s. A client that reads the big reply keeps its connection; one that
  // leaves 40 of them unread (16 MB: more than the kernel's socket buffers take, so a write
  // of ours stays pending) is closed after a second or two.
  REQUIRE(Run(c.get(), {"CONFIG", "SET", "client-output-buffer-limit", "normal 0 256kb 1"}) ==
          "+OK");
  RawConn reader(server.port());
  reader.Send(all);
  std::string got = reader.ReadN(100, 5000);
  CHECK(got.rfind("*40000\r\n", 0) == 0);
  std::string whole = got + reader.ReadN(1 << 30, 500);
  CHECK_FALSE(reader.closed());
  RawConn sleeper(server.port());
  std::string forty;
  for (int i = 0; i < 40; ++i) forty += all;
  int64_t clients = InfoInt(c.get(), "clients", "connected_clients");
  sleeper.Send(forty);
  // Not a byte read until the server has dropped the client (however slow the build is).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (InfoInt(c.get(), "clients", "connected_clients") == clients &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::string partial = sleeper.ReadUntilClose(5000);
  CHECK(sleeper.closed());
  CHECK(partial.size() < 40 * whole.size());  // cut off before all the replies arrived
  MESSAGE("the unread client got " << partial.size() << " bytes before it was closed");
  CHECK(server.ReadLog().find("closed for overcoming of output buffer limits") !=
        std::string::npos);
  REQUIRE(Run(c.get(), {"DEL", "big"}) == ":1");
  CheckIntact(server.port());
}
