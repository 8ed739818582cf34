// loadgen: a lean single-threaded epoll load generator for RESP servers.
//
//   loadgen --port P --workload FILE [--host 127.0.0.1] [--connections 50] [--pipeline 1]
//           [--requests N | --duration SECONDS] [--rate OPS_PER_SEC]
//           [--tls-ca FILE [--tls-cert FILE --tls-key FILE]] [--user U] [--pass P]
//
// --tls-ca: every connection is TLS (base/tls_session.h, the server's own TLS layer, client
// side), checking the server against that CA and presenting the certificate when given; the
// handshake is made before the run starts. --pass: AUTH [user] pass on every connection
// before the run, as a client of an ACL user would.
//
// FILE holds RESP commands back to back (gen-terms writes them); each connection cycles
// through them from its own starting point. Closed loop (default): every connection keeps
// --pipeline commands in flight and sends the next when a reply arrives. Open loop (--rate):
// commands are due at a fixed total rate whatever the server does, and a command's latency
// runs from when it was due, not when it was sent, so a stalled server cannot hide its
// stall (coordinated omission). Prints one JSON line: ops, seconds, ops_per_sec, p50_us,
// p99_us, p999_us, max_us, errors.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/tls_session.h"
#include "protocol/resp_parser.h"
#include "storage/file_util.h"
#include "tools/histogram.h"

namespace {

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "loadgen: %s\n", what.c_str());
  std::exit(2);
}

// Bytes of the complete reply at the start of data (RESP2 and RESP3), or 0 when incomplete.
size_t SkipReply(std::string_view data, size_t pos = 0) {
  if (pos >= data.size()) return 0;
  size_t eol = data.find("\r\n", pos);
  if (eol == std::string_view::npos) return 0;
  char type = data[pos];
  size_t line_end = eol + 2;
  auto number = [&] { return std::strtoll(data.data() + pos + 1, nullptr, 10); };
  switch (type) {
    case '+':
    case '-':
    case ':':
    case '_':
    case ',':
    case '#':
    case '(':
      return line_end - pos;
    case '$':
    case '!':
    case '=': {
      long long len = number();
      if (len < 0) return line_end - pos;
      size_t end = line_end + static_cast<size_t>(len) + 2;
      return end <= data.size() ? end - pos : 0;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      long long n = number();
      if (n < 0) return line_end - pos;
      if (type == '%' || type == '|') n *= 2;
      size_t at = line_end;
      for (long long i = 0; i < n; ++i) {
        size_t used = SkipReply(data, at);
        if (used == 0) return 0;
        at += used;
      }
      return at - pos;
    }
    default:
      Die(fmt::format("unexpected reply byte '{}'", type));
  }
}

struct Conn {
  int fd = -1;
  std::unique_ptr<typeahead::TlsSession> tls;  // null: plaintext
  std::string plain;                           // TLS: commands not yet encrypted
  std::string out;  // what goes on the socket next: ciphertext on a TLS connection
  size_t out_pos = 0;
  std::string in;
  std::deque<uint64_t> started;  // per command in flight: when it was sent (or due)
  size_t next = 0;               // next workload command
  bool want_write = false;
};

// Blocking, before the run: all of bytes on the socket.
void SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Die(fmt::format("send: {}", strerror(errno)));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// Blocking, before the run: reads into c.in (decrypted on a TLS connection) until some
// plaintext or the end of the handshake arrived.
void ReceiveSome(Conn& c) {
  std::string buf(65536, '\0');
  ssize_t got = recv(c.fd, buf.data(), buf.size(), 0);
  if (got <= 0) Die("the server closed a connection before the run");
  if (!c.tls) {
    c.in.append(buf, 0, static_cast<size_t>(got));
    return;
  }
  size_t plain = 0;
  if (c.tls->Receive(buf, 0, static_cast<size_t>(got), &plain) !=
      typeahead::TlsSession::Status::kOk) {
    Die("TLS: " + c.tls->error());
  }
  c.in.append(buf, 0, plain);
}

void Handshake(Conn& c) {
  std::string none;
  size_t plain = 0;
  c.tls->Receive(none, 0, 0, &plain);  // the ClientHello
  for (;;) {
    SendAll(c.fd, c.tls->output());
    c.tls->output().clear();
    if (c.tls->handshake_done()) return;
    ReceiveSome(c);
  }
}

