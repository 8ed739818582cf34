// The typo-tolerant query, FuzzyTopK: the terms within an edit distance of a prefix, ranked by
// distance, then as every other query. Apart from trie_topk.cc because its walk is its own
// (a dynamic-programming row per byte down the trie); what it finds is ranked by the same
// best-first search over cached lists (BestOf).
//
// How: below the exact part, a depth-first walk keeps, for the bytes t on the path so far, the
// row of optimal-string-alignment distances between each prefix of the query q and t. Only
// cells within max_distance of the diagonal can stay within reach, so a row is a band of
// 2 * max_distance + 1 cells saturated at max_distance + 1, whatever the query's length. Two
// numbers per byte decide the walk: best, the least distance of q to any prefix of t (the last
// cell of each row so far), which every term below inherits; and bound, under which no deeper
// row can go (min of this row, and of the row before plus one: a swap reads two rows back).
// When bound >= best, every term below the node has exactly distance best, so the subtree is
// taken whole and ranked from its cache; when both exceed max_distance nothing below matches.
// So the walk visits only nodes where a deeper byte could still lower the distance: never every
// term under a short prefix.
//
// Cost: the walk is bound by memory, not arithmetic (perf at 1M terms: most cycles wait on a
// node, its label, branch or child block). So a child is tried on its first byte, which sits
// in the parent's child block, before its node is read: most children near the root settle
// there with nothing in reach. A row depends on a byte only through comparisons with q, so
// every first byte not in q is tried once per parent. The survivors' reads are prefetched
// together. And each round keeps a floor, the need-th best frequency found at its distance:
// a subtree whose best term (its cache's head, or a bound from its parent) is below it is cut.
// At 1M terms, 3 to 6 letters with one typo, one connection: FUZZY 1 509 -> 139 us of server
// CPU per query, FUZZY 2 4345 -> 666 (see the commit for the rest).
#include <algorithm>
#include <bitset>
#include <vector>

#include "storage/trie.h"

namespace typeahead::storage {
namespace {
constexpr size_t kMaxBand = 2 * kMaxFuzzyDistance + 1;

// What a search gathers, by distance: subtrees whose terms all have it, and single terms.
struct Found {
  std::vector<uint32_t> subtrees[kMaxFuzzyDistance + 1];
  std::vector<uint32_t> terms[kMaxFuzzyDistance + 1];
  void Clear() {
    for (auto& v : subtrees) v.clear();
    for (auto& v : terms) v.clear();
  }
};

// The band of one row: cell b is the distance between q's first j - d + b bytes and the path's
// first j bytes (j the row's depth), saturated at d + 1; cells off the query are d + 1.
class Rows {
 public:
  Rows(std::string_view q, int d) : q_(q), d_(d), width_(2 * d + 1), far_(d + 1) {
    size_t depth = q.size() + d + 2;  // past q.size() + d every cell is far: the walk stops
    if (cells_.size() < depth * width_) cells_.resize(depth * width_);
    if (mins_.size() < depth) mins_.resize(depth);
    if (path_.size() < depth) path_.resize(depth);
    for (size_t b = 0; b < width_; ++b) {
      ptrdiff_t i = static_cast<ptrdiff_t>(b) - d_;
      cells_[b] = i < 0 || i > static_cast<ptrdiff_t>(q.size()) ? far_ : Cap(i);
    }
    mins_[0] = 0;
  }
  // Distance of q to the path's first j bytes.
  uint8_t AtEnd(size_t j) const {
    ptrdiff_t b = static_cast<ptrdiff_t>(q_.size()) - static_cast<ptrdiff_t>(j) + d_;
    return b < 0 || b >= static_cast<ptrdiff_t>(width_) ? far_ : cells_[j * width_ + b];
  }
  // The least distance any row deeper than j can hold.
  uint8_t Bound(size_t j) const {
    return j == 0 ? mins_[0] : std::min<uint8_t>(mins_[j], mins_[j - 1] + 1);
  }
  // Row j from rows j - 1 and j - 2, the path's j-th byte being c.
  void Next(size_t j, uint8_t c) {
    path_[j - 1] = static_cast<char>(c);
    const uint8_t* up = &cells_[(j - 1) * width_];
    const uint8_t* up2 = j >= 2 ? &cells_[(j - 2) * width_] : nullptr;
    uint8_t* row = &cells_[j * width_];
    uint8_t least = far_;
    for (size_t b = 0; b < width_; ++b) {
      ptrdiff_t i = static_cast<ptrdiff_t>(j) - d_ + static_cast<ptrdiff_t>(b);
      uint8_t v;
      if (i < 0 || i > static_cast<ptrdiff_t>(q_.size())) {
        v = far_;
      } else if (i == 0) {
        v = Cap(static_cast<ptrdiff_t>(j));
      } else {
        uint8_t qc = static_cast<uint8_t>(q_[i - 1]);
        v = up[b] + (qc != c);                                        // substitution (or match)
        if (b + 1 < width_) v = std::min<uint8_t>(v, up[b + 1] + 1);  // the path's byte extra
        if (b > 0) v = std::min<uint8_t>(v, row[b - 1] + 1);          // q's byte extra
        if (up2 != nullptr && i >= 2 && qc == static_cast<uint8_t>(path_[j - 2]) &&
            static_cast<uint8_t>(q_[i - 2]) == c) {
          v = std::min<uint8_t>(v, up2[b] + 1);  // two adjacent bytes swapped
        }
        v = std::min(v, far_);
      }
      row[b] = v;
      least = std::min(least, v);
    }
    mins_[j] = least;
  }

