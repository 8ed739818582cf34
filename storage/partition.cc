#include "storage/partition.h"

namespace typeahead::storage {

const Trie* Partition::Find(std::string_view key) const {
  auto it = keys_.find(key);
  return it == keys_.end() ? nullptr : &it->second;
}

OpResult<int64_t> Partition::IncrBy(std::string_view key, std::string_view term, int64_t delta) {
  if (observer_ != nullptr) observer_->BeforeTermChange(key, term);
  auto it = keys_.find(key);
  if (it == keys_.end()) {
    if (delta <= 0) return int64_t{0};  // nothing to remove, nothing to create
    it = keys_.emplace(std::string(key), Trie()).first;
  }
  auto result = it->second.IncrBy(term, delta);
  if (it->second.empty()) Erase(key);
  return result;
}

bool Partition::EraseTerm(std::string_view key, std::string_view term) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return false;
  if (observer_ != nullptr) observer_->BeforeTermChange(key, term);
  bool erased = it->second.Erase(term);
  if (it->second.empty()) Erase(key);
  return erased;
}

bool Partition::Erase(std::string_view key) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return false;
  if (observer_ != nullptr) observer_->BeforeKeyDropped(key, &it->second);
  keys_.erase(it);
  return true;
}

bool Partition::Rename(std::string_view key, std::string_view new_key) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return false;
  if (key == new_key) return true;
  if (observer_ != nullptr) observer_->BeforeKeyMoved(key);
  Trie moved = std::move(it->second);
  keys_.erase(it);
  Erase(new_key);
  keys_.emplace(std::string(new_key), std::move(moved));
  return true;
}

void Partition::Clear() {
  if (observer_ != nullptr) {
    for (auto& [key, dict] : keys_) observer_->BeforeKeyDropped(key, &dict);
  }
  keys_.clear();
}

size_t Partition::term_count() const {
  size_t n = 0;
  for (const auto& [key, dict] : keys_) n += dict.size();
  return n;
}

size_t Partition::MemoryUsage() const {
  size_t n = 0;
  // A hash node: the key string (with its heap buffer when longer than 15 bytes), the Trie
  // and the node's link and cached hash; then the bucket array.
  for (const auto& [key, dict] : keys_) {
    n += sizeof(std::string) + (key.size() > 15 ? key.size() + 1 : 0) + 16 + dict.MemoryUsage();
  }
  n += keys_.bucket_count() * sizeof(void*);
  return n;
}

}  // namespace typeahead::storage
