// The trie's structure: finding a term's node and a prefix's locus, inserting and removing
// terms (splitting and merging edges), storing frequencies, the public writes (IncrBy, Erase)
// with the count updates they make on the way up, and the walks in bytewise order (ForEach,
// Scan, Enumerate). It calls into trie_arena.cc for the storage it links together and into
// trie_topk.cc to keep each ancestor's cached list in order.
#include "storage/trie.h"

#include <algorithm>
#include <cstring>

namespace typeahead::storage {

Trie::Trie() { nodes_.emplace_back(); }

uint32_t Trie::FindChild(uint32_t n, uint8_t byte) const {
  uint32_t count = NChildren(n);
  if (count == 0) return kNone;
  const uint8_t* bytes = ChildBytes(n);
  // Sorted bytes, mostly a handful: a plain scan beats memchr's call and set-up.
  for (uint32_t i = 0; i < count; ++i) {
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
    size_t len = nodes_[c].label_len;
    if (term.size() - pos < len || !RestOfLabelMatches(c, term.data() + pos, len)) return kNone;
    pos += len;
    n = c;
  }
  return n;
}

void Trie::WarmPaths(std::span<const std::string_view> terms) const {
  // Each walk alternates two steps, a round of every walk at a time: at a node (asked for in
  // the round before), ask for its child block and the rest of its label; at a block, pick the
  // child by the next byte and ask for it, and for the block's cache slot, which the write's
  // climb back up reads.
  struct Walk {
    uint32_t node;
    uint32_t pos;
    bool at_block;
  };
  Walk walks[kWarmWalks];
  size_t count = std::min(terms.size(), kWarmWalks), active = count;
  for (size_t i = 0; i < count; ++i) walks[i] = {kRoot, 0, true};
  while (active != 0) {
    for (size_t i = 0; i < count; ++i) {
      Walk& w = walks[i];
      if (w.node == kNone) continue;
      std::string_view term = terms[i];
      const Node& node = nodes_[w.node];
      if (!w.at_block) {
        w.pos += node.label_len;
        if (node.label_len > 1) __builtin_prefetch(labels_.data() + node.label_off + 1);
        if ((node.flags & kBranch) && w.pos < term.size()) {
          __builtin_prefetch(&child_pool_[node.payload]);
          w.at_block = true;
          continue;
        }
      } else if ((node.flags & kBranch) && w.pos < term.size()) {
        if (uint32_t cache = B(w.node).cache; cache != kNone) {
          __builtin_prefetch(Slot(cache));
          __builtin_prefetch(Slot(cache) + kSlotWidth - 1);
        }
        uint32_t c = FindChild(w.node, static_cast<uint8_t>(term[w.pos]));
        if (c != kNone) {
          __builtin_prefetch(&nodes_[c]);
          w.node = c;
          w.at_block = false;
          continue;
        }
      }
      w.node = kNone;
      --active;
    }
  }
}

uint32_t Trie::Locus(std::string_view prefix, size_t* path_len) const {
  uint32_t n = kRoot;
  size_t pos = 0, above = 0;
  while (pos < prefix.size()) {
    uint32_t c = FindChild(n, static_cast<uint8_t>(prefix[pos]));
    if (c == kNone) return kNone;
    size_t m = std::min<size_t>(nodes_[c].label_len, prefix.size() - pos);
    if (!RestOfLabelMatches(c, prefix.data() + pos, m)) return kNone;
    above = pos;
    pos += m;
    n = c;
  }
  if (path_len != nullptr) *path_len = n == kRoot ? 0 : above + nodes_[n].label_len;
  return n;
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
    // FindChild matched the first byte; a one-byte label (most above the leaves) is not read.
    size_t common = 1;
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

OpResult<int64_t> Trie::IncrBy(std::string_view term, int64_t delta) {
  return Update(term, [delta](int64_t f) -> OpResult<int64_t> {
    int64_t next;
    if (__builtin_add_overflow(f, delta, &next)) return OpStatus::kOverflow;
    return next;
  });
}

int64_t Trie::InsertTerm(std::string_view term, int64_t f, uint32_t deepest, size_t depth) {
  if (f <= 0) return 0;
  uint32_t t = Insert(term, f, deepest, depth);
  for (uint32_t a = t; a != kNone; a = nodes_[a].parent) {
    if (!HasBranch(a)) continue;  // a leaf's count is implicit; a new leaf has no rendering
    ++B(a).count;
    bool moved = SyncCacheWithCount(a) || B(a).cache == kNone || Promote(a, t);
    if (moved) ForgetRendered(a);
  }
  return f;
}

int64_t Trie::SetTermFreq(uint32_t n, std::string_view term, int64_t f) {
  if (f <= 0) {
    Remove(n);
    DropPayload(term);
    return 0;
  }
  int64_t was = Freq(n);
  if (f == was) return f;
  SetFreq(n, f);
  for (uint32_t a = n; a != kNone; a = nodes_[a].parent) {
    bool moved = Cache(a) == kNone || (f > was ? Promote(a, n) : Demote(a, n));
    if (moved) ForgetRendered(a);
  }
  return f;
}

void Trie::Rescale(const std::function<int64_t(int64_t)>& fn, bool strict) {
  if (strict) return RescaleInOrder(fn);
  std::vector<uint32_t> ids;
  Enumerate(kRoot, &ids);
  std::vector<int64_t> next(ids.size());
  std::vector<std::string> gone;
  for (size_t i = 0; i < ids.size(); ++i) {
    next[i] = fn(Freq(ids[i]));
    if (next[i] <= 0) PathOf(ids[i], &gone.emplace_back());
  }
  // Removals first, with the caches still in the old order; a surviving term keeps its node.
  for (const std::string& term : gone) Erase(term);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (next[i] > 0) SetFreq(ids[i], next[i]);
  }
  // Every cache from its children's, each node after its descendants: reversed pre-order.
  ids.clear();
  std::vector<uint32_t> stack{kRoot};
  while (!stack.empty()) {
    uint32_t n = stack.back();
    stack.pop_back();
    ForgetRendered(n);
    if (!HasBranch(n)) continue;
    if (B(n).cache != kNone) ids.push_back(n);
    for (uint32_t i = 0; i < B(n).nchildren; ++i) stack.push_back(ChildIds(n)[i]);
  }
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) Repair(*it);
}

