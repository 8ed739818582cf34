// Certificates for the TLS unit tests, made once per test binary with the openssl CLI in a
// temporary directory that goes when the binary exits: a CA, a server and a client certificate
// it signed, a second CA with a certificate of its own (what a peer of another deployment
// presents), and a key that belongs to none of them.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace typeahead::testing {

struct TestCerts {
  std::string dir;
  TestCerts() {
    char tmpl[] = "/tmp/typeahead-tls-unit-XXXXXX";
    dir = mkdtemp(tmpl);
    std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
    auto ca = [&](const std::string& name) {
      return "openssl req -x509 -new" + ec + "-keyout " + name + ".key -out " + name +
             ".crt -days 30 -subj /CN=" + name;
    };
    auto signed_by = [&](const std::string& name, const std::string& issuer) {
      return "openssl req -new" + ec + "-keyout " + name + ".key -out " + name +
             ".csr -subj /CN=" + name + " && openssl x509 -req -in " + name + ".csr -CA " + issuer +
             ".crt -CAkey " + issuer + ".key -CAcreateserial -out " + name + ".crt -days 30";
    };
    std::string script = "cd " + dir + " && " + ca("ca") + " && " + signed_by("server", "ca") +
                         " && " + signed_by("client", "ca") + " && " + ca("other-ca") + " && " +
                         signed_by("stranger", "other-ca") +
                         " && openssl genpkey -algorithm ec -pkeyopt "
                         "ec_paramgen_curve:prime256v1 -out other.key";
    REQUIRE(std::system(("(" + script + ") >/dev/null 2>&1").c_str()) == 0);
  }
  ~TestCerts() { std::filesystem::remove_all(dir); }
  std::string operator()(const std::string& file) const { return dir + "/" + file; }
};

inline const TestCerts& TheCerts() {
  static TestCerts certs;
  return certs;
}

}  // namespace typeahead::testing
