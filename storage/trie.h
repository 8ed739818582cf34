// Trie holds one autocomplete key's terms within one partition and answers prefix top-k
// exactly: frequency descending, then term ascending (unsigned bytes).
//
// One class, five files: storage/trie.cc the structure (lookup, insert and remove, IncrBy,
// Score, Erase, ForEach, Scan); storage/trie_arena.cc the allocation of nodes, branches, child
// blocks, labels and cache slots; storage/trie_topk.cc the cached top-k lists and the queries
// and renderings read from them; storage/trie_fuzzy.cc the typo-tolerant query (FuzzyTopK);
// storage/trie_check.cc MemoryUsage, DebugStats and CheckInvariants.
//
// Layout: a radix trie in one array of 16-byte nodes addressed by 32-bit ids (no pointers).
// Three in four nodes are leaves, so a node holds only its parent, its label and one payload
// word: a leaf's frequency, or the index of the node's child block in a pool. The block opens
// with the Branch record, what only nodes with children need (subtree count, cache, number of
// children), then the children's first bytes packed together and sorted, then their ids, so a
// step down reads the node and one block, mostly one cache line of it. Edge labels live in one byte
// arena (a split shares the bytes, so inserting costs only the new suffix). Terms are not stored
// separately but rebuilt from the path when replied. At 1M English-like Zipf terms this is about 46
// bytes per term in use.
//
// Caches: a node whose subtree holds more than kCacheSize terms keeps the sorted top
// kCacheSize of its subtree as term-node ids. Smaller subtrees are walked instead, which is
// cheaper than caching them. Invariants, checked by CheckInvariants():
//  - count(n) = terms in n's subtree; n has a cache iff count(n) > kCacheSize, and the cache
//    is exactly the first kCacheSize terms of the subtree in ranking order;
//  - every node but the root ends a term or has at least two children.
// An increment only promotes a term within each ancestor's cache; a decrement or deletion that
// may let an unseen term in repairs the cache by merging the children's lists bottom-up along
// the term's path, never by scanning a subtree. k above kCacheSize runs a best-first search
// over subtrees ordered by their best term.
//
// Rendered replies (storage/topk_memo.h): a caller may keep the bytes it rendered for a top-k
// at the prefix's locus node; the node is marked while they stand. Every write unmarks each
// marked node above the term whose ranking it may have changed: always a node without a cache
// (its small subtree is cheap to re-render), a cached node only when its cached list moved, and
// every node above a removed term, since removals free ids for reuse. The memo also remembers
// which node each recent prefix led to, so a repeated query skips the walk down.
//
// Payloads (FT.SUGADD ... PAYLOAD): an opaque string per term, kept in a map of their own
// that only dictionaries using them fill; a term's payload goes when the term goes.
//
// Not thread-safe: only the owning partition's thread touches it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/decay.h"
#include "storage/op_result.h"
#include "storage/topk_memo.h"

namespace typeahead::storage {

// A transparent hash for maps keyed by std::string: looked up by view, no string built.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct ScoredTerm {
  std::string term;
  int64_t freq;
  // Edit distance from a fuzzy query's prefix (FuzzyTopK); 0 for every other query.
  uint8_t distance = 0;
  // The term's payload where the caller asked for it (FT.SUGGET WITHPAYLOADS); the trie's
  // queries leave it empty.
  std::string payload = {};
  // A blend's weighted sum of frequencies (storage/blend.h), or a decaying dictionary's
  // current score (its caller sets it); 0 for every other query.
  double score = 0;
  bool operator==(const ScoredTerm&) const = default;
};

// True when a ranks before b: frequency descending, then term ascending bytewise.
inline bool RanksBefore(int64_t fa, std::string_view a, int64_t fb, std::string_view b) {
  if (fa != fb) return fa > fb;
  return a < b;  // char_traits<char> compares as unsigned char
}
// The same, a fuzzy query's distance ascending first (0 for every other query).
inline bool RanksBefore(const ScoredTerm& a, const ScoredTerm& b) {
  if (a.distance != b.distance) return a.distance < b.distance;
  return RanksBefore(a.freq, a.term, b.freq, b.term);
}

// A term's distance from a fuzzy query's prefix q: the least optimal-string-alignment distance
// (Levenshtein, with a swap of two adjacent bytes one edit) between q and any prefix of the
// term, over bytes. With exact_bytes = n, the term must also start with q's first n bytes.
inline constexpr int kMaxFuzzyDistance = 2;

