// TlsContext is the tls-* directives of server/config.h made ready to serve: one OpenSSL
// SSL_CTX holding the server certificate and key, the CA that client certificates are checked
// against, the protocol versions, ciphers and session cache; and with tls-replication yes a
// second, client-side SSL_CTX that a replica's link to its primary is made from (the client
// certificate, the same CA checking the primary's). Building it reads and checks every
// file, so a bad file is found when the server starts (it exits naming the file) or when CONFIG
// SET names a tls-* directive (the set is refused and the previous context stays in use), never
// when a client connects.
//
// Threading: immutable once built. OpenSSL allows SSL_new on one SSL_CTX from many threads, so
// every shard holds a shared_ptr to the same context (Shard::tls_context) and each TLS
// connection makes its SSL from its own shard's pointer. CONFIG SET builds a new context and
// hands it to every shard the way it hands out the new Config; an SSL keeps its own reference
// on the SSL_CTX it came from, so connections made before the swap go on with the old one.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "server/config.h"

namespace typeahead::server {

class TlsContext {
 public:
  // The context for config, or nullptr with *error saying why (naming the file or directive).
  static std::shared_ptr<const TlsContext> Build(const Config& config, std::string* error);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* get() const { return ctx_; }
  // The client side, null unless tls-replication is yes.
  SSL_CTX* client() const { return client_; }

 private:
  TlsContext(SSL_CTX* ctx, SSL_CTX* client) : ctx_(ctx), client_(client) {}
  SSL_CTX* ctx_;
  SSL_CTX* client_;
};

// Whether TLS serves clients (tls-port set).
inline bool TlsEnabled(const Config& config) { return config.tls_port != 0; }
// Whether a context is built: TLS serves clients or replica links use it.
inline bool TlsContextNeeded(const Config& config) {
  return config.tls_port != 0 || config.tls_replication;
}
// Whether a CONFIG SET of this directive rebuilds the context: every tls-* directive the
// context is made from. Setting one to the value it has reloads its files too, which is how a
// certificate replaced on disk is taken up.
bool IsTlsContextDirective(std::string_view name);

}  // namespace typeahead::server
