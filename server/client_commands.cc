// CLIENT and its subcommands: ID, SETNAME, GETNAME, SETINFO, INFO, LIST, KILL, REPLY, PAUSE,
// UNPAUSE, the accepted no-ops (NO-EVICT, NO-TOUCH) and HELP. LIST, KILL and UNPAUSE visit
// every shard's clients.

#include <algorithm>
#include <boost/asio/awaitable.hpp>

#include "protocol/ascii.h"
#include "protocol/number.h"
#include "replication/replication.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/errors.h"
#include "server/server.h"
#include "server/shard.h"

namespace typeahead::server {

// Redis's client-name rule: printable ASCII without spaces.
bool ValidClientName(std::string_view s) {
  for (char c : s) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

namespace {
using boost::asio::awaitable;

void ClientId(CommandContext& cx, Args) { cx.reply.Integer(static_cast<int64_t>(cx.conn.id())); }

void ClientSetName(CommandContext& cx, Args args) {
  if (!ValidClientName(args[2])) {
    return cx.Error(errors::kBadClientName);
  }
  cx.conn.name = args[2];
  cx.reply.Ok();
}

void ClientGetName(CommandContext& cx, Args) {
  if (cx.conn.name.empty()) return cx.reply.Null();
  cx.reply.Bulk(cx.conn.name);
}

void ClientSetInfo(CommandContext& cx, Args args) {
  std::string* field;
  std::string_view label;
  if (EqualsIgnoreCase(args[2], "LIB-NAME")) {
    field = &cx.conn.lib_name;
    label = "LIB-NAME";
  } else if (EqualsIgnoreCase(args[2], "LIB-VER")) {
    field = &cx.conn.lib_ver;
    label = "LIB-VER";
  } else {
    return cx.Error(errors::UnrecognizedOption(args[2]));
  }
  if (!ValidClientName(args[3])) {
    return cx.Error(errors::BadClientInfo(label));
  }
  *field = args[3];
  cx.reply.Ok();
}

void ClientInfo(CommandContext& cx, Args) { cx.reply.Verbatim(cx.conn.Describe() + "\n"); }

awaitable<void> ClientList(CommandContext& cx, Args args) {
  std::vector<uint64_t> ids;
  for (size_t i = 2; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "TYPE") && i + 1 < args.size()) {
      std::string_view t = args[++i];
      if (EqualsIgnoreCase(t, "normal")) continue;
      if (EqualsIgnoreCase(t, "master") || EqualsIgnoreCase(t, "replica") ||
          EqualsIgnoreCase(t, "slave") || EqualsIgnoreCase(t, "pubsub")) {
        cx.reply.Verbatim("");  // none of these kinds of client exist yet
        co_return;
      }
      co_return cx.Error(errors::UnknownClientType(t));
    } else if (EqualsIgnoreCase(args[i], "ID") && i + 1 < args.size()) {
      for (++i; i < args.size(); ++i) {
        int64_t id;
        if (!protocol::ParseInt64(args[i], &id) || id <= 0) {
          co_return cx.Error(errors::kInvalidClientId);
        }
        ids.push_back(static_cast<uint64_t>(id));
      }
    } else {
      co_return cx.Error(errors::kSyntax);
    }
  }
  auto lines = co_await cx.server.shards().RunAll([&](Shard& shard) {
    std::vector<std::pair<uint64_t, std::string>> out;
    for (auto& [id, conn] : shard.clients()) {
      if (!ids.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
      out.emplace_back(id, conn->Describe());
    }
    return out;
  });
  std::vector<std::pair<uint64_t, std::string>> all;
  for (auto& v : lines) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  std::string text;
  for (auto& [id, line] : all) text += line + "\n";
  cx.reply.Verbatim(text);
}

struct KillFilter {
  enum class Type { kAny, kNormal, kReplica, kMaster, kPubsub } type = Type::kAny;
  int64_t id = 0;
  std::string addr, laddr, user;
  bool skip_me = true;
  uint64_t caller = 0;
  bool Matches(const Connection& c) const {
    if (type == Type::kNormal && c.subscriptions() > 0) return false;
    if (type == Type::kPubsub && c.subscriptions() == 0) return false;
    if (id != 0 && static_cast<int64_t>(c.id()) != id) return false;
    if (!addr.empty() && c.addr() != addr) return false;
    if (!laddr.empty() && c.laddr() != laddr) return false;
    if (!user.empty() && c.user->name() != user) return false;
    if (skip_me && c.id() == caller) return false;
    return true;
  }
};

awaitable<void> ClientKill(CommandContext& cx, Args args) {
  KillFilter filter;
  filter.caller = cx.conn.id();
  bool old_form = args.size() == 3;
  if (old_form) {
    filter.addr = args[2];
    filter.skip_me = false;
  } else {
    if (args.size() % 2 != 0) co_return cx.Error(errors::kSyntax);
    for (size_t i = 2; i < args.size(); i += 2) {
      std::string_view opt = args[i], val = args[i + 1];
      if (EqualsIgnoreCase(opt, "ID")) {
        if (!protocol::ParseInt64(val, &filter.id) || filter.id <= 0) {
          co_return cx.Error(errors::kClientIdNotPositive);
        }
      } else if (EqualsIgnoreCase(opt, "ADDR")) {
        filter.addr = val;
      } else if (EqualsIgnoreCase(opt, "LADDR")) {
        filter.laddr = val;
      } else if (EqualsIgnoreCase(opt, "TYPE")) {
        if (EqualsIgnoreCase(val, "normal")) {
          filter.type = KillFilter::Type::kNormal;
        } else if (EqualsIgnoreCase(val, "replica") || EqualsIgnoreCase(val, "slave")) {
          filter.type = KillFilter::Type::kReplica;
        } else if (EqualsIgnoreCase(val, "master")) {
          filter.type = KillFilter::Type::kMaster;
        } else if (EqualsIgnoreCase(val, "pubsub")) {
          filter.type = KillFilter::Type::kPubsub;
        } else {
          co_return cx.Error(errors::UnknownClientType(val));
        }
      } else if (EqualsIgnoreCase(opt, "USER")) {
        if (cx.shard.acl().Find(val) == nullptr) co_return cx.Error(errors::NoSuchUser(val));
        filter.user = val;
      } else if (EqualsIgnoreCase(opt, "SKIPME")) {
        if (EqualsIgnoreCase(val, "yes"))
          filter.skip_me = true;
        else if (EqualsIgnoreCase(val, "no"))
          filter.skip_me = false;
        else
          co_return cx.Error(errors::kSyntax);
      } else {
        co_return cx.Error(errors::kSyntax);
      }
    }
  }
  if (filter.type == KillFilter::Type::kReplica || filter.type == KillFilter::Type::kMaster) {
    // Replication links are not client connections: they live in Replication, on shard 0.
    replication::Replication& repl = cx.server.replication();
    bool replicas = filter.type == KillFilter::Type::kReplica;
    auto kill = [&](Shard&) {
      return replicas ? repl.KillReplicaLinks(filter.addr) : repl.KillPrimaryLink();
    };
    co_return cx.reply.Integer(co_await cx.server.shards().Run(0, kill));
  }
  uint64_t caller = cx.conn.id();
  auto killed = co_await cx.server.shards().RunAll([&](Shard& shard) {
    std::vector<Connection*> victims;
    for (auto& [id, conn] : shard.clients()) {
      if (filter.Matches(*conn)) victims.push_back(conn);
    }
    int64_t n = 0;
    for (Connection* c : victims) {
      // The caller is mid-command: it closes once this reply is written.
      if (c->id() == caller)
        c->CloseAfterReply();
      else
        c->Kill();
      ++n;
    }
    return n;
  });
  int64_t total = 0;
  for (int64_t n : killed) total += n;
  if (old_form) {
    if (total == 0) co_return cx.Error(errors::kNoSuchClient);
    co_return cx.reply.Ok();
  }
  cx.reply.Integer(total);
}

void ClientReply(CommandContext& cx, Args args) {
  using Mode = Connection::ReplyMode;
  if (EqualsIgnoreCase(args[2], "ON")) {
    cx.conn.set_reply_mode(Mode::kOn);
    cx.reply.Ok();
  } else if (EqualsIgnoreCase(args[2], "OFF")) {
    cx.conn.set_reply_mode(Mode::kOff);  // no reply: this one is dropped too
  } else if (EqualsIgnoreCase(args[2], "SKIP")) {
    if (cx.conn.reply_mode() != Mode::kOff) cx.conn.set_reply_mode(Mode::kSkipNext);
  } else {
    cx.Fail(errors::Status::kSyntax);
  }
}

// CLIENT PAUSE timeout [WRITE|ALL]: Redis's parsing, in its order (the mode, then the timeout).
void ClientPauseCommand(CommandContext& cx, Args args) {
  if (args.size() > 4) return cx.Error(errors::SubcommandSyntax(args[1], "CLIENT"));
  auto mode = ClientPause::Mode::kAll;
  if (args.size() == 4) {
    if (EqualsIgnoreCase(args[3], "write")) {
      mode = ClientPause::Mode::kWrite;
    } else if (!EqualsIgnoreCase(args[3], "all")) {
      return cx.Error(errors::kPauseMode);
    }
  }
  int64_t ms = 0;
  if (!protocol::ParseInt64(args[2], &ms)) return cx.Error(errors::kTimeoutNotInteger);
  if (ms < 0) return cx.Error(errors::kTimeoutNegative);
  auto now = ClientPause::Clock::now();
  // A timeout past the clock's range pauses until UNPAUSE (Redis: until its mstime overflows).
  auto room = std::chrono::duration_cast<std::chrono::milliseconds>(
      ClientPause::Clock::time_point::max() - now);
  auto until = now + std::min(std::chrono::milliseconds(ms), room);
  if (ms > 0) cx.server.client_pause().Pause(until, mode);
  cx.reply.Ok();
}

awaitable<void> ClientUnpause(CommandContext& cx, Args) {
  cx.server.client_pause().Unpause();
  co_await cx.server.shards().ForEach([](Shard& s) {
    for (auto& [id, conn] : s.clients()) conn->WakeFromPause();
  });
  cx.reply.Ok();
}

void ClientNoop(CommandContext& cx, Args args) {
  if (!EqualsIgnoreCase(args[2], "on") && !EqualsIgnoreCase(args[2], "off"))
    return cx.Error(errors::kSyntax);
  cx.reply.Ok();
}

}  // namespace

CommandSpec ClientCommand() {
  constexpr uint32_t kConn = kNoScript | kLoading | kStale;
  std::vector<CommandSpec> client_subs = {
      {
          .name = "client|getname",
          .arity = 2,
          .flags = kConn,
          .group = "connection",
          .since = "2.6.9",
          .summary = "Returns the name of the connection.",
          .complexity = "O(1)",
          .acl = kAclConnection,
          .help = {{"GETNAME", {"Return the name of the current connection."}}},
          .sync = ClientGetName,
      },
      {
          .name = "client|id",
          .arity = 2,
          .flags = kConn,
          .group = "connection",
          .since = "5.0.0",
          .summary = "Returns the unique client ID of the connection.",
          .complexity = "O(1)",
          .acl = kAclConnection,
          .help = {{"ID", {"Return the ID of the current connection."}}},
          .sync = ClientId,
      },
      {
          .name = "client|info",
          .arity = 2,
          .flags = kConn,
          .group = "connection",
          .since = "6.2.0",
          .summary = "Returns information about the connection.",
          .complexity = "O(1)",
          .acl = kAclConnection,
          .help = {{"INFO", {"Return information about the current client connection."}}},
          .sync = ClientInfo,
      },
      {
          .name = "client|kill",
          .arity = -3,
          .flags = kAdmin | kConn,
          .group = "connection",
          .since = "2.4.0",
          .summary = "Terminates open connections.",
          .complexity = "O(N) where N is the number of client connections",
          .acl = kAclConnection,
          .args = {{"filter", "string", {}, false, true}},
          .help = {{"KILL <ip:port>", {"Kill connection made from <ip:port>."}},
                   {"KILL <option> <value> [<option> <value> [...]]",
                    {"Kill connections. Options are: ID, ADDR, LADDR, TYPE normal, USER default, "
                     "SKIPME yes|no."}}},
          .async = ClientKill,
      },
      {
          .name = "client|list",
          .arity = -2,
          .flags = kAdmin | kConn,
          .group = "connection",
          .since = "2.4.0",
          .summary = "Lists open connections.",
          .complexity = "O(N) where N is the number of client connections",
          .acl = kAclConnection,
          .args = {{"client-type", "string", "TYPE", true},
                   {"client-id", "integer", "ID", true, true}},
          .help = {{"LIST [TYPE normal] [ID <id> [<id> ...]]",
                    {"Return information about client connections."}}},
          .async = ClientList,
      },
      {
          .name = "client|reply",
          .arity = 3,
          .flags = kConn,
          .group = "connection",
          .since = "3.2.0",
          .summary = "Instructs the server whether to reply to commands.",
          .complexity = "O(1)",
          .acl = kAclConnection,
          .args = {{"action",
                    "oneof",
                    {},
                    false,
                    false,
                    {{"on", "pure-token", "ON"},
                     {"off", "pure-token", "OFF"},
                     {"skip", "pure-token", "SKIP"}}}},
          .help = {{"REPLY (ON|OFF|SKIP)",
                    {"Control the replies sent to the current connection."}}},
          .sync = ClientReply,
      },
      {
          .name = "client|pause",
          .arity = -3,
          .flags = kAdmin | kNoScript | kLoading | kStale,
          .group = "connection",
          .since = "3.0.0",
          .summary = "Suspends commands processing.",
          .complexity = "O(1)",
          .acl = kAclConnection,
          .args = {{"timeout", "integer"},
                   {"mode",
                    "oneof",
                    {},
                    true,
                    false,
                    {{"write", "pure-token", "WRITE"}, {"all", "pure-token", "ALL"}}}},
          .help = {{"PAUSE <timeout> [WRITE|ALL]",
                    {"Suspend all, or just write, clients for <timeout> milliseconds."}}},
          .sync = ClientPauseCommand,
      },
      {
          .name = "client|unpause",
          .arity = 2,
          .flags = kAdmin | kNoScript | kLoading | kStale,
          .group = "connection",
          .since = "6.2.0",
          .summary = "Resumes processing commands from paused clients.",
          .complexity = "O(N) Where N is the number of paused clients",
          .acl = kAclConnection,
          .help = {{"UNPAUSE", {"Stop the current client pause, resuming traffic."}}},
          .async = ClientUnpause,
      },
      {
          .name = "client|no-evict",
          .arity = 3,
          .flags = kAdmin | kConn,
          .group = "connection",
          .since = "7.0.0",
          .summary = "Sets the client eviction mode of the connection.",
          .complexity = "O(1)",
          .acl = kAclConnection,
          .args = {{"enabled", "string"}},
          .help = {{"NO-EVICT (ON|OFF)", {"Accepted for compatibility."}}},
          .sync = ClientNoop,
      },
      {
          .name = "client|no-touch",
          .arity = 3,
          .flags = kConn,
          .group = "connection",
          .since = "7.2.0",
          .summary =
              "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.",
          .complexity = "O(1)",
          .acl = kAclConnection,
          .args = {{"enabled", "string"}},
          .help = {{"NO-TOUCH (ON|OFF)", {"Accepted for compatibility."}}},
          .sync = ClientNoop,
      },
      {
          .name = "client|setinfo",
          .arity = 4,
          .flags = kConn,
          .group = "connection",
          .since = "7.2.0",
          .summary = "Sets information specific to the client or connection.",
          .complexity = "O(1)",
          .acl = kAclConnection,
          .args = {{"attr",
                    "oneof",
                    {},
                    false,
                    false,
                    {{"libname", "string", "LIB-NAME"}, {"libver", "string", "LIB-VER"}}}},
          .help = {{"SETINFO <LIB-NAME|LIB-VER> <value>", {"Set client library name or version."}}},
          .sync = ClientSetInfo,
      },
      {
          .name = "client|setname",
          .arity = 3,
          .flags = kConn,
          .group = "connection",
          .since = "2.6.9",
          .summary = "Sets the connection name.",
          .complexity = "O(1)",
          .acl = kAclConnection,
          .args = {{"connection-name", "string"}},
          .help = {{"SETNAME <name>", {"Assign the name <name> to the current connection."}}},
          .sync = ClientSetName,
      },
      {
          .name = "client|help",
          .arity = 2,
          .flags = kConn,
          .group = "connection",
          .since = "5.0.0",
          .summary = "Returns helpful text about the "
                     "different subcommands.",
          .complexity = "O(1)",
          .acl = kAclConnection,
          .sync = ContainerHelp,
      },
  };
  return {
      .name = "client",
      .arity = -2,
      .group = "connection",
      .since = "2.4.0",
      .summary = "A container for client connection commands.",
      .complexity = "Depends on subcommand.",
      .subcommands = std::move(client_subs),
  };
}

}  // namespace typeahead::server
