#include "storage/blend.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <unordered_set>

namespace typeahead::storage {
namespace {

// One dictionary's terms under the prefix in its own ranking order, read in batches that
// double: each batch re-runs the query for twice as many terms, so reading n terms costs
// O(n) queried in all, and a blend that stops early reads little more than it uses.
class RankedStream {
 public:
  RankedStream(const Trie* dict, const BlendQuery& q) : dict_(dict), q_(&q) {}

  // The next term, or null when the dictionary has no more under the prefix.
  const ScoredTerm* Peek() {
    if (pos_ == items_.size() && !complete_) Fetch();
    return pos_ < items_.size() ? &items_[pos_] : nullptr;
  }
  void Pop() { ++pos_; }

 private:
  void Fetch() {
    if (dict_ == nullptr) {
      complete_ = true;
      return;
    }
    // First a cache's worth, and k + 1 at least (the bounds peek one past what is read): the
    // trie answers up to kCacheSize from its cached lists, and most blends stop well within
    // them (typing prefixes at 1M, k = 10: 3.7 terms read per stream on average).
    asked_ = asked_ == 0 ? std::max(q_->k + 1, Trie::kCacheSize) : asked_ * 2;
    items_.clear();
    if (q_->fuzzy) {
      dict_->FuzzyTopK(q_->prefix, asked_, q_->max_distance, q_->exact_bytes, &items_);
    } else {
      dict_->TopK(q_->prefix, asked_, &items_);
    }
    complete_ = items_.size() < asked_;
  }

  const Trie* dict_;
  const BlendQuery* q_;
  std::vector<ScoredTerm> items_;
  size_t pos_ = 0;
  size_t asked_ = 0;
  bool complete_ = false;
};

// What frequency f in source s is worth before its weight: the count, or for a decaying
// dictionary the score at the query's time. Non-decreasing in f either way, as the bounds need.
double Value(const BlendSource& s, int64_t f, int64_t now_ms) {
  if (f == 0) return 0;
  const Decay& decay = s.dict->decay();
  return decay.on() ? decay.ScoreAt(DecodeStored(f), now_ms) : static_cast<double>(f);
}

// The weighted sum over the sources in their order: the one order the thresholds use too.
// The term came from `known`'s stream with frequency known_freq: no lookup there.
double ScoreOf(std::span<const BlendSource> sources, std::string_view term, const Trie* known,
               int64_t known_freq, int64_t now_ms, int64_t* first) {
  double sum = 0;
  for (size_t i = 0; i < sources.size(); ++i) {
    int64_t f = 0;
    if (sources[i].dict == known) {
      f = known_freq;
    } else if (sources[i].dict != nullptr) {
      f = sources[i].dict->Score(term).value_or(0);
    }
    if (i == 0) *first = f;
    sum += sources[i].weight * Value(sources[i], f, now_ms);
  }
  return sum;
}

}  // namespace

void BlendTopK(std::span<const BlendSource> sources, const BlendQuery& q,
               std::vector<ScoredTerm>* out) {
  if (q.k == 0 || sources.empty()) return;
  std::vector<RankedStream> streams;
  streams.reserve(sources.size());
  for (const BlendSource& s : sources) streams.emplace_back(s.dict, q);
  std::unordered_set<std::string> seen;
  // The band's best so far, a heap whose top is the worst of them.
  std::vector<ScoredTerm> best;
  int last_distance = q.fuzzy ? q.max_distance : 0;
  for (int d = 0; d <= last_distance && out->size() < q.k; ++d) {
    size_t need = q.k - out->size();
    best.clear();
    seen.clear();
    for (;;) {
      // Bounds from each stream's next term in this band (the header's T, T- and L).
      double bound = 0, bound_below = 0;
      const std::string* least = nullptr;
      size_t least_at = 0, top_at = 0;
      double top = -1;
      bool open = false;
      for (size_t i = 0; i < streams.size(); ++i) {
        const ScoredTerm* next = streams[i].Peek();
        int64_t f = next != nullptr && next->distance == d ? next->freq : 0;
        if (f == 0) continue;  // none left in this band: it adds 0 to every bound
        open = true;
        double w = sources[i].weight, value = Value(sources[i], f, q.now_ms);
        bound += w * value;
        bound_below += w * Value(sources[i], f - 1, q.now_ms);
        if (w > 0 && (least == nullptr || next->term < *least)) {
          least = &next->term;
          least_at = i;
        }
        if (w * value > top) {
          top = w * value;
          top_at = i;
        }
      }
      if (!open) break;  // every term of this band has been met
      bool tie_phase = false;
      if (best.size() == need) {
        const ScoredTerm& kth = best.front();
        if (kth.score > bound) break;
        tie_phase = kth.score >= bound && kth.score > bound_below;
        if (tie_phase && (least == nullptr || kth.term < *least)) break;
      }
      // Read on where it lowers what blocks the stop: the least next term while only ties
      // are left, else the stream that adds most to the bound.
      size_t at = tie_phase ? least_at : top_at;
      const ScoredTerm* next = streams[at].Peek();
      if (seen.insert(next->term).second) {
        ScoredTerm t{next->term, 0, next->distance};
        t.score = ScoreOf(sources, t.term, sources[at].dict, next->freq, q.now_ms, &t.freq);
        if (best.size() < need) {
          best.push_back(std::move(t));
          std::push_heap(best.begin(), best.end(), BlendRanksBefore);
        } else if (BlendRanksBefore(t, best.front())) {
          std::pop_heap(best.begin(), best.end(), BlendRanksBefore);
          best.back() = std::move(t);
          std::push_heap(best.begin(), best.end(), BlendRanksBefore);
        }
      }
      streams[at].Pop();
    }
    std::sort_heap(best.begin(), best.end(), BlendRanksBefore);
    std::move(best.begin(), best.end(), std::back_inserter(*out));
  }
}

}  // namespace typeahead::storage
