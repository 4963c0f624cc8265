// Test harness: the production gateway (gateway::Gateway::Build, as main wires
// it) on loopback ports chosen by the OS, in front of the fake upstream, driven
// by real generated gRPC stubs. Plus helpers to stream an upload and read error details.
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
#include "backend/circuit_breaker.h"
#include "gateway/gateway.h"
#include "service/gateway_server.h"
#include "telemetry/metrics.h"
#include "tests/support/fake_upstream.h"
#include "upstream/credentials.h"
#include "upstream/curl_client.h"

namespace ktp::testing {

// Reads a file of the repository (tests run from any directory).
std::string ReadRepoFile(const std::string& relative_path);

// The gateway's configuration as tests start it: what ships, on loopback port 0
// (gRPC and /metrics), in front of the harness's fake upstream, anonymous
// access, and no retries, breaker or concurrency cap unless a test turns them
// on (so a test counts exactly the upstream requests it causes).
gateway::GatewayConfig TestGatewayConfig();

struct HarnessOptions {
  // Built through gateway::Gateway::Build, the composition root main uses.
  // upstream_url "" = the harness's fake upstream.
  gateway::GatewayConfig config = TestGatewayConfig();
  // Upstream credentials; null: one fixed set matching the fake's defaults.
  std::shared_ptr<const upstream::CredentialSource> credentials;
  // The gateway's clock for the identity checks (GatewaySeams::clock); null = real.
  const Clock* clock = nullptr;
};

class GatewayHarness {
 public:
  explicit GatewayHarness(HarnessOptions options = HarnessOptions());
  ~GatewayHarness();

  FakeUpstream& fake() { return fake_; }
  gateway::Gateway& gateway() { return *gateway_; }
  upstream::CurlOcrBackend& backend() { return *gateway_->upstream_client(); }
  service::GatewayServer& server() { return gateway_->server(); }
  telemetry::GatewayMetrics& metrics() { return gateway_->metrics(); }
  // Null unless the configuration uses the upstream engine.
  backend::CircuitBreakingBackend* breaker() { return gateway_->breaker(); }
  v1::KtpOcr::Stub& stub() { return *stub_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  std::string target() const;
  // GET /metrics of the running gateway (Prometheus text format).
  std::string ScrapeMetrics();

  // Stops the gateway (drain with `grace`); the harness is unusable afterwards.
  void Shutdown(absl::Duration grace);

 private:
  FakeUpstream fake_;
  std::unique_ptr<gateway::Gateway> gateway_;
  int port_ = 0;
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

// The value of the series `name{labels}` in a Prometheus text exposition (labels
// in any order); -1 when absent.
double SeriesValue(const std::string& exposition, const std::string& series);
// Polls the harness's /metrics until `series` has `want` (or 5 s pass); returns the last value.
double WaitForSeries(GatewayHarness& h, const std::string& series, double want);

// A temporary directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  // Writes `content` atomically (a rename, as the kubelet swaps Secrets).
  void Write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

// grpc.health.v1.Health/Check for `service`: 1 SERVING, 2 NOT_SERVING, 0 UNKNOWN, -1 on error.
int HealthStatus(const std::shared_ptr<grpc::Channel>& channel, const std::string& service);

// Value of a response header (initial metadata), "" when absent.
std::string InitialMetadata(const grpc::ClientContext& context, const std::string& key);

}  // namespace ktp::testing

#endif  // KTP_TESTS_INTEGRATION_GATEWAY_HARNESS_H_
