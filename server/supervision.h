// Telling a supervisor how the server is doing, as Redis's `supervised` directive does:
// systemd through the datagram socket named by $NOTIFY_SOCKET (sd_notify's protocol, without
// libsystemd: one sendto), upstart by stopping the process with SIGSTOP once it is ready.
// "auto" picks systemd when $NOTIFY_SOCKET is set, upstart when $UPSTART_JOB is, else none.
//
// The server says it is loading when it starts to listen, READY=1 once the data is loaded
// (Server::Loaded), and STOPPING=1 when it shuts down; contrib/systemd/typeahead.service is a
// unit of Type=notify, so systemd counts the node started only when its commands all run.
//
// Threading: Supervision is set up once before any other thread starts (it may unset
// $UPSTART_JOB); Notify may be called
// from any thread (each call is one system call on a socket made per call).
#pragma once

#include <string>
#include <string_view>

namespace typeahead::server {

class Supervision {
 public:
  enum class Mode { kNone, kSystemd, kUpstart };
  // mode: the `supervised` directive ("no", "upstart", "systemd", "auto"), resolved against
  // the environment.
  explicit Supervision(std::string_view mode);
  // What mode means here, without logging (main() decides on daemonize before the log opens).
  static Mode Resolve(std::string_view mode);

  Mode mode() const { return mode_; }
  // INFO's process_supervised: "no", "upstart" or "systemd".
  std::string_view Name() const;
  // Sends one sd_notify message ("READY=1\n", "STATUS=...\n") under systemd; false when it
  // could not be sent (logged once). Nothing under another mode.
  bool Notify(std::string_view message) const;
  // The data is loaded: READY=1 with a status under systemd, SIGSTOP under upstart.
  void Ready(bool replica) const;

 private:
  Mode mode_ = Mode::kNone;
  std::string socket_;  // $NOTIFY_SOCKET
};

}  // namespace typeahead::server
