#include "server/shard_batch.h"

#include <algorithm>

#include "protocol/reply_builder.h"
#include "server/monitor.h"
#include "server/ranked_read.h"
#include "server/shard.h"

namespace typeahead::server {
namespace {
// WarmPaths's terms, reused; per thread, as the shards' parts of one batch run in parallel.
thread_local std::vector<std::string_view> t_warm;
}  // namespace

ShardBatch::ShardBatch(ShardSet& shards, Shard& home, boost::asio::steady_timer& wake,
                       SlowLogClient client)
    : shards_(shards), home_(home), wake_(wake), client_(client) {
  size_t n = shards.size();  // fixed for the server's life
  shard_out_.resize(n);
  durable_need_.resize(n);
  involved_.resize(n);
  hops_ = std::make_unique<Hop[]>(n);
  for (size_t i = 0; i < n; ++i) {
    Hop& h = hops_[i];
    h.go.hop = h.back.hop = &h;
    h.back.complete = &HopBack;
    h.batch = this;
    h.shard = i;
  }
}

void ShardBatch::Add(const CommandSpec* spec, size_t shard, Args args) {
  pending_.push_back({spec, shard, args_.size(), args.size()});
  args_.insert(args_.end(), args.begin(), args.end());
}

void ShardBatch::RunOn(Shard& s, std::string& out) {
  protocol::ReplyBuilder r(&out);
  r.set_resp3(resp3_);
  r.set_error_counts(&s.stats().errors);
  uint64_t log_end = s.journal().end();
  WarmPaths(s);
  for (Pending& p : pending_) {
    if (p.shard != s.id()) continue;
    p.reply_begin = out.size();
    p.ok = RunOnShard(*p.spec, s, Args(&args_[p.arg_begin], p.arg_count), r);
    p.reply_end = out.size();
  }
  if (s.journal().end() != log_end) durable_need_[s.id()] = s.journal().end();
}

void ShardBatch::WarmPaths(Shard& s) {
  // Runs of commands on one dictionary, warmed a run at a time. A run of one has no other walk
  // to overlap with: it costs not even the dictionary's lookup, so unpipelined commands pay
  // nothing for this.
  std::string_view key;
  std::vector<std::string_view>& warm = t_warm;
  auto flush = [&] {
    if (warm.size() > 1) {
      if (const storage::Trie* dict = s.partition().Find(key)) dict->WarmPaths(warm);
    }
    warm.clear();
  };
  for (const Pending& p : pending_) {
    if (p.shard != s.id() || !(p.spec->flags & kWalksTerm) || p.arg_count < 3) continue;
    std::string_view k = args_[p.arg_begin + 1];
    if (k != key || warm.size() == storage::Trie::kWarmWalks) {
      flush();
      key = k;
    }
    warm.push_back(args_[p.arg_begin + 2]);
  }
  flush();
}

bool ShardBatch::RunHere(std::string& out, bool resp3, Clock::time_point& clock_mark) {
  if (pending_.empty()) return true;
  for (const Pending& p : pending_) {
    if (p.shard != home_.id()) return false;
  }
  resp3_ = resp3;
  RunOn(home_, out);
  Account(clock_mark);
  return true;
}

void ShardBatch::Start(bool resp3) {
  resp3_ = resp3;
  std::fill(involved_.begin(), involved_.end(), false);
  for (const Pending& p : pending_) involved_[p.shard] = true;
  // Remote shards start first and run in parallel with the home part; each reports back
  // through the home shard's mailbox, and the last one wakes the waiter through the timer.
  wake_.expires_at(boost::asio::steady_timer::time_point::max());
  hops_left_ = 0;
  for (size_t i = 0; i < shards_.size(); ++i) {
    if (!involved_[i] || i == home_.id()) continue;
    ++hops_left_;
    hops_[i].go.complete = &RunHop;
    shards_[i].mailbox().Push(&hops_[i].go);
  }
  if (involved_[home_.id()]) RunOn(home_, shard_out_[home_.id()]);
}

void ShardBatch::Finish(std::string& out, Clock::time_point& clock_mark) {
  for (const Pending& p : pending_) {
    out.append(shard_out_[p.shard], p.reply_begin, p.reply_end - p.reply_begin);
  }
  for (std::string& b : shard_out_) {
    b.clear();
    if (b.capacity() > kKeepBytes) std::string().swap(b);
  }
  Account(clock_mark);
}

void ShardBatch::Account(Clock::time_point& clock_mark) {
  // The batch's time is shared evenly among its commands.
  auto now = Clock::now();
  uint64_t nsec = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - clock_mark).count());
  clock_mark = now;
  ShardStats& stats = home_.stats();
  uint64_t share = nsec / pending_.size();
  for (const Pending& p : pending_) {
    CommandStat& stat = stats.commands[p.spec->stat_index];
    ++stats.commands_processed;
    ++stat.calls;
    stat.nsec += share;
    if (!p.ok) ++stat.failed_calls;
    Args args(&args_[p.arg_begin], p.arg_count);
    home_.NoteCommandTime(*p.spec, args, share, client_);
    if (shards_.monitors() > 0) FeedMonitors(shards_, *p.spec, *client_.addr, args);
  }
  pending_.clear();
  args_.clear();
}

void ShardBatch::RunHop(MailboxTask* task, bool run) {
  if (!run) return;
  Hop& hop = *static_cast<HopTask*>(task)->hop;
  ShardBatch& b = *hop.batch;
  b.RunOn(b.shards_[hop.shard], b.shard_out_[hop.shard]);
  b.home_.mailbox().Push(&hop.back);
}

void ShardBatch::HopBack(MailboxTask* task, bool run) {
  if (run) static_cast<HopTask*>(task)->hop->batch->HopFinished();
}

void ShardBatch::HopFinished() {
  if (--hops_left_ == 0) wake_.cancel();
}

bool ShardBatch::DurabilityDue() const {
  return durable_all_ || std::any_of(durable_need_.begin(), durable_need_.end(),
                                     [](uint64_t need) { return need != 0; });
}

void ShardBatch::DurableHop(MailboxTask* task, bool run) {
  if (!run) return;
  Hop& hop = *static_cast<HopTask*>(task)->hop;
  hop.batch->WaitDurableOn(hop);
}

void ShardBatch::WaitDurableOn(Hop& hop) {
  Journal& journal = shards_[hop.shard].journal();
  Hop* h = &hop;
  journal.WhenDurable(hop.need == 0 ? journal.end() : hop.need, [h] {
    ShardBatch& b = *h->batch;
    if (h->shard == b.home_.id()) {
      b.HopFinished();
    } else {
      b.home_.mailbox().Push(&h->back);
    }
  });
}

void ShardBatch::StartDurable() {
  wake_.expires_at(boost::asio::steady_timer::time_point::max());
  hops_left_ = 0;
  for (size_t i = 0; i < shards_.size(); ++i) {
    uint64_t need = durable_need_[i];
    durable_need_[i] = 0;
    if (need == 0 && !durable_all_) continue;
    ++hops_left_;
    Hop& hop = hops_[i];
    hop.need = need;
    if (i == home_.id()) {
      // A local journal may already be durable: then HopFinished runs inside WhenDurable.
      WaitDurableOn(hop);
    } else {
      hop.go.complete = &DurableHop;
      shards_[i].mailbox().Push(&hop.go);
    }
  }
  durable_all_ = false;
}

}  // namespace typeahead::server
