// GatewayMetrics: family definitions, children pre-created for every bounded
// label combination, and the lock-free tenant table.
#include "telemetry/metrics.h"
#include "common/error_reasons.h"
#include "identity/identity_validation.h"

#include <grpcpp/grpcpp.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>

#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "ktp/v1/ktp_ocr.pb.h"

#ifndef KTP_GATEWAY_VERSION
#define KTP_GATEWAY_VERSION "unknown"
#endif

namespace ktp::telemetry {
namespace {

constexpr char kGrpcService[] = "ktp.v1.KtpOcr";
constexpr char kGrpcType[] = "client_stream";

// go-grpc-prometheus's handling-time buckets, as users of it configure them.
const prometheus::Histogram::BucketBoundaries& HandlingBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30};
  return *buckets;
}

// The same plus 60 s: the default upstream timeout.
const prometheus::Histogram::BucketBoundaries& UpstreamBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60};
  return *buckets;
}

// 16 KiB, 32 KiB, ... 16 MiB.
const prometheus::Histogram::BucketBoundaries& ImageBuckets() {
  static const auto* buckets = [] {
    auto* b = new prometheus::Histogram::BucketBoundaries;
    for (double v = 16.0 * 1024; v <= 16.0 * 1024 * 1024; v *= 2) b->push_back(v);
    return b;
  }();
  return *buckets;
}

int MethodIndex(service::Method method) { return method == service::Method::kRead ? 0 : 1; }
int EndpointIndex(backend::Endpoint endpoint) {
  return endpoint == backend::Endpoint::kRead ? 0 : 1;
}

template <size_t N>
int IndexOf(const std::array<const char*, N>& names, absl::string_view value) {
  for (size_t i = 0; i < N; ++i) {
    if (value == names[i]) return static_cast<int>(i);
  }
  return -1;
}

// Index into kHttpStatusLabels: a switch, not string compares (hot path).
size_t HttpStatusIndex(long http_status) {
  switch (http_status) {
    case 200: return 0;
    case 400: return 1;
    case 401: return 2;
    case 403: return 3;
    case 413: return 4;
    case 415: return 5;
    case 422: return 6;
    case 429: return 7;
    case 500: return 8;
    case 502: return 9;
    case 503: return 10;
    case 504: return 11;
    case 0: return 13;  // "none"
    default: return 12;  // "other"
  }
}

}  // namespace

GatewayMetrics::GatewayMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  BuildCallSeries();
  BuildUpstreamSeries();
  BuildGatewaySeries();
}

// grpc_server_* (go-grpc-prometheus names) and the per-call ktp_gateway_* series.
void GatewayMetrics::BuildCallSeries() {
  prometheus::Registry& r = *registry_;
  const prometheus::Labels grpc_constant = {{"grpc_service", kGrpcService}, {"grpc_type", kGrpcType}};

  auto& started = prometheus::BuildCounter()
                      .Name("grpc_server_started_total")
                      .Help("Total number of RPCs started on the server.")
                      .Labels(grpc_constant)
                      .Register(r);
  auto& handled = prometheus::BuildCounter()
                      .Name("grpc_server_handled_total")
                      .Help("Total number of RPCs completed on the server, regardless of success or failure.")
                      .Labels(grpc_constant)
                      .Register(r);
  auto& received = prometheus::BuildCounter()
                       .Name("grpc_server_msg_received_total")
                       .Help("Total number of RPC stream messages received on the server.")
                       .Labels(grpc_constant)
                       .Register(r);
  auto& sent = prometheus::BuildCounter()
                   .Name("grpc_server_msg_sent_total")
                   .Help("Total number of gRPC stream messages sent by the server.")
                   .Labels(grpc_constant)
                   .Register(r);
  auto& handling = prometheus::BuildHistogram()
                       .Name("grpc_server_handling_seconds")
                       .Help("Histogram of response latency (seconds) of gRPC that had been application-level "
                             "handled by the server.")
                       .Labels(grpc_constant)
                       .Register(r);
  auto& document_status = prometheus::BuildCounter()
                              .Name("ktp_gateway_document_status_total")
                              .Help("Successful calls by the document status the OCR engine reported.")
                              .Register(r);
  auto& image_bytes = prometheus::BuildHistogram()
                          .Name("ktp_gateway_image_bytes")
                          .Help("Size of the uploaded images (bytes), per call that received any.")
                          .Register(r);
  const google::protobuf::EnumDescriptor* statuses = v1::ReadStatus_descriptor();
  int max_status = 0;
  for (int i = 0; i < statuses->value_count(); ++i) max_status = std::max(max_status, statuses->value(i)->number());

  for (service::Method method : {service::Method::kRead, service::Method::kReadWithQualities}) {
    const int m = MethodIndex(method);
    const std::string name = service::MethodName(method);
    started_[m] = &started.Add({{"grpc_method", name}});
    msg_received_[m] = &received.Add({{"grpc_method", name}});
    msg_sent_[m] = &sent.Add({{"grpc_method", name}});
    handling_seconds_[m] = &handling.Add({{"grpc_method", name}}, HandlingBuckets());
    for (int code = 0; code < kCodes; ++code) {
      handled_[m][code] = &handled.Add(
          {{"grpc_method", name},
           {"grpc_code", absl::StatusCodeToString(static_cast<absl::StatusCode>(code))}});
    }
    document_status_[m].assign(static_cast<size_t>(max_status) + 1, nullptr);
    for (int i = 0; i < statuses->value_count(); ++i) {
      const google::protobuf::EnumValueDescriptor* value = statuses->value(i);
      if (value->number() < 0) continue;
      document_status_[m][static_cast<size_t>(value->number())] =
          &document_status.Add({{"grpc_method", name}, {"status", value->name()}});
    }
    image_bytes_[m] = &image_bytes.Add({{"grpc_method", name}}, ImageBuckets());
  }

}

