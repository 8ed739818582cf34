// Admission: whether a parsed command may run on a connection now. Admit() finds the command
// (and its subcommand) in the table and runs Redis's checks in Redis's order, one after the
// other, each a rule of its own below; the first that fails names the error (server/errors.h)
// and counts a rejected call. Connection runs what Admit() lets through.
//
// The order: unknown command, unknown subcommand, arity, authentication, the user's ACL
// permissions (command, keys, channels: server/acl_user.h; a refusal is logged), the RESP2
// subscriber context, a stale replica (replica-serve-stale-data no), then for writes a read-only
// replica, min-replicas-to-write and the disk (MISCONF for the log, then for a failed snapshot),
// and for commands that may grow memory, maxmemory.
//
// Threading: on the connection's shard thread; reads only thread-safe server state (the
// replication flags, disk health) besides that shard's own.
#pragma once

#include <cstdint>
#include <string>

#include "server/command.h"

namespace typeahead::server {

class Server;
class Shard;

class Connection;
class AclUser;

// What admission needs to know of the client.
struct ClientFacts {
  bool authenticated;
  int resp;
  size_t subscriptions;
  const AclUser* user;
  Connection* connection;  // for the ACL LOG's record of a refusal
};

// The command to run, or nullptr with *error set when it must not run.
const CommandSpec* Admit(Args args, const ClientFacts& client, Shard& shard, Server& server,
                         std::string* error);

}  // namespace typeahead::server
