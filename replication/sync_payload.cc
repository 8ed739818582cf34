#include "replication/sync_payload.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "storage/fixed_bytes.h"

namespace typeahead::replication {
using storage::GetFixed;
using storage::PutFixed;

namespace {

constexpr char kMagic[8] = {'T', 'A', 'H', 'S', 'Y', 'N', 'C', '1'};
constexpr uint8_t kPartitionTag = 1, kDataTag = 2, kEndTag = 3, kResumeTag = 4;
constexpr uint32_t kMaxPartitions = 4096;

}  // namespace

std::string PayloadHeader(uint32_t partitions) {
  std::string out(kMagic, sizeof(kMagic));
  PutFixed(&out, partitions);
  return out;
}

std::string PayloadResume(int64_t partition, uint32_t partitions, uint64_t seq, uint64_t skip) {
  std::string out(1, static_cast<char>(kResumeTag));
  PutFixed(&out, partition);
  PutFixed(&out, partitions);
  PutFixed(&out, seq);
  PutFixed(&out, skip);
  return out;
}

std::string PayloadPartition(uint32_t partition, uint64_t cut) {
  std::string out(1, static_cast<char>(kPartitionTag));
  PutFixed(&out, partition);
  PutFixed(&out, cut);
  return out;
}

std::string PayloadData(std::string_view bytes) {
  std::string out(1, static_cast<char>(kDataTag));
  PutFixed(&out, static_cast<uint32_t>(bytes.size()));
  out.append(bytes);
  return out;
}

std::string PayloadEnd(std::string_view mark) {
  std::string out(1, static_cast<char>(kEndTag));
  out.append(mark);
  return out;
}

bool SyncPayloadDecoder::Fail(std::string what) {
  if (error_.empty()) error_ = "bad full-sync payload: " + std::move(what);
  return false;
}

size_t SyncPayloadDecoder::Feed(std::string_view input) {
  size_t used = 0;
  // Gathers `need` bytes of a fixed-size field into pending_; true when complete.
  auto gather = [&](size_t need) {
    size_t take = std::min(need - pending_.size(), input.size() - used);
    pending_.append(input.substr(used, take));
    used += take;
    return pending_.size() == need;
  };
  while (!done_ && error_.empty() && used < input.size()) {
    if (!have_header_) {
      if (!gather(12)) break;
      if (std::memcmp(pending_.data(), kMagic, 8) != 0) {
        Fail("not a typeahead payload");
        break;
      }
      uint32_t n = GetFixed<uint32_t>(pending_.data() + 8);
      if (n == 0 || n > kMaxPartitions) {
        Fail(fmt::format("{} partitions", n));
        break;
      }
      parts_.resize(n);
      have_header_ = true;
      pending_.clear();
    } else if (data_left_ > 0) {
      size_t take = std::min(data_left_, input.size() - used);
      parts_[current_].snapshot.append(input.substr(used, take));
      used += take;
      data_left_ -= take;
    } else if (in_end_) {
      if (!gather(mark_.size())) break;
      if (pending_ != mark_) {
        Fail("the end mark does not match");
        break;
      }
      done_ = true;
    } else {
      auto tag = static_cast<uint8_t>(pending_.empty() ? input[used] : pending_[0]);
      size_t size = tag == kPartitionTag ? 13 : tag == kDataTag ? 5 : tag == kResumeTag ? 29 : 1;
      if (tag != kPartitionTag && tag != kDataTag && tag != kEndTag && tag != kResumeTag) {
        Fail(fmt::format("unknown chunk {}", tag));
        break;
      }
      if (!gather(size)) break;
      if (tag == kPartitionTag) {
        uint32_t p = GetFixed<uint32_t>(pending_.data() + 1);
        if (p >= parts_.size() || parts_[p].seen) {
          Fail(fmt::format("partition {} out of place", p));
          break;
        }
        current_ = p;
        parts_[p].seen = true;
        parts_[p].cut = GetFixed<uint64_t>(pending_.data() + 5);
      } else if (tag == kResumeTag) {
        resume_.partition = GetFixed<int64_t>(pending_.data() + 1);
        resume_.partitions = GetFixed<uint32_t>(pending_.data() + 9);
        resume_.seq = GetFixed<uint64_t>(pending_.data() + 13);
        resume_.skip = GetFixed<uint64_t>(pending_.data() + 21);
        if (resume_.partition >= 0 && resume_.partition >= resume_.partitions) {
          Fail("bad resume point");
          break;
        }
      } else if (tag == kDataTag) {
        if (current_ < 0) {
          Fail("data before any partition");
          break;
        }
        data_left_ = GetFixed<uint32_t>(pending_.data() + 1);
      } else {
        for (const Part& part : parts_) {
          if (!part.seen) {
            Fail("a partition is missing");
            break;
          }
        }
        in_end_ = true;
      }
      pending_.clear();
    }
  }
  return used;
}

}  // namespace typeahead::replication