// Upstream HTTP requests, their failures and retries, by endpoint.
void GatewayMetrics::BuildUpstreamSeries() {
  prometheus::Registry& r = *registry_;
  auto& duration = prometheus::BuildHistogram()
                       .Name("ktp_gateway_upstream_request_duration_seconds")
                       .Help("Duration of upstream HTTP requests by HTTP status (\"none\": no answer).")
                       .Register(r);
  auto& failures = prometheus::BuildCounter()
                       .Name("ktp_gateway_upstream_failures_total")
                       .Help("Upstream requests that failed, by cause.")
                       .Register(r);
  auto& retries = prometheus::BuildCounter()
                      .Name("ktp_gateway_upstream_retries_total")
                      .Help("Upstream requests retried, by the cause of the retry.")
                      .Register(r);
  for (backend::Endpoint endpoint : {backend::Endpoint::kRead, backend::Endpoint::kReadWithQualities}) {
    const int e = EndpointIndex(endpoint);
    const std::string name = backend::EndpointName(endpoint);
    for (size_t s = 0; s < kHttpStatusLabels.size(); ++s) {
      upstream_duration_[e][s] =
          &duration.Add({{"endpoint", name}, {"http_status", kHttpStatusLabels[s]}}, UpstreamBuckets());
    }
    for (size_t c = 0; c < kFailureCauses.size(); ++c) {
      upstream_failures_[e][c] = &failures.Add({{"endpoint", name}, {"cause", kFailureCauses[c]}});
      upstream_retries_[e][c] = &retries.Add({{"endpoint", name}, {"cause", kFailureCauses[c]}});
    }
  }

}

// The gateway's own state: in-flight calls, limits, credentials, policy,
// circuit breakers, fallbacks, build info.
void GatewayMetrics::BuildGatewaySeries() {
  prometheus::Registry& r = *registry_;
  inflight_ = &prometheus::BuildGauge()
                   .Name("ktp_gateway_inflight_calls")
                   .Help("gRPC calls being served.")
                   .Register(r)
                   .Add({});
  rate_limit_family_ = &prometheus::BuildCounter()
                            .Name("ktp_gateway_rate_limit_decisions_total")
                            .Help("Rate-limit decisions by tenant and outcome.")
                            .Register(r);
  auto& reloads = prometheus::BuildCounter()
                      .Name("ktp_gateway_credential_reloads_total")
                      .Help("Upstream credential reload attempts by result.")
                      .Register(r);
  reload_success_ = &reloads.Add({{"result", "success"}});
  reload_failure_ = &reloads.Add({{"result", "failure"}});
  auto& fallbacks = prometheus::BuildCounter()
                        .Name("ktp_gateway_local_fallbacks_total")
                        .Help("Calls answered by the local reader because the upstream was unavailable "
                              "(--fallback=local), by the upstream error's reason.")
                        .Register(r);
  for (const char* reason : {reasons::kUpstreamUnavailable, reasons::kUpstreamConnectFailed, reasons::kUpstreamTlsFailed,
                             reasons::kUpstreamConnectionFailed, reasons::kUpstreamCircuitOpen, reasons::kCredentialsUnavailable,
                             reasons::kUpstreamAuthenticationFailed, reasons::kUpstreamAccessDenied, "other"}) {
    fallbacks_.emplace_back(reason, &fallbacks.Add({{"reason", reason}}));
  }
  auto& identity_checks = prometheus::BuildCounter()
                              .Name("ktp_gateway_identity_checks_total")
                              .Help("Identity checks run on successful reads, by check kind and outcome.")
                              .Register(r);
  for (int kind = v1::CHECK_KIND_NIK_FORMAT; kind <= v1::CheckKind_MAX; ++kind) {
    for (int outcome = v1::CHECK_OUTCOME_PASS; outcome <= v1::CheckOutcome_MAX; ++outcome) {
      identity_checks_[kind][outcome] = &identity_checks.Add(
          {{"kind", identity::CheckKindLabel(static_cast<v1::CheckKind>(kind))},
           {"outcome", identity::CheckOutcomeLabel(static_cast<v1::CheckOutcome>(outcome))}});
    }
  }
  generation_family_ = &prometheus::BuildGauge()
                            .Name("ktp_gateway_credential_generation")
                            .Help("Generation of the upstream credentials each credential set serves.")
                            .Register(r);
  auto& policy_reloads = prometheus::BuildCounter()
                             .Name("ktp_gateway_policy_reloads_total")
                             .Help("Access policy reloads after a change of its file, by result.")
                             .Register(r);
  policy_reload_success_ = &policy_reloads.Add({{"result", "success"}});
  policy_reload_failure_ = &policy_reloads.Add({{"result", "failure"}});
  breaker_family_ = &prometheus::BuildGauge()
                         .Name("ktp_gateway_circuit_breaker_state")
                         .Help("Upstream circuit breaker state by endpoint: 0 closed, 1 open, 2 half-open.")
                         .Register(r);
  prometheus::BuildGauge()
      .Name("ktp_gateway_build_info")
      .Help("Always 1; the labels name the gateway and gRPC versions.")
      .Register(r)
      .Add({{"version", KTP_GATEWAY_VERSION}, {"grpc_version", grpc::Version()}})
      .Set(1);
}

