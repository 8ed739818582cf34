#include "storage/file_util.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace typeahead::storage {

std::optional<std::string> ReadWholeFile(const std::string& path, std::string* error) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = fmt::format("can't open {}: {}", path, strerror(errno));
    return std::nullopt;
  }
  std::string data;
  struct stat st;
  if (fstat(fd, &st) == 0) data.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = fmt::format("can't read {}: {}", path, strerror(errno));
      close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return data;
}

int WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool SyncDir(const std::string& dir, std::string* error) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0) {
    *error = fmt::format("can't sync directory {}: {}", dir, strerror(errno));
    if (fd >= 0) close(fd);
    return false;
  }
  close(fd);
  return true;
}

bool CommitTempFile(int fd, const std::string& tmp, const std::string& path, std::string* error) {
  if (fsync(fd) != 0) {
    *error = fmt::format("can't sync {}: {}", tmp, strerror(errno));
    close(fd);
    return false;
  }
  if (close(fd) != 0) {
    *error = fmt::format("can't close {}: {}", tmp, strerror(errno));
    return false;
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    *error = fmt::format("can't rename {} to {}: {}", tmp, path, strerror(errno));
    return false;
  }
  return SyncDir(DirOf(path), error);
}

bool WriteFileAtomically(const std::string& path, std::string_view content, std::string* error) {
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = fmt::format("can't create {}: {}", tmp, strerror(errno));
    return false;
  }
  if (int err = WriteAll(fd, content); err != 0) {
    *error = fmt::format("can't write {}: {}", tmp, strerror(err));
    close(fd);
    unlink(tmp.c_str());
    return false;
  }
  if (!CommitTempFile(fd, tmp, path, error)) {
    unlink(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace typeahead::storage
