// Gateway::Build: every component created and wired in one place, in the order
// their dependencies need (what reports is built after what it reports to).
#include "gateway/gateway.h"

#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <curl/curl.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "access/access_policy.h"
#include "access/gateway_admission.h"
#include "access/local_rate_limiter.h"
#include "access/redis_rate_limiter.h"
#include "access/redis_url.h"
#include "backend/circuit_breaker.h"
#include "backend/fallback_backend.h"
#include "backend/retrying_backend.h"
#include "backend/validating_backend.h"
#include "common/clock.h"
#include "common/timer_queue.h"
#include "identity/region_directory.h"
#include "reader/local_ocr_backend.h"
#include "service/gateway_server.h"
#include "telemetry/log.h"
#include "telemetry/metrics.h"
#include "upstream/credential_vault.h"
#include "upstream/credentials.h"
#include "upstream/curl_client.h"

namespace ktp::gateway {
namespace {

bool UsesUpstream(const GatewayConfig& config) { return config.backend == "upstream"; }
bool FallsBack(const GatewayConfig& config) { return UsesUpstream(config) && config.fallback == "local"; }

absl::Status Prefixed(absl::string_view what, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(what, ": ", status.message()));
}

// A secret from a mounted file, without the trailing newline editors add.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::FailedPreconditionError(absl::StrCat("cannot read ", path));
  std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) return absl::FailedPreconditionError(absl::StrCat(path, " is empty"));
  return secret;
}

// Credentials and images must not cross the network in clear: http:// only to
// a loopback test server, unless the operator says otherwise.
absl::Status CheckUpstreamUrl(const GatewayConfig& config) {
  std::unique_ptr<CURLU, void (*)(CURLU*)> url(curl_url(), curl_url_cleanup);
  if (!url || curl_url_set(url.get(), CURLUPART_URL, config.upstream_url.c_str(), 0) != CURLUE_OK) {
    return absl::InvalidArgumentError("--upstream-url is not a URL");
  }
  // Credentials in the URL would be logged and shown in every `ps`: they belong
  // in --credentials-dir (user:password@ is not how GLAIR authenticates anyway).
  for (CURLUPart part : {CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_QUERY}) {
    char* value = nullptr;
    const bool present = curl_url_get(url.get(), part, &value, 0) == CURLUE_OK && value != nullptr;
    curl_free(value);
    if (present) {
      return absl::InvalidArgumentError(
          "--upstream-url must not carry user:password@ or a ?query: credentials go in --credentials-dir");
    }
  }
  char* scheme = nullptr;
  char* host = nullptr;
  curl_url_get(url.get(), CURLUPART_SCHEME, &scheme, 0);
  curl_url_get(url.get(), CURLUPART_HOST, &host, 0);
  const std::string s = scheme ? scheme : "";
  const std::string h = host ? host : "";
  curl_free(scheme);
  curl_free(host);
  if (s == "https") return absl::OkStatus();
  if (s != "http") return absl::InvalidArgumentError("--upstream-url must be https:// (or http:// on loopback)");
  const bool loopback = h == "localhost" || absl::StartsWith(h, "127.") || h == "[::1]";
  if (loopback || config.allow_insecure_upstream) {
    if (!loopback) log::Warn("plain http:// upstream off loopback (--allow-insecure-upstream)");
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      "--upstream-url is plain http:// off loopback: use https://, or --allow-insecure-upstream to accept it");
}

}  // namespace

Gateway::Gateway(const GatewayConfig& config) : config_(config) {}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Build(const GatewayConfig& config, GatewaySeams seams) {
  if (config.backend != "upstream" && config.backend != "local") {
    return absl::InvalidArgumentError("backend must be upstream or local");
  }
  std::unique_ptr<Gateway> gateway(new Gateway(config));
  if (absl::Status s = gateway->BuildTelemetry(); !s.ok()) return s;
  if (absl::Status s = gateway->BuildEngines(seams); !s.ok()) return s;
  gateway->BuildValidation(seams);
  if (absl::Status s = gateway->BuildAccess(); !s.ok()) return s;
  if (absl::Status s = gateway->BuildServer(); !s.ok()) return s;
  return gateway;
}