void Trie::RescaleInOrder(const std::function<int64_t(int64_t)>& fn) {
  // The order stands, so no walk: the node array in index order (a free node is no term),
  // the survivors rewritten in place, the rest removed after, each removal repairing the
  // caches that list it. Until then a term to go keeps its old value, which may put it in a
  // cache a removal repairs; the survivors' order is final from the first pass.
  std::vector<uint32_t> gone;
  for (uint32_t n = 0; n < nodes_.size(); ++n) {
    if (!IsTerm(n)) continue;
    int64_t f = fn(Freq(n));
    if (f <= 0) {
      gone.push_back(n);
    } else {
      SetFreq(n, f);
    }
  }
  std::vector<std::string> terms(gone.size());
  for (size_t i = 0; i < gone.size(); ++i) PathOf(gone[i], &terms[i]);
  for (const std::string& term : terms) Erase(term);
  for (uint32_t n = 0; n < nodes_.size(); ++n) {
    if (HasBranch(n) && B(n).cache != kNone) SetFloor(Slot(B(n).cache));
  }
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
  DropPayload(term);
  return true;
}

bool Trie::SetPayload(std::string_view term, std::string_view payload) {
  uint32_t n = FindNode(term);
  if (n == kNone || !IsTerm(n)) return false;
  DropPayload(term);
  if (!payload.empty()) {
    auto it = payloads_.emplace(std::string(term), std::string(payload)).first;
    payload_bytes_ += PayloadNodeBytes(it->first, it->second);
  }
  return true;
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

}  // namespace typeahead::storage
