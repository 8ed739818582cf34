// Test support: starts the real typeahead-server binary on a free loopback port and stops it by
// pid; opens hiredis and raw-socket connections to it.
#pragma once

#include <hiredis/hiredis.h>
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace typeahead::test {

class ServerProcess {
 public:
  // Starts the server with --port <free> --dir <data_dir, or a fresh temp dir> plus extra
  // arguments and waits until it accepts connections ("--port N" in extra fixes the port; a
  // first extra argument not starting with "--" is a config file, passed first). A
  // data_dir given is the caller's: it is kept, so another server can start on it.
  explicit ServerProcess(std::vector<std::string> extra = {}, std::string data_dir = "");
  ~ServerProcess();  // SIGTERM, then SIGKILL if it has not exited within 10 s

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_; }
  std::string ReadLog() const;

  // Sends SIGTERM and waits; returns the exit status (as from waitpid's WEXITSTATUS), or -1.
  int Stop(int signal = 15);
  // Waits up to timeout_ms for the process to exit; returns its exit code or -1.
  int WaitExit(int timeout_ms);

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string dir_, log_;
};

// Picks a free TCP port on 127.0.0.1.
int FreePort();

// Runs a program to its end (at most timeout_ms, then SIGKILL); returns its exit code (-1 when
// killed) and, in *output, what it printed on stdout and stderr.
int RunToExit(const std::vector<std::string>& args, std::string* output, int timeout_ms = 30000);

// A fresh directory under /tmp, removed with everything in it at the end of the scope.
struct TempDir {
  TempDir();
  ~TempDir();
  std::string path;
};

using RedisPtr = std::unique_ptr<redisContext, void (*)(redisContext*)>;
RedisPtr Connect(int port);

using ReplyPtr = std::unique_ptr<redisReply, void (*)(void*)>;
// Runs a command given as separate arguments (binary safe).
ReplyPtr Command(redisContext* c, const std::vector<std::string>& args);
// The reply rendered as a compact string for assertions: +OK, -ERR..., :1, "bulk", nil,
// [a, b].
std::string Render(const redisReply* r);
std::string Run(redisContext* c, const std::vector<std::string>& args);
// One field of INFO <section>, or "<missing>".
std::string InfoField(redisContext* c, const std::string& section, const std::string& field);

// Every key's every term with its frequency, in ranking order: the whole visible state.
std::string DumpAll(redisContext* c);

// Polls cond every 20 ms for at most seconds; returns whether it held.
template <typename F>
bool WaitFor(F cond, int seconds = 20) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// SIGSTOP, then waits until every thread of pid is stopped: kill() returns before the signal
// is delivered, and a process still running for a moment can answer what it should not.
bool Freeze(pid_t pid);
void Thaw(pid_t pid);  // SIGCONT

// A plain socket for byte-exact protocol checks (RESP3, protocol errors, pipelines).
class RawConn {
 public:
  explicit RawConn(int port);
  ~RawConn();
  void Send(const std::string& data);
  // Reads until exactly n bytes arrived or timeout; returns what arrived.
  std::string ReadN(size_t n, int timeout_ms = 5000);
  // Reads until what arrived ends with marker, the peer closes or timeout; returns it.
  std::string ReadUntil(const std::string& marker, int timeout_ms = 5000);
  // Reads until the peer closes or timeout; returns what arrived.
  std::string ReadUntilClose(int timeout_ms = 5000);
  // Sends data, then reads exactly want.size() bytes.
  std::string Roundtrip(const std::string& data, const std::string& want);
  bool closed() const { return closed_; }
  int fd() const { return fd_; }

 private:
  int fd_;
  bool closed_ = false;
};

}  // namespace typeahead::test
