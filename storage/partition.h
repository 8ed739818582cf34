// Partition owns, for every autocomplete key, the terms whose routing rule (storage/routing.h)
// maps to it. A key exists in a partition only while it has at least one term there; a key
// exists in the server when any partition has it.
// Not thread-safe: only its own thread touches it.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "storage/trie.h"

namespace typeahead::storage {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class Partition {
 public:
  using KeyMap = std::unordered_map<std::string, Trie, StringHash, std::equal_to<>>;

  Trie* Find(std::string_view key);
  const Trie* Find(std::string_view key) const;
  Trie& FindOrCreate(std::string_view key);
  // Drops the key when its dictionary became empty. Call after every removal of terms.
  void EraseIfEmpty(std::string_view key);
  bool Erase(std::string_view key);
  // Moves key's dictionary to new_key, replacing whatever new_key held. Returns false when key
  // is absent (nothing changes then).
  bool Rename(std::string_view key, std::string_view new_key);
  void Clear() { keys_.clear(); }

  const KeyMap& keys() const { return keys_; }
  size_t term_count() const;
  size_t MemoryUsage() const;

 private:
  KeyMap keys_;
};

}  // namespace typeahead::storage
