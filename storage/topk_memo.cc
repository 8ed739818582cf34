#include "storage/topk_memo.h"

#include <algorithm>
#include <bit>
#include <cstring>

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

bool TopKMemo::Keep(uint32_t node, uint32_t k, std::string_view bytes, size_t terms) {
  if (bytes.empty() || bytes.size() > kMaxBytes || k > UINT16_MAX) return false;
  size_t want = SlotsFor(terms);
  // Grows as the trie does; gives back only at a quarter, so a trie near a boundary does not
  // flap between sizes, each change dropping every entry.
  if (want > slots_.size() || want * 4 < slots_.size()) {
    std::vector<Slot>().swap(slots_);
    slots_.resize(want);
    shift_ = want == 0 ? 64 : 64 - std::countr_zero(want);
  }
  if (slots_.empty()) return false;
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
