// The gateway's gRPC server: KtpOcr plus grpc.health.v1 and reflection, the
// message-size limits derived from the upload limits, and graceful shutdown
// (health flips to NOT_SERVING, in-flight calls drain up to a grace period).
#ifndef KTP_SERVICE_GATEWAY_SERVER_H_
#define KTP_SERVICE_GATEWAY_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/timer_queue.h"
#include "service/ktp_ocr_service.h"

namespace ktp::service {

// TLS on the listener. Files are PEM and re-read every `reload_interval`, so a
// renewed certificate (cert-manager rewrites the Secret in place) is served
// without a restart and without failing calls.
struct ListenerTls {
  std::string cert_file;
  std::string key_file;
  // Set: mTLS — client certificates are required and verified against this CA.
  std::string client_ca_file;
  absl::Duration reload_interval = absl::Seconds(60);
};

struct GatewayServerOptions {
  // host:port; port 0 picks a free port (see GatewayServer::port()).
  std::string listen_address = "0.0.0.0:50051";
  UploadLimits limits;
  absl::Duration max_call_duration = absl::Seconds(60);
  // Optional hooks (see call_hooks.h); must outlive the server.
  CallObserver* observer = nullptr;
  CallAdmission* admission = nullptr;
  // Health status right after Start (false: NOT_SERVING until SetReady(true),
  // e.g. while no upstream credentials are loaded yet).
  bool start_ready = true;
  // Connection management. After max_connection_age (0 = never) a connection
  // gets a GOAWAY so clients reconnect and connection-level balancers spread
  // them; calls on it may finish within max_connection_age_grace.
  absl::Duration max_connection_age = absl::Minutes(30);
  absl::Duration max_connection_age_grace = absl::Minutes(5);
  // Keepalive pings to idle clients, and how long an answer may take.
  absl::Duration keepalive_time = absl::Seconds(60);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  // Clients may ping (also without calls) at most this often.
  absl::Duration min_client_ping_interval = absl::Seconds(10);
  // Bounds on the whole service: calls served at once (0 = no cap; more are
  // refused with TOO_MANY_CONCURRENT_CALLS), image bytes held across all calls
  // (0 = no cap; GATEWAY_OVERLOADED), and how long an upload may go without a
  // message (0 = forever; STREAM_IDLE_TIMEOUT).
  int max_concurrent_calls = 1000;
  int64_t max_buffered_bytes = int64_t{512} << 20;
  absl::Duration stream_idle_timeout = absl::Seconds(30);
  // Time for the reactors (tests inject a fake); null = wall time.
  const Clock* clock = nullptr;
  // Unset: plaintext (for a sidecar that terminates mTLS in the pod).
  std::optional<ListenerTls> tls;
  // gRPC server reflection (grpcurl, Postman); off in hardened deployments.
  bool reflection = true;
  // A whole upload (first message to the last chunk) may take this long; over
  // it DEADLINE_EXCEEDED UPLOAD_TOO_SLOW. 0 = no limit.
  absl::Duration max_upload_duration = absl::Seconds(60);
  // HTTP/2 streams (calls) one connection may have open at once.
  int max_streams_per_connection = 256;
  // Memory gRPC itself may use for connections and their buffers (its
  // ResourceQuota); 0 = gRPC's default (unbounded).
  int64_t grpc_memory_bytes = 0;
};

class GatewayServer {
 public:
  // Builds and starts the server. `backend` must outlive it.
  static absl::StatusOr<std::unique_ptr<GatewayServer>> Start(const GatewayServerOptions& options,
                                                              backend::OcrBackend* backend);
  ~GatewayServer();

  int port() const { return port_; }
  // Calls currently being served.
  int active_calls() const { return service_->active_calls(); }
  // Image bytes currently held by calls (0 when --max-buffered-bytes is off).
  int64_t buffered_bytes() const { return buffered_ ? buffered_->used() : 0; }

  // Marks the server NOT_SERVING, stops accepting calls, waits up to `grace` for
  // calls in flight, then cancels the rest. Idempotent.
  void Shutdown(absl::Duration grace);

  // Sets the grpc.health.v1 status of "" and kServiceName (SERVING when `ready`).
  // Any thread. Ignored once Shutdown has begun: a draining server stays NOT_SERVING.
  void SetReady(bool ready);

  // Name under which the health service reports KtpOcr.
  static constexpr const char* kServiceName = "ktp.v1.KtpOcr";

 private:
  GatewayServer() = default;
  // Declared before the service: reactors release into the budget and may
  // outlive their call by one idle check, which the timer thread finishes.
  std::unique_ptr<ByteBudget> buffered_;
  std::unique_ptr<TimerQueue> idle_timers_;
  std::unique_ptr<KtpOcrService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  absl::Mutex health_mu_;  // orders SetReady against Shutdown
  bool shut_down_ ABSL_GUARDED_BY(health_mu_) = false;
  bool ready_ ABSL_GUARDED_BY(health_mu_) = false;
};

}  // namespace ktp::service

#endif  // KTP_SERVICE_GATEWAY_SERVER_H_
