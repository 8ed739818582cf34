// Redis-style log lines (`pid:M 28 Nov 2026 02:37:48.123 * message`, S instead of M on a
// replica) to stdout or to the `logfile`. Levels as Redis: debug '.', verbose '-', notice '*',
// warning '#'. Thread-safe: lines from several threads never interleave. Not for the request path.
// In namespace typeahead itself, like everything in base/: every layer logs the same way.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace typeahead {

enum class LogLevel { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3 };

// Opens path for appending (empty: stdout). Returns false when the file cannot be opened.
bool LogOpen(const std::string& path);
void LogSetLevel(LogLevel level);
// The role letter: 'M' (primary) or 'S' (replica).
void LogSetRole(char role);
bool LogLevelFromName(std::string_view name, LogLevel* out);
void LogWrite(LogLevel level, std::string_view message);

template <typename... Args>
void Log(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
  LogWrite(level, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace typeahead
