#include "storage/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "storage/crc32c.h"
#include "storage/file_util.h"
#include "storage/fixed_bytes.h"

namespace typeahead::storage {
namespace {

constexpr char kMagic[8] = {'T', 'A', 'H', 'S', 'N', 'A', 'P', '1'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 32, kTrailerSize = 20;
constexpr size_t kBlockBytes = 256 * 1024;
constexpr uint8_t kKeyTag = 1, kTermTag = 2, kPayloadTermTag = 3, kDecayTag = 4;

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view* in, uint64_t* v) {
  uint64_t r = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    auto b = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    r |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) {
      *v = r;
      return true;
    }
  }
  return false;
}

}  // namespace

SnapshotFile::SnapshotFile(std::string path, const SnapshotInfo& info)
    : path_(std::move(path)), tmp_(path_ + ".tmp"), in_memory_(path_.empty()) {
  if (!in_memory_) fd_ = open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (!in_memory_ && fd_ < 0) {
    error_ = fmt::format("can't create {}: {}", tmp_, strerror(errno));
    return;
  }
  std::string header(kMagic, sizeof(kMagic));
  PutFixed<uint32_t>(&header, kVersion);
  PutFixed<uint32_t>(&header, info.partition);
  PutFixed<uint32_t>(&header, info.partitions);
  PutFixed<uint32_t>(&header, 0);
  PutFixed<uint64_t>(&header, info.log_offset);
  Write(header);
}

SnapshotFile::~SnapshotFile() {
  if (fd_ >= 0) {
    close(fd_);
    unlink(tmp_.c_str());
  }
}

void SnapshotFile::Write(std::string_view bytes) {
  if (!error_.empty()) return;
  crc_ = Crc32cExtend(crc_, bytes.data(), bytes.size());
  if (in_memory_) {
    memory_.append(bytes);
    return;
  }
  if (int err = WriteAll(fd_, bytes); err != 0) {
    error_ = fmt::format("can't write {}: {}", tmp_, strerror(err));
  }
}

void SnapshotFile::AppendBlock(std::string_view raw) {
  if (raw.empty() || !error_.empty()) return;
  compressed_.resize(ZSTD_compressBound(raw.size()) + 8);
  size_t n =
      ZSTD_compress(compressed_.data() + 8, compressed_.size() - 8, raw.data(), raw.size(), 1);
  if (ZSTD_isError(n)) {
    error_ = fmt::format("zstd: {}", ZSTD_getErrorName(n));
    return;
  }
  auto raw_len = static_cast<uint32_t>(raw.size()), comp_len = static_cast<uint32_t>(n);
  std::memcpy(compressed_.data(), &raw_len, 4);
  std::memcpy(compressed_.data() + 4, &comp_len, 4);
  compressed_.resize(n + 8);
  Write(compressed_);
}

bool SnapshotFile::Finish(uint64_t keys, uint64_t terms, std::string* error) {
  std::string tail;
  PutFixed<uint32_t>(&tail, 0);
  PutFixed<uint32_t>(&tail, 0);
  PutFixed<uint64_t>(&tail, keys);
  PutFixed<uint64_t>(&tail, terms);
  Write(tail);
  PutFixed<uint32_t>(&tail, crc_);
  if (in_memory_ && error_.empty()) {
    memory_.append(tail, tail.size() - 4, 4);
    return true;
  }
  if (error_.empty()) {
    if (int err = WriteAll(fd_, std::string_view(tail).substr(tail.size() - 4)); err != 0) {
      error_ = fmt::format("can't write {}: {}", tmp_, strerror(err));
    }
  }
  if (!error_.empty()) {
    *error = error_;
    return false;
  }
  int fd = fd_;
  fd_ = -1;
  if (!CommitTempFile(fd, tmp_, path_, error)) {
    unlink(tmp_.c_str());
    return false;
  }
  return true;
}

SnapshotWriter::SnapshotWriter(Partition* partition, std::string path, SnapshotInfo info)
    : partition_(partition), info_(info), file_(std::make_shared<SnapshotFile>(path, info)) {
  if (!file_->error().empty()) {
    Fail(file_->error());
    return;
  }
  entries_.reserve(partition_->keys().size());
  for (const auto& [key, dict] : partition_->keys()) {
    entries_.emplace_back();
    entries_.back().key = key;
  }
  for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].key, i);
  partition_->AddObserver(this);
  attached_ = true;
}

