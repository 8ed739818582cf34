// HTTP/1.1 on a client connection: telling an HTTP request from RESP by its first bytes,
// reading requests one at a time out of the connection's input (Boost.Beast's parser, with
// hard limits on the header and body sizes), and writing responses into its output. The
// connection keeps doing all the I/O (server/connection.h), so HTTP gets TLS, back-pressure
// and the output limits the RESP side has, and keep-alive and pipelining come from the same
// read loop: each complete request is answered in order, what follows it stays for the next.
//
// What the routes answer lives in server/http_endpoints.h; this file knows only the wire.
//
// Threading: an HttpRequestReader belongs to one connection, on its shard's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace typeahead::server {

// What a connection's first bytes are. An HTTP request line starts with a method in upper
// case, one space and '/' (origin form); no RESP command starts so: a RESP array starts with
// '*', and no inline command we have is named like a method.
enum class Sniff { kHttp, kResp, kNeedMore };
Sniff SniffHttp(std::string_view data);

// Which listener a request came in on: a client port (port or tls-port, where the first bytes
// told HTTP from RESP), metrics-port (HTTP only, no credentials, no API), or http-port (HTTP
// only: the API, the page and the endpoints, with credentials as on a client port).
enum class HttpListener : uint8_t { kClient, kMetrics, kHttp };

struct HttpRequest {
  std::string method;  // as sent: "GET", "POST", ...
  std::string path;    // the target before '?', percent-encoding kept
  std::string query;   // after '?', without it; empty when none
  bool keep_alive = true;
  std::string authorization;  // the Authorization header, empty when none
  std::string origin;         // the Origin header, empty when none
  std::string body;
};

// Percent-decoding of a path segment or a query component (RFC 3986): %XX becomes that byte,
// so any byte string gets through; in a query '+' is a space as well (HTML forms, the
// browser's URLSearchParams). nullopt for a '%' without two hex digits after it.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space);
// The inverse for a path segment: every byte but the unreserved ones (ALPHA DIGIT - . _ ~) as
// %XX.
std::string PercentEncode(std::string_view s);
// Each name=value pair of a query, both still encoded; a pair without '=' has an empty value.
// Stops early when f returns false.
template <typename F>
void ForEachQueryParam(std::string_view query, F f) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (!f(name, value)) return;
  }
}

// Reads one request at a time; Reset() before the next.
class HttpRequestReader {
 public:
  // Largest request line plus headers: what a monitoring scrape or a completion request needs,
  // many times over. Past it, or past the body limit (http-max-body), the request is refused
  // (431, 413) and the connection closed, as the bytes after it cannot be framed.
  static constexpr size_t kMaxHeaderBytes = 16 * 1024;

  // max_body: the first request's body limit (Reset gives the next one's).
  explicit HttpRequestReader(size_t max_body = 1024 * 1024);
  ~HttpRequestReader();

  enum class Status { kNeedMore, kDone, kError };
  // Parses what it can of data; *consumed: how many bytes it took (the rest is the caller's
  // to keep for the next call). kDone: request() is complete. kError: error_status() and
  // error_text() say why; the connection must answer and close.
  Status Feed(std::string_view data, size_t* consumed);
  const HttpRequest& request() const { return request_; }
  int error_status() const { return error_status_; }
  std::string_view error_text() const { return error_text_; }
  // Whether some bytes of a request are in and it is not complete yet: since when
  // (started_at), for http-request-timeout.
  bool mid_request() const { return mid_request_; }
  // Ready for the next request, whose body may take max_body bytes.
  void Reset(size_t max_body);

 private:
  struct Parser;
  std::unique_ptr<Parser> parser_;
  HttpRequest request_;
  int error_status_ = 0;
  std::string_view error_text_;
  bool mid_request_ = false;
};

struct HttpResponse {
  int status = 200;
  std::string_view content_type = "text/plain; charset=utf-8";
  std::string_view body;
  bool keep_alive = true;
  bool head = false;  // a HEAD request: the headers of the GET, no body
  std::span<const std::pair<std::string_view, std::string_view>> headers;  // extra ones
};

// Appends the response (status line, Content-Type, Content-Length, Connection when closing,
// the extra headers, the body) to out.
void WriteHttpResponse(const HttpResponse& response, std::string* out);

// The standard reason phrase of an HTTP status ("OK", "Not Found", ...).
std::string_view HttpReason(int status);

}  // namespace typeahead::server
