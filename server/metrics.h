// /metrics: the server's figures in the Prometheus text exposition format (0.0.4), served over
// HTTP on the client port and on metrics-port (server/http_endpoints.h).
//
// Two families. redis_*: INFO's fields, commands, errors, keyspace, slow log, latency events and
// replicas under the names and labels prometheus-redis-exporter gives them for Redis, so that
// dashboards and alerts made for Redis read the server unchanged, with no exporter in
// between (tests/integration/exporter_test.py compares the two name for name). They are made
// from INFO's own text (server/info.h), so INFO and /metrics cannot disagree. typeahead_*:
// what the exporter has no name for: per-command latency histograms with buckets, terms per
// dictionary, the rendered-reply memo's hits, log fsync latency, replica lag in bytes, each
// shard's CPU. docs/commands.md lists them.
//
// Threading: runs on the requesting connection's shard; visits every shard a few times.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

namespace typeahead::server {

class Server;
class Shard;

// Dictionaries with a typeahead_key_terms series of their own: the largest ones. More would
// make one scrape's series grow with the tenants; the total is always there.
inline constexpr size_t kMetricsMaxKeys = 1000;

boost::asio::awaitable<std::string> RenderMetrics(Server& server, Shard& shard);

}  // namespace typeahead::server
