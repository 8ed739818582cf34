#include "server/dispatcher.h"

#include "protocol/ascii.h"
#include "replication/replication.h"
#include "server/acl_user.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/errors.h"
#include "server/memory_usage.h"
#include "server/server.h"
#include "server/shard.h"

namespace typeahead::server {
namespace {

// Each rule: true when the command may go on, else *error says why.
bool Authenticated(const CommandSpec& spec, const ClientFacts& client, const Shard& shard,
                   std::string* error) {
  if (client.authenticated || (spec.flags & kNoAuth)) return true;
  // As Redis: once the default user needs no password, nobody needs to log in.
  const AclUser& fallback = shard.acl().default_user();
  if (fallback.enabled() && fallback.nopass()) return true;
  *error = errors::kNoAuth;
  return false;
}

bool Permitted(const CommandSpec& spec, Args args, const ClientFacts& client, std::string* error) {
  if (client.user->unrestricted()) return true;  // the default user's case: one test
  size_t arg = 0;
  AclDenied denied = client.user->Check(spec, args, &arg);
  if (denied == AclDenied::kNone) return true;
  switch (denied) {
    case AclDenied::kCommand:
      *error = errors::NoPermCommand(spec.name);
      break;
    case AclDenied::kKey:
      *error = errors::kNoPermKey;
      break;
    default:
      *error = errors::kNoPermChannel;
      break;
  }
  Connection& c = *client.connection;
  c.LogAclDenial(AclDeniedName(denied), denied == AclDenied::kCommand ? spec.name : args[arg],
                 client.user->name(), c.in_multi());
  return false;
}

bool AllowedWhileSubscribed(const CommandSpec& spec, const ClientFacts& client,
                            std::string* error) {
  if (client.resp != 2 || client.subscriptions == 0 || (spec.flags & kSubscribedOk)) return true;
  *error = errors::SubscriberContext(spec.name);
  return false;
}

bool FreshEnough(const CommandSpec& spec, const Config& config,
                 const replication::Replication& repl, std::string* error) {
  if ((spec.flags & kStale) || !repl.stale() || config.replica_serve_stale_data) return true;
  *error = errors::kMasterDown;
  return false;
}

// For writes: a primary, with enough good replicas, whose disk takes writes.
bool Writable(const Config& config, const replication::Replication& repl, const DiskHealth& health,
              std::string* error) {
  if (repl.is_replica()) {
    *error = errors::kReadOnlyReplica;
    return false;
  }
  if (config.min_replicas_to_write > 0 && repl.good_replicas() < config.min_replicas_to_write) {
    *error = errors::kNoReplicas;
    return false;
  }
  if (health.failing_logs.load(std::memory_order_relaxed) > 0) {
    *error = errors::LogWriteFailed(health.log_errno.load(std::memory_order_relaxed));
    return false;
  }
  if (health.snapshot_failed.load(std::memory_order_relaxed) &&
      config.stop_writes_on_bgsave_error) {
    *error = errors::kSnapshotFailed;
    return false;
  }
  return true;
}

bool UnderMaxmemory(const Config& config, std::string* error) {
  if (config.maxmemory <= 0 || UsedMemory() <= config.maxmemory) return true;
  *error = errors::kOutOfMemory;
  return false;
}

}  // namespace

void CommandContext::Fail(errors::Status status) {
  failed = true;
  errors::ReplyError(reply, status, shard.config().max_term_length);
}

const CommandSpec* Admit(Args args, const ClientFacts& client, Shard& shard, Server& server,
                         std::string* error) {
  const CommandSpec* spec = CommandTable::Get().Find(args[0]);
  if (spec == nullptr) {
    *error = errors::UnknownCommand(args);
    return nullptr;
  }
  if (!spec->subcommands.empty() && args.size() >= 2) {
    const CommandSpec* sub = CommandTable::FindSub(*spec, args[1]);
    if (sub == nullptr) {
      *error = errors::UnknownSubcommand(args[1], ToUpper(spec->name));
      return nullptr;
    }
    spec = sub;
  }
  const Config& config = shard.config();
  const replication::Replication& repl = server.replication();
  bool ok = true;
  if (!spec->ArityOk(args.size())) {
    *error = errors::WrongArity(spec->name);
    ok = false;
  }
  ok = ok && Authenticated(*spec, client, shard, error) && Permitted(*spec, args, client, error) &&
       AllowedWhileSubscribed(*spec, client, error) && FreshEnough(*spec, config, repl, error);
  if (ok && (spec->flags & kWrite))
    ok = Writable(config, repl, server.persistence().health(), error);
  if (ok && (spec->flags & kDenyOom)) ok = UnderMaxmemory(config, error);
  if (ok && !(spec->flags & kLoading) && server.loading()) {
    *error = errors::kLoading;
    ok = false;
  }
  if (!ok) {
    ++shard.stats().commands[spec->stat_index].rejected_calls;
    return nullptr;
  }
  return spec;
}

}  // namespace typeahead::server
