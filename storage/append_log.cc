#include "storage/append_log.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/log_record.h"

namespace typeahead::storage {

AppendLog::~AppendLog() {
  if (fd_ >= 0) close(fd_);
}

bool AppendLog::Open(const std::string& path, uint64_t base, std::string* error) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    *error = fmt::format("can't open {} for appending: {}", path, strerror(errno));
    if (fd >= 0) close(fd);
    return false;
  }
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
  path_ = path;
  base_ = base;
  end_ = written_ = synced_ = base + static_cast<uint64_t>(st.st_size);
  buffer_.clear();
  buffer_start_ = 0;
  return true;
}

bool AppendLog::Close(std::string* error) {
  if (fd_ < 0) return true;
  int err = Write();
  if (err == 0) err = Sync();
  if (err != 0) {
    *error = fmt::format("can't write {}: {}", path_, strerror(err));
    return false;
  }
  close(fd_);
  fd_ = -1;
  return true;
}

uint64_t AppendLog::Append(std::span<const std::string_view> args) {
  end_ += AppendRecord(&buffer_, end_, args);
  return end_;
}

int AppendLog::Write() {
  while (buffer_start_ < buffer_.size()) {
    ssize_t n = write(fd_, buffer_.data() + buffer_start_, buffer_.size() - buffer_start_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    buffer_start_ += static_cast<size_t>(n);
    written_ += static_cast<uint64_t>(n);
  }
  buffer_.clear();
  buffer_start_ = 0;
  if (buffer_.capacity() > (4u << 20)) buffer_.shrink_to_fit();
  return 0;
}

int AppendLog::Sync() {
  uint64_t target = written_;
  if (synced_ >= target) return 0;
  if (fdatasync(fd_) != 0) return errno;
  synced_ = target;
  return 0;
}

}  // namespace typeahead::storage
