#include "server/http_endpoints.h"

#include <array>

#include "replication/replication.h"
#include "server/acl.h"
#include "server/command_table.h"
#include "server/errors.h"
#include "server/http_api.h"
#include "server/metrics.h"
#include "server/server.h"
#include "server/shard.h"

namespace typeahead::server {
namespace {
using boost::asio::awaitable;

constexpr std::string_view kPrometheusType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::array<std::pair<std::string_view, std::string_view>, 1> kAllowGet = {
    {{"Allow", "GET, HEAD"}}};
constexpr std::array<std::pair<std::string_view, std::string_view>, 1> kAskBasic = {
    {{"WWW-Authenticate", "Basic realm=\"typeahead\", charset=\"UTF-8\""}}};

// Whether the Authorization header names a user who may read INFO's data; false with the
// status and text to answer otherwise.
bool Authorized(Shard& shard, std::string_view header, int* status, std::string* text) {
  const AclUser* user = AuthenticateHttp(shard, header, status, text);
  if (user == nullptr) return false;
  const CommandSpec* info = CommandTable::Get().Find("info");
  const std::array<std::string_view, 1> args = {"info"};
  size_t arg = 0;
  if (user->Check(*info, args, &arg) != AclDenied::kNone) {
    *status = 403;
    *text = errors::NoPermCommand("info");
    return false;
  }
  return true;
}

void Reply(const HttpRequest& req, int status, std::string_view body, std::string* out,
           std::string_view type = "text/plain; charset=utf-8",
           std::span<const std::pair<std::string_view, std::string_view>> headers = {}) {
  std::string with_newline;  // a short text answer ends its line, as curl users expect
  if (type.starts_with("text/plain; charset") && !body.ends_with('\n')) {
    with_newline = std::string(body) + "\n";
    body = with_newline;
  }
  WriteHttpResponse({.status = status,
                     .content_type = type,
                     .body = body,
                     .keep_alive = req.keep_alive,
                     .head = req.method == "HEAD",
                     .headers = headers},
                    out);
}

}  // namespace

void WriteHttpRefusal(int status, std::string_view text, HttpListener where, std::string* out) {
  if (where == HttpListener::kHttp) return WriteJsonError(status, text, false, out);
  std::string body = std::string(text) + "\n";
  WriteHttpResponse({.status = status, .body = body, .keep_alive = false, .headers = {}}, out);
}

awaitable<bool> ServeHttp(Server& server, Shard& shard, Connection& conn, const HttpRequest& req,
                          HttpListener where, std::string* out) {
  const std::string& path = req.path;
  if (where != HttpListener::kMetrics && IsApiPath(path)) {
    co_await ServeApi(shard, conn, req, out);
    co_return req.keep_alive;
  }
  if (path != "/metrics" && path != "/healthz" && path != "/readyz") {
    Reply(req, 404, errors::kHttpNotFound, out);
    co_return req.keep_alive;
  }
  if (req.method != "GET" && req.method != "HEAD") {
    Reply(req, 405, errors::kHttpMethodNotAllowed, out, "text/plain; charset=utf-8", kAllowGet);
    co_return req.keep_alive;
  }
  if (path == "/healthz") {
    Reply(req, 200, "OK", out);
  } else if (path == "/readyz") {
    if (server.loading()) {
      Reply(req, 503, errors::kHttpLoading, out);
    } else if (server.replication().stale()) {
      Reply(req, 503, errors::kHttpReplicaNotSynced, out);
    } else {
      Reply(req, 200, "ready", out);
    }
  } else {
    int status = 0;
    std::string refusal;
    if (where != HttpListener::kMetrics &&
        !Authorized(shard, req.authorization, &status, &refusal)) {
      Reply(req, status, refusal, out, "text/plain; charset=utf-8",
            status == 401 ? std::span(kAskBasic) : std::span(kAskBasic).first(0));
      co_return req.keep_alive;
    }
    std::string text = co_await RenderMetrics(server, shard);
    Reply(req, 200, text, out, kPrometheusType);
  }
  co_return req.keep_alive;
}

}  // namespace typeahead::server
