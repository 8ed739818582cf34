#include "storage/decay_pruner.h"

#include <algorithm>

namespace typeahead::storage {

DecayPruner::Result DecayPruner::Step(Partition& p, double min_score, int64_t now_ms, size_t budget,
                                      std::chrono::steady_clock::time_point deadline) {
  Result out;
  const Partition::KeyMap& keys = p.keys();
  size_t buckets = 0;
  while (out.scored + buckets < budget) {
    if (!queue_.empty()) {
      size_t slice = std::min(kSlice, budget - out.scored - buckets);
      if (StepKey(p, min_score, now_ms, slice, &out)) {
        queue_.erase(queue_.begin());
        after_.clear();
        from_start_ = true;
      }
      if (std::chrono::steady_clock::now() > deadline) break;
      continue;
    }
    if (keys.empty()) break;
    if (keys.bucket_count() != bucket_count_) {  // rehashed: the round of keys starts over
      bucket_count_ = keys.bucket_count();
      bucket_ = 0;
    }
    if (bucket_ == bucket_count_) {
      // A round ends here; the next step begins the next, so a small partition is scored
      // once per step, not again and again within one.
      bucket_ = 0;
      out.round_done = true;
      break;
    }
    for (auto it = keys.begin(bucket_); it != keys.end(bucket_); ++it) {
      if (it->second.decay().on()) queue_.push_back(it->first);
    }
    ++bucket_;
    ++buckets;
  }
  return out;
}

bool DecayPruner::StepKey(Partition& p, double min_score, int64_t now_ms, size_t budget,
                          Result* out) {
  const std::string& key = queue_.front();
  const Trie* dict = p.Find(key);
  if (dict == nullptr || !dict->decay().on()) return true;
  const Decay::Scale scale = dict->decay().ScaleAt(now_ms);
  doomed_.clear();
  size_t seen = 0;
  scan_from_.assign(after_);  // the walk moves after_
  bool done = dict->Scan(scan_from_, from_start_, budget, [&](std::string_view term, int64_t f) {
    ++seen;
    after_.assign(term);
    if (scale.Score(DecodeStored(f)) < min_score) doomed_.emplace_back(term);
  });
  from_start_ = false;
  out->scored += std::max<size_t>(seen, 1);  // an empty key costs a unit too
  if (!doomed_.empty()) {
    doomed_views_.assign(doomed_.begin(), doomed_.end());
    out->dropped += p.EraseTerms(key, doomed_views_);
  }
  return done;
}

}  // namespace typeahead::storage