GatewayMetrics::~GatewayMetrics() = default;

// ---------------------------------------------------------------------------
// gRPC calls.

void GatewayMetrics::OnCallStarted(service::Method method) {
  started_[MethodIndex(method)]->Increment();
  inflight_->Increment();
}

void GatewayMetrics::OnMessageReceived(service::Method method) { msg_received_[MethodIndex(method)]->Increment(); }

void GatewayMetrics::OnCallFinished(const service::CallSummary& summary) {
  const int m = MethodIndex(summary.method);
  int code = static_cast<int>(summary.code);
  if (code < 0 || code >= kCodes) code = static_cast<int>(absl::StatusCode::kUnknown);
  handled_[m][code]->Increment();
  handling_seconds_[m]->Observe(absl::ToDoubleSeconds(summary.latency));
  if (summary.code == absl::StatusCode::kOk) {
    msg_sent_[m]->Increment();  // a client-streaming call answers with one message
    const int status = static_cast<int>(summary.document_status);
    const std::vector<prometheus::Counter*>& by_status = document_status_[m];
    prometheus::Counter* counter =
        status >= 0 && static_cast<size_t>(status) < by_status.size() ? by_status[status] : nullptr;
    if (counter == nullptr) counter = by_status[v1::READ_STATUS_UNSPECIFIED];
    counter->Increment();
  }
  // Calls refused before any byte arrived would only crowd the lowest bucket.
  if (summary.image_bytes > 0) image_bytes_[m]->Observe(static_cast<double>(summary.image_bytes));
  inflight_->Decrement();
}

// ---------------------------------------------------------------------------
// Upstream requests.

absl::string_view GatewayMetrics::HttpStatusLabel(long http_status) {
  return kHttpStatusLabels[HttpStatusIndex(http_status)];
}

absl::string_view GatewayMetrics::FailureCause(long http_status, absl::string_view failure_cause) {
  if (!failure_cause.empty()) {
    const int i = IndexOf(kFailureCauses, failure_cause);
    return i >= 0 ? kFailureCauses[i] : "internal";  // an unknown cause is a gateway bug
  }
  if (http_status == 0) return "internal";  // no answer and no cause: a reporting bug
  if (http_status == 200) return "";
  if (http_status == 401 || http_status == 403) return "auth";
  if (http_status == 429) return "http_429";
  if (http_status >= 400 && http_status <= 499) return "http_4xx";
  if (http_status >= 500 && http_status <= 599) return "http_5xx";
  return "bad_response";  // 1xx/3xx/other 2xx: nothing the gateway can use
}

void GatewayMetrics::OnUpstreamRequestDone(backend::Endpoint endpoint, long http_status,
                                           absl::string_view failure_cause, absl::Duration elapsed) {
  const int e = EndpointIndex(endpoint);
  upstream_duration_[e][HttpStatusIndex(http_status)]->Observe(absl::ToDoubleSeconds(elapsed));
  const absl::string_view cause = FailureCause(http_status, failure_cause);
  if (cause.empty()) return;
  upstream_failures_[e][IndexOf(kFailureCauses, cause)]->Increment();
}