SnapshotWriter::~SnapshotWriter() { Detach(); }

void SnapshotWriter::Detach() {
  if (attached_) partition_->RemoveObserver(this);
  attached_ = false;
}

void SnapshotWriter::Fail(std::string what) {
  if (error_.empty()) error_ = std::move(what);
  Detach();
}

SnapshotWriter::Entry* SnapshotWriter::Pending(std::string_view key) {
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;  // created after the cut
  Entry& e = entries_[it->second];
  // Written already, or the name now holds a dictionary created after the cut.
  if (e.done || e.adopted) return nullptr;
  return &e;
}

void SnapshotWriter::BeforeTermChange(std::string_view key, std::string_view term) {
  Entry* e = Pending(key);
  if (e == nullptr || (e->scanned && term <= std::string_view(e->cursor))) return;
  auto [it, first_change] = e->before.try_emplace(std::string(term));
  if (!first_change) return;  // keeps the value at the cut
  const Trie* dict = partition_->Find(key);
  if (dict == nullptr) return;
  it->second.freq = dict->Score(term).value_or(0);
  it->second.payload.assign(dict->Payload(term));
}

void SnapshotWriter::BeforeKeyDropped(std::string_view key, Trie* dict) {
  if (Entry* e = Pending(key)) e->adopted = std::make_unique<Trie>(std::move(*dict));
}

void SnapshotWriter::BeforeKeyMoved(std::string_view key) {
  // The dictionary lives on under another name, where later changes would not be seen as
  // changes to this key: write the rest of it now. Rare (RENAME during a snapshot).
  if (Entry* e = Pending(key)) {
    while (!e->done && ok()) Walk(*e, SIZE_MAX);
  }
}

void SnapshotWriter::OpenKey(Entry& e) {
  raw_.push_back(static_cast<char>(kKeyTag));
  PutVarint(&raw_, e.key.size());
  raw_.append(e.key);
  if (e.decay.on()) {
    raw_.push_back(static_cast<char>(kDecayTag));
    PutVarint(&raw_, static_cast<uint64_t>(e.decay.half_life_ms));
    PutVarint(&raw_, static_cast<uint64_t>(e.decay.epoch_ms));
    PutVarint(&raw_, static_cast<uint64_t>(e.decay.shift));
  }
  last_term_.clear();
  open_entry_ = static_cast<size_t>(&e - entries_.data());
  ++info_.keys;
}

void SnapshotWriter::Emit(Entry& e, std::string_view term, int64_t freq, std::string_view payload) {
  // A key record opens each run of a key's terms. A key finished out of turn (RENAME)
  // interrupts the run of the key being walked, which then opens again.
  if (static_cast<size_t>(&e - entries_.data()) != open_entry_) OpenKey(e);
  size_t shared = 0, limit = std::min(term.size(), last_term_.size());
  while (shared < limit && term[shared] == last_term_[shared]) ++shared;
  raw_.push_back(static_cast<char>(payload.empty() ? kTermTag : kPayloadTermTag));
  PutVarint(&raw_, shared);
  PutVarint(&raw_, term.size() - shared);
  raw_.append(term.substr(shared));
  PutVarint(&raw_, static_cast<uint64_t>(freq));
  if (!payload.empty()) {
    PutVarint(&raw_, payload.size());
    raw_.append(payload);
  }
  last_term_.assign(term);
  ++info_.terms;
  if (raw_.size() >= kBlockBytes) WriteBlock();
}

