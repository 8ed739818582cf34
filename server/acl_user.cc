#include "server/acl_user.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <climits>

#include "protocol/ascii.h"
#include "server/command_table.h"

namespace typeahead::server {
namespace {

using Bits = std::vector<uint64_t>;

// Redis's reasons for a rule it refuses (ACL SETUSER's "Error in ACL SETUSER modifier").
constexpr std::string_view kSyntaxError = "Syntax error";
constexpr std::string_view kUnknownName = "Unknown command or category name in ACL";
constexpr std::string_view kKeyAfterAll =
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not "
    "have any effect. Try 'resetkeys' to start with an empty list of patterns";
constexpr std::string_view kChannelAfterAll =
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does "
    "not have any effect. Try 'resetchannels' to start with an empty list of channels";
constexpr std::string_view kNoSuchPassword =
    "The password you are trying to remove from the user does not exist";
constexpr std::string_view kBadHash =
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
    "characters";
constexpr std::string_view kFirstArgOfSubcommand =
    "Allowing first-arg of a subcommand is not supported";

size_t Slots() { return CommandTable::Get().all().size(); }

bool Bit(const Bits& bits, size_t i) { return (bits[i / 64] >> (i % 64)) & 1; }

void SetBit(Bits& bits, size_t i, bool on) {
  if (on) {
    bits[i / 64] |= uint64_t{1} << (i % 64);
  } else {
    bits[i / 64] &= ~(uint64_t{1} << (i % 64));
  }
}

// A command and its subcommands: allowing or blocking a container covers them all.
void SetCommand(Bits& bits, const CommandSpec& spec, bool allow) {
  SetBit(bits, spec.stat_index, allow);
  for (const CommandSpec& sub : spec.subcommands) SetBit(bits, sub.stat_index, allow);
}

// Every command in category, looked for among subcommands too.
template <typename F>
void ForEachInCategory(uint32_t category, F f) {
  for (const CommandSpec& spec : CommandTable::Get().commands()) {
    if (AclCategories(spec) & category) f(spec);
    for (const CommandSpec& sub : spec.subcommands) {
      if (AclCategories(sub) & category) f(sub);
    }
  }
}

void SetCategory(Bits& bits, uint32_t category, bool allow) {
  ForEachInCategory(category, [&](const CommandSpec& spec) { SetCommand(bits, spec, allow); });
}

bool HasSpaces(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    return c == '\0' || std::isspace(static_cast<unsigned char>(c));
  });
}

bool ValidHash(std::string_view h) {
  return h.size() == 64 && std::all_of(h.begin(), h.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The command rule's target: a command, or a container's subcommand ("config|get").
const CommandSpec* FindRuleCommand(std::string_view name, std::string_view* error) {
  size_t bar = name.rfind('|');
  const CommandSpec* spec = CommandTable::Get().Find(name.substr(0, bar));
  if (spec == nullptr) {
    *error = kUnknownName;
    return nullptr;
  }
  if (bar == std::string_view::npos) return spec;
  std::string_view sub = name.substr(bar + 1);
  if (name.substr(0, bar).find('|') != std::string_view::npos) {
    *error = kFirstArgOfSubcommand;
    return nullptr;
  }
  if (sub.empty()) {
    *error = kSyntaxError;
    return nullptr;
  }
  // Redis would allow a first argument of a command without subcommands (+select|0); that
  // is deprecated there and not offered here.
  const CommandSpec* found =
      spec->subcommands.empty() ? nullptr : CommandTable::FindSub(*spec, sub);
  if (found == nullptr) *error = kUnknownName;
  return found;
}

}  // namespace

uint32_t AclCategoryNamed(std::string_view name) {
  for (auto [bit, n] : kAclCategoryNames) {
    if (EqualsIgnoreCase(n, name)) return bit;
  }
  return 0;
}

std::vector<const CommandSpec*> CommandsInCategory(uint32_t category) {
  std::vector<const CommandSpec*> specs;
  ForEachInCategory(category, [&](const CommandSpec& spec) { specs.push_back(&spec); });
  return specs;
}

std::string_view AclDeniedName(AclDenied denied) {
  switch (denied) {
    case AclDenied::kCommand:
      return "command";
    case AclDenied::kKey:
      return "key";
    case AclDenied::kChannel:
      return "channel";
    default:
      return "unknown";
  }
}

std::string HashPassword(std::string_view password) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(password.data()), password.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(2 * SHA256_DIGEST_LENGTH, '0');
  for (size_t i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 15];
  }
  return hex;
}

