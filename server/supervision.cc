#include "server/supervision.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>

#include "base/log.h"

namespace typeahead::server {

Supervision::Mode Supervision::Resolve(std::string_view mode) {
  bool notify = getenv("NOTIFY_SOCKET") != nullptr, upstart = getenv("UPSTART_JOB") != nullptr;
  if (mode == "systemd" || (mode == "auto" && notify)) return notify ? Mode::kSystemd : Mode::kNone;
  if (mode == "upstart" || (mode == "auto" && upstart))
    return upstart ? Mode::kUpstart : Mode::kNone;
  return Mode::kNone;
}

Supervision::Supervision(std::string_view mode) : mode_(Resolve(mode)) {
  if (mode_ == Mode::kSystemd) {
    socket_ = getenv("NOTIFY_SOCKET");
    Log(LogLevel::kNotice,
        "Supervised by systemd: READY=1 comes once the data is loaded, so the unit's "
        "TimeoutStartSec must cover a load");
  } else if (mode_ == Mode::kUpstart) {
    // As Redis, so that a process it starts does not think itself supervised; here, while the
    // server has no other thread yet (getenv elsewhere must not race it).
    unsetenv("UPSTART_JOB");
  } else if (mode_ == Mode::kNone && mode == "systemd") {
    Log(LogLevel::kWarning, "supervised systemd, but $NOTIFY_SOCKET is not set: not notifying");
  } else if (mode_ == Mode::kNone && mode == "upstart") {
    Log(LogLevel::kWarning, "supervised upstart, but $UPSTART_JOB is not set: not stopping");
  }
}

std::string_view Supervision::Name() const {
  switch (mode_) {
    case Mode::kSystemd:
      return "systemd";
    case Mode::kUpstart:
      return "upstart";
    default:
      return "no";
  }
}

bool Supervision::Notify(std::string_view message) const {
  if (mode_ != Mode::kSystemd) return true;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_.empty() || socket_.size() >= sizeof(addr.sun_path)) return false;
  memcpy(addr.sun_path, socket_.data(), socket_.size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // an abstract socket
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ssize_t sent = sendto(fd, message.data(), message.size(), MSG_NOSIGNAL,
                        reinterpret_cast<const sockaddr*>(&addr), len);
  int err = errno;
  close(fd);
  if (sent < 0) {
    Log(LogLevel::kWarning, "Can't notify systemd at {}: {}", socket_, strerror(err));
    return false;
  }
  return true;
}

void Supervision::Ready(bool replica) const {
  if (mode_ == Mode::kSystemd) {
    Notify(replica ? "STATUS=Data loaded; serving as a replica, following its primary\n"
                   : "STATUS=Data loaded; serving every command\n");
    Notify("READY=1\n");
  } else if (mode_ == Mode::kUpstart) {
    Log(LogLevel::kNotice, "Supervised by upstart: stopping (SIGSTOP) to say the data is loaded");
    raise(SIGSTOP);
  }
}

}  // namespace typeahead::server
