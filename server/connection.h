// Connection serves one client socket on the shard thread that accepted it: read, parse every
// complete command in the buffer, execute them in order, write all replies with one write,
// repeat. While a write is pending nothing more is read from the client, so a client that
// stops reading is back-pressured instead of growing our memory; replies are flushed every
// kFlushBytes within a batch for the same reason.
//
// The request/reply cycle runs as a chain of plain completion handlers, each owning the
// connection (Owner) and passing it on: exactly one of them is pending at any time (a read, the
// end-of-turn post, a wait for other shards), so the connection dies when the chain ends or
// when the io_context destroys the pending handler at shutdown. The read is ClientSocket's,
// which spares the failing recv Asio's own read makes per request; while it is pending the
// owner waits in reader_. What must suspend in the middle of a command (async handlers,
// flushing a large or back-pressured output, a subscriber's wait for its client or a message)
// runs in a coroutine that owns the connection meanwhile and hands it back to the chain.
// Callbacks and not coroutines on the common path: per request they take 55-72% of the
// instructions and a tenth or less of the instruction-cache misses, since the coroutine
// machinery no longer runs for every read (docs/benchmarks.md).
//
// What a command needs besides the socket lives apart: admission (lookup, arity, auth and the
// other checks) in server/dispatcher.h, the batch of single-shard commands and the durability
// wait, with their hops, in server/shard_batch.h, and the subscriber side in
// connection_pubsub.cc.
//
// A connection accepted on tls-port carries a TlsSession (base/tls_session.h): the same
// chain reads ciphertext into in_ and the session turns it into plaintext there (OnRead);
// TryWrite and Flush encrypt out_ and write the session's output. Everything between sees
// plaintext. A plaintext connection's only cost is the null check of tls_.
//
// HTTP: a connection whose first bytes are an HTTP request line (server/http.h), or any
// connection accepted on metrics-port, speaks HTTP instead of RESP from then on, through the
// same read and write path; each turn's complete requests are answered in a coroutine
// (ServeHttpRequests, server/connection_http.cc) by server/http_endpoints.h.
//
// Invariant: every member is touched only from the owning shard's thread. Other shards reach a
// connection only by posting to that thread (CLIENT KILL, CLIENT LIST).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "protocol/reply_builder.h"
#include "protocol/resp_parser.h"
#include "server/acl_user.h"
#include "server/client_socket.h"
#include "server/command.h"
#include "server/http.h"
#include "server/mailbox.h"
#include "server/shard_batch.h"
#include "server/watched_keys.h"

namespace typeahead {
class TlsSession;
}
namespace typeahead::replication {
struct ReplicaHello;
}

namespace typeahead::server {

class Server;
class Shard;
class TlsContext;
struct OutputLimit;

// Redis's client-name rule (CLIENT SETNAME, HELLO SETNAME): printable ASCII without spaces.
bool ValidClientName(std::string_view s);

class Connection {
 public:
  using Clock = std::chrono::steady_clock;

  // tls: the context of a connection accepted on tls-port (or on http-port with TLS),
  // nullptr for plaintext. listener: the port that accepted it; on metrics-port and
  // http-port it speaks HTTP from the first byte, on a client port what its first bytes say.
  Connection(Server& server, Shard& shard, boost::asio::ip::tcp::socket socket, uint64_t id,
             const TlsContext* tls = nullptr, HttpListener listener = HttpListener::kClient);
  ~Connection();

  // Serves the client until it disconnects, is killed or the server stops.
  static void Start(std::unique_ptr<Connection> self);

  uint64_t id() const { return id_; }
  const std::string& addr() const { return addr_; }
  const std::string& laddr() const { return laddr_; }
  // When the client last sent us bytes (what `timeout` measures idleness from).
  Clock::time_point last_interaction() const { return last_interaction_; }
  // Whether the client closed its side while we wait for its next command, unseen by the
  // reactor (server/client_socket.h): a peek, once per idle period.
  bool ClientClosed() { return socket_.EndQueued(); }
  // The reply bytes being written now (0 when no write is pending) and since when: what the
  // soft output-buffer limit is checked against.
  size_t unsent_bytes() const;
  // Its buffers, as CLIENT LIST's qbuf, omem and tot-mem count them (INFO clients, memory).
  size_t query_bytes() const { return in_end_ - in_start_; }
  size_t output_bytes() const { return out_.size(); }
  size_t buffer_bytes() const { return in_.size() + out_.size(); }
  Clock::time_point write_started() const { return write_started_; }

