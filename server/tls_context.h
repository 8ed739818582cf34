// TlsContext is the tls-* directives of server/config.h made ready to serve: one OpenSSL
// SSL_CTX holding the server certificate and key, the CA that client certificates are checked
// against, the protocol versions, ciphers and session cache. Building it reads and checks every
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

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

// Whether TLS serves clients (tls-port set): only then is a context built.
inline bool TlsEnabled(const Config& config) { return config.tls_port != 0; }
// Whether a CONFIG SET of this directive rebuilds the context: every tls-* directive the
// context is made from. Setting one to the value it has reloads its files too, which is how a
// certificate replaced on disk is taken up.
bool IsTlsContextDirective(std::string_view name);

// OpenSSL's queued errors of this thread as one line ("reason, reason"), emptying the queue.
// `fallback` when the queue is empty.
std::string TakeSslErrors(std::string_view fallback = "unknown error");

}  // namespace typeahead::server