// Metrics first: everything else reports to them, and a metrics port that
// cannot be bound should stop the process before it serves.
absl::Status Gateway::BuildTelemetry() {
  metrics_ = std::make_unique<telemetry::GatewayMetrics>();
  timers_ = std::make_unique<TimerQueue>();
  if (config_.metrics_listen.empty()) return absl::OkStatus();
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(config_.metrics_listen);
  } catch (const std::exception& e) {  // civetweb cannot bind: prometheus-cpp throws
    return absl::FailedPreconditionError(
        absl::StrCat("cannot serve metrics on ", config_.metrics_listen, ": ", e.what()));
  }
  exposer_->RegisterCollectable(metrics_->registry(), "/metrics");
  const std::vector<int> ports = exposer_->GetListeningPorts();
  metrics_port_ = ports.empty() ? 0 : ports.front();
  log::Info("metrics serving", {{"metrics_listen", config_.metrics_listen},
                                {"metrics_port", metrics_port_},
                                {"metrics_path", "/metrics"}});
  return absl::OkStatus();
}

// The engines and the chain in front of them: fallback → retries → breaker → engine.
absl::Status Gateway::BuildEngines(GatewaySeams& seams) {
  // The offline reader: the engine with --backend=local, the stand-in with
  // --fallback=local. Its engines load now, so missing language data stops the
  // process here rather than failing calls later.
  if (!UsesUpstream(config_) || FallsBack(config_)) {
    reader::LocalEngineOptions options;
    options.workers = static_cast<int>(config_.local_workers);
    options.max_queued = static_cast<int>(config_.local_max_queued);
    options.tessdata_dir = config_.tessdata_dir;
    options.max_pixels = static_cast<long>(config_.local_max_pixels);
    options.clock = seams.clock;
    auto created = reader::LocalOcrBackend::Create(options);
    if (!created.ok()) return Prefixed("local reader", created.status());
    local_reader_ = *std::move(created);
    log::Info("local reader ready", {{"role", UsesUpstream(config_) ? "fallback" : "backend"}});
  }
  if (!UsesUpstream(config_)) {
    serving_backend_ = local_reader_.get();
    return absl::OkStatus();
  }

  // Upstream credentials: injected (tests), a vault over --credentials-dir
  // (named sets, rotated without restart), or one fixed set from KTP_UPSTREAM_*.
  // An empty or half-written directory is not fatal: the gateway starts
  // NOT_SERVING and turns SERVING once a valid set appears (or, with
  // --fallback=local, serves from the local reader meanwhile).
  if (absl::Status s = CheckUpstreamUrl(config_); !s.ok()) return s;
  if (seams.credentials) {
    credentials_ = std::move(seams.credentials);
  } else if (config_.credentials_dir.empty()) {
    auto credentials = upstream::LoadCredentialsFromEnv();
    // Read once, then wiped where the kernel keeps the process's environment
    // (/proc/<pid>/environ shows that memory) and removed, so no child process,
    // environ reader or crash report sees them later.
    for (const char* name : {"KTP_UPSTREAM_USERNAME", "KTP_UPSTREAM_PASSWORD", "KTP_UPSTREAM_API_KEY"}) {
      if (char* value = std::getenv(name)) std::memset(value, 'x', std::strlen(value));
      unsetenv(name);
    }
    if (!credentials.ok() && !FallsBack(config_)) {
      return Prefixed("no upstream credentials", credentials.status());
    }
    if (!credentials.ok()) log::Warn("no upstream credentials: every call is answered by the local reader");
    credentials_ = std::make_shared<upstream::StaticCredentialSource>(
        credentials.ok() ? *std::move(credentials) : nullptr);
  } else {
    upstream::CredentialVaultOptions options;
    options.root = config_.credentials_dir;
    telemetry::GatewayMetrics* metrics = metrics_.get();
    options.on_reload = [metrics](bool ok, const std::string& set, int64_t generation) {
      metrics->OnCredentialReload(ok);
      if (ok) metrics->SetCredentialGeneration(set, generation);
    };
    auto created = upstream::CredentialVault::Create(std::move(options));
    if (!created.ok()) return Prefixed("no upstream credentials", created.status());
    vault_ = *std::move(created);
    credentials_ = vault_;
    if (!vault_->has_any()) {
      log::Warn(FallsBack(config_) ? "no valid upstream credential set yet: the local reader answers meanwhile"
                                   : "no valid upstream credential set yet: NOT_SERVING until one appears");
    }
  }

  upstream::CurlClientOptions client;
  client.base_url = config_.upstream_url;
  client.credentials = credentials_;
  client.connect_timeout = config_.connect_timeout;
  client.max_call_timeout = config_.upstream_timeout;
  client.max_response_bytes = static_cast<size_t>(config_.max_upstream_response_bytes);
  client.ca_file = config_.upstream_ca_file;
  client.observer = metrics_.get();
  auto curl = upstream::CurlOcrBackend::Create(std::move(client));
  if (!curl.ok()) return Prefixed("upstream client", curl.status());
  curl_ = *std::move(curl);

  // Every attempt, retries included, passes the endpoint's breaker: each failed
  // attempt counts toward opening it, and once it is open the remaining retries
  // fail fast (UPSTREAM_CIRCUIT_OPEN with RetryInfo) instead of adding load to a
  // failing upstream. A breaker outside the retries would see one failure per
  // three attempts and keep retrying against a dead upstream.
  backend::CircuitBreakingBackendOptions breaker;
  breaker.breaker.consecutive_failures = static_cast<int>(config_.breaker_consecutive_failures);
  breaker.breaker.failure_ratio = config_.breaker_failure_ratio;
  breaker.breaker.min_requests = static_cast<int>(config_.breaker_min_requests);
  breaker.breaker.window = config_.breaker_window;
  breaker.breaker.open_interval = config_.breaker_open_interval;
  telemetry::GatewayMetrics* metrics = metrics_.get();
  metrics->RegisterCircuitBreakers();
  breaker.on_state_change = [metrics](backend::Endpoint endpoint, backend::CircuitState state) {
    metrics->OnCircuitStateChange(endpoint, state);
    log::Warn("upstream circuit breaker changed state", {{"endpoint", backend::EndpointName(endpoint)},
                                                         {"state", backend::CircuitStateName(state)}});
  };
  breaking_ = std::make_unique<backend::CircuitBreakingBackend>(curl_.get(), std::move(breaker));

  retry_scheduler_ = std::make_unique<backend::TimerQueueScheduler>(timers_.get());
  backend::RetryingBackendOptions retry;
  retry.policy.max_attempts = static_cast<int>(config_.upstream_retry_max_attempts);
  retry.policy.initial_backoff = config_.upstream_retry_initial_backoff;
  retry.policy.max_backoff = config_.upstream_retry_max_backoff;
  retry.policy.budget_ratio = config_.upstream_retry_budget_ratio;
  retry.policy.budget_min_per_second = config_.upstream_retry_budget_min_per_second;
  retry.observer = metrics_.get();
  retry.scheduler = retry_scheduler_.get();
  retrying_ = std::make_unique<backend::RetryingBackend>(breaking_.get(), std::move(retry));
  serving_backend_ = retrying_.get();

  // Outermost: the offline reader answers what the whole upstream stack could not.
  if (FallsBack(config_)) {
    fallback_ = std::make_unique<backend::FallbackBackend>(
        retrying_.get(), local_reader_.get(),
        [metrics](absl::string_view reason) { metrics->OnLocalFallback(reason); });
    serving_backend_ = fallback_.get();
  }
  return absl::OkStatus();
}

