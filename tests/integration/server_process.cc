#include "tests/integration/server_process.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace typeahead::test {

namespace {

// Whether the server on port says over HTTP (an answer that needs no credentials) that it is
// still loading its data. False when it cannot be asked.
bool StillLoading(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
    std::string_view request = "GET /readyz HTTP/1.0\r\n\r\n";
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      timeval tv{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      char buf[512];
      ssize_t n;
      while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) reply.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return reply.find("loading the dataset in memory") != std::string::npos;
}

}  // namespace

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) throw std::runtime_error("bind");
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/typeahead-test-XXXXXX";
  path = mkdtemp(tmpl);
}

TempDir::~TempDir() {
  std::string cmd = "rm -rf '" + path + "'";
  [[maybe_unused]] int rc = system(cmd.c_str());
}

int RunToExit(const std::vector<std::string>& args, std::string* output, int timeout_ms) {
  TempDir dir;
  std::string out_path = dir.path + "/out";
  pid_t pid = fork();
  if (pid == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(out, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int code = -1, status;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::ifstream in(out_path);
  std::stringstream ss;
  ss << in.rdbuf();
  *output = ss.str();
  return code;
}

ServerProcess::ServerProcess(std::vector<std::string> extra, std::string data_dir) {
  char tmpl[] = "/tmp/typeahead-test-XXXXXX";
  dir_ = mkdtemp(tmpl);
  log_ = dir_ + "/server.log";
  if (data_dir.empty()) data_dir = dir_ + "/data";
  // A "--port N" among the extra arguments fixes the port (a restart on the same address).
  int fixed_port = 0;
  for (size_t i = 0; i + 1 < extra.size(); ++i) {
    if (extra[i] == "--port") fixed_port = std::stoi(extra[i + 1]);
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = fixed_port != 0 ? fixed_port : FreePort();
    std::vector<std::string> args = {TYPEAHEAD_SERVER_BIN};
    bool config_file = !extra.empty() && !extra[0].starts_with("--");
    if (config_file) args.push_back(extra[0]);  // a config file comes first
    args.insert(args.end(), {"--port", std::to_string(port_), "--dir", data_dir});
    args.insert(args.end(), extra.begin() + (config_file ? 1 : 0), extra.end());
    pid_ = fork();
    if (pid_ == 0) {
      int out = open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(out, 1);
      dup2(out, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;  // exited: port taken between FreePort and bind? try another
      }
      // Ready when it answers PING: the kernel accepts connections as soon as the socket
      // listens, before the shard threads run, and the data loads after that.
      timeval tv{1, 0};
      redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
      if (c != nullptr && c->err == 0) {
        redisSetTimeout(c, tv);
        auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
        // PONG, or NOAUTH when a password is set; not LOADING: the data is not there yet.
        bool answered = r != nullptr && !(r->type == REDIS_REPLY_ERROR &&
                                          std::string_view(r->str, r->len).starts_with("LOADING"));
        // NOAUTH comes before LOADING, as in Redis: then ask /readyz, which needs no password.
        if (answered && r->type == REDIS_REPLY_ERROR) answered = !StillLoading(port_);
        if (r != nullptr) freeReplyObject(r);
        redisFree(c);
        if (answered) return;
      } else if (c != nullptr) {
        redisFree(c);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
      break;
    }
  }
  throw std::runtime_error("typeahead-server did not start; log: " + ReadLog());
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop();
  // Under the sanitizer build a report in the server's own log fails the test that ran it.
  std::string log = ReadLog();
  if (log.find("Sanitizer") != std::string::npos ||
      log.find("runtime error:") != std::string::npos) {
    FAIL_CHECK("sanitizer report from typeahead-server:\n" << log);
  }
  std::string cmd = "rm -rf '" + dir_ + "'";
  [[maybe_unused]] int rc = system(cmd.c_str());
}

std::string ServerProcess::ReadLog() const {
  std::ifstream in(log_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int ServerProcess::WaitExit(int timeout_ms) {
  if (pid_ <= 0) return -1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

int ServerProcess::Stop(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  int code = WaitExit(10000);
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  return code;
}

RedisPtr Connect(int port) {
  timeval tv{5, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
  if (c == nullptr || c->err) throw std::runtime_error("connect failed");
  redisSetTimeout(c, tv);
  return RedisPtr(c, redisFree);
}

ReplyPtr Command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  void* r = redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data());
  return ReplyPtr(static_cast<redisReply*>(r), freeReplyObject);
}

std::string Render(const redisReply* r) {
  if (r == nullptr) return "<no reply>";
  switch (r->type) {
    case REDIS_REPLY_STATUS:
      return "+" + std::string(r->str, r->len);
    case REDIS_REPLY_ERROR:
      return "-" + std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return ":" + std::to_string(r->integer);
    case REDIS_REPLY_STRING:
      return "\"" + std::string(r->str, r->len) + "\"";
    case REDIS_REPLY_NIL:
      return "nil";
    case REDIS_REPLY_ARRAY: {
      std::string s = "[";
      for (size_t i = 0; i < r->elements; ++i) {
        if (i) s += ", ";
        s += Render(r->element[i]);
      }
      return s + "]";
    }
  }
  return "?";
}

std::string Run(redisContext* c, const std::vector<std::string>& args) {
  auto r = Command(c, args);
  return Render(r.get());
}

std::string InfoField(redisContext* c, const std::string& section, const std::string& field) {
  auto r = Command(c, {"INFO", section});
  if (r == nullptr || r->type != REDIS_REPLY_STRING) return "<missing>";
  std::string text(r->str, r->len);
  size_t at = text.find("\r\n" + field + ":");
  if (at == std::string::npos) return "<missing>";
  at += field.size() + 3;
  return text.substr(at, text.find("\r\n", at) - at);
}

std::string DumpAll(redisContext* c) {
  auto keys = Command(c, {"KEYS", "*"});
  std::vector<std::string> names;
  for (size_t i = 0; keys != nullptr && i < keys->elements; ++i) {
    names.emplace_back(keys->element[i]->str, keys->element[i]->len);
  }
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& k : names) {
    out += k + " => " + Run(c, {"ACTOPK", k, "", "1000000", "WITHSCORES"}) + "\n";
  }
  return out;
}

RawConn::RawConn(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    throw std::runtime_error("raw connect failed");
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

RawConn::~RawConn() { close(fd_); }

void RawConn::Send(const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

std::string RawConn::ReadN(size_t n, int timeout_ms) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[65536];
  while (out.size() < n && !closed_) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    if (left <= 0) break;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, left) <= 0) break;
    ssize_t got = recv(fd_, buf, std::min(sizeof(buf), n - out.size()), 0);
    if (got <= 0) {
      closed_ = true;
      break;
    }
    out.append(buf, static_cast<size_t>(got));
  }
  return out;
}

std::string RawConn::ReadUntil(const std::string& marker, int timeout_ms) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!closed_ && (out.size() < marker.size() ||
                      out.compare(out.size() - marker.size(), marker.size(), marker) != 0)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) break;
    out += ReadN(1, static_cast<int>(left));  // a byte at a time: stops right at the marker
  }
  return out;
}

std::string RawConn::ReadUntilClose(int timeout_ms) {
  std::string out = ReadN(SIZE_MAX, timeout_ms);
  return out;
}

std::string RawConn::Roundtrip(const std::string& data, const std::string& want) {
  Send(data);
  return ReadN(want.size());
}

bool Freeze(pid_t pid) {
  if (kill(pid, SIGSTOP) != 0) return false;
  std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  return WaitFor(
      [&] {
        std::error_code ec;
        for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
          std::ifstream stat(task.path() / "stat");
          std::string line;
          std::getline(stat, line);
          // "tid (comm) S ...": the state follows the last ')' (comm may hold any byte).
          size_t close = line.rfind(')');
          if (close == std::string::npos || close + 2 >= line.size()) return false;
          if (line[close + 2] != 'T') return false;
        }
        return !ec;
      },
      10);
}

void Thaw(pid_t pid) { kill(pid, SIGCONT); }

}  // namespace typeahead::test