class Trie {
 public:
  static constexpr size_t kCacheSize = 16;
  static constexpr size_t kMaxTermLength = 65535;

  Trie();

  // Adds delta to term's frequency, inserting it at delta when absent; removes the term when
  // the result is <= 0. Returns the new frequency, 0 when removed or not inserted.
  // On kOverflow nothing changes. REQUIRES: 1 <= term.size() <= kMaxTermLength.
  OpResult<int64_t> IncrBy(std::string_view term, int64_t delta);
  // Sets term's frequency to next(f), f its frequency (0 when absent), as IncrBy does: next
  // returns the new frequency (<= 0: remove the term, or do not insert it) or a status, and
  // then nothing changes. Returns the new frequency, 0 when removed or not inserted.
  template <typename Next>
  OpResult<int64_t> Update(std::string_view term, Next&& next);
  std::optional<int64_t> Score(std::string_view term) const;
  // Replaces every term's frequency f by fn(f), removing the terms it maps to 0 or below, and
  // rebuilds every cache and forgets every rendering: one pass over the whole trie. strict:
  // fn is strictly increasing over the frequencies it keeps, so every order stands and only
  // the caches' floors are rewritten (a rebase, counts made doubles).
  // REQUIRES: fn is non-decreasing over the frequencies present (ties it makes are allowed).
  void Rescale(const std::function<int64_t(int64_t)>& fn, bool strict = false);

  // How the dictionary's frequencies decay (storage/decay.h); off by default. The trie only
  // keeps it: what the frequencies mean is its owner's business (storage/partition.h).
  const Decay& decay() const { return decay_; }
  void set_decay(const Decay& decay) { decay_ = decay; }
  // Brings the nodes, child blocks and cache slots on each term's path (or prefix's) toward
  // the cache, the walks interleaved a level at a time so that their misses overlap: a
  // pipeline's writes then find their paths warm instead of waiting on one miss after another
  // (four or five per level below the top of a big trie). Changes nothing; a hint only, so it
  // follows first bytes without checking labels. At most kWarmWalks terms are walked.
  static constexpr size_t kWarmWalks = 32;
  void WarmPaths(std::span<const std::string_view> terms) const;
  bool Erase(std::string_view term);
  size_t size() const { return Count(kRoot); }
  bool empty() const { return size() == 0; }

  // term's payload; empty when it has none (an empty payload is none).
  std::string_view Payload(std::string_view term) const {
    if (payloads_.empty()) return {};
    auto it = payloads_.find(term);
    return it == payloads_.end() ? std::string_view() : std::string_view(it->second);
  }
  // Sets term's payload (empty: removes it). False, changing nothing, when term is absent.
  bool SetPayload(std::string_view term, std::string_view payload);
  size_t payload_count() const { return payloads_.size(); }

  // Appends up to k best terms starting with prefix to *out, in ranking order.
  void TopK(std::string_view prefix, size_t k, std::vector<ScoredTerm>* out) const;
  // TopK for a reply written in place, with no string built per result: calls count(n) once
  // with the number of results, then term(freq, size, spell) for each in ranking order, where
  // spell(char* dst) writes the term's size bytes to dst.
  template <typename OnCount, typename OnTerm>
  void VisitTopK(std::string_view prefix, size_t k, OnCount&& count, OnTerm&& term) const;

  // Appends up to k terms within max_distance (0..kMaxFuzzyDistance) of prefix that start with
  // its first exact_bytes bytes, in the order of RanksBefore: distance ascending, then
  // frequency descending, then term ascending; each with its distance.
  void FuzzyTopK(std::string_view prefix, size_t k, int max_distance, size_t exact_bytes,
                 std::vector<ScoredTerm>* out) const;

  // Where a rendering of a top-k may be kept: the prefix's locus and k. Opaque to callers.
  struct RenderSpot {
    uint32_t locus = UINT32_MAX;
    uint32_t k = 0;
  };
  // The bytes kept by KeepRendered for this prefix's locus and k while its top k stands, or an
  // empty view; *spot tells KeepRendered where a new rendering belongs. Only for renderings
  // made from nothing but the ranked terms' bytes (no frequencies), the same each time.
  std::string_view FindRendered(std::string_view prefix, size_t k, RenderSpot* spot) const;
  // Keeps bytes rendered from VisitTopK(prefix, k) for the spot FindRendered gave, with no
  // change to the trie in between. A cache, not a change of what the trie holds: hence const.
  void KeepRendered(const RenderSpot& spot, std::string_view bytes) const;
  uint64_t rendered_hits() const { return memo_.hits(); }