 private:
  uint8_t Cap(ptrdiff_t v) const { return static_cast<uint8_t>(std::min<ptrdiff_t>(v, far_)); }

  std::string_view q_;
  ptrdiff_t d_;
  size_t width_;
  uint8_t far_;
  // The thread's, reused: a query allocates only when it is longer than any before.
  static thread_local std::vector<uint8_t> cells_;
  static thread_local std::vector<uint8_t> mins_;
  static thread_local std::string path_;
};
thread_local std::vector<uint8_t> Rows::cells_;
thread_local std::vector<uint8_t> Rows::mins_;
thread_local std::string Rows::path_;

// The least frequency a term must have to rank among the `need` best found so far at one
// distance: once `need` are found, a subtree whose best term is below it can hold nothing
// that ranks (ties rank by bytes, so an equal one stays). Keeps the `need` best frequencies
// in a min-heap.
class Floor {
 public:
  void Reset(size_t need) {
    need_ = need;
    heap_.clear();
  }
  void Add(int64_t freq) {
    auto later = std::greater<int64_t>();
    if (heap_.size() < need_) {
      heap_.push_back(freq);
      std::push_heap(heap_.begin(), heap_.end(), later);
    } else if (need_ > 0 && freq > heap_.front()) {
      std::pop_heap(heap_.begin(), heap_.end(), later);
      heap_.back() = freq;
      std::push_heap(heap_.begin(), heap_.end(), later);
    }
  }
  // True when no term of frequency at most `most` can rank.
  bool Excludes(int64_t most) const {
    return need_ > 0 && heap_.size() == need_ && most < heap_.front();
  }

