#include "storage/recovery.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "storage/log_record.h"
#include "storage/replay.h"
#include "storage/snapshot.h"

namespace typeahead::storage {
namespace {

// A read-only mapping of a whole file.
class MappedFile {
 public:
  bool Open(const std::string& path, std::string* error) {
    fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd_ < 0 || fstat(fd_, &st) != 0) {
      *error = fmt::format("can't open {}: {}", path, strerror(errno));
      return false;
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ == 0) return true;
    void* p = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (p == MAP_FAILED) {
      *error = fmt::format("can't map {}: {}", path, strerror(errno));
      return false;
    }
    madvise(p, size_, MADV_SEQUENTIAL);
    data_ = static_cast<const char*>(p);
    return true;
  }
  ~MappedFile() {
    if (data_ != nullptr) munmap(const_cast<char*>(data_), size_);
    if (fd_ >= 0) close(fd_);
  }
  std::string_view data() const { return {data_ == nullptr ? "" : data_, size_}; }

 private:
  int fd_ = -1;
  const char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace

bool LoadPartitionFiles(const std::string& dir, const PartitionFiles& files, Partition* into,
                        LoadStats* stats, std::string* error, LoadProgress* progress) {
  uint64_t offset = 0;
  if (!files.snapshot.empty()) {
    SnapshotInfo info;
    if (!LoadSnapshot(dir + "/" + files.snapshot, into, &info, error, progress)) return false;
    stats->snapshot_terms += info.terms;
    offset = info.log_offset;
  }
  for (size_t i = 0; i < files.logs.size(); ++i) {
    std::string path = dir + "/" + files.logs[i];
    bool last = i + 1 == files.logs.size();
    MappedFile file;
    if (!file.Open(path, error)) return false;
    std::string_view data = file.data();
    uint64_t first = FirstRecordOffset(data);
    if (!data.empty() && first > offset && first != 0) {
      // Only a repair (typeahead-check-log --fix of an earlier file) leaves such a gap.
      stats->warnings.push_back(
          fmt::format("Log {} starts at offset {}, after a gap from offset {}: records in "
                      "between were removed by a repair",
                      path, first, offset));
      offset = first;
    }
    stats->last_log_base = offset;
    RecordScanner scanner(data, offset);
    size_t valid = data.size();
    size_t reported = 0;  // of this file's bytes, those added to progress
    while (true) {
      auto status = scanner.Next();
      if (progress != nullptr && (scanner.position() - reported >= 64 * 1024 ||
                                  status != RecordScanner::Status::kRecord)) {
        progress->bytes.fetch_add(scanner.position() - reported, std::memory_order_relaxed);
        reported = scanner.position();
      }
      if (status == RecordScanner::Status::kRecord) {
        if (progress != nullptr && progress->stop.load(std::memory_order_relaxed)) {
          *error = kLoadStopped;
          return false;
        }
        if (progress != nullptr && progress->term_delay_us > 0) {
          std::this_thread::sleep_for(std::chrono::microseconds(progress->term_delay_us));
        }
        if (!ApplyLogged(into, scanner.record().args, error)) {
          *error = fmt::format("Log {} at byte {} (offset {}): {}", path, scanner.position(),
                               offset + scanner.position(), *error);
          return false;
        }
        ++stats->records;
        continue;
      }
      if (status == RecordScanner::Status::kEnd) break;
      if (status == RecordScanner::Status::kTorn && last) {
        valid = scanner.position();
        stats->warnings.push_back(fmt::format(
            "Log {} ends with an incomplete record at byte {} (offset {}): {}; cutting off the "
            "last {} bytes",
            path, valid, offset + valid, scanner.error(), data.size() - valid));
        break;
      }
      *error = fmt::format(
          "Bad record in log {} at byte {} (offset {}): {}. Refusing to start: make a backup "
          "of the file, then run 'typeahead-check-log --fix {}' to cut the log there (the "
          "records after it are lost)",
          path, scanner.position(), offset + scanner.position(), scanner.error(), path);
      return false;
    }
    if (valid < data.size() && truncate(path.c_str(), static_cast<off_t>(valid)) != 0) {
      *error = fmt::format("can't truncate {}: {}", path, strerror(errno));
      return false;
    }
    stats->log_bytes += valid;
    offset += valid;
  }
  stats->log_end = offset;
  return true;
}

}  // namespace typeahead::storage
