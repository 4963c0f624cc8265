// ktp-gateway: the server binary. Parses flags (each also settable by an
// environment variable), loads credentials, starts the upstream client and the
// gRPC server and the Prometheus /metrics endpoint, and drains gracefully on
// SIGTERM/SIGINT.
#include <prometheus/exposer.h>
#include <prometheus/registry.h>
#include <signal.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "absl/strings/numbers.h"
#include "service/access_policy.h"
#include "service/gateway_admission.h"
#include "service/gateway_config.h"
#include "service/local_rate_limiter.h"
#include "service/redis_rate_limiter.h"
#include "service/gateway_server.h"
#include "service/metrics.h"
#include "upstream/credential_vault.h"
#include "upstream/circuit_breaker.h"
#include "upstream/credentials.h"
#include "upstream/curl_client.h"
#include "upstream/fallback_backend.h"
#include "upstream/local/local_ocr_backend.h"
#include "upstream/retrying_backend.h"

namespace {

int Fail(absl::string_view message) {
  ktp::log::Error(message);
  return 1;
}

// Removes --allow-core-dumps[=true|false] from `args` (a switch, so it stays out of
// the value-flag table); KTP_ALLOW_CORE_DUMPS=true|1 sets it too. Default false.
bool TakeAllowCoreDumps(std::vector<std::string>& args) {
  const char* env = std::getenv("KTP_ALLOW_CORE_DUMPS");
  bool allow = env != nullptr && (absl::string_view(env) == "true" || absl::string_view(env) == "1");
  args.erase(std::remove_if(args.begin(), args.end(),
                            [&](const std::string& arg) {
                              if (arg == "--allow-core-dumps" || arg == "--allow-core-dumps=true") {
                                allow = true;
                                return true;
                              }
                              if (arg == "--allow-core-dumps=false") {
                                allow = false;
                                return true;
                              }
                              return false;
                            }),
             args.end());
  return allow;
}

// Parses redis://[:password@]host[:port] (port 6379 by default).
bool ParseRedisUrl(absl::string_view url, ktp::service::RedisRateLimiterOptions* options) {
  constexpr absl::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme) return false;
  url.remove_prefix(kScheme.size());
  if (size_t at = url.rfind('@'); at != absl::string_view::npos) {
    absl::string_view userinfo = url.substr(0, at);
    if (size_t colon = userinfo.find(':'); colon != absl::string_view::npos) userinfo.remove_prefix(colon + 1);
    options->password = std::string(userinfo);
    url.remove_prefix(at + 1);
  }
  if (size_t slash = url.find('/'); slash != absl::string_view::npos) url = url.substr(0, slash);
  int port = 6379;
  if (size_t colon = url.rfind(':'); colon != absl::string_view::npos) {
    if (!absl::SimpleAtoi(url.substr(colon + 1), &port) || port <= 0 || port > 65535) return false;
    url = url.substr(0, colon);
  }
  if (url.empty()) return false;
  options->host = std::string(url);
  options->port = port;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // Before any secret is in memory: no core dumps, no ptrace/proc-mem access by
  // other processes of the same user, so neither can lift the upstream secrets.
  const bool allow_core_dumps = TakeAllowCoreDumps(args);
  const int dumpable_error = allow_core_dumps || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : errno;
  auto parsed = ktp::service::ParseGatewayConfig(args, [](const char* name) { return std::getenv(name); });
  if (!parsed.ok()) {
    std::cerr << "ktp-gateway: " << parsed.status().message() << "\n";
    return 2;
  }
  const ktp::service::GatewayConfig& config = *parsed;
  if (config.help) {
    std::cout << ktp::service::GatewayUsage()
              << "  --allow-core-dumps (env KTP_ALLOW_CORE_DUMPS, default false)\n"
                 "      keep the process dumpable (core dumps, ptrace) for debugging; dumps then "
                 "hold the upstream secrets\n";
    return 0;
  }
  ktp::log::Level level = ktp::log::Level::kInfo;
  ktp::log::ParseLevel(config.log_level, &level);
  ktp::log::SetLevel(level);
  if (allow_core_dumps) {
    ktp::log::Warn("core dumps allowed (--allow-core-dumps): a dump holds the upstream secrets");
  } else if (dumpable_error != 0) {
    ktp::log::Warn("could not make the process non-dumpable", {{"error", strerror(dumpable_error)}});
  }

