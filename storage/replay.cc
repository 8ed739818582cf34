#include "storage/replay.h"

#include <fmt/format.h>

#include "storage/mutation.h"
#include "storage/routing.h"

namespace typeahead::storage {

bool ApplyLogged(Partition* p, std::span<const std::string_view> args, std::string* error) {
  Mutation m;
  if (DecodeMutation(args, &m) && p->Apply(m)) return true;
  *error = fmt::format("cannot replay '{}' with {} arguments",
                       args.empty() ? "" : args[0].substr(0, 64), args.size() - !args.empty());
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

void EraseFrom(Partition* p, std::string_view key, size_t source, size_t sources) {
  auto terms = TermsFrom(*p, key, source, sources);
  std::vector<std::string_view> names;
  for (const auto& [term, freq] : terms) names.push_back(term);
  p->EraseTerms(key, names);
}

}  // namespace

bool ApplyLoggedFrom(Partition* p, std::span<const std::string_view> args, size_t source,
                     size_t sources, std::string* error) {
  Mutation m;
  bool decoded = DecodeMutation(args, &m);
  switch (decoded ? m.kind : MutationKind::kIncrement) {
    case MutationKind::kEraseKeys:
      for (std::string_view key : m.names) EraseFrom(p, key, source, sources);
      return true;
    case MutationKind::kClear: {
      std::vector<std::string> keys;
      for (const auto& [key, dict] : p->keys()) keys.push_back(key);
      for (const auto& key : keys) EraseFrom(p, key, source, sources);
      return true;
    }
    case MutationKind::kRename: {
      if (m.key == m.new_key) return true;
      auto moved = TermsFrom(*p, m.key, source, sources);
      EraseFrom(p, m.new_key, source, sources);
      EraseFrom(p, m.key, source, sources);
      for (const auto& [term, freq] : moved) p->IncrBy(m.new_key, term, freq);
      return true;
    }
    case MutationKind::kIncrement:  // term-level: routed to their own partition instead
    case MutationKind::kEraseTerms:
      break;
  }
  *error = fmt::format("cannot apply '{}' with {} arguments from another partitioning",
                       args.empty() ? "" : args[0].substr(0, 64), args.size() - !args.empty());
  return false;
}

}  // namespace typeahead::storage
