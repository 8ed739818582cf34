// Small POSIX file helpers for the durable files (logs, snapshots, manifest): whole-file
// reads, and the write-temp / fsync / rename / fsync-directory sequence that makes a new file
// appear atomically and survive a power cut. Errors come back as text naming the path.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace typeahead::storage {

// Reads the whole file; nullopt with *error set when it cannot.
std::optional<std::string> ReadWholeFile(const std::string& path, std::string* error);
// Writes all of data at fd's position, retrying short writes and EINTR. 0 or an errno.
int WriteAll(int fd, std::string_view data);
// fsync of the directory holding the entries just created, renamed or removed.
bool SyncDir(const std::string& dir, std::string* error);
// fsyncs and closes fd (a finished temporary file), renames it to path and syncs the
// directory. Closes fd in every case.
bool CommitTempFile(int fd, const std::string& tmp, const std::string& path, std::string* error);
// Writes content to path through a temporary file and CommitTempFile.
bool WriteFileAtomically(const std::string& path, std::string_view content, std::string* error);
std::string DirOf(const std::string& path);

}  // namespace typeahead::storage
