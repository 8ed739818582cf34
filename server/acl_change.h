// ChangeAcl is the one way the users change once the server runs (ACL SETUSER, DELUSER, LOAD,
// CONFIG SET requirepass): see server/acl.h for why shard 0's copy is the authority.
//
// Threading: call from a shard thread. `change` runs on shard 0 against a copy of its Acl;
// when it succeeds the copy, numbered next, becomes shard 0's state and then every other
// shard's, all before the awaitable completes: a reply sent after it is seen by every
// connection's next command. Connections of removed users are closed, as are subscribers
// whose user lost one of their channels (Shard::AdoptAcl).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <optional>
#include <string>

#include "server/acl.h"

namespace typeahead::server {

class ShardSet;

// The error to reply, or nullopt when the change was made.
using AclChange = std::function<std::optional<std::string>(Acl&)>;
boost::asio::awaitable<std::optional<std::string>> ChangeAcl(ShardSet& shards, AclChange change);

// Adds entry to the ACL LOG, which shard 0 keeps; from any shard thread, without waiting.
void LogAclEvent(ShardSet& shards, AclLogEntry entry);

}  // namespace typeahead::server
