// Every error text the server replies, named once. Redis 7's texts word for word where Redis
// has the error (clients and Sentinel match on them, operators search for them), ours where it
// has none; docs/commands.md lists them. Handlers and the dispatcher reply these names, never
// a literal, and ReplyError() is the one place a Status (a handler's, or storage's OpStatus
// converted) becomes an error reply.
//
// Texts are without the leading '-': ReplyBuilder::Error adds it. Thread-safe (constants and
// pure functions).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "protocol/reply_builder.h"
#include "storage/op_result.h"

namespace typeahead::server::errors {

// ---- Arguments (any command)
inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotPositive = "ERR value is out of range, must be positive";
inline constexpr std::string_view kTimeoutNotInteger =
    "ERR timeout is not an integer or out of range";
inline constexpr std::string_view kTimeoutNegative = "ERR timeout is negative";
inline constexpr std::string_view kPauseMode = "ERR CLIENT PAUSE mode must be WRITE or ALL";

// ---- Admission (server/dispatcher.cc), in the order the checks run
std::string UnknownCommand(std::span<const std::string_view> args);
std::string UnknownSubcommand(std::string_view subcommand, std::string_view command);
// A known subcommand with arguments it does not take (PUBSUB CHANNELS a b).
std::string SubcommandSyntax(std::string_view subcommand, std::string_view command);
std::string WrongArity(std::string_view command);  // command: "name" or "name|sub"
inline constexpr std::string_view kNoAuth = "NOAUTH Authentication required.";
std::string NoPermCommand(std::string_view command);  // command: "name" or "name|sub"
inline constexpr std::string_view kNoPermKey =
    "NOPERM this user has no permissions to access one of the keys used as arguments";
inline constexpr std::string_view kNoPermChannel =
    "NOPERM this user has no permissions to access one of the channels used as arguments";
std::string SubscriberContext(std::string_view command);  // RESP2 while subscribed
inline constexpr std::string_view kMasterDown =
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
inline constexpr std::string_view kReadOnlyReplica =
    "READONLY You can't write against a read only replica.";
inline constexpr std::string_view kNoReplicas = "NOREPLICAS Not enough good replicas to write.";
std::string LogWriteFailed(int error_number);  // MISCONF, with strerror's text
inline constexpr std::string_view kSnapshotFailed =
    "MISCONF Errors writing a snapshot to disk: commands that may modify the data set are "
    "refused while stop-writes-on-bgsave-error is yes. Check the server log.";
inline constexpr std::string_view kLoading = "LOADING Redis is loading the dataset in memory";
inline constexpr std::string_view kOutOfMemory =
    "OOM command not allowed when used memory > 'maxmemory'.";
// EXEC of a queued command its user may no longer run; reason: AclReason's.
std::string ExecNoPerm(std::string_view reason);
inline constexpr std::string_view kMonitorInTransaction =
    "ERR MONITOR isn't allowed for DENY BLOCKING client";
inline constexpr std::string_view kExecAbort =
    "EXECABORT Transaction discarded because of previous errors.";

// ---- Autocomplete commands
inline constexpr std::string_view kEmptyTerm = "ERR empty term";
std::string TermTooLong(int64_t max_term_length);
inline constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kFuzzyDistance = "ERR FUZZY distance must be 0, 1 or 2";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
// ACTOPK ... BLEND: Redis's text for a bad ZUNION weight; and ours for one it would take.
inline constexpr std::string_view kWeightNotFloat = "ERR weight value is not a float";
inline constexpr std::string_view kWeightNegative = "ERR BLEND weight must be a finite number >= 0";
inline constexpr std::string_view kBadEventTime =
    "ERR AT must be a unix time in milliseconds from 0 to 253402300799999";
inline constexpr std::string_view kBadHalfLife =
    "ERR half-life must be 0 or a number of seconds from 0.001 to 10000000000";
inline constexpr std::string_view kDecayingKey =
    "ERR the key decays: FT.SUGADD cannot add a fixed score to it, use ACINCRBY";
inline constexpr std::string_view kScoreFractional =
    "ERR score must be an integer: fractional scores are not supported";
inline constexpr std::string_view kScoreNotPositive =
    "ERR score must be positive: use INCR to lower a score";
inline constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";

// ---- Keyspace commands
inline constexpr std::string_view kInvalidCursor = "ERR invalid cursor";
inline constexpr std::string_view kNoSuchKey = "ERR no such key";

// ---- Connection commands: AUTH, HELLO, SELECT, CLIENT
inline constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr std::string_view kAuthWithoutPassword =
    "ERR AUTH <password> called without any password configured for the default user. Are "
    "you sure your configuration is correct?";
inline constexpr std::string_view kProtocolNotInteger =
    "ERR Protocol version is not an integer or out of range";
inline constexpr std::string_view kNoProto = "NOPROTO unsupported protocol version";
std::string HelloSyntax(std::string_view option);
inline constexpr std::string_view kHelloNoAuth =
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
    "<proto> AUTH <user> <pass> option can be used to authenticate the client and select the "
    "RESP protocol version at the same time";
inline constexpr std::string_view kBadClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";
inline constexpr std::string_view kDbOutOfRange = "ERR DB index is out of range";
std::string UnrecognizedOption(std::string_view option);  // CLIENT SETINFO
std::string BadClientInfo(std::string_view label);        // CLIENT SETINFO's value
std::string UnknownClientType(std::string_view type);
inline constexpr std::string_view kInvalidClientId = "ERR Invalid client ID";
inline constexpr std::string_view kClientIdNotPositive = "ERR client-id should be greater than 0";
std::string NoSuchUser(std::string_view user);
inline constexpr std::string_view kNoSuchClient = "ERR No such client";

// ---- ACL
std::string AclBadRule(std::string_view rule, std::string_view why);  // SETUSER
// ACL LOAD's (and start-up's) errors: every line's, then that nothing changed.
std::string AclLoadFailed(std::string_view errors);
inline constexpr std::string_view kAclBadUsername =
    "ERR Usernames can't contain spaces or null characters";
inline constexpr std::string_view kAclDefaultUndeletable =
    "ERR The 'default' user cannot be removed";
inline constexpr std::string_view kAclNoFile =
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify "
    "users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a "
    "Redis configuration file set) in order to store users in the Redis configuration.";
inline constexpr std::string_view kAclSaveFailed =
    "ERR There was an error trying to save the ACLs. Please check the server logs for more "
    "information";
std::string AclUnknownCategory(std::string_view category);
std::string AclFileUnreadable(std::string_view file, std::string_view why);  // LOAD
inline constexpr std::string_view kAclGenpassRange =
    "ERR ACL GENPASS argument must be the number of bits for the output password, a positive "
    "number up to 4096";
std::string AclUserNotFound(std::string_view user);        // DRYRUN
std::string AclCommandNotFound(std::string_view command);  // DRYRUN
// What ACL DRYRUN answers (a bulk string, not an error).
std::string AclDryRunDenied(int reason, std::string_view command, std::string_view object);
// Why EXEC refused a queued command, in its NOPERM text; reason as AclDryRunDenied takes it.
std::string_view AclReason(int reason);

// ---- Server commands: COMMAND, CONFIG, SHUTDOWN
inline constexpr std::string_view kInvalidCommand = "ERR Invalid command specified";
inline constexpr std::string_view kInvalidArgCount =
    "ERR Invalid number of arguments specified for command";
inline constexpr std::string_view kNoKeyArguments = "ERR The command has no key arguments";
std::string ConfigSetUnknown(std::string_view parameter);
std::string ConfigSetFailed(std::string_view parameter, std::string_view why);
inline constexpr std::string_view kDuplicateParameter = "duplicate parameter";  // its why
inline constexpr std::string_view kNoConfigFile = "ERR The server is running without a config file";
std::string ConfigRewriteFailed(std::string_view why);
// SLOWLOG GET's count.
inline constexpr std::string_view kSlowlogCountRange =
    "ERR count should be greater than or equal to -1";
inline constexpr std::string_view kShutdownFailed = "ERR Errors trying to SHUTDOWN. Check logs.";

// ---- Persistence commands
inline constexpr std::string_view kSaveInProgress = "ERR Background save already in progress";
inline constexpr std::string_view kRewriteInProgress =
    "ERR Background append only file rewriting already in progress";
inline constexpr std::string_view kSaveFailed = "ERR";  // Redis's bare text for a failed SAVE

// ---- Transactions
inline constexpr std::string_view kNestedMulti = "ERR MULTI calls can not be nested";
inline constexpr std::string_view kExecWithoutMulti = "ERR EXEC without MULTI";
inline constexpr std::string_view kDiscardWithoutMulti = "ERR DISCARD without MULTI";
inline constexpr std::string_view kWatchInMulti = "ERR WATCH inside MULTI is not allowed";

// ---- Replication commands
inline constexpr std::string_view kInvalidMasterPort = "ERR Invalid master port";
inline constexpr std::string_view kReplicaIpTooLong =
    "ERR REPLCONF ip-address provided by replica instance is too long: 46 bytes are allowed";
std::string UnrecognizedReplconf(std::string_view option);
inline constexpr std::string_view kNoMasterLink =
    "NOMASTERLINK Can't SYNC while not connected with my master";
inline constexpr std::string_view kWaitOnReplica =
    "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if "
    "a replica is configured to be writable (which is not the default) writes to replicas are "
    "just local and are not propagated.";

// ---- HTTP (server/http.cc, server/http_endpoints.cc): the body of an error response; its
// status says the rest. Authentication refusals reuse the RESP texts (kNoAuth, kWrongPass,
// NoPermCommand).
inline constexpr std::string_view kHttpBadRequest = "malformed HTTP request";
inline constexpr std::string_view kHttpHeaderTooLarge =
    "the request line and headers exceed 16384 bytes";
inline constexpr std::string_view kHttpBodyTooLarge = "the request body exceeds http-max-body";
inline constexpr std::string_view kHttpNotFound = "no such endpoint";
inline constexpr std::string_view kHttpMethodNotAllowed = "method not allowed on this endpoint";
inline constexpr std::string_view kHttpLoading = "loading the dataset in memory";
inline constexpr std::string_view kHttpReplicaNotSynced = "replica not in sync with its primary";
// The reply of a command its client did not live to run (killed while CLIENT PAUSE held it).
inline constexpr std::string_view kClientGone = "ERR the client was closed";
inline constexpr std::string_view kHttpRequestTimeout =
    "the request was not complete within http-request-timeout";
// The API's own refusals (server/http_api.cc), worded as RESP errors, as the command errors it
// passes on are.
inline constexpr std::string_view kHttpBadPercent = "ERR invalid percent-encoding in the URL";
std::string HttpUnknownParameter(std::string_view name);
inline constexpr std::string_view kHttpBadBool =
    "ERR withscores must be true, false, 1, 0, yes or no";
inline constexpr std::string_view kHttpPrefixLenAlone = "ERR prefixlen needs fuzzy";
inline constexpr std::string_view kHttpBadBlend = "ERR blend must be key:weight";
std::string HttpBadJson(std::string_view reason);
inline constexpr std::string_view kHttpRecordBody =
    "ERR the body must be an object with \"term\" (a string) or \"terms\" (an array of "
    "strings), and optionally \"by\" (an integer)";
inline constexpr std::string_view kHttpNoSuchTerm = "ERR no such term";
inline constexpr std::string_view kHttpOriginNotAllowed =
    "ERR origin not allowed (http-cors-origins)";

// ---- Refusals at accept time, written raw before any command is read (server/server.cc)
inline constexpr std::string_view kMaxClientsReply = "-ERR max number of clients reached\r\n";
// protected-mode's refusal of a non-loopback client.
inline constexpr std::string_view kProtectedModeReply =
    "-DENIED Redis is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from the "
    "loopback interface. If you want to connect from external computers to Redis you may adopt "
    "one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG "
    "SET protected-mode no' from the loopback interface by connecting to Redis from the same "
    "host the server is running, however MAKE SURE Redis is not publicly accessible from "
    "internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively "
    "you can just disable the protected mode by editing the Redis configuration file, and "
    "setting the protected mode option to 'no', and then restarting the server. 3) If you "
    "started the server manually just for testing, restart it with the '--protected-mode no' "
    "option. 4) Set up an authentication password for the default user. NOTE: You only need to "
    "do one of the above things in order for the server to start accepting connections from "
    "the outside.\r\n";

// How a handler's work ends when it does not reply itself: kOk (it replied), or the error
// its caller replies with ReplyError. On-shard handlers return one (command.h), and the
// checks they share with the connection side (a term, ACTOPK's k and options) too.
enum class Status : uint8_t {
  kOk,
  kSyntax,
  kNotInteger,
  kNotPositive,
  kEmptyTerm,
  kTermTooLong,
  kOverflow,
  kFuzzyDistance,
  kNotFloat,
  kWeightNotFloat,
  kWeightNegative,
  kBadEventTime,
  kBadHalfLife,
  kDecayingKey,
  kScoreFractional,
  kScoreNotPositive,
  kWrongType,
  kOutOfMemory,
};
Status FromStorage(storage::OpStatus status);
// Replies status's error text. max_term_length: the limit kTermTooLong's text names.
void ReplyError(protocol::ReplyBuilder& r, Status status, int64_t max_term_length);

}  // namespace typeahead::server::errors