  // Block the stop signals in every thread; main waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // Metrics first: the client and the server report to them, and a metrics
  // port that cannot be bound should stop the process before it serves.
  ktp::service::GatewayMetrics metrics;
  std::unique_ptr<prometheus::Exposer> exposer;
  if (!config.metrics_listen.empty()) {
    try {
      exposer = std::make_unique<prometheus::Exposer>(config.metrics_listen);
    } catch (const std::exception& e) {  // civetweb cannot bind: prometheus-cpp throws
      return Fail(absl::StrCat("cannot serve metrics on ", config.metrics_listen, ": ", e.what()));
    }
    exposer->RegisterCollectable(metrics.registry(), "/metrics");
    const std::vector<int> ports = exposer->GetListeningPorts();
    ktp::log::Info("metrics serving", {{"metrics_listen", config.metrics_listen},
                                       {"metrics_port", ports.empty() ? 0 : ports.front()},
                                       {"metrics_path", "/metrics"}});
  }

  // The local reader: the serving engine with --backend=local, the stand-in
  // with --fallback=local. Its engines load at start-up, so missing language
  // data stops the process here rather than failing calls later.
  std::unique_ptr<ktp::local::LocalOcrBackend> local_reader;
  if (config.backend == "local" || config.fallback == "local") {
    ktp::local::LocalEngineOptions local_options;
    local_options.workers = static_cast<int>(config.local_workers);
    local_options.max_queued = static_cast<int>(config.local_max_queued);
    local_options.tessdata_dir = config.tessdata_dir;
    auto created = ktp::local::LocalOcrBackend::Create(local_options);
    if (!created.ok()) return Fail(absl::StrCat("local reader: ", created.status().message()));
    local_reader = *std::move(created);
    ktp::log::Info("local reader ready", {{"role", config.backend == "local" ? "backend" : "fallback"}});
  }
  const bool upstream_enabled = config.backend == "upstream";
  const bool falls_back = upstream_enabled && config.fallback == "local";

  // Upstream credentials: a vault over --credentials-dir (named sets, rotated
  // without restart), or one fixed set from KTP_UPSTREAM_* when no directory is
  // given. An empty or half-written directory is not fatal: the gateway starts
  // NOT_SERVING and turns SERVING once a valid set appears (or, with
  // --fallback=local, serves from the local reader meanwhile).
  std::shared_ptr<ktp::upstream::CredentialVault> vault;
  std::shared_ptr<const ktp::upstream::CredentialSource> credential_source;
  if (!upstream_enabled) {
    // --backend=local: no upstream, no credentials.
  } else if (config.credentials_dir.empty()) {
    auto credentials = ktp::upstream::LoadCredentialsFromEnv();
    if (!credentials.ok() && !falls_back) {
      return Fail(absl::StrCat("no upstream credentials: ", credentials.status().message()));
    }
    if (!credentials.ok()) {
      ktp::log::Warn("no upstream credentials: every call is answered by the local reader");
    }
    credential_source = std::make_shared<ktp::upstream::StaticCredentialSource>(
        credentials.ok() ? *std::move(credentials) : nullptr);
  } else {
    ktp::upstream::CredentialVaultOptions vault_options;
    vault_options.root = config.credentials_dir;
    // vault_options.on_reload: the hook for reload counters and generation gauges.
    auto created = ktp::upstream::CredentialVault::Create(std::move(vault_options));
    if (!created.ok()) return Fail(absl::StrCat("no upstream credentials: ", created.status().message()));
    vault = *std::move(created);
    credential_source = vault;
    if (!vault->has_any()) {
      ktp::log::Warn(falls_back ? "no valid upstream credential set yet: the local reader answers meanwhile"
                                : "no valid upstream credential set yet: NOT_SERVING until one appears");
    }
  }