// Outermost, over either engine: every successful read leaves with its identity
// checked and its closed-vocabulary fields typed. The region table is parsed
// now, not on the first call.
void Gateway::BuildValidation(const GatewaySeams& seams) {
  (void)identity::RegionDirectory::Embedded();
  telemetry::GatewayMetrics* metrics = metrics_.get();
  validating_ = std::make_unique<backend::ValidatingBackend>(
      serving_backend_, seams.clock != nullptr ? seams.clock : RealClock::Default(),
      [metrics](const v1::IdentityValidation& v) { metrics->OnIdentityValidated(v); });
  serving_backend_ = validating_.get();
}

// Who may call, as which tenant, within which limits.
absl::Status Gateway::BuildAccess() {
  telemetry::GatewayMetrics* metrics = metrics_.get();
  if (!config_.config_file.empty()) {
    auto store = access::AccessPolicyStore::Open(
        config_.config_file, config_.config_reload_interval, [this, metrics](bool ok, const std::string&) {
          metrics->OnPolicyReload(ok);
          if (ok && policies_) RegisterTenants();  // tenants the new version added get their series
        });
    if (!store.ok()) return Prefixed("config file", store.status());
    policies_ = *std::move(store);
  } else if (config_.allow_anonymous) {
    log::Warn("no --config-file and --allow-anonymous: every caller is admitted without limits");
    policies_ = std::make_unique<access::AccessPolicyStore>(access::AccessPolicy::AllowAnonymous());
  } else {
    return absl::FailedPreconditionError(
        "no access policy: set --config-file (see README, Access control) or, for development, "
        "--allow-anonymous");
  }
  RegisterTenants();

  // In-process limits, or limits shared by every replica through Redis.
  if (config_.redis_url.empty()) {
    limiter_ = std::make_unique<access::LocalRateLimiter>();
  } else {
    absl::StatusOr<access::RedisEndpoint> endpoint = access::ParseRedisUrl(config_.redis_url);
    if (!endpoint.ok()) return Prefixed("--redis-url", endpoint.status());
    access::RedisRateLimiterOptions redis;
    redis.host = endpoint->host;
    redis.port = endpoint->port;
    redis.password = endpoint->password;
    if (!config_.redis_password_file.empty()) {
      absl::StatusOr<std::string> password = ReadSecretFile(config_.redis_password_file);
      if (!password.ok()) return Prefixed("--redis-password-file", password.status());
      redis.password = *std::move(password);
    } else if (!redis.password.empty()) {
      log::Warn("the Redis password is in --redis-url: move it to --redis-password-file");
    }
    redis.command_timeout = config_.redis_timeout;
    redis.expected_replicas = static_cast<int>(config_.expected_replicas);
    redis.failure_policy = config_.redis_failure_policy == "fail_open"     ? access::RedisFailurePolicy::kFailOpen
                           : config_.redis_failure_policy == "fail_closed" ? access::RedisFailurePolicy::kFailClosed
                                                                           : access::RedisFailurePolicy::kLocalFallback;
    log::Info("rate limits shared through Redis",
              {{"redis_host", redis.host}, {"failure_policy", config_.redis_failure_policy}});
    limiter_ = std::make_unique<access::RedisRateLimiter>(std::move(redis));
  }
  // Admission is the one reporter of rate-limit outcomes (it knows the tenant,
  // the waits and which decisions were made without Redis).
  admission_ = std::make_unique<access::GatewayAdmission>(
      policies_.get(), limiter_.get(), timers_.get(),
      [metrics](absl::string_view tenant, absl::string_view outcome) {
        metrics->OnRateLimitDecision(tenant, outcome);
      });
  return absl::OkStatus();
}

