// MEMORY and OBJECT: what one key costs and how it is used, and the memory report, as
// redis-cli --memkeys, --bigkeys and --hotkeys and operators ask for them. A key's parts are
// spread over every partition, so each of these asks every shard and adds the parts up.
//
// Access figures: each partition's dictionary is stamped with the shard's coarse clock on
// every read and write of the key (storage::Trie::Touch), and counts them; OBJECT IDLETIME is
// the seconds since the newest stamp, OBJECT FREQ an LFU-style logarithmic counter of the
// accesses (0 to 255), less one per minute idle, as Redis's LFU counter decays. We keep it
// whatever maxmemory-policy says (nothing is evicted), so --hotkeys works on every server.
#include <fmt/format.h>
#include <malloc.h>
#include <stdio.h>

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <cmath>
#include <map>

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

struct KeyFacts {
  bool found = false;
  size_t bytes = 0;
  uint32_t last_access = 0;
  uint64_t accesses = 0;
};

awaitable<KeyFacts> Facts(ShardSet& shards, std::string_view key) {
  auto parts = co_await shards.RunAll([key](Shard& s) {
    KeyFacts f;
    if (const storage::Trie* dict = s.partition().Find(key)) {
      f = {true, s.partition().KeyMemoryUsage(key), dict->last_access(), dict->accesses()};
    }
    return f;
  });
  KeyFacts all;
  for (const KeyFacts& f : parts) {
    all.found = all.found || f.found;
    all.bytes += f.bytes;
    all.last_access = std::max(all.last_access, f.last_access);
    all.accesses += f.accesses;
  }
  co_return all;
}

awaitable<void> MemoryUsage(CommandContext& cx, Args args) {
  // SAMPLES is taken and ignored: the figure is exact, not sampled.
  for (size_t i = 3; i < args.size(); i += 2) {
    int64_t samples;
    if (!EqualsIgnoreCase(args[i], "SAMPLES") || i + 1 >= args.size()) {
      co_return cx.Fail(errors::Status::kSyntax);
    }
    if (!protocol::ParseInt64(args[i + 1], &samples))
      co_return cx.Fail(errors::Status::kNotInteger);
  }
  KeyFacts f = co_await Facts(cx.server.shards(), args[2]);
  if (!f.found) co_return cx.reply.Null();
  cx.reply.Integer(static_cast<int64_t>(f.bytes));
}

std::map<std::string, std::string, std::less<>> Fields(std::string_view info) {
  std::map<std::string, std::string, std::less<>> out;
  ForEachInfoField(info, [&](std::string_view, std::string_view field, std::string_view value) {
    out[std::string(field)] = value;
  });
  return out;
}

int64_t IntField(const std::map<std::string, std::string, std::less<>>& f, std::string_view k) {
  auto it = f.find(k);
  int64_t v = 0;
  if (it != f.end()) protocol::ParseInt64(it->second, &v);
  return v;
}

double DoubleField(const std::map<std::string, std::string, std::less<>>& f, std::string_view k) {
  auto it = f.find(k);
  return it == f.end() ? 0 : std::strtod(it->second.c_str(), nullptr);
}

// INFO's own figures, so MEMORY STATS and INFO memory cannot disagree.
awaitable<std::map<std::string, std::string, std::less<>>> MemoryFields(CommandContext& cx) {
  const std::array<std::string_view, 3> sections = {"memory", "keyspace", "replication"};
  std::string info = co_await BuildInfo(cx.server, cx.shard.config(), sections);
  auto f = Fields(info);
  auto db = f.find("db0");
  f["keys"] = db == f.end() ? "0" : db->second.substr(5, db->second.find(',') - 5);
  co_return f;
}

awaitable<void> MemoryStats(CommandContext& cx, Args) {
  auto f = co_await MemoryFields(cx);
  int64_t used = IntField(f, "used_memory"), startup = IntField(f, "used_memory_startup");
  int64_t keys = IntField(f, "keys");
  protocol::ReplyBuilder& r = cx.reply;
  r.Map(17);
  auto integer = [&](std::string_view name, int64_t v) {
    r.Bulk(name);
    r.Integer(v);
  };
  auto real = [&](std::string_view name, double v) {
    r.Bulk(name);
    r.Double(v);
  };
  integer("peak.allocated", IntField(f, "used_memory_peak"));
  integer("total.allocated", used);
  integer("startup.allocated", startup);
  integer("replication.backlog",
          IntField(f, "repl_backlog_active") != 0 ? IntField(f, "repl_backlog_size") : 0);
  integer("clients.slaves", 0);
  integer("clients.normal", IntField(f, "mem_clients_normal"));
  integer("cluster.links", 0);
  integer("aof.buffer", 0);
  integer("lua.caches", 0);
  integer("functions.caches", 0);
  integer("overhead.total", IntField(f, "used_memory_overhead"));
  integer("keys.count", keys);
  integer("keys.bytes-per-key", keys > 0 ? (used - startup) / keys : 0);
  integer("dataset.bytes", IntField(f, "used_memory_dataset"));
  real("dataset.percentage", DoubleField(f, "used_memory_dataset_perc"));
  real("peak.percentage", DoubleField(f, "used_memory_peak_perc"));
  real("fragmentation", DoubleField(f, "mem_fragmentation_ratio"));
}

