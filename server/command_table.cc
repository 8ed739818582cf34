#include "server/command_table.h"

#include <bit>
#include <cstring>
#include <stdexcept>

#include "protocol/ascii.h"
#include "server/ranked_read.h"

namespace typeahead::server {

const std::pair<AclCategory, std::string_view> kAclCategoryNames[kAclCategoryCount] = {
    {kAclKeyspace, "keyspace"},
    {kAclRead, "read"},
    {kAclWrite, "write"},
    {kAclSet, "set"},
    {kAclSortedset, "sortedset"},
    {kAclList, "list"},
    {kAclHash, "hash"},
    {kAclString, "string"},
    {kAclBitmap, "bitmap"},
    {kAclHyperloglog, "hyperloglog"},
    {kAclGeo, "geo"},
    {kAclStream, "stream"},
    {kAclPubsub, "pubsub"},
    {kAclAdmin, "admin"},
    {kAclFast, "fast"},
    {kAclSlow, "slow"},
    {kAclBlocking, "blocking"},
    {kAclDangerous, "dangerous"},
    {kAclConnection, "connection"},
    {kAclTransaction, "transaction"},
    {kAclScripting, "scripting"},
    {kAclAutocomplete, "autocomplete"},
};

uint32_t AclCategories(const CommandSpec& spec) {
  uint32_t acl = spec.acl;
  if (spec.flags & kWrite) acl |= kAclWrite;
  if (spec.flags & kReadonly) acl |= kAclRead;
  if (spec.flags & kAdmin) acl |= kAclAdmin | kAclDangerous;
  if (spec.flags & kPubsub) acl |= kAclPubsub;
  acl |= (spec.flags & kFast) ? kAclFast : kAclSlow;
  if (spec.group == "autocomplete") acl |= kAclAutocomplete;
  return acl;
}

namespace {

const std::pair<CommandFlag, std::string_view> kFlagNames[] = {
    {kWrite, "write"},
    {kReadonly, "readonly"},
    {kDenyOom, "denyoom"},
    {kAdmin, "admin"},
    {kPubsub, "pubsub"},
    {kNoScript, "noscript"},
    {kLoading, "loading"},
    {kStale, "stale"},
    {kSkipMonitor, "skip_monitor"},
    {kFast, "fast"},
    {kNoAuth, "no_auth"},
    {kMayReplicate, "may_replicate"},
    {kAllowBusy, "allow_busy"},
    {kSkipSlowlog, "skip_slowlog"},
};

void ReplyArgDoc(protocol::ReplyBuilder& r, const ArgDoc& a) {
  size_t fields = 2 + (a.token.empty() ? 0 : 1) + (a.optional || a.multiple ? 1 : 0) +
                  (a.children.empty() ? 0 : 1);
  r.Map(fields);
  r.Bulk("name");
  r.Bulk(a.name);
  r.Bulk("type");
  r.Bulk(a.type);
  if (!a.token.empty()) {
    r.Bulk("token");
    r.Bulk(a.token);
  }
  if (a.optional || a.multiple) {
    r.Bulk("flags");
    r.Set((a.optional ? 1 : 0) + (a.multiple ? 1 : 0));
    if (a.optional) r.Simple("optional");
    if (a.multiple) r.Simple("multiple");
  }
  if (!a.children.empty()) {
    r.Bulk("arguments");
    r.Array(a.children.size());
    for (const auto& c : a.children) ReplyArgDoc(r, c);
  }
}

void AssignStats(CommandSpec& spec, std::vector<const CommandSpec*>& all) {
  spec.stat_index = all.size();
  all.push_back(&spec);
  for (auto& sub : spec.subcommands) AssignStats(sub, all);
}

}  // namespace

const CommandTable& CommandTable::Get() {
  static const CommandTable table;
  return table;
}

CommandTable::CommandTable() {
  for (auto group : {ConnectionCommands, ServerCommands, PersistenceCommands, KeyspaceCommands,
                     AutocompleteCommands, SuggestionCommands, TransactionCommands, PubsubCommands,
                     ReplicationCommands}) {
    for (auto& spec : group()) commands_.push_back(std::move(spec));
  }
  for (auto& spec : commands_) {
    // A ranked read's row names only its ranked part: the table adds the fan-out and, where
    // the row has none of its own, the routed handler (server/ranked_read.h).
    if (spec.ranked != nullptr) {
      if (spec.route == nullptr || spec.async != nullptr || spec.sync != nullptr) {
        throw std::logic_error("CommandTable: a ranked read routes and has no other handler");
      }
      spec.async = RankedFanOut;
      if (spec.on_shard == nullptr) spec.on_shard = RankedOnShard;
    }
    AssignStats(spec, all_);
  }
  if (commands_.size() * 4 > kSlots) throw std::logic_error("CommandTable: too few slots");
  slots_.fill(kEmpty);
  for (size_t i = 0; i < commands_.size(); ++i) {
    std::string_view name = commands_[i].name;
    if (name.size() > kMaxNameLength) throw std::logic_error("CommandTable: name too long");
    uint64_t h = kFnvBasis;
    for (char c : name) h = (h ^ static_cast<uint8_t>(c)) * kFnvPrime;
    size_t slot = h & (kSlots - 1);
    while (slots_[slot] != kEmpty) slot = (slot + 1) & (kSlots - 1);
    slots_[slot] = static_cast<uint16_t>(i);
  }
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  // Lower-case into a stack buffer: this runs for every command, so no allocation.
  char buf[kMaxNameLength];
  size_t n = name.size();
  if (n > sizeof(buf)) return nullptr;
  uint64_t h = kFnvBasis;
  for (size_t i = 0; i < n; ++i) {
    char c = AsciiLower(name[i]);
    buf[i] = c;
    h = (h ^ static_cast<uint8_t>(c)) * kFnvPrime;
  }
  for (size_t slot = h & (kSlots - 1);; slot = (slot + 1) & (kSlots - 1)) {
    uint16_t i = slots_[slot];
    if (i == kEmpty) return nullptr;
    const CommandSpec& spec = commands_[i];
    if (spec.name.size() == n && std::memcmp(spec.name.data(), buf, n) == 0) return &spec;
  }
}

const CommandSpec* CommandTable::FindSub(const CommandSpec& parent, std::string_view sub) {
  std::string full = std::string(parent.name) + "|" + ToLower(sub);
  for (const auto& s : parent.subcommands) {
    if (s.name == full) return &s;
  }
  return nullptr;
}

void ContainerHelp(CommandContext& cx, Args args) {
  const CommandSpec* container = CommandTable::Get().Find(args[0]);
  std::vector<const HelpEntry*> entries;
  for (const auto& e : container->help) entries.push_back(&e);
  for (const auto& sub : container->subcommands) {
    for (const auto& e : sub.help) entries.push_back(&e);
  }
  static const HelpEntry kHelp{"HELP", {"Print this help."}};
  entries.push_back(&kHelp);
  size_t lines = 1;
  for (const HelpEntry* e : entries) lines += 1 + e->text.size();
  cx.reply.Array(lines);
  cx.reply.Simple(ToUpper(container->name) + " <subcommand> [<arg> [value] [opt] ...]. " +
                  "Subcommands are:");
  for (const HelpEntry* e : entries) {
    cx.reply.Simple(e->usage);
    for (std::string_view line : e->text) cx.reply.Simple("    " + std::string(line));
  }
}

namespace {
// A key spec's opening (a map of flags, begin_search, find_keys) and its flags.
void ReplyKeySpecFlags(protocol::ReplyBuilder& r, const CommandSpec& spec) {
  r.Map(3);
  r.Bulk("flags");
  bool write = spec.flags & kWrite;
  r.Set(2);
  r.Simple(write ? "RW" : "RO");
  r.Simple(write ? "UPDATE" : "ACCESS");
}
// A key spec's find_keys, a range.
void ReplyFindKeys(protocol::ReplyBuilder& r, int last, int step) {
  r.Bulk("find_keys");
  r.Map(2);
  r.Bulk("type");
  r.Bulk("range");
  r.Bulk("spec");
  r.Map(3);
  r.Bulk("lastkey");
  r.Integer(last);
  r.Bulk("keystep");
  r.Integer(step);
  r.Bulk("limit");
  r.Integer(0);
}
}  // namespace

void ReplyCommandInfo(protocol::ReplyBuilder& r, const CommandSpec& spec) {
  r.Array(10);
  r.Bulk(spec.name);
  r.Integer(spec.arity);
  size_t nflags = 0;
  for (auto [flag, name] : kFlagNames) nflags += (spec.flags & flag) ? 1 : 0;
  // Keys after a keyword move with the arguments: Redis flags such a command so that clients
  // ask COMMAND GETKEYS for them.
  bool keyword = !spec.keyword_keys.keyword.empty();
  r.Set(nflags + keyword);
  for (auto [flag, name] : kFlagNames) {
    if (spec.flags & flag) r.Simple(name);
  }
  if (keyword) r.Simple("movablekeys");
  r.Integer(spec.keys.first);
  r.Integer(spec.keys.last);
  r.Integer(spec.keys.step);
  uint32_t acl = AclCategories(spec);
  r.Set(std::popcount(acl));
  for (auto [category, name] : kAclCategoryNames) {
    if (acl & category) r.Simple("@" + std::string(name));
  }
  r.Set(0);  // tips
  // Key specs and subcommands are sets, as Redis 7 replies them (~ in RESP3).
  r.Set(spec.keys.first > 0 ? 1 + keyword : 0);
  if (spec.keys.first > 0) {
    ReplyKeySpecFlags(r, spec);
    r.Bulk("begin_search");
    r.Map(2);
    r.Bulk("type");
    r.Bulk("index");
    r.Bulk("spec");
    r.Map(1);
    r.Bulk("index");
    r.Integer(spec.keys.first);
    ReplyFindKeys(r, spec.keys.last < 0 ? spec.keys.last : spec.keys.last - spec.keys.first,
                  spec.keys.step);
  }
  if (spec.keys.first > 0 && keyword) {
    const KeywordKeys& kw = spec.keyword_keys;
    ReplyKeySpecFlags(r, spec);
    r.Bulk("begin_search");
    r.Map(2);
    r.Bulk("type");
    r.Bulk("keyword");
    r.Bulk("spec");
    r.Map(2);
    r.Bulk("keyword");
    r.Bulk(ToUpper(kw.keyword));
    r.Bulk("startfrom");
    r.Integer(kw.from);
    ReplyFindKeys(r, kw.last, kw.step);
  }
  r.Set(spec.subcommands.size());
  for (const auto& sub : spec.subcommands) ReplyCommandInfo(r, sub);
}

void ReplyCommandDocs(protocol::ReplyBuilder& r, const CommandSpec& spec) {
  r.Map(4 + (spec.args.empty() ? 0 : 1) + (spec.subcommands.empty() ? 0 : 1));
  r.Bulk("summary");
  r.Bulk(spec.summary);
  r.Bulk("since");
  r.Bulk(spec.since);
  r.Bulk("group");
  r.Bulk(spec.group);
  r.Bulk("complexity");
  r.Bulk(spec.complexity);
  if (!spec.args.empty()) {
    r.Bulk("arguments");
    r.Array(spec.args.size());
    for (const auto& a : spec.args) ReplyArgDoc(r, a);
  }
  if (!spec.subcommands.empty()) {
    r.Bulk("subcommands");
    r.Map(spec.subcommands.size());
    for (const auto& sub : spec.subcommands) {
      r.Bulk(sub.name);
      ReplyCommandDocs(r, sub);
    }
  }
}

}  // namespace typeahead::server
