// The fault server: an accept thread, one thread per connection, scripts in FIFO
// order. Sockets carry a 100 ms receive timeout so every blocking read notices
// Stop(); resets use SO_LINGER {1, 0} so close() sends RST instead of FIN.
#include "tests/support/fault_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/fake_upstream.h"

namespace ktp::testing {
namespace {

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

// A self-signed certificate for CN=localhost and its key, in a server context.
SSL_CTX* NewSelfSignedContext() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  SSL_CTX* ctx = nullptr;
  if (key != nullptr && cert != nullptr) {
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    if (X509_sign(cert, key, EVP_sha256()) > 0) {
      ctx = SSL_CTX_new(TLS_server_method());
      if (ctx != nullptr &&
          (SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1)) {
        SSL_CTX_free(ctx);
        ctx = nullptr;
      }
    }
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return ctx;
}

}  // namespace

// One accepted socket, plain or TLS.
class FaultServer::Connection {
 public:
  Connection(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  ~Connection() {
    if (ssl_ != nullptr) SSL_free(ssl_);
  }

  // Up to `n` bytes; 0 on EOF or error; retries timeouts until `stop`.
  size_t Read(char* buffer, size_t n, const absl::Notification& stop) {
    while (!stop.HasBeenNotified()) {
      ssize_t got = 0;
      if (ssl_ != nullptr) {
        got = SSL_read(ssl_, buffer, static_cast<int>(n));
        if (got <= 0 && SSL_get_error(ssl_, static_cast<int>(got)) == SSL_ERROR_WANT_READ) continue;
      } else {
        got = ::recv(fd_, buffer, n, 0);
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
      }
      return got > 0 ? static_cast<size_t>(got) : 0;
    }
    return 0;
  }

  bool Write(absl::string_view data) {
    while (!data.empty()) {
      ssize_t sent = 0;
      if (ssl_ != nullptr) {
        sent = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
      } else {
        sent = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
      }
      if (sent <= 0) return false;
      data.remove_prefix(static_cast<size_t>(sent));
    }
    return true;
  }

  // Makes the coming close() send RST.
  void ArmReset() {
    struct linger l = {1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  }

  void CloseGracefully() {
    if (ssl_ != nullptr) SSL_shutdown(ssl_);
    ::shutdown(fd_, SHUT_WR);
  }

 private:
  int fd_;
  SSL* ssl_;
};

FaultServer::FaultServer() : FaultServer(Options()) {}
FaultServer::FaultServer(Options options) : options_(options) {}
FaultServer::~FaultServer() { Stop(); }

absl::Status FaultServer::Start() {
  // Writing to a peer that reset the connection must not kill the test.
  signal(SIGPIPE, SIG_IGN);
  if (options_.tls) {
    ssl_ctx_ = NewSelfSignedContext();
    if (ssl_ctx_ == nullptr) return absl::InternalError("cannot make a self-signed certificate");
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return absl::InternalError("socket failed");
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(options_.port));
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 128) != 0) {
    return absl::InternalError(absl::StrCat("bind/listen failed: ", std::strerror(errno)));
  }
  socklen_t len = sizeof(addr);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  {
    absl::MutexLock lock(&mu_);
    listening_ = true;
  }
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

void FaultServer::StopListening() {
  {
    absl::MutexLock lock(&mu_);
    if (!listening_) return;
    listening_ = false;
    // Linux: a listening socket that is shut down refuses new connections at once.
    ::shutdown(listen_fd_, SHUT_RDWR);
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  ::close(listen_fd_);
  listen_fd_ = -1;
}

void FaultServer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  StopListening();
  if (!stop_.HasBeenNotified()) stop_.Notify();
  std::vector<Worker> workers;
  {
    absl::MutexLock lock(&mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (Worker& w : workers) w.thread.join();
  if (ssl_ctx_ != nullptr) SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
  ssl_ctx_ = nullptr;
}

std::string FaultServer::base_url() const {
  return absl::StrCat(options_.tls ? "https" : "http", "://127.0.0.1:", port_);
}

void FaultServer::Enqueue(FaultScript script) {
  absl::MutexLock lock(&mu_);
  scripts_.push_back(std::move(script));
}

void FaultServer::Enqueue(FaultScript script, int times) {
  for (int i = 0; i < times; ++i) Enqueue(script);
}

size_t FaultServer::request_count() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

size_t FaultServer::failed_handshakes() const {
  absl::MutexLock lock(&mu_);
  return failed_handshakes_;
}

FaultScript FaultServer::Next() {
  {
    absl::MutexLock lock(&mu_);
    ++requests_;
    if (!scripts_.empty()) {
      FaultScript s = std::move(scripts_.front());
      scripts_.pop_front();
      return s;
    }
  }
  return options_.script_source ? options_.script_source() : FaultScript();
}

void FaultServer::AcceptLoop() {
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // shut down (StopListening)
    }
    timeval tv{0, 100 * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::vector<Worker> finished;
    {
      absl::MutexLock lock(&mu_);
      if (stopped_) {
        ::close(fd);
        return;
      }
      auto first_done = std::partition(workers_.begin(), workers_.end(),
                                       [](const Worker& w) { return !w.done->load(); });
      std::move(first_done, workers_.end(), std::back_inserter(finished));
      workers_.erase(first_done, workers_.end());
      open_fds_.push_back(fd);
      auto done = std::make_shared<std::atomic<bool>>(false);
      workers_.push_back(Worker{std::thread([this, fd, done] {
                                  Serve(fd);
                                  done->store(true);
                                }),
                                done});
    }
    for (Worker& w : finished) w.thread.join();  // already returned: joins at once
  }
}

void FaultServer::Serve(int fd) {
  SSL* ssl = nullptr;
  bool handshake_ok = true;
  if (ssl_ctx_ != nullptr) {
    ssl = SSL_new(static_cast<SSL_CTX*>(ssl_ctx_));
    SSL_set_fd(ssl, fd);
    int rc = 0;
    while ((rc = SSL_accept(ssl)) <= 0 && SSL_get_error(ssl, rc) == SSL_ERROR_WANT_READ &&
           !stop_.HasBeenNotified()) {
    }
    handshake_ok = rc == 1;
    if (!handshake_ok) {
      ERR_clear_error();
      absl::MutexLock lock(&mu_);
      ++failed_handshakes_;
    }
  }
  Connection conn(fd, ssl);
  if (handshake_ok) {
    // The request head, then what the script says.
    std::string data;
    char buffer[16384];
    size_t head_end = std::string::npos;
    while (head_end == std::string::npos && data.size() < (1u << 20)) {
      const size_t n = conn.Read(buffer, sizeof(buffer), stop_);
      if (n == 0) break;
      data.append(buffer, n);
      head_end = data.find("\r\n\r\n");
    }
    if (head_end != std::string::npos) {
      const absl::string_view head(data.data(), head_end);
      size_t content_length = 0;
      for (absl::string_view line : absl::StrSplit(head, "\r\n")) {
        const size_t colon = line.find(':');
        if (colon != absl::string_view::npos &&
            absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(line.substr(0, colon)), "content-length")) {
          (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(colon + 1)), &content_length);
        }
      }
      const bool qualities = absl::StrContains(head.substr(0, head.find("\r\n")), "/qualities");
      size_t body_seen = data.size() - (head_end + 4);
      FaultScript script = Next();
      bool reset = false;  // end with RST instead of FIN
      if (script.action == FaultScript::Action::kResetMidRequest) {
        conn.ArmReset();
      } else {
        while (body_seen < content_length) {
          const size_t n = conn.Read(buffer, sizeof(buffer), stop_);
          if (n == 0) break;
          body_seen += n;
        }
        if (script.action == FaultScript::Action::kRespond && Pause(script.head_delay)) {
          std::string body = script.body;
          if (body.empty() && script.status == 200 && script.huge_body_bytes == 0) {
            body = BuildSuccessBody(SyntheticIdentity::Default(), qualities);
          }
          const size_t body_size = script.huge_body_bytes > 0 ? script.huge_body_bytes : body.size();
          std::string response = absl::StrCat("HTTP/1.1 ", script.status, " ", ReasonPhrase(script.status),
                                               "\r\nContent-Length: ", body_size,
                                               "\r\nRequest-Id: fault-", request_count(),
                                               "\r\nConnection: close\r\n");
          if (!script.content_type.empty()) {
            absl::StrAppend(&response, "Content-Type: ", script.content_type, "\r\n");
          }
          for (const auto& [name, value] : script.headers) absl::StrAppend(&response, name, ": ", value, "\r\n");
          absl::StrAppend(&response, "\r\n");
          bool ok = conn.Write(response);
          if (script.huge_body_bytes > 0) {
            const std::string filler(64 * 1024, 'a');
            for (size_t sent = 0; ok && sent < body_size; sent += filler.size()) {
              ok = conn.Write(absl::string_view(filler).substr(0, std::min(filler.size(), body_size - sent)));
            }
          } else {
            const size_t limit = std::min(script.truncate_body_at, body.size());
            const size_t step = script.body_chunk_bytes > 0 ? script.body_chunk_bytes : body.size() + 1;
            for (size_t off = 0; ok && off < limit; off += step) {
              if (off > 0 && !Pause(script.body_chunk_delay)) break;
              ok = conn.Write(absl::string_view(body).substr(off, std::min(step, limit - off)));
            }
            reset = limit < body.size();
          }
        }
        if (reset) {
          conn.ArmReset();
        } else {
          conn.CloseGracefully();
          // Let the client read everything before the socket goes.
          while (conn.Read(buffer, sizeof(buffer), stop_) > 0) {
          }
        }
      }
    }
  }
  {
    absl::MutexLock lock(&mu_);
    open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
  }
  ::close(fd);
}

int UnusedLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace ktp::testing
