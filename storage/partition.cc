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
  return IncrByAt(keys_.find(key), key, term, delta);
}

OpResult<int64_t> Partition::IncrByAt(KeyMap::iterator it, std::string_view key,
                                      std::string_view term, int64_t delta) {
  if (delta == 0) {
    return it == keys_.end() ? int64_t{0} : it->second.Score(term).value_or(0);
  }
  if (it == keys_.end() && delta < 0) return int64_t{0};  // nothing to remove, nothing to create
  BeforeTermChange(key, term);
  if (it == keys_.end()) it = keys_.emplace(std::string(key), Trie()).first;
  Trie& dict = it->second;
  if (clock_ != nullptr) dict.Touch(*clock_);
  size_t before = dict.size();
  auto result = dict.IncrBy(term, delta);
  if (!result) return result;
  // A negative delta on an absent term changes nothing; on a present one it lowers or removes.
  bool changed = *result != 0 || dict.size() != before;
  if (dict.empty()) Drop(it);
  if (changed) Emit(Mutation::Increment(key, term, delta));
  return result;
}

OpResult<int64_t> Partition::Suggest(std::string_view key, std::string_view term, int64_t delta,
                                     std::string_view payload) {
  auto it = keys_.find(key);
  std::string_view current = it == keys_.end() ? std::string_view() : it->second.Payload(term);
  if (current == payload) return IncrByAt(it, key, term, delta);  // the payload stays
  if (it == keys_.end() && delta <= 0) return int64_t{0};         // nothing to create
  BeforeTermChange(key, term);
  if (it == keys_.end()) it = keys_.emplace(std::string(key), Trie()).first;
  Trie& dict = it->second;
  if (clock_ != nullptr) dict.Touch(*clock_);
  bool existed = dict.Score(term).has_value();
  auto result = dict.IncrBy(term, delta);
  if (!result) {
    if (dict.empty()) Drop(it);
    return result;
  }
  // The payload differs from the term's: a term there before or after changes either way.
  bool changed = existed || *result != 0;
  if (*result != 0) dict.SetPayload(term, payload);
  if (dict.empty()) Drop(it);
  if (changed) Emit(Mutation::Suggest(key, term, delta, payload));
  return result;
}

size_t Partition::EraseTerms(std::string_view key, std::span<const std::string_view> terms) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return 0;
  erased_.clear();
  for (std::string_view term : terms) {
    BeforeTermChange(key, term);
    if (it->second.Erase(term)) erased_.push_back(term);
  }
  if (it->second.empty()) Drop(it);
  if (!erased_.empty()) Emit(Mutation::EraseTerms(key, erased_));
  return erased_.size();
}

void Partition::Drop(KeyMap::iterator it) {
  BeforeKeyDropped(it->first, &it->second);
  keys_.erase(it);
}

size_t Partition::EraseKeys(std::span<const std::string_view> keys, std::vector<bool>* found) {
  if (found != nullptr) found->assign(keys.size(), false);
  erased_.clear();
  for (size_t i = 0; i < keys.size(); ++i) {
    auto it = keys_.find(keys[i]);
    if (it == keys_.end()) continue;
    Drop(it);
    erased_.push_back(keys[i]);
    if (found != nullptr) (*found)[i] = true;
  }
  if (!erased_.empty()) Emit(Mutation::EraseKeys(erased_));
  return erased_.size();
}

bool Partition::Rename(std::string_view key, std::string_view new_key) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return false;
  if (key == new_key) return true;
  BeforeKeyMoved(key);
  Trie moved = std::move(it->second);
  keys_.erase(it);
  if (auto old = keys_.find(new_key); old != keys_.end()) Drop(old);
  keys_.emplace(std::string(new_key), std::move(moved));
  Emit(Mutation::Rename(key, new_key));
  return true;
}

void Partition::Clear() {
  DropAll();
  Emit(Mutation::Clear());
}

void Partition::DropAll() {
  if (!observers_.empty()) {
    for (auto& [key, dict] : keys_) BeforeKeyDropped(key, &dict);
  }
  keys_.clear();
}

void Partition::Replace(Partition&& other) {
  DropAll();
  keys_ = std::move(other.keys_);
  other.keys_.clear();
}

OpResult<int64_t> Partition::Apply(const Mutation& m) {
  switch (m.kind) {
    case MutationKind::kIncrement:
      return IncrBy(m.key, m.term, m.delta);
    case MutationKind::kSuggest:
      return Suggest(m.key, m.term, m.delta, m.payload);
    case MutationKind::kEraseTerms:
      return static_cast<int64_t>(EraseTerms(m.key, m.names));
    case MutationKind::kEraseKeys:
      return static_cast<int64_t>(EraseKeys(m.names));
    case MutationKind::kRename:
      if (Rename(m.key, m.new_key)) return int64_t{1};
      return static_cast<int64_t>(Erase(m.new_key));
    case MutationKind::kClear:
      Clear();
      return int64_t{0};
  }
  return int64_t{0};
}

size_t Partition::term_count() const {
  size_t n = 0;
  for (const auto& [key, dict] : keys_) n += dict.size();
  return n;
}

namespace {
// A hash node: the key string (with its heap buffer when longer than 15 bytes), the Trie and
// the node's link and cached hash.
size_t EntryBytes(std::string_view key, const Trie& dict) {
  return sizeof(std::string) + (key.size() > 15 ? key.size() + 1 : 0) + 16 + dict.MemoryUsage();
}
}  // namespace

size_t Partition::MemoryUsage() const {
  size_t n = 0;
  for (const auto& [key, dict] : keys_) n += EntryBytes(key, dict);
  return n + keys_.bucket_count() * sizeof(void*);  // and the bucket array
}

size_t Partition::KeyMemoryUsage(std::string_view key) const {
  const Trie* dict = Find(key);
  return dict == nullptr ? 0 : EntryBytes(key, *dict);
}

}  // namespace typeahead::storage
