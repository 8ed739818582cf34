#include "base/log.h"

#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace typeahead {
namespace {
std::mutex g_mu;
FILE* g_out = nullptr;  // nullptr: stdout
std::atomic<int> g_level{static_cast<int>(LogLevel::kNotice)};
std::atomic<char> g_role{'M'};
}  // namespace

bool LogOpen(const std::string& path) {
  std::lock_guard lock(g_mu);
  if (g_out != nullptr) std::fclose(g_out);
  g_out = nullptr;
  if (path.empty()) return true;
  g_out = std::fopen(path.c_str(), "a");
  return g_out != nullptr;
}

void LogSetLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

bool LogLevelFromName(std::string_view name, LogLevel* out) {
  if (name == "debug")
    *out = LogLevel::kDebug;
  else if (name == "verbose")
    *out = LogLevel::kVerbose;
  else if (name == "notice")
    *out = LogLevel::kNotice;
  else if (name == "warning")
    *out = LogLevel::kWarning;
  else
    return false;
  return true;
}

void LogSetRole(char role) { g_role.store(role, std::memory_order_relaxed); }

void LogWrite(LogLevel level, std::string_view message) {
  if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) return;
  static const char kMarks[] = ".-*#";
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm t;
  localtime_r(&tv.tv_sec, &t);
  char stamp[64];
  size_t n = std::strftime(stamp, sizeof(stamp), "%d %b %Y %H:%M:%S.", &t);
  std::snprintf(stamp + n, sizeof(stamp) - n, "%03d", static_cast<int>(tv.tv_usec / 1000));
  std::string line =
      fmt::format("{}:{} {} {} {}\n", getpid(), g_role.load(std::memory_order_relaxed), stamp,
                  kMarks[static_cast<int>(level)], message);
  std::lock_guard lock(g_mu);
  FILE* out = g_out != nullptr ? g_out : stdout;
  std::fwrite(line.data(), 1, line.size(), out);
  std::fflush(out);
}

}  // namespace typeahead
