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

struct HeldTerm {
  std::string term;
  int64_t freq;
  std::string payload;
};

// The terms of key in *p, with their frequencies and payloads, that routing puts in partition
// source.
std::vector<HeldTerm> TermsFrom(const Partition& p, std::string_view key, size_t source,
                                size_t sources) {
  std::vector<HeldTerm> out;
  const Trie* dict = p.Find(key);
  if (dict == nullptr) return out;
  dict->ForEach([&](std::string_view term, int64_t freq) {
    if (PartitionOfTerm(term, sources) == source) {
      out.push_back({std::string(term), freq, std::string(dict->Payload(term))});
    }
  });
  return out;
}

void EraseFrom(Partition* p, std::string_view key, size_t source, size_t sources) {
  auto terms = TermsFrom(*p, key, source, sources);
  std::vector<std::string_view> names;
  for (const HeldTerm& t : terms) names.push_back(t.term);
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
      const Trie* from = p->Find(m.key);
      Decay decay = from == nullptr ? Decay() : from->decay();
      auto moved = TermsFrom(*p, m.key, source, sources);
      EraseFrom(p, m.new_key, source, sources);
      EraseFrom(p, m.key, source, sources);
      // Stored values move as they are, so the decay that gives them meaning goes with them;
      // a decaying key stays while empty, so the last share's rename drops it.
      p->AdoptDecay(m.new_key, decay);
      if (const Trie* left = p->Find(m.key); left != nullptr && left->empty()) p->Erase(m.key);
      for (const HeldTerm& t : moved) p->Suggest(m.new_key, t.term, t.freq, t.payload);
      return true;
    }
    case MutationKind::kDecay:  // the same on every partition, and a repeat changes nothing
      p->Apply(m);
      return true;
    case MutationKind::kIncrement:  // term-level: routed to their own partition instead
    case MutationKind::kSuggest:
    case MutationKind::kEraseTerms:
      break;
  }
  *error = fmt::format("cannot apply '{}' with {} arguments from another partitioning",
                       args.empty() ? "" : args[0].substr(0, 64), args.size() - !args.empty());
  return false;
}

}  // namespace typeahead::storage
