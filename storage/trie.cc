#include "storage/trie.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <queue>

namespace typeahead::storage {
namespace {
// Scratch buffers reused across calls on the same thread: no allocation per update.
thread_local std::vector<uint32_t> t_ids;
thread_local std::string t_path_a, t_path_b;
}  // namespace

Trie::Trie() { nodes_.emplace_back(); }

uint32_t Trie::FindChild(uint32_t n, uint8_t byte) const {
  for (uint32_t c = nodes_[n].first_child; c != kNone; c = nodes_[c].next_sibling) {
    if (nodes_[c].first_byte == byte) return c;
    if (nodes_[c].first_byte > byte) break;
  }
  return kNone;
}

uint32_t Trie::FindNode(std::string_view term) const {
  uint32_t n = kRoot;
  size_t pos = 0;
  while (pos < term.size()) {
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

uint32_t Trie::Locus(std::string_view prefix) const {
  uint32_t n = kRoot;
  size_t pos = 0;
  while (pos < prefix.size()) {
    uint32_t c = FindChild(n, static_cast<uint8_t>(prefix[pos]));
    if (c == kNone) return kNone;
    std::string_view label = Label(c);
    size_t m = std::min(label.size(), prefix.size() - pos);
    if (std::memcmp(prefix.data() + pos, label.data(), m) != 0) return kNone;
    pos += m;
    n = c;
  }
  return n;
}

uint32_t Trie::NewNode() {
  if (!free_nodes_.empty()) {
    uint32_t n = free_nodes_.back();
    free_nodes_.pop_back();
    nodes_[n] = Node();
    return n;
  }
  nodes_.emplace_back();
  return static_cast<uint32_t>(nodes_.size() - 1);
}

void Trie::FreeNode(uint32_t n) {
  Node& node = nodes_[n];
  if (node.cache != kNone) FreeSlot(node.cache);
  live_label_bytes_ -= node.label_len;
  node = Node();  // parent == kNone and label_len == 0 mark it free
  free_nodes_.push_back(n);
}

void Trie::AttachChild(uint32_t parent, uint32_t child) {
  nodes_[child].parent = parent;
  uint8_t b = nodes_[child].first_byte;
  uint32_t* link = &nodes_[parent].first_child;
  while (*link != kNone && nodes_[*link].first_byte < b) link = &nodes_[*link].next_sibling;
  nodes_[child].next_sibling = *link;
  *link = child;
}

void Trie::ReplaceChild(uint32_t parent, uint32_t old_child, uint32_t new_child) {
  uint32_t* link = &nodes_[parent].first_child;
  while (*link != old_child) link = &nodes_[*link].next_sibling;
  nodes_[new_child].next_sibling = nodes_[old_child].next_sibling;
  nodes_[new_child].parent = parent;
  *link = new_child;
}

void Trie::DetachChild(uint32_t parent, uint32_t child) {
  uint32_t* link = &nodes_[parent].first_child;
  while (*link != child) link = &nodes_[*link].next_sibling;
  *link = nodes_[child].next_sibling;
}

uint32_t Trie::AppendLabel(std::string_view bytes) {
  uint32_t off = static_cast<uint32_t>(labels_.size());
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
  caches_.resize(caches_.size() + kSlotWidth);
  return s;
}

void Trie::FreeSlot(uint32_t slot) { free_slots_.push_back(slot); }

void Trie::PathOf(uint32_t n, std::string* out) const {
  size_t len = 0;
  for (uint32_t x = n; x != kRoot; x = nodes_[x].parent) len += nodes_[x].label_len;
  out->resize(len);
  for (uint32_t x = n; x != kRoot; x = nodes_[x].parent) {
    len -= nodes_[x].label_len;
    std::memcpy(out->data() + len, labels_.data() + nodes_[x].label_off, nodes_[x].label_len);
  }
}

bool Trie::TermRanksBefore(uint32_t a, uint32_t b) const {
  int64_t fa = nodes_[a].freq(), fb = nodes_[b].freq();
  if (fa != fb) return fa > fb;
  PathOf(a, &t_path_a);
  PathOf(b, &t_path_b);
  return t_path_a < t_path_b;
}

void Trie::Enumerate(uint32_t n, std::vector<uint32_t>* out) const {
  // Pre-order over the sibling lists (sorted by byte) is bytewise order; parent links make
  // the walk iterative, so deep tries cannot overflow the stack.
  uint32_t x = n;
  while (true) {
    if (nodes_[x].is_term) out->push_back(x);
    if (nodes_[x].first_child != kNone) {
      x = nodes_[x].first_child;
      continue;
    }
    while (x != n && nodes_[x].next_sibling == kNone) x = nodes_[x].parent;
    if (x == n) return;
    x = nodes_[x].next_sibling;
  }
}

void Trie::Ranked(uint32_t n, size_t limit, std::vector<uint32_t>* out) const {
  if (nodes_[n].cache != kNone) {
    const uint32_t* slot = Slot(nodes_[n].cache);
    out->insert(out->end(), slot + 1, slot + 1 + std::min<size_t>(slot[0], limit));
    return;
  }
  size_t start = out->size();
  Enumerate(n, out);
  // Stable: equal frequencies keep bytewise order.
  std::stable_sort(out->begin() + start, out->end(),
                   [&](uint32_t a, uint32_t b) { return nodes_[a].freq() > nodes_[b].freq(); });
  if (out->size() - start > limit) out->resize(start + limit);
}

void Trie::Repair(uint32_t n) {
  // The node's own term (a prefix of every other term here, so first among equals), then each
  // child's ranked list in byte order: a stable sort by frequency alone yields ranking order.
  std::vector<uint32_t>& ids = t_ids;
  ids.clear();
  if (nodes_[n].is_term) ids.push_back(n);
  for (uint32_t c = nodes_[n].first_child; c != kNone; c = nodes_[c].next_sibling) {
    if (nodes_[c].cache != kNone) {
      const uint32_t* slot = Slot(nodes_[c].cache);
      ids.insert(ids.end(), slot + 1, slot + 1 + slot[0]);
    } else {
      Enumerate(c, &ids);
    }
  }
  std::stable_sort(ids.begin(), ids.end(),
                   [&](uint32_t a, uint32_t b) { return nodes_[a].freq() > nodes_[b].freq(); });
  uint32_t* slot = Slot(nodes_[n].cache);
  slot[0] = static_cast<uint32_t>(std::min(ids.size(), kCacheSize));
  std::copy(ids.begin(), ids.begin() + slot[0], slot + 1);
}

void Trie::Promote(uint32_t n, uint32_t t) {
  uint32_t* slot = Slot(nodes_[n].cache);
  uint32_t* ids = slot + 1;
  uint32_t len = slot[0];
  uint32_t* end = ids + len;
  uint32_t* found = std::find(ids, end, t);
  if (found != end) {
    std::copy(found + 1, end, found);
    --len;
    --end;
  }
  uint32_t* pos = std::lower_bound(
      ids, end, t, [&](uint32_t e, uint32_t term) { return TermRanksBefore(e, term); });
  if (pos == ids + kCacheSize) return;  // still outside the top kCacheSize
  if (len == kCacheSize) {
    --len;  // the last one leaves
    --end;
  }
  std::copy_backward(pos, end, end + 1);
  *pos = t;
  slot[0] = len + 1;
}

void Trie::Demote(uint32_t n, uint32_t t) {
  uint32_t* slot = Slot(nodes_[n].cache);
  uint32_t* ids = slot + 1;
  uint32_t len = slot[0];
  uint32_t* end = ids + len;
  uint32_t* found = std::find(ids, end, t);
  if (found == end) return;  // it was not in the top list and only got worse
  std::copy(found + 1, end, found);
  --end;
  // Terms outside the cache rank after the old last one. If t still ranks before the last
  // remaining entry, which is at least as good, nothing outside can overtake it.
  if (end > ids && TermRanksBefore(t, *(end - 1))) {
    uint32_t* pos = std::lower_bound(
        ids, end, t, [&](uint32_t e, uint32_t term) { return TermRanksBefore(e, term); });
    std::copy_backward(pos, end, end + 1);
    *pos = t;
    return;
  }
  Repair(n);
}

bool Trie::SyncCacheWithCount(uint32_t n) {
  Node& node = nodes_[n];
  if (node.count > kCacheSize && node.cache == kNone) {
    uint32_t slot = NewSlot();
    nodes_[n].cache = slot;
    Repair(n);
    return true;
  }
  if (node.count <= kCacheSize && node.cache != kNone) {
    FreeSlot(node.cache);
    node.cache = kNone;
  }
  return false;
}

uint32_t Trie::Insert(std::string_view term, int64_t freq) {
  uint32_t n = kRoot;
  size_t pos = 0;
  while (true) {
    if (pos == term.size()) {
      nodes_[n].is_term = 1;
      nodes_[n].set_freq(freq);
      return n;
    }
    uint32_t c = FindChild(n, static_cast<uint8_t>(term[pos]));
    if (c == kNone) {
      uint32_t leaf = NewNode();
      SetLabel(leaf, AppendLabel(term.substr(pos)), static_cast<uint32_t>(term.size() - pos));
      nodes_[leaf].is_term = 1;
      nodes_[leaf].set_freq(freq);
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
    nodes_[mid].count = nodes_[c].count;
    if (nodes_[c].cache != kNone) {
      uint32_t slot = NewSlot();
      nodes_[mid].cache = slot;
      std::copy(Slot(nodes_[c].cache), Slot(nodes_[c].cache) + kSlotWidth, Slot(slot));
    }
    ReplaceChild(n, c, mid);
    SetLabel(c, off + static_cast<uint32_t>(common), len - static_cast<uint32_t>(common));
    nodes_[c].next_sibling = kNone;
    AttachChild(mid, c);
    n = mid;
    pos += common;
  }
}

void Trie::MergeWithOnlyChild(uint32_t n) {
  uint32_t c = nodes_[n].first_child;
  uint32_t p = nodes_[n].parent;
  std::string joined(Label(n));
  joined.append(Label(c));
  ReplaceChild(p, n, c);
  SetLabel(c, AppendLabel(joined), static_cast<uint32_t>(joined.size()));
  FreeNode(n);
}

void Trie::Remove(uint32_t n) {
  nodes_[n].is_term = 0;
  nodes_[n].set_freq(0);
  // Restore "every node but the root ends a term or branches", then walk up from the lowest
  // node that survives, fixing counts and caches. Freed ids are not reused before the walk
  // ends, so caches that still name n are repaired, never confused.
  uint32_t start;
  uint32_t p = nodes_[n].parent;
  uint32_t first = nodes_[n].first_child;
  if (first == kNone) {
    DetachChild(p, n);
    FreeNode(n);
    uint32_t only = nodes_[p].first_child;
    if (p != kRoot && !nodes_[p].is_term && only != kNone && nodes_[only].next_sibling == kNone) {
      start = nodes_[p].parent;
      MergeWithOnlyChild(p);
    } else {
      start = p;
    }
  } else if (nodes_[first].next_sibling == kNone) {
    start = p;
    MergeWithOnlyChild(n);
  } else {
    start = n;
  }
  for (uint32_t a = start; a != kNone; a = nodes_[a].parent) {
    --nodes_[a].count;
    if (nodes_[a].cache == kNone) continue;
    if (nodes_[a].count <= kCacheSize) {
      FreeSlot(nodes_[a].cache);
      nodes_[a].cache = kNone;
      continue;
    }
    const uint32_t* slot = Slot(nodes_[a].cache);
    if (std::find(slot + 1, slot + 1 + slot[0], n) != slot + 1 + slot[0]) Repair(a);
  }
  MaybeCompactLabels();
}

void Trie::MaybeCompactLabels() {
  size_t garbage = labels_.size() - live_label_bytes_;
  if (garbage < 4096 || garbage < live_label_bytes_) return;
  std::string fresh;
  fresh.reserve(live_label_bytes_);
  for (Node& node : nodes_) {
    if (node.label_len == 0) continue;  // the root and free nodes
    uint32_t off = static_cast<uint32_t>(fresh.size());
    fresh.append(labels_, node.label_off, node.label_len);
    node.label_off = off;
  }
  labels_ = std::move(fresh);
}

OpResult<int64_t> Trie::IncrBy(std::string_view term, int64_t delta) {
  uint32_t n = FindNode(term);
  if (n == kNone || !nodes_[n].is_term) {
    if (delta <= 0) return int64_t{0};
    uint32_t t = Insert(term, delta);
    for (uint32_t a = t; a != kNone; a = nodes_[a].parent) {
      ++nodes_[a].count;
      if (!SyncCacheWithCount(a) && nodes_[a].cache != kNone) Promote(a, t);
    }
    return delta;
  }
  int64_t next;
  if (__builtin_add_overflow(nodes_[n].freq(), delta, &next)) return OpStatus::kOverflow;
  if (next <= 0) {
    Remove(n);
    return int64_t{0};
  }
  nodes_[n].set_freq(next);
  if (delta == 0) return next;
  for (uint32_t a = n; a != kNone; a = nodes_[a].parent) {
    if (nodes_[a].cache == kNone) continue;
    if (delta > 0) {
      Promote(a, n);
    } else {
      Demote(a, n);
    }
  }
  return next;
}

std::optional<int64_t> Trie::Score(std::string_view term) const {
  uint32_t n = FindNode(term);
  if (n == kNone || !nodes_[n].is_term) return std::nullopt;
  return nodes_[n].freq();
}

bool Trie::Erase(std::string_view term) {
  uint32_t n = FindNode(term);
  if (n == kNone || !nodes_[n].is_term) return false;
  Remove(n);
  return true;
}

void Trie::TopK(std::string_view prefix, size_t k, std::vector<ScoredTerm>* out) const {
  if (k == 0) return;
  uint32_t locus = Locus(prefix);
  if (locus == kNone) return;
  auto emit = [&](uint32_t id) {
    ScoredTerm s{std::string(), nodes_[id].freq()};
    PathOf(id, &s.term);
    out->push_back(std::move(s));
  };
  if (nodes_[locus].cache == kNone || k <= kCacheSize) {
    std::vector<uint32_t>& ids = t_ids;
    ids.clear();
    Ranked(locus, k, &ids);
    for (uint32_t id : ids) emit(id);
    return;
  }
  // k beyond the cache: best-first over subtrees, each keyed by its best term (its cache's
  // first entry), expanded into its own term and its children when it comes out on top.
  struct Entry {
    ScoredTerm key;
    uint32_t node;
    bool subtree;
  };
  auto worse = [](const Entry& a, const Entry& b) { return RanksBefore(b.key, a.key); };
  std::priority_queue<Entry, std::vector<Entry>, decltype(worse)> heap(worse);
  auto push_term = [&](uint32_t id) {
    Entry e{{std::string(), nodes_[id].freq()}, id, false};
    PathOf(id, &e.key.term);
    heap.push(std::move(e));
  };
  auto push_subtree = [&](uint32_t n) {
    uint32_t best = Slot(nodes_[n].cache)[1];
    Entry e{{std::string(), nodes_[best].freq()}, n, true};
    PathOf(best, &e.key.term);
    heap.push(std::move(e));
  };
  push_subtree(locus);
  size_t emitted = 0;
  std::vector<uint32_t> ids;
  while (emitted < k && !heap.empty()) {
    Entry e = heap.top();
    heap.pop();
    if (!e.subtree) {
      out->push_back(std::move(e.key));
      ++emitted;
      continue;
    }
    uint32_t n = e.node;
    if (nodes_[n].is_term) push_term(n);
    for (uint32_t c = nodes_[n].first_child; c != kNone; c = nodes_[c].next_sibling) {
      if (nodes_[c].cache != kNone) {
        push_subtree(c);
      } else {
        ids.clear();
        Enumerate(c, &ids);
        for (uint32_t id : ids) push_term(id);
      }
    }
  }
}

void Trie::ForEach(const std::function<void(std::string_view, int64_t)>& fn) const {
  std::string path;
  uint32_t x = kRoot;
  while (true) {
    if (nodes_[x].is_term) fn(path, nodes_[x].freq());
    if (nodes_[x].first_child != kNone) {
      x = nodes_[x].first_child;
      path.append(Label(x));
      continue;
    }
    while (x != kRoot && nodes_[x].next_sibling == kNone) {
      path.resize(path.size() - nodes_[x].label_len);
      x = nodes_[x].parent;
    }
    if (x == kRoot) return;
    path.resize(path.size() - nodes_[x].label_len);
    x = nodes_[x].next_sibling;
    path.append(Label(x));
  }
}

size_t Trie::MemoryUsage() const {
  return sizeof(*this) + nodes_.capacity() * sizeof(Node) + free_nodes_.capacity() * 4 +
         labels_.capacity() + caches_.capacity() * 4 + free_slots_.capacity() * 4;
}

std::string Trie::CheckInvariants() const {
  std::string path;
  std::vector<uint32_t> all;
  Enumerate(kRoot, &all);
  if (all.size() != nodes_[kRoot].count) return "root count differs from its terms";
  // Every node reachable from the root, checked one by one.
  std::vector<uint32_t> stack = {kRoot};
  while (!stack.empty()) {
    uint32_t n = stack.back();
    stack.pop_back();
    const Node& node = nodes_[n];
    size_t children = 0;
    int last_byte = -1;
    for (uint32_t c = node.first_child; c != kNone; c = nodes_[c].next_sibling) {
      ++children;
      if (nodes_[c].parent != n) return "bad parent link";
      if (nodes_[c].label_len == 0) return "empty label below the root";
      if (nodes_[c].first_byte != static_cast<uint8_t>(Label(c)[0])) return "stale first byte";
      if (static_cast<int>(nodes_[c].first_byte) <= last_byte) return "siblings out of order";
      last_byte = nodes_[c].first_byte;
      stack.push_back(c);
    }
    if (n != kRoot && !node.is_term && children < 2) return "non-term node without a branch";
    if (node.is_term && node.freq() <= 0) return "term with frequency <= 0";
    std::vector<uint32_t> terms;
    Enumerate(n, &terms);
    if (terms.size() != node.count) return "count differs from the subtree's terms";
    if ((node.cache != kNone) != (node.count > kCacheSize)) return "cache presence wrong";
    if (node.cache == kNone) continue;
    std::vector<ScoredTerm> want;
    for (uint32_t t : terms) {
      ScoredTerm s{std::string(), nodes_[t].freq()};
      PathOf(t, &s.term);
      want.push_back(std::move(s));
    }
    std::sort(want.begin(), want.end(),
              [](const auto& a, const auto& b) { return RanksBefore(a, b); });
    const uint32_t* slot = Slot(node.cache);
    if (slot[0] != kCacheSize) return "cache not full";
    for (size_t i = 0; i < kCacheSize; ++i) {
      PathOf(slot[1 + i], &path);
      if (path != want[i].term || nodes_[slot[1 + i]].freq() != want[i].freq) {
        PathOf(n, &path);
        return "cache of '" + path + "' differs at position " + std::to_string(i);
      }
    }
  }
  return "";
}

}  // namespace typeahead::storage
