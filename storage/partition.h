// Partition owns, for every autocomplete key, the terms whose routing rule (storage/routing.h)
// maps to it. A key exists in a partition only while it has at least one term there; a key
// exists in the server when any partition has it.
// Every change goes through the mutators below, which tell the attached ChangeObservers
// (snapshots in progress: a checkpoint, a replica's full sync) before anything changes, so each
// can save what it has not written yet.
// Not thread-safe: only its own thread touches it.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/trie.h"

namespace typeahead::storage {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Told about a change before it happens, while the partition still holds the old state.
class ChangeObserver {
 public:
  virtual ~ChangeObserver() = default;
  virtual void BeforeTermChange(std::string_view key, std::string_view term) = 0;
  // key's dictionary is about to be dropped; the observer may move it out of *dict to keep it.
  virtual void BeforeKeyDropped(std::string_view key, Trie* dict) = 0;
  // key's dictionary is about to move to another name: it must not be taken.
  virtual void BeforeKeyMoved(std::string_view key) = 0;
};

class Partition {
 public:
  using KeyMap = std::unordered_map<std::string, Trie, StringHash, std::equal_to<>>;

  const Trie* Find(std::string_view key) const;

  // Trie::IncrBy on key's dictionary, creating the key when absent and dropping it when it
  // becomes empty.
  OpResult<int64_t> IncrBy(std::string_view key, std::string_view term, int64_t delta);
  // Removes term from key's dictionary; false when it was not there.
  bool EraseTerm(std::string_view key, std::string_view term);
  bool Erase(std::string_view key);
  // Moves key's dictionary to new_key, replacing whatever new_key held. Returns false when key
  // is absent (nothing changes then).
  bool Rename(std::string_view key, std::string_view new_key);
  void Clear();
  // Drops everything and takes other's keys instead (a replica's full sync).
  void Replace(Partition&& other);

  void AddObserver(ChangeObserver* observer) { observers_.push_back(observer); }
  void RemoveObserver(ChangeObserver* observer);

  const KeyMap& keys() const { return keys_; }
  size_t term_count() const;
  size_t MemoryUsage() const;

 private:
  void BeforeTermChange(std::string_view key, std::string_view term) {
    for (ChangeObserver* o : observers_) o->BeforeTermChange(key, term);
  }
  void BeforeKeyMoved(std::string_view key) {
    for (ChangeObserver* o : observers_) o->BeforeKeyMoved(key);
  }
  void BeforeKeyDropped(std::string_view key, Trie* dict);

  KeyMap keys_;
  std::vector<ChangeObserver*> observers_;
};

}  // namespace typeahead::storage