  // Client state that commands read and change.
  int resp = 2;  // change with SetProtocol()
  // Who the client is: its user in this shard's Acl (the default user until AUTH), and whether
  // it logged in (or needs not: the default user with nopass).
  const AclUser* user = nullptr;
  bool authenticated = false;
  std::string name;
  std::string lib_name;
  std::string lib_ver;
  // What a replica said in REPLCONF before its PSYNC; made by the first REPLCONF, so other
  // clients carry one pointer of it.
  std::unique_ptr<replication::ReplicaHello> replica_hello;

  void SetProtocol(int version) {
    resp = version;
    reply_.set_resp3(version == 3);
  }
  // Closes the socket; the connection ends when its pending operation completes. Own thread
  // only.
  void Kill();
  // CLIENT UNPAUSE: a connection holding a command for the pause looks again at once.
  void WakeFromPause() {
    if (paused_) wake_.cancel();
  }
  // Ends the connection once the replies produced so far are written (QUIT, CLIENT KILL of
  // oneself).
  void CloseAfterReply() { close_after_reply_ = true; }
  // MULTI / EXEC (server/transaction_commands.cc). Inside MULTI every command but those
  // flagged kNotQueued is checked, queued and answered QUEUED; an error while queueing makes
  // EXEC answer EXECABORT.
  bool in_multi() const { return in_multi_; }
  bool in_exec() const { return in_exec_; }  // EXEC is running the queued commands
  void BeginMulti() { in_multi_ = true; }
  // Leaves MULTI, dropping the queue, and ends the watch (DISCARD, EXEC, RESET).
  void DiscardMulti();
  // WATCH: the client's watch, made by its first WATCH since it last ended (server/
  // watched_keys.h); EXEC refuses to run when it is dirty. Unwatch ends it (UNWATCH, EXEC,
  // DISCARD, RESET, the close).
  const std::shared_ptr<WatchedKeys::Watch>& StartWatch();
  void Unwatch();
  // EXEC: replies with an array holding each queued command's reply, run in order.
  boost::asio::awaitable<void> ExecMulti();

  // CLIENT REPLY: kOff drops every reply until ON; kSkipNext drops the next command's (kSkip
  // while it runs). Replies are dropped after the command made them (ApplyReplyMode), and while
  // the mode is not kOn commands run one at a time (no batching), so each reply can be.
  // Published messages and monitor lines still go out, as in Redis.
  enum class ReplyMode : uint8_t { kOn, kOff, kSkipNext, kSkip };
  ReplyMode reply_mode() const { return reply_mode_; }
  void set_reply_mode(ReplyMode mode) { reply_mode_ = mode; }

  // MONITOR (server/monitor.h): false when already monitoring. Stopped by RESET and at close.
  bool StartMonitor();
  void StopMonitor();
  // Queues one monitor line and wakes the connection to write it.
  void DeliverMonitorLine(std::string_view line);

  // Pub/sub (server/pubsub_commands.cc). Each returns false when already in that state.
  bool AddChannel(std::string_view channel);
  bool RemoveChannel(std::string_view channel);
  bool AddPattern(std::string_view pattern);
  bool RemovePattern(std::string_view pattern);
  const std::set<std::string>& channels() const { return channels_; }
  const std::set<std::string>& patterns() const { return patterns_; }
  size_t subscriptions() const { return channels_.size() + patterns_.size(); }
  // A published message for this subscriber (pattern empty: a channel match), from its own
  // shard's PubSub. Sent at once when the connection is idle, else with its next write.
  void DeliverMessage(std::string_view pattern, std::string_view channel, std::string_view message);

