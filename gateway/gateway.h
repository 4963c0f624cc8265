// The composition root: Gateway::Build turns a GatewayConfig into the running
// gateway — metrics and their /metrics endpoint, the engine (the GLAIR REST
// client with its credential vault, or the offline reader), the backend chain
// composed once (fallback → retries → circuit breaker → engine), the access
// policy, the rate limiter (local or Redis), admission and the gRPC server —
// and hooks every observer to the metrics. It is the only place that wires
// components: main, the integration tests, the soak tool and the benchmarks
// all build the gateway here, so the tests exercise what ships.
#ifndef KTP_GATEWAY_GATEWAY_H_
#define KTP_GATEWAY_GATEWAY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/gateway_config.h"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace ktp {
class Clock;
class TimerQueue;
}  // namespace ktp

namespace ktp::access {
class AccessPolicyStore;
class GatewayAdmission;
class RateLimiter;
}  // namespace ktp::access

namespace ktp::backend {
class OcrBackend;
class CircuitBreakingBackend;
class RetryingBackend;
class FallbackBackend;
class ValidatingBackend;
class TimerQueueScheduler;
}  // namespace ktp::backend

namespace ktp::upstream {
class CredentialSource;
class CredentialVault;
class CurlOcrBackend;
}  // namespace ktp::upstream

namespace ktp::reader {
class LocalOcrBackend;
}  // namespace ktp::reader

namespace ktp::service {
class GatewayServer;
}  // namespace ktp::service

namespace ktp::telemetry {
class GatewayMetrics;
}  // namespace ktp::telemetry

namespace ktp::gateway {

// Seams for tests. Production passes none of them.
struct GatewaySeams {
  // Replaces the credentials from --credentials-dir / KTP_UPSTREAM_* (e.g. a
  // fixed set matching a fake upstream, or a vault the test rotates).
  std::shared_ptr<const upstream::CredentialSource> credentials;
  // The clock that dates reads for the identity checks (age, expiry) and
  // for the local reader (a birth year completed from the NIK); must outlive
  // the gateway. Null = the real clock.
  const Clock* clock = nullptr;
};

class Gateway {
 public:
  // Builds every component from `config`, starts serving and returns the
  // running gateway. A configuration that cannot work (no access policy, a
  // metrics port that cannot be bound, missing credentials without a fallback,
  // language data the offline reader cannot load) fails here, before serving.
  static absl::StatusOr<std::unique_ptr<Gateway>> Build(const GatewayConfig& config,
                                                        GatewaySeams seams = {});
  // Drains with no grace if Shutdown has not run.
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // The gRPC port (useful with port 0), and the /metrics port (0 when disabled).
  int port() const;
  int metrics_port() const { return metrics_port_; }

  // Health NOT_SERVING, stop accepting, drain calls for up to `grace`, cancel the
  // rest, then stop the engines. Idempotent.
  void Shutdown(absl::Duration grace);

  // The parts, for tests and tools that observe them (never to re-wire them).
  const GatewayConfig& config() const { return config_; }
  service::GatewayServer& server() { return *server_; }
  telemetry::GatewayMetrics& metrics() { return *metrics_; }
  access::AccessPolicyStore& policies() { return *policies_; }
  access::RateLimiter& limiter() { return *limiter_; }
  // Null when the configuration does not use them.
  upstream::CredentialVault* vault() { return vault_.get(); }
  backend::CircuitBreakingBackend* breaker() { return breaking_.get(); }
  upstream::CurlOcrBackend* upstream_client() { return curl_.get(); }
  reader::LocalOcrBackend* local_reader() { return local_reader_.get(); }

 private:
  explicit Gateway(const GatewayConfig& config);
  absl::Status BuildTelemetry();
  absl::Status BuildEngines(GatewaySeams& seams);
  void BuildValidation(const GatewaySeams& seams);
  absl::Status BuildAccess();
  absl::Status BuildServer();
  // The current policy's tenants get their rate-limit series.
  void RegisterTenants();

  const GatewayConfig config_;
  // Declaration order is teardown order in reverse: the server goes first (in
  // Shutdown), then the chain from the outside in, then what they report to.
  std::unique_ptr<telemetry::GatewayMetrics> metrics_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int metrics_port_ = 0;
  std::unique_ptr<TimerQueue> timers_;
  std::unique_ptr<backend::TimerQueueScheduler> retry_scheduler_;
  std::shared_ptr<upstream::CredentialVault> vault_;
  std::shared_ptr<const upstream::CredentialSource> credentials_;
  std::unique_ptr<reader::LocalOcrBackend> local_reader_;
  std::unique_ptr<upstream::CurlOcrBackend> curl_;
  std::unique_ptr<backend::CircuitBreakingBackend> breaking_;
  std::unique_ptr<backend::RetryingBackend> retrying_;
  std::unique_ptr<backend::FallbackBackend> fallback_;
  std::unique_ptr<backend::ValidatingBackend> validating_;
  backend::OcrBackend* serving_backend_ = nullptr;
  std::unique_ptr<access::AccessPolicyStore> policies_;
  std::unique_ptr<access::RateLimiter> limiter_;
  std::unique_ptr<access::GatewayAdmission> admission_;
  std::unique_ptr<service::GatewayServer> server_;
  int readiness_subscription_ = 0;
  bool shut_down_ = false;
};

}  // namespace ktp::gateway

#endif  // KTP_GATEWAY_GATEWAY_H_
