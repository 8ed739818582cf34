// delay-proxy: a TCP relay that makes a link look far away, for tests on kernels without
// netem (tc qdisc netem). Each direction of each connection delivers what it read `delay`
// milliseconds later, plus a jitter drawn uniformly from [-jitter, +jitter] (never reordering
// bytes), and with probability `loss` a piece waits one retransmission time more (200 ms plus
// the delay), which is what a lost segment costs the application over TCP. A rate limit, if
// wanted, belongs to the kernel (tc tbf).
//
//   delay-proxy --listen HOST:PORT --to HOST:PORT [--delay MS] [--jitter MS] [--loss PERCENT]
//
// Runs until killed. One thread per direction per connection: it relays a handful of links.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  sockaddr_in listen{}, to{};
  int delay_ms = 80, jitter_ms = 0;
  double loss = 0;
};

bool ParseAddr(const std::string& s, sockaddr_in* out) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  out->sin_family = AF_INET;
  out->sin_port = htons(static_cast<uint16_t>(std::atoi(s.c_str() + colon + 1)));
  return inet_pton(AF_INET, s.substr(0, colon).c_str(), &out->sin_addr) == 1;
}

// One direction: a reader stamps each piece with its delivery time, a writer delivers it then.
struct Pipe {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::pair<Clock::time_point, std::string>> queue;
  bool closed = false;
};

void Relay(int from, int to, const Options& o, unsigned seed) {
  auto pipe = std::make_shared<Pipe>();
  std::thread writer([pipe, to] {
    for (;;) {
      std::unique_lock lock(pipe->mu);
      pipe->cv.wait(lock, [&] { return pipe->closed || !pipe->queue.empty(); });
      if (pipe->queue.empty()) break;
      auto [due, bytes] = std::move(pipe->queue.front());
      pipe->queue.pop_front();
      lock.unlock();
      std::this_thread::sleep_until(due);
      for (size_t sent = 0; sent < bytes.size();) {
        ssize_t n = write(to, bytes.data() + sent, bytes.size() - sent);
        if (n <= 0) {
          shutdown(to, SHUT_RDWR);
          return;
        }
        sent += static_cast<size_t>(n);
      }
    }
    shutdown(to, SHUT_WR);
  });
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> jitter(-o.jitter_ms, o.jitter_ms);
  std::uniform_real_distribution<double> coin(0, 100);
  Clock::time_point last = Clock::now();
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = read(from, buf, sizeof(buf));
    if (n <= 0) break;
    int ms = o.delay_ms + jitter(rng);
    if (coin(rng) < o.loss) ms += 200 + o.delay_ms;
    auto due = std::max(last, Clock::now() + std::chrono::milliseconds(ms));
    last = due;
    std::lock_guard lock(pipe->mu);
    pipe->queue.emplace_back(due, std::string(buf, static_cast<size_t>(n)));
    pipe->cv.notify_one();
  }
  {
    std::lock_guard lock(pipe->mu);
    pipe->closed = true;
    pipe->cv.notify_one();
  }
  writer.join();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  bool have_listen = false, have_to = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--listen") {
      have_listen = ParseAddr(v, &o.listen);
    } else if (a == "--to") {
      have_to = ParseAddr(v, &o.to);
    } else if (a == "--delay") {
      o.delay_ms = std::atoi(v.c_str());
    } else if (a == "--jitter") {
      o.jitter_ms = std::atoi(v.c_str());
    } else if (a == "--loss") {
      o.loss = std::atof(v.c_str());
    }
  }
  if (!have_listen || !have_to || o.jitter_ms > o.delay_ms) {
    std::fprintf(stderr,
                 "usage: delay-proxy --listen HOST:PORT --to HOST:PORT [--delay MS] "
                 "[--jitter MS (<= delay)] [--loss PERCENT]\n");
    return 2;
  }
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(ls, reinterpret_cast<sockaddr*>(&o.listen), sizeof(o.listen)) != 0 ||
      listen(ls, 16) != 0) {
    std::perror("delay-proxy: listen");
    return 1;
  }
  for (unsigned seed = 1;; seed += 2) {
    int client = accept(ls, nullptr, nullptr);
    if (client < 0) continue;
    int server = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(server, reinterpret_cast<sockaddr*>(&o.to), sizeof(o.to)) != 0) {
      close(client);
      close(server);
      continue;
    }
    for (int fd : {client, server}) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::thread([client, server, o, seed] {
      std::thread back([client, server, o, seed] { Relay(server, client, o, seed + 1); });
      Relay(client, server, o, seed);
      back.join();
      close(client);
      close(server);
    }).detach();
  }
}