  // When the dictionary was last read or written and how many times, for OBJECT IDLETIME and
  // FREQ: now is the caller's coarse clock (seconds). Bookkeeping, not content: hence const.
  void Touch(uint32_t now) const {
    last_access_ = now;
    ++accesses_;
  }
  uint32_t last_access() const { return last_access_; }
  uint64_t accesses() const { return accesses_; }

  // Calls fn(term, freq) for every term in bytewise order.
  void ForEach(const std::function<void(std::string_view, int64_t)>& fn) const;
  // Calls fn(term, freq), in bytewise order, for at most limit terms that come after `after`
  // (every term when from_start). Returns true when the walk reached the last term, so a
  // caller can resume a long walk between other work, from the last term it was given.
  bool Scan(std::string_view after, bool from_start, size_t limit,
            const std::function<void(std::string_view, int64_t)>& fn) const;

  // Bytes held by the trie's arrays (capacity, not size: what the allocator gave).
  size_t MemoryUsage() const;
  size_t node_count() const { return nodes_.size() - free_nodes_.size(); }
  // Nodes that keep a cached top-k list of their subtree (the branches).
  size_t cached_node_count() const { return branch_count_; }

  // Sizes of the parts (nodes, labels, caches, child blocks) for tuning and INFO.
  std::string DebugStats() const;

  // Verifies every invariant above by brute force; returns a description of the first
  // violation or an empty string. For tests.
  std::string CheckInvariants() const;

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  static constexpr uint32_t kRoot = 0;

  // 16 bytes. payload is, by flags: the node's child block in child_pool_ (kBranch: the node
  // has children; its frequency, if a term, lives in branch_freqs_), an index into big_freqs_
  // (kBigFreq: a leaf frequency beyond 32 bits), or the leaf's frequency itself, the common case.
  struct Node {
    uint32_t parent = kNone;
    uint32_t label_off = 0;
    uint32_t payload = 0;
    uint16_t label_len = 0;
    uint8_t first_byte = 0;  // label's first byte, kept here so lookups stay in the node
    uint8_t flags : 7 = 0;
    // memo_ holds a rendering for this node that still stands; set by reads, hence mutable.
    mutable uint8_t rendered : 1 = 0;
  };
  static constexpr uint8_t kTerm = 1, kBranch = 2, kBigFreq = 4;

  // What only nodes with children need, at the head of their child block: most nodes are
  // leaves (one per term), so keeping this out of Node saves 12 bytes on each of them, and
  // keeping it with the children makes a step down the trie read one block, not a branch
  // record and then a block. A leaf's count is its own term, its cache none.
  struct Branch {
    uint32_t count = 0;      // terms in this subtree
    uint32_t cache = kNone;  // slot in caches_, present iff count > kCacheSize
    uint32_t nchildren = 0;  // at least 1: a node left without children is a leaf again
  };
  static constexpr uint32_t kBranchWords = sizeof(Branch) / sizeof(uint32_t);
  bool IsTerm(uint32_t n) const { return nodes_[n].flags & kTerm; }
  bool HasBranch(uint32_t n) const { return nodes_[n].flags & kBranch; }
  int64_t Freq(uint32_t n) const {
    const Node& node = nodes_[n];
    if (node.flags & kBranch) {
      auto it = branch_freqs_.find(n);
      return it == branch_freqs_.end() ? 0 : it->second;
    }
    if (node.flags & kBigFreq) return big_freqs_[node.payload];
    return node.payload;
  }
  void SetFreq(uint32_t n, int64_t f);
  uint32_t NChildren(uint32_t n) const { return HasBranch(n) ? B(n).nchildren : 0; }
  uint32_t Count(uint32_t n) const { return HasBranch(n) ? B(n).count : IsTerm(n) ? 1 : 0; }
  uint32_t Cache(uint32_t n) const { return HasBranch(n) ? B(n).cache : kNone; }
  // REQUIRES: HasBranch(n). The reference lasts until the pool grows or the block moves
  // (NewBlock, AttachChild, DetachChild). Branch is three uint32_t over the pool's uint32_t.
  Branch& B(uint32_t n) { return *reinterpret_cast<Branch*>(&child_pool_[nodes_[n].payload]); }
  const Branch& B(uint32_t n) const {
    return *reinterpret_cast<const Branch*>(&child_pool_[nodes_[n].payload]);
  }
  // Makes n a branch with one child: its count Count(n), its frequency moved to branch_freqs_.
  void NewBranch(uint32_t n, uint32_t child);
  // Makes n, whose last child left, a leaf again.
  void FreeBranch(uint32_t n);

