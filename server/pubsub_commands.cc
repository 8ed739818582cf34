// SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH and PUBSUB, with Redis's replies in
// RESP2 (arrays) and RESP3 (push frames). Subscriptions live on the subscriber's shard
// (server/pubsub.h); PUBLISH visits every shard.
#include <algorithm>
#include <set>

#include "protocol/ascii.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/server.h"
#include "server/shard.h"

namespace typeahead::server {
namespace {

using asio::awaitable;

// One confirmation: [kind, name, subscriptions left] (a nil name when there was nothing).
void Confirm(CommandContext& cx, std::string_view kind, const std::string_view* name) {
  cx.reply.Push(3);
  cx.reply.Bulk(kind);
  if (name != nullptr) {
    cx.reply.Bulk(*name);
  } else {
    cx.reply.Null();
  }
  cx.reply.Integer(static_cast<int64_t>(cx.conn.subscriptions()));
}

void Subscribe(CommandContext& cx, Args args) {
  for (size_t i = 1; i < args.size(); ++i) {
    cx.conn.AddChannel(args[i]);
    Confirm(cx, "subscribe", &args[i]);
  }
}

void PSubscribe(CommandContext& cx, Args args) {
  for (size_t i = 1; i < args.size(); ++i) {
    cx.conn.AddPattern(args[i]);
    Confirm(cx, "psubscribe", &args[i]);
  }
}

// UNSUBSCRIBE / PUNSUBSCRIBE: the names given, or every one held; one confirmation each.
template <bool kPatterns>
void Unsubscribe(CommandContext& cx, Args args) {
  std::string_view kind = kPatterns ? "punsubscribe" : "unsubscribe";
  std::vector<std::string> names;
  if (args.size() > 1) {
    names.assign(args.begin() + 1, args.end());
  } else {
    const auto& held = kPatterns ? cx.conn.patterns() : cx.conn.channels();
    names.assign(held.begin(), held.end());
  }
  if (names.empty()) return Confirm(cx, kind, nullptr);
  for (const auto& name : names) {
    if (kPatterns) {
      cx.conn.RemovePattern(name);
    } else {
      cx.conn.RemoveChannel(name);
    }
    std::string_view view = name;
    Confirm(cx, kind, &view);
  }
}

awaitable<void> Publish(CommandContext& cx, Args args) {
  std::string_view channel = args[1], message = args[2];
  auto deliver = [channel, message](Shard& s) { return s.pubsub().Publish(channel, message); };
  auto counts = co_await cx.server.shards().RunAll(deliver);
  int64_t total = 0;
  for (int64_t n : counts) total += n;
  cx.reply.Integer(total);
}

awaitable<void> PubsubChannels(CommandContext& cx, Args args) {
  if (args.size() > 3) co_return cx.Error(errors::SubcommandSyntax(args[1], "PUBSUB"));
  std::string_view pattern = args.size() > 2 ? args[2] : std::string_view();
  auto list = [pattern](Shard& s) { return s.pubsub().Channels(pattern); };
  auto per_shard = co_await cx.server.shards().RunAll(list);
  std::set<std::string> all;
  for (auto& names : per_shard) all.insert(names.begin(), names.end());
  cx.reply.Array(all.size());
  for (const auto& name : all) cx.reply.Bulk(name);
}

awaitable<void> PubsubNumsub(CommandContext& cx, Args args) {
  Args channels = args.subspan(2);
  auto count = [channels](Shard& s) {
    std::vector<int64_t> n;
    for (auto c : channels) n.push_back(s.pubsub().NumSub(c));
    return n;
  };
  auto per_shard = co_await cx.server.shards().RunAll(count);
  cx.reply.Array(channels.size() * 2);  // flat in RESP3 too, as Redis replies
  for (size_t i = 0; i < channels.size(); ++i) {
    int64_t total = 0;
    for (const auto& n : per_shard) total += n[i];
    cx.reply.Bulk(channels[i]);
    cx.reply.Integer(total);
  }
}

awaitable<void> PubsubNumpat(CommandContext& cx, Args) {
  auto list = [](Shard& s) { return s.pubsub().Patterns(); };
  auto per_shard = co_await cx.server.shards().RunAll(list);
  std::set<std::string> all;
  for (auto& names : per_shard) all.insert(names.begin(), names.end());
  cx.reply.Integer(static_cast<int64_t>(all.size()));
}

CommandSpec Spec(std::string_view name, int arity, uint32_t flags, std::string_view since,
                 std::string_view summary, std::vector<ArgDoc> docs, std::vector<HelpEntry> help,
                 SyncHandler sync, AsyncHandler async = nullptr) {
  return {
      .name = name,
      .arity = arity,
      .flags = flags,
      .group = "pubsub",
      .since = since,
      .summary = summary,
      .complexity = "O(N)",
      .acl = kAclPubsub,  // the container and its HELP too, whose flags do not say so
      .args = std::move(docs),
      .help = std::move(help),
      .sync = sync,
      .async = async,
  };
}

}  // namespace

std::vector<CommandSpec> PubsubCommands() {
  constexpr uint32_t kSub = kPubsub | kNoScript | kLoading | kStale | kSubscribedOk;
  ArgDoc channels{"channel", "string", {}, false, true};
  ArgDoc patterns{"pattern", "pattern", {}, false, true};
  ArgDoc some_channels{"channel", "string", {}, true, true};
  ArgDoc some_patterns{"pattern", "pattern", {}, true, true};
  std::vector<CommandSpec> pubsub_subs = {
      Spec("pubsub|channels", -2, kPubsub | kLoading | kStale, "2.8.0",
           "Returns the active channels.", {{"pattern", "pattern", {}, true}},
           {{"CHANNELS [<pattern>]",
             {"Return the currently active channels matching a <pattern> (default: '*')."}}},
           nullptr, PubsubChannels),
      Spec("pubsub|numpat", 2, kPubsub | kLoading | kStale, "2.8.0",
           "Returns a count of unique pattern subscriptions.", {},
           {{"NUMPAT", {"Return number of subscriptions to patterns."}}}, nullptr, PubsubNumpat),
      Spec("pubsub|numsub", -2, kPubsub | kLoading | kStale, "2.8.0",
           "Returns a count of subscribers to channels.", {some_channels},
           {{"NUMSUB [<channel> ...]",
             {"Return the number of subscribers for the specified channels, excluding",
              "pattern subscriptions(default: no channels)."}}},
           nullptr, PubsubNumsub),
      Spec("pubsub|help", 2, kLoading | kStale, "6.2.0",
           "Returns helpful text about the different subcommands.", {}, {}, ContainerHelp),
  };
  CommandSpec pubsub =
      Spec("pubsub", -2, 0, "2.8.0", "A container for Pub/Sub commands.", {}, {}, nullptr);
  pubsub.subcommands = std::move(pubsub_subs);
  std::vector<CommandSpec> rows = {
      Spec("subscribe", -2, kSub, "2.0.0", "Listens for messages published to channels.",
           {channels}, {}, Subscribe),
      Spec("unsubscribe", -1, kSub, "2.0.0", "Stops listening to messages posted to channels.",
           {some_channels}, {}, Unsubscribe<false>),
      Spec("psubscribe", -2, kSub, "2.0.0",
           "Listens for messages published to channels that match one or more patterns.",
           {patterns}, {}, PSubscribe),
      Spec("punsubscribe", -1, kSub, "2.0.0",
           "Stops listening to messages published to channels that match one or more patterns.",
           {some_patterns}, {}, Unsubscribe<true>),
      Spec("publish", 3, kPubsub | kLoading | kStale | kFast | kMayReplicate, "2.0.0",
           "Posts a message to a channel.", {{"channel", "string"}, {"message", "string"}}, {},
           nullptr, Publish),
      std::move(pubsub),
  };
  rows[0].channels = ChannelArgs::kAll;
  rows[2].channels = ChannelArgs::kAllPatterns;
  rows[4].channels = ChannelArgs::kFirst;
  return rows;
}

}  // namespace typeahead::server
