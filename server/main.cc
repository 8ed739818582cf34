// typeahead-server [config-file] [--directive value ...]
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <filesystem>

#include "base/log.h"
#include "server/config.h"
#include "server/memory_usage.h"
#include "server/server.h"

int main(int argc, char** argv) {
  using namespace typeahead;
  using namespace typeahead::server;
  ConfigureAllocator();
  Config config;
  if (auto error = LoadConfig(argc, argv, &config)) {
    std::fprintf(stderr, "%s\n", error->c_str());
    return 1;
  }
  if (!LogOpen(config.logfile)) {
    std::fprintf(stderr, "Can't open the log file: %s\n", config.logfile.c_str());
    return 1;
  }
  LogLevel level;
  if (LogLevelFromName(config.loglevel, &level)) LogSetLevel(level);
  signal(SIGPIPE, SIG_IGN);
  try {
    std::error_code ec;
    std::filesystem::create_directories(config.dir, ec);
    if (ec)
      throw std::runtime_error("Can't create data directory '" + config.dir + "': " + ec.message());
    Server server(config);
    server.set_executable(std::filesystem::weakly_canonical("/proc/self/exe").string());
    return server.Run();
  } catch (const std::exception& e) {
    Log(LogLevel::kWarning, "{}", e.what());
    return 1;
  }
}
