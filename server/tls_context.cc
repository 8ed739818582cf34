#include "server/tls_context.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstring>
#include <sstream>

#include "base/tls_session.h"
#include "protocol/ascii.h"

namespace typeahead::server {
namespace {

// Protocol words to OpenSSL versions. The config setter has checked the words already.
int ProtocolVersion(std::string_view word) {
  std::string w = ToLower(word);
  if (w == "tlsv1") return TLS1_VERSION;
  if (w == "tlsv1.1") return TLS1_1_VERSION;
  if (w == "tlsv1.2") return TLS1_2_VERSION;
  if (w == "tlsv1.3") return TLS1_3_VERSION;
  return 0;
}

// The key file's pass phrase, handed to OpenSSL only while the key is read.
int PassPhrase(char* buf, int size, int, void* userdata) {
  const auto* pass = static_cast<const std::string*>(userdata);
  if (pass == nullptr || static_cast<int>(pass->size()) > size) return 0;
  std::memcpy(buf, pass->data(), pass->size());
  return static_cast<int>(pass->size());
}

// Everything but the SSL_CTX's allocation; an error text on failure. The server side serves
// tls-port; the client side is what a replica connects to a TLS primary with (tls-replication),
// presenting tls-client-cert-file (tls-cert-file when that is unset) and checking the
// primary's certificate against the same CA, as Redis does. Neither checks a host name: the CA
// is what vouches for a peer, in Redis as here.
std::string Configure(SSL_CTX* ctx, const Config& c, bool client) {
  // Renegotiation would let a client make a write wait for a read mid-reply; TLS 1.3 has none
  // and Redis refuses it too. Compression is off against CRIME.
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (c.tls_prefer_server_ciphers && !client) {
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  }

  int lo = 0, hi = 0;
  std::istringstream words(c.tls_protocols.empty() ? "TLSv1.2 TLSv1.3" : c.tls_protocols);
  for (std::string w; words >> w;) {
    int v = ProtocolVersion(w);
    if (v == 0) return fmt::format("Invalid tls-protocols '{}'", c.tls_protocols);
    if (lo == 0 || v < lo) lo = v;
    if (v > hi) hi = v;
  }
  // A range: "TLSv1 TLSv1.3" allows the versions between as well.
  if (!SSL_CTX_set_min_proto_version(ctx, lo) || !SSL_CTX_set_max_proto_version(ctx, hi)) {
    return fmt::format("Failed to set tls-protocols '{}': {}", c.tls_protocols, TakeSslErrors());
  }

  if (client) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);  // a link reconnects rarely
  } else if (c.tls_session_caching) {
    static constexpr unsigned char kSessionContext[] = "typeahead";
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);
    SSL_CTX_sess_set_cache_size(ctx, c.tls_session_cache_size);
    SSL_CTX_set_timeout(ctx, c.tls_session_cache_timeout);
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  }

  bool own = client && !c.tls_client_cert_file.empty();
  const std::string& cert = own ? c.tls_client_cert_file : c.tls_cert_file;
  const std::string& key = own ? c.tls_client_key_file : c.tls_key_file;
  const std::string& pass = own ? c.tls_client_key_file_pass : c.tls_key_file_pass;
  if (cert.empty()) return "tls-cert-file is not set";
  if (key.empty()) return own ? "tls-client-key-file is not set" : "tls-key-file is not set";
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) <= 0) {
    return fmt::format("Failed to load certificate '{}': {}", cert, TakeSslErrors());
  }
  SSL_CTX_set_default_passwd_cb(ctx, PassPhrase);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, const_cast<std::string*>(&pass));
  int loaded = SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);  // c does not outlive the context
  if (loaded <= 0) {
    return fmt::format("Failed to load private key '{}': {}", key, TakeSslErrors());
  }
  if (!SSL_CTX_check_private_key(ctx)) {
    return fmt::format("Private key '{}' does not match certificate '{}': {}", key, cert,
                       TakeSslErrors());
  }

  bool verify = client || c.tls_auth_clients != "no";
  if (verify && c.tls_ca_cert_file.empty() && c.tls_ca_cert_dir.empty()) {
    return client ? "Either tls-ca-cert-file or tls-ca-cert-dir must be set when "
                    "tls-replication is yes"
                  : "Either tls-ca-cert-file or tls-ca-cert-dir must be set when "
                    "tls-auth-clients is yes or optional";
  }
  if (!c.tls_ca_cert_file.empty() || !c.tls_ca_cert_dir.empty()) {
    const char* file = c.tls_ca_cert_file.empty() ? nullptr : c.tls_ca_cert_file.c_str();
    const char* dir = c.tls_ca_cert_dir.empty() ? nullptr : c.tls_ca_cert_dir.c_str();
    if (SSL_CTX_load_verify_locations(ctx, file, dir) <= 0) {
      return fmt::format("Failed to load CA certificates '{}': {}",
                         file != nullptr ? c.tls_ca_cert_file : c.tls_ca_cert_dir, TakeSslErrors());
    }
  }
  int mode = SSL_VERIFY_NONE;
  if (client || c.tls_auth_clients == "yes") {
    mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  } else if (c.tls_auth_clients == "optional") {
    mode = SSL_VERIFY_PEER;
  }
  SSL_CTX_set_verify(ctx, mode, nullptr);

  if (!c.tls_ciphers.empty() && !SSL_CTX_set_cipher_list(ctx, c.tls_ciphers.c_str())) {
    return fmt::format("Failed to set tls-ciphers '{}': {}", c.tls_ciphers, TakeSslErrors());
  }
  if (!c.tls_ciphersuites.empty() && !SSL_CTX_set_ciphersuites(ctx, c.tls_ciphersuites.c_str())) {
    return fmt::format("Failed to set tls-ciphersuites '{}': {}", c.tls_ciphersuites,
                       TakeSslErrors());
  }
  return "";
}