  std::unique_ptr<ktp::upstream::CurlOcrBackend> curl_backend;
  ktp::TimerQueue timers;  // retry backoffs and admission waits: no thread parked per waiting call
  ktp::upstream::TimerQueueScheduler retry_scheduler(&timers);
  std::unique_ptr<ktp::upstream::CircuitBreakingBackend> breaking;
  std::unique_ptr<ktp::upstream::RetryingBackend> retrying;
  std::unique_ptr<ktp::upstream::FallbackBackend> fallback;
  ktp::upstream::OcrBackend* serving_backend = local_reader.get();
  if (upstream_enabled) {
    ktp::upstream::CurlClientOptions client_options;
    client_options.base_url = config.upstream_url;
    client_options.credentials = credential_source;
    client_options.connect_timeout = config.connect_timeout;
    client_options.max_call_timeout = config.upstream_timeout;
    client_options.max_response_bytes =
        static_cast<size_t>(config.max_upstream_response_bytes);
    client_options.ca_file = config.upstream_ca_file;
    client_options.observer = &metrics;
    auto backend = ktp::upstream::CurlOcrBackend::Create(std::move(client_options));
    if (!backend.ok()) return Fail(absl::StrCat("upstream client: ", backend.status().message()));
    curl_backend = *std::move(backend);

    // Upstream resilience, outermost first: Retrying → CircuitBreaking → curl.
    // Every attempt, retries included, passes the endpoint's breaker: each failed
    // attempt counts toward opening it, and once it is open the remaining retries
    // fail fast (UPSTREAM_CIRCUIT_OPEN with RetryInfo) instead of adding load to a
    // failing upstream. A breaker outside the retries would see one failure per
    // three attempts and keep retrying against a dead upstream.
    ktp::upstream::CircuitBreakingBackendOptions breaker_options;
    breaker_options.breaker.consecutive_failures = static_cast<int>(config.breaker_consecutive_failures);
    breaker_options.breaker.failure_ratio = config.breaker_failure_ratio;
    breaker_options.breaker.min_requests = static_cast<int>(config.breaker_min_requests);
    breaker_options.breaker.window = config.breaker_window;
    breaker_options.breaker.open_interval = config.breaker_open_interval;
    breaker_options.on_state_change = [](ktp::upstream::Endpoint endpoint,
                                         ktp::upstream::CircuitState state) {
      ktp::log::Warn("upstream circuit breaker changed state",
                     {{"endpoint", ktp::upstream::EndpointName(endpoint)},
                      {"state", ktp::upstream::CircuitStateName(state)}});
    };
    breaking = std::make_unique<ktp::upstream::CircuitBreakingBackend>(curl_backend.get(),
                                                                       std::move(breaker_options));
    ktp::upstream::RetryingBackendOptions retry_options;
    retry_options.policy.max_attempts = static_cast<int>(config.upstream_retry_max_attempts);
    retry_options.policy.initial_backoff = config.upstream_retry_initial_backoff;
    retry_options.policy.max_backoff = config.upstream_retry_max_backoff;
    retry_options.policy.budget_ratio = config.upstream_retry_budget_ratio;
    retry_options.policy.budget_min_per_second = config.upstream_retry_budget_min_per_second;
    retry_options.observer = &metrics;
    retry_options.scheduler = &retry_scheduler;
    retrying = std::make_unique<ktp::upstream::RetryingBackend>(breaking.get(), std::move(retry_options));
    serving_backend = retrying.get();
    // Outermost: the local reader answers what the whole upstream stack could not.
    if (falls_back) {
      fallback = std::make_unique<ktp::upstream::FallbackBackend>(
          retrying.get(), local_reader.get(),
          [&metrics](absl::string_view reason) { metrics.OnLocalFallback(reason); });
      serving_backend = fallback.get();
    }
  }

