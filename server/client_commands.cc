// CLIENT and its subcommands: ID, SETNAME, GETNAME, SETINFO, INFO, LIST, KILL, the accepted
// no-ops (NO-EVICT, NO-TOUCH) and HELP. LIST and KILL visit every shard's clients.

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
  std::string addr, laddr;
  bool skip_me = true;
  uint64_t caller = 0;
  bool Matches(const Connection& c) const {
    if (type == Type::kNormal && c.subscriptions() > 0) return false;
    if (type == Type::kPubsub && c.subscriptions() == 0) return false;
    if (id != 0 && static_cast<int64_t>(c.id()) != id) return false;
    if (!addr.empty() && c.addr() != addr) return false;
    if (!laddr.empty() && c.laddr() != laddr) return false;
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
        if (!EqualsIgnoreCase(val, "default")) co_return cx.Error(errors::NoSuchUser(val));
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

void ClientNoop(CommandContext& cx, Args args) {
  if (!EqualsIgnoreCase(args[2], "on") && !EqualsIgnoreCase(args[2], "off"))
    return cx.Error(errors::kSyntax);
  cx.reply.Ok();
}

void ClientHelp(CommandContext& cx, Args) {
  static const char* kLines[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are: ID, ADDR, LADDR, TYPE normal, USER default, "
      "SKIPME yes|no.",
      "LIST [TYPE normal] [ID <id> [<id> ...]]",
      "    Return information about client connections.",
      "NO-EVICT (ON|OFF)",
      "    Accepted for compatibility.",
      "NO-TOUCH (ON|OFF)",
      "    Accepted for compatibility.",
      "SETINFO <LIB-NAME|LIB-VER> <value>",
      "    Set client library name or version.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "HELP",
      "    Print this help.",
  };
  cx.reply.Array(std::size(kLines));
  for (const char* l : kLines) cx.reply.Simple(l);
}

}  // namespace

CommandSpec ClientCommand() {
  constexpr uint32_t kConn = kNoScript | kLoading | kStale;
  std::vector<CommandSpec> client_subs = {
      {"client|id",
       2,
       kConn,
       0,
       0,
       0,
       "connection",
       "5.0.0",
       "Returns the unique client ID of the connection.",
       "O(1)",
       {"slow", "connection"},
       {},
       ClientId},
      {"client|setname",
       3,
       kConn,
       0,
       0,
       0,
       "connection",
       "2.6.9",
       "Sets the connection name.",
       "O(1)",
       {"slow", "connection"},
       {{"connection-name", "string"}},
       ClientSetName},
      {"client|getname",
       2,
       kConn,
       0,
       0,
       0,
       "connection",
       "2.6.9",
       "Returns the name of the connection.",
       "O(1)",
       {"slow", "connection"},
       {},
       ClientGetName},
      {"client|setinfo",
       4,
       kConn,
       0,
       0,
       0,
       "connection",
       "7.2.0",
       "Sets information specific to the client or connection.",
       "O(1)",
       {"slow", "connection"},
       {{"attr",
         "oneof",
         {},
         false,
         false,
         {{"libname", "string", "LIB-NAME"}, {"libver", "string", "LIB-VER"}}}},
       ClientSetInfo},
      {"client|info",
       2,
       kConn,
       0,
       0,
       0,
       "connection",
       "6.2.0",
       "Returns information about the connection.",
       "O(1)",
       {"slow", "connection"},
       {},
       ClientInfo},
      {"client|list",
       -2,
       kAdmin | kConn,
       0,
       0,
       0,
       "connection",
       "2.4.0",
       "Lists open connections.",
       "O(N) where N is the number of client connections",
       {"admin", "slow", "dangerous", "connection"},
       {{"client-type", "string", "TYPE", true}, {"client-id", "integer", "ID", true, true}},
       nullptr,
       ClientList},
      {"client|kill",
       -3,
       kAdmin | kConn,
       0,
       0,
       0,
       "connection",
       "2.4.0",
       "Terminates open connections.",
       "O(N) where N is the number of client connections",
       {"admin", "slow", "dangerous", "connection"},
       {{"filter", "string", {}, false, true}},
       nullptr,
       ClientKill},
      {"client|no-evict",
       3,
       kAdmin | kConn,
       0,
       0,
       0,
       "connection",
       "7.0.0",
       "Sets the client eviction mode of the connection.",
       "O(1)",
       {"admin", "slow", "dangerous", "connection"},
       {{"enabled", "string"}},
       ClientNoop},
      {"client|no-touch",
       3,
       kConn,
       0,
       0,
       0,
       "connection",
       "7.2.0",
       "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.",
       "O(1)",
       {"slow", "connection"},
       {{"enabled", "string"}},
       ClientNoop},
      {"client|help",
       2,
       kConn,
       0,
       0,
       0,
       "connection",
       "5.0.0",
       "Returns helpful text about the "
       "different subcommands.",
       "O(1)",
       {"slow", "connection"},
       {},
       ClientHelp},
  };
  return {"client",
          -2,
          0,
          0,
          0,
          0,
          "connection",
          "2.4.0",
          "A container for client connection commands.",
          "Depends on subcommand.",
          {"slow"},
          {},
          nullptr,
          nullptr,
          std::move(client_subs)};
}

}  // namespace typeahead::server