AclUser::AclUser(std::string name) : name_(std::move(name)), allowed_((Slots() + 63) / 64, 0) {}

AclUser AclUser::Default() {
  AclUser u("default");
  for (std::string_view rule : {"+@all", "~*", "&*", "on", "nopass"}) u.Apply(rule);
  return u;
}

const AclUser& AclUser::Nobody() {
  static const AclUser nobody("");
  return nobody;
}

std::string_view AclUser::Apply(std::string_view rule) {
  std::string_view error;
  if (rule.empty()) return error;
  if (EqualsIgnoreCase(rule, "on")) {
    enabled_ = true;
  } else if (EqualsIgnoreCase(rule, "off")) {
    enabled_ = false;
  } else if (EqualsIgnoreCase(rule, "nopass")) {
    nopass_ = true;
    passwords_.clear();
  } else if (EqualsIgnoreCase(rule, "resetpass")) {
    nopass_ = false;
    passwords_.clear();
  } else if (rule[0] == '>' || rule[0] == '#') {
    std::string hash = rule[0] == '>' ? HashPassword(rule.substr(1)) : std::string(rule.substr(1));
    if (!ValidHash(hash)) return kBadHash;
    if (std::find(passwords_.begin(), passwords_.end(), hash) == passwords_.end()) {
      passwords_.push_back(std::move(hash));
    }
    nopass_ = false;
  } else if (rule[0] == '<' || rule[0] == '!') {
    std::string hash = rule[0] == '<' ? HashPassword(rule.substr(1)) : std::string(rule.substr(1));
    if (!ValidHash(hash)) return kBadHash;
    auto it = std::find(passwords_.begin(), passwords_.end(), hash);
    if (it == passwords_.end()) return kNoSuchPassword;
    passwords_.erase(it);
  } else if (EqualsIgnoreCase(rule, "clearselectors") ||
             EqualsIgnoreCase(rule, "sanitize-payload") ||
             EqualsIgnoreCase(rule, "skip-sanitize-payload")) {
    // No selectors and no RESTORE payloads here: accepted so Redis's rules load unchanged.
  } else if (EqualsIgnoreCase(rule, "reset")) {
    for (std::string_view r : {"resetpass", "resetkeys", "resetchannels", "off", "-@all"}) {
      Apply(r);
    }
  } else {
    error = ApplyPermission(rule);
  }
  Refresh();
  return error;
}

