// Connection commands: PING, ECHO, HELLO, AUTH, QUIT, RESET, SELECT (CLIENT is in
// client_commands.cc).

#include <boost/asio/awaitable.hpp>

#include "protocol/ascii.h"
#include "protocol/number.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/errors.h"
#include "server/server.h"
#include "server/shard.h"

namespace typeahead::server {
namespace {
using boost::asio::awaitable;

// Logs the client in as user when password is one of its own (compared in constant time,
// server/acl_user.h). Replies the error, counts and logs the failure and returns false when not.
bool Authenticate(CommandContext& cx, Args args, std::string_view user, std::string_view pass) {
  const AclUser* u = cx.shard.acl().Find(user);
  if (u == nullptr || !u->Authenticates(pass)) {
    ++cx.shard.stats().auth_failures;
    cx.conn.LogAclDenial("auth", args[0], user, cx.conn.in_multi());
    cx.Error(errors::kWrongPass);
    return false;
  }
  cx.conn.user = u;
  cx.conn.authenticated = true;
  return true;
}

void Ping(CommandContext& cx, Args args) {
  if (args.size() > 2) return cx.Error(errors::WrongArity("ping"));
  if (cx.conn.resp == 2 && cx.conn.subscriptions() > 0) {
    // A subscriber's PING answers in the shape of its messages, as Redis.
    cx.reply.Array(2);
    cx.reply.Bulk("pong");
    cx.reply.Bulk(args.size() == 2 ? args[1] : "");
    return;
  }
  if (args.size() == 2) return cx.reply.Bulk(args[1]);
  cx.reply.Simple("PONG");
}

void Echo(CommandContext& cx, Args args) { cx.reply.Bulk(args[1]); }

void Auth(CommandContext& cx, Args args) {
  if (args.size() > 3) return cx.Error(errors::kSyntax);
  if (args.size() == 2) {
    if (cx.shard.acl().default_user().nopass()) {
      return cx.Error(errors::kAuthWithoutPassword);
    }
    if (Authenticate(cx, args, "default", args[1])) cx.reply.Ok();
    return;
  }
  if (Authenticate(cx, args, args[1], args[2])) cx.reply.Ok();
}

void Hello(CommandContext& cx, Args args) {
  int64_t version = 0;
  if (args.size() >= 2) {
    if (!protocol::ParseInt64(args[1], &version)) {
      return cx.Error(errors::kProtocolNotInteger);
    }
    if (version < 2 || version > 3) return cx.Error(errors::kNoProto);
  }
  std::string_view user, pass, name;
  bool has_auth = false, has_name = false;
  for (size_t j = 2; j < args.size(); ++j) {
    size_t more = args.size() - 1 - j;
    if (EqualsIgnoreCase(args[j], "AUTH") && more >= 2) {
      user = args[j + 1];
      pass = args[j + 2];
      has_auth = true;
      j += 2;
    } else if (EqualsIgnoreCase(args[j], "SETNAME") && more >= 1) {
      name = args[j + 1];
      has_name = true;
      j += 1;
    } else {
      return cx.Error(errors::HelloSyntax(args[j]));
    }
  }
  if (has_auth && !Authenticate(cx, args, user, pass)) return;
  const AclUser& fallback = cx.shard.acl().default_user();
  if (!cx.conn.authenticated && !(fallback.enabled() && fallback.nopass())) {
    return cx.Error(errors::kHelloNoAuth);
  }
  if (has_name) {
    if (!ValidClientName(name)) {
      return cx.Error(errors::kBadClientName);
    }
    cx.conn.name = name;
  }
  if (version != 0) cx.conn.SetProtocol(static_cast<int>(version));
  auto& r = cx.reply;
  r.Map(7);
  r.Bulk("server");
  r.Bulk("redis");
  r.Bulk("version");
  r.Bulk(kRedisVersion);
  r.Bulk("proto");
  r.Integer(cx.conn.resp);
  r.Bulk("id");
  r.Integer(static_cast<int64_t>(cx.conn.id()));
  r.Bulk("mode");
  r.Bulk("standalone");
  r.Bulk("role");
  r.Bulk("master");
  r.Bulk("modules");
  r.Array(0);
}

void Quit(CommandContext& cx, Args) {
  cx.reply.Ok();
  cx.conn.CloseAfterReply();
}

void Reset(CommandContext& cx, Args) {
  cx.conn.Reset();
  cx.reply.Simple("RESET");
}

void Select(CommandContext& cx, Args args) {
  int64_t db;
  if (!protocol::ParseInt64(args[1], &db)) {
    return cx.Error(errors::kNotInteger);
  }
  if (db != 0) return cx.Error(errors::kDbOutOfRange);
  cx.reply.Ok();
}

}  // namespace

std::vector<CommandSpec> ConnectionCommands() {
  return {
      {
          .name = "ping",
          .arity = -1,
          .flags = kFast | kSubscribedOk,
          .group = "connection",
          .since = "1.0.0",
          .summary = "Returns the server's liveliness response.",
          .complexity = "O(1)",
          .acl = kAclConnection,
          .args = {{"message", "string", {}, true}},
          .sync = Ping,
      },
      {
          .name = "echo",
          .arity = 2,
          .flags = kFast,
          .group = "connection",
          .since = "1.0.0",
          .summary = "Returns the given string.",
          .complexity = "O(1)",
          .acl = kAclConnection,
          .args = {{"message", "string"}},
          .sync = Echo,
      },
      {
          .name = "hello",
          .arity = -1,
          .flags = kNoScript | kLoading | kStale | kFast | kNoAuth,
          .group = "connection",
          .since = "6.0.0",
          .summary = "Handshakes with the Redis server.",
          .complexity = "O(1)",
          .acl = kAclConnection,
          .args = {{"arguments",
                    "block",
                    {},
                    true,
                    false,
                    {{"protover", "integer"},
                     {"username-password",
                      "block",
                      "AUTH",
                      true,
                      false,
                      {{"username", "string"}, {"password", "string"}}},
                     {"clientname", "string", "SETNAME", true}}}},
          .sync = Hello,
      },
      {
          .name = "auth",
          .arity = -2,
          .flags = kNoScript | kLoading | kStale | kFast | kNoAuth,
          .group = "connection",
          .since = "1.0.0",
          .summary = "Authenticates the connection.",
          .complexity = "O(N) where N is the number of passwords defined for the user",
          .acl = kAclConnection,
          .args = {{"username", "string", {}, true}, {"password", "string"}},
          .sync = Auth,
      },
      {
          .name = "quit",
          .arity = -1,
          .flags = kNoScript | kLoading | kStale | kFast | kNoAuth | kNotQueued | kSubscribedOk,
          .group = "connection",
          .since = "1.0.0",
          .summary = "Closes the connection.",
          .complexity = "O(1)",
          .acl = kAclConnection,
          .sync = Quit,
      },
      {
          .name = "reset",
          .arity = 1,
          .flags = kNoScript | kLoading | kStale | kFast | kNoAuth | kNotQueued | kSubscribedOk,
          .group = "connection",
          .since = "6.2.0",
          .summary = "Resets the connection.",
          .complexity = "O(1)",
          .acl = kAclConnection,
          .sync = Reset,
      },
      {
          .name = "select",
          .arity = 2,
          .flags = kLoading | kStale | kFast,
          .group = "connection",
          .since = "1.0.0",
          .summary = "Changes the selected database (only 0 exists).",
          .complexity = "O(1)",
          .acl = kAclConnection,
          .args = {{"index", "integer"}},
          .sync = Select,
      },
      ClientCommand(),
  };
}

}  // namespace typeahead::server
