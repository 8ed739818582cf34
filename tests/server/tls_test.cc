// TlsContext's building and its refusals, the tls-* directives, and a TlsSession driven by an
// in-memory OpenSSL client: handshake, both directions, a reply of many records, close_notify.
// The certificates are made once per run with the openssl CLI.
#include <doctest/doctest.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <string>

#include "base/tls_session.h"
#include "server/config.h"
#include "server/tls_context.h"
#include "tests/test_certs.h"

using namespace typeahead::server;
using typeahead::TlsSession;
using typeahead::testing::TheCerts;

namespace {

using typeahead::testing::TestCerts;

Config TlsConfig(const TestCerts& certs) {
  Config c;
  c.tls_port = 1;
  c.tls_cert_file = certs("server.crt");
  c.tls_key_file = certs("server.key");
  c.tls_ca_cert_file = certs("ca.crt");
  return c;
}

std::string BuildError(const Config& c) {
  std::string error;
  auto ctx = TlsContext::Build(c, &error);
  CHECK(ctx == nullptr);
  return error;
}

// The other end: an OpenSSL client over memory BIOs, pumped by hand.
struct Client {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl;
  BIO *in, *out;
  explicit Client(const std::string& ca) {
    SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    ssl = SSL_new(ctx);
    in = BIO_new(BIO_s_mem());
    out = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl, in, out);
    SSL_set_connect_state(ssl);
  }
  ~Client() {
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
  std::string Take() {
    std::string s(BIO_ctrl_pending(out), '\0');
    BIO_read(out, s.data(), static_cast<int>(s.size()));
    return s;
  }
  void Give(const std::string& s) { BIO_write(in, s.data(), static_cast<int>(s.size())); }
};

// Hands the client's bytes to the session as a socket read into buf at `at` would.
TlsSession::Status Feed(TlsSession& session, std::string& buf, size_t at, const std::string& cipher,
                        size_t* plain) {
  if (buf.size() < at + cipher.size()) buf.resize(at + cipher.size());
  buf.replace(at, cipher.size(), cipher);
  return session.Receive(buf, at, cipher.size(), plain);
}

}  // namespace

TEST_CASE("TLS directives: defaults, values, CONFIG GET") {
  Config c;
  CHECK(c.tls_port == 0);
  CHECK_FALSE(TlsEnabled(c));
  CHECK(*GetDirective(c, "tls-auth-clients") == "yes");
  CHECK(*GetDirective(c, "tls-session-caching") == "yes");
  CHECK(*GetDirective(c, "tls-session-cache-size") == "20480");
  CHECK(*GetDirective(c, "tls-session-cache-timeout") == "300");
  CHECK(*GetDirective(c, "tls-replication") == "no");
  std::vector<std::string> v{"OPTIONAL"};
  CHECK_FALSE(SetDirective(&c, "tls-auth-clients", v, true).has_value());
  CHECK(c.tls_auth_clients == "optional");
  v = {"maybe"};
  CHECK(SetDirective(&c, "tls-auth-clients", v, true).has_value());
  v = {"TLSv1.2", "TLSv1.3"};  // a config file line's words
  CHECK_FALSE(SetDirective(&c, "tls-protocols", v, false).has_value());
  CHECK(c.tls_protocols == "TLSv1.2 TLSv1.3");
  v = {"TLSv1.2 SSLv3"};
  CHECK(SetDirective(&c, "tls-protocols", v, true)->starts_with("Invalid tls-protocols"));
  v = {"7000"};
  CHECK(*SetDirective(&c, "tls-port", v, true) == "can't set immutable config");
  CHECK(IsTlsContextDirective("TLS-CERT-FILE"));
  CHECK_FALSE(IsTlsContextDirective("tls-port"));
  CHECK(IsTlsContextDirective("tls-replication"));  // it adds the client side
  CHECK(IsTlsContextDirective("tls-client-cert-file"));
}

TEST_CASE("TlsContext: builds from good files, refuses bad ones naming them") {
  const TestCerts& certs = TheCerts();
  Config c = TlsConfig(certs);
  std::string error;
  CHECK(TlsContext::Build(c, &error) != nullptr);
  CHECK(error.empty());

  Config missing = c;
  missing.tls_cert_file = certs.dir + "/none.crt";
  CHECK(BuildError(missing) ==
        "Failed to load certificate '" + missing.tls_cert_file + "': No such file or directory");

  Config not_pem = c;
  not_pem.tls_cert_file = certs.dir + "/server.csr";
  CHECK(BuildError(not_pem).starts_with("Failed to load certificate '" + not_pem.tls_cert_file));

  Config wrong_key = c;
  wrong_key.tls_key_file = certs.dir + "/other.key";
  CHECK(BuildError(wrong_key).find("key values mismatch") != std::string::npos);

  Config no_ca = c;
  no_ca.tls_ca_cert_file.clear();
  CHECK(BuildError(no_ca).starts_with("Either tls-ca-cert-file or tls-ca-cert-dir"));
  no_ca.tls_auth_clients = "no";  // nothing to check clients against: none needed
  CHECK(TlsContext::Build(no_ca, &error) != nullptr);

  Config bad_ca = c;
  bad_ca.tls_ca_cert_file = certs.dir + "/none-ca.crt";
  CHECK(
      BuildError(bad_ca).starts_with("Failed to load CA certificates '" + bad_ca.tls_ca_cert_file));

  Config ciphers = c;
  ciphers.tls_ciphers = "NO-SUCH-CIPHER";
  CHECK(BuildError(ciphers).starts_with("Failed to set tls-ciphers 'NO-SUCH-CIPHER'"));
  Config suites = c;
  suites.tls_ciphersuites = "TLS_NO_SUCH";
  CHECK(BuildError(suites).starts_with("Failed to set tls-ciphersuites"));

  Config no_cert = c;
  no_cert.tls_cert_file.clear();
  CHECK(BuildError(no_cert) == "tls-cert-file is not set");
}

