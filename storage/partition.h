// Partition owns, for every autocomplete key, the terms whose routing rule (storage/routing.h)
// maps to it. A key exists in a partition only while it has at least one term there, or
// decays (ACDECAY sets that on every partition, so a trending dictionary keeps its half-life
// while empty); a key exists in the server when any partition has it.
//
// Frequencies are what the trie stores: integer counts, or for a decaying key the bits of
// the scaled scores storage/decay.h describes. IncrBy and Suggest add to the stored value as
// it is (loading, the integer commands); Add is a use at an event time, whatever the key is.
// Every change goes through the mutators below, which tell the attached ChangeObservers
// (snapshots in progress: a checkpoint, a replica's full sync) before anything changes, so each
// can save what it has not written yet, and tell the MutationSink (the journal) after it
// changed, with the mutation that redoes it (storage/mutation.h): a mutator that changes
// nothing emits nothing, and one that changes something emits exactly one mutation.
// Not thread-safe: only its own thread touches it.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/mutation.h"
#include "storage/trie.h"

namespace typeahead::storage {

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
  // IncrBy that also sets the term's payload (empty: none) when the term is there afterwards.
  // Emits kSuggest when the payload changed, else as IncrBy does.
  OpResult<int64_t> Suggest(std::string_view key, std::string_view term, int64_t delta,
                            std::string_view payload);
  // A use of term by delta at event time at_ms (kNoTime: none given, now then):
  // IncrBy on a key that does not decay; on one that does, delta grown to the stored scale
  // (Decay::Grown) is added to the stored score, after a rebase when at_ms is far past the
  // epoch, and the term goes when its score is no longer positive. Returns the new stored
  // frequency (0 when removed or not inserted); the change is emitted with its event time.
  // *decay (may be null) gets the key's decay afterwards, off for a key that does not decay;
  // for a key that decays, *score (may be null) the term's score now afterwards (at the
  // write's own time when it named none), 0 when it went.
  OpResult<int64_t> Add(std::string_view key, std::string_view term, int64_t delta, int64_t at_ms,
                        Decay* decay = nullptr, double* score = nullptr);
  // ACDECAY: from at_ms on, key's scores decay with half_life_ms (0: they stop decaying). Each
  // term keeps its score at at_ms: the counts of a key that did not decay become scores; a
  // decaying key's scores are rescaled to the new half-life, or at 0 rounded to the nearest
  // integer count (terms rounding to 0 go). A missing key is created empty when it will decay.
  // A half-life the key already has changes nothing. One pass over the key's terms.
  void SetDecay(std::string_view key, int64_t half_life_ms, int64_t at_ms);
  // Loading (a snapshot, a full sync, a key moving between partitionings): gives key the
  // decay, creating it empty when absent. Where the key decays already with the same
  // half-life and epoch (its part from another source partition), it keeps the larger shift,
  // its stored values divided down to it. Emits nothing.
  void AdoptDecay(std::string_view key, const Decay& decay);
  // Loading: Suggest of a stored frequency read from a source whose decay of key had the
  // given shift, brought to this partition's (a decaying key's parts from several source
  // partitions are on their own scales). A value too small for this scale is no score: the
  // term is not loaded.
  OpResult<int64_t> Restore(std::string_view key, std::string_view term, int64_t freq,
                            std::string_view payload, int64_t shift);
  // Removes term from key's dictionary; false when it was not there.
  bool EraseTerm(std::string_view key, std::string_view term) {
    return EraseTerms(key, std::span(&term, 1)) == 1;
  }
  // Removes each of terms from key's dictionary; returns how many were there.
  size_t EraseTerms(std::string_view key, std::span<const std::string_view> terms);
  bool Erase(std::string_view key) { return EraseKeys(std::span(&key, 1)) == 1; }
  // Drops each of keys; returns how many were there, and sets (*found)[i] when keys[i] was.
  size_t EraseKeys(std::span<const std::string_view> keys, std::vector<bool>* found = nullptr);
  // Moves key's dictionary to new_key, replacing whatever new_key held. Returns false when key
  // is absent (nothing changes then).
  bool Rename(std::string_view key, std::string_view new_key);
  // Drops every key. Emits kClear even when there was none, as FLUSHALL replicates in Redis.
  void Clear();
  // Drops everything and takes other's keys instead (a replica's full sync). Emits nothing:
  // what follows a full sync is a checkpoint, not a log of it.
  void Replace(Partition&& other);
  // Applies a mutation as the mutators above would (log replay, a replica's stream, the
  // RENAME handler on each partition): a rename whose key is absent drops new_key.
  OpResult<int64_t> Apply(const Mutation& m);

