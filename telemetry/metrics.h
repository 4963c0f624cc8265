// GatewayMetrics: the gateway's Prometheus metrics. Owns the registry, every
// metric family and their children; implements CallObserver (gRPC calls) and
// upstream::UpstreamObserver (upstream HTTP requests), and offers the hooks the
// rate limiter and the credential vault report to. Exposition (the HTTP
// /metrics endpoint) is main.cc's job: it registers registry() with an Exposer.
//
// Hot path: every child for a bounded label combination (method × code,
// endpoint × HTTP status, ...) is created in the constructor and reached by
// array index, so a call costs a few atomic increments and no Family::Add (which
// takes a mutex). Only tenant and credential-set labels (bounded by
// configuration) are added on first use. Label values never come from what a
// client sends.
#ifndef KTP_TELEMETRY_METRICS_H_
#define KTP_TELEMETRY_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/call_hooks.h"
#include "backend/circuit_breaker.h"
#include "backend/upstream_observer.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace ktp::telemetry {

class GatewayMetrics final : public service::CallObserver, public backend::UpstreamObserver {
 public:
  // Label vocabularies, exposed for tests and documentation.
  // Upstream HTTP status label values ("none" = no HTTP answer, "other" = any other status).
  static constexpr std::array<const char*, 14> kHttpStatusLabels = {
      "200", "400", "401", "403", "413", "415", "422", "429", "500", "502", "503", "504",
      "other", "none"};
  // Upstream failure causes: transport causes, then HTTP-answer causes.
  static constexpr std::array<const char*, 12> kFailureCauses = {
      "connect", "timeout", "tls",      "network",  "response_too_large", "cancelled",
      "internal", "http_4xx", "http_5xx", "http_429", "auth",               "bad_response"};
  // Rate-limit decision outcomes.
  static constexpr std::array<const char*, 5> kRateLimitOutcomes = {
      "allowed", "rejected", "waited", "fail_open", "fail_closed"};
  // Tenants beyond this many distinct values share the label "other".
  static constexpr size_t kMaxTenants = 256;

  GatewayMetrics();
  ~GatewayMetrics() override;
  GatewayMetrics(const GatewayMetrics&) = delete;
  GatewayMetrics& operator=(const GatewayMetrics&) = delete;

  // What an Exposer serves (it keeps a weak reference).
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // CallObserver.
  void OnCallStarted(service::Method method) override;
  void OnMessageReceived(service::Method method) override;
  void OnCallFinished(const service::CallSummary& summary) override;

  // upstream::UpstreamObserver.
  void OnUpstreamRequestDone(backend::Endpoint endpoint, long http_status,
                             absl::string_view failure_cause, absl::Duration elapsed) override;
  void OnUpstreamRetry(backend::Endpoint endpoint, absl::string_view cause) override;

  // Rate limiting: `tenant` is a configured tenant name, `outcome` one of
  // kRateLimitOutcomes (others are ignored); a tenant never registered counts
  // as "other". Lock-free: a pointer load and a lookup in an immutable map.
  void OnRateLimitDecision(absl::string_view tenant, absl::string_view outcome);
  // The configured tenants (at start and after each policy reload; adds to
  // what is registered): their series exist from now on, at 0. At most
  // kMaxTenants; later ones fold into "other".
  void RegisterTenants(const std::vector<std::string>& tenants);

  // Credential vault: one reload attempt, and the generation a set now serves
  // ("" is the default set, labelled "default").
  void OnCredentialReload(bool ok);
  void SetCredentialGeneration(absl::string_view set, int64_t generation);

  // Access policy file: one reload after its content changed.
  void OnPolicyReload(bool ok);

  // Upstream circuit breakers: creates the per-endpoint state series (at 0,
  // closed; only when the upstream engine is in use), then follows transitions.
  void RegisterCircuitBreakers();
  void OnCircuitStateChange(backend::Endpoint endpoint, backend::CircuitState state);

  // --fallback=local answered a call from the local reader; `reason` is the
  // upstream error's ErrorInfo reason (unknown reasons count as "other").
  void OnLocalFallback(absl::string_view reason);

  // A successful read's identity checks: one ktp_gateway_identity_checks_total
  // increment per check, by kind and outcome (all series exist from the start).
  void OnIdentityValidated(const v1::IdentityValidation& validation);

