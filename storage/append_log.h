// AppendLog is one partition's open log file: records are appended to a memory buffer by the
// partition's thread and reach the file in batches (group commit): Write() hands the whole
// buffer to the kernel with one write, Sync() makes it durable with one fdatasync. Offsets
// are the partition's logical log offsets (see log_record.h): end() >= written() >= synced().
//
// After a failed write the unwritten bytes stay buffered and the next Write() retries them
// from where the kernel stopped, so the file never holds a hole or a half record followed by
// another record. Not thread-safe: one partition's thread, except Sync on a dup'ed fd.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace typeahead::storage {

class AppendLog {
 public:
  AppendLog() = default;
  ~AppendLog();
  AppendLog(const AppendLog&) = delete;
  AppendLog& operator=(const AppendLog&) = delete;

  // Opens path for appending; its first byte is log offset base and its current length is
  // taken as valid (recovery has cut any torn tail). Creates the file when absent.
  // False with *error.
  bool Open(const std::string& path, uint64_t base, std::string* error);
  // Writes out and syncs what is buffered, then closes. False with *error when that failed.
  bool Close(std::string* error);
  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

  // Buffers one record; returns the log offset just past it.
  uint64_t Append(std::span<const std::string_view> args);
  // Hands the buffer to the kernel. 0 or the errno of the failed write.
  int Write();
  // fdatasync. 0 or an errno. Advances synced() to what was written before the call.
  int Sync();
  // For a sync done elsewhere (on a dup of fd()) that covered everything up to offset.
  void MarkSynced(uint64_t offset) {
    if (offset > synced_) synced_ = offset;
  }

  uint64_t base() const { return base_; }  // the offset of the file's first byte
  uint64_t end() const { return end_; }
  uint64_t written() const { return written_; }
  uint64_t synced() const { return synced_; }
  size_t buffered() const { return buffer_.size() - buffer_start_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::string buffer_;
  size_t buffer_start_ = 0;  // bytes of buffer_ already written
  uint64_t base_ = 0, end_ = 0, written_ = 0, synced_ = 0;
};

}  // namespace typeahead::storage
