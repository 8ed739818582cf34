#include "storage/trie.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <queue>
#include <unordered_set>

#include "storage/huge_pages.h"

namespace typeahead::storage {
namespace {
// Grows c to hold `extra` more elements by a quarter at a time instead of doubling: at 10M
// terms a doubled array wastes up to half its size, a quarter step at most a fifth. A big
// array's new block is advised for huge pages before the copy (storage/huge_pages.h).
template <typename C>
void Reserve(C& c, size_t extra) {
  size_t need = c.size() + extra;
  if (need > c.capacity()) {
    ReserveOnHugePages(c, std::max(need, c.capacity() + c.capacity() / 4 + 1024));
  }
}

// Scratch buffers reused across calls on the same thread: no allocation per update.
thread_local std::vector<uint32_t> t_ids;
thread_local std::string t_locus_path;  // TopK: the locus's term, reused
thread_local std::vector<uint32_t> t_chain;
thread_local std::vector<uint32_t> t_climb;  // SizesBelow's
}  // namespace

Trie::Trie() { nodes_.emplace_back(); }

uint32_t Trie::FindChild(uint32_t n, uint8_t byte) const {
  uint16_t count = NChildren(n);
  if (count == 0) return kNone;
  const uint8_t* bytes = ChildBytes(n);
  // Sorted bytes, mostly a handful: a plain scan beats memchr's call and set-up.
  for (uint16_t i = 0; i < count; ++i) {
    if (bytes[i] == byte) return ChildIds(n)[i];
    if (bytes[i] > byte) break;
  }
  return kNone;
}

uint32_t Trie::FirstChild(uint32_t n) const { return NChildren(n) == 0 ? kNone : ChildIds(n)[0]; }

uint32_t Trie::NextSibling(uint32_t n) const {
  uint32_t p = nodes_[n].parent;
  const uint8_t* bytes = ChildBytes(p);
  size_t i =
      static_cast<const uint8_t*>(std::memchr(bytes, nodes_[n].first_byte, NChildren(p))) - bytes;
  return i + 1 < NChildren(p) ? ChildIds(p)[i + 1] : kNone;
}

uint32_t Trie::NewBlock(uint32_t capacity) {
  auto& free = free_blocks_[capacity];
  if (!free.empty()) {
    uint32_t b = free.back();
    free.pop_back();
    return b;
  }
  uint32_t b = static_cast<uint32_t>(child_pool_.size());
  Reserve(child_pool_, BlockWords(capacity));
  child_pool_.resize(child_pool_.size() + BlockWords(capacity));
  return b;
}

void Trie::FreeBlock(uint32_t block, uint32_t capacity) { free_blocks_[capacity].push_back(block); }

uint32_t Trie::FindNode(std::string_view term, uint32_t* deepest, size_t* depth) const {
  uint32_t n = kRoot;
  size_t pos = 0;
  while (pos < term.size()) {
    if (deepest != nullptr) {
      *deepest = n;
      *depth = pos;
    }
    uint32_t c = FindChild(n, static_cast<uint8_t>(term[pos]));
    if (c == kNone) return kNone;
    std::string_view label = Label(c);
    if (term.size() - pos < label.size() ||
        std::memcmp(term.data() + pos, label.data(), label.size()) != 0) {
      return kNone;
    }
    pos += label.size();
    n = c;
  }
  return n;
}

uint32_t Trie::Locus(std::string_view prefix, size_t* path_len) const {
  uint32_t n = kRoot;
  size_t pos = 0, above = 0;
  while (pos < prefix.size()) {
    uint32_t c = FindChild(n, static_cast<uint8_t>(prefix[pos]));
    if (c == kNone) return kNone;
    std::string_view label = Label(c);
    size_t m = std::min(label.size(), prefix.size() - pos);
    if (std::memcmp(prefix.data() + pos, label.data(), m) != 0) return kNone;
    above = pos;
    pos += m;
    n = c;
  }
  if (path_len != nullptr) *path_len = n == kRoot ? 0 : above + nodes_[n].label_len;
  return n;
}

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

uint32_t Trie::NewNode() {
  if (!free_nodes_.empty()) {
    uint32_t n = free_nodes_.back();
    free_nodes_.pop_back();
    nodes_[n] = Node();
    return n;
  }
  Reserve(nodes_, 1);
  nodes_.emplace_back();
  return static_cast<uint32_t>(nodes_.size() - 1);
}

void Trie::FreeNode(uint32_t n) {
  Node& node = nodes_[n];
  if (node.flags & kBranch) {
    branch_freqs_.erase(n);
    if (B(n).cache != kNone) FreeSlot(B(n).cache);
    if (B(n).nchildren != 0) FreeBlock(B(n).children, Capacity(B(n).nchildren));
    B(n) = Branch();
    free_branches_.push_back(node.payload);
  } else if (node.flags & kBigFreq) {
    free_big_freqs_.push_back(node.payload);
  }
  live_label_bytes_ -= node.label_len;
  node = Node();  // parent == kNone and label_len == 0 mark it free
  free_nodes_.push_back(n);
  ++frees_;
}

void Trie::AttachChild(uint32_t parent, uint32_t child) {
  nodes_[child].parent = parent;
  if (!HasBranch(parent)) NewBranch(parent);
  uint8_t b = nodes_[child].first_byte;
  uint16_t n = B(parent).nchildren;
  uint32_t block = NewBlock(n + 1u);  // before taking pointers: the pool may move
  uint32_t old = B(parent).children;
  uint8_t* bytes = reinterpret_cast<uint8_t*>(&child_pool_[block]);
  uint32_t* ids = &child_pool_[block + (n + 1u + 3) / 4];
  uint16_t at = 0;
  if (n > 0) {
    const uint8_t* old_bytes = reinterpret_cast<const uint8_t*>(&child_pool_[old]);
    const uint32_t* old_ids = &child_pool_[old + (n + 3u) / 4];
    while (at < n && old_bytes[at] < b) ++at;
    std::memcpy(bytes, old_bytes, at);
    std::memcpy(ids, old_ids, at * sizeof(uint32_t));
    std::memcpy(bytes + at + 1, old_bytes + at, n - at);
    std::memcpy(ids + at + 1, old_ids + at, (n - at) * sizeof(uint32_t));
    FreeBlock(old, n);
  }
  bytes[at] = b;
  ids[at] = child;
  B(parent).children = block;
  B(parent).nchildren = n + 1;
}

void Trie::ReplaceChild(uint32_t parent, uint32_t old_child, uint32_t new_child) {
  uint32_t* ids = ChildIds(parent);
  *std::find(ids, ids + NChildren(parent), old_child) = new_child;
  nodes_[new_child].parent = parent;
}

void Trie::DetachChild(uint32_t parent, uint32_t child) {
  uint16_t n = B(parent).nchildren;
  uint32_t old = B(parent).children;
  if (n == 1) {
    FreeBlock(old, 1);
    B(parent).children = kNone;
    B(parent).nchildren = 0;
    // A node left without children is a leaf again: its count is its own term and it has no
    // cache, so the branch goes.
    FreeBranch(parent);
    return;
  }
  uint32_t block = NewBlock(n - 1u);
  const uint8_t* old_bytes = reinterpret_cast<const uint8_t*>(&child_pool_[old]);
  const uint32_t* old_ids = &child_pool_[old + (n + 3u) / 4];
  uint8_t* bytes = reinterpret_cast<uint8_t*>(&child_pool_[block]);
  uint32_t* ids = &child_pool_[block + (n - 1u + 3) / 4];
  uint16_t at = static_cast<uint16_t>(std::find(old_ids, old_ids + n, child) - old_ids);
  std::memcpy(bytes, old_bytes, at);
  std::memcpy(ids, old_ids, at * sizeof(uint32_t));
  std::memcpy(bytes + at, old_bytes + at + 1, n - at - 1);
  std::memcpy(ids + at, old_ids + at + 1, (n - at - 1) * sizeof(uint32_t));
  FreeBlock(old, n);
  B(parent).children = block;
  B(parent).nchildren = n - 1;
}

uint32_t Trie::AppendLabel(std::string_view bytes) {
  uint32_t off = static_cast<uint32_t>(labels_.size());
  Reserve(labels_, bytes.size());
  labels_.append(bytes);
  return off;
}

void Trie::SetLabel(uint32_t n, uint32_t off, uint32_t len) {
  Node& node = nodes_[n];
  live_label_bytes_ = live_label_bytes_ - node.label_len + len;
  node.label_off = off;
  node.label_len = static_cast<uint16_t>(len);
  node.first_byte = static_cast<uint8_t>(labels_[off]);
}

uint32_t Trie::NewSlot() {
  if (!free_slots_.empty()) {
    uint32_t s = free_slots_.back();
    free_slots_.pop_back();
    return s;
  }
  uint32_t s = static_cast<uint32_t>(caches_.size() / kSlotWidth);
  Reserve(caches_, kSlotWidth);
  caches_.resize(caches_.size() + kSlotWidth);
  return s;
}

void Trie::FreeSlot(uint32_t slot) { free_slots_.push_back(slot); }

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

void Trie::Enumerate(uint32_t n, std::vector<uint32_t>* out) const {
  // Pre-order over the sibling lists (sorted by byte) is bytewise order; parent links make
  // the walk iterative, so deep tries cannot overflow the stack.
  uint32_t x = n;
  while (true) {
    if (IsTerm(x)) out->push_back(x);
    if (NChildren(x) != 0) {
      x = FirstChild(x);
      continue;
    }
    uint32_t next;
    while (x != n && (next = NextSibling(x)) == kNone) x = nodes_[x].parent;
    if (x == n) return;
    x = next;
  }
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
  uint32_t* ids = slot + 1;
  uint32_t len = slot[0];
  uint32_t* end = ids + len;
  if (uint32_t* at = std::find(ids, end, t); at != end) {
    // Already listed: it rose, so only the entries before it can now rank after it. A hot
    // term's rise mostly leaves it where it was, and the list (and its renderings) unchanged.
    uint32_t* pos = RankedPosition(ids, at, t);
    if (pos == at) return false;
    std::copy_backward(pos, at, at + 1);
    *pos = t;
    return true;
  }
  if (len == kCacheSize && !TermRanksBefore(t, ids[len - 1])) {
    return false;  // the common case for a new rare term: one look at the last entry decides
  }
  uint32_t* pos = RankedPosition(ids, end, t);
  if (pos == ids + kCacheSize) return false;  // still outside the top kCacheSize
  if (len == kCacheSize) {
    --len;  // the last one leaves
    --end;
  }
  InsertAt(pos, end, t);
  slot[0] = len + 1;
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

void Trie::SetFreq(uint32_t n, int64_t f) {
  Node& node = nodes_[n];
  if (node.flags & kBranch) {
    if (f == 0) {
      branch_freqs_.erase(n);
    } else {
      branch_freqs_[n] = f;
    }
    return;
  }
  bool fits = f >= 0 && f <= static_cast<int64_t>(UINT32_MAX);
  if (fits) {
    if (node.flags & kBigFreq) {
      free_big_freqs_.push_back(node.payload);
      node.flags &= static_cast<uint8_t>(~kBigFreq);
    }
    node.payload = static_cast<uint32_t>(f);
    return;
  }
  if (!(node.flags & kBigFreq)) {
    if (!free_big_freqs_.empty()) {
      node.payload = free_big_freqs_.back();
      free_big_freqs_.pop_back();
    } else {
      node.payload = static_cast<uint32_t>(big_freqs_.size());
      big_freqs_.push_back(0);
    }
    node.flags |= kBigFreq;
  }
  big_freqs_[node.payload] = f;
}

void Trie::NewBranch(uint32_t n) {
  uint32_t count = Count(n);
  int64_t freq = IsTerm(n) ? Freq(n) : 0;
  SetFreq(n, 0);  // releases a big-frequency slot; the branch holds the frequency now
  uint32_t b;
  if (!free_branches_.empty()) {
    b = free_branches_.back();
    free_branches_.pop_back();
  } else {
    Reserve(branches_, 1);
    branches_.emplace_back();
    b = static_cast<uint32_t>(branches_.size() - 1);
  }
  branches_[b] = Branch();
  branches_[b].count = count;
  nodes_[n].payload = b;
  nodes_[n].flags |= kBranch;
  if (freq != 0) branch_freqs_[n] = freq;
}

void Trie::FreeBranch(uint32_t n) {
  Branch& b = B(n);
  int64_t freq = Freq(n);
  branch_freqs_.erase(n);
  if (b.cache != kNone) FreeSlot(b.cache);
  b = Branch();
  free_branches_.push_back(nodes_[n].payload);
  nodes_[n].flags &= static_cast<uint8_t>(~kBranch);
  nodes_[n].payload = 0;
  SetFreq(n, freq);
}

uint32_t Trie::Insert(std::string_view term, int64_t freq, uint32_t n, size_t pos) {
  while (true) {
    if (pos == term.size()) {
      nodes_[n].flags |= kTerm;
      SetFreq(n, freq);
      return n;
    }
    uint32_t c = FindChild(n, static_cast<uint8_t>(term[pos]));
    if (c == kNone) {
      uint32_t leaf = NewNode();
      SetLabel(leaf, AppendLabel(term.substr(pos)), static_cast<uint32_t>(term.size() - pos));
      nodes_[leaf].flags |= kTerm;
      SetFreq(leaf, freq);
      AttachChild(n, leaf);
      return leaf;
    }
    std::string_view label = Label(c);
    std::string_view rest = term.substr(pos);
    size_t common = 0;
    size_t max_common = std::min(label.size(), rest.size());
    while (common < max_common && label[common] == rest[common]) ++common;
    if (common == label.size()) {
      n = c;
      pos += common;
      continue;
    }
    // Split c's edge: a new node takes c's place and the first `common` bytes of its label
    // (sharing the bytes); c keeps the rest below it. Same subtree, so same count and cache.
    uint32_t mid = NewNode();
    uint32_t off = nodes_[c].label_off, len = nodes_[c].label_len;
    SetLabel(mid, off, static_cast<uint32_t>(common));
    ReplaceChild(n, c, mid);
    SetLabel(c, off + static_cast<uint32_t>(common), len - static_cast<uint32_t>(common));
    AttachChild(mid, c);  // gives mid its branch
    B(mid).count = Count(c);
    if (Cache(c) != kNone) {
      uint32_t slot = NewSlot();
      B(mid).cache = slot;
      std::copy(Slot(Cache(c)), Slot(Cache(c)) + kSlotWidth, Slot(slot));
    }
    n = mid;
    pos += common;
  }
}

void Trie::MergeWithOnlyChild(uint32_t n) {
  uint32_t c = FirstChild(n);
  uint32_t p = nodes_[n].parent;
  std::string joined(Label(n));
  joined.append(Label(c));
  ReplaceChild(p, n, c);
  SetLabel(c, AppendLabel(joined), static_cast<uint32_t>(joined.size()));
  FreeNode(n);  // with its child block and branch
}

void Trie::Remove(uint32_t n) {
  for (uint32_t a = n; a != kNone; a = nodes_[a].parent) ForgetRendered(a);
  nodes_[n].flags &= static_cast<uint8_t>(~kTerm);
  SetFreq(n, 0);
  // Restore "every node but the root ends a term or branches", then walk up from the lowest
  // node that survives, fixing counts and caches. Freed ids are not reused before the walk
  // ends, so caches that still name n are repaired, never confused.
  uint32_t start;
  uint32_t p = nodes_[n].parent;
  if (NChildren(n) == 0) {
    DetachChild(p, n);
    FreeNode(n);
    if (p != kRoot && !IsTerm(p) && NChildren(p) == 1) {
      start = nodes_[p].parent;
      MergeWithOnlyChild(p);
    } else {
      start = p;
    }
  } else if (NChildren(n) == 1) {
    start = p;
    MergeWithOnlyChild(n);
  } else {
    start = n;
  }
  for (uint32_t a = start; a != kNone; a = nodes_[a].parent) {
    if (!HasBranch(a)) continue;  // a leaf's count is implicit
    --B(a).count;
    if (B(a).cache == kNone) continue;
    if (B(a).count <= kCacheSize) {
      FreeSlot(B(a).cache);
      B(a).cache = kNone;
      continue;
    }
    const uint32_t* slot = Slot(B(a).cache);
    if (std::find(slot + 1, slot + 1 + slot[0], n) != slot + 1 + slot[0]) Repair(a);
  }
  MaybeCompactLabels();
}

void Trie::MaybeCompactLabels() {
  size_t garbage = labels_.size() - live_label_bytes_;
  if (garbage < 4096 || garbage < live_label_bytes_) return;
  std::string fresh;
  ReserveOnHugePages(fresh, live_label_bytes_);
  for (Node& node : nodes_) {
    if (node.label_len == 0) continue;  // the root and free nodes
    uint32_t off = static_cast<uint32_t>(fresh.size());
    fresh.append(labels_, node.label_off, node.label_len);
    node.label_off = off;
  }
  labels_ = std::move(fresh);
}

OpResult<int64_t> Trie::IncrBy(std::string_view term, int64_t delta) {
  size_t depth = 0;
  uint32_t deepest = kRoot;
  uint32_t n = FindNode(term, &deepest, &depth);
  if (n == kNone || !IsTerm(n)) {
    if (delta <= 0) return int64_t{0};
    uint32_t t = Insert(term, delta, deepest, depth);
    for (uint32_t a = t; a != kNone; a = nodes_[a].parent) {
      if (!HasBranch(a)) continue;  // a leaf's count is implicit; a new leaf has no rendering
      ++B(a).count;
      bool moved = SyncCacheWithCount(a) || B(a).cache == kNone || Promote(a, t);
      if (moved) ForgetRendered(a);
    }
    return delta;
  }
  int64_t next;
  if (__builtin_add_overflow(Freq(n), delta, &next)) return OpStatus::kOverflow;
  if (next <= 0) {
    Remove(n);
    return int64_t{0};
  }
  SetFreq(n, next);
  if (delta == 0) return next;
  for (uint32_t a = n; a != kNone; a = nodes_[a].parent) {
    bool moved = Cache(a) == kNone || (delta > 0 ? Promote(a, n) : Demote(a, n));
    if (moved) ForgetRendered(a);
  }
  return next;
}

std::optional<int64_t> Trie::Score(std::string_view term) const {
  uint32_t n = FindNode(term);
  if (n == kNone || !IsTerm(n)) return std::nullopt;
  return Freq(n);
}

bool Trie::Erase(std::string_view term) {
  uint32_t n = FindNode(term);
  if (n == kNone || !IsTerm(n)) return false;
  Remove(n);
  return true;
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
  const size_t start_size = out->size();
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
  // k beyond the cache: best-first over streams. A subtree's stream first yields its cache in
  // order (exact: the cache is the subtree's top list); past the cache it expands into its own
  // term and its children's streams. Terms already yielded through an ancestor's cache come up
  // again in a child's stream and are skipped.
  struct Entry {
    ScoredTerm key;
    uint32_t node;   // the term, or the subtree
    uint32_t index;  // for a subtree: position of key in its cache; kNone for a term
  };
  auto worse = [](const Entry& a, const Entry& b) { return RanksBefore(b.key, a.key); };
  std::priority_queue<Entry, std::vector<Entry>, decltype(worse)> heap(worse);
  std::unordered_set<uint32_t> emitted;
  auto push_term = [&](uint32_t id) {
    if (emitted.count(id)) return;
    Entry e{{std::string(), Freq(id)}, id, kNone};
    PathOf(id, &e.key.term);
    heap.push(std::move(e));
  };
  // Pushes subtree n keyed by its first cache entry from index i on not yet emitted; past the
  // cache, expands it.
  std::vector<uint32_t> ids;
  auto push_subtree = [&](uint32_t n, uint32_t i, auto& self) -> void {
    const uint32_t* slot = Slot(Cache(n));
    while (i < slot[0] && emitted.count(slot[1 + i])) ++i;
    if (i < slot[0]) {
      uint32_t id = slot[1 + i];
      Entry e{{std::string(), Freq(id)}, n, i};
      PathOf(id, &e.key.term);
      heap.push(std::move(e));
      return;
    }
    if (IsTerm(n)) push_term(n);
    for (uint16_t c = 0; c < NChildren(n); ++c) {
      uint32_t child = ChildIds(n)[c];
      if (Cache(child) != kNone) {
        self(child, 0, self);
      } else {
        ids.clear();
        Enumerate(child, &ids);
        for (uint32_t id : ids) push_term(id);
      }
    }
  };
  push_subtree(locus, 0, push_subtree);
  while (out->size() < k + start_size && !heap.empty()) {
    Entry e = heap.top();
    heap.pop();
    uint32_t id = e.index == kNone ? e.node : Slot(Cache(e.node))[1 + e.index];
    if (!emitted.insert(id).second) continue;
    out->push_back(std::move(e.key));
    if (e.index != kNone) push_subtree(e.node, e.index + 1, push_subtree);
  }
}

void Trie::ForEach(const std::function<void(std::string_view, int64_t)>& fn) const {
  std::string path;
  uint32_t x = kRoot;
  while (true) {
    if (IsTerm(x)) fn(path, Freq(x));
    if (NChildren(x) != 0) {
      x = FirstChild(x);
      path.append(Label(x));
      continue;
    }
    uint32_t next = kNone;
    while (x != kRoot && (next = NextSibling(x)) == kNone) {
      path.resize(path.size() - nodes_[x].label_len);
      x = nodes_[x].parent;
    }
    if (x == kRoot) return;
    path.resize(path.size() - nodes_[x].label_len);
    x = next;
    path.append(Label(x));
  }
}

bool Trie::Scan(std::string_view after, bool from_start, size_t limit,
                const std::function<void(std::string_view, int64_t)>& fn) const {
  std::string path;
  uint32_t x = kRoot;
  // Moves x to the first node after its whole subtree in pre-order; false at the end.
  auto skip_subtree = [&] {
    uint32_t next = kNone;
    while (x != kRoot && (next = NextSibling(x)) == kNone) {
      path.resize(path.size() - nodes_[x].label_len);
      x = nodes_[x].parent;
    }
    if (x == kRoot) return false;
    path.resize(path.size() - nodes_[x].label_len);
    x = next;
    path.append(Label(x));
    return true;
  };
  // Moves x to the next node in pre-order; false at the end.
  auto step = [&] {
    if (NChildren(x) != 0) {
      x = FirstChild(x);
      path.append(Label(x));
      return true;
    }
    return skip_subtree();
  };
  if (!from_start) {
    // Descend along `after` to the first node in pre-order whose path is greater.
    while (true) {
      std::string_view rest = after.substr(path.size());
      if (rest.empty()) {  // x's path is `after` itself: start just past it
        if (!step()) return true;
        break;
      }
      uint8_t byte = static_cast<uint8_t>(rest[0]);
      uint32_t c = kNone;
      for (uint16_t i = 0, n = NChildren(x); i < n; ++i) {
        if (ChildBytes(x)[i] >= byte) {
          c = ChildIds(x)[i];
          break;
        }
      }
      if (c == kNone) {  // every child sorts before `after`
        if (!skip_subtree()) return true;
        break;
      }
      std::string_view label = Label(c);
      size_t m = std::min(label.size(), rest.size());
      int cmp = std::memcmp(label.data(), rest.data(), m);
      x = c;
      path.append(label);
      if (cmp < 0) {
        if (!skip_subtree()) return true;
        break;
      }
      if (cmp > 0 || label.size() > rest.size()) break;  // c's path is greater: start there
    }
  }
  size_t given = 0;
  while (true) {
    if (IsTerm(x)) {
      if (given == limit) return false;
      fn(path, Freq(x));
      ++given;
    }
    if (!step()) return true;
  }
}

size_t Trie::MemoryUsage() const {
  size_t n = sizeof(*this) + nodes_.capacity() * sizeof(Node) + free_nodes_.capacity() * 4 +
             branches_.capacity() * sizeof(Branch) + free_branches_.capacity() * 4 +
             big_freqs_.capacity() * 8 + free_big_freqs_.capacity() * 4 +
             branch_freqs_.size() * 32 + branch_freqs_.bucket_count() * sizeof(void*) +
             labels_.capacity() + caches_.capacity() * 4 + free_slots_.capacity() * 4 +
             child_pool_.capacity() * 4 + memo_.MemoryUsage();
  for (const auto& f : free_blocks_) n += f.capacity() * 4;
  return n;
}

std::string Trie::DebugStats() const {
  size_t cached = nodes_.size() - free_nodes_.size();
  size_t branch_count = branches_.size() - free_branches_.size();
  size_t leaves = 0, internal_terms = 0, slots = caches_.size() / kSlotWidth - free_slots_.size();
  for (const Node& n : nodes_) {
    if (n.label_len == 0) continue;
    if (!(n.flags & kBranch))
      ++leaves;
    else if (n.flags & kTerm)
      ++internal_terms;
  }
  return "terms=" + std::to_string(size()) + " nodes=" + std::to_string(cached) +
         " leaves=" + std::to_string(leaves) + " internal_terms=" + std::to_string(internal_terms) +
         " node_bytes=" + std::to_string(sizeof(Node)) +
         " labels=" + std::to_string(labels_.size()) +
         " live_labels=" + std::to_string(live_label_bytes_) +
         " cache_slots=" + std::to_string(slots) + " branches=" + std::to_string(branch_count) +
         " child_words=" + std::to_string(child_pool_.size()) +
         " rendered_slots=" + std::to_string(memo_.slots()) +
         " capacity_bytes=" + std::to_string(MemoryUsage());
}

std::string Trie::CheckInvariants() const {
  std::string path;
  std::vector<uint32_t> all;
  Enumerate(kRoot, &all);
  if (all.size() != Count(kRoot)) return "root count differs from its terms";
  // Every node reachable from the root, checked one by one.
  std::vector<uint32_t> stack = {kRoot};
  while (!stack.empty()) {
    uint32_t n = stack.back();
    stack.pop_back();
    size_t children = 0;
    int last_byte = -1;
    if (HasBranch(n) && B(n).nchildren == 0) return "branch without children";
    for (uint16_t i = 0; i < NChildren(n); ++i) {
      uint32_t c = ChildIds(n)[i];
      if (ChildBytes(n)[i] != nodes_[c].first_byte) return "child byte differs from its node";
      ++children;
      if (nodes_[c].parent != n) return "bad parent link";
      if (nodes_[c].label_len == 0) return "empty label below the root";
      if (nodes_[c].first_byte != static_cast<uint8_t>(Label(c)[0])) return "stale first byte";
      if (static_cast<int>(nodes_[c].first_byte) <= last_byte) return "siblings out of order";
      last_byte = nodes_[c].first_byte;
      stack.push_back(c);
    }
    if (n != kRoot && !IsTerm(n) && children < 2) return "non-term node without a branch";
    if (IsTerm(n) && Freq(n) <= 0) return "term with frequency <= 0";
    std::vector<uint32_t> terms;
    Enumerate(n, &terms);
    if (terms.size() != Count(n)) return "count differs from the subtree's terms";
    if ((Cache(n) != kNone) != (Count(n) > kCacheSize)) return "cache presence wrong";
    if (Cache(n) == kNone) continue;
    std::vector<ScoredTerm> want;
    for (uint32_t t : terms) {
      ScoredTerm s{std::string(), Freq(t)};
      PathOf(t, &s.term);
      want.push_back(std::move(s));
    }
    std::sort(want.begin(), want.end(),
              [](const auto& a, const auto& b) { return RanksBefore(a, b); });
    const uint32_t* slot = Slot(Cache(n));
    if (slot[0] != kCacheSize) return "cache not full";
    for (size_t i = 0; i < kCacheSize; ++i) {
      PathOf(slot[1 + i], &path);
      if (path != want[i].term || Freq(slot[1 + i]) != want[i].freq) {
        PathOf(n, &path);
        return "cache of '" + path + "' differs at position " + std::to_string(i);
      }
    }
  }
  return "";
}

}  // namespace typeahead::storage
