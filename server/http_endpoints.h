// What the server answers over HTTP (the wire is server/http.h):
//   GET /metrics  the Prometheus text format (server/metrics.h)
//   GET /healthz  200 while the process serves requests: liveness
//   GET /readyz   200 once the data is loaded and, on a replica, its link to the primary
//                 streams; 503 with the reason otherwise: readiness (a load balancer sends no
//                 traffic to a replica that would answer from stale data)
// HEAD of each as GET without the body; any other method 405, any other path 404.
//
// Credentials: /metrics on a client port needs them when the default user does (requirepass,
// ACL): HTTP Basic with an ACL user and its password, or `Authorization: Bearer <password>`
// for the default user, and the user must be allowed INFO (it is INFO's data). metrics-port
// serves without them: it is meant for a scrape network, and binds the same addresses as
// `port`. /healthz and /readyz never need them (they say nothing about the data), so probes
// work without a secret.
//
// Threading: runs on the requesting connection's shard.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

#include "server/http.h"

namespace typeahead::server {

class Server;
class Shard;

// Which listener a request came in on: a client port (port or tls-port, where the first bytes
// told HTTP from RESP), or metrics-port.
enum class HttpListener { kClient, kMetrics };

// Appends the response to req to *out; returns false when the connection must close after it.
boost::asio::awaitable<bool> ServeHttp(Server& server, Shard& shard, const HttpRequest& req,
                                       HttpListener where, std::string* out);

// The response to a request the reader refused (HttpRequestReader::kError); the connection
// closes after it.
void WriteHttpRefusal(int status, std::string_view text, std::string* out);

}  // namespace typeahead::server
