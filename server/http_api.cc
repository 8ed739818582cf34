#include "server/http_api.h"

#include <openssl/evp.h>

#include <array>
#include <chrono>
#include <iterator>
#include <optional>
#include <vector>

#include "protocol/ascii.h"
#include "protocol/number.h"
#include "server/acl.h"
#include "server/command_table.h"
#include "server/config.h"
#include "server/connection.h"
#include "server/demo_page.h"
#include "server/errors.h"
#include "server/json.h"
#include "server/shard.h"

namespace typeahead::server {
namespace {
using boost::asio::awaitable;
using Clock = std::chrono::steady_clock;
using Header = std::pair<std::string_view, std::string_view>;

constexpr std::string_view kJson = "application/json";

std::optional<std::string> Base64Decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  size_t pad = 0;
  while (pad < 2 && pad < in.size() && in[in.size() - 1 - pad] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

// The stable code of an HTTP status, and of the RESP errors that get one of their own.
std::string_view CodeOf(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 408:
      return "request_timeout";
    case 413:
      return "payload_too_large";
    case 429:
      return "too_many_requests";
    case 431:
      return "header_too_large";
    case 503:
      return "unavailable";
    default:
      return "error";
  }
}

struct ErrorKind {
  int status;
  std::string_view code;
};

// The body of every error response: {"error": text, "code": code}.
void JsonErrorBody(std::string_view text, std::string_view code, std::string* body) {
  JsonWriter(body).BeginObject().Key("error").String(text).Key("code").String(code).EndObject();
}

// What a RESP error's first word makes of it over HTTP: the client's fault (400) unless it is
// about credentials (401, 403) or the server's state (503, and 403 for a read-only replica).
ErrorKind KindOf(std::string_view resp_error) {
  std::string_view word = resp_error.substr(0, resp_error.find(' '));
  if (word == "NOAUTH" || word == "WRONGPASS") return {401, "unauthorized"};
  if (word == "NOPERM") return {403, "forbidden"};
  if (word == "READONLY") return {403, "read_only"};
  if (word == "LOADING") return {503, "loading"};
  if (word == "OOM") return {503, "out_of_memory"};
  if (word == "MISCONF" || word == "MASTERDOWN" || word == "NOREPLICAS") {
    return {503, "unavailable"};
  }
  return {400, "bad_request"};
}

// A RESP3 reply, read in order. The server made it, so it is well formed.
class ReplyReader {
 public:
  explicit ReplyReader(std::string_view s) : s_(s) {}
  char type() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool is_error() const { return type() == '-' || type() == '!'; }
  std::string_view Error() {
    if (type() == '-') return Line();
    return Bulk();
  }
  int64_t Integer() {
    int64_t v = 0;
    protocol::ParseInt64(Line(), &v);
    return v;
  }
  std::string_view Bulk() {
    auto n = static_cast<size_t>(Integer());
    std::string_view b = s_.substr(pos_, n);
    pos_ += n + 2;
    return b;
  }
  size_t Aggregate() { return static_cast<size_t>(Integer()); }
  bool is_double() const { return type() == ','; }
  double Double() {
    double v = 0;
    protocol::ParseDouble(Line(), &v);
    return v;
  }

