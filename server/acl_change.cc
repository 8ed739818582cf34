#include "server/acl_change.h"

#include "server/shard.h"

namespace typeahead::server {

boost::asio::awaitable<std::optional<std::string>> ChangeAcl(ShardSet& shards, AclChange change) {
  std::shared_ptr<const Acl> state;
  auto authority = [&](Shard& s) -> std::optional<std::string> {
    auto next = std::make_shared<Acl>(s.acl());
    if (auto error = change(*next)) return error;
    next->set_version(s.acl().version() + 1);
    s.AdoptAcl(*next);
    state = std::move(next);
    return std::nullopt;
  };
  if (auto error = co_await shards.Run(0, authority)) co_return error;
  co_await shards.ForEach([&](Shard& s) { s.AdoptAcl(*state); });
  co_return std::nullopt;
}

void LogAclEvent(ShardSet& shards, AclLogEntry entry) {
  auto log = [&shards, entry = std::move(entry)]() mutable {
    Shard& keeper = shards[0];
    keeper.acl().Log(std::move(entry), static_cast<size_t>(keeper.config().acllog_max_len));
  };
  if (Shard::Current() == &shards[0]) return log();
  shards.Post(0, std::move(log));
}

}  // namespace typeahead::server
