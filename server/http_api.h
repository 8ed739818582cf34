// The HTTP/JSON completion API and the demo page, on http-port and on the client ports (where
// the first bytes told HTTP from RESP); docs/commands.md ("HTTP API") is the contract.
//
//   GET    /v1/keys                       the keys                        (KEYS *)
//   GET    /v1/keys/{key}                 its number of terms             (ACCARD)
//   GET    /v1/keys/{key}/topk?prefix=&k=&withscores=                     (ACTOPK)
//   POST   /v1/keys/{key}/record          {"term"} {"terms"} [+"by"]      (ACRECORD, ACINCRBY)
//   GET    /v1/keys/{key}/terms/{term}    its frequency, 404 when absent  (ACSCORE)
//   DELETE /v1/keys/{key}/terms/{term}    removes it, 404 when absent     (ACDEL)
//   GET    /                              the demo page (server/demo/index.html)
//
// Each request runs the RESP command beside it through the connection (Connection::
// RunForHttp), as the user its credentials name: the same admission (ACL, LOADING, read-only
// replica, maxmemory), limits, statistics and durability as over RESP; the RESP3 reply is
// turned into JSON, and an error reply into {"error": <the RESP text>, "code": <stable>} with
// the HTTP status its kind maps to. Path segments are percent-decoded (binary-safe), query
// values too ('+' a space); terms that are not valid UTF-8 come back with each stray byte as
// \u00XX and, beside, "raw": their percent-encoding, which names them exactly in a path.
//
// CORS: a request whose Origin is in http-cors-origins (or with "*" there) gets
// Access-Control-Allow-Origin; a preflight OPTIONS from such an origin 204, from another 403.
//
// Threading: runs on the requesting connection's shard, in its HTTP coroutine.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>
#include <string_view>

#include "server/http.h"

namespace typeahead::server {

class AclUser;
class Connection;
class Shard;

// Whether path is the API's or the page's.
bool IsApiPath(std::string_view path);

// Appends the response to req (an API or page path) to *out.
boost::asio::awaitable<void> ServeApi(Shard& shard, Connection& conn, const HttpRequest& req,
                                      std::string* out);

// Who the Authorization header says the client is (Basic with a user and password, or Bearer
// with the default user's password; nothing: the default user when it has nopass), or nullptr
// with the status (401) and text to answer. A wrong password counts in the ACL statistics.
const AclUser* AuthenticateHttp(Shard& shard, std::string_view authorization, int* status,
                                std::string* text);

// The response {"error": text, "code": ...} with status; code is the stable name of the
// status or of the RESP error's kind.
void WriteJsonError(int status, std::string_view text, bool keep_alive, std::string* out);

}  // namespace typeahead::server