  std::string_view Label(uint32_t n) const {
    return std::string_view(labels_.data() + nodes_[n].label_off, nodes_[n].label_len);
  }
  uint32_t FindChild(uint32_t n, uint8_t byte) const;
  // Whether bytes[1, len) equal c's label's, its first byte having matched in FindChild: the
  // label bytes are not read for a one-byte label, which most nodes above the leaves have.
  bool RestOfLabelMatches(uint32_t c, const char* bytes, size_t len) const {
    return len <= 1 ||
           std::memcmp(bytes + 1, labels_.data() + nodes_[c].label_off + 1, len - 1) == 0;
  }
  uint32_t FirstChild(uint32_t n) const;
  uint32_t NextSibling(uint32_t n) const;  // the next child of n's parent, or kNone
  // The node whose path is term, or kNone. Also reports the deepest node whose whole path
  // matched term's first *depth bytes, where an insertion resumes.
  uint32_t FindNode(std::string_view term, uint32_t* deepest = nullptr,
                    size_t* depth = nullptr) const;
  // Top node of prefix's subtree, or kNone; *path_len gets the bytes on that node's path.
  uint32_t Locus(std::string_view prefix, size_t* path_len = nullptr) const;
  // Locus through memo_'s loci: a repeated prefix skips the walk down.
  uint32_t RememberedLocus(std::string_view prefix, size_t* path_len = nullptr) const;
  // The locus's term (its whole path) into *out, from the prefix that led to it.
  void LocusPath(std::string_view prefix, uint32_t locus, size_t path_len, std::string* out) const;
  uint32_t NewNode();
  void FreeNode(uint32_t n);
  void AttachChild(uint32_t parent, uint32_t child);  // keeps siblings sorted by first byte
  void ReplaceChild(uint32_t parent, uint32_t old_child, uint32_t new_child);
  void DetachChild(uint32_t parent, uint32_t child);
  uint32_t AppendLabel(std::string_view bytes);
  void SetLabel(uint32_t n, uint32_t off, uint32_t len);
  // Inserts term below n, whose path is term's first pos bytes. Returns the term's node.
  uint32_t Insert(std::string_view term, int64_t freq, uint32_t n, size_t pos);
  void Remove(uint32_t n);
  // Rescale of a strictly increasing fn: rewrites frequencies in node order, no walk.
  void RescaleInOrder(const std::function<int64_t(int64_t)>& fn);
  // Update's two cases: the term at node n takes frequency f; the absent term is inserted at f
  // below deepest, whose path is its first depth bytes.
  int64_t SetTermFreq(uint32_t n, std::string_view term, int64_t f);
  int64_t InsertTerm(std::string_view term, int64_t f, uint32_t deepest, size_t depth);
  void MergeWithOnlyChild(uint32_t n);
  void MaybeCompactLabels();

  // VisitTopK's search for k <= kCacheSize, or a locus without a cache: the results' nodes into
  // *ids and the locus's term into *locus_path (both thread-local scratch). Returns the locus,
  // kNone when nothing matches, or kBestFirst when k needs TopK's best-first search.
  static constexpr uint32_t kBestFirst = UINT32_MAX - 1;
  uint32_t RankedUnder(std::string_view prefix, size_t k, const std::vector<uint32_t>** ids,
                       const std::string** locus_path) const;
  // Label bytes on the path from top (excluded) down to n, top's subtree holding n.
  size_t SizeBelow(uint32_t n, uint32_t top) const;
  // SizeBelow for each of ids into *sizes, the climbs interleaved; prefetches the labels.
  void SizesBelow(const std::vector<uint32_t>& ids, uint32_t top, std::vector<size_t>* sizes) const;
  // Writes those bytes so that they end just before end.
  void SpellBelow(uint32_t n, uint32_t top, char* end) const;
  // Term of node n (its full path) into *out.
  void PathOf(uint32_t n, std::string* out) const;
  // The same for n in top's subtree, given top's path: climbs only up to top.
  void PathBelow(uint32_t n, uint32_t top, std::string_view top_path, std::string* out) const;
  bool TermRanksBefore(uint32_t a, uint32_t b) const;
  bool BytewiseLess(uint32_t a, uint32_t b) const;  // a's term before b's term
  // Appends the best k terms of the subtrees (disjoint) and the terms (outside them) together,
  // in ranking order: best-first over one stream per subtree, each its cache in order and past
  // it its own term and its children's streams.
  void BestOf(const std::vector<uint32_t>& subtrees, const std::vector<uint32_t>& terms, size_t k,
              std::vector<ScoredTerm>* out) const;
  // Appends the terms of n's subtree in bytewise order.
  void Enumerate(uint32_t n, std::vector<uint32_t>* out) const;
  // The subtree's terms in ranking order, at most limit of them: the cache when there is one,
  // else a walk of the (small) subtree.
  void Ranked(uint32_t n, size_t limit, std::vector<uint32_t>* out) const;

