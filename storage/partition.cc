#include "storage/partition.h"

namespace typeahead::storage {

Trie* Partition::Find(std::string_view key) {
  auto it = keys_.find(key);
  return it == keys_.end() ? nullptr : &it->second;
}

const Trie* Partition::Find(std::string_view key) const {
  auto it = keys_.find(key);
  return it == keys_.end() ? nullptr : &it->second;
}

Trie& Partition::FindOrCreate(std::string_view key) {
  auto it = keys_.find(key);
  if (it == keys_.end()) it = keys_.emplace(std::string(key), Trie()).first;
  return it->second;
}

void Partition::EraseIfEmpty(std::string_view key) {
  auto it = keys_.find(key);
  if (it != keys_.end() && it->second.empty()) keys_.erase(it);
}

bool Partition::Erase(std::string_view key) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return false;
  keys_.erase(it);
  return true;
}

bool Partition::Rename(std::string_view key, std::string_view new_key) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return false;
  if (key == new_key) return true;
  Trie moved = std::move(it->second);
  keys_.erase(it);
  keys_.insert_or_assign(std::string(new_key), std::move(moved));
  return true;
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
