// CommandTable owns every CommandSpec, assigns statistics slots and answers lookups by name
// (case-insensitive) for dispatch and for COMMAND. Built once at start-up; read-only after,
// so every shard thread reads it without synchronisation.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/command.h"

namespace typeahead::server {

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

  CommandTable();
  std::vector<CommandSpec> commands_;
  std::vector<const CommandSpec*> all_;
  std::unordered_map<std::string_view, size_t> index_;  // views of the specs' own names
};

// Handler groups, one per file.
std::vector<CommandSpec> ConnectionCommands();
std::vector<CommandSpec> ServerCommands();
std::vector<CommandSpec> KeyspaceCommands();
std::vector<CommandSpec> AutocompleteCommands();
std::vector<CommandSpec> PersistenceCommands();
std::vector<CommandSpec> TransactionCommands();
std::vector<CommandSpec> PubsubCommands();

}  // namespace typeahead::server

namespace typeahead::replication {
std::vector<server::CommandSpec> ReplicationCommands();  // replication/replication_commands.cc
}  // namespace typeahead::replication

namespace typeahead::server {

// COMMAND rendering, shared by COMMAND and COMMAND INFO/DOCS.
void ReplyCommandInfo(protocol::ReplyBuilder& reply, const CommandSpec& spec);
void ReplyCommandDocs(protocol::ReplyBuilder& reply, const CommandSpec& spec);

}  // namespace typeahead::server
