// The trie's cached top-k lists and the replies read from them: keeping each cache in ranking
// order as terms rise, fall, appear and leave (Promote, Demote, Repair, SyncCacheWithCount),
// answering a prefix from its locus (TopK, RankedUnder, the best-first search beyond the
// cache), spelling the results' terms from their paths, and the renderings and loci kept in
// memo_. Apart from trie.cc because this is the ranking, which the structure only calls into.
// ACRECORD's chain (IncrBy -> Promote -> RankedPosition -> TermRanksBefore) crosses into this
// file once per cached ancestor, a call it was in one file too; ranking and ordering stay here
// together so that the compiler can inline them into Promote and Demote.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "storage/trie.h"

namespace typeahead::storage {
namespace {
// Scratch buffers reused across calls on the same thread: no allocation per update.
thread_local std::vector<uint32_t> t_ids;
thread_local std::string t_locus_path;  // TopK: the locus's term, reused
thread_local std::vector<uint32_t> t_chain;
thread_local std::vector<uint32_t> t_climb;  // SizesBelow's
thread_local std::vector<uint32_t> t_small;  // BestOf's, for subtrees without a cache

// The term ids TopK's best-first search has yielded: open addressing (id + 1, 0 for empty)
// over a table each thread keeps, cleared per search in time proportional to k, so that a
// search beyond the cache allocates nothing once the thread's table is big enough. It was an
// unordered_set: one node per term yielded, 200 allocations for a top 200.
class IdSet {
 public:
  void Reset(size_t expected) {
    bits_ = 4;
    while ((size_t{1} << bits_) < 2 * expected + 2) ++bits_;
    size_t n = size_t{1} << bits_;
    if (slots_.size() < n) slots_.resize(n);
    std::fill(slots_.begin(), slots_.begin() + n, 0);
    count_ = 0;
  }
  bool Contains(uint32_t id) const {
    for (size_t i = Home(id);; i = (i + 1) & Mask()) {
      if (slots_[i] == 0) return false;
      if (slots_[i] == id + 1) return true;
    }
  }
  // False when id was there already.
  bool Insert(uint32_t id) {
    if (2 * (count_ + 1) > (size_t{1} << bits_)) Grow();
    for (size_t i = Home(id);; i = (i + 1) & Mask()) {
      if (slots_[i] == id + 1) return false;
      if (slots_[i] == 0) {
        slots_[i] = id + 1;
        ++count_;
        return true;
      }
    }
  }

