#include "server/acl.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "server/config.h"
#include "server/errors.h"

namespace typeahead::server {
namespace {

constexpr int64_t kLogGroupingMs = 60000;  // refusals alike within a minute share an entry
constexpr size_t kLogScan = 10;            // how many recent entries are looked at for that

std::string_view Trim(std::string_view s, std::string_view chars) {
  size_t b = s.find_first_not_of(chars);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(chars);
  return s.substr(b, e - b + 1);
}

// Applies rules to a copy of *user, and the copy back only when every rule is valid.
std::optional<std::string> ApplyAll(AclUser* user, std::span<const std::string_view> rules) {
  AclUser next = *user;
  for (std::string_view rule : rules) {
    std::string_view why = next.Apply(rule);
    if (!why.empty()) {
      return errors::AclBadRule(rule, why);
    }
  }
  *user = std::move(next);
  return std::nullopt;
}

}  // namespace

bool ValidAclName(std::string_view name) {
  return std::none_of(name.begin(), name.end(), [](char c) {
    return c == '\0' || std::isspace(static_cast<unsigned char>(c));
  });
}

Acl::Acl() { users_.emplace("default", std::make_unique<AclUser>(AclUser::Default())); }

Acl::Acl(const Acl& other) : version_(other.version_) {
  for (const auto& [name, user] : other.users_) {
    users_.emplace(name, std::make_unique<AclUser>(*user));
  }
}

const AclUser* Acl::Find(std::string_view name) const {
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second.get();
}

std::optional<std::string> Acl::SetUser(std::string_view name,
                                        std::span<const std::string_view> rules) {
  auto it = users_.find(name);
  if (it != users_.end()) return ApplyAll(it->second.get(), rules);
  auto user = std::make_unique<AclUser>(std::string(name));
  if (auto error = ApplyAll(user.get(), rules)) return error;
  users_.emplace(std::string(name), std::move(user));
  return std::nullopt;
}

size_t Acl::DelUsers(std::span<const std::string_view> names) {
  size_t deleted = 0;
  for (std::string_view name : names) {
    auto it = users_.find(name);
    if (it == users_.end() || name == "default") continue;
    users_.erase(it);
    ++deleted;
  }
  return deleted;
}

std::optional<std::string> Acl::Load(std::string_view text, std::string_view file) {
  Users loaded;
  std::string errors;
  size_t line_number = 0;
  for (size_t pos = 0; pos <= text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = Trim(text.substr(pos, end - pos), " \t\r\n");
    pos = end + 1;
    ++line_number;
    if (line.empty()) continue;
    // Split on single spaces as Redis does (no quoting in an ACL file); empty words are no-ops.
    std::vector<std::string_view> words;
    for (size_t w = 0; w <= line.size();) {
      size_t space = line.find(' ', w);
      if (space == std::string_view::npos) space = line.size();
      words.push_back(Trim(line.substr(w, space - w), "\t\r\n"));
      w = space + 1;
    }
    if (words.size() < 2 || words[0] != "user") {
      errors += fmt::format("{}:{} should start with user keyword followed by the username. ", file,
                            line_number);
      continue;
    }
    std::string_view name = words[1];
    if (loaded.count(name)) {
      errors += fmt::format("WARNING: Duplicate user '{}' found on line {}. ", name, line_number);
      continue;
    }
    auto user = std::make_unique<AclUser>(std::string(name));
    for (size_t j = 2; j < words.size(); ++j) {
      std::string_view why = user->Apply(words[j]);
      if (!why.empty()) {
        errors += fmt::format("{}:{}: Error in applying operation '{}': {}. ", file, line_number,
                              words[j], why);
        break;
      }
    }
    loaded.emplace(std::string(name), std::move(user));
  }
  if (!errors.empty()) {
    return errors::AclLoadFailed(errors);
  }
  if (!loaded.count("default")) {
    loaded.emplace("default", std::make_unique<AclUser>(AclUser::Default()));
  }
  users_ = std::move(loaded);
  return std::nullopt;
}

std::string Acl::Serialize() const {
  std::string out;
  for (const auto& [name, user] : users_) out += "user " + name + " " + user->Describe() + "\n";
  return out;
}

std::vector<std::unique_ptr<AclUser>> Acl::Adopt(const Acl& state,
                                                 std::vector<const AclUser*>* changed) {
  std::vector<std::unique_ptr<AclUser>> removed;
  if (state.version_ <= version_) return removed;
  version_ = state.version_;
  for (auto it = users_.begin(); it != users_.end();) {
    if (state.users_.count(it->first)) {
      ++it;
      continue;
    }
    removed.push_back(std::move(it->second));
    it = users_.erase(it);
  }
  for (const auto& [name, user] : state.users_) {
    auto it = users_.find(name);
    if (it == users_.end()) {
      users_.emplace(name, std::make_unique<AclUser>(*user));
      continue;
    }
    if (it->second->DescribeChannels() != user->DescribeChannels()) {
      changed->push_back(it->second.get());
    }
    *it->second = *user;  // in place: connections keep pointing at it
  }
  return removed;
}

void Acl::Log(AclLogEntry entry, size_t max_len) {
  size_t scan = std::min(kLogScan, log_.size());
  for (size_t i = 0; i < scan; ++i) {
    AclLogEntry& e = log_[i];
    if (e.reason == entry.reason && e.context == entry.context && e.object == entry.object &&
        e.username == entry.username && std::abs(e.ms - entry.ms) <= kLogGroupingMs) {
      entry.count = e.count + 1;
      log_.erase(log_.begin() + static_cast<ptrdiff_t>(i));
      break;
    }
  }
  log_.push_front(std::move(entry));
  while (log_.size() > max_len) log_.pop_back();
}

std::string AclFilePath(const Config& config) {
  if (config.aclfile.empty() || config.aclfile[0] == '/') return config.aclfile;
  return config.dir + "/" + config.aclfile;
}

std::optional<std::string> InitialAcl(const Config& config, Acl* acl) {
  if (!config.requirepass.empty()) {
    std::string pass = ">" + config.requirepass;
    std::string_view rules[] = {"resetpass", pass};
    acl->SetUser("default", rules);
  }
  if (!config.aclfile.empty() && !config.users.empty()) {
    return "Configuring Redis with users defined in redis.conf and at the same setting an ACL "
           "file path is invalid. This setup is very likely to lead to configuration errors "
           "and security holes, please define either an ACL file or declare users directly "
           "in your redis.conf, but not both.";
  }
  for (const auto& words : config.users) {
    if (!ValidAclName(words[0])) {
      return fmt::format(
          "Error in user declaration '{}': Usernames can't contain spaces or "
          "null characters",
          words[0]);
    }
    std::vector<std::string_view> rules(words.begin() + 1, words.end());
    if (words[0] == "default") rules.insert(rules.begin(), "reset");
    if (auto error = acl->SetUser(words[0], rules)) {
      return fmt::format("Error in user declaration '{}': {}", words[0], error->substr(4));
    }
  }
  if (!config.aclfile.empty()) {
    std::ifstream in(AclFilePath(config));
    if (!in) {
      return fmt::format(
          "Aborting Redis startup because of ACL errors: Error loading ACLs, "
          "opening file '{}': {}",
          config.aclfile, strerror(errno));
    }
    std::stringstream text;
    text << in.rdbuf();
    if (auto errors = acl->Load(text.str(), config.aclfile)) {
      return "Aborting Redis startup because of ACL errors: " + errors->substr(4);
    }
  }
  return std::nullopt;
}

}  // namespace typeahead::server
