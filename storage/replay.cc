#include "storage/replay.h"

#include <fmt/format.h>

#include "protocol/ascii.h"
#include "protocol/number.h"
#include "storage/routing.h"

namespace typeahead::storage {

bool ApplyLogged(Partition* p, std::span<const std::string_view> args, std::string* error) {
  std::string_view name = args[0];
  size_t n = args.size();
  if (EqualsIgnoreCase(name, "ACRECORD") && n == 3 && !args[2].empty()) {
    if (p->IncrBy(args[1], args[2], 1)) return true;
  } else if (EqualsIgnoreCase(name, "ACINCRBY") && n == 4 && !args[2].empty()) {
    int64_t delta;
    if (protocol::ParseInt64(args[3], &delta) && p->IncrBy(args[1], args[2], delta)) return true;
  } else if (EqualsIgnoreCase(name, "ACDEL") && n >= 3) {
    for (size_t i = 2; i < n; ++i) p->EraseTerm(args[1], args[i]);
    return true;
  } else if (EqualsIgnoreCase(name, "DEL") && n >= 2) {
    for (size_t i = 1; i < n; ++i) p->Erase(args[i]);
    return true;
  } else if (EqualsIgnoreCase(name, "RENAME") && n == 3) {
    if (!p->Rename(args[1], args[2])) p->Erase(args[2]);
    return true;
  } else if (EqualsIgnoreCase(name, "FLUSHALL") && n == 1) {
    p->Clear();
    return true;
  }
  *error = fmt::format("cannot replay '{}' with {} arguments", name.substr(0, 64), n - 1);
  return false;
}

namespace {

// The terms of key in *p, with their frequencies, that routing puts in partition source.
std::vector<std::pair<std::string, int64_t>> TermsFrom(const Partition& p, std::string_view key,
                                                       size_t source, size_t sources) {
  std::vector<std::pair<std::string, int64_t>> out;
  const Trie* dict = p.Find(key);
  if (dict == nullptr) return out;
  dict->ForEach([&](std::string_view term, int64_t freq) {
    if (PartitionOfTerm(term, sources) == source) out.emplace_back(term, freq);
  });
  return out;
}

void EraseFrom(Partition* p, std::string_view key, size_t source, size_t sources,
               std::vector<std::vector<std::string>>* records) {
  auto terms = TermsFrom(*p, key, source, sources);
  if (terms.empty()) return;
  std::vector<std::string> record{"ACDEL", std::string(key)};
  for (auto& [term, freq] : terms) {
    p->EraseTerm(key, term);
    record.push_back(std::move(term));
  }
  records->push_back(std::move(record));
}

}  // namespace

bool ApplyLoggedFrom(Partition* p, std::span<const std::string_view> args, size_t source,
                     size_t sources, std::vector<std::vector<std::string>>* records,
                     std::string* error) {
  std::string_view name = args[0];
  size_t n = args.size();
  if (EqualsIgnoreCase(name, "DEL") && n >= 2) {
    for (size_t i = 1; i < n; ++i) EraseFrom(p, args[i], source, sources, records);
    return true;
  }
  if (EqualsIgnoreCase(name, "FLUSHALL") && n == 1) {
    std::vector<std::string> keys;
    for (const auto& [key, dict] : p->keys()) keys.push_back(key);
    for (const auto& key : keys) EraseFrom(p, key, source, sources, records);
    return true;
  }
  if (EqualsIgnoreCase(name, "RENAME") && n == 3) {
    if (args[1] == args[2]) return true;
    auto moved = TermsFrom(*p, args[1], source, sources);
    EraseFrom(p, args[2], source, sources, records);
    EraseFrom(p, args[1], source, sources, records);
    for (const auto& [term, freq] : moved) {
      p->IncrBy(args[2], term, freq);
      records->push_back({"ACINCRBY", std::string(args[2]), term, std::to_string(freq)});
    }
    return true;
  }
  *error = fmt::format("cannot apply '{}' with {} arguments from another partitioning",
                       name.substr(0, 64), n - 1);
  return false;
}

}  // namespace typeahead::storage