  // The http_status label for an upstream answer (0 = no answer → "none").
  static absl::string_view HttpStatusLabel(long http_status);
  // The failures_total cause of a finished upstream request, "" when it is not
  // a failure (see UpstreamObserver for the inputs). Unknown causes → "internal".
  static absl::string_view FailureCause(long http_status, absl::string_view failure_cause);
  // The label used for a tenant name: the name itself, "none" for "", "other"
  // for anything long or unprintable. Views `tenant` or a literal.
  static absl::string_view TenantLabel(absl::string_view tenant);

 private:
  static constexpr int kMethods = 2;
  static constexpr int kCodes = 17;  // absl::StatusCode 0..16
  static constexpr int kEndpoints = 2;

  // The rate-limit counters of one tenant label, by outcome.
  using TenantCounters = std::array<prometheus::Counter*, kRateLimitOutcomes.size()>;
  // Immutable once published: tenant label → its counters ("none" and "other"
  // always present). Built by RegisterTenants, never on the hot path.
  using TenantTable = absl::flat_hash_map<std::string, TenantCounters>;

  void BuildCallSeries();
  void BuildUpstreamSeries();
  void BuildGatewaySeries();
  TenantCounters MakeTenantCounters(const std::string& label);

  std::shared_ptr<prometheus::Registry> registry_;

  // grpc_server_* (go-grpc-prometheus names), by Method.
  std::array<prometheus::Counter*, kMethods> started_{};
  std::array<std::array<prometheus::Counter*, kCodes>, kMethods> handled_{};
  std::array<prometheus::Counter*, kMethods> msg_received_{};
  std::array<prometheus::Counter*, kMethods> msg_sent_{};
  std::array<prometheus::Histogram*, kMethods> handling_seconds_{};

  // ktp_gateway_*.
  std::array<std::array<prometheus::Histogram*, kHttpStatusLabels.size()>, kEndpoints>
      upstream_duration_{};
  std::array<std::array<prometheus::Counter*, kFailureCauses.size()>, kEndpoints>
      upstream_failures_{};
  std::array<std::array<prometheus::Counter*, kFailureCauses.size()>, kEndpoints>
      upstream_retries_{};
  // [method][ReadStatus number]; gaps in the enum stay null.
  std::array<std::vector<prometheus::Counter*>, kMethods> document_status_{};
  std::array<prometheus::Histogram*, kMethods> image_bytes_{};
  prometheus::Gauge* inflight_ = nullptr;
  prometheus::Counter* reload_success_ = nullptr;
  prometheus::Counter* reload_failure_ = nullptr;
  // ktp_gateway_local_fallbacks_total by reason; the last entry is "other".
  std::vector<std::pair<std::string, prometheus::Counter*>> fallbacks_;

  // ktp_gateway_identity_checks_total[CheckKind][CheckOutcome]; index 0 unused.
  std::array<std::array<prometheus::Counter*, v1::CheckOutcome_ARRAYSIZE>, v1::CheckKind_ARRAYSIZE>
      identity_checks_{};

  prometheus::Counter* policy_reload_success_ = nullptr;
  prometheus::Counter* policy_reload_failure_ = nullptr;
  prometheus::Family<prometheus::Gauge>* breaker_family_ = nullptr;
  std::array<prometheus::Gauge*, kEndpoints> breaker_state_{};

  // Families that grow with configuration (tenants, credential sets).
  prometheus::Family<prometheus::Counter>* rate_limit_family_ = nullptr;
  prometheus::Family<prometheus::Gauge>* generation_family_ = nullptr;

  // Tenants: a map built once per (re)registration and published whole; the
  // hot path only loads the pointer and looks up. Every table published stays
  // alive (registrations are rare: start and policy reloads).
  std::atomic<const TenantTable*> tenant_table_{nullptr};
  absl::Mutex tenant_mu_;
  std::vector<std::unique_ptr<const TenantTable>> tenant_tables_ ABSL_GUARDED_BY(tenant_mu_);

  absl::Mutex generation_mu_;
  absl::flat_hash_map<std::string, prometheus::Gauge*> generations_ ABSL_GUARDED_BY(generation_mu_);
};

}  // namespace ktp::telemetry

#endif  // KTP_TELEMETRY_METRICS_H_