void GatewayMetrics::OnUpstreamRetry(backend::Endpoint endpoint, absl::string_view cause) {
  int i = IndexOf(kFailureCauses, cause);
  if (i < 0) i = IndexOf(kFailureCauses, "internal");
  upstream_retries_[EndpointIndex(endpoint)][i]->Increment();
}

// ---------------------------------------------------------------------------
// Rate limiting: tenants.

absl::string_view GatewayMetrics::TenantLabel(absl::string_view tenant) {
  if (tenant.empty()) return "none";
  // Tenants come from configuration; anything odd is folded rather than exported.
  if (tenant.size() > 64) return "other";
  for (char c : tenant) {
    if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') return "other";
  }
  return tenant;
}

GatewayMetrics::TenantCounters GatewayMetrics::MakeTenantCounters(const std::string& label) {
  TenantCounters counters{};
  for (size_t i = 0; i < kRateLimitOutcomes.size(); ++i) {
    counters[i] = &rate_limit_family_->Add({{"tenant", label}, {"outcome", kRateLimitOutcomes[i]}});
  }
  return counters;
}

void GatewayMetrics::RegisterTenants(const std::vector<std::string>& tenants) {
  absl::MutexLock lock(&tenant_mu_);
  const TenantTable* current = tenant_table_.load(std::memory_order_acquire);
  auto table = std::make_unique<TenantTable>(current ? *current : TenantTable());
  for (const char* always : {"none", "other"}) {
    if (!table->contains(always)) table->emplace(always, MakeTenantCounters(always));
  }
  for (const std::string& tenant : tenants) {
    const std::string label(TenantLabel(tenant));
    if (table->contains(label)) continue;
    if (table->size() >= kMaxTenants + 2) break;  // the rest fold into "other"
    table->emplace(label, MakeTenantCounters(label));
  }
  tenant_table_.store(table.get(), std::memory_order_release);
  tenant_tables_.push_back(std::move(table));
}

void GatewayMetrics::OnRateLimitDecision(absl::string_view tenant, absl::string_view outcome) {
  const int i = IndexOf(kRateLimitOutcomes, outcome);
  if (i < 0) return;  // not a decision this gateway makes
  const TenantTable* table = tenant_table_.load(std::memory_order_acquire);
  if (table == nullptr) return;  // no tenant registered: nothing is limited
  auto it = table->find(TenantLabel(tenant));  // no allocation, no lock
  if (it == table->end()) it = table->find("other");
  it->second[i]->Increment();
}

// ---------------------------------------------------------------------------
// Credentials.

void GatewayMetrics::OnPolicyReload(bool ok) {
  (ok ? policy_reload_success_ : policy_reload_failure_)->Increment();
}

void GatewayMetrics::RegisterCircuitBreakers() {
  for (backend::Endpoint endpoint : {backend::Endpoint::kRead, backend::Endpoint::kReadWithQualities}) {
    prometheus::Gauge*& gauge = breaker_state_[EndpointIndex(endpoint)];
    if (gauge == nullptr) gauge = &breaker_family_->Add({{"endpoint", backend::EndpointName(endpoint)}});
  }
}

void GatewayMetrics::OnCircuitStateChange(backend::Endpoint endpoint, backend::CircuitState state) {
  prometheus::Gauge* gauge = breaker_state_[EndpointIndex(endpoint)];
  if (gauge != nullptr) gauge->Set(static_cast<double>(state));
}

void GatewayMetrics::OnCredentialReload(bool ok) { (ok ? reload_success_ : reload_failure_)->Increment(); }

void GatewayMetrics::OnIdentityValidated(const v1::IdentityValidation& validation) {
  for (const v1::IdentityCheck& check : validation.checks()) {
    const auto kind = static_cast<size_t>(check.kind());
    const auto outcome = static_cast<size_t>(check.outcome());
    if (kind < identity_checks_.size() && outcome < identity_checks_[kind].size() &&
        identity_checks_[kind][outcome] != nullptr) {
      identity_checks_[kind][outcome]->Increment();
    }
  }
}

void GatewayMetrics::OnLocalFallback(absl::string_view reason) {
  for (auto& [label, counter] : fallbacks_) {
    if (label == reason) {
      counter->Increment();
      return;
    }
  }
  fallbacks_.back().second->Increment();  // "other"
}

void GatewayMetrics::SetCredentialGeneration(absl::string_view set, int64_t generation) {
  const std::string label = set.empty() ? "default" : std::string(set);
  absl::MutexLock lock(&generation_mu_);  // reloads are rare: a lock is fine here
  prometheus::Gauge*& gauge = generations_[label];
  if (gauge == nullptr) gauge = &generation_family_->Add({{"set", label}});
  gauge->Set(static_cast<double>(generation));
}

}  // namespace ktp::telemetry