std::string_view AclUser::ApplyPermission(std::string_view rule) {
  if (EqualsIgnoreCase(rule, "allkeys") || rule == "~*") {
    all_keys_ = true;
    keys_.clear();
  } else if (EqualsIgnoreCase(rule, "resetkeys")) {
    all_keys_ = false;
    keys_.clear();
  } else if (EqualsIgnoreCase(rule, "allchannels") || rule == "&*") {
    all_channels_ = true;
    channels_.clear();
  } else if (EqualsIgnoreCase(rule, "resetchannels")) {
    all_channels_ = false;
    channels_.clear();
  } else if (rule[0] == '~' || rule[0] == '%') {
    if (all_keys_) return kKeyAfterAll;
    uint8_t perms = kKeyRead | kKeyWrite;
    size_t at = 1;
    if (rule[0] == '%') {
      perms = 0;
      for (;; ++at) {
        if (at == rule.size()) return kSyntaxError;
        char c = AsciiUpper(rule[at]);
        if (c == 'R' && !(perms & kKeyRead)) {
          perms |= kKeyRead;
        } else if (c == 'W' && !(perms & kKeyWrite)) {
          perms |= kKeyWrite;
        } else if (rule[at] == '~' && perms != 0) {
          ++at;
          break;
        } else {
          return kSyntaxError;
        }
      }
    }
    std::string_view pattern = rule.substr(at);
    if (HasSpaces(pattern)) return kSyntaxError;
    auto same = [&](const KeyPattern& k) { return k.pattern.text() == pattern; };
    auto it = std::find_if(keys_.begin(), keys_.end(), same);
    if (it == keys_.end()) {
      keys_.push_back({GlobPattern(pattern), perms});
    } else {
      it->perms |= perms;
    }
  } else if (rule[0] == '&') {
    if (all_channels_) return kChannelAfterAll;
    std::string_view pattern = rule.substr(1);
    if (HasSpaces(pattern)) return kSyntaxError;
    auto same = [&](const GlobPattern& c) { return c.text() == pattern; };
    if (std::find_if(channels_.begin(), channels_.end(), same) == channels_.end()) {
      channels_.emplace_back(pattern);
    }
  } else if (EqualsIgnoreCase(rule, "allcommands")) {
    return ApplyCommandRule("+@all");
  } else if (EqualsIgnoreCase(rule, "nocommands")) {
    return ApplyCommandRule("-@all");
  } else if (rule[0] == '+' || rule[0] == '-') {
    return ApplyCommandRule(rule);
  } else {
    return kSyntaxError;
  }
  return {};
}

std::string_view AclUser::ApplyCommandRule(std::string_view rule) {
  bool allow = rule[0] == '+';
  std::string_view target = rule.substr(1);
  if (EqualsIgnoreCase(target, "@all")) {
    std::fill(allowed_.begin(), allowed_.end(), allow ? ~uint64_t{0} : 0);
    all_commands_ = future_commands_ = allow;
    return {};
  }
  if (!target.empty() && target[0] == '@') {
    uint32_t category = AclCategoryNamed(target.substr(1));
    if (category == 0) return kUnknownName;
    SetCategory(allowed_, category, allow);
  } else {
    std::string_view error;
    const CommandSpec* spec = FindRuleCommand(target, &error);
    if (spec == nullptr) return error;
    SetCommand(allowed_, *spec, allow);
  }
  if (!allow) all_commands_ = false;
  return {};
}

void AclUser::Refresh() { unrestricted_ = all_commands_ && all_keys_ && all_channels_; }

bool AclUser::Authenticates(std::string_view password) const {
  if (!enabled_) return false;
  if (nopass_) return true;
  std::string hash = HashPassword(password);
  bool match = false;
  for (const std::string& p : passwords_) {
    match |= CRYPTO_memcmp(p.data(), hash.data(), hash.size()) == 0;
  }
  return match;
}

bool AclUser::KeyAllowed(std::string_view key, uint8_t needed) const {
  if (all_keys_) return true;
  for (const KeyPattern& k : keys_) {
    if ((k.perms & needed) == needed && k.pattern.Matches(key)) return true;
  }
  return false;
}

bool AclUser::ChannelAllowed(std::string_view channel, bool pattern) const {
  if (all_channels_) return true;
  for (const GlobPattern& c : channels_) {
    if (pattern ? c.text() == channel : c.Matches(channel)) return true;
  }
  return false;
}

AclDenied AclUser::Check(const CommandSpec& spec, std::span<const std::string_view> args,
                         size_t* arg) const {
  if (unrestricted_) return AclDenied::kNone;
  if (!all_commands_ && !(spec.flags & kNoAuth) && !Bit(allowed_, spec.stat_index)) {
    return AclDenied::kCommand;
  }
  if (!all_keys_) {
    // A write needs write permission, a read read; others (WATCH) any matching pattern.
    uint8_t needed = (spec.flags & kWrite) ? kKeyWrite : (spec.flags & kReadonly) ? kKeyRead : 0;
    bool allowed = ForEachKey(spec, args, [&](size_t i) {
      if (KeyAllowed(args[i], needed)) return true;
      *arg = i;
      return false;
    });
    if (!allowed) return AclDenied::kKey;
  }
  if (!all_channels_ && spec.channels != ChannelArgs::kNone) {
    size_t end =
        spec.channels == ChannelArgs::kFirst ? std::min<size_t>(2, args.size()) : args.size();
    bool pattern = spec.channels == ChannelArgs::kAllPatterns;
    for (size_t i = 1; i < end; ++i) {
      if (!ChannelAllowed(args[i], pattern)) {
        *arg = i;
        return AclDenied::kChannel;
      }
    }
  }
  return AclDenied::kNone;
}

