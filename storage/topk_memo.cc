#include "storage/topk_memo.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>

#include "storage/huge_pages.h"

namespace typeahead::storage {

size_t TopKMemo::SlotsFor(size_t terms) {
  constexpr size_t kMinTerms = 1024, kTermsPerSlot = 128, kMaxSlots = 65536;
  if (terms < kMinTerms) return 0;
  return std::min(kMaxSlots, std::bit_ceil(terms / kTermsPerSlot));
}

std::string_view TopKMemo::Find(uint32_t node, uint32_t k) const {
  if (slots_.empty()) return {};
  const Slot& s = slots_[Index(node)];
  if (s.node != node || s.k != k) return {};
  ++hits_;
  return std::string_view(s.bytes, s.len);
}

bool TopKMemo::Fit(size_t terms) {
  size_t want = SlotsFor(terms);
  // Grows as the trie does; gives back only at a quarter, so a trie near a boundary does not
  // flap between sizes, each change dropping every entry.
  if (want > slots_.size() || want * 4 < slots_.size()) {
    // Probed at random: on huge pages far fewer probes miss the TLB (storage/huge_pages.h).
    std::vector<Slot>().swap(slots_);
    std::vector<Locus>().swap(loci_);
    ReserveOnHugePages(slots_, want);
    ReserveOnHugePages(loci_, want);
    slots_.resize(want);
    loci_.resize(want);
    shift_ = want == 0 ? 64 : 64 - std::countr_zero(want);
  }
  return !slots_.empty();
}

const TopKMemo::Locus* TopKMemo::FindLocus(std::string_view prefix) const {
  if (loci_.empty() || prefix.size() > kMaxPrefix) return nullptr;
  const Locus& e = loci_[Index(std::hash<std::string_view>{}(prefix))];
  if (e.prefix_len != prefix.size() || std::memcmp(e.prefix, prefix.data(), prefix.size()) != 0) {
    return nullptr;
  }
  return &e;
}

void TopKMemo::KeepLocus(std::string_view prefix, uint32_t node, size_t path_len, uint64_t frees,
                         size_t terms) {
  if (prefix.size() > kMaxPrefix || path_len > UINT16_MAX || !Fit(terms)) return;
  Locus& e = loci_[Index(std::hash<std::string_view>{}(prefix))];
  e.frees = frees;
  e.node = node;
  e.path_len = static_cast<uint16_t>(path_len);
  e.prefix_len = static_cast<uint8_t>(prefix.size());
  std::memcpy(e.prefix, prefix.data(), prefix.size());
}

bool TopKMemo::Keep(uint32_t node, uint32_t k, std::string_view bytes, size_t terms) {
  if (bytes.empty() || bytes.size() > kMaxBytes || k > UINT16_MAX) return false;
  if (!Fit(terms)) return false;
  Slot& s = slots_[Index(node)];
  s.node = node;
  s.k = static_cast<uint16_t>(k);
  s.len = static_cast<uint8_t>(bytes.size());
  std::memcpy(s.bytes, bytes.data(), bytes.size());
  return true;
}

void TopKMemo::Drop(uint32_t node) {
  if (slots_.empty()) return;
  Slot& s = slots_[Index(node)];
  if (s.node == node) s.node = UINT32_MAX;
}

}  // namespace typeahead::storage