  // Child blocks hold the Branch, then exactly nchildren entries: the first bytes (padded to
  // whole words), then the ids. Adding or removing a child moves the node to a block of the new
  // size; blocks are small, and exact sizes save a fifth of the pool over power-of-two
  // capacities.
  static uint32_t BlockWords(uint32_t capacity) {
    return kBranchWords + (capacity + 3) / 4 + capacity;
  }
  uint8_t* ChildBytes(uint32_t n) {
    return reinterpret_cast<uint8_t*>(&child_pool_[nodes_[n].payload + kBranchWords]);
  }
  const uint8_t* ChildBytes(uint32_t n) const {
    return reinterpret_cast<const uint8_t*>(&child_pool_[nodes_[n].payload + kBranchWords]);
  }
  uint32_t* ChildIds(uint32_t n) {
    return &child_pool_[nodes_[n].payload + kBranchWords + (B(n).nchildren + 3) / 4];
  }
  const uint32_t* ChildIds(uint32_t n) const {
    return &child_pool_[nodes_[n].payload + kBranchWords + (B(n).nchildren + 3) / 4];
  }
  uint32_t NewBlock(uint32_t capacity);
  void FreeBlock(uint32_t block, uint32_t capacity);

  // Cache slots: caches_[slot * kSlotWidth] holds the length, then kCacheSize ids, then the
  // floor: FloorOf the last listed term's frequency. A term that rose to below
  // the floor was not listed and is not now, which Promote tells from this one word, without
  // reading the last term's node (a likely miss) for its frequency.
  static constexpr size_t kSlotWidth = kCacheSize + 2;
  static constexpr size_t kFloor = kCacheSize + 1;
  uint32_t* Slot(uint32_t slot) { return &caches_[static_cast<size_t>(slot) * kSlotWidth]; }
  const uint32_t* Slot(uint32_t slot) const {
    return &caches_[static_cast<size_t>(slot) * kSlotWidth];
  }
  uint32_t NewSlot();
  void FreeSlot(uint32_t slot);
  // Rebuilds n's cache from its own term and its children's lists.
  void Repair(uint32_t n);
  // Sets a cache's floor from its last term. REQUIRES: a full cache, as every cache is.
  void SetFloor(uint32_t* slot) const { slot[kFloor] = FloorOf(Freq(slot[kCacheSize])); }
  // A frequency's 32-bit summary, non-decreasing in it: the frequency itself below 2^31, above
  // that 2^31 plus its top bits (of a decaying key's stored double, the exponent and 19 bits
  // of mantissa), so a term whose summary is below a cache's floor ranks after its last term.
  static uint32_t FloorOf(int64_t f) {
    if (f <= INT32_MAX) return static_cast<uint32_t>(f);
    return 0x80000000u | static_cast<uint32_t>(static_cast<uint64_t>(f) >> 33);
  }
  // Where t belongs in the ranked ids [ids, end); and the shift that puts it there.
  // REQUIRES for InsertAt: room for one more id at end.
  uint32_t* RankedPosition(uint32_t* ids, uint32_t* end, uint32_t t) const;
  static void InsertAt(uint32_t* pos, uint32_t* end, uint32_t t);
  // After term t rose (or appeared) in n's subtree: put it in n's cache if it belongs there.
  // Returns true when the cached list changed.
  bool Promote(uint32_t n, uint32_t t);
  // After term t fell in n's subtree: reorder n's cache, repairing it when an unseen term may
  // now belong. REQUIRES: t still a term. Returns true when the cached list may have changed.
  bool Demote(uint32_t n, uint32_t t);
  // A write below n may have reordered n's terms: n's kept rendering no longer stands.
  void ForgetRendered(uint32_t n) {
    if (!nodes_[n].rendered) return;
    nodes_[n].rendered = 0;
    memo_.Drop(n);
  }
  // Brings n's cache in line with its count: creates (by repair) or drops it.
  // Returns true when the cache was (re)built.
  bool SyncCacheWithCount(uint32_t n);