size_t SnapshotWriter::Walk(Entry& e, size_t budget) {
  const Trie* dict = e.adopted ? e.adopted.get() : partition_->Find(e.key);
  size_t given = 0;
  bool finished = true;
  if (dict != nullptr) {
    e.decay = dict->decay();  // as of the cut: a change of decay adopts the old dictionary
    // A decaying key exists while empty: its key record alone keeps its half-life.
    if (dict->empty() && e.decay.on() && !e.scanned) OpenKey(e);
    std::string after = e.cursor;  // the walk moves e.cursor
    finished = dict->Scan(after, !e.scanned, budget, [&](std::string_view term, int64_t f) {
      ++given;
      e.cursor.assign(term);
      e.scanned = true;
      if (auto it = e.before.empty() ? e.before.end() : e.before.find(e.cursor);
          it != e.before.end()) {
        // Changed since the cut: write what it was then.
        if (it->second.freq > 0) Emit(e, term, it->second.freq, it->second.payload);
        e.before.erase(it);
        return;
      }
      Emit(e, term, f, dict->Payload(term));
    });
  }
  if (finished) {
    // Terms the cut had but that were removed before the walk reached them.
    for (const auto& [term, was] : e.before) {
      if (was.freq > 0) Emit(e, term, was.freq, was.payload);
    }
    e.before.clear();
    e.adopted.reset();
    e.done = true;
  }
  return given;
}

bool SnapshotWriter::Step(size_t budget) {
  while (ok() && current_ < entries_.size()) {
    Entry& e = entries_[current_];
    if (e.done) {
      ++current_;
      continue;
    }
    size_t given = Walk(e, budget);
    if (!e.done) return false;
    ++current_;
    budget -= std::min(budget, given + 1);  // a key costs at least one
    if (budget == 0) return false;
  }
  WriteBlock();
  Detach();
  return true;
}

void SnapshotWriter::WriteBlock() {
  if (raw_.empty()) return;
  if (deferred_) {
    ready_.push_back(std::move(raw_));
    raw_ = std::string();
    raw_.reserve(kBlockBytes + 1024);
  } else {
    file_->AppendBlock(raw_);
    raw_.clear();
  }
}

std::vector<std::string> SnapshotWriter::TakeBlocks() {
  std::vector<std::string> out;
  out.swap(ready_);
  return out;
}

bool WriteSnapshot(Partition* partition, const std::string& path, SnapshotInfo info,
                   std::string* error) {
  SnapshotWriter w(partition, path, info);
  while (!w.Step(SIZE_MAX)) {
  }
  if (!w.ok()) {
    *error = w.error();
    return false;
  }
  return w.file()->Finish(w.info().keys, w.info().terms, error);
}

bool LoadSnapshot(const std::string& path, Partition* into, SnapshotInfo* info, std::string* error,
                  LoadProgress* progress) {
  auto data = ReadWholeFile(path, error);
  if (!data) return false;
  // The decay comes before the key's terms, so they load as the stored values they are.
  auto adopt = [into](std::string_view key, const Decay& d) { into->AdoptDecay(key, d); };
  if (progress == nullptr) {
    auto sink = [into](std::string_view key, std::string_view term, int64_t freq,
                       std::string_view payload) {
      return static_cast<bool>(into->Suggest(key, term, freq, payload));
    };
    return DecodeSnapshot(*data, path, sink, adopt, info, error);
  }
  auto sink = [into, progress](std::string_view key, std::string_view term, int64_t freq,
                               std::string_view payload) {
    if (progress->stop.load(std::memory_order_relaxed)) return false;
    if (progress->term_delay_us > 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(progress->term_delay_us));
    }
    return static_cast<bool>(into->Suggest(key, term, freq, payload));
  };
  bool ok = DecodeSnapshot(*data, path, sink, adopt, info, error, &progress->bytes);
  if (!ok && progress->stop.load(std::memory_order_relaxed)) *error = kLoadStopped;
  return ok;
}