  // Where mutations go from now on; nullptr (the default) for none. A partition being loaded
  // (recovery, a full sync's staging copy) has none, so loading logs nothing.
  // The coarse clock (seconds) IncrBy stamps its dictionary with (Trie::Touch); null: none
  // (loading, tests).
  void set_clock(const uint32_t* clock) { clock_ = clock; }
  void set_sink(MutationSink* sink) { sink_ = sink; }
  MutationSink* sink() const { return sink_; }

  void AddObserver(ChangeObserver* observer) { observers_.push_back(observer); }
  void RemoveObserver(ChangeObserver* observer);

  const KeyMap& keys() const { return keys_; }
  size_t term_count() const;
  size_t MemoryUsage() const;
  // What key's part here takes (its hash node, name and dictionary), 0 when absent: MEMORY
  // USAGE.
  size_t KeyMemoryUsage(std::string_view key) const;

 private:
  void BeforeTermChange(std::string_view key, std::string_view term) {
    for (ChangeObserver* o : observers_) o->BeforeTermChange(key, term);
  }
  void BeforeKeyMoved(std::string_view key) {
    for (ChangeObserver* o : observers_) o->BeforeKeyMoved(key);
  }
  void BeforeKeyDropped(std::string_view key, Trie* dict);
  void Emit(const Mutation& m) {
    if (sink_ != nullptr) sink_->Apply(m);
  }
  // IncrBy on the key it points to (end(): absent), found once by IncrBy or Suggest.
  OpResult<int64_t> IncrByAt(KeyMap::iterator it, std::string_view key, std::string_view term,
                             int64_t delta);
  // Drops a key without emitting: the mutator that calls it emits what it did as a whole.
  void Drop(KeyMap::iterator it);
  // Drops it when its dictionary is empty and does not decay.
  void DropIfEmpty(KeyMap::iterator it) {
    if (it->second.empty() && !it->second.decay().on()) Drop(it);
  }
  void DropAll();
  // Replaces each stored frequency of *dict by fn's, telling observers first (as a drop: they
  // keep a copy of the old dictionary), then sets its decay. strict: as Trie::Rescale's.
  void Rescale(std::string_view key, Trie* dict, const std::function<int64_t(int64_t)>& fn,
               const Decay& decay, bool strict = false);
  // Rescale dividing every stored value by 2^m (exact: a value that would leave the normal
  // doubles goes), the decay then being decay, whose shift is m more.
  void ShiftDown(std::string_view key, Trie* dict, int64_t m, const Decay& decay);

  // Decay::ScaleAt of decay at t_ms, kept for the next call with the same both: a pipeline's
  // writes within one millisecond (and their replies' scores) compute it once.
  const Decay::Scale& ScaleAt(const Decay& decay, int64_t t_ms);

  KeyMap keys_;
  struct ScaleMemo {
    Decay decay;
    int64_t t_ms = kNoTime;
    Decay::Scale scale;
  } scale_memo_;
  std::vector<ChangeObserver*> observers_;
  MutationSink* sink_ = nullptr;
  const uint32_t* clock_ = nullptr;
  std::vector<std::string_view> erased_;  // reused by EraseTerms and EraseKeys
};

}  // namespace typeahead::storage
