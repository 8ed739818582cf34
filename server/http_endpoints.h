// What the server answers over HTTP (the wire is server/http.h):
//   GET /metrics  the Prometheus text format (server/metrics.h)
//   GET /healthz  200 while the process serves requests: liveness
//   GET /readyz   200 once the data is loaded and, on a replica, its link to the primary
//                 streams; 503 with the reason otherwise: readiness (a load balancer sends no
//                 traffic to a replica that would answer from stale data)
// HEAD of each as GET without the body; any other method 405. The API (/v1/...) and the demo
// page (/) are server/http_api.h's, on every listener but metrics-port; any other path 404.
//
// Credentials: /metrics on a client port or http-port needs them when the default user does
// (requirepass, ACL): HTTP Basic with an ACL user and its password, or `Authorization: Bearer
// <password>` for the default user, and the user must be allowed INFO (it is INFO's data).
// metrics-port serves without them: it is meant for a scrape network, and binds the same addresses
// as `port`. /healthz and /readyz never need them (they say nothing about the data), so probes work
// without a secret.
//
// Threading: runs on the requesting connection's shard.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

#include "server/http.h"

namespace typeahead::server {

class Server;
class Shard;

class Connection;

// Appends the response to req to *out; returns false when the connection must close after it.
// conn: the connection it came on, which runs the API's commands (server/http_api.h).
boost::asio::awaitable<bool> ServeHttp(Server& server, Shard& shard, Connection& conn,
                                       const HttpRequest& req, HttpListener where,
                                       std::string* out);

// The response to a request the reader refused (HttpRequestReader::kError), or to a client
// refused at accept; the connection closes after it. JSON ({"error", "code"}) on http-port,
// where the API's clients read JSON, else one line of text.
void WriteHttpRefusal(int status, std::string_view text, HttpListener where, std::string* out);

}  // namespace typeahead::server