TEST_CASE("TlsContext: the client side exists with tls-replication and checks the primary") {
  const TestCerts& certs = TheCerts();
  Config c = TlsConfig(certs);
  std::string error;
  CHECK(TlsContext::Build(c, &error)->client() == nullptr);
  c.tls_replication = true;
  c.tls_port = 0;  // a plaintext server whose link to its primary is TLS
  CHECK_FALSE(TlsEnabled(c));
  CHECK(TlsContextNeeded(c));
  auto ctx = TlsContext::Build(c, &error);
  REQUIRE(ctx != nullptr);
  REQUIRE(ctx->client() != nullptr);
  // It presents tls-cert-file unless tls-client-cert-file is set, and checks the peer.
  CHECK(SSL_CTX_get_verify_mode(ctx->client()) ==
        (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT));
  c.tls_client_cert_file = certs("client.crt");
  c.tls_client_key_file = certs("client.key");
  CHECK(TlsContext::Build(c, &error) != nullptr);
  Config mismatch = c;
  mismatch.tls_client_key_file = certs("server.key");
  CHECK(BuildError(mismatch) ==
        "Failed to load private key '" + certs("server.key") + "': key values mismatch");
  Config no_key = c;
  no_key.tls_client_key_file.clear();
  CHECK(BuildError(no_key) == "tls-client-key-file is not set");
  // Without a CA the primary could not be checked: refused even where clients are not.
  Config no_ca = c;
  no_ca.tls_ca_cert_file.clear();
  no_ca.tls_auth_clients = "no";
  CHECK(BuildError(no_ca) ==
        "Either tls-ca-cert-file or tls-ca-cert-dir must be set when tls-replication is yes");
}

TEST_CASE("TlsSession: handshake, requests, a reply of many records, close_notify") {
  const TestCerts& certs = TheCerts();
  Config c = TlsConfig(certs);
  c.tls_auth_clients = "no";
  std::string error;
  auto ctx = TlsContext::Build(c, &error);
  REQUIRE(ctx != nullptr);
  TlsSession session(ctx->get());
  Client client(certs.dir + "/ca.crt");

  std::string buf(64, '\0');
  size_t plain = 0;
  // The handshake, pumped until both ends are done; nothing decrypts meanwhile.
  for (int i = 0; i < 10 && !(session.handshake_done() && SSL_is_init_finished(client.ssl)); ++i) {
    SSL_do_handshake(client.ssl);
    REQUIRE(Feed(session, buf, 0, client.Take(), &plain) == TlsSession::Status::kOk);
    CHECK(plain == 0);
    client.Give(session.output());
    session.output().clear();
  }
  REQUIRE(session.handshake_done());
  REQUIRE(SSL_is_init_finished(client.ssl));

  // Two requests in one read, at an offset, into a buffer too small: it grows, all decrypted.
  std::string req1(5000, 'a'), req2(7000, 'b');
  SSL_write(client.ssl, req1.data(), static_cast<int>(req1.size()));
  SSL_write(client.ssl, req2.data(), static_cast<int>(req2.size()));
  buf.assign(10, 'x');
  REQUIRE(Feed(session, buf, 10, client.Take(), &plain) == TlsSession::Status::kOk);
  CHECK(plain == req1.size() + req2.size());
  CHECK(buf.substr(0, 10) == std::string(10, 'x'));
  CHECK(buf.substr(10, plain) == req1 + req2);

  // A record split across reads: nothing until its last byte, then all of it.
  std::string req3 = "PING\r\n";
  SSL_write(client.ssl, req3.data(), static_cast<int>(req3.size()));
  std::string cipher = client.Take();
  REQUIRE(Feed(session, buf, 0, cipher.substr(0, 3), &plain) == TlsSession::Status::kOk);
  CHECK(plain == 0);
  REQUIRE(Feed(session, buf, 0, cipher.substr(3), &plain) == TlsSession::Status::kOk);
  CHECK(buf.substr(0, plain) == req3);

  // A reply over many records comes out whole.
  session.output().clear();  // session tickets sent after the handshake: the client may skip
  std::string reply(100000, 'r');
  REQUIRE(session.Send(reply));
  client.Give(session.output());
  session.output().clear();
  std::string got(reply.size() + 1, '\0');
  size_t total = 0, n = 0;
  while (SSL_read_ex(client.ssl, got.data() + total, got.size() - total, &n) > 0) total += n;
  CHECK(got.substr(0, total) == reply);

  // close_notify after a last request: the request is still delivered.
  SSL_write(client.ssl, req3.data(), static_cast<int>(req3.size()));
  SSL_shutdown(client.ssl);
  CHECK(Feed(session, buf, 0, client.Take(), &plain) == TlsSession::Status::kClosed);
  CHECK(buf.substr(0, plain) == req3);
}

TEST_CASE("TlsSession: garbage instead of a handshake fails with a reason") {
  const TestCerts& certs = TheCerts();
  std::string error;
  auto ctx = TlsContext::Build(TlsConfig(certs), &error);
  REQUIRE(ctx != nullptr);
  TlsSession session(ctx->get());
  std::string buf;
  size_t plain = 0;
  CHECK(Feed(session, buf, 0, "PING\r\nPING\r\n", &plain) == TlsSession::Status::kFailed);
  CHECK(session.error() == "wrong version number");
  CHECK_FALSE(session.handshake_done());
}
