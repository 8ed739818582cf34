// CommandTable owns every CommandSpec, assigns statistics slots and answers lookups by name
// (case-insensitive) for dispatch and for COMMAND. Built once at start-up; read-only after,
// so every shard thread reads it without synchronisation.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/command.h"

namespace typeahead::server {

struct Config;

class CommandTable {
 public:
  static const CommandTable& Get();

  const CommandSpec* Find(std::string_view name) const;
  // The subcommand of parent named sub, or nullptr.
  static const CommandSpec* FindSub(const CommandSpec& parent, std::string_view sub);
  const std::vector<CommandSpec>& commands() const { return commands_; }
  // Every spec with a statistics slot (commands and subcommands), by stat_index.
  const std::vector<const CommandSpec*>& all() const { return all_; }

 private:
  static constexpr size_t kMaxNameLength = 32;
  // Find() runs for every command: an open-addressing table of indexes into commands_, hashed
  // (FNV-1a) while the name is lower-cased, so a lookup reads the name once and calls nothing.
  // Callgrind, PING at -P 16: 200 instructions per lookup with std::unordered_map, 40 here.
  static constexpr size_t kSlots = 512;  // a power of two, several times the command count
  static constexpr uint16_t kEmpty = UINT16_MAX;
  static constexpr uint64_t kFnvBasis = 0xcbf29ce484222325ull, kFnvPrime = 0x100000001b3ull;

  CommandTable();
  std::vector<CommandSpec> commands_;
  std::vector<const CommandSpec*> all_;
  std::array<uint16_t, kSlots> slots_;
};

// Handler groups, one per file.
std::vector<CommandSpec> ConnectionCommands();
std::vector<CommandSpec> ServerCommands();
std::vector<CommandSpec> KeyspaceCommands();
std::vector<CommandSpec> AutocompleteCommands();
std::vector<CommandSpec> SuggestionCommands();
// The contract's checks of a term (autocomplete_commands.cc): not empty, not longer than
// max-term-length. For callers that check a batch before running any of it (the HTTP API).
errors::Status CheckTerm(const Config& config, std::string_view term);
// Shared with the suggestion commands (autocomplete_commands.cc): the router of a command
// whose args[2] is its one term (an empty term goes anywhere: the handler replies the
// error), a dictionary's size summed over the shards, and ACCARD (FT.SUGLEN too).
ptrdiff_t RouteByTerm(Args args, size_t shards);
boost::asio::awaitable<int64_t> DictionarySize(CommandContext& cx, std::string_view key);
boost::asio::awaitable<void> AcCard(CommandContext& cx, Args args);
std::vector<CommandSpec> PersistenceCommands();
std::vector<CommandSpec> TransactionCommands();
std::vector<CommandSpec> PubsubCommands();
std::vector<CommandSpec> ReplicationCommands();
CommandSpec ClientCommand();   // CLIENT and its subcommands
CommandSpec ConfigCommand();   // CONFIG and its subcommands
CommandSpec AclCommand();      // ACL and its subcommands
CommandSpec SlowlogCommand();  // SLOWLOG and its subcommands
CommandSpec LatencyCommand();  // LATENCY and its subcommands
CommandSpec MemoryCommand();   // MEMORY and its subcommands
CommandSpec ObjectCommand();   // OBJECT and its subcommands

// A container's HELP subcommand (CLIENT HELP, CONFIG HELP, ...): Redis's header line, the
// container's own entries, each subcommand's in table order, then HELP itself.
void ContainerHelp(CommandContext& cx, Args args);

// COMMAND rendering, shared by COMMAND and COMMAND INFO/DOCS.
void ReplyCommandInfo(protocol::ReplyBuilder& reply, const CommandSpec& spec);
void ReplyCommandDocs(protocol::ReplyBuilder& reply, const CommandSpec& spec);

}  // namespace typeahead::server
