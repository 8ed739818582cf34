#include "storage/partition.h"

namespace typeahead::storage {

void Partition::RemoveObserver(ChangeObserver* observer) { std::erase(observers_, observer); }

void Partition::BeforeKeyDropped(std::string_view key, Trie* dict) {
  // An observer may move the dictionary out to keep it; every observer but the last gets a
  // copy, so two snapshots running at once (rare) both keep what they need.
  for (size_t i = 0; i + 1 < observers_.size(); ++i) {
    Trie copy = *dict;
    observers_[i]->BeforeKeyDropped(key, &copy);
  }
  if (!observers_.empty()) observers_.back()->BeforeKeyDropped(key, dict);
}

const Trie* Partition::Find(std::string_view key) const {
  auto it = keys_.find(key);
  return it == keys_.end() ? nullptr : &it->second;
}

OpResult<int64_t> Partition::IncrBy(std::string_view key, std::string_view term, int64_t delta) {
  BeforeTermChange(key, term);
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
  BeforeTermChange(key, term);
  bool erased = it->second.Erase(term);
  if (it->second.empty()) Erase(key);
  return erased;
}

bool Partition::Erase(std::string_view key) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return false;
  BeforeKeyDropped(key, &it->second);
  keys_.erase(it);
  return true;
}

bool Partition::Rename(std::string_view key, std::string_view new_key) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return false;
  if (key == new_key) return true;
  BeforeKeyMoved(key);
  Trie moved = std::move(it->second);
  keys_.erase(it);
  Erase(new_key);
  keys_.emplace(std::string(new_key), std::move(moved));
  return true;
}

void Partition::Clear() {
  if (!observers_.empty()) {
    for (auto& [key, dict] : keys_) BeforeKeyDropped(key, &dict);
  }
  keys_.clear();
}

void Partition::Replace(Partition&& other) {
  Clear();
  keys_ = std::move(other.keys_);
  other.keys_.clear();
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
