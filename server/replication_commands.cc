// REPLICAOF / SLAVEOF, ROLE, WAIT and the replica-facing REPLCONF and PSYNC. Every one of
// them works on the Replication state (replication/replication.h), which lives on shard 0:
// the handlers hop there.
#include <fmt/format.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/tls_session.h"
#include "protocol/ascii.h"
#include "protocol/number.h"
#include "replication/link_socket.h"
#include "replication/replication.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/errors.h"
#include "server/server.h"
#include "server/shard.h"

namespace typeahead::server {
namespace asio = boost::asio;
using asio::awaitable;
using replication::ReplicaHello;
using replication::Replication;

namespace {

awaitable<void> ReplicaOf(CommandContext& cx, Args args) {
  std::string host;
  int64_t port = 0;
  if (!(EqualsIgnoreCase(args[1], "no") && EqualsIgnoreCase(args[2], "one"))) {
    if (!protocol::ParseInt64(args[2], &port) || port < 0 || port > 65535) {
      co_return cx.Error(errors::kInvalidMasterPort);
    }
    host = std::string(args[1]);
  }
  Replication& repl = cx.server.replication();
  std::string requester = cx.conn.Describe();
  auto apply = [&](Shard&) { return repl.ReplicaOf(host, port, requester); };
  std::string status = co_await cx.server.shards().Run(0, apply);
  cx.reply.Simple(std::string_view(status).substr(1));
}

awaitable<void> Role(CommandContext& cx, Args) {
  Replication& repl = cx.server.replication();
  bool resp3 = cx.conn.resp == 3;
  auto role = [&](Shard&) {
    std::string out;
    protocol::ReplyBuilder r(&out);
    r.set_resp3(resp3);
    repl.Role(r);
    return out;
  };
  std::string reply = co_await cx.server.shards().Run(0, role);
  cx.reply.buffer()->append(reply);
}

// REPLCONF from a replica before its PSYNC; ACK and GETACK on a normal connection are ignored
// without a reply, as Redis does.
void ReplConf(CommandContext& cx, Args args) {
  if (args.size() % 2 == 0) return cx.Error(errors::kSyntax);
  if (!cx.conn.replica_hello) cx.conn.replica_hello = std::make_unique<ReplicaHello>();
  ReplicaHello& hello = *cx.conn.replica_hello;
  if (EqualsIgnoreCase(args[1], "compression") && args.size() == 3) {
    // Ours: the replica offers zstd; we take it when repl-compression says so.
    hello.zstd = EqualsIgnoreCase(args[2], "zstd") && cx.shard.config().repl_compression == "zstd";
    return cx.reply.Simple(hello.zstd ? "zstd" : "OK");
  }
  for (size_t i = 1; i < args.size(); i += 2) {
    std::string_view option = args[i], value = args[i + 1];
    if (EqualsIgnoreCase(option, "ack") || EqualsIgnoreCase(option, "getack")) {
      return;  // only meaningful on a replication link
    }
    if (EqualsIgnoreCase(option, "listening-port")) {
      int64_t port;
      if (!protocol::ParseInt64(value, &port) || port < 0 || port > 65535) {
        return cx.Error(errors::kNotInteger);
      }
      hello.listening_port = port;
    } else if (EqualsIgnoreCase(option, "ip-address")) {
      if (value.size() >= 46) return cx.Error(errors::kReplicaIpTooLong);
      hello.ip = std::string(value);
    } else if (EqualsIgnoreCase(option, "capa") || EqualsIgnoreCase(option, "rdb-only") ||
               EqualsIgnoreCase(option, "rdb-filter-only")) {
      // eof and psync2 are what we do anyway; nothing else is offered.
    } else {
      return cx.Error(errors::UnrecognizedReplconf(option));
    }
  }
  cx.reply.Ok();
}

awaitable<void> Psync(CommandContext& cx, Args args) {
  Replication& repl = cx.server.replication();
  auto can = [&](Shard&) { return repl.CanServePsync(); };
  if (!co_await cx.server.shards().Run(0, can)) {
    cx.Error(errors::kNoMasterLink);
    co_return;
  }
  if (!co_await cx.conn.FlushOutput()) co_return;
  ReplicaHello hello;
  if (cx.conn.replica_hello) hello = *cx.conn.replica_hello;
  if (hello.ip.empty()) {
    // The peer's address without its port ("[::1]:5" or "127.0.0.1:5").
    std::string_view addr = cx.conn.addr();
    addr = addr.substr(0, addr.rfind(':'));
    if (addr.starts_with("[")) addr = addr.substr(1, addr.size() - 2);
    hello.ip = std::string(addr);
  }
  asio::ip::tcp protocol = asio::ip::tcp::v4();
  std::unique_ptr<TlsSession> tls;  // a TLS link's stream goes on in the same session
  int fd = cx.conn.ReleaseSocket(&protocol, &tls);
  if (fd < 0) co_return;
  asio::io_context& home = cx.server.shards()[0].io();
  asio::post(home, [&repl, &home, fd, protocol, tls = std::move(tls), hello = std::move(hello),
                    replid = std::string(args[1]), offset = std::string(args[2])]() mutable {
    asio::ip::tcp::socket socket(home);
    boost::system::error_code ec;
    socket.assign(protocol, fd, ec);
    if (ec) {
      ::close(fd);
      return;
    }
    repl.AttachReplica(replication::LinkSocket(std::move(socket), std::move(tls)), std::move(hello),
                       std::move(replid), std::move(offset));
  });
}

awaitable<void> Wait(CommandContext& cx, Args args) {
  int64_t needed, timeout;
  if (!protocol::ParseInt64(args[1], &needed)) {
    cx.Error(errors::kNotInteger);
    co_return;
  }
  if (!protocol::ParseInt64(args[2], &timeout)) {
    cx.Error(errors::kTimeoutNotInteger);
    co_return;
  }
  if (timeout < 0) {
    cx.Error(errors::kTimeoutNegative);
    co_return;
  }
  Replication& repl = cx.server.replication();
  if (repl.is_replica()) {
    cx.Error(errors::kWaitOnReplica);
    co_return;
  }
  auto& shards = cx.server.shards();
  // Every shard hands its buffered records to the stream first (the hand-offs reach shard 0
  // before our request below), so the target covers every write that has replied.
  auto hand_off = [](Shard& s) { s.feed().HandOff(); };
  co_await shards.ForEach(hand_off);
  auto executor = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(executor);
  if (timeout > 0) {
    timer->expires_after(std::chrono::milliseconds(timeout));
  } else {
    timer->expires_at(asio::steady_timer::time_point::max());
  }
  uint64_t target = 0;
  std::shared_ptr<void> waiter;
  auto begin = [&](Shard&) {
    target = repl.WaitTarget();
    size_t acked = repl.AckedAtLeast(target);
    if (needed > 0 && acked < static_cast<size_t>(needed)) {
      waiter = repl.AddWaiter(target, static_cast<size_t>(needed), [timer, executor] {
        asio::post(executor, [timer] { timer->cancel(); });
      });
    }
    return acked;
  };
  size_t acked = co_await shards.Run(0, begin);
  if (waiter) {
    co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    auto finish = [&](Shard&) {
      repl.CancelWait(waiter);
      return repl.AckedAtLeast(target);
    };
    acked = co_await shards.Run(0, finish);
  }
  cx.reply.Integer(static_cast<int64_t>(acked));
}

CommandSpec ReplicaOfSpec(std::string_view name, std::string_view since) {
  return {
      .name = name,
      .arity = 3,
      .flags = kAdmin | kNoScript | kStale,
      .group = "server",
      .since = since,
      .summary = "Configures a server as replica of another, or promotes it to a master.",
      .complexity = "O(1)",
      .args = {{"host", "string"}, {"port", "integer"}},
      .async = ReplicaOf,
  };
}

}  // namespace

std::vector<CommandSpec> ReplicationCommands() {
  return {
      ReplicaOfSpec("replicaof", "5.0.0"),
      ReplicaOfSpec("slaveof", "1.0.0"),
      {
          .name = "role",
          .arity = 1,
          .flags = kNoScript | kLoading | kStale | kFast,
          .group = "server",
          .since = "2.8.12",
          .summary = "Returns the replication role.",
          .complexity = "O(1)",
          .acl = kAclAdmin | kAclDangerous,
          .async = Role,
      },
      {
          .name = "replconf",
          .arity = -1,
          .flags = kAdmin | kNoScript | kLoading | kStale | kAllowBusy,
          .group = "server",
          .since = "3.0.0",
          .summary = "An internal command for configuring the replication stream.",
          .complexity = "O(1)",
          .sync = ReplConf,
      },
      {
          .name = "psync",
          .arity = -3,
          .flags = kAdmin | kNoScript,
          .group = "server",
          .since = "2.8.0",
          .summary = "An internal command used in replication.",
          .complexity = "",
          .args = {{"replicationid", "string"}, {"offset", "integer"}},
          .async = Psync,
      },
      {
          .name = "wait",
          .arity = 3,
          .flags = kNoScript,
          .group = "generic",
          .since = "3.0.0",
          .summary = "Blocks until the asynchronous replication of all preceding write commands "
                     "sent by the "
                     "connection is completed.",
          .complexity = "O(1)",
          .acl = kAclConnection,
          .args = {{"numreplicas", "integer"}, {"timeout", "integer"}},
          .async = Wait,
      },
  };
}

}  // namespace typeahead::server