// AUTH on a fresh connection, waiting for +OK.
void Auth(Conn& c, const std::string& user, const std::string& pass) {
  std::string cmd = user.empty()
                        ? fmt::format("*2\r\n$4\r\nAUTH\r\n${}\r\n{}\r\n", pass.size(), pass)
                        : fmt::format("*3\r\n$4\r\nAUTH\r\n${}\r\n{}\r\n${}\r\n{}\r\n", user.size(),
                                      user, pass.size(), pass);
  if (c.tls) {
    if (!c.tls->Send(cmd)) Die("TLS: " + c.tls->error());
    cmd = std::exchange(c.tls->output(), {});
  }
  SendAll(c.fd, cmd);
  while (SkipReply(c.in) == 0) ReceiveSome(c);
  if (!c.in.starts_with("+OK\r\n")) Die("AUTH failed: " + c.in.substr(0, c.in.find('\r')));
  c.in.clear();
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", workload, tls_ca, tls_cert, tls_key, user, pass;
  int port = 0, connections = 50, pipeline = 1;
  uint64_t requests = 0;
  double duration = 0, rate = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view a = argv[i];
    const char* v = argv[i + 1];
    if (a == "--host")
      host = v;
    else if (a == "--port")
      port = std::atoi(v);
    else if (a == "--connections")
      connections = std::atoi(v);
    else if (a == "--pipeline")
      pipeline = std::atoi(v);
    else if (a == "--requests")
      requests = std::strtoull(v, nullptr, 10);
    else if (a == "--duration")
      duration = std::atof(v);
    else if (a == "--rate")
      rate = std::atof(v);
    else if (a == "--workload")
      workload = v;
    else if (a == "--tls-ca")
      tls_ca = v;
    else if (a == "--tls-cert")
      tls_cert = v;
    else if (a == "--tls-key")
      tls_key = v;
    else if (a == "--user")
      user = v;
    else if (a == "--pass")
      pass = v;
    else
      Die(fmt::format("unknown option {}", a));
  }
  if (port <= 0 || workload.empty() || connections <= 0 || pipeline <= 0 ||
      (requests == 0 && duration <= 0)) {
    Die("usage: loadgen --port P --workload FILE [--connections C] [--pipeline P] "
        "(--requests N | --duration S) [--rate R] [--host H]");
  }
  std::string error;
  auto file = typeahead::storage::ReadWholeFile(workload, &error);
  if (!file) Die(error);
  std::vector<std::string_view> commands;
  {
    typeahead::protocol::RespParser parser;
    std::string_view rest = *file;
    while (!rest.empty()) {
      if (parser.Parse(rest) != typeahead::protocol::RespParser::Status::kCommand) {
        Die("the workload file is not a sequence of RESP commands");
      }
      commands.push_back(rest.substr(0, parser.consumed()));
      rest.remove_prefix(parser.consumed());
    }
  }
  if (commands.empty()) Die("empty workload");

  SSL_CTX* tls_ctx = nullptr;
  if (!tls_ca.empty()) {
    tls_ctx = SSL_CTX_new(TLS_client_method());
    if (SSL_CTX_load_verify_locations(tls_ctx, tls_ca.c_str(), nullptr) != 1 ||
        (!tls_cert.empty() &&
         (SSL_CTX_use_certificate_chain_file(tls_ctx, tls_cert.c_str()) != 1 ||
          SSL_CTX_use_PrivateKey_file(tls_ctx, tls_key.c_str(), SSL_FILETYPE_PEM) != 1))) {
      Die("TLS files: " + typeahead::TakeSslErrors());
    }
    SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_PEER, nullptr);
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  std::vector<Conn> conns(static_cast<size_t>(connections));
  for (size_t i = 0; i < conns.size(); ++i) {
    Conn& c = conns[i];
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    if (connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      Die(fmt::format("connect {}:{}: {}", host, port, strerror(errno)));
    }
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (tls_ctx != nullptr) {
      c.tls =
          std::make_unique<typeahead::TlsSession>(tls_ctx, typeahead::TlsSession::Side::kClient);
      Handshake(c);
    }
    if (!pass.empty()) Auth(c, user, pass);
    fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    c.next = i * commands.size() / conns.size();
    epoll_event ev{EPOLLIN, {.u64 = i}};
    epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
  }

  typeahead::tools::Histogram hist;
  uint64_t sent = 0, done = 0, errors = 0;
  uint64_t start = NowNs();
  uint64_t deadline = duration > 0 ? start + static_cast<uint64_t>(duration * 1e9) : UINT64_MAX;
  auto more = [&] { return (requests == 0 || sent < requests) && NowNs() < deadline; };
  auto flush = [&](size_t i) {
    Conn& c = conns[i];
    if (c.tls && !c.plain.empty()) {
      if (!c.tls->Send(c.plain)) Die("TLS: " + c.tls->error());
      c.plain.clear();
      c.out.append(c.tls->output());
      c.tls->output().clear();
    }
    while (c.out_pos < c.out.size()) {
      ssize_t n = send(c.fd, c.out.data() + c.out_pos, c.out.size() - c.out_pos, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n < 0) Die(fmt::format("send: {}", strerror(errno)));
      c.out_pos += static_cast<size_t>(n);
    }
    if (c.out_pos == c.out.size()) {
      c.out.clear();
      c.out_pos = 0;
    }
    bool want = c.out_pos < c.out.size();
    if (want != c.want_write) {
      c.want_write = want;
      uint32_t mask = want ? EPOLLIN | EPOLLOUT : EPOLLIN;
      epoll_event ev{mask, {.u64 = i}};
      epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
    }
  };
  auto enqueue = [&](size_t i, uint64_t when) {
    Conn& c = conns[i];
    // TLS: plaintext waits in `plain` and is encrypted at the flush, so a pipeline's commands
    // share records as a client writing them at once (redis-benchmark -P) makes them.
    (c.tls ? c.plain : c.out).append(commands[c.next]);
    c.next = (c.next + 1) % commands.size();
    c.started.push_back(when);
    ++sent;
  };

  // Open loop: commands fall due every interval, round-robin over the connections.
  uint64_t interval = rate > 0 ? static_cast<uint64_t>(1e9 / rate) : 0;
  uint64_t next_due = start;
  size_t rr = 0;
  if (interval == 0) {
    for (size_t i = 0; i < conns.size(); ++i) {
      for (int p = 0; p < pipeline && more(); ++p) enqueue(i, NowNs());
      flush(i);
    }
  }
  std::vector<epoll_event> events(conns.size());
  while (done < sent || (interval > 0 && more())) {
    int timeout_ms = 100;
    timespec timeout{0, 100000000};
    if (interval > 0 && more()) {
      uint64_t now = NowNs();
      while (next_due <= now && more()) {
        enqueue(rr, next_due);
        flush(rr);
        rr = (rr + 1) % conns.size();
        next_due += interval;
      }
      uint64_t wait = next_due > now ? next_due - now : 0;
      timeout = {static_cast<time_t>(wait / 1000000000), static_cast<long>(wait % 1000000000)};
      timeout_ms = static_cast<int>(wait / 1000000);
    }
    int n = epoll_pwait2(ep, events.data(), static_cast<int>(events.size()), &timeout, nullptr);
    if (n < 0 && errno == ENOSYS) {
      n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), timeout_ms);
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) Die(fmt::format("epoll: {}", strerror(errno)));
    for (int e = 0; e < n; ++e) {
      size_t i = events[e].data.u64;
      Conn& c = conns[i];
      if (events[e].events & EPOLLOUT) flush(i);
      if (!(events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      char buf[65536];
      ssize_t got;
      while ((got = recv(c.fd, buf, sizeof(buf), 0)) > 0) {
        if (!c.tls) {
          c.in.append(buf, static_cast<size_t>(got));
          continue;
        }
        size_t at = c.in.size(), plain = 0;
        c.in.append(buf, static_cast<size_t>(got));
        if (c.tls->Receive(c.in, at, static_cast<size_t>(got), &plain) !=
            typeahead::TlsSession::Status::kOk) {
          Die("TLS: " + c.tls->error());
        }
        c.in.resize(at + plain);
      }
      if (got == 0) Die("the server closed a connection");
      if (got < 0 && errno != EAGAIN && errno != EINTR)
        Die(fmt::format("recv: {}", strerror(errno)));
      size_t pos = 0, used;
      uint64_t now = NowNs();
      while ((used = SkipReply(c.in, pos)) > 0) {
        if (c.started.empty()) Die("a reply nobody asked for");
        if (c.in[pos] == '-') ++errors;
        hist.Record(now - c.started.front());
        c.started.pop_front();
        ++done;
        pos += used;
        if (interval == 0 && more()) enqueue(i, now);
      }
      c.in.erase(0, pos);
      flush(i);
    }
  }
  double seconds = static_cast<double>(NowNs() - start) / 1e9;
  auto us = [&](double q) { return static_cast<double>(hist.Percentile(q)) / 1000.0; };
  std::printf(
      "{\"ops\": %llu, \"seconds\": %.3f, \"ops_per_sec\": %.0f, \"p50_us\": %.1f, "
      "\"p99_us\": %.1f, \"p999_us\": %.1f, \"max_us\": %.1f, \"errors\": %llu}\n",
      static_cast<unsigned long long>(done), seconds, static_cast<double>(done) / seconds, us(0.5),
      us(0.99), us(0.999), static_cast<double>(hist.max()) / 1000.0,
      static_cast<unsigned long long>(errors));
  for (auto& c : conns) close(c.fd);
  conns.clear();  // the sessions before their context
  SSL_CTX_free(tls_ctx);
  return 0;
}
