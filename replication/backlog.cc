#include "replication/backlog.h"

#include <algorithm>
#include <cstring>

namespace typeahead::replication {

void Backlog::Append(std::string_view bytes) {
  end_ += bytes.size();
  size_t cap = ring_.size();
  if (cap == 0) return;
  if (bytes.size() >= cap) {
    bytes.remove_prefix(bytes.size() - cap);
    std::memcpy(ring_.data(), bytes.data(), cap);
    head_ = 0;
    size_ = cap;
    return;
  }
  size_t first = std::min(bytes.size(), cap - head_);
  std::memcpy(ring_.data() + head_, bytes.data(), first);
  std::memcpy(ring_.data(), bytes.data() + first, bytes.size() - first);
  head_ = (head_ + bytes.size()) % cap;
  size_ = std::min(cap, size_ + bytes.size());
}

void Backlog::Reset(uint64_t end) {
  head_ = size_ = 0;
  end_ = end;
}

void Backlog::Resize(size_t capacity) {
  if (capacity == ring_.size()) return;
  std::string kept = size_ == 0 ? std::string() : CopyFrom(first_byte_offset());
  uint64_t end = end_;
  ring_.assign(capacity, '\0');
  Reset(end - kept.size());
  Append(kept);
}

std::string Backlog::CopyFrom(uint64_t from) const {
  size_t n = static_cast<size_t>(end_ + 1 - from);
  std::string out(n, '\0');
  if (n == 0) return out;
  size_t cap = ring_.size();
  size_t start = (head_ + cap - n) % cap;
  size_t first = std::min(n, cap - start);
  std::memcpy(out.data(), ring_.data() + start, first);
  std::memcpy(out.data() + first, ring_.data(), n - first);
  return out;
}

}  // namespace typeahead::replication