awaitable<void> MemoryDoctor(CommandContext& cx, Args) {
  auto f = co_await MemoryFields(cx);
  int64_t used = IntField(f, "used_memory"), peak = IntField(f, "used_memory_peak");
  int64_t max = cx.shard.config().maxmemory;
  double frag = DoubleField(f, "mem_fragmentation_ratio");
  std::string report;
  if (used < 5 * 1024 * 1024) {
    report = "This instance holds less than 5 MB: nothing here needs looking at.\n";
  } else {
    if (peak > used * 3 / 2) {
      report += fmt::format(
          " * Peak: the heap once reached {} bytes, {:.0f}% more than the {} it holds now; "
          "RSS may keep some of that until the allocator returns it (MEMORY PURGE).\n",
          peak, (static_cast<double>(peak) / used - 1) * 100, used);
    }
    if (frag > 1.4) {
      report += fmt::format(
          " * Fragmentation: RSS is {:.2f} times the heap. After many deletions this falls "
          "with time; MEMORY PURGE returns free pages now.\n",
          frag);
    }
    if (max > 0 && used > max * 9 / 10) {
      report += fmt::format(
          " * maxmemory: {} of {} bytes used; writes get OOM past it. Raise it, or delete "
          "dictionaries you no longer need.\n",
          used, max);
    }
    if (IntField(f, "mem_clients_normal") > used / 4) {
      report +=
          " * Clients: their buffers take over a quarter of the heap; look for slow "
          "readers in CLIENT LIST (omem) or huge pipelines (qbuf).\n";
    }
    report =
        report.empty() ? "No memory problem found.\n" : "Found these memory problems:\n\n" + report;
  }
  cx.reply.Verbatim(report);
}

void MemoryMallocStats(CommandContext& cx, Args) {
  char* text = nullptr;
  size_t size = 0;
  FILE* f = open_memstream(&text, &size);
  if (f != nullptr) {
    malloc_info(0, f);
    fclose(f);
  }
  cx.reply.Verbatim(text != nullptr ? std::string_view(text, size) : std::string_view());
  free(text);
}

awaitable<void> MemoryPurge(CommandContext& cx, Args) {
  // Every shard thread's arena, on that thread.
  co_await cx.server.shards().ForEach([](Shard&) { malloc_trim(0); });
  cx.reply.Ok();
}

awaitable<void> ObjectEncoding(CommandContext& cx, Args args) {
  KeyFacts f = co_await Facts(cx.server.shards(), args[2]);
  if (!f.found) co_return cx.reply.Null();
  cx.reply.Bulk("trie");
}

awaitable<void> ObjectRefcount(CommandContext& cx, Args args) {
  KeyFacts f = co_await Facts(cx.server.shards(), args[2]);
  if (!f.found) co_return cx.reply.Null();
  cx.reply.Integer(1);
}

awaitable<void> ObjectIdletime(CommandContext& cx, Args args) {
  KeyFacts f = co_await Facts(cx.server.shards(), args[2]);
  if (!f.found) co_return cx.reply.Null();
  cx.reply.Integer(std::max<int64_t>(0, int64_t{cx.shard.clock()} - f.last_access));
}

awaitable<void> ObjectFreq(CommandContext& cx, Args args) {
  KeyFacts f = co_await Facts(cx.server.shards(), args[2]);
  if (!f.found) co_return cx.reply.Null();
  // 16 steps per doubling: 1 access 16, 1000 about 160, a million and more 255.
  auto counter = static_cast<int64_t>(16 * std::log2(1.0 + static_cast<double>(f.accesses)));
  int64_t idle_minutes = std::max<int64_t>(0, int64_t{cx.shard.clock()} - f.last_access) / 60;
  cx.reply.Integer(std::clamp<int64_t>(counter - idle_minutes, 0, 255));
}

}  // namespace

