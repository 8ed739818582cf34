#include "server/http.h"

#include <fmt/format.h>

#include <array>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "server/errors.h"

namespace typeahead::server {
namespace http = boost::beast::http;

namespace {

constexpr std::array<std::string_view, 7> kMethods = {"GET",    "HEAD",    "POST", "PUT",
                                                      "DELETE", "OPTIONS", "PATCH"};

}  // namespace

Sniff SniffHttp(std::string_view data) {
  bool maybe = false;
  for (std::string_view m : kMethods) {
    size_t need = m.size() + 2;  // "GET /"
    std::string_view have = data.substr(0, need);
    // The method, then " /".
    bool prefix = true;
    for (size_t i = 0; i < have.size() && prefix; ++i) {
      char expected = i < m.size() ? m[i] : (i == m.size() ? ' ' : '/');
      prefix = have[i] == expected;
    }
    if (!prefix) continue;
    if (have.size() == need) return Sniff::kHttp;
    maybe = true;
  }
  // A prefix of a request line that may still become one: wait, unless a line already ended.
  if (maybe && data.find('\n') == std::string_view::npos) return Sniff::kNeedMore;
  return Sniff::kResp;
}

struct HttpRequestReader::Parser {
  http::request_parser<http::string_body> p;
};

HttpRequestReader::HttpRequestReader(size_t max_body) { Reset(max_body); }
HttpRequestReader::~HttpRequestReader() = default;

void HttpRequestReader::Reset(size_t max_body) {
  // A parser serves one message (Beast's rule); the request's strings keep their capacity.
  parser_ = std::make_unique<Parser>();
  parser_->p.header_limit(kMaxHeaderBytes);
  parser_->p.body_limit(max_body);
  parser_->p.eager(true);
  request_.method.clear();
  request_.path.clear();
  request_.query.clear();
  request_.keep_alive = true;
  request_.authorization.clear();
  request_.origin.clear();
  request_.body.clear();
  error_status_ = 0;
  error_text_ = {};
  mid_request_ = false;
}

HttpRequestReader::Status HttpRequestReader::Feed(std::string_view data, size_t* consumed) {
  *consumed = 0;
  if (!data.empty()) mid_request_ = true;
  auto& p = parser_->p;
  while (!p.is_done()) {
    boost::beast::error_code ec;
    size_t used =
        p.put(boost::asio::const_buffer(data.data() + *consumed, data.size() - *consumed), ec);
    *consumed += used;
    if (p.is_done()) break;
    // A body not all here yet comes back without an error: the same as need_more.
    if (!ec || ec == http::error::need_more) {
      // The header's size counts while it is incomplete, too: a client cannot hold us with a
      // header that never ends.
      if (!p.is_header_done() && data.size() - *consumed > kMaxHeaderBytes) {
        ec = http::error::header_limit;
      } else if (used == 0 || *consumed == data.size()) {
        return Status::kNeedMore;
      } else {
        continue;
      }
    }
    if (ec) {
      if (ec == http::error::header_limit) {
        error_status_ = 431;
        error_text_ = errors::kHttpHeaderTooLarge;
      } else if (ec == http::error::body_limit) {
        error_status_ = 413;
        error_text_ = errors::kHttpBodyTooLarge;
      } else {
        error_status_ = 400;
        error_text_ = errors::kHttpBadRequest;
      }
      return Status::kError;
    }
  }
  auto& m = p.get();
  request_.method = std::string(m.method_string());
  std::string_view target = m.target();
  size_t q = target.find('?');
  request_.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) request_.query = std::string(target.substr(q + 1));
  request_.keep_alive = m.keep_alive();
  request_.authorization = std::string(m[http::field::authorization]);
  request_.origin = std::string(m[http::field::origin]);
  request_.body = std::move(m.body());
  mid_request_ = false;
  return Status::kDone;
}

namespace {
int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      int hi = i + 1 < s.size() ? HexDigit(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? HexDigit(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string PercentEncode(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    bool unreserved = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                      u == '-' || u == '.' || u == '_' || u == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      fmt::format_to(std::back_inserter(out), "%{:02X}", u);
    }
  }
  return out;
}

std::string_view HttpReason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

void WriteHttpResponse(const HttpResponse& r, std::string* out) {
  fmt::format_to(std::back_inserter(*out), "HTTP/1.1 {} {}\r\n", r.status, HttpReason(r.status));
  // A 204 has no body, and so neither type nor length (RFC 9110, 8.6).
  if (r.status != 204) {
    fmt::format_to(std::back_inserter(*out), "Content-Type: {}\r\nContent-Length: {}\r\n",
                   r.content_type, r.body.size());
  }
  if (!r.keep_alive) *out += "Connection: close\r\n";
  for (const auto& [name, value] : r.headers) {
    fmt::format_to(std::back_inserter(*out), "{}: {}\r\n", name, value);
  }
  *out += "\r\n";
  if (!r.head && r.status != 204) *out += r.body;
}

}  // namespace typeahead::server
