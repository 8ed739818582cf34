// SLOWLOG and LATENCY: what each shard recorded of slow commands (server/slowlog.h) and of
// latency spikes (server/latency_monitor.h), gathered from every shard and merged.

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <set>

#include "protocol/ascii.h"
#include "protocol/number.h"
#include "server/command_table.h"
#include "server/errors.h"
#include "server/info.h"
#include "server/server.h"
#include "server/shard.h"

namespace typeahead::server {
namespace {
using boost::asio::awaitable;

awaitable<void> SlowlogGet(CommandContext& cx, Args args) {
  int64_t count = 10;
  if (args.size() == 3) {
    if (!protocol::ParseInt64(args[2], &count)) co_return cx.Error(errors::kNotInteger);
    if (count < -1) co_return cx.Error(errors::kSlowlogCountRange);
  }
  // The newest slowlog-max-len (what one log of that length would hold), at most count: no
  // shard has more than that many among them, so each copies only its newest that many.
  size_t want = static_cast<size_t>(cx.shard.config().slowlog_max_len);
  if (count >= 0) want = std::min(want, static_cast<size_t>(count));
  auto logs = co_await cx.server.shards().RunAll([want](Shard& s) {
    const auto& entries = s.slowlog().entries();  // newest first
    return std::vector<SlowLogEntry>(
        entries.begin(),
        entries.begin() + static_cast<std::ptrdiff_t>(std::min(want, entries.size())));
  });
  std::vector<const SlowLogEntry*> all;
  for (const auto& log : logs) {
    for (const SlowLogEntry& e : log) all.push_back(&e);
  }
  std::sort(all.begin(), all.end(), [](auto* a, auto* b) { return a->id > b->id; });
  size_t n = std::min(all.size(), want);
  cx.reply.Array(n);
  for (size_t i = 0; i < n; ++i) {
    const SlowLogEntry& e = *all[i];
    cx.reply.Array(6);
    cx.reply.Integer(static_cast<int64_t>(e.id));
    cx.reply.Integer(e.unix_time);
    cx.reply.Integer(static_cast<int64_t>(e.usec));
    cx.reply.Array(e.args.size());
    for (const std::string& a : e.args) cx.reply.Bulk(a);
    cx.reply.Bulk(e.addr);
    cx.reply.Bulk(e.name);
  }
}

awaitable<void> SlowlogLen(CommandContext& cx, Args) {
  auto sizes =
      co_await cx.server.shards().RunAll([](Shard& s) { return s.slowlog().entries().size(); });
  size_t total = 0;
  for (size_t n : sizes) total += n;
  total = std::min(total, static_cast<size_t>(cx.shard.config().slowlog_max_len));
  cx.reply.Integer(static_cast<int64_t>(total));
}

awaitable<void> SlowlogReset(CommandContext& cx, Args) {
  co_await cx.server.shards().ForEach([](Shard& s) { s.slowlog().Reset(); });
  cx.reply.Ok();
}

awaitable<std::map<std::string, LatencySeries>> MergedLatency(CommandContext& cx) {
  co_return MergeLatency(
      co_await cx.server.shards().RunAll([](Shard& s) { return s.latency().Series(); }));
}

awaitable<void> LatencyLatest(CommandContext& cx, Args) {
  auto merged = co_await MergedLatency(cx);
  cx.reply.Array(merged.size());
  for (const auto& [name, s] : merged) {
    cx.reply.Array(4);
    cx.reply.Bulk(name);
    cx.reply.Integer(s.samples.empty() ? 0 : s.samples.back().unix_time);
    cx.reply.Integer(s.samples.empty() ? 0 : static_cast<int64_t>(s.samples.back().ms));
    cx.reply.Integer(static_cast<int64_t>(s.max_ms));
  }
}

awaitable<void> LatencyHistory(CommandContext& cx, Args args) {
  auto merged = co_await MergedLatency(cx);
  auto it = merged.find(std::string(args[2]));
  if (it == merged.end()) co_return cx.reply.Array(0);
  cx.reply.Array(it->second.samples.size());
  for (const LatencySample& s : it->second.samples) {
    cx.reply.Array(2);
    cx.reply.Integer(s.unix_time);
    cx.reply.Integer(static_cast<int64_t>(s.ms));
  }
}

awaitable<void> LatencyReset(CommandContext& cx, Args args) {
  std::vector<std::string> names(args.begin() + 2, args.end());
  auto removed =
      co_await cx.server.shards().RunAll([&names](Shard& s) { return s.latency().Reset(names); });
  std::set<std::string> events;  // an event counts once, however many shards had it
  for (const auto& gone : removed) events.insert(gone.begin(), gone.end());
  cx.reply.Integer(static_cast<int64_t>(events.size()));
}

// Each command's calls and the cumulative count of its times at or below 1, 2, 4, 8, ...
// microseconds (1024 ns doubling), as Redis's histogram_usec; only the steps that add calls.
void ReplyHistogram(protocol::ReplyBuilder& r, const LatencyHistogram& h) {
  std::vector<std::pair<int64_t, int64_t>> steps;
  uint64_t previous = 0;
  for (uint64_t top = 1024; previous < h.total() && top <= 2 * LatencyHistogram::kMaxNs; top *= 2) {
    uint64_t n = h.CountUpTo(top - 1);
    if (n > previous) steps.emplace_back(static_cast<int64_t>(top / 1000), n);
    previous = n;
  }
  r.Map(2);
  r.Bulk("calls");
  r.Integer(static_cast<int64_t>(h.total()));
  r.Bulk("histogram_usec");
  r.Map(steps.size());
  for (auto [usec, n] : steps) {
    r.Integer(usec);
    r.Integer(n);
  }
}

awaitable<void> LatencyHistogramCommand(CommandContext& cx, Args args) {
  auto latency = co_await GatherCommandLatency(cx.server.shards());
  const auto& specs = CommandTable::Get().all();
  std::vector<size_t> chosen;  // stat indexes, each once, in the order asked (or table order)
  for (size_t i = 0; i < specs.size() && i < latency.size(); ++i) {
    if (args.size() == 2 && latency[i] != nullptr) chosen.push_back(i);
  }
  for (size_t a = 2; a < args.size(); ++a) {
    std::string name = ToLower(args[a]);
    for (size_t i = 0; i < specs.size() && i < latency.size(); ++i) {
      if (specs[i]->name == name && latency[i] != nullptr &&
          std::find(chosen.begin(), chosen.end(), i) == chosen.end()) {
        chosen.push_back(i);
      }
    }
  }
  cx.reply.Map(chosen.size());
  for (size_t i : chosen) {
    cx.reply.Bulk(specs[i]->name);
    ReplyHistogram(cx.reply, *latency[i]);
  }
}

// Our own report: per event its spikes, their mean and worst, and how often they came.
awaitable<void> LatencyDoctor(CommandContext& cx, Args) {
  auto merged = co_await MergedLatency(cx);
  std::string report;
  if (cx.shard.config().latency_monitor_threshold == 0 && merged.empty()) {
    report =
        "Latency monitoring is off: turn it on with CONFIG SET latency-monitor-threshold "
        "<milliseconds>, and events that take at least that long are recorded.\n";
  } else if (merged.empty()) {
    report = "No latency spike was recorded since the monitor was started or reset.\n";
  } else {
    report = "Latency spikes recorded, by event:\n\n";
    size_t i = 0;
    for (const auto& [name, s] : merged) {
      uint64_t sum = 0;
      for (const LatencySample& x : s.samples) sum += x.ms;
      double mean = s.samples.empty() ? 0 : static_cast<double>(sum) / s.samples.size();
      double period =
          s.samples.size() < 2
              ? 0
              : static_cast<double>(s.samples.back().unix_time - s.samples.front().unix_time) /
                    static_cast<double>(s.samples.size() - 1);
      report += fmt::format(
          "{}. {}: {} spikes in the seconds kept, mean {:.0f} ms, one every {:.1f} s; the "
          "worst since the start {} ms.\n",
          ++i, name, s.samples.size(), mean, period, s.max_ms);
    }
    if (merged.count("command") || merged.count("fast-command")) {
      report +=
          "\nSlow commands: SLOWLOG GET names them. ACTOPK with a large k, KEYS and SCAN "
          "over a large dictionary, and SAVE take long in proportion to what they walk.\n";
    }
  }
  cx.reply.Verbatim(report);
}

}  // namespace

CommandSpec SlowlogCommand() {
  constexpr uint32_t kFlags = kAdmin | kLoading | kStale;
  std::vector<CommandSpec> subs = {
      {
          .name = "slowlog|get",
          .arity = -2,
          .flags = kFlags,
          .group = "server",
          .since = "2.2.12",
          .summary = "Returns the slow log's entries.",
          .complexity = "O(N) where N is the number of entries returned",
          .args = {{"count", "integer", {}, true}},
          .help = {{"GET [<count>]",
                    {"Return the <count> newest entries (10 by default, -1 for every one):",
                     "id, Unix time, microseconds taken, arguments, client address and name."}}},
          .async = SlowlogGet,
      },
      {
          .name = "slowlog|len",
          .arity = 2,
          .flags = kFlags,
          .group = "server",
          .since = "2.2.12",
          .summary = "Returns the number of entries in the slow log.",
          .complexity = "O(1)",
          .help = {{"LEN", {"Return how many entries the slow log holds."}}},
          .async = SlowlogLen,
      },
      {
          .name = "slowlog|reset",
          .arity = 2,
          .flags = kFlags,
          .group = "server",
          .since = "2.2.12",
          .summary = "Clears all entries from the slow log.",
          .complexity = "O(N) where N is the number of entries in the slowlog",
          .help = {{"RESET", {"Empty the slow log."}}},
          .async = SlowlogReset,
      },
      {
          .name = "slowlog|help",
          .arity = 2,
          .flags = kLoading | kStale,
          .group = "server",
          .since = "6.2.0",
          .summary = "Show helpful text about the different subcommands",
          .complexity = "O(1)",
          .sync = ContainerHelp,
      },
  };
  return {
      .name = "slowlog",
      .arity = -2,
      .group = "server",
      .since = "2.2.12",
      .summary = "A container for slow log commands.",
      .complexity = "Depends on subcommand.",
      .subcommands = std::move(subs),
  };
}

CommandSpec LatencyCommand() {
  constexpr uint32_t kFlags = kAdmin | kNoScript | kLoading | kStale;
  std::vector<CommandSpec> subs = {
      {
          .name = "latency|doctor",
          .arity = 2,
          .flags = kFlags,
          .group = "server",
          .since = "2.8.13",
          .summary = "Returns a human-readable latency analysis report.",
          .complexity = "O(1)",
          .help = {{"DOCTOR", {"Return a report of the latency spikes recorded."}}},
          .async = LatencyDoctor,
      },
      {
          .name = "latency|histogram",
          .arity = -2,
          .flags = kFlags,
          .group = "server",
          .since = "7.0.0",
          .summary = "Returns the cumulative distribution of latencies of a subset or all "
                     "commands.",
          .complexity = "O(N) where N is the number of commands with latency information "
                        "being retrieved.",
          .args = {{"command", "string", {}, true, true}},
          .help = {{"HISTOGRAM [<command> ...]",
                    {"Return each named command's (or every command's) calls and their "
                     "cumulative distribution in microseconds."}}},
          .async = LatencyHistogramCommand,
      },
      {
          .name = "latency|history",
          .arity = 3,
          .flags = kFlags,
          .group = "server",
          .since = "2.8.13",
          .summary = "Returns timestamp-latency samples for an event.",
          .complexity = "O(1)",
          .args = {{"event", "string"}},
          .help = {{"HISTORY <event>", {"Return the <event>'s samples: Unix time, milliseconds."}}},
          .async = LatencyHistory,
      },
      {
          .name = "latency|latest",
          .arity = 2,
          .flags = kFlags,
          .group = "server",
          .since = "2.8.13",
          .summary = "Returns the latest latency samples for all events.",
          .complexity = "O(1)",
          .help = {{"LATEST", {"Return every event's latest sample and its worst."}}},
          .async = LatencyLatest,
      },
      {
          .name = "latency|reset",
          .arity = -2,
          .flags = kFlags,
          .group = "server",
          .since = "2.8.13",
          .summary = "Resets the latency data for one or more events.",
          .complexity = "O(1)",
          .args = {{"event", "string", {}, true, true}},
          .help = {{"RESET [<event> ...]",
                    {"Forget the named events (every event when none is named)."}}},
          .async = LatencyReset,
      },
      {
          .name = "latency|help",
          .arity = 2,
          .flags = kLoading | kStale,
          .group = "server",
          .since = "2.8.13",
          .summary = "Returns helpful text about the different subcommands.",
          .complexity = "O(1)",
          .sync = ContainerHelp,
      },
  };
  return {
      .name = "latency",
      .arity = -2,
      .group = "server",
      .since = "2.8.13",
      .summary = "A container for latency diagnostics commands.",
      .complexity = "Depends on subcommand.",
      .subcommands = std::move(subs),
  };
}

}  // namespace typeahead::server