 private:
  size_t Mask() const { return (size_t{1} << bits_) - 1; }
  size_t Home(uint32_t id) const { return (uint32_t{id} * 2654435761u) >> (32 - bits_); }
  void Grow() {
    std::vector<uint32_t> old(slots_.begin(), slots_.begin() + (size_t{1} << bits_));
    Reset(count_ * 2);
    for (uint32_t v : old) {
      if (v != 0) Insert(v - 1);
    }
  }
  std::vector<uint32_t> slots_;
  unsigned bits_ = 4;
  size_t count_ = 0;
};
thread_local IdSet t_emitted;
}  // namespace

uint32_t Trie::RememberedLocus(std::string_view prefix, size_t* path_len) const {
  // A node's path never changes while the node lives: a split or a merge only moves the
  // boundary with its parent, which shows in its label's length. So when no node was freed
  // since (the id is still that node), the prefix leads to it as long as it ends below the
  // parent's path.
  const TopKMemo::Locus* e = memo_.FindLocus(prefix);
  if (e != nullptr && e->frees == frees_ &&
      e->path_len < prefix.size() + nodes_[e->node].label_len) {
    if (path_len != nullptr) *path_len = e->path_len;
    return e->node;
  }
  size_t len = 0;
  uint32_t locus = Locus(prefix, &len);
  if (locus != kNone) memo_.KeepLocus(prefix, locus, len, frees_, size());
  if (path_len != nullptr) *path_len = len;
  return locus;
}

void Trie::LocusPath(std::string_view prefix, uint32_t locus, size_t path_len,
                     std::string* out) const {
  // The prefix ends within the locus's label, so it spells the whole path above that label:
  // only the label is read, with no climb to the root.
  size_t above = path_len - nodes_[locus].label_len;
  out->assign(prefix.substr(0, above));
  out->append(Label(locus));
}

void Trie::PathOf(uint32_t n, std::string* out) const { PathBelow(n, kRoot, {}, out); }

size_t Trie::SizeBelow(uint32_t n, uint32_t top) const {
  size_t len = 0;
  for (uint32_t x = n; x != top; x = nodes_[x].parent) {
    // SpellBelow reads these bytes next: start their (likely) cache misses now.
    __builtin_prefetch(labels_.data() + nodes_[x].label_off);
    len += nodes_[x].label_len;
  }
  return len;
}

void Trie::SizesBelow(const std::vector<uint32_t>& ids, uint32_t top,
                      std::vector<size_t>* sizes) const {
  // Every climb goes up one level per round: the climbs are independent, so their cache
  // misses overlap, where climbing one result after another waits out each miss in turn
  // (the end of each climb is a mispredicted branch that stops the CPU from running ahead).
  std::vector<uint32_t>& at = t_climb;
  at.assign(ids.begin(), ids.end());
  sizes->assign(ids.size(), 0);
  for (bool more = true; more;) {
    more = false;
    for (size_t i = 0; i < at.size(); ++i) {
      if (at[i] == top) continue;
      const Node& node = nodes_[at[i]];
      // SpellBelow reads these bytes next: start their (likely) cache misses now.
      __builtin_prefetch(labels_.data() + node.label_off);
      (*sizes)[i] += node.label_len;
      at[i] = node.parent;
      more |= node.parent != top;
    }
  }
}

namespace {
// Labels are short (4.6 bytes on average at 10M terms): copying up to 16 bytes as two
// overlapping words costs a few instructions where a call to memcpy costs a few dozen.
inline void CopyLabel(char* dst, const char* src, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else if (n < 4) {
    for (size_t i = 0; i < n; ++i) dst[i] = src[i];
  } else {
    std::memcpy(dst, src, n);
  }
}
}  // namespace

void Trie::SpellBelow(uint32_t n, uint32_t top, char* end) const {
  for (uint32_t x = n; x != top; x = nodes_[x].parent) {
    end -= nodes_[x].label_len;
    CopyLabel(end, labels_.data() + nodes_[x].label_off, nodes_[x].label_len);
  }
}

void Trie::PathBelow(uint32_t n, uint32_t top, std::string_view top_path, std::string* out) const {
  out->resize(top_path.size() + SizeBelow(n, top));
  if (!top_path.empty()) std::memcpy(out->data(), top_path.data(), top_path.size());
  SpellBelow(n, top, out->data() + out->size());
}

bool Trie::TermRanksBefore(uint32_t a, uint32_t b) const {
  int64_t fa = Freq(a), fb = Freq(b);
  if (fa != fb) return fa > fb;
  return BytewiseLess(a, b);
}

bool Trie::BytewiseLess(uint32_t a, uint32_t b) const {
  // Two terms first differ just below their lowest common ancestor, at the first bytes of the
  // children leading to each; a term that is the ancestor itself is a prefix, so smaller.
  // Walking node links avoids rebuilding either string.
  if (a == b) return false;
  std::vector<uint32_t>& chain = t_chain;
  chain.clear();
  for (uint32_t x = a; x != kNone; x = nodes_[x].parent) chain.push_back(x);
  uint32_t below_b = kNone;
  for (uint32_t x = b; x != kNone; below_b = x, x = nodes_[x].parent) {
    auto it = std::find(chain.begin(), chain.end(), x);
    if (it == chain.end()) continue;
    if (it == chain.begin()) return true;  // a is an ancestor of b: a prefix of it
    if (below_b == kNone) return false;    // b is an ancestor of a
    return nodes_[*(it - 1)].first_byte < nodes_[below_b].first_byte;
  }
  return false;  // unreachable: the root is common to all
}

void Trie::Ranked(uint32_t n, size_t limit, std::vector<uint32_t>* out) const {
  if (Cache(n) != kNone) {
    const uint32_t* slot = Slot(Cache(n));
    out->insert(out->end(), slot + 1, slot + 1 + std::min<size_t>(slot[0], limit));
    return;
  }
  size_t start = out->size();
  Enumerate(n, out);
  // Stable: equal frequencies keep bytewise order.
  std::stable_sort(out->begin() + start, out->end(),
                   [&](uint32_t a, uint32_t b) { return Freq(a) > Freq(b); });
  if (out->size() - start > limit) out->resize(start + limit);
}

void Trie::Repair(uint32_t n) {
  // The node's own term (a prefix of every other term here, so first among equals), then each
  // child's ranked list in byte order: a stable sort by frequency alone yields ranking order.
  std::vector<uint32_t>& ids = t_ids;
  ids.clear();
  if (IsTerm(n)) ids.push_back(n);
  for (uint16_t i = 0; i < NChildren(n); ++i) {
    uint32_t c = ChildIds(n)[i];
    if (Cache(c) != kNone) {
      const uint32_t* slot = Slot(Cache(c));
      ids.insert(ids.end(), slot + 1, slot + 1 + slot[0]);
    } else {
      Enumerate(c, &ids);
    }
  }
  std::stable_sort(ids.begin(), ids.end(),
                   [&](uint32_t a, uint32_t b) { return Freq(a) > Freq(b); });
  uint32_t* slot = Slot(B(n).cache);
  slot[0] = static_cast<uint32_t>(std::min(ids.size(), kCacheSize));
  std::copy(ids.begin(), ids.begin() + slot[0], slot + 1);
  SetFloor(slot);
}

uint32_t* Trie::RankedPosition(uint32_t* ids, uint32_t* end, uint32_t t) const {
  return std::lower_bound(ids, end, t,
                          [&](uint32_t e, uint32_t term) { return TermRanksBefore(e, term); });
}

void Trie::InsertAt(uint32_t* pos, uint32_t* end, uint32_t t) {
  std::copy_backward(pos, end, end + 1);
  *pos = t;
}

bool Trie::Promote(uint32_t n, uint32_t t) {
  uint32_t* slot = Slot(B(n).cache);
  // t rose (or appeared): had it been listed, it would now be above the floor.
  int64_t f = Freq(t);
  if (FloorOf(f) < slot[kFloor]) return false;  // the common case for a rare term: one word
  uint32_t* ids = slot + 1;
  uint32_t* last = ids + kCacheSize - 1;
  if (uint32_t* at = std::find(ids, last + 1, t); at != last + 1) {
    // Already listed: it rose, so only the entries before it can now rank after it. A hot
    // term's rise mostly leaves it where it was, and the list (and its renderings) unchanged.
    uint32_t* pos = RankedPosition(ids, at, t);
    if (pos != at) {
      std::copy_backward(pos, at, at + 1);
      *pos = t;
    }
    if (at == last) SetFloor(slot);  // the last term rose, or another took its place
    return pos != at;
  }
  if (!TermRanksBefore(t, *last)) return false;  // still outside the top kCacheSize
  uint32_t* pos = RankedPosition(ids, last, t);  // the last one leaves
  InsertAt(pos, last, t);
  SetFloor(slot);
  return true;
}

bool Trie::Demote(uint32_t n, uint32_t t) {
  uint32_t* slot = Slot(B(n).cache);
  uint32_t* ids = slot + 1;
  uint32_t* end = ids + slot[0];
  // Not in the top list: it only got worse, so it stays out. Otherwise the list keeps its
  // length: t goes back in below, or Repair rewrites it.
  uint32_t* at = std::find(ids, end, t);
  if (at == end) return false;
  size_t was = static_cast<size_t>(at - ids);
  std::copy(at + 1, end, at);
  --end;
  // Terms outside the cache rank after the old last one. If t still ranks before the last
  // remaining entry, which is at least as good, nothing outside can overtake it.
  if (end > ids && TermRanksBefore(t, *(end - 1))) {
    uint32_t* pos = RankedPosition(ids, end, t);
    InsertAt(pos, end, t);
    SetFloor(slot);
    return static_cast<size_t>(pos - ids) != was;
  }
  Repair(n);
  return true;
}

bool Trie::SyncCacheWithCount(uint32_t n) {
  if (!HasBranch(n)) return false;  // a leaf: one term, never cached
  if (B(n).count > kCacheSize && B(n).cache == kNone) {
    uint32_t slot = NewSlot();
    B(n).cache = slot;
    Repair(n);
    return true;
  }
  if (B(n).count <= kCacheSize && B(n).cache != kNone) {
    FreeSlot(B(n).cache);
    B(n).cache = kNone;
  }
  return false;
}

uint32_t Trie::RankedUnder(std::string_view prefix, size_t k, const std::vector<uint32_t>** ids,
                           const std::string** locus_path) const {
  size_t path_len = 0;
  uint32_t locus = RememberedLocus(prefix, &path_len);
  if (locus == kNone) return kNone;
  if (Cache(locus) != kNone && k > kCacheSize) return kBestFirst;
  LocusPath(prefix, locus, path_len, &t_locus_path);
  t_ids.clear();
  Ranked(locus, k, &t_ids);
  *ids = &t_ids;
  *locus_path = &t_locus_path;
  return locus;
}

std::string_view Trie::FindRendered(std::string_view prefix, size_t k, RenderSpot* spot) const {
  *spot = RenderSpot();
  if (k == 0 || k > UINT16_MAX) return {};
  uint32_t locus = RememberedLocus(prefix);
  // Beyond the cache, a best-first search builds strings anyway: not worth keeping.
  if (locus == kNone || (Cache(locus) != kNone && k > kCacheSize)) return {};
  spot->locus = locus;
  spot->k = static_cast<uint32_t>(k);
  if (!nodes_[locus].rendered) return {};
  return memo_.Find(locus, spot->k);
}

void Trie::KeepRendered(const RenderSpot& spot, std::string_view bytes) const {
  if (spot.locus == kNone) return;
  if (memo_.Keep(spot.locus, spot.k, bytes, size())) nodes_[spot.locus].rendered = 1;
}

void Trie::TopK(std::string_view prefix, size_t k, std::vector<ScoredTerm>* out) const {
  if (k == 0) return;
  size_t path_len = 0;
  uint32_t locus = RememberedLocus(prefix, &path_len);
  if (locus == kNone) return;
  // Every result lies below the locus: from each result climb only up to the locus (each
  // level climbed is a likely cache miss).
  std::string& locus_path = t_locus_path;
  LocusPath(prefix, locus, path_len, &locus_path);
  auto emit = [&](uint32_t id) {
    ScoredTerm& s = out->emplace_back();  // built in place: no string moved
    s.freq = Freq(id);
    PathBelow(id, locus, locus_path, &s.term);
  };
  if (Cache(locus) == kNone || k <= kCacheSize) {
    std::vector<uint32_t>& ids = t_ids;
    ids.clear();
    Ranked(locus, k, &ids);
    for (uint32_t id : ids) emit(id);
    return;
  }
  // k beyond the cache: best-first over the locus's stream.
  BestOf({locus}, {}, k, out);
}

void Trie::BestOf(const std::vector<uint32_t>& subtrees, const std::vector<uint32_t>& terms,
                  size_t k, std::vector<ScoredTerm>* out) const {
  // A subtree's stream first yields its cache in order (exact: the cache is the subtree's top
  // list); past the cache it expands into its own term and its children's streams. Terms
  // already yielded through an ancestor's cache come up again in a child's stream and are
  // skipped. Entries carry their terms' bytes: ties are common, and comparing strings beats
  // comparing paths by node links (TermRanksBefore) there, by a third on the oracle's test.
  struct Entry {
    ScoredTerm key;  // the term at the head of the stream
    uint32_t id;
    uint32_t node;   // the subtree, or the term itself
    uint32_t index;  // for a subtree: position of id in its cache; kNone for a term
  };
  auto worse = [](const Entry& a, const Entry& b) { return RanksBefore(b.key, a.key); };
  // A max-heap by rank over a vector the thread keeps (its entries' strings short enough to
  // be stored inline stay so), and the yielded set: no allocation per search once warm.
  static thread_local std::vector<Entry> heap;
  heap.clear();
  IdSet& emitted = t_emitted;
  emitted.Reset(k);
  auto push = [&](uint32_t id, uint32_t node, uint32_t index) {
    Entry& e = heap.emplace_back();
    e.key.freq = Freq(id);
    PathOf(id, &e.key.term);
    e.id = id;
    e.node = node;
    e.index = index;
    std::push_heap(heap.begin(), heap.end(), worse);
  };
  auto push_term = [&](uint32_t id) {
    if (!emitted.Contains(id)) push(id, id, kNone);
  };
  std::vector<uint32_t>& small = t_small;
  // Pushes subtree n keyed by its first cache entry from index i on not yet emitted; past the
  // cache, expands it. A subtree without a cache (a few terms) pushes each of them.
  auto push_subtree = [&](uint32_t n, uint32_t i, auto& self) -> void {
    if (Cache(n) == kNone) {
      small.clear();
      Enumerate(n, &small);
      for (uint32_t id : small) push_term(id);
      return;
    }
    const uint32_t* slot = Slot(Cache(n));
    while (i < slot[0] && emitted.Contains(slot[1 + i])) ++i;
    if (i < slot[0]) return push(slot[1 + i], n, i);
    if (IsTerm(n)) push_term(n);
    for (uint16_t c = 0; c < NChildren(n); ++c) self(ChildIds(n)[c], 0, self);
  };
  for (uint32_t n : subtrees) push_subtree(n, 0, push_subtree);
  for (uint32_t id : terms) push_term(id);
  const size_t start = out->size();
  while (out->size() - start < k && !heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), worse);
    Entry e = std::move(heap.back());
    heap.pop_back();
    if (!emitted.Insert(e.id)) continue;
    out->push_back(std::move(e.key));
    if (e.index != kNone) push_subtree(e.node, e.index + 1, push_subtree);
  }
}

}  // namespace typeahead::storage
