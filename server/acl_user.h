// AclUser is one ACL user: whether it may log in, the SHA-256 hashes of its passwords, and what
// it may do once in: the commands it may run (one bit per command table slot, subcommands
// included), the keys it may read or write (glob patterns) and the pub/sub channels it may use.
// Apply() takes one rule of ACL SETUSER's language (on, >pass, ~pattern, +@category, ...) and
// Describe() gives back rules that rebuild the user, as ACL LIST and ACL SAVE write them.
// Redis 7.0's semantics and texts, without selectors: a user has one set of permissions.
//
// Invariant: unrestricted() is true exactly when every command (future ones too), key and
// channel is allowed, so the check on the request path is one test for the default user.
//
// Threading: a plain value. Each shard holds its own copies (server/acl.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/command.h"
#include "server/glob.h"

namespace typeahead::server {

// Why a command may not run (ACL LOG's reason, NOPERM's text). The numbers are what
// errors::AclReason and AclDryRunDenied take.
enum class AclDenied : uint8_t { kNone = 0, kCommand = 1, kKey = 2, kChannel = 3 };
// ACL LOG's name of a reason: "command", "key", "channel".
std::string_view AclDeniedName(AclDenied denied);

// A key pattern's permissions: ~ grants both, %R~ and %W~ one.
inline constexpr uint8_t kKeyRead = 1, kKeyWrite = 2;

// The category named (without "@", any case), or 0.
uint32_t AclCategoryNamed(std::string_view name);
// Every command and subcommand in category, in table order (ACL CAT).
std::vector<const CommandSpec*> CommandsInCategory(uint32_t category);

// The SHA-256 of password as 64 lowercase hex digits: how passwords are kept and compared.
std::string HashPassword(std::string_view password);

class AclUser {
 public:
  // A new user as Redis makes one: off, no password, no commands, keys or channels.
  explicit AclUser(std::string name);
  // The default user of a fresh server: on nopass ~* &* +@all.
  static AclUser Default();
  // A user allowed nothing, for a connection whose user was deleted until it closes.
  static const AclUser& Nobody();

  const std::string& name() const { return name_; }
  bool enabled() const { return enabled_; }
  bool nopass() const { return nopass_; }
  const std::vector<std::string>& passwords() const { return passwords_; }
  bool unrestricted() const { return unrestricted_; }

  // Applies one rule. Returns Redis's reason when it is not valid ("Syntax error", ...), with
  // the user then possibly half changed: apply a list of rules to a copy (as ACL SETUSER).
  std::string_view Apply(std::string_view rule);

  // Whether password logs in: an enabled user with nopass, or one of its hashes, compared in
  // constant time.
  bool Authenticates(std::string_view password) const;

  // Whether the command spec with args may run; when not, why, and for a key or a channel the
  // index of the argument refused. The NOAUTH commands (AUTH, HELLO, ...) always may.
  AclDenied Check(const CommandSpec& spec, std::span<const std::string_view> args,
                  size_t* arg) const;
  // Whether channel (a PSUBSCRIBE pattern when pattern is true) is allowed.
  bool ChannelAllowed(std::string_view channel, bool pattern) const;
  bool all_channels() const { return all_channels_; }

  // What ACL LIST shows after "user <name> ": flags, password hashes, keys, channels and
  // commands ("on #5e88... ~a:* resetchannels -@all +@autocomplete").
  std::string Describe() const;
  // ACL GETUSER's fields.
  std::vector<std::string_view> Flags() const;
  std::string DescribeCommands() const;  // "+@all", "-@all +@read -get", ...
  std::string DescribeKeys() const;      // "~*", "~a:* %R~b:*", ...
  std::string DescribeChannels() const;  // "&*", "&news.*", ...

 private:
  struct KeyPattern {
    GlobPattern pattern;
    uint8_t perms;  // kKeyRead | kKeyWrite
  };
  std::string_view ApplyPermission(std::string_view rule);
  std::string_view ApplyCommandRule(std::string_view rule);
  void Refresh();  // unrestricted_
  bool KeyAllowed(std::string_view key, uint8_t needed) const;

  std::string name_;
  bool enabled_ = false;
  bool nopass_ = false;
  std::vector<std::string> passwords_;
  std::vector<uint64_t> allowed_;  // a bit per CommandSpec::stat_index
  bool all_commands_ = false;      // every command, none removed since +@all
  bool future_commands_ = false;   // +@all: what it describes as, and allows commands to come
  bool all_keys_ = false;
  std::vector<KeyPattern> keys_;
  bool all_channels_ = false;
  std::vector<GlobPattern> channels_;
  bool unrestricted_ = false;
};

}  // namespace typeahead::server