 private:
  size_t need_ = 0;
  std::vector<int64_t> heap_;
};

thread_local Found t_found;
thread_local Floor t_floor;
thread_local std::vector<uint32_t> t_below;
}  // namespace

void Trie::FuzzyTopK(std::string_view prefix, size_t k, int max_distance, size_t exact_bytes,
                     std::vector<ScoredTerm>* out) const {
  if (k == 0) return;
  size_t exact = std::min(exact_bytes, prefix.size());
  int d = std::clamp(max_distance, 0, kMaxFuzzyDistance);
  if (d == 0 || exact == prefix.size()) return TopK(prefix, k, out);  // distance 0 throughout

  // The walk starts where the exact part ends: at the root, or partway into its locus's label.
  uint32_t start = kRoot;
  size_t skip = 0;
  if (exact > 0) {
    size_t path_len = 0;
    start = Locus(prefix.substr(0, exact), &path_len);
    if (start == kNone) return;
    skip = nodes_[start].label_len - (path_len - exact);
  }
  std::string_view q = prefix.substr(exact);
  // A row depends on the path's byte only through comparisons with q's bytes: every byte not
  // in q gives the same row, so a child's first byte outside q is tried as `other`, one such
  // byte (-1 when q holds all 256).
  std::bitset<256> in_q;
  for (char c : q) in_q.set(static_cast<uint8_t>(c));
  int other = -1;
  for (int b = 0; b < 256 && other < 0; ++b) {
    if (!in_q[b]) other = b;
  }
  Found& found = t_found;
  struct Visit {
    int64_t most;  // no term below is more frequent: most(node), or its parent's bound
    uint32_t node;
    uint32_t skip;   // label bytes already on the path
    uint32_t depth;  // path bytes (past the exact part) above the label's unread bytes
    uint8_t best;
  };
  static thread_local std::vector<Visit> stack;
  static thread_local std::vector<uint32_t> survivors;
  // The most frequent term's frequency in n's subtree where it is known without a walk (a
  // cache's head, a leaf's own), else INT64_MAX.
  auto most = [&](uint32_t n) {
    if (uint32_t cache = Cache(n); cache != kNone) return Freq(Slot(cache)[1]);
    return HasBranch(n) ? INT64_MAX : Freq(n);
  };
  // Gathers into found.subtrees[budget] and found.terms[budget] every term at budget edits that
  // could rank among the `need` best there (closer ones are found too, and may be cut short);
  // the rounds before found every closer term.
  Floor& floor = t_floor;
  auto walk = [&](int budget, size_t need) {
    Rows rows(q, budget);
    found.Clear();
    floor.Reset(need);
    const uint8_t far = static_cast<uint8_t>(budget + 1);
    // A subtree found at distance best: kept, and at budget its terms raise the floor.
    auto take = [&](uint32_t n, uint8_t best) {
      if (best < budget) return found.subtrees[best].push_back(n);
      if (floor.Excludes(most(n))) return;
      found.subtrees[best].push_back(n);
      if (uint32_t cache = Cache(n); cache != kNone) {
        const uint32_t* slot = Slot(cache);
        for (uint32_t i = 1; i <= std::min<uint32_t>(slot[0], need); ++i) floor.Add(Freq(slot[i]));
      } else {
        std::vector<uint32_t>& below = t_below;
        below.clear();
        Enumerate(n, &below);
        for (uint32_t id : below) floor.Add(Freq(id));
      }
    };
    // After row j for byte c: whether the subtree there is settled (taken whole at *best, or
    // holding nothing when *best is far), *best lowered to what the row gives.
    auto settles = [&](size_t j, uint8_t c, uint8_t* best) {
      rows.Next(j, c);
      *best = std::min(*best, rows.AtEnd(j));
      uint8_t bound = rows.Bound(j);
      return bound >= *best || bound >= far;
    };
    stack.clear();
    stack.push_back({most(start), start, static_cast<uint32_t>(skip), 0, rows.AtEnd(0)});
    while (!stack.empty()) {
      Visit v = stack.back();
      stack.pop_back();
      if (floor.Excludes(v.most)) continue;
      std::string_view label = Label(v.node).substr(v.skip);
      size_t j = v.depth;
      uint8_t best = v.best;
      bool settled = false;  // the subtree is taken whole, or holds nothing
      for (char c : label) {
        if (settles(++j, static_cast<uint8_t>(c), &best)) {
          if (best < far) take(v.node, best);
          settled = true;
          break;
        }
      }
      if (settled) continue;
      if (IsTerm(v.node) && best < far) {
        found.terms[best].push_back(v.node);
        if (best == budget) floor.Add(Freq(v.node));
      }
      // Each child is tried on its first byte, from the parent's block; the survivors are
      // visited from that byte again (their siblings' trials overwrite row j + 1).
      uint16_t n = NChildren(v.node);
      if (n == 0) continue;
      const uint8_t* bytes = ChildBytes(v.node);
      const uint32_t* ids = ChildIds(v.node);
      for (uint16_t i = 0; i < n; i += 16) __builtin_prefetch(ids + i);
      survivors.clear();
      bool other_tried = false, other_settles = false;
      uint8_t other_best = best;
      for (uint16_t i = n; i > 0; --i) {
        uint8_t c = bytes[i - 1], child_best = best;
        bool settled_here;
        if (other >= 0 && !in_q[c]) {  // the row of every byte not in q: tried once
          if (!other_tried) {
            other_settles = settles(j + 1, static_cast<uint8_t>(other), &other_best);
            other_tried = true;
          }
          settled_here = other_settles;
          child_best = other_best;
        } else {
          settled_here = settles(j + 1, c, &child_best);
        }
        if (settled_here) {
          if (child_best < far) take(ids[i - 1], child_best);
          continue;
        }
        survivors.push_back(ids[i - 1]);
      }
      // A survivor's visit reads its node, label and child block (with its branch), and most()
      // its cache slot: dependent reads, each a likely miss, issued for all the survivors at once.
      for (uint32_t c : survivors) __builtin_prefetch(&nodes_[c]);
      for (uint32_t c : survivors) {
        __builtin_prefetch(labels_.data() + nodes_[c].label_off);
        if (HasBranch(c)) __builtin_prefetch(&B(c));
      }
      for (uint32_t c : survivors) {
        if (!HasBranch(c)) continue;
        if (uint32_t cache = B(c).cache; cache != kNone) __builtin_prefetch(Slot(cache));
      }
      for (uint32_t c : survivors) {
        int64_t m = std::min(v.most, most(c));  // no child beats its parent
        if (!floor.Excludes(m)) stack.push_back({m, c, 0, static_cast<uint32_t>(j), best});
      }
    }
  };

  // Distance by distance, each from a walk with that budget: nearer terms rank first, and a
  // walk with a smaller budget visits far fewer nodes (at 200k terms, 3-6 byte queries with
  // one typo took 20x the time at budget 2 than at 1), so a k filled near stops early. The walk
  // for budget b finds the terms at every distance up to b; its round takes those at b.
  const size_t start_size = out->size();
  TopK(prefix, k, out);  // distance 0: the prefix itself
  for (int dist = 1; dist <= d && out->size() - start_size < k; ++dist) {
    walk(dist, k - (out->size() - start_size));
    size_t from = out->size();
    BestOf(found.subtrees[dist], found.terms[dist], k - (from - start_size), out);
    for (size_t i = from; i < out->size(); ++i) (*out)[i].distance = static_cast<uint8_t>(dist);
  }
}

}  // namespace typeahead::storage