 private:
  std::string_view Line() {
    size_t end = s_.find("\r\n", pos_);
    std::string_view line = s_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 2;
    return line;
  }
  std::string_view s_;
  size_t pos_ = 0;
};

// A term's number: "freq", an integer count, or "score", a double (a blend's weighted sum, a
// decaying key's current score).
void WriteScore(JsonWriter& w, ReplyReader& r) {
  if (r.is_double()) {
    w.Key("score").Double(r.Double());
  } else {
    w.Key("freq").Int(r.Integer());
  }
}

struct Route {
  enum Kind { kNone, kPage, kKeys, kKey, kTopk, kRecord, kTerm } kind = kNone;
  std::string key, term;
  bool bad_percent = false;
};

Route ParseRoute(std::string_view path) {
  Route r;
  if (path == "/") {
    r.kind = Route::kPage;
    return r;
  }
  constexpr std::string_view kKeys = "/v1/keys";
  if (!path.starts_with(kKeys)) return r;
  std::string_view rest = path.substr(kKeys.size());
  if (rest.empty() || rest == "/") {
    r.kind = Route::kKeys;
    return r;
  }
  if (rest[0] != '/') return r;
  std::vector<std::string_view> segments;
  for (rest.remove_prefix(1);;) {
    size_t slash = rest.find('/');
    segments.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  auto decode = [&](std::string_view s, std::string* out) {
    auto d = PercentDecode(s, false);
    if (!d) r.bad_percent = true;
    if (d) *out = std::move(*d);
  };
  decode(segments[0], &r.key);
  if (segments.size() == 1) {
    r.kind = Route::kKey;
  } else if (segments.size() == 2 && segments[1] == "topk") {
    r.kind = Route::kTopk;
  } else if (segments.size() == 2 && segments[1] == "record") {
    r.kind = Route::kRecord;
  } else if (segments.size() == 3 && segments[1] == "terms") {
    r.kind = Route::kTerm;
    decode(segments[2], &r.term);
  }
  return r;
}

std::string_view MethodsOf(Route::Kind kind) {
  switch (kind) {
    case Route::kRecord:
      return "POST, OPTIONS";
    case Route::kTerm:
      return "GET, HEAD, DELETE, OPTIONS";
    default:
      return "GET, HEAD, OPTIONS";
  }
}

bool MethodAllowed(Route::Kind kind, std::string_view method) {
  if (method == "OPTIONS") return true;
  switch (kind) {
    case Route::kRecord:
      return method == "POST";
    case Route::kTerm:
      return method == "GET" || method == "HEAD" || method == "DELETE";
    default:
      return method == "GET" || method == "HEAD";
  }
}

bool OriginAllowed(const Config& config, std::string_view origin) {
  if (origin.empty()) return false;
  for (const std::string& allowed : config.http_cors_origins) {
    if (allowed == "*" || allowed == origin) return true;
  }
  return false;
}

// One response in the making: status, body, and up to a handful of extra headers.
class Response {
 public:
  Response(const HttpRequest& req, const Config& config) : req_(req) {
    if (OriginAllowed(config, req.origin)) {
      Add("Access-Control-Allow-Origin", req.origin);
      Add("Vary", "Origin");
      cors_ = true;
    }
  }
  bool cors() const { return cors_; }
  void Add(std::string_view name, std::string_view value) { headers_[count_++] = {name, value}; }
  std::string& body() { return body_; }
  // An error of the API's own: its code is its status's.
  void Error(int status, std::string_view text) { Error(status, text, CodeOf(status)); }
  // A command's error reply: status and code by its kind (KindOf).
  void ErrorReply(std::string_view resp_error) {
    ErrorKind kind = KindOf(resp_error);
    Error(kind.status, resp_error, kind.code);
  }
  void set_status(int status) { status_ = status; }
  void set_type(std::string_view type) { type_ = type; }
  void Write(std::string* out) const {
    WriteHttpResponse({.status = status_,
                       .content_type = type_,
                       .body = body_,
                       .keep_alive = req_.keep_alive,
                       .head = req_.method == "HEAD",
                       .headers = std::span(headers_).first(count_)},
                      out);
  }

 private:
  void Error(int status, std::string_view text, std::string_view code) {
    status_ = status;
    body_.clear();
    JsonErrorBody(text, code, &body_);
  }

  const HttpRequest& req_;
  int status_ = 200;
  std::string_view type_ = kJson;
  std::string body_;
  std::array<Header, 8> headers_;
  size_t count_ = 0;
  bool cors_ = false;
};

// A term (or key) as JSON: "term", and "raw" beside it when it is not valid UTF-8.
void WriteTerm(JsonWriter& w, std::string_view name, std::string_view term) {
  bool valid = true;
  w.Key(name).String(term, &valid);
  if (!valid) w.Key("raw").String(PercentEncode(term));
}

int64_t MicrosSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

// Runs args as user; false with the error response made when the reply is an error.
awaitable<bool> Run(Connection& conn, const AclUser* user, const std::vector<std::string>& args,
                    std::string* reply, Response* res) {
  std::vector<std::string_view> views(args.begin(), args.end());  // BLEND makes it unbounded
  co_await conn.RunForHttp(user, views, reply);
  ReplyReader r(*reply);
  if (r.is_error()) {
    res->ErrorReply(r.Error());
    co_return false;
  }
  co_return true;
}

awaitable<void> TopK(Connection& conn, const AclUser* user, const HttpRequest& req,
                     const Route& route, Response* res) {
  auto start = Clock::now();
  std::string prefix, k = "10", fuzzy, prefixlen;
  std::vector<std::string> blend;  // BLEND's arguments: key, weight, key, weight, ...
  bool with_scores = false;
  bool bad = false;
  ForEachQueryParam(req.query, [&](std::string_view name, std::string_view raw) {
    auto value = PercentDecode(raw, true);
    if (!value) {
      res->Error(400, errors::kHttpBadPercent);
    } else if (name == "prefix") {
      prefix = std::move(*value);
      return true;
    } else if (name == "k") {
      k = std::move(*value);
      return true;
    } else if (name == "fuzzy") {
      fuzzy = std::move(*value);
      return true;
    } else if (name == "prefixlen") {
      prefixlen = std::move(*value);
      return true;
    } else if (name == "blend") {  // key:weight, split at the last colon (keys may hold one)
      size_t colon = value->rfind(':');
      if (colon != std::string::npos && colon != 0) {
        blend.push_back(value->substr(0, colon));
        blend.push_back(value->substr(colon + 1));
        return true;
      }
      res->Error(400, errors::kHttpBadBlend);
    } else if (name == "withscores") {
      if (*value == "true" || *value == "1" || *value == "yes" || value->empty()) {
        with_scores = true;
        return true;
      }
      if (*value == "false" || *value == "0" || *value == "no") {
        with_scores = false;
        return true;
      }
      res->Error(400, errors::kHttpBadBool);
    } else {
      res->Error(400, errors::HttpUnknownParameter(name));
    }
    bad = true;
    return false;
  });
  if (bad) co_return;
  if (!prefixlen.empty() && fuzzy.empty()) co_return res->Error(400, errors::kHttpPrefixLenAlone);
  std::vector<std::string> args = {"actopk", route.key, prefix, k};
  if (with_scores) args.emplace_back("withscores");
  if (!fuzzy.empty()) {
    args.insert(args.end(), {"fuzzy", fuzzy});
    if (!prefixlen.empty()) args.insert(args.end(), {"prefixlen", prefixlen});
  }
  bool blended = !blend.empty();
  if (blended) {
    args.emplace_back("blend");
    std::move(blend.begin(), blend.end(), std::back_inserter(args));
  }
  std::string reply;
  bool ok = co_await Run(conn, user, args, &reply, res);
  if (!ok) co_return;
  ReplyReader r(reply);
  JsonWriter w(&res->body());
  w.BeginObject().Key("key").String(route.key).Key("prefix").String(prefix);
  w.Key("terms").BeginArray();
  for (size_t n = r.Aggregate(); n > 0; --n) {
    w.BeginObject();
    if (with_scores) {
      r.Aggregate();  // [term, freq] or [term, freq, distance]; a blend's score, a double
      WriteTerm(w, "term", r.Bulk());
      WriteScore(w, r);
      if (!fuzzy.empty()) w.Key("distance").Int(r.Integer());
    } else {
      WriteTerm(w, "term", r.Bulk());
    }
    w.EndObject();
  }
  w.EndArray().Key("took_us").Int(MicrosSince(start)).EndObject();
}

awaitable<void> Record(Shard& shard, Connection& conn, const AclUser* user, const HttpRequest& req,
                       const Route& route, Response* res) {
  auto start = Clock::now();
  std::string why;
  auto body = ParseJson(req.body, &why);
  if (!body) co_return res->Error(400, errors::HttpBadJson(why));
  const boost::json::object* o = body->if_object();
  std::vector<std::string> terms;
  std::optional<int64_t> by;
  bool single = false, shape_ok = o != nullptr && !o->empty();
  if (shape_ok) {
    for (const auto& [name, value] : *o) {
      if (name == "term" && value.is_string() && terms.empty()) {
        terms.emplace_back(value.get_string());
        single = true;
      } else if (name == "terms" && value.is_array() && terms.empty() &&
                 !value.get_array().empty()) {
        for (const auto& t : value.get_array()) {
          if (!t.is_string()) shape_ok = false;
          if (t.is_string()) terms.emplace_back(t.get_string());
        }
      } else if (name == "by") {
        if (!value.is_int64()) co_return res->Error(400, errors::kNotInteger);
        by = value.get_int64();
      } else {
        shape_ok = false;
      }
    }
  }
  if (!shape_ok || terms.empty()) co_return res->Error(400, errors::kHttpRecordBody);
  auto command = [&](const std::string& term) {
    if (by) return std::vector<std::string>{"acincrby", route.key, term, std::to_string(*by)};
    return std::vector<std::string>{"acrecord", route.key, term};
  };
  std::string reply;
  // Every term is checked before any is recorded: a bad one fails the request alone. Its
  // command gives the error (and counts it), as a RESP client would see it.
  for (const std::string& term : terms) {
    if (CheckTerm(shard.config(), term) != errors::Status::kOk) {
      std::vector<std::string> args = command(term);
      co_await Run(conn, user, args, &reply, res);
      co_return;
    }
  }
  std::vector<std::string> scores;  // each term's reply: a frequency or a decaying score
  for (const std::string& term : terms) {
    std::vector<std::string> args = command(term);
    bool ok = co_await Run(conn, user, args, &reply, res);
    if (!ok) co_return;
    scores.push_back(reply);
  }
  JsonWriter w(&res->body());
  w.BeginObject().Key("key").String(route.key);
  if (single) {
    WriteTerm(w, "term", terms[0]);
    ReplyReader r(scores[0]);
    WriteScore(w, r);
  } else {
    w.Key("terms").BeginArray();
    for (size_t i = 0; i < terms.size(); ++i) {
      w.BeginObject();
      WriteTerm(w, "term", terms[i]);
      ReplyReader r(scores[i]);
      WriteScore(w, r);
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("took_us").Int(MicrosSince(start)).EndObject();
}

awaitable<void> Term(Connection& conn, const AclUser* user, const HttpRequest& req,
                     const Route& route, Response* res) {
  auto start = Clock::now();
  bool remove = req.method == "DELETE";
  std::string reply;
  std::vector<std::string> args = {remove ? "acdel" : "acscore", route.key, route.term};
  bool ok = co_await Run(conn, user, args, &reply, res);
  if (!ok) co_return;
  ReplyReader r(reply);
  if (r.type() == '_' || (remove && r.Integer() == 0)) {
    co_return res->Error(404, errors::kHttpNoSuchTerm);
  }
  JsonWriter w(&res->body());
  w.BeginObject().Key("key").String(route.key);
  WriteTerm(w, "term", route.term);
  if (remove) {
    w.Key("deleted").Bool(true);
  } else {
    WriteScore(w, r);
  }
  w.Key("took_us").Int(MicrosSince(start)).EndObject();
}

awaitable<void> Key(Connection& conn, const AclUser* user, const Route& route, Response* res) {
  auto start = Clock::now();
  std::string reply;
  std::vector<std::string> args = {"accard", route.key};
  if (!co_await Run(conn, user, args, &reply, res)) co_return;
  JsonWriter w(&res->body());
  w.BeginObject().Key("key").String(route.key);
  w.Key("cardinality").Int(ReplyReader(reply).Integer());
  w.Key("took_us").Int(MicrosSince(start)).EndObject();
}

awaitable<void> Keys(Connection& conn, const AclUser* user, Response* res) {
  auto start = Clock::now();
  std::string reply;
  std::vector<std::string> args = {"keys", "*"};
  if (!co_await Run(conn, user, args, &reply, res)) co_return;
  ReplyReader r(reply);
  JsonWriter w(&res->body());
  w.BeginObject().Key("keys").BeginArray();
  for (size_t n = r.Aggregate(); n > 0; --n) w.String(r.Bulk());
  w.EndArray().Key("took_us").Int(MicrosSince(start)).EndObject();
}

}  // namespace

bool IsApiPath(std::string_view path) { return path == "/" || path.starts_with("/v1/"); }

const AclUser* AuthenticateHttp(Shard& shard, std::string_view header, int* status,
                                std::string* text) {
  const Acl& acl = shard.acl();
  const AclUser* user = &acl.default_user();
  if (header.empty() && user->enabled() && user->nopass()) return user;
  std::string name = "default", password;
  bool given = false;
  if (EqualsIgnoreCase(header.substr(0, 6), "Basic ")) {
    auto decoded = Base64Decode(header.substr(6));
    size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon != std::string::npos) {
      name = decoded->substr(0, colon);
      password = decoded->substr(colon + 1);
      given = true;
    }
  } else if (EqualsIgnoreCase(header.substr(0, 7), "Bearer ")) {
    password = header.substr(7);
    given = true;
  }
  if (!given) {
    // Credentials the server cannot read count as none: the default user, if it needs none.
    if (user->enabled() && user->nopass()) return user;
    *status = 401;
    *text = errors::kNoAuth;
    return nullptr;
  }
  user = acl.Find(name);
  if (user == nullptr || !user->Authenticates(password)) {
    ++shard.stats().auth_failures;
    *status = 401;
    *text = errors::kWrongPass;
    return nullptr;
  }
  return user;
}

void WriteJsonError(int status, std::string_view text, bool keep_alive, std::string* out) {
  std::string body;
  JsonErrorBody(text, CodeOf(status), &body);
  WriteHttpResponse({.status = status,
                     .content_type = kJson,
                     .body = body,
                     .keep_alive = keep_alive,
                     .headers = {}},
                    out);
}

awaitable<void> ServeApi(Shard& shard, Connection& conn, const HttpRequest& req, std::string* out) {
  Route route = ParseRoute(req.path);
  Response res(req, shard.config());
  if (route.kind == Route::kNone) {
    res.Error(404, errors::kHttpNotFound);
  } else if (!MethodAllowed(route.kind, req.method)) {
    res.Error(405, errors::kHttpMethodNotAllowed);
    res.Add("Allow", MethodsOf(route.kind));
  } else if (req.method == "OPTIONS") {
    // A CORS preflight: what the browser may send from this origin.
    if (!req.origin.empty() && !res.cors()) {
      res.Error(403, errors::kHttpOriginNotAllowed);
    } else {
      res.set_status(204);
      res.Add(res.cors() ? "Access-Control-Allow-Methods" : "Allow", MethodsOf(route.kind));
      if (res.cors()) {
        res.Add("Access-Control-Allow-Headers", "Authorization, Content-Type");
        res.Add("Access-Control-Max-Age", "600");
      }
    }
  } else if (route.kind == Route::kPage) {
    res.set_type("text/html; charset=utf-8");
    // The page is self-contained: it may talk to this server and nothing else.
    res.Add("Content-Security-Policy",
            "default-src 'none'; connect-src 'self'; script-src 'unsafe-inline'; "
            "style-src 'unsafe-inline'; img-src data:");
    res.Add("Cache-Control", "no-cache");
    res.body() = kDemoPage;
  } else if (route.bad_percent) {
    res.Error(400, errors::kHttpBadPercent);
  } else {
    int status = 0;
    std::string refusal;
    const AclUser* user = AuthenticateHttp(shard, req.authorization, &status, &refusal);
    if (user == nullptr) {
      res.Error(status, refusal);
      // Bearer, not Basic: a page's fetch gets the 401 instead of a browser's login dialog.
      res.Add("WWW-Authenticate", "Bearer realm=\"typeahead\"");
    } else {
      switch (route.kind) {
        case Route::kTopk:
          co_await TopK(conn, user, req, route, &res);
          break;
        case Route::kRecord:
          co_await Record(shard, conn, user, req, route, &res);
          break;
        case Route::kTerm:
          co_await Term(conn, user, req, route, &res);
          break;
        case Route::kKey:
          co_await Key(conn, user, route, &res);
          break;
        default:
          co_await Keys(conn, user, &res);
      }
    }
  }
  res.Write(out);
}

}  // namespace typeahead::server