CommandSpec MemoryCommand() {
  constexpr uint32_t kFlags = 0;
  std::vector<CommandSpec> subs = {
      {
          .name = "memory|doctor",
          .arity = 2,
          .flags = kFlags,
          .group = "server",
          .since = "4.0.0",
          .summary = "Outputs a memory problems report.",
          .complexity = "O(1)",
          .help = {{"DOCTOR", {"Return memory problems reports."}}},
          .async = MemoryDoctor,
      },
      {
          .name = "memory|malloc-stats",
          .arity = 2,
          .flags = kFlags,
          .group = "server",
          .since = "4.0.0",
          .summary = "Returns the allocator statistics.",
          .complexity = "Depends on how much memory is allocated, could be slow",
          .help = {{"MALLOC-STATS", {"Return internal statistics report from glibc's malloc."}}},
          .sync = MemoryMallocStats,
      },
      {
          .name = "memory|purge",
          .arity = 2,
          .flags = kFlags,
          .group = "server",
          .since = "4.0.0",
          .summary = "Asks the allocator to release memory.",
          .complexity = "Depends on how much memory is allocated, could be slow",
          .help = {{"PURGE", {"Return free memory to the system (malloc_trim on every shard)."}}},
          .async = MemoryPurge,
      },
      {
          .name = "memory|stats",
          .arity = 2,
          .flags = kFlags,
          .group = "server",
          .since = "4.0.0",
          .summary = "Returns details about memory usage.",
          .complexity = "O(1)",
          .help = {{"STATS", {"Return information about the memory usage of the server."}}},
          .async = MemoryStats,
      },
      {
          .name = "memory|usage",
          .arity = -3,
          .flags = kReadonly,
          .keys = {2, 2, 1},
          .group = "server",
          .since = "4.0.0",
          .summary = "Estimates the memory usage of a key.",
          .complexity = "O(N) where N is the number of partitions",
          .args = {{"key", "key"}, {"count", "integer", "SAMPLES", true}},
          .help = {{"USAGE <key> [SAMPLES <count>]",
                    {"Return the bytes <key> takes in every partition (exact: SAMPLES is "
                     "accepted and ignored)."}}},
          .async = MemoryUsage,
      },
      {
          .name = "memory|help",
          .arity = 2,
          .flags = kLoading | kStale,
          .group = "server",
          .since = "4.0.0",
          .summary = "Show helpful text about the different subcommands",
          .complexity = "O(1)",
          .sync = ContainerHelp,
      },
  };
  return {
      .name = "memory",
      .arity = -2,
      .group = "server",
      .since = "4.0.0",
      .summary = "A container for memory diagnostics commands.",
      .complexity = "Depends on subcommand.",
      .subcommands = std::move(subs),
  };
}

CommandSpec ObjectCommand() {
  auto sub = [](std::string_view name, std::string_view since, std::string_view summary,
                std::string_view usage, std::string_view help, AsyncHandler handler) {
    return CommandSpec{
        .name = name,
        .arity = 3,
        .flags = kReadonly,
        .keys = {2, 2, 1},
        .group = "generic",
        .since = since,
        .summary = summary,
        .complexity = "O(N) where N is the number of partitions",
        .args = {{"key", "key"}},
        .help = {{usage, {help}}},
        .async = handler,
    };
  };
  std::vector<CommandSpec> subs = {
      sub("object|encoding", "2.2.3", "Returns the internal encoding of a key.", "ENCODING <key>",
          "Return the kind of internal representation of <key>: trie.", ObjectEncoding),
      sub("object|freq", "4.0.0", "Returns the logarithmic access frequency counter of a key.",
          "FREQ <key>",
          "Return the access frequency index of <key>, logarithmic, 0 to 255, falling by one "
          "a minute idle.",
          ObjectFreq),
      sub("object|idletime", "2.2.3", "Returns the time since the last access to a key.",
          "IDLETIME <key>", "Return the idle time of <key>, in seconds.", ObjectIdletime),
      sub("object|refcount", "2.2.3", "Returns the reference count of a key's value.",
          "REFCOUNT <key>", "Return the number of references of the value of <key>: 1.",
          ObjectRefcount),
      {
          .name = "object|help",
          .arity = 2,
          .flags = kLoading | kStale,
          .group = "generic",
          .since = "6.2.0",
          .summary = "Show helpful text about the different subcommands",
          .complexity = "O(1)",
          .sync = ContainerHelp,
      },
  };
  return {
      .name = "object",
      .arity = -2,
      .group = "generic",
      .since = "2.2.3",
      .summary = "A container for object introspection commands.",
      .complexity = "Depends on subcommand.",
      .subcommands = std::move(subs),
  };
}

}  // namespace typeahead::server
