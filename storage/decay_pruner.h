// DecayPruner drops, a slice at a time, the terms of a partition's decaying keys whose score
// has fallen below a floor (decay-min-score), so a trending dictionary does not grow without
// bound as old terms fade. A term's score only falls as time passes, and every score of a key
// falls by the same factor, so the terms below the floor are the bottom of the key's ranking:
// dropping them never changes the order of those that remain, and every top-k answer over
// what remains is as exact as before.
//
// Each Step() goes on from where the last stopped: through the partition's keys in hash-bucket
// order (as Redis's SCAN does; a rehash starts the round of keys over), through a key's terms
// in bytewise order (Trie::Scan, resuming after the last term seen even when it went), scoring
// each term at now_ms exactly as ACSCORE would and dropping those below with one EraseTerms per
// slice, so the partition emits one ACDEL-like mutation (kDelete) that the log and the
// replicas follow: a replica never prunes by its own clock. Work per Step() is bounded by its
// budget (terms scored plus buckets visited) and its deadline, so the owning thread's requests
// wait at most that long; a full round over N terms takes about N / budget steps. A key
// emptied by pruning stays (a decaying key exists while empty).
//
// Not thread-safe: owned by, and run on, the thread that owns the partition.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/partition.h"

namespace typeahead::storage {

class DecayPruner {
 public:
  struct Result {
    size_t scored = 0;        // terms scored against the floor
    size_t dropped = 0;       // of which dropped
    bool round_done = false;  // the walk passed the last bucket (and started over)
  };

  // Scores up to budget terms of p's decaying keys at now_ms and drops those whose score is
  // below min_score (> 0), in slices of at most kSlice terms of one key, each dropped with one
  // EraseTerms; stops early once a slice ends past deadline (a steady-clock time; none: the
  // default), since a term scored costs a cache miss or more in a big trie and one dropped
  // a cache repair.
  static constexpr size_t kSlice = 256;
  Result Step(Partition& p, double min_score, int64_t now_ms, size_t budget,
              std::chrono::steady_clock::time_point deadline =
                  std::chrono::steady_clock::time_point::max());

 private:
  // Scores the current key's next terms (at most budget); drops those below. True when the key's
  // walk ended (or the key is gone, or no longer decays).
  bool StepKey(Partition& p, double min_score, int64_t now_ms, size_t budget, Result* out);

  size_t bucket_ = 0;                // next bucket of p.keys() to visit
  size_t bucket_count_ = 0;          // p.keys().bucket_count() when bucket_ was counted
  std::vector<std::string> queue_;   // decaying keys of the visited bucket still to walk
  std::string after_;                // the current key's last term seen
  std::string scan_from_;            // reused: after_ as a slice began
  bool from_start_ = true;           // the current key's walk has not begun
  std::vector<std::string> doomed_;  // reused: one slice's terms below the floor
  std::vector<std::string_view> doomed_views_;
};

}  // namespace typeahead::storage
