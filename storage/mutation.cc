#include "storage/mutation.h"

#include <algorithm>
#include <charconv>

#include "protocol/ascii.h"
#include "protocol/number.h"
#include "storage/trie.h"

namespace typeahead::storage {
namespace {

// The command names of the encoding, named once.
constexpr std::string_view kRecordName = "ACRECORD";
constexpr std::string_view kIncrByName = "ACINCRBY";
constexpr std::string_view kSuggestName = "FT.SUGADD";
constexpr std::string_view kIncrToken = "INCR";
constexpr std::string_view kPayloadToken = "PAYLOAD";
constexpr std::string_view kEraseTermsName = "ACDEL";
constexpr std::string_view kEraseKeysName = "DEL";
constexpr std::string_view kRenameName = "RENAME";
constexpr std::string_view kClearName = "FLUSHALL";
constexpr std::string_view kDecayName = "ACDECAY";
constexpr std::string_view kAtToken = "AT";

// Whether args end in AT unix-ms from position at on (*ms then gets it), or end at at.
bool EventTimeAt(std::span<const std::string_view> args, size_t at, int64_t* ms) {
  if (args.size() == at) {
    *ms = kNoTime;
    return true;
  }
  return args.size() == at + 2 && EqualsIgnoreCase(args[at], kAtToken) &&
         ParseEventTime(args[at + 1], ms);
}

}  // namespace

bool operator==(const Mutation& a, const Mutation& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case MutationKind::kIncrement:
      return a.key == b.key && a.term == b.term && a.delta == b.delta && a.at_ms == b.at_ms;
    case MutationKind::kDecay:
      return a.key == b.key && a.delta == b.delta && a.at_ms == b.at_ms;
    case MutationKind::kSuggest:
      return a.key == b.key && a.term == b.term && a.delta == b.delta && a.payload == b.payload;
    case MutationKind::kEraseTerms:
      return a.key == b.key && std::ranges::equal(a.names, b.names);
    case MutationKind::kEraseKeys:
      return std::ranges::equal(a.names, b.names);
    case MutationKind::kRename:
      return a.key == b.key && a.new_key == b.new_key;
    case MutationKind::kClear:
      return true;
  }
  return false;
}

std::span<const std::string_view> MutationEncoder::Encode(const Mutation& m) {
  args_.clear();
  switch (m.kind) {
    case MutationKind::kIncrement:
      if (m.delta == 1) {
        args_.insert(args_.end(), {kRecordName, m.key, m.term});
      } else {
        auto end = std::to_chars(delta_, delta_ + sizeof delta_, m.delta).ptr;
        args_.insert(args_.end(), {kIncrByName, m.key, m.term, {delta_, end}});
      }
      if (m.at_ms != kNoTime) {
        auto end = std::to_chars(at_, at_ + sizeof at_, m.at_ms).ptr;
        args_.insert(args_.end(), {kAtToken, {at_, end}});
      }
      break;
    case MutationKind::kDecay: {
      size_t n = FormatHalfLife(m.delta, delta_);
      auto end = std::to_chars(at_, at_ + sizeof at_, m.at_ms).ptr;
      args_.insert(args_.end(), {kDecayName, m.key, {delta_, n}, kAtToken, {at_, end}});
      break;
    }
    case MutationKind::kSuggest: {
      auto end = std::to_chars(delta_, delta_ + sizeof delta_, m.delta).ptr;
      args_.insert(
          args_.end(),
          {kSuggestName, m.key, m.term, {delta_, end}, kIncrToken, kPayloadToken, m.payload});
      break;
    }
    case MutationKind::kEraseTerms:
      args_.insert(args_.end(), {kEraseTermsName, m.key});
      args_.insert(args_.end(), m.names.begin(), m.names.end());
      break;
    case MutationKind::kEraseKeys:
      args_.push_back(kEraseKeysName);
      args_.insert(args_.end(), m.names.begin(), m.names.end());
      break;
    case MutationKind::kRename:
      args_.insert(args_.end(), {kRenameName, m.key, m.new_key});
      break;
    case MutationKind::kClear:
      args_.push_back(kClearName);
      break;
  }
  return args_;
}

bool DecodeMutation(std::span<const std::string_view> args, Mutation* out) {
  if (args.empty()) return false;
  std::string_view name = args[0];
  size_t n = args.size();
  // An increment's term must be one the trie can hold (max-term-length tops out there): a
  // replica applies what its primary sends without the handlers' checks.
  auto holdable = [](std::string_view term) {
    return !term.empty() && term.size() <= Trie::kMaxTermLength;
  };
  int64_t at_ms;
  if (EqualsIgnoreCase(name, kRecordName)) {
    if (n < 3 || !holdable(args[2]) || !EventTimeAt(args, 3, &at_ms)) return false;
    *out = Mutation::Increment(args[1], args[2], 1);
    out->at_ms = at_ms;
    return true;
  }
  if (EqualsIgnoreCase(name, kIncrByName)) {
    int64_t delta;
    if (n < 4 || !holdable(args[2]) || !protocol::ParseInt64(args[3], &delta) ||
        !EventTimeAt(args, 4, &at_ms)) {
      return false;
    }
    *out = Mutation::Increment(args[1], args[2], delta);
    out->at_ms = at_ms;
    return true;
  }
  if (EqualsIgnoreCase(name, kDecayName)) {
    int64_t half_life;
    if (n != 5 || !ParseHalfLife(args[2], &half_life) || !EventTimeAt(args, 3, &at_ms)) {
      return false;
    }
    *out = Mutation::Decay(args[1], half_life, at_ms);
    return true;
  }
  if (EqualsIgnoreCase(name, kSuggestName)) {
    int64_t delta;
    if (n != 7 || !holdable(args[2]) || !protocol::ParseInt64(args[3], &delta) ||
        !EqualsIgnoreCase(args[4], kIncrToken) || !EqualsIgnoreCase(args[5], kPayloadToken)) {
      return false;
    }
    *out = Mutation::Suggest(args[1], args[2], delta, args[6]);
    return true;
  }
  if (EqualsIgnoreCase(name, kEraseTermsName)) {
    if (n < 3) return false;
    *out = Mutation::EraseTerms(args[1], args.subspan(2));
    return true;
  }
  if (EqualsIgnoreCase(name, kEraseKeysName)) {
    if (n < 2) return false;
    *out = Mutation::EraseKeys(args.subspan(1));
    return true;
  }
  if (EqualsIgnoreCase(name, kRenameName)) {
    if (n != 3) return false;
    *out = Mutation::Rename(args[1], args[2]);
    return true;
  }
  if (EqualsIgnoreCase(name, kClearName)) {
    if (n != 1) return false;
    *out = Mutation::Clear();
    return true;
  }
  return false;
}

}  // namespace typeahead::storage
