// Mutation is the one vocabulary of change to a partition's data. Partition's mutators emit
// one to their MutationSink after every change they make (server/journal.h is the sink: the
// append-only log and the replication stream), and log replay and a replica's stream applier
// decode the same records and switch on the kind. So which commands are logged is not a
// handler's business: whatever changes the data is logged, in the order it changed.
//
// A mutation is encoded as the RESP command that makes the same change (as Redis's AOF does),
// so a log reads as commands and redis-cli --pipe can replay one:
//
//   kIncrement    ACRECORD key term             (delta 1)
//                 ACINCRBY key term delta       (any other delta)
//                 either followed by AT unix-ms on a decaying key: the event time, so a
//                 replay and a replica scale the increment as the primary did
//   kDecay        ACDECAY key half-life-seconds AT unix-ms   (half-life to the millisecond)
//   kSuggest      FT.SUGADD key term delta INCR PAYLOAD payload
//                 (an increment, maybe 0, that also sets the term's payload; empty: none)
//   kEraseTerms   ACDEL key term [term ...]
//   kEraseKeys    DEL key [key ...]
//   kRename       RENAME key new_key
//   kClear        FLUSHALL
//
// Names are matched case-insensitively when decoding; the encoder writes them as above.
// Invariant: DecodeMutation(MutationEncoder().Encode(m)) == m for every valid m (a non-empty
// term for kIncrement and kSuggest, at least one name for kEraseTerms and kEraseKeys).
//
// A Mutation holds views: the strings it names must outlive it. Not thread-safe objects; the
// functions are pure.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "storage/decay.h"

namespace typeahead::storage {

enum class MutationKind : uint8_t {
  kIncrement,
  kSuggest,
  kEraseTerms,
  kEraseKeys,
  kRename,
  kClear,
  kDecay
};

struct Mutation {
  MutationKind kind = MutationKind::kClear;
  std::string_view key;      // kIncrement, kSuggest, kEraseTerms, kRename (the old name)
  std::string_view term;     // kIncrement, kSuggest
  int64_t delta = 0;         // kIncrement, kSuggest; kDecay: the half-life in milliseconds
  int64_t at_ms = kNoTime;   // kIncrement: the event time (kNoTime: none); kDecay: always
  std::string_view payload;  // kSuggest
  std::string_view new_key;  // kRename
  std::span<const std::string_view> names;  // kEraseTerms: the terms; kEraseKeys: the keys

  static Mutation Increment(std::string_view key, std::string_view term, int64_t delta) {
    Mutation m;
    m.kind = MutationKind::kIncrement;
    m.key = key;
    m.term = term;
    m.delta = delta;
    return m;
  }
  static Mutation Suggest(std::string_view key, std::string_view term, int64_t delta,
                          std::string_view payload) {
    Mutation m = Increment(key, term, delta);
    m.kind = MutationKind::kSuggest;
    m.payload = payload;
    return m;
  }
  static Mutation EraseTerms(std::string_view key, std::span<const std::string_view> terms) {
    Mutation m;
    m.kind = MutationKind::kEraseTerms;
    m.key = key;
    m.names = terms;
    return m;
  }
  static Mutation EraseKeys(std::span<const std::string_view> keys) {
    Mutation m;
    m.kind = MutationKind::kEraseKeys;
    m.names = keys;
    return m;
  }
  static Mutation Rename(std::string_view key, std::string_view new_key) {
    Mutation m;
    m.kind = MutationKind::kRename;
    m.key = key;
    m.new_key = new_key;
    return m;
  }
  static Mutation Clear() { return Mutation(); }
  static Mutation Decay(std::string_view key, int64_t half_life_ms, int64_t at_ms) {
    Mutation m;
    m.kind = MutationKind::kDecay;
    m.key = key;
    m.delta = half_life_ms;
    m.at_ms = at_ms;
    return m;
  }
};

bool operator==(const Mutation& a, const Mutation& b);

// Where a partition's changes go. Called on the partition's thread, after the change.
class MutationSink {
 public:
  virtual ~MutationSink() = default;
  virtual void Apply(const Mutation& m) = 0;
};

// Encodes mutations into command arguments, reusing its buffers: a record costs no
// allocation once the buffers have grown.
class MutationEncoder {
 public:
  // The arguments stay valid until the next Encode, and as long as the views m holds.
  std::span<const std::string_view> Encode(const Mutation& m);

 private:
  std::vector<std::string_view> args_;
  char delta_[24];
  char at_[24];
};

// False when args are not a mutation: an unknown command, a wrong argument count, an
// increment's term empty or longer than Trie::kMaxTermLength, or a delta that is not an
// integer, an event time that is not one (storage/decay.h ParseEventTime), a half-life that
// is not one. *out views into args.
bool DecodeMutation(std::span<const std::string_view> args, Mutation* out);

}  // namespace typeahead::storage