  // Access policy (who may call, as which tenant, within which limits) and the
  // rate limiter: in-process, or shared by every replica through Redis.
  std::unique_ptr<ktp::service::AccessPolicyStore> policies;
  if (!config.config_file.empty()) {
    auto store = ktp::service::AccessPolicyStore::Open(config.config_file, config.config_reload_interval);
    if (!store.ok()) return Fail(absl::StrCat("config file: ", store.status().message()));
    policies = *std::move(store);
  } else if (config.allow_anonymous) {
    ktp::log::Warn("no --config-file and --allow-anonymous: every caller is admitted without limits");
    policies = std::make_unique<ktp::service::AccessPolicyStore>(ktp::service::AccessPolicy::AllowAnonymous());
  } else {
    return Fail("no access policy: set --config-file (see README, Access control) or, for development, "
                "--allow-anonymous");
  }
  {
    std::vector<std::string> tenants;
    for (const auto& tenant : policies->Current()->config().tenants()) tenants.push_back(tenant.name());
    tenants.emplace_back("global");
    metrics.RegisterTenants(tenants);
  }
  std::unique_ptr<ktp::service::RateLimiter> limiter;
  if (config.redis_url.empty()) {
    limiter = std::make_unique<ktp::service::LocalRateLimiter>();
  } else {
    ktp::service::RedisRateLimiterOptions redis_options;
    if (!ParseRedisUrl(config.redis_url, &redis_options)) {
      return Fail("--redis-url must look like redis://[:password@]host[:port]");
    }
    redis_options.command_timeout = config.redis_timeout;
    redis_options.expected_replicas = static_cast<int>(config.expected_replicas);
    redis_options.failure_policy =
        config.redis_failure_policy == "fail_open"     ? ktp::service::RedisFailurePolicy::kFailOpen
        : config.redis_failure_policy == "fail_closed" ? ktp::service::RedisFailurePolicy::kFailClosed
                                                       : ktp::service::RedisFailurePolicy::kLocalFallback;
    ktp::log::Info("rate limits shared through Redis",
                   {{"redis_host", redis_options.host}, {"failure_policy", config.redis_failure_policy}});
    limiter = std::make_unique<ktp::service::RedisRateLimiter>(std::move(redis_options));
  }
  ktp::service::GatewayAdmission admission(
      policies.get(), limiter.get(), &timers,
      [&metrics](absl::string_view tenant, absl::string_view outcome) {
        metrics.OnRateLimitDecision(tenant, outcome);
      });

  ktp::service::GatewayServerOptions server_options;
  server_options.admission = &admission;
  server_options.listen_address = config.listen;
  server_options.limits.max_image_bytes = static_cast<size_t>(config.max_image_bytes);
  server_options.limits.max_chunk_bytes = static_cast<size_t>(config.max_chunk_bytes);
  server_options.max_call_duration = config.upstream_timeout;
  server_options.observer = &metrics;
  server_options.max_connection_age = config.max_connection_age;
  // A call on an aged connection gets at least the time a call gets at shutdown.
  server_options.max_connection_age_grace =
      std::max(config.max_connection_age_grace, config.shutdown_grace);
  server_options.keepalive_time = config.keepalive_time;
  server_options.keepalive_timeout = config.keepalive_timeout;
  // Without credentials the upstream cannot answer, but the local reader can.
  server_options.start_ready = vault == nullptr || vault->has_any() || falls_back;
  server_options.max_concurrent_calls = static_cast<int>(config.max_concurrent_calls);
  server_options.max_buffered_bytes = config.max_buffered_bytes;
  server_options.stream_idle_timeout = config.stream_idle_timeout;
  auto server = ktp::service::GatewayServer::Start(server_options, serving_backend);
  if (!server.ok()) return Fail(server.status().message());
  // Readiness follows the vault: SERVING while at least one valid set is loaded.
  int readiness_subscription = 0;
  if (vault && !falls_back) {
    ktp::service::GatewayServer* raw_server = server->get();
    readiness_subscription = vault->Subscribe([raw_server](bool any) { raw_server->SetReady(any); });
  }
  ktp::log::Info("ktp-gateway serving",
                 {{"listen", server_options.listen_address},
                  {"port", (*server)->port()},
                  {"backend", config.backend},
                  {"fallback", config.fallback},
                  {"upstream", upstream_enabled ? config.upstream_url : std::string()}});

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  ktp::log::Info("stop signal received", {{"signal", signal_number}});
  if (vault && !falls_back) vault->Unsubscribe(readiness_subscription);
  (*server)->Shutdown(config.shutdown_grace);
  server->reset();
  fallback.reset();
  retrying.reset();
  breaking.reset();
  curl_backend.reset();
  local_reader.reset();
  ktp::log::Info("ktp-gateway stopped");
  return 0;
}
