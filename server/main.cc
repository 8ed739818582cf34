// typeahead-server [config-file] [--directive value ...]
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string_view>

#include "base/log.h"
#include "server/config.h"
#include "server/memory_usage.h"
#include "server/server.h"
#include "server/supervision.h"

namespace {

// -v/--version and -h/--help, alone, as redis-server takes them: print and exit 0.
bool AnsweredInfoOption(int argc, char** argv) {
  if (argc != 2) return false;
  std::string_view a = argv[1];
  if (a == "-v" || a == "--version") {
    std::printf("typeahead-server v=%.*s redis-protocol=%.*s bits=%zu\n",
                static_cast<int>(typeahead::server::kTypeaheadVersion.size()),
                typeahead::server::kTypeaheadVersion.data(),
                static_cast<int>(typeahead::server::kRedisVersion.size()),
                typeahead::server::kRedisVersion.data(), sizeof(void*) * 8);
    return true;
  }
  if (a == "-h" || a == "--help") {
    std::printf(
        "Usage: typeahead-server [/path/to/typeahead.conf] [--directive value ...]\n"
        "       typeahead-server -v or --version\n"
        "       typeahead-server -h or --help\n"
        "\n"
        "The file takes redis.conf's syntax; each --directive overrides it. Examples:\n"
        "       typeahead-server                 (port 6379, data in ./data)\n"
        "       typeahead-server --port 7777 --dir /var/lib/typeahead\n"
        "       typeahead-server /etc/typeahead.conf --loglevel verbose\n"
        "       typeahead-server --port 7777 --replicaof 127.0.0.1 6379\n"
        "\n"
        "The directives and commands: docs/commands.md.\n");
    return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace typeahead;
  using namespace typeahead::server;
  if (AnsweredInfoOption(argc, argv)) return 0;
  ConfigureAllocator();
  Config config;
  if (auto error = LoadConfig(argc, argv, &config)) {
    std::fprintf(stderr, "%s\n", error->c_str());
    return 1;
  }
  // Under a supervisor the process stays in the foreground, as Redis does.
  bool supervised = Supervision::Resolve(config.supervised) != Supervision::Mode::kNone;
  if (config.daemonize && !supervised) {
    // Before any thread starts: the child goes on in a session of its own, the parent exits.
    pid_t child = fork();
    if (child < 0) {
      std::perror("fork");
      return 1;
    }
    if (child > 0) return 0;
    setsid();
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      if (null > 2) close(null);
    }
  }
  if (!LogOpen(config.logfile)) {
    std::fprintf(stderr, "Can't open the log file: %s\n", config.logfile.c_str());
    return 1;
  }
  LogLevel level;
  if (LogLevelFromName(config.loglevel, &level)) LogSetLevel(level);
  if (!config.ignored.empty()) {
    std::string names;
    for (const auto& [name, value] : config.ignored) names += (names.empty() ? "" : ", ") + name;
    Log(LogLevel::kWarning, "Ignoring Redis directives that have no effect on this server: {}",
        names);
  }
  if (!config.pidfile.empty()) {
    if (FILE* f = std::fopen(config.pidfile.c_str(), "w")) {
      std::fprintf(f, "%d\n", static_cast<int>(getpid()));
      std::fclose(f);
    } else {
      Log(LogLevel::kWarning, "Failed to write PID file: {}", std::strerror(errno));
    }
  }
  signal(SIGPIPE, SIG_IGN);
  int status = 1;
  try {
    std::error_code ec;
    std::filesystem::create_directories(config.dir, ec);
    if (ec)
      throw std::runtime_error("Can't create data directory '" + config.dir + "': " + ec.message());
    Server server(config);
    server.set_executable(std::filesystem::weakly_canonical("/proc/self/exe").string());
    status = server.Run();
  } catch (const std::exception& e) {
    Log(LogLevel::kWarning, "{}", e.what());
  }
  if (!config.pidfile.empty()) std::remove(config.pidfile.c_str());  // stopped or failed alike
  return status;
}