  // Writes the replies produced so far. False when the connection is gone.
  boost::asio::awaitable<bool> FlushOutput();
  // Gives the socket up (PSYNC: a replica link takes it over on shard 0) and ends the
  // connection without closing it. Returns the descriptor and its protocol; a TLS
  // connection's session goes with it into *tls (the link continues its stream), null for a
  // plaintext one.
  int ReleaseSocket(boost::asio::ip::tcp* protocol, std::unique_ptr<TlsSession>* tls);
  // A TLS client still in its handshake after debug-tls-handshake-timeout (the shard's cron
  // closes it).
  bool HandshakeOverdue(Clock::time_point now) const;
  // An HTTP client whose request is not complete http-request-timeout after its first byte (a
  // slow-loris): the shard's cron answers 408 and closes it (RefuseOverdueHttp).
  bool HttpRequestOverdue(Clock::time_point now) const;
  void RefuseOverdueHttp();
  // The HTTP API (server/http_api.h): runs one command as user `as`, with RESP's admission,
  // ACL checks, statistics and monitor lines, and leaves its RESP3 reply in *reply. A write's
  // response waits for its log records as a RESP reply does (the next Flush). args stay valid
  // until it completes.
  boost::asio::awaitable<void> RunForHttp(const AclUser* as, Args args, std::string* reply);
  // The CLIENT LIST / CLIENT INFO line, without the trailing newline.
  std::string Describe() const;
  // Resets the state RESET clears: protocol, name, the user (the default user again, logged
  // in when it has nopass).
  void Reset();
  // Makes the client the default user, logged in when that user needs no password.
  void SetDefaultUser();
  // Records in the ACL LOG that this client was refused (reason "command", "key", "channel"
  // or "auth") object, as username, in a transaction or not.
  void LogAclDenial(std::string_view reason, std::string_view object, std::string_view username,
                    bool in_multi);

 private:
  using Owner = std::unique_ptr<Connection>;
  // The handler chain (see the top of this file), in the order a request passes it.
  void Read(Owner self);
  static void ReadDone(void* target, bool abandoned, boost::system::error_code ec, size_t n);
  void OnRead(Owner self, boost::system::error_code ec, size_t n);
  void Process(Owner self);    // runs the input's commands; ends the turn
  void AfterTurn(Owner self);  // waits for durability when due, then Write
  void Write(Owner self);      // writes the turn's replies, then Next
  void Next(Owner self);       // the checks between turns, then Read or Finish
  void Finish(Owner self);     // closes the socket; the connection is destroyed
  // Waits on wake_ until every hop is back, then continues at `then`.
  enum class Then { kProcess, kWrite };
  void Park(Owner self, Then then);
  // What runs in a coroutine (see the top of this file), and the coroutine that runs it.
  enum class Slow { kAsyncCommand, kFlushMidTurn, kFlushEndTurn, kSubscriberWait, kHttp, kPaused };
  void Spawn(Owner self, Slow what);
  static boost::asio::awaitable<void> RunSlow(Owner self, Slow what);
  boost::asio::awaitable<void> SubscriberWait(Owner& self);
  // Answers the complete HTTP requests in the input, in order (server/connection_http.cc).
  boost::asio::awaitable<void> ServeHttpRequests();

