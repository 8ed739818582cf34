// Acl is the server's users, in name order (ACL LIST and ACL SAVE list them so): the default
// user, which every new connection starts as, and those ACL SETUSER, the config file's `user`
// lines or the aclfile define. And the ACL LOG of refused commands and failed logins.
//
// Threading: each shard holds one (Shard::acl()), touched only from its own thread, so the
// check of a command reads only its shard's memory. Shard 0's copy is the authority: a change
// (ACL SETUSER, DELUSER, LOAD, CONFIG SET requirepass) is made there first, on a copy that
// becomes the next numbered state (server/acl_change.h); every shard then adopts that state
// unless it holds a newer one, so the copies agree whatever order the states reach them in.
// Adopt() changes users in place: a connection points at its user in its own shard's Acl,
// and sees new rules from its next command on. The log is kept on shard 0's copy only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/acl_user.h"

namespace typeahead::server {

struct Config;

// One ACL LOG entry: refusals alike (reason, context, object, user) within a minute of each
// other are counted in one.
struct AclLogEntry {
  uint64_t count = 1;
  std::string reason;   // "command", "key", "channel", "auth"
  std::string context;  // "toplevel", "multi"
  std::string object;   // the command, key or channel refused; AUTH or HELLO for a login
  std::string username;
  int64_t ms = 0;           // when it last happened, Unix milliseconds
  std::string client_info;  // CLIENT LIST's line of the client
};

class Acl {
 public:
  using Users = std::map<std::string, std::unique_ptr<AclUser>, std::less<>>;

  Acl();                  // the default user only: on nopass ~* &* +@all
  Acl(const Acl& other);  // users copied; the log is not
  Acl& operator=(const Acl&) = delete;

  const AclUser& default_user() const { return *users_.find("default")->second; }
  const AclUser* Find(std::string_view name) const;
  const Users& users() const { return users_; }
  uint64_t version() const { return version_; }
  void set_version(uint64_t v) { version_ = v; }

  // Applies rules to the user named, created when new: all of them or, when one is not
  // valid, none. Returns Redis's error text for the first rule refused.
  std::optional<std::string> SetUser(std::string_view name,
                                     std::span<const std::string_view> rules);
  // Deletes the users named; returns how many there were. The default user cannot be.
  size_t DelUsers(std::span<const std::string_view> names);
  // Replaces every user with those of an ACL file's text ("user <name> <rule>..." lines; a
  // default user it does not define is a fresh one). All or nothing: returns the errors,
  // each naming file and line, and changes nothing then.
  std::optional<std::string> Load(std::string_view text, std::string_view file);
  // The ACL file's text of every user: ACL SAVE writes it, CONFIG REWRITE its lines.
  std::string Serialize() const;

  // Makes this copy equal to `state` in place when state is newer. Returns the users it
  // removed (the caller moves their connections off before destroying them) and, in *changed,
  // those whose channel permissions changed (a subscriber may have lost one).
  std::vector<std::unique_ptr<AclUser>> Adopt(const Acl& state,
                                              std::vector<const AclUser*>* changed);

  // The log (shard 0's copy): the newest first, at most max_len entries.
  void Log(AclLogEntry entry, size_t max_len);
  const std::deque<AclLogEntry>& log() const { return log_; }
  void ResetLog() { log_.clear(); }

 private:
  Users users_;
  uint64_t version_ = 0;
  std::deque<AclLogEntry> log_;
};

// The users a server starts with: the default user, with requirepass's password when set,
// then the config file's `user` lines or the aclfile (not both). The message to exit with
// when they are not valid.
std::optional<std::string> InitialAcl(const Config& config, Acl* acl);

// Where the aclfile is: a relative path is under `dir`, as Redis reads it after chdir(dir).
// Empty when there is no aclfile.
std::string AclFilePath(const Config& config);

// Usernames, like key and channel patterns, hold no spaces or NUL bytes.
bool ValidAclName(std::string_view name);

}  // namespace typeahead::server
