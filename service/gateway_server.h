// The gateway's gRPC server: KtpOcr plus grpc.health.v1 and reflection, the
// message-size limits derived from the upload limits, and graceful shutdown
// (health flips to NOT_SERVING, in-flight calls drain up to a grace period).
#ifndef KTP_SERVICE_GATEWAY_SERVER_H_
#define KTP_SERVICE_GATEWAY_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/ktp_ocr_service.h"

namespace ktp::service {

struct GatewayServerOptions {
  // host:port; port 0 picks a free port (see GatewayServer::port()).
  std::string listen_address = "0.0.0.0:50051";
  UploadLimits limits;
  absl::Duration max_call_duration = absl::Seconds(60);
  // Optional hooks (see call_hooks.h); must outlive the server.
  CallObserver* observer = nullptr;
  CallAdmission* admission = nullptr;
};

class GatewayServer {
 public:
  // Builds and starts the server. `backend` must outlive it.
  static absl::StatusOr<std::unique_ptr<GatewayServer>> Start(const GatewayServerOptions& options,
                                                              upstream::OcrBackend* backend);
  ~GatewayServer();

  int port() const { return port_; }
  // Calls currently being served.
  int active_calls() const { return service_->active_calls(); }

  // Marks the server NOT_SERVING, stops accepting calls, waits up to `grace` for
  // calls in flight, then cancels the rest. Idempotent.
  void Shutdown(absl::Duration grace);

  // Name under which the health service reports KtpOcr.
  static constexpr const char* kServiceName = "ktp.v1.KtpOcr";

 private:
  GatewayServer() = default;
  std::unique_ptr<KtpOcrService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace ktp::service

#endif  // KTP_SERVICE_GATEWAY_SERVER_H_