bool DecodeSnapshot(std::string_view bytes, std::string_view name, const SnapshotSink& sink,
                    const DecaySink& decay_sink, SnapshotInfo* info, std::string* error,
                    std::atomic<uint64_t>* done) {
  const std::string_view* data = &bytes;
  auto bad = [&](std::string_view what) {
    *error = fmt::format("snapshot {} is damaged: {}", name, what);
    return false;
  };
  if (data->size() < kHeaderSize + 8 + kTrailerSize ||
      std::memcmp(data->data(), kMagic, sizeof(kMagic)) != 0) {
    return bad("not a typeahead snapshot");
  }
  if (GetFixed<uint32_t>(data->data() + 8) != kVersion) return bad("unknown format version");
  size_t body = data->size() - 4;
  if (Crc32cExtend(0, data->data(), body) != GetFixed<uint32_t>(data->data() + body)) {
    return bad("checksum mismatch");
  }
  info->partition = GetFixed<uint32_t>(data->data() + 12);
  info->partitions = GetFixed<uint32_t>(data->data() + 16);
  info->log_offset = GetFixed<uint64_t>(data->data() + 24);
  uint64_t keys = GetFixed<uint64_t>(data->data() + body - 16);
  uint64_t terms = GetFixed<uint64_t>(data->data() + body - 8);
  size_t pos = kHeaderSize;
  std::string raw, key, term;
  info->keys = info->terms = 0;
  while (true) {
    if (pos + 8 > body - 16) return bad("truncated block");
    uint32_t raw_len = GetFixed<uint32_t>(data->data() + pos);
    uint32_t comp_len = GetFixed<uint32_t>(data->data() + pos + 4);
    pos += 8;
    if (raw_len == 0) break;
    if (comp_len > body - 16 - pos) return bad("truncated block");
    raw.resize(raw_len);
    size_t n = ZSTD_decompress(raw.data(), raw.size(), data->data() + pos, comp_len);
    if (ZSTD_isError(n) || n != raw_len) return bad("a block does not decompress");
    pos += comp_len;
    std::string_view in(raw);
    // Progress in the file's bytes, a block's share as its entries are decoded: a block of
    // similar terms compresses a hundredfold, and one block may hold a whole partition.
    uint64_t block_bytes = comp_len + 8, reported = 0;
    auto report = [&] {
      uint64_t share = block_bytes * (raw.size() - in.size()) / raw.size();
      done->fetch_add(share - reported, std::memory_order_relaxed);
      reported = share;
    };
    size_t next_report = raw.size() - std::min<size_t>(raw.size(), 4096);
    while (!in.empty()) {
      if (done != nullptr && in.size() <= next_report) {
        report();
        next_report = in.size() - std::min<size_t>(in.size(), 4096);
      }
      auto tag = static_cast<uint8_t>(in.front());
      in.remove_prefix(1);
      uint64_t a, b, f;
      if (tag == kKeyTag) {
        if (!GetVarint(&in, &a) || a > in.size()) return bad("bad key entry");
        key.assign(in.substr(0, a));
        in.remove_prefix(a);
        term.clear();
        ++info->keys;
      } else if (tag == kDecayTag) {
        Decay d;
        if (!GetVarint(&in, &a) || !GetVarint(&in, &b) || !GetVarint(&in, &f) || a == 0 ||
            a > INT64_MAX || b > static_cast<uint64_t>(kMaxEventTime) || f > INT64_MAX ||
            !term.empty()) {
          return bad("bad decay entry");
        }
        d.half_life_ms = static_cast<int64_t>(a);
        d.epoch_ms = static_cast<int64_t>(b);
        d.shift = static_cast<int64_t>(f);
        if (decay_sink) decay_sink(key, d);
      } else if (tag == kTermTag || tag == kPayloadTermTag) {
        if (!GetVarint(&in, &a) || !GetVarint(&in, &b) || a > term.size() || b > in.size()) {
          return bad("bad term entry");
        }
        term.resize(a);
        term.append(in.substr(0, b));
        in.remove_prefix(b);
        if (!GetVarint(&in, &f) || f == 0 || f > INT64_MAX || term.empty()) {
          return bad("bad term entry");
        }
        std::string_view payload;
        if (tag == kPayloadTermTag) {
          if (!GetVarint(&in, &a) || a == 0 || a > in.size()) return bad("bad payload entry");
          payload = in.substr(0, a);
          in.remove_prefix(a);
        }
        if (!sink(key, term, static_cast<int64_t>(f), payload)) return bad("frequency overflow");
        ++info->terms;
      } else {
        return bad("unknown entry");
      }
    }
    if (done != nullptr) report();
  }
  if (pos != body - 16) return bad("bytes after the last block");
  if (keys != info->keys || terms != info->terms) return bad("counts do not match the trailer");
  return true;
}

}  // namespace typeahead::storage
