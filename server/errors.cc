#include "server/errors.h"

#include <fmt/format.h>
#include <string.h>

namespace typeahead::server::errors {

std::string UnknownCommand(std::span<const std::string_view> args) {
  std::string rest;
  for (size_t i = 1; i < args.size() && rest.size() < 128; ++i) {
    size_t room = 128 - rest.size();
    rest += "'" + std::string(args[i].substr(0, room)) + "' ";
  }
  return fmt::format("ERR unknown command '{}', with args beginning with: {}",
                     args[0].substr(0, 128), rest);
}

std::string UnknownSubcommand(std::string_view subcommand, std::string_view command) {
  return fmt::format("ERR unknown subcommand '{}'. Try {} HELP.", subcommand.substr(0, 128),
                     command);
}

std::string SubcommandSyntax(std::string_view subcommand, std::string_view command) {
  return fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
                     subcommand.substr(0, 128), command);
}

std::string WrongArity(std::string_view command) {
  return fmt::format("ERR wrong number of arguments for '{}' command", command);
}

std::string SubscriberContext(std::string_view command) {
  return fmt::format(
      "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
      "allowed in this context",
      command);
}

std::string LogWriteFailed(int error_number) {
  return fmt::format("MISCONF Errors writing to the AOF file: {}", strerror(error_number));
}

std::string HttpUnknownParameter(std::string_view name) {
  return fmt::format("ERR unknown parameter '{}'", name);
}

std::string HttpBadJson(std::string_view reason) {
  return fmt::format("ERR the body is not valid JSON: {}", reason);
}

std::string TermTooLong(int64_t max_term_length) {
  return fmt::format("ERR term is longer than max-term-length ({} bytes)", max_term_length);
}

std::string HelloSyntax(std::string_view option) {
  return fmt::format("ERR Syntax error in HELLO option '{}'", option);
}

std::string UnrecognizedOption(std::string_view option) {
  return fmt::format("ERR Unrecognized option '{}'", option);
}

std::string BadClientInfo(std::string_view label) {
  return fmt::format("ERR {} cannot contain spaces, newlines or special characters.", label);
}

std::string UnknownClientType(std::string_view type) {
  return fmt::format("ERR Unknown client type '{}'", type);
}

std::string NoPermCommand(std::string_view command) {
  return fmt::format("NOPERM this user has no permissions to run the '{}' command", command);
}

std::string ExecNoPerm(std::string_view reason) {
  return fmt::format(
      "NOPERM ACLs rules changed between the moment the transaction was accumulated and the "
      "EXEC call. This command is no longer allowed for the following reason: {}",
      reason);
}

std::string AclBadRule(std::string_view rule, std::string_view why) {
  return fmt::format("ERR Error in ACL SETUSER modifier '{}': {}", rule, why);
}

std::string AclLoadFailed(std::string_view errors) {
  return fmt::format(
      "ERR {}WARNING: ACL errors detected, no change to the previously active ACL rules was "
      "performed",
      errors);
}

std::string AclUnknownCategory(std::string_view category) {
  return fmt::format("ERR Unknown category '{}'", category.substr(0, 128));
}

std::string AclFileUnreadable(std::string_view file, std::string_view why) {
  return fmt::format("ERR Error loading ACLs, opening file '{}': {}", file, why);
}

std::string AclUserNotFound(std::string_view user) {
  return fmt::format("ERR User '{}' not found", user);
}

std::string AclCommandNotFound(std::string_view command) {
  return fmt::format("ERR Command '{}' not found", command);
}

// reason: an AclDenied (server/acl_user.h) as a number, so this file needs no server header.
std::string AclDryRunDenied(int reason, std::string_view command, std::string_view object) {
  switch (reason) {
    case 1:
      return fmt::format("This user has no permissions to run the '{}' command", command);
    case 2:
      return fmt::format("This user has no permissions to access the '{}' key", object);
    default:
      return fmt::format("This user has no permissions to access the '{}' channel", object);
  }
}

std::string_view AclReason(int reason) {
  switch (reason) {
    case 1:
      return "no permission to execute the command or subcommand";
    case 2:
      return "no permission to touch the specified keys";
    case 3:
      return "no permission to access one of the channels used as arguments";
    default:
      return "no permission";
  }
}

std::string NoSuchUser(std::string_view user) { return fmt::format("ERR No such user '{}'", user); }

std::string ConfigSetUnknown(std::string_view parameter) {
  return fmt::format("ERR Unknown option or number of arguments for CONFIG SET - '{}'", parameter);
}

std::string ConfigSetFailed(std::string_view parameter, std::string_view why) {
  return fmt::format("ERR CONFIG SET failed (possibly related to argument '{}') - {}", parameter,
                     why);
}

std::string ConfigRewriteFailed(std::string_view why) {
  return fmt::format("ERR Rewriting config file: {}", why);
}

std::string UnrecognizedReplconf(std::string_view option) {
  return fmt::format("ERR Unrecognized REPLCONF option: {}", option.substr(0, 128));
}

Status FromStorage(storage::OpStatus status) {
  switch (status) {
    case storage::OpStatus::kOk:
      return Status::kOk;
    case storage::OpStatus::kOverflow:
      return Status::kOverflow;
    case storage::OpStatus::kWrongType:
      return Status::kWrongType;
    case storage::OpStatus::kOutOfMemory:
      return Status::kOutOfMemory;
  }
  return Status::kOk;
}

void ReplyError(protocol::ReplyBuilder& r, Status status, int64_t max_term_length) {
  switch (status) {
    case Status::kOk:
      return;
    case Status::kSyntax:
      return r.Error(kSyntax);
    case Status::kNotInteger:
      return r.Error(kNotInteger);
    case Status::kNotPositive:
      return r.Error(kNotPositive);
    case Status::kEmptyTerm:
      return r.Error(kEmptyTerm);
    case Status::kTermTooLong:
      return r.Error(TermTooLong(max_term_length));
    case Status::kOverflow:
      return r.Error(kOverflow);
    case Status::kFuzzyDistance:
      return r.Error(kFuzzyDistance);
    case Status::kNotFloat:
      return r.Error(kNotFloat);
    case Status::kWeightNotFloat:
      return r.Error(kWeightNotFloat);
    case Status::kWeightNegative:
      return r.Error(kWeightNegative);
    case Status::kBadEventTime:
      return r.Error(kBadEventTime);
    case Status::kBadHalfLife:
      return r.Error(kBadHalfLife);
    case Status::kDecayingKey:
      return r.Error(kDecayingKey);
    case Status::kScoreFractional:
      return r.Error(kScoreFractional);
    case Status::kScoreNotPositive:
      return r.Error(kScoreNotPositive);
    case Status::kWrongType:
      return r.Error(kWrongType);
    case Status::kOutOfMemory:
      return r.Error(kOutOfMemory);
  }
}

}  // namespace typeahead::server::errors