std::vector<std::string_view> AclUser::Flags() const {
  std::vector<std::string_view> flags{enabled_ ? "on" : "off"};
  if (nopass_) flags.push_back("nopass");
  return flags;
}

std::string AclUser::DescribeKeys() const {
  if (all_keys_) return "~*";
  std::string out;
  for (const KeyPattern& k : keys_) {
    if (!out.empty()) out += ' ';
    out += k.perms == (kKeyRead | kKeyWrite) ? "~" : k.perms == kKeyRead ? "%R~" : "%W~";
    out += k.pattern.text();
  }
  return out;
}

std::string AclUser::DescribeChannels() const {
  if (all_channels_) return "&*";
  std::string out;
  for (const GlobPattern& c : channels_) {
    if (!out.empty()) out += ' ';
    out += '&';
    out += c.text();
  }
  return out;
}

// The shortest rules Redis's way: start from +@all or -@all, then take the category that
// fits the remaining difference best while it fits more than it misses, then name single
// commands for what is still different. Each step is applied to `fake`, so the rules rebuild
// exactly these bits.
std::string AclUser::DescribeCommands() const {
  bool additive = !future_commands_;
  std::string rules = additive ? "-@all" : "+@all";
  Bits fake(allowed_.size(), additive ? 0 : ~uint64_t{0});
  Bits rest = allowed_;  // what the categories chosen so far leave to explain
  bool applied[kAclCategoryCount] = {};
  for (;;) {
    int best = -1;
    size_t min_diff = SIZE_MAX, max_same = 0;
    for (size_t j = 0; j < kAclCategoryCount; ++j) {
      if (applied[j]) continue;
      size_t on = 0, off = 0;
      ForEachInCategory(kAclCategoryNames[j].first, [&](const CommandSpec& spec) {
        (Bit(rest, spec.stat_index) ? on : off) += 1;
      });
      size_t diff = additive ? off : on, same = additive ? on : off;
      if (same > diff && (diff < min_diff || (diff == min_diff && same > max_same))) {
        best = static_cast<int>(j);
        min_diff = diff;
        max_same = same;
      }
    }
    if (best < 0) break;
    applied[best] = true;
    SetCategory(fake, kAclCategoryNames[best].first, additive);
    SetCategory(rest, kAclCategoryNames[best].first, !additive);
    rules += additive ? " +@" : " -@";
    rules += kAclCategoryNames[best].second;
  }
  auto single = [&](const CommandSpec& spec) {
    bool mine = Bit(allowed_, spec.stat_index);
    if (mine == Bit(fake, spec.stat_index)) return;
    rules += mine ? " +" : " -";
    rules += spec.name;
    SetCommand(fake, spec, mine);
  };
  for (const CommandSpec& spec : CommandTable::Get().commands()) {
    single(spec);
    for (const CommandSpec& sub : spec.subcommands) single(sub);
  }
  return rules;
}

std::string AclUser::Describe() const {
  std::string out;
  for (std::string_view flag : Flags()) {
    out += flag;
    out += ' ';
  }
  for (const std::string& p : passwords_) out += '#' + p + ' ';
  if (all_keys_) {
    out += "~* ";
  } else {
    std::string keys = DescribeKeys();
    if (!keys.empty()) out += keys + ' ';
  }
  if (all_channels_) {
    out += "&* ";
  } else {
    out += "resetchannels ";
    std::string channels = DescribeChannels();
    if (!channels.empty()) out += channels + ' ';
  }
  return out + DescribeCommands();
}

}  // namespace typeahead::server