absl::Status Gateway::BuildServer() {
  service::GatewayServerOptions options;
  options.admission = admission_.get();
  options.observer = metrics_.get();
  options.listen_address = config_.listen;
  options.limits.max_image_bytes = static_cast<size_t>(config_.max_image_bytes);
  options.limits.max_chunk_bytes = static_cast<size_t>(config_.max_chunk_bytes);
  options.max_call_duration = config_.upstream_timeout;
  options.max_connection_age = config_.max_connection_age;
  // A call on an aged connection gets at least the time a call gets at shutdown.
  options.max_connection_age_grace = std::max(config_.max_connection_age_grace, config_.shutdown_grace);
  options.keepalive_time = config_.keepalive_time;
  options.keepalive_timeout = config_.keepalive_timeout;
  // Without credentials the upstream cannot answer, but the offline reader can.
  options.start_ready = vault_ == nullptr || vault_->has_any() || FallsBack(config_);
  options.max_concurrent_calls = static_cast<int>(config_.max_concurrent_calls);
  options.max_buffered_bytes = config_.max_buffered_bytes;
  options.stream_idle_timeout = config_.stream_idle_timeout;
  options.max_upload_duration = config_.max_upload_duration;
  options.max_streams_per_connection = static_cast<int>(config_.max_streams_per_connection);
  options.grpc_memory_bytes = config_.grpc_memory_bytes;
  options.reflection = config_.reflection;
  if (!config_.tls_cert_file.empty()) {
    service::ListenerTls tls;
    tls.cert_file = config_.tls_cert_file;
    tls.key_file = config_.tls_key_file;
    tls.client_ca_file = config_.tls_client_ca_file;
    tls.reload_interval = config_.tls_reload_interval;
    options.tls = tls;
  }
  auto server = service::GatewayServer::Start(options, serving_backend_);
  if (!server.ok()) return server.status();
  server_ = *std::move(server);
  // Readiness follows the vault: SERVING while at least one valid set is loaded.
  if (vault_ && !FallsBack(config_)) {
    service::GatewayServer* raw = server_.get();
    readiness_subscription_ = vault_->Subscribe([raw](bool any) { raw->SetReady(any); });
  }
  const char* mode = config_.tls_cert_file.empty()        ? "plaintext"
                     : config_.tls_client_ca_file.empty() ? "tls"
                                                          : "mtls";
  log::Info("ktp-gateway serving", {{"listen", config_.listen},
                                    {"port", server_->port()},
                                    {"transport", mode},
                                    {"reflection", config_.reflection ? "on" : "off"},
                                    {"max_buffered_bytes", config_.max_buffered_bytes},
                                    {"memory_limit_bytes", config_.memory_limit_bytes},
                                    {"backend", config_.backend},
                                    {"fallback", config_.fallback},
                                    {"upstream", UsesUpstream(config_) ? config_.upstream_url : std::string()}});
  return absl::OkStatus();
}

void Gateway::RegisterTenants() {
  std::vector<std::string> tenants;
  for (const auto& tenant : policies_->Current()->config().tenants()) tenants.push_back(tenant.name());
  tenants.emplace_back("global");  // the upstream-wide limit
  metrics_->RegisterTenants(tenants);
}

int Gateway::port() const { return server_ ? server_->port() : 0; }

void Gateway::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  if (vault_ && readiness_subscription_ != 0) vault_->Unsubscribe(readiness_subscription_);
  if (server_) server_->Shutdown(grace);
  // No call is left: stop what served them, from the outside in. Timers first:
  // a wait still pending is told the queue is shutting down while what it
  // would call (admission, retries) is still there.
  server_.reset();
  timers_.reset();
  admission_.reset();
  validating_.reset();
  fallback_.reset();
  retrying_.reset();
  breaking_.reset();
  curl_.reset();
  local_reader_.reset();
}

Gateway::~Gateway() {
  Shutdown(absl::ZeroDuration());
  // Timers hold admission waits and retry backoffs: none is pending once the
  // server and the chain are gone.
  retry_scheduler_.reset();
  limiter_.reset();
  policies_.reset();
  vault_.reset();
  exposer_.reset();
}

}  // namespace ktp::gateway