  std::vector<Node> nodes_;
  std::vector<uint32_t> free_nodes_;
  uint64_t frees_ = 0;  // nodes ever freed: a remembered locus holds only while this stands
  std::string labels_;
  size_t live_label_bytes_ = 0;
  std::vector<uint32_t> caches_;
  std::vector<uint32_t> free_slots_;
  std::vector<int64_t> big_freqs_;
  // Frequencies of terms that have children ("app" below "apple"): a few in a thousand terms
  // in English-like data, so a map beats 8 bytes in every Branch.
  std::unordered_map<uint32_t, int64_t> branch_freqs_;
  std::vector<uint32_t> free_big_freqs_;
  size_t branch_count_ = 0;  // nodes with children
  std::vector<uint32_t> child_pool_;
  std::vector<uint32_t> free_blocks_[257];     // by size, 1..256 children
  mutable std::vector<size_t> sizes_scratch_;  // VisitTopK's, reused (the trie is one thread's)
  mutable TopKMemo memo_;
  std::unordered_map<std::string, std::string, StringHash, std::equal_to<>> payloads_;
  size_t payload_bytes_ = 0;  // what payloads_'s nodes take, for MemoryUsage without a walk
  static size_t PayloadNodeBytes(const std::string& term, const std::string& payload) {
    // The node: both strings, the next link and the cached hash; and what spills out of SSO.
    auto heap = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; };
    return 2 * sizeof(std::string) + 16 + heap(term) + heap(payload);
  }
  void DropPayload(std::string_view term) {
    if (payloads_.empty()) return;
    if (auto it = payloads_.find(term); it != payloads_.end()) {
      payload_bytes_ -= PayloadNodeBytes(it->first, it->second);
      payloads_.erase(it);
    }
  }
  mutable uint32_t last_access_ = 0;
  mutable uint64_t accesses_ = 0;
  Decay decay_;
};

template <typename Next>
OpResult<int64_t> Trie::Update(std::string_view term, Next&& next) {
  size_t depth = 0;
  uint32_t deepest = kRoot;
  uint32_t n = FindNode(term, &deepest, &depth);
  bool present = n != kNone && IsTerm(n);
  OpResult<int64_t> f = next(present ? Freq(n) : int64_t{0});
  if (!f) return f;
  return present ? SetTermFreq(n, term, *f) : InsertTerm(term, *f, deepest, depth);
}

template <typename OnCount, typename OnTerm>
void Trie::VisitTopK(std::string_view prefix, size_t k, OnCount&& count, OnTerm&& term) const {
  const std::vector<uint32_t>* ids = nullptr;
  const std::string* locus_path = nullptr;
  uint32_t locus = k == 0 ? kNone : RankedUnder(prefix, k, &ids, &locus_path);
  if (locus == kNone) {
    count(size_t{0});
    return;
  }
  if (locus == kBestFirst) {
    std::vector<ScoredTerm> items;
    TopK(prefix, k, &items);
    count(items.size());
    for (const ScoredTerm& s : items) {
      term(s.freq, s.term.size(),
           [&s](char* dst) { std::memcpy(dst, s.term.data(), s.term.size()); });
    }
    return;
  }
  // Every size first: the climbs prefetch the labels the spelling then reads.
  SizesBelow(*ids, locus, &sizes_scratch_);
  count(ids->size());
  size_t above = locus_path->size();
  for (size_t i = 0; i < ids->size(); ++i) {
    uint32_t id = (*ids)[i];
    size_t size = above + sizes_scratch_[i];
    term(Freq(id), size, [&, id, size](char* dst) {
      if (above != 0) std::memcpy(dst, locus_path->data(), above);
      SpellBelow(id, locus, dst + size);
    });
  }
}

}  // namespace typeahead::storage
