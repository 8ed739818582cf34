#include "tests/server/command_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <span>
#include <sstream>

#include "base/log.h"
#include "server/config.h"
#include "storage/file_util.h"
#include "storage/log_record.h"

namespace typeahead::test {
namespace {

// The server logs here while it runs instead of on the test's stdout (base/log.h has one
// destination per process: the latest server's).
std::string LogPath(const std::string& dir) { return dir + "/server.log"; }

std::string ReadLogIn(const std::string& dir) {
  std::ifstream in(LogPath(dir));
  std::stringstream log;
  log << in.rdbuf();
  return log.str();
}

std::string StartFailure(const std::string& what, const std::string& dir) {
  return what + "; the server's log:\n" + ReadLogIn(dir);
}

}  // namespace

TempDir::TempDir() {
  char tmpl[] = "/tmp/typeahead-test-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  path = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

TestServer::TestServer(TestServerOptions options) : shards_(options.shards) {
  if (options.dir.empty()) {
    own_dir_ = std::make_unique<TempDir>();
    dir_ = own_dir_->path;
  } else {
    dir_ = options.dir;
  }
  server::Config config;
  config.port = 0;
  config.bind = {"127.0.0.1"};
  config.dir = dir_;
  config.threads = static_cast<int64_t>(shards_);
  config.appendonly = options.appendonly;
  config.save = "";
  for (const auto& [name, value] : options.directives) {
    std::vector<std::string> args{value};
    if (auto error = server::SetDirective(&config, name, args, false)) {
      throw std::runtime_error("directive " + name + ": " + *error);
    }
  }
  if (!LogOpen(LogPath(dir_))) throw std::runtime_error("can't open " + LogPath(dir_));
  LogLevel level;
  if (LogLevelFromName(config.loglevel, &level)) LogSetLevel(level);  // as main() does
  server_ = std::make_unique<server::Server>(config);
  // Shard 0 runs this once Run() has listened and started the shard threads, and again after
  // every other handler queued there until the data is loaded: the moment a client's commands
  // all run. Run() throws before that when it fails. Only the queued handler holds the poll
  // (the poll a weak pointer to itself), and the poll holds no I/O object: the io_context may
  // be destroyed with a poll pending.
  auto ready = std::make_shared<std::promise<uint16_t>>();
  std::future<uint16_t> port = ready->get_future();
  auto poll = std::make_shared<std::function<void()>>();
  *poll = [server = server_.get(), ready, weak = std::weak_ptr(poll)] {
    if (!server->loading()) return ready->set_value(server->port());
    boost::asio::post(server->shards()[0].io(), [again = weak.lock()] { (*again)(); });
  };
  boost::asio::post(server_->shards()[0].io(), [poll = std::move(poll)] { (*poll)(); });
  std::promise<void> finished;
  finished_ = finished.get_future();
  thread_ = std::thread([server = server_.get(), ready, finished = std::move(finished)]() mutable {
    try {
      server->Run();
    } catch (const std::exception& e) {
      try {
        ready->set_exception(std::current_exception());
      } catch (const std::future_error&) {  // it had started: the clients will see it stop
        std::fprintf(stderr, "Server::Run() failed while serving: %s\n", e.what());
      }
    }
    finished.set_value();
  });
  if (port.wait_for(kWait) != std::future_status::ready) {
    // Stuck before serving: nothing can stop it, so leave it to the process's end.
    thread_.detach();
    (void)server_.release();
    throw std::runtime_error(StartFailure("the server did not start", dir_));
  }
  try {
    port_ = port.get();
  } catch (const std::exception& e) {
    thread_.join();
    server_.reset();
    LogOpen("");
    throw std::runtime_error(
        StartFailure(std::string("the server did not start: ") + e.what(), dir_));
  }
}

TestServer::~TestServer() {
  Stop();
  server_.reset();
  LogOpen("");  // back to stdout, before the directory holding the log goes
}

void TestServer::Stop() {
  if (!thread_.joinable()) return;
  server_->RequestShutdown("The test stops the server");
  if (finished_.wait_for(kWait) != std::future_status::ready) {
    std::fprintf(stderr, "%s\n", StartFailure("the server did not stop", dir_).c_str());
    std::abort();
  }
  thread_.join();
}

std::string TestServer::data_dir() const { return dir_ + "/" + std::string(storage::kDataDirName); }

std::string TestServer::ReadLog() const { return ReadLogIn(dir_); }

uint64_t TestServer::JournalChanges() {
  uint64_t total = 0;
  for (size_t i = 0; i < shards_; ++i) {
    total += OnShard(i, [](server::Shard& s) { return s.journal().changes(); });
  }
  return total;
}

std::string DumpAll(TestClient& client) {
  std::string out;
  // KEYS replies in bytewise order.
  for (const auto& key : client.Command({"KEYS", "*"}).value.strings()) {
    out += key + " => " + client.Run({"ACTOPK", key, "", "1000000", "WITHSCORES"}) + "\n";
  }
  return out;
}

storage::Manifest ReadManifest(const std::string& data_dir) {
  std::string path = data_dir + "/" + std::string(storage::kManifestName), error;
  auto text = storage::ReadWholeFile(path, &error);
  storage::Manifest m;
  if (!text || !storage::Manifest::Parse(*text, &m, &error)) {
    throw std::runtime_error("manifest " + path + ": " + error);
  }
  return m;
}

std::vector<std::string> LogRecords(const std::string& path) {
  std::string error;
  auto data = storage::ReadWholeFile(path, &error);
  if (!data) throw std::runtime_error("log " + path + ": " + error);
  storage::RecordScanner scanner(*data, storage::FirstRecordOffset(*data));
  std::vector<std::string> records;
  for (;;) {
    switch (scanner.Next()) {
      case storage::RecordScanner::Status::kRecord: {
        std::string line;
        for (auto arg : scanner.record().args) line += (line.empty() ? "" : " ") + std::string(arg);
        records.push_back(line);
        break;
      }
      case storage::RecordScanner::Status::kEnd:
        return records;
      case storage::RecordScanner::Status::kTorn:
      case storage::RecordScanner::Status::kCorrupt:
        throw std::runtime_error("log " + path + " at " + std::to_string(scanner.position()) +
                                 ": " + scanner.error());
    }
  }
}

std::string EncodeCommand(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

TestClient::TestClient(TestServer& server) : server_(server) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  timeval timeout{static_cast<time_t>(kWait.count()), 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(server.port());
  if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd_);
    throw std::runtime_error(std::string("connect failed: ") + strerror(errno));
  }
  shard_ = server.TakeConnectionSlot();
}

TestClient::~TestClient() { close(fd_); }

void TestClient::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error(std::string("send failed: ") + strerror(errno));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

Reply TestClient::Read() {
  for (;;) {
    Reply reply;
    size_t used = 0;
    std::string error;
    switch (ParseReply(in_, &used, &reply.value, &error)) {
      case ParseStatus::kOk:
        reply.raw = in_.substr(0, used);
        in_.erase(0, used);
        return reply;
      case ParseStatus::kBad:
        throw std::runtime_error("not a reply (" + error + "): " + in_);
      case ParseStatus::kNeedMore:
        break;
    }
    char buffer[16 * 1024];
    ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
    if (n == 0) throw std::runtime_error("the server closed the connection; unparsed: " + in_);
    if (n < 0) {
      throw std::runtime_error(std::string("no reply (") + strerror(errno) + "); unparsed: " + in_ +
                               "; the server's log:\n" + server_.ReadLog());
    }
    in_.append(buffer, static_cast<size_t>(n));
  }
}

bool TestClient::ReadEof() {
  if (!in_.empty()) return false;
  char c;
  return recv(fd_, &c, 1, 0) == 0;
}

Reply TestClient::Command(const std::vector<std::string>& args) {
  Send(EncodeCommand(args));
  return Read();
}

std::vector<Reply> TestClient::Pipeline(const std::vector<std::vector<std::string>>& commands) {
  std::string request;
  for (const auto& c : commands) request += EncodeCommand(c);
  Send(request);
  std::vector<Reply> replies;
  for (size_t i = 0; i < commands.size(); ++i) replies.push_back(Read());
  return replies;
}

}  // namespace typeahead::test
