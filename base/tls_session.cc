#include "base/tls_session.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <new>

namespace typeahead {
namespace {
// Room kept free for SSL_read: less makes it return a record in small pieces.
constexpr size_t kMinRoom = 4096;
}  // namespace

TlsSession::TlsSession(SSL_CTX* ctx, Side side) : ssl_(SSL_new(ctx)) {
  if (ssl_ == nullptr) throw std::bad_alloc();
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (in_ == nullptr || out_ == nullptr) {
    BIO_free(in_);
    BIO_free(out_);
    SSL_free(ssl_);
    throw std::bad_alloc();
  }
  SSL_set_bio(ssl_, in_, out_);  // ssl_ owns both from here on
  if (side == Side::kServer) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
  }
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

TlsSession::Status TlsSession::Receive(std::string& buffer, size_t at, size_t n, size_t* plain) {
  *plain = 0;
  ERR_clear_error();  // SSL_get_error reads the queue: only this call's errors may be there
  size_t fed = 0;
  if (n > 0 && (BIO_write_ex(in_, buffer.data() + at, n, &fed) <= 0 || fed != n)) {
    error_ = "out of memory";
    return Status::kFailed;
  }
  size_t end = at;
  Status status = Status::kOk;
  for (;;) {
    if (buffer.size() - end < kMinRoom) buffer.resize(std::max(buffer.size() * 2, end + kMinRoom));
    size_t got = 0;
    if (SSL_read_ex(ssl_, buffer.data() + end, std::min<size_t>(buffer.size() - end, INT_MAX),
                    &got) > 0) {
      end += got;
      continue;
    }
    int e = SSL_get_error(ssl_, 0);
    if (e == SSL_ERROR_WANT_READ) break;  // every record fed so far is decrypted
    if (e == SSL_ERROR_ZERO_RETURN) {
      status = Status::kClosed;
      break;
    }
    error_ = TakeSslErrors(e == SSL_ERROR_SYSCALL ? "unexpected end of stream" : "unknown error");
    long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) error_ += fmt::format(" ({})", X509_verify_cert_error_string(verify));
    status = Status::kFailed;
    break;
  }
  if (!handshake_done_ && SSL_is_init_finished(ssl_)) handshake_done_ = true;
  TakeOutput();  // the alert a failure sends goes too, when the caller writes it
  *plain = end - at;
  return status;
}

bool TlsSession::Send(std::string_view plain) {
  ERR_clear_error();
  while (!plain.empty()) {
    size_t written = 0;
    if (SSL_write_ex(ssl_, plain.data(), plain.size(), &written) <= 0) {
      error_ = TakeSslErrors();
      return false;
    }
    plain.remove_prefix(written);
  }
  TakeOutput();
  return true;
}

void TlsSession::Shutdown() {
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
  TakeOutput();
}

void TlsSession::TakeOutput() {
  size_t pending = BIO_ctrl_pending(out_);
  if (pending == 0) return;
  size_t old = output_.size();
  output_.resize(old + pending);
  size_t got = 0;
  BIO_read_ex(out_, output_.data() + old, pending, &got);
  output_.resize(old + got);
}

std::string TakeSslErrors(std::string_view fallback) {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    std::string reason;
    if (ERR_GET_LIB(e) == ERR_LIB_SYS) {
      reason = std::strerror(ERR_GET_REASON(e));  // a file that cannot be opened, say
    } else if (const char* r = ERR_reason_error_string(e)) {
      reason = r;
    } else {
      char buf[256];
      ERR_error_string_n(e, buf, sizeof(buf));
      reason = buf;
    }
    // The layers a failure passes repeat it ("system lib" from BIO and from SSL): once each.
    if (reason == "system lib" || out.find(reason) != std::string::npos) continue;
    if (!out.empty()) out += ", ";
    out += reason;
  }
  return out.empty() ? std::string(fallback) : out;
}

}  // namespace typeahead
