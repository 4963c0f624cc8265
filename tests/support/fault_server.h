// A raw-socket HTTP/1.1 server for fault-injection tests: each request gets the
// next scripted FaultScript — a normal answer, a slow or dribbled one, a body
// cut short, a huge body, or the connection reset (RST) mid-request or closed
// before any answer — and, optionally, TLS with a freshly generated self-signed
// certificate that no client trusts. httplib cannot misbehave at the socket
// level; this can. Every connection carries exactly one request (answers say
// `Connection: close`), so a client never reuses a connection and each attempt
// is one accepted connection: request_count() is the number of attempts.
#ifndef KTP_TESTS_SUPPORT_FAULT_SERVER_H_
#define KTP_TESTS_SUPPORT_FAULT_SERVER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace ktp::testing {

// What the server does with one request.
struct FaultScript {
  enum class Action {
    kRespond,              // answer (see the fields below for slow/partial/huge answers)
    kResetMidRequest,      // read the request head and part of the body, then RST
    kCloseBeforeResponse,  // read the whole request, then close without a byte (FIN)
  };
  Action action = Action::kRespond;
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // The body; when empty and status is 200, the fake upstream's SUCCESS body
  // for the requested endpoint.
  std::string body;
  // Waits before the status line (slow headers).
  absl::Duration head_delay = absl::ZeroDuration();
  // Dribbles the body: `body_chunk_bytes` at a time with this pause between.
  absl::Duration body_chunk_delay = absl::ZeroDuration();
  size_t body_chunk_bytes = 0;
  // Sends Content-Length of the full body but only this many body bytes, then
  // resets (RST) the connection. SIZE_MAX: the whole body.
  size_t truncate_body_at = SIZE_MAX;
  // A body of this many filler bytes instead of `body` (streamed, never held).
  size_t huge_body_bytes = 0;

  static FaultScript Status(int status, std::string body = "") {
    FaultScript s;
    s.status = status;
    s.body = std::move(body);
    return s;
  }
  static FaultScript Do(Action action) {
    FaultScript s;
    s.action = action;
    return s;
  }
};

class FaultServer {
 public:
  struct Options {
    // Serve TLS with a new self-signed certificate (CN=localhost) no client trusts.
    bool tls = false;
    // 0: any free port.
    int port = 0;
    // Decides requests when no script is queued (thread-safe; e.g. a random
    // mix for the soak tool). Unset: the SUCCESS answer.
    std::function<FaultScript()> script_source;
  };

  FaultServer();
  explicit FaultServer(Options options);
  ~FaultServer();
  FaultServer(const FaultServer&) = delete;
  FaultServer& operator=(const FaultServer&) = delete;

  // Listens on 127.0.0.1 (Options::port, or a free port).
  absl::Status Start();
  // Closes every connection and joins every thread; idempotent.
  void Stop();
  // Closes the listening socket only: later connections are refused.
  void StopListening();

  int port() const { return port_; }
  // "http://127.0.0.1:PORT" (https:// with TLS).
  std::string base_url() const;

  // FIFO: the next requests get these; without one, Options::script_source.
  void Enqueue(FaultScript script);
  void Enqueue(FaultScript script, int times);

  // Requests whose head arrived (= upstream attempts), and TLS handshakes that failed.
  size_t request_count() const;
  size_t failed_handshakes() const;

 private:
  class Connection;
  void AcceptLoop();
  void Serve(int fd);
  FaultScript Next();
  // Sleeps up to `d`; false when the server is stopping.
  bool Pause(absl::Duration d) { return !stop_.WaitForNotificationWithTimeout(d); }

  const Options options_;
  int listen_fd_ = -1;
  int port_ = 0;
  void* ssl_ctx_ = nullptr;  // SSL_CTX*; kept opaque so the header needs no OpenSSL
  absl::Notification stop_;
  std::thread accept_thread_;

  mutable absl::Mutex mu_;
  std::deque<FaultScript> scripts_ ABSL_GUARDED_BY(mu_);
  // One per connection; finished ones are joined by the accept thread (a long
  // soak must not keep thousands of dead threads).
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Worker> workers_ ABSL_GUARDED_BY(mu_);
  std::vector<int> open_fds_ ABSL_GUARDED_BY(mu_);
  size_t requests_ ABSL_GUARDED_BY(mu_) = 0;
  size_t failed_handshakes_ ABSL_GUARDED_BY(mu_) = 0;
  bool listening_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

// A loopback port nothing listens on (bound, then closed): connects are refused.
int UnusedLoopbackPort();

}  // namespace ktp::testing

#endif  // KTP_TESTS_SUPPORT_FAULT_SERVER_H_
