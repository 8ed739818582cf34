#include "storage/partition.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

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
  DropIfEmpty(it);
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
    DropIfEmpty(it);
    return result;
  }
  // The payload differs from the term's: a term there before or after changes either way.
  bool changed = existed || *result != 0;
  if (*result != 0) dict.SetPayload(term, payload);
  DropIfEmpty(it);
  if (changed) Emit(Mutation::Suggest(key, term, delta, payload));
  return result;
}

OpResult<int64_t> Partition::Add(std::string_view key, std::string_view term, int64_t delta,
                                 int64_t at_ms, Decay* decay, double* score) {
  auto it = keys_.find(key);
  if (it == keys_.end() || !it->second.decay().on()) {
    if (decay != nullptr) *decay = Decay();
    return IncrByAt(it, key, term, delta);
  }
  Trie& dict = it->second;
  const bool timed = at_ms != kNoTime;
  if (!timed) at_ms = WallClockMs();
  OpResult<int64_t> result = 0;
  if (delta == 0) {
    result = dict.Score(term).value_or(0);
  } else {
    if (int64_t m = dict.decay().RebaseBy(at_ms); m > 0) {
      // Whole half-lives, so every stored value is divided by a power of two: exact, and every
      // order and tie stays. A replay meets the same record and rebases the same way.
      Decay d = dict.decay();
      d.shift += m;
      ShiftDown(key, &dict, m, d);
    }
    double grown = ScaleAt(dict.decay(), at_ms).Grown(static_cast<double>(delta));
    BeforeTermChange(key, term);
    if (clock_ != nullptr) dict.Touch(*clock_);
    bool changed = false;
    result = dict.Update(term, [&](int64_t f) -> OpResult<int64_t> {
      double v = (f == 0 ? 0.0 : DecodeStored(f)) + grown;
      if (v > DBL_MAX) return OpStatus::kOverflow;
      int64_t next = Storable(v) ? EncodeStored(v) : 0;
      changed = next != f;
      return next;
    });
    if (changed) {
      Mutation m = Mutation::Increment(key, term, delta);
      m.at_ms = at_ms;
      Emit(m);
    }
  }
  if (decay != nullptr) *decay = dict.decay();
  if (score != nullptr && result) {
    int64_t now = timed ? WallClockMs() : at_ms;
    *score = *result == 0 ? 0.0 : ScaleAt(dict.decay(), now).Score(DecodeStored(*result));
  }
  return result;
}

const Decay::Scale& Partition::ScaleAt(const Decay& decay, int64_t t_ms) {
  if (t_ms != scale_memo_.t_ms || !(decay == scale_memo_.decay)) {
    scale_memo_ = {decay, t_ms, decay.ScaleAt(t_ms)};
  }
  return scale_memo_.scale;
}

void Partition::Rescale(std::string_view key, Trie* dict, const std::function<int64_t(int64_t)>& fn,
                        const Decay& decay, bool strict) {
  if (!observers_.empty()) {
    Trie copy = *dict;
    BeforeKeyDropped(key, &copy);
  }
  dict->Rescale(fn, strict);
  dict->set_decay(decay);
}

void Partition::ShiftDown(std::string_view key, Trie* dict, int64_t m, const Decay& decay) {
  int down = static_cast<int>(-std::min<int64_t>(m, 4096));  // beyond, every value is gone
  Rescale(
      key, dict,
      [down](int64_t f) {
        double v = std::ldexp(DecodeStored(f), down);
        return Storable(v) ? EncodeStored(v) : 0;
      },
      decay, /*strict=*/true);
}

void Partition::SetDecay(std::string_view key, int64_t half_life_ms, int64_t at_ms) {
  auto it = keys_.find(key);
  Decay was = it == keys_.end() ? Decay() : it->second.decay();
  if (half_life_ms == was.half_life_ms) return;  // a repeat (or 0 on a key that counts)
  Decay next{.half_life_ms = half_life_ms, .epoch_ms = half_life_ms == 0 ? 0 : at_ms};
  if (it == keys_.end()) {
    it = keys_.emplace(std::string(key), Trie()).first;
    it->second.set_decay(next);
  } else if (!was.on()) {  // counts become the scores at at_ms: exactly, up to 2^53
    std::vector<ScoredTerm> top;
    it->second.TopK("", 1, &top);
    bool exact = top.empty() || top[0].freq <= (int64_t{1} << 53);
    Rescale(
        key, &it->second, [](int64_t f) { return EncodeStored(static_cast<double>(f)); }, next,
        exact);
  } else if (next.on()) {  // each score at at_ms is the new stored value
    Rescale(
        key, &it->second,
        [then = was.ScaleAt(at_ms)](int64_t f) {
          double v = then.Score(DecodeStored(f));
          return Storable(v) ? EncodeStored(v) : 0;
        },
        next);
  } else {  // each score at at_ms rounded is the new count
    Rescale(
        key, &it->second,
        [then = was.ScaleAt(at_ms)](int64_t f) {
          double v = std::round(then.Score(DecodeStored(f)));
          return v >= 9.2e18 ? INT64_MAX : static_cast<int64_t>(v);
        },
        next);
    DropIfEmpty(it);
  }
  Mutation m = Mutation::Decay(key, half_life_ms, at_ms);
  Emit(m);
}

void Partition::AdoptDecay(std::string_view key, const Decay& decay) {
  auto it = keys_.find(key);
  if (it == keys_.end()) {
    if (!decay.on()) return;
    it = keys_.emplace(std::string(key), Trie()).first;
  }
  Trie& dict = it->second;
  const Decay& was = dict.decay();
  bool same_clock =
      was.on() && was.half_life_ms == decay.half_life_ms && was.epoch_ms == decay.epoch_ms;
  if (!same_clock || dict.empty()) {
    dict.set_decay(decay);
  } else if (decay.shift > was.shift) {
    ShiftDown(key, &dict, decay.shift - was.shift, decay);
  }
  DropIfEmpty(it);
}

OpResult<int64_t> Partition::Restore(std::string_view key, std::string_view term, int64_t freq,
                                     std::string_view payload, int64_t shift) {
  auto it = keys_.find(key);
  if (it != keys_.end() && it->second.decay().on() && it->second.decay().shift != shift) {
    int64_t up = std::clamp<int64_t>(shift - it->second.decay().shift, -4096, 4096);
    double v = std::ldexp(DecodeStored(freq), static_cast<int>(up));
    if (!Storable(v)) return int64_t{0};
    freq = EncodeStored(v);
  }
  return Suggest(key, term, freq, payload);
}

size_t Partition::EraseTerms(std::string_view key, std::span<const std::string_view> terms) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return 0;
  erased_.clear();
  for (std::string_view term : terms) {
    BeforeTermChange(key, term);
    if (it->second.Erase(term)) erased_.push_back(term);
  }
  DropIfEmpty(it);
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
      return Add(m.key, m.term, m.delta, m.at_ms);
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
    case MutationKind::kDecay:
      SetDecay(m.key, m.delta, m.at_ms);
      return int64_t{1};
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
