// BackgroundWorker runs slow blocking file work (fdatasync every second, fsync and rename of a
// finished snapshot, the manifest switch, removing dead files) on one thread of its own, so a
// shard never waits for the disk on the request path. Jobs run one at a time in submission
// order. Submit() takes a mutex: it is called a few times a second, never per request.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace typeahead::server {

class BackgroundWorker {
 public:
  BackgroundWorker();
  ~BackgroundWorker();  // runs the jobs already submitted, then joins
  BackgroundWorker(const BackgroundWorker&) = delete;
  BackgroundWorker& operator=(const BackgroundWorker&) = delete;

  void Submit(std::function<void()> job);

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace typeahead::server
