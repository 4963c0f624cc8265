// Test harness: a real gateway (GatewayServer + CurlOcrBackend) on a loopback
// port chosen by the OS, in front of the fake upstream, driven by real
// generated gRPC stubs. Plus helpers to stream an upload and read error details.
#ifndef KTP_TESTS_INTEGRATION_GATEWAY_HARNESS_H_
#define KTP_TESTS_INTEGRATION_GATEWAY_HARNESS_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "ktp/v1/ktp_ocr.grpc.pb.h"
#include "service/gateway_server.h"
#include "common/timer_queue.h"
#include "tests/support/fake_upstream.h"
#include "upstream/circuit_breaker.h"
#include "upstream/curl_client.h"
#include "upstream/retrying_backend.h"

namespace ktp::testing {

// Reads a file of the repository (tests run from any directory).
std::string ReadRepoFile(const std::string& relative_path);

struct HarnessOptions {
  service::UploadLimits limits;
  absl::Duration max_call_duration = absl::Seconds(30);
  // Overrides the fake's URL (e.g. a closed port).
  std::string upstream_url;
  size_t max_response_bytes = 16u << 20;
  // Upstream credentials; null: one fixed set matching the fake's defaults.
  std::shared_ptr<const upstream::CredentialSource> credentials;
  // Optional observers (e.g. service::GatewayMetrics); must outlive the harness.
  service::CallObserver* observer = nullptr;
  upstream::UpstreamObserver* upstream_observer = nullptr;
  // Last word on the server's options (e.g. connection age), after the above.
  std::function<void(service::GatewayServerOptions&)> configure_server;
  // The production decorators in front of the curl client, stacked as in
  // main.cc: Retrying(CircuitBreaking(curl)). Unset: the curl client alone.
  std::optional<upstream::RetryPolicyOptions> retry;
  std::optional<upstream::CircuitBreakerOptions> breaker;
  absl::Duration connect_timeout = absl::Seconds(2);
};

class GatewayHarness {
 public:
  explicit GatewayHarness(HarnessOptions options = HarnessOptions());
  ~GatewayHarness();

  FakeUpstream& fake() { return fake_; }
  upstream::CurlOcrBackend& backend() { return *backend_; }
  // Null unless HarnessOptions::breaker / retry were set.
  upstream::CircuitBreakingBackend* breaker() { return breaking_.get(); }
  upstream::RetryingBackend* retrying() { return retrying_.get(); }
  service::GatewayServer& server() { return *server_; }
  v1::KtpOcr::Stub& stub() { return *stub_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  std::string target() const;

  // Stops the server (drain with `grace`); the harness is unusable afterwards.
  void Shutdown(absl::Duration grace);

 private:
  FakeUpstream fake_;
  TimerQueue timers_;
  std::unique_ptr<upstream::TimerQueueScheduler> scheduler_;
  std::unique_ptr<upstream::CurlOcrBackend> backend_;
  std::unique_ptr<upstream::CircuitBreakingBackend> breaking_;
  std::unique_ptr<upstream::RetryingBackend> retrying_;
  std::unique_ptr<service::GatewayServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::KtpOcr::Stub> stub_;
};

// How to stream one upload.
struct UploadSpec {
  std::string image;
  v1::ImageMetadata metadata;
  size_t chunk_size = 64 * 1024;
  bool send_metadata = true;
};

// Streams `spec` through Read (or ReadWithQualities) with `context`; returns the status.
grpc::Status UploadRead(v1::KtpOcr::Stub& stub, grpc::ClientContext& context, const UploadSpec& spec,
                        v1::ReadResponse* response);
grpc::Status UploadReadWithQualities(v1::KtpOcr::Stub& stub, grpc::ClientContext& context,
                                     const UploadSpec& spec, v1::ReadWithQualitiesResponse* response);

// The google.rpc.Status in a gRPC error's details.
google::rpc::Status RpcStatusOf(const grpc::Status& status);
std::optional<google::rpc::ErrorInfo> ErrorInfoOf(const grpc::Status& status);
std::optional<google::rpc::RetryInfo> RetryInfoOf(const grpc::Status& status);
std::optional<google::rpc::BadRequest> BadRequestOf(const grpc::Status& status);

// grpc.health.v1.Health/Check for `service`: 1 SERVING, 2 NOT_SERVING, 0 UNKNOWN, -1 on error.
int HealthStatus(const std::shared_ptr<grpc::Channel>& channel, const std::string& service);

// Value of a response header (initial metadata), "" when absent.
std::string InitialMetadata(const grpc::ClientContext& context, const std::string& key);

}  // namespace ktp::testing

#endif  // KTP_TESTS_INTEGRATION_GATEWAY_HARNESS_H_