  // Parses and executes the input's commands until it is used up (kDone), the connection
  // must close after writing the replies (kClose), or something must be waited for first:
  // other shards' part of the batch (kPending: batch_.Start, batch_.Finish once the hops are
  // back, then call again), the async handler of the parsed command (kAsync:
  // RunAsyncCommand, then call again), or writing the output that grew past kFlushBytes
  // (kFlush), or the end of a CLIENT PAUSE that holds the parsed command (kPaused: the replies
  // so far are written, then WaitWhilePaused). Calling again resumes where it stopped.
  enum class Step { kDone, kClose, kPending, kAsync, kFlush, kPaused };
  Step ProcessSome();
  // ProcessSome's parsed command that has not run yet: parser_.args() and command_spec_.
  bool have_command_ = false;
  bool protocol_error_ = false;  // the parsed "command" is a protocol error
  const CommandSpec* command_spec_ = nullptr;
  void ConsumeCommand();
  boost::asio::awaitable<void> RunAsyncCommand();
  // After a command whose reply began at out_[mark], with reply_mode_ not kOn: drops the
  // reply under kOff and kSkip, and moves kSkipNext to kSkip and kSkip to kOn.
  void ApplyReplyMode(size_t mark);
  bool keep_ = true;  // false: close once this turn's replies are written
  // The command to run, admitted by server/dispatcher.h's checks, or nullptr when it must
  // not run, with the error reply in error_text_.
  const CommandSpec* Resolve(Args args);
  // The batched single-shard commands (batch_): RunPending runs them with one hop per shard
  // and splices their replies into out_ in arrival order; RunPendingHere runs them at once
  // when they are all this shard's, and returns false, with nothing done, otherwise.
  boost::asio::awaitable<void> RunPending();
  bool RunPendingHere();
  void Account(const CommandSpec& spec, Args args, bool failed);
  // Runs one command whatever its kind (single-shard, sync, async) and replies into out_.
  boost::asio::awaitable<void> RunCommand(const CommandSpec& spec, Args args);
  // CLIENT PAUSE (server/client_pause.h): whether it holds spec now (EXEC counts as a write
  // when a queued command writes), and the waits: false when the connection is gone.
  bool HeldByPause(const CommandSpec& spec);
  boost::asio::awaitable<bool> WaitWhilePaused();
  boost::asio::awaitable<bool> SleepWhilePaused(const CommandSpec& spec);
  // Writes out_ now if the socket takes it and no durability wait is due (kDone); kPending
  // leaves the rest to Flush(), which waits for durability and for the socket. kFailed: close.
  enum class WriteResult { kDone, kPending, kFailed };
  WriteResult TryWrite();
  boost::asio::awaitable<bool> Flush();
  // TLS: decrypts the n bytes just read at in_end_ (replacing n by the plaintext's size), or
  // logs why the session failed and returns false; encrypts out_ and writes.
  bool ReceiveTls(size_t* n);
  WriteResult TryWriteTls();
  boost::asio::awaitable<bool> FlushTls();
  // Holds the replies until every log record of this client's writes is durable as
  // appendfsync asks (see Journal): a reply never acknowledges what a crash could lose.
  boost::asio::awaitable<void> WaitDurable();
  void PrepareRead();
  // What the client did not ask for (a message, a monitor line): PushBuffer() is where it
  // goes; Pushed() then closes the client over limit's hard size, or wakes its wait.
  std::string* PushBuffer();
  void Pushed(const OutputLimit& limit);

  static constexpr size_t kReadChunk = 16 * 1024;
  static constexpr size_t kFlushBytes = 64 * 1024;
  static constexpr size_t kMaxPending = 512;

  Server& server_;
  Shard& shard_;
  ClientSocket socket_;
  Owner reader_;  // the chain's owner while socket_.ReadSome is pending
  // Wakes the pending handler or coroutine when other shards finished its batch (RunPending)
  // or made its writes durable (WaitDurable); one per connection, reused.
  boost::asio::steady_timer wake_;
  ShardBatch batch_;  // after wake_, which it cancels
  uint64_t id_;
  std::string addr_, laddr_;
  int fd_;
  Clock::time_point created_, last_interaction_;
  Clock::time_point clock_mark_;  // end of the previous command, for command statistics
  std::string_view last_command_ = "NULL";

  protocol::RespParser parser_;
  std::string in_;  // read buffer: [in_start_, in_end_) is unconsumed input
  size_t in_start_ = 0, in_end_ = 0;
  std::string out_;
  protocol::ReplyBuilder reply_{&out_};
  std::vector<std::string_view> args_;  // reused per command
  std::string error_text_;
  struct Queued {
    const CommandSpec* spec;
    std::vector<std::string> args;
  };
  std::vector<Queued> queued_;
  std::shared_ptr<WatchedKeys::Watch> watch_;  // null when not watching
  std::set<std::string> channels_, patterns_;
  std::string push_;           // messages that arrived while out_ was being written
  bool waiting_push_ = false;  // a subscriber idle in SubscriberWait: a message wakes it
  bool monitor_ = false;       // in MONITOR mode: waits as a subscriber does
  bool in_multi_ = false, multi_failed_ = false, in_exec_ = false;
  bool close_after_reply_ = false;
  ReplyMode reply_mode_ = ReplyMode::kOn;
  bool holding_pushes_ = false;  // a command whose reply may be dropped is waiting
  bool writing_ = false;
  bool paused_ = false;  // waiting for a CLIENT PAUSE to end (WakeFromPause)
  Clock::time_point pause_until_;
  Clock::time_point write_started_;
  bool killed_ = false;
  std::unique_ptr<TlsSession> tls_;  // null: plaintext
  // HTTP (see the top of this file): null for RESP. sniffed_: the first bytes were looked at.
  std::unique_ptr<HttpRequestReader> http_;
  bool sniffed_ = false;
  HttpListener listener_;
  Clock::time_point http_started_;  // when the request being read brought its first bytes
};

}  // namespace typeahead::server
