// Where the trie's parts live: nodes, branch records, child blocks, label bytes and cache
// slots, each taken from a free list or grown by a quarter at a time, and the compaction of the
// label arena. Apart from trie.cc because it only hands out, moves and takes back ids and bytes;
// what they mean (terms, paths, rankings) is decided there and in trie_topk.cc.
#include <algorithm>
#include <cstring>
#include <string_view>

#include "storage/huge_pages.h"
#include "storage/trie.h"

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
}  // namespace

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
    FreeBlock(node.payload, B(n).nchildren);
    --branch_count_;
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
  if (!HasBranch(parent)) {
    NewBranch(parent, child);
    return;
  }
  uint8_t b = nodes_[child].first_byte;
  uint32_t n = B(parent).nchildren;
  uint32_t block = NewBlock(n + 1);  // before taking pointers: the pool may move
  uint32_t old = nodes_[parent].payload;
  std::memcpy(&child_pool_[block], &child_pool_[old], sizeof(Branch));
  const uint8_t* old_bytes = ChildBytes(parent);
  const uint32_t* old_ids = ChildIds(parent);
  nodes_[parent].payload = block;
  B(parent).nchildren = n + 1;
  uint8_t* bytes = ChildBytes(parent);
  uint32_t* ids = ChildIds(parent);
  uint32_t at = 0;
  while (at < n && old_bytes[at] < b) ++at;
  std::memcpy(bytes, old_bytes, at);
  std::memcpy(ids, old_ids, at * sizeof(uint32_t));
  std::memcpy(bytes + at + 1, old_bytes + at, n - at);
  std::memcpy(ids + at + 1, old_ids + at, (n - at) * sizeof(uint32_t));
  bytes[at] = b;
  ids[at] = child;
  FreeBlock(old, n);
}

void Trie::ReplaceChild(uint32_t parent, uint32_t old_child, uint32_t new_child) {
  uint32_t* ids = ChildIds(parent);
  *std::find(ids, ids + NChildren(parent), old_child) = new_child;
  nodes_[new_child].parent = parent;
}

void Trie::DetachChild(uint32_t parent, uint32_t child) {
  uint32_t n = B(parent).nchildren;
  if (n == 1) {
    // A node left without children is a leaf again: its count is its own term and it has no
    // cache, so the branch goes.
    FreeBranch(parent);
    return;
  }
  uint32_t block = NewBlock(n - 1);
  uint32_t old = nodes_[parent].payload;
  std::memcpy(&child_pool_[block], &child_pool_[old], sizeof(Branch));
  const uint8_t* old_bytes = ChildBytes(parent);
  const uint32_t* old_ids = ChildIds(parent);
  uint32_t at = static_cast<uint32_t>(std::find(old_ids, old_ids + n, child) - old_ids);
  nodes_[parent].payload = block;
  B(parent).nchildren = n - 1;
  uint8_t* bytes = ChildBytes(parent);
  uint32_t* ids = ChildIds(parent);
  std::memcpy(bytes, old_bytes, at);
  std::memcpy(ids, old_ids, at * sizeof(uint32_t));
  std::memcpy(bytes + at, old_bytes + at + 1, n - at - 1);
  std::memcpy(ids + at, old_ids + at + 1, (n - at - 1) * sizeof(uint32_t));
  FreeBlock(old, n);
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

void Trie::NewBranch(uint32_t n, uint32_t child) {
  uint32_t count = Count(n);
  int64_t freq = IsTerm(n) ? Freq(n) : 0;
  SetFreq(n, 0);  // releases a big-frequency slot; branch_freqs_ holds the frequency now
  uint32_t block = NewBlock(1);
  nodes_[n].payload = block;
  nodes_[n].flags |= kBranch;
  B(n) = Branch{.count = count, .cache = kNone, .nchildren = 1};
  ChildBytes(n)[0] = nodes_[child].first_byte;
  ChildIds(n)[0] = child;
  ++branch_count_;
  if (freq != 0) branch_freqs_[n] = freq;
}

void Trie::FreeBranch(uint32_t n) {
  int64_t freq = Freq(n);
  branch_freqs_.erase(n);
  if (B(n).cache != kNone) FreeSlot(B(n).cache);
  FreeBlock(nodes_[n].payload, B(n).nchildren);
  --branch_count_;
  nodes_[n].flags &= static_cast<uint8_t>(~kBranch);
  nodes_[n].payload = 0;
  SetFreq(n, freq);
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

}  // namespace typeahead::storage
