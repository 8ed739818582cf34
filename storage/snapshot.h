// Snapshots: one file per partition holding every key's terms and frequencies as of one
// instant (the cut), written while the partition goes on serving.
//
// Format (little-endian): a 32-byte header ("TAHSNAP1", version, partition, partitions,
// reserved, the partition's log offset at the cut); blocks of [raw length u32][compressed
// length u32][zstd frame]; an empty block; a trailer of key count u64, term count u64 and
// CRC-32C u32 of every byte before it. Inside the blocks: 0x01 <varint len><key> starts a run of a
// key's terms, 0x02 <varint shared><varint len><suffix><varint freq> is a term sharing its first
// `shared` bytes with the key's previous term, and 0x03 is the same followed by <varint len>
// <payload> for a term with a payload (a reader that predates payloads fails on it loudly).
// 0x04 <varint half-life ms><varint epoch ms><varint shift> right after a key record says the key
// decays (storage/decay.h) and its terms' frequencies are stored scores; a decaying key with no
// terms is a key record and this alone. A reader that predates decay fails on it loudly.
//
// Point-in-time without fork(): SnapshotWriter walks the partition a slice at a time
// (Step) and, as the partition's ChangeObserver, saves a term's old frequency before a change
// to a term it has not written yet, and takes over a whole dictionary that is about to be
// dropped. So the file holds exactly the state at the cut whatever happens between slices.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "storage/partition.h"

namespace typeahead::storage {

struct SnapshotInfo {
  uint32_t partition = 0, partitions = 1;
  uint64_t log_offset = 0;  // the partition's log end at the cut
  uint64_t keys = 0, terms = 0;
};

// The file being written: compresses and checksums blocks in order, then writes the trailer
// and commits the file (fsync, rename, directory fsync). Owned by one thread at a time, so
// the compression and the writes can run off the partition's thread.
// With an empty path the bytes collect in memory instead, for TakeOutput() (a replica's full
// sync streams them) and Finish() commits nothing.
class SnapshotFile {
 public:
  // Creates path + ".tmp" and writes the header; check error().
  SnapshotFile(std::string path, const SnapshotInfo& info);
  ~SnapshotFile();  // removes the temporary file unless committed
  SnapshotFile(const SnapshotFile&) = delete;
  SnapshotFile& operator=(const SnapshotFile&) = delete;

  void AppendBlock(std::string_view raw);
  // Writes the end block and trailer and commits the file; false with *error.
  bool Finish(uint64_t keys, uint64_t terms, std::string* error);
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }
  // In-memory mode: the bytes produced since the last call.
  std::string TakeOutput() { return std::exchange(memory_, {}); }

 private:
  void Write(std::string_view bytes);

  std::string path_, tmp_;
  int fd_ = -1;
  bool in_memory_ = false;
  std::string memory_;
  uint32_t crc_ = 0;
  std::string compressed_;
  std::string error_;
};

class SnapshotWriter final : public ChangeObserver {
 public:
  // Takes the cut now: attaches to *partition and creates the file. Check ok().
  SnapshotWriter(Partition* partition, std::string path, SnapshotInfo info);
  ~SnapshotWriter() override;  // detaches
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // Deferred: full blocks are kept for TakeBlocks() instead of being compressed and written
  // here, so a caller can do that on another thread (in order, on file()).
  void set_deferred(bool on) { deferred_ = on; }
  std::vector<std::string> TakeBlocks();

  // Serialises about budget more terms. Returns true when every term is serialised (or on
  // error); the writer has then detached from the partition. Then file()->Finish() with
  // info()'s counts completes the file, after any blocks taken were appended.
  bool Step(size_t budget);

  const std::shared_ptr<SnapshotFile>& file() const { return file_; }
  const SnapshotInfo& info() const { return info_; }

  // ChangeObserver
  void BeforeTermChange(std::string_view key, std::string_view term) override;
  void BeforeKeyDropped(std::string_view key, Trie* dict) override;
  void BeforeKeyMoved(std::string_view key) override;

 private:
  struct Entry {
    std::string key;
    std::unique_ptr<Trie> adopted;  // the dictionary as of the cut, once dropped from the map
    bool scanned = false, done = false;
    Decay decay;         // the dictionary's, as of the cut
    std::string cursor;  // last term written
    struct Before {
      int64_t freq = 0;  // 0: was absent
      std::string payload;
    };
    std::unordered_map<std::string, Before> before;  // terms as they were at the cut
  };
  // Writes up to budget terms of e; returns terms written.
  size_t Walk(Entry& e, size_t budget);
  void Emit(Entry& e, std::string_view term, int64_t freq, std::string_view payload);
  // Writes e's key record (and its decay) and makes it the open run.
  void OpenKey(Entry& e);
  Entry* Pending(std::string_view key);
  void WriteBlock();
  void Fail(std::string what);
  void Detach();

  Partition* partition_;
  SnapshotInfo info_;
  std::shared_ptr<SnapshotFile> file_;
  bool attached_ = false;
  bool deferred_ = false;
  std::vector<Entry> entries_;
  std::unordered_map<std::string_view, size_t> index_;  // views into entries_[i].key
  size_t current_ = 0;
  size_t open_entry_ = SIZE_MAX;  // the entry whose terms the stream is writing
  std::string raw_, last_term_;
  std::vector<std::string> ready_;
  std::string error_;
};

// Loads the snapshot at path into *into (normally empty). False with *error naming the file
// and what is wrong; *into may then hold part of it.
// What a load reports while it runs, read by other threads (INFO's loading_* fields): the
// bytes of the files read so far. term_delay_us slows every term and record by that many
// microseconds (key-load-delay, so tests can watch a load). Setting stop (from any thread)
// ends the load early with an error.
struct LoadProgress {
  std::atomic<uint64_t> bytes{0};
  std::atomic<bool> stop{false};
  int64_t term_delay_us = 0;
};
inline constexpr std::string_view kLoadStopped = "loading stopped";

// progress (may be null) counts the file's bytes as its blocks are decoded.
bool LoadSnapshot(const std::string& path, Partition* into, SnapshotInfo* info, std::string* error,
                  LoadProgress* progress = nullptr);

// Checks and decodes a whole snapshot held in memory (name is for messages), handing every
// term to sink(key, term, freq, payload), payload empty when none; sink returns false on a
// frequency overflow. Lets a replica spread a primary's partition over its own partitions.
using SnapshotSink =
    std::function<bool(std::string_view, std::string_view, int64_t, std::string_view)>;
// Told decay_sink(key, decay) for a decaying key before any of its terms (may be empty).
using DecaySink = std::function<void(std::string_view, const Decay&)>;
// done (may be null) counts the bytes of data decoded so far.
bool DecodeSnapshot(std::string_view data, std::string_view name, const SnapshotSink& sink,
                    const DecaySink& decay_sink, SnapshotInfo* info, std::string* error,
                    std::atomic<uint64_t>* done = nullptr);

// Writes a whole snapshot of *partition at once (start-up, tests): a writer run to the end.
bool WriteSnapshot(Partition* partition, const std::string& path, SnapshotInfo info,
                   std::string* error);

}  // namespace typeahead::storage