// A configured context of one side, or nullptr with *error saying why.
SSL_CTX* NewContext(const Config& c, bool client, std::string* error) {
  SSL_CTX* ctx = SSL_CTX_new(client ? TLS_client_method() : TLS_server_method());
  if (ctx == nullptr) {
    *error = "Failed to create the TLS context: " + TakeSslErrors();
    return nullptr;
  }
  std::string why = Configure(ctx, c, client);
  if (!why.empty()) {
    SSL_CTX_free(ctx);
    *error = why;
    return nullptr;
  }
  return ctx;
}

}  // namespace

std::shared_ptr<const TlsContext> TlsContext::Build(const Config& config, std::string* error) {
  ERR_clear_error();  // what the queue holds is another operation's
  SSL_CTX* server = NewContext(config, false, error);
  if (server == nullptr) return nullptr;
  SSL_CTX* client = nullptr;
  if (config.tls_replication) {
    client = NewContext(config, true, error);
    if (client == nullptr) {
      SSL_CTX_free(server);
      return nullptr;
    }
  }
  return std::shared_ptr<const TlsContext>(new TlsContext(server, client));
}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
  SSL_CTX_free(client_);  // null-safe
}

bool IsTlsContextDirective(std::string_view name) {
  static constexpr std::string_view kNames[] = {"tls-cert-file",
                                                "tls-key-file",
                                                "tls-key-file-pass",
                                                "tls-ca-cert-file",
                                                "tls-ca-cert-dir",
                                                "tls-auth-clients",
                                                "tls-protocols",
                                                "tls-ciphers",
                                                "tls-ciphersuites",
                                                "tls-session-caching",
                                                "tls-prefer-server-ciphers",
                                                "tls-session-cache-size",
                                                "tls-session-cache-timeout",
                                                "tls-client-cert-file",
                                                "tls-client-key-file",
                                                "tls-client-key-file-pass",
                                                "tls-replication"};
  std::string lower = ToLower(name);
  for (std::string_view n : kNames) {
    if (n == lower) return true;
  }
  return false;
}

}  // namespace typeahead::server
