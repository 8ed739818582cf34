#include "storage/manifest.h"

#include <fmt/format.h>

#include "protocol/number.h"
#include "protocol/resp_parser.h"

namespace typeahead::storage {

std::string Manifest::SnapshotName(uint64_t generation, size_t partition) {
  return fmt::format("typeahead.{}.p{}.base.tas", generation, partition);
}

std::string Manifest::LogName(uint64_t generation, size_t partition) {
  return fmt::format("typeahead.{}.p{}.incr.aof", generation, partition);
}

bool Manifest::IsDataFileName(std::string_view name) {
  auto ends = [&](std::string_view s) {
    return name.size() >= s.size() && name.substr(name.size() - s.size()) == s;
  };
  return name.starts_with("typeahead.") &&
         (ends(".base.tas") || ends(".incr.aof") || ends(".tas.tmp") || ends(".manifest.tmp"));
}

std::string Manifest::Serialize() const {
  std::string out = fmt::format(
      "# typeahead manifest: the files holding this server's data; replaced atomically\n"
      "generation {}\npartitions {}\n",
      generation, partitions.size());
  for (size_t p = 0; p < partitions.size(); ++p) {
    if (!partitions[p].snapshot.empty()) {
      out += fmt::format("file {} partition {} type b\n", partitions[p].snapshot, p);
    }
    for (const auto& log : partitions[p].logs) {
      out += fmt::format("file {} partition {} type i\n", log, p);
    }
  }
  return out;
}

bool Manifest::Parse(std::string_view text, Manifest* out, std::string* error) {
  *out = Manifest();
  bool have_partitions = false;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> w;
    protocol::RespParser::SplitArgs(line, &w);
    int64_t n;
    auto fail = [&](std::string_view what) {
      *error = fmt::format("line {}: {}: '{}'", line_no, what, line);
      return false;
    };
    if (w.size() == 2 && w[0] == "generation" && protocol::ParseInt64(w[1], &n) && n >= 0) {
      out->generation = static_cast<uint64_t>(n);
    } else if (w.size() == 2 && w[0] == "partitions" && protocol::ParseInt64(w[1], &n) && n >= 1 &&
               n <= 1024) {
      out->partitions.resize(static_cast<size_t>(n));
      have_partitions = true;
    } else if (w.size() == 6 && w[0] == "file" && w[2] == "partition" && w[4] == "type" &&
               protocol::ParseInt64(w[3], &n)) {
      if (!have_partitions || n < 0 || static_cast<size_t>(n) >= out->partitions.size()) {
        return fail("partition out of range");
      }
      if (w[1].find('/') != std::string::npos) return fail("a file name may not hold '/'");
      PartitionFiles& files = out->partitions[static_cast<size_t>(n)];
      if (w[5] == "b") {
        if (!files.snapshot.empty() || !files.logs.empty()) return fail("misplaced snapshot");
        files.snapshot = w[1];
      } else if (w[5] == "i") {
        files.logs.push_back(w[1]);
      } else {
        return fail("unknown file type");
      }
    } else {
      return fail("not a manifest line");
    }
  }
  if (!have_partitions) {
    *error = "no 'partitions' line";
    return false;
  }
  return true;
}

}  // namespace typeahead::storage
