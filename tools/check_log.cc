// typeahead-check-log [--fix] FILE
// Checks every record of an append-only log file (frame, checksum, offset, payload) and
// reports the first damaged one; with --fix, truncates the file there, as redis-check-aof
// does. Exit status: 0 when the file is (now) valid, 1 when damage remains, 2 on usage or I/O
// errors.
#include <fmt/format.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "storage/file_util.h"
#include "storage/log_record.h"

int main(int argc, char** argv) {
  bool fix = false;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--fix") == 0) {
      fix = true;
    } else if (path.empty() && argv[i][0] != '-') {
      path = argv[i];
    } else {
      path.clear();
      break;
    }
  }
  if (path.empty()) {
    fmt::print(stderr, "Usage: {} [--fix] <file.aof>\n", argv[0]);
    return 2;
  }
  std::string error;
  auto data = typeahead::storage::ReadWholeFile(path, &error);
  if (!data) {
    fmt::print(stderr, "{}\n", error);
    return 2;
  }
  using Scanner = typeahead::storage::RecordScanner;
  uint64_t base = typeahead::storage::FirstRecordOffset(*data);
  Scanner scanner(*data, base);
  uint64_t records = 0;
  Scanner::Status status;
  while ((status = scanner.Next()) == Scanner::Status::kRecord) ++records;
  if (status == Scanner::Status::kEnd) {
    fmt::print("{}: OK, {} records, {} bytes, offsets {} to {}\n", path, records, data->size(),
               base, base + data->size());
    return 0;
  }
  size_t pos = scanner.position();
  fmt::print("{}: {} record at byte {} (offset {}): {}\n", path,
             status == Scanner::Status::kTorn ? "incomplete last" : "damaged", pos, base + pos,
             scanner.error());
  fmt::print("{} valid records before it; cutting there drops the last {} bytes\n", records,
             data->size() - pos);
  if (!fix) {
    fmt::print("Run with --fix to truncate the file at byte {}\n", pos);
    return 1;
  }
  if (truncate(path.c_str(), static_cast<off_t>(pos)) != 0) {
    fmt::print(stderr, "can't truncate {}: {}\n", path, std::strerror(errno));
    return 2;
  }
  fmt::print("Successfully truncated {} to {} bytes\n", path, pos);
  return 0;
}
