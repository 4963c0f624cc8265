// The flag table and its parser.
#include "gateway/gateway_config.h"

#include <fstream>

#include "absl/container/flat_hash_set.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "telemetry/log.h"

namespace ktp::gateway {
namespace {

using Setter = std::function<absl::Status(GatewayConfig&, absl::string_view)>;

struct FlagSpec {
  const char* name;  // without the leading "--"
  const char* env;
  const char* default_text;
  const char* help;
  Setter set;
};

absl::Status SetString(std::string& field, absl::string_view value) {
  field = std::string(value);
  return absl::OkStatus();
}

absl::Status SetBytes(int64_t& field, absl::string_view value, int64_t max) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(value, &n) || n <= 0 || n > max) {
    return absl::InvalidArgumentError(absl::StrCat("must be a whole number of bytes from 1 to ", max));
  }
  field = n;
  return absl::OkStatus();
}

// Accepts Go-style durations ("25s", "1m30s", "500ms") or plain seconds ("25").
absl::Status SetDuration(absl::Duration& field, absl::string_view value) {
  double seconds = 0;
  absl::Duration d;
  if (absl::SimpleAtod(value, &seconds)) {
    d = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(value, &d)) {
    return absl::InvalidArgumentError("must be a duration such as 30s, 1m or 500ms");
  }
  if (d < absl::ZeroDuration() || d > absl::Hours(24)) {
    return absl::InvalidArgumentError("must be between 0 and 24h");
  }
  field = d;
  return absl::OkStatus();
}

absl::Status SetPositiveDuration(absl::Duration& field, absl::string_view value) {
  absl::Duration d;
  if (absl::Status s = SetDuration(d, value); !s.ok()) return s;
  if (d <= absl::ZeroDuration()) return absl::InvalidArgumentError("must be more than 0");
  field = d;
  return absl::OkStatus();
}

absl::Status SetBool(bool& field, absl::string_view value) {
  if (value != "true" && value != "false") return absl::InvalidArgumentError("must be true or false");
  field = value == "true";
  return absl::OkStatus();
}

absl::Status SetInt(int64_t& field, absl::string_view value, int64_t min, int64_t max) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(value, &n) || n < min || n > max) {
    return absl::InvalidArgumentError(absl::StrCat("must be a whole number from ", min, " to ", max));
  }
  field = n;
  return absl::OkStatus();
}

// A number in [min, max]; `min_exclusive` makes the lower bound open.
absl::Status SetFraction(double& field, absl::string_view value, double min, double max,
                         bool min_exclusive = false) {
  double d = 0;
  if (!absl::SimpleAtod(value, &d) || !(d <= max) || (min_exclusive ? !(d > min) : !(d >= min))) {
    return absl::InvalidArgumentError(absl::StrCat("must be a number ", min_exclusive ? "above " : "from ",
                                                   min, min_exclusive ? " up to " : " to ", max));
  }
  field = d;
  return absl::OkStatus();
}

// Where it listens and which engine reads cards.
std::vector<FlagSpec> ServingFlags() {
  return {
    {"listen", "KTP_LISTEN", "0.0.0.0:50051", "gRPC listen address host:port (port 0 picks one)",
     [](GatewayConfig& c, absl::string_view v) { return SetString(c.listen, v); }},
    {"tls-cert-file", "KTP_TLS_CERT_FILE", "",
     "PEM certificate chain of the gRPC listener; with --tls-key-file turns TLS on (1.2 or later). "
     "Re-read when it changes (cert-manager renewals need no restart). Empty: plaintext, for a "
     "sidecar that terminates mTLS in the pod",
     [](GatewayConfig& c, absl::string_view v) { return SetString(c.tls_cert_file, v); }},
    {"tls-key-file", "KTP_TLS_KEY_FILE", "", "PEM private key of --tls-cert-file",
     [](GatewayConfig& c, absl::string_view v) { return SetString(c.tls_key_file, v); }},
    {"tls-client-ca-file", "KTP_TLS_CLIENT_CA_FILE", "",
     "PEM CA bundle: turns on mTLS — every client must present a certificate it signed; the "
     "certificate's SPIFFE ID (URI SAN) is the caller's identity (access policy spiffeId)",
     [](GatewayConfig& c, absl::string_view v) { return SetString(c.tls_client_ca_file, v); }},
    {"tls-reload-interval", "KTP_TLS_RELOAD_INTERVAL", "60s", "how often the TLS files are checked for changes",
     [](GatewayConfig& c, absl::string_view v) { return SetPositiveDuration(c.tls_reload_interval, v); }},
    {"reflection", "KTP_REFLECTION", "true",
     "serve gRPC server reflection (grpcurl, Postman discover the API); false in hardened deployments",
     [](GatewayConfig& c, absl::string_view v) { return SetBool(c.reflection, v); }},
    {"backend", "KTP_BACKEND", "upstream",
     "which engine reads cards: upstream (the GLAIR Vision API) or local (the embedded offline "
     "Tesseract reader; no credentials, no network)",
     [](GatewayConfig& c, absl::string_view v) {
       if (v != "upstream" && v != "local") return absl::InvalidArgumentError("must be upstream or local");
       return SetString(c.backend, v);
     }},
    {"fallback", "KTP_FALLBACK", "none",
     "local: when the upstream is unavailable (circuit open, 5xx or connection failures after "
     "retries, no valid credentials) answer from the local reader, marked engine=ENGINE_LOCAL with "
     "fallback_reason; none: return the error",
     [](GatewayConfig& c, absl::string_view v) {
       if (v != "none" && v != "local") return absl::InvalidArgumentError("must be none or local");
       return SetString(c.fallback, v);
     }},
    {"local-workers", "KTP_LOCAL_WORKERS", "0",
     "local reader: OCR worker threads, one Tesseract engine each (0 = one per core)",
     [](GatewayConfig& c, absl::string_view v) { return SetInt(c.local_workers, v, 0, 256); }},
    {"local-max-queued", "KTP_LOCAL_MAX_QUEUED", "0",
     "local reader: reads that may wait for a busy worker; more are refused with RESOURCE_EXHAUSTED "
     "LOCAL_ENGINE_BUSY (0 = as many as workers)",
     [](GatewayConfig& c, absl::string_view v) { return SetInt(c.local_max_queued, v, 0, 100000); }},
    {"local-max-pixels", "KTP_LOCAL_MAX_PIXELS", "40000000",
     "local reader: decoded images with more pixels are refused with IMAGE_TOO_LARGE (decompression bombs)",
     [](GatewayConfig& c, absl::string_view v) { return SetInt(c.local_max_pixels, v, 1000, 400'000'000); }},
    {"tessdata-dir", "KTP_TESSDATA_DIR", "",
     "local reader: Tesseract language data directory (empty = the system's, Debian package "
     "tesseract-ocr-ind)",
     [](GatewayConfig& c, absl::string_view v) { return SetString(c.tessdata_dir, v); }},
  };
}

// The GLAIR REST engine: where, with which credentials, within which bounds.
std::vector<FlagSpec> UpstreamFlags() {
  return {
    {"upstream-url", "KTP_UPSTREAM_URL", "https://api.vision.glair.ai",
     "base URL of the GLAIR Vision API (http:// only for local test servers)",
     [](GatewayConfig& c, absl::string_view v) { return SetString(c.upstream_url, v); }},
    {"credentials-dir", "KTP_CREDENTIALS_DIR", "",
     "directory holding files username, password and api_key (a Kubernetes Secret volume); "
     "when empty, KTP_UPSTREAM_USERNAME, KTP_UPSTREAM_PASSWORD and KTP_UPSTREAM_API_KEY are used",
     [](GatewayConfig& c, absl::string_view v) { return SetString(c.credentials_dir, v); }},
    {"allow-insecure-upstream", "KTP_ALLOW_INSECURE_UPSTREAM", "false",
     "accept a plain http:// --upstream-url that is not on loopback (credentials and images would "
     "cross the network in clear)",
     [](GatewayConfig& c, absl::string_view v) { return SetBool(c.allow_insecure_upstream, v); }},
    {"upstream-ca-file", "KTP_UPSTREAM_CA_FILE", "",
     "extra PEM CA bundle to trust for the upstream; TLS verification is always on",
     [](GatewayConfig& c, absl::string_view v) { return SetString(c.upstream_ca_file, v); }},
    {"max-image-bytes", "KTP_MAX_IMAGE_BYTES", "10485760", "largest accepted image (sum of chunks)",
     [](GatewayConfig& c, absl::string_view v) { return SetBytes(c.max_image_bytes, v, int64_t{1} << 32); }},
    {"max-chunk-bytes", "KTP_MAX_CHUNK_BYTES", "4194304", "largest accepted chunk (one stream message)",
     [](GatewayConfig& c, absl::string_view v) { return SetBytes(c.max_chunk_bytes, v, int64_t{1} << 30); }},
    {"upstream-timeout", "KTP_UPSTREAM_TIMEOUT", "60s",
     "upper bound on one upstream call, also when the caller sets no deadline "
     "(a shorter gRPC deadline always wins)",
     [](GatewayConfig& c, absl::string_view v) { return SetDuration(c.upstream_timeout, v); }},
    {"connect-timeout", "KTP_CONNECT_TIMEOUT", "5s", "upstream connect timeout (TCP and TLS)",
     [](GatewayConfig& c, absl::string_view v) { return SetDuration(c.connect_timeout, v); }},
    {"max-upstream-response-bytes", "KTP_MAX_UPSTREAM_RESPONSE_BYTES", "16777216",
     "largest accepted upstream answer",
     [](GatewayConfig& c, absl::string_view v) {
       return SetBytes(c.max_upstream_response_bytes, v, int64_t{1} << 30);
     }},
  };
}

// Shutdown, the access policy and shared rate limits.
std::vector<FlagSpec> AccessFlags() {
  return {
    {"shutdown-grace", "KTP_SHUTDOWN_GRACE", "25s",
     "on SIGTERM/SIGINT, how long in-flight calls may run before they are cancelled",
     [](GatewayConfig& c, absl::string_view v) { return SetDuration(c.shutdown_grace, v); }},
    {"config-file", "KTP_CONFIG_FILE", "",
     "access policy: clients (key hashes or SPIFFE IDs), tenants, rate limits (JSON or textproto; "
     "reloaded when it changes, an invalid version keeps the last good one)",
     [](GatewayConfig& c, absl::string_view v) { return SetString(c.config_file, v); }},
    {"config-reload-interval", "KTP_CONFIG_RELOAD_INTERVAL", "2s", "how often the config file is checked for changes",
     [](GatewayConfig& c, absl::string_view v) { return SetPositiveDuration(c.config_reload_interval, v); }},
    {"allow-anonymous", "KTP_ALLOW_ANONYMOUS", "false",
     "without --config-file, admit every caller as tenant \"default\" with no limits (development only)",
     [](GatewayConfig& c, absl::string_view v) {
       return SetBool(c.allow_anonymous, v);
     }},
    {"redis-url", "KTP_REDIS_URL", "",
     "share rate limits across replicas in Redis: redis://host:port (empty: per-replica limits; the "
     "password comes from --redis-password-file)",
     [](GatewayConfig& c, absl::string_view v) { return SetString(c.redis_url, v); }},
    {"redis-password-file", "KTP_REDIS_PASSWORD_FILE", "",
     "file holding the Redis password (a mounted Secret); never put it in --redis-url",
     [](GatewayConfig& c, absl::string_view v) { return SetString(c.redis_password_file, v); }},
    {"redis-timeout", "KTP_REDIS_TIMEOUT", "50ms", "Redis command timeout; slower answers count as Redis down",
     [](GatewayConfig& c, absl::string_view v) { return SetPositiveDuration(c.redis_timeout, v); }},
    {"redis-failure-policy", "KTP_REDIS_FAILURE_POLICY", "local_fallback",
     "when Redis is down or slow: local_fallback (per-replica share of each limit), fail_open or fail_closed",
     [](GatewayConfig& c, absl::string_view v) {
       if (v != "local_fallback" && v != "fail_open" && v != "fail_closed") {
         return absl::InvalidArgumentError("must be local_fallback, fail_open or fail_closed");
       }
       return SetString(c.redis_failure_policy, v);
     }},
    {"expected-replicas", "KTP_EXPECTED_REPLICAS", "1",
     "replicas sharing the limits; the local fallback gives each 1/N of every limit",
     [](GatewayConfig& c, absl::string_view v) { return SetInt(c.expected_replicas, v, 1, 10000); }},
  };
}

// Logs, metrics, connection management and the service's own bounds.
std::vector<FlagSpec> OperationsFlags() {
  return {
    {"log-level", "KTP_LOG_LEVEL", "info", "debug, info, warn or error",
     [](GatewayConfig& c, absl::string_view v) {
       log::Level level;
       if (!log::ParseLevel(v, &level)) {
         return absl::InvalidArgumentError("must be debug, info, warn or error");
       }
       return SetString(c.log_level, v);
     }},
    {"metrics-listen", "KTP_METRICS_LISTEN", "0.0.0.0:9090",
     "Prometheus /metrics address, IPv4 host:port (port 0 picks one); \"\" or \"off\" disables it",
     [](GatewayConfig& c, absl::string_view v) { return SetString(c.metrics_listen, v == "off" ? "" : v); }},
    {"max-connection-age", "KTP_MAX_CONNECTION_AGE", "30m",
     "close client connections (GOAWAY) after this age, so load balancers that balance "
     "connections (kube-proxy) spread long-lived clients; 0 never closes them",
     [](GatewayConfig& c, absl::string_view v) { return SetDuration(c.max_connection_age, v); }},
    {"max-connection-age-grace", "KTP_MAX_CONNECTION_AGE_GRACE", "5m",
     "how long calls on an aged connection may still run before they are cancelled "
     "(never less than --shutdown-grace)",
     [](GatewayConfig& c, absl::string_view v) { return SetDuration(c.max_connection_age_grace, v); }},
    {"keepalive-time", "KTP_KEEPALIVE_TIME", "60s",
     "ping a client after this long without activity, to detect dead connections",
     [](GatewayConfig& c, absl::string_view v) { return SetPositiveDuration(c.keepalive_time, v); }},
    {"keepalive-timeout", "KTP_KEEPALIVE_TIMEOUT", "20s",
     "close the connection when a keepalive ping is not answered within this time",
     [](GatewayConfig& c, absl::string_view v) { return SetPositiveDuration(c.keepalive_timeout, v); }},
    {"max-concurrent-calls", "KTP_MAX_CONCURRENT_CALLS", "1000",
     "calls served at once; more are refused at once with RESOURCE_EXHAUSTED "
     "(TOO_MANY_CONCURRENT_CALLS), never queued; 0 removes the cap",
     [](GatewayConfig& c, absl::string_view v) { return SetInt(c.max_concurrent_calls, v, 0, 1000000); }},
    {"max-buffered-bytes", "KTP_MAX_BUFFERED_BYTES", "40% of the cgroup memory limit, else 536870912",
     "image bytes all calls together may hold; uploads beyond it get RESOURCE_EXHAUSTED "
     "(GATEWAY_OVERLOADED)",
     [](GatewayConfig& c, absl::string_view v) { return SetBytes(c.max_buffered_bytes, v, int64_t{1} << 40); }},
    {"stream-idle-timeout", "KTP_STREAM_IDLE_TIMEOUT", "30s",
     "an upload that sends no message for this long is ended with DEADLINE_EXCEEDED "
     "(STREAM_IDLE_TIMEOUT); 0 waits forever",
     [](GatewayConfig& c, absl::string_view v) { return SetDuration(c.stream_idle_timeout, v); }},
    {"max-upload-duration", "KTP_MAX_UPLOAD_DURATION", "60s",
     "a whole upload, first message to last chunk, may take this long; slower uploads end with "
     "DEADLINE_EXCEEDED (UPLOAD_TOO_SLOW); 0 removes the limit",
     [](GatewayConfig& c, absl::string_view v) { return SetDuration(c.max_upload_duration, v); }},
    {"max-streams-per-connection", "KTP_MAX_STREAMS_PER_CONNECTION", "256",
     "HTTP/2 streams (calls) one client connection may have open at once",
     [](GatewayConfig& c, absl::string_view v) { return SetInt(c.max_streams_per_connection, v, 1, 100000); }},
    {"grpc-memory-bytes", "KTP_GRPC_MEMORY_BYTES", "20% of the cgroup memory limit, else unbounded",
     "memory gRPC may use for connections and their buffers (grpc::ResourceQuota)",
     [](GatewayConfig& c, absl::string_view v) { return SetBytes(c.grpc_memory_bytes, v, int64_t{1} << 40); }},
  };
}

// Upstream retries and the per-endpoint circuit breaker.
std::vector<FlagSpec> ResilienceFlags() {
  return {
    {"upstream-retry-max-attempts", "KTP_UPSTREAM_RETRY_MAX_ATTEMPTS", "3",
     "upstream attempts per call, the first included, for connect failures, resets, "
     "502/503/504 and 429; 1 disables retries",
     [](GatewayConfig& c, absl::string_view v) { return SetInt(c.upstream_retry_max_attempts, v, 1, 10); }},
    {"upstream-retry-initial-backoff", "KTP_UPSTREAM_RETRY_INITIAL_BACKOFF", "100ms",
     "retry n waits a random time up to min(max backoff, this x 2^n) (full jitter)",
     [](GatewayConfig& c, absl::string_view v) {
       return SetPositiveDuration(c.upstream_retry_initial_backoff, v);
     }},
    {"upstream-retry-max-backoff", "KTP_UPSTREAM_RETRY_MAX_BACKOFF", "2s",
     "cap on one retry wait; a Retry-After longer than this is returned to the caller instead",
     [](GatewayConfig& c, absl::string_view v) { return SetPositiveDuration(c.upstream_retry_max_backoff, v); }},
    {"upstream-retry-budget-ratio", "KTP_UPSTREAM_RETRY_BUDGET_RATIO", "0.2",
     "retries allowed per call over the last 10s, on top of the per-second minimum (0 to 1)",
     [](GatewayConfig& c, absl::string_view v) { return SetFraction(c.upstream_retry_budget_ratio, v, 0, 1); }},
    {"upstream-retry-budget-min-per-second", "KTP_UPSTREAM_RETRY_BUDGET_MIN_PER_SECOND", "10",
     "retries always allowed per second whatever the ratio (0 to 10000)",
     [](GatewayConfig& c, absl::string_view v) {
       return SetFraction(c.upstream_retry_budget_min_per_second, v, 0, 10000);
     }},
    {"upstream-breaker-consecutive-failures", "KTP_UPSTREAM_BREAKER_CONSECUTIVE_FAILURES", "5",
     "an endpoint's circuit opens after this many upstream failures in a row "
     "(connect, reset, TLS, timeout, 502/503/504; a 500 is blamed on the input); 0 disables this rule",
     [](GatewayConfig& c, absl::string_view v) {
       return SetInt(c.breaker_consecutive_failures, v, 0, 1000000);
     }},
    {"upstream-breaker-failure-ratio", "KTP_UPSTREAM_BREAKER_FAILURE_RATIO", "0.5",
     "or when this share of the calls in the window failed (above 0, up to 1)",
     [](GatewayConfig& c, absl::string_view v) { return SetFraction(c.breaker_failure_ratio, v, 0, 1, true); }},
    {"upstream-breaker-min-requests", "KTP_UPSTREAM_BREAKER_MIN_REQUESTS", "20",
     "calls the window must hold before the failure ratio counts",
     [](GatewayConfig& c, absl::string_view v) { return SetInt(c.breaker_min_requests, v, 1, 1000000); }},
    {"upstream-breaker-window", "KTP_UPSTREAM_BREAKER_WINDOW", "30s",
     "rolling window of the failure ratio",
     [](GatewayConfig& c, absl::string_view v) { return SetPositiveDuration(c.breaker_window, v); }},
    {"upstream-breaker-open-interval", "KTP_UPSTREAM_BREAKER_OPEN_INTERVAL", "10s",
     "how long an open circuit answers UNAVAILABLE (UPSTREAM_CIRCUIT_OPEN) before one probe call "
     "is let through",
     [](GatewayConfig& c, absl::string_view v) { return SetPositiveDuration(c.breaker_open_interval, v); }},
  };
}

// Every flag, in --help order.
const std::vector<FlagSpec>& Flags() {
  static const auto* flags = [] {
    auto* all = new std::vector<FlagSpec>();
    for (auto group : {ServingFlags, UpstreamFlags, AccessFlags, OperationsFlags, ResilienceFlags}) {
      for (FlagSpec& flag : group()) all->push_back(std::move(flag));
    }
    return all;
  }();
  return *flags;
}

}  // namespace

int64_t CgroupMemoryLimit(const std::string& cgroup_dir) {
  for (const char* file : {"/memory.max", "/memory/memory.limit_in_bytes"}) {
    std::ifstream in(cgroup_dir + file);
    std::string text;
    if (!(in >> text)) continue;
    int64_t limit = 0;
    // "max" (v2) or a page-rounded 2^63 (v1) mean no limit.
    if (!absl::SimpleAtoi(text, &limit) || limit <= 0 || limit >= (int64_t{1} << 60)) return 0;
    return limit;
  }
  return 0;
}

absl::StatusOr<GatewayConfig> ParseGatewayConfig(const std::vector<std::string>& args,
                                                 const EnvLookup& env, const std::string& cgroup_dir) {
  GatewayConfig config;
  absl::flat_hash_set<std::string> explicitly_set;
  for (const FlagSpec& flag : Flags()) {
    const char* value = env ? env(flag.env) : nullptr;
    if (value == nullptr || *value == '\0') continue;
    explicitly_set.insert(flag.name);
    if (absl::Status s = flag.set(config, value); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(flag.env, ": ", s.message()));
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--help" || arg == "-h" || arg == "--helpfull") {
      config.help = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", arg, "'"));
    }
    arg.remove_prefix(2);
    absl::string_view name = arg;
    std::string value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = arg.substr(0, eq);
      value = std::string(arg.substr(eq + 1));
      has_value = true;
    }
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& flag : Flags()) {
      if (name == flag.name) spec = &flag;
    }
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name, " (see --help)"));
    }
    const bool is_switch = absl::string_view(spec->default_text) == "false";
    if (!has_value && is_switch) {
      value = "true";  // --allow-anonymous alone means true
    } else if (!has_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      }
      value = args[++i];
    }
    if (absl::Status s = spec->set(config, value); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, ": ", s.message()));
    }
    explicitly_set.insert(spec->name);
  }
  if (config.backend == "local" && config.fallback == "local") {
    return absl::InvalidArgumentError("--fallback=local only applies to --backend=upstream");
  }
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert-file and --tls-key-file go together");
  }
  if (!config.tls_client_ca_file.empty() && config.tls_cert_file.empty()) {
    return absl::InvalidArgumentError("--tls-client-ca-file (mTLS) needs --tls-cert-file and --tls-key-file");
  }
  // A pod is OOM-killed at its memory limit before any byte budget above it
  // could answer GATEWAY_OVERLOADED: derive the budgets from the limit.
  config.memory_limit_bytes = CgroupMemoryLimit(cgroup_dir);
  if (config.memory_limit_bytes > 0) {
    if (!explicitly_set.contains("max-buffered-bytes")) {
      config.max_buffered_bytes = config.memory_limit_bytes * 2 / 5;
    }
    if (!explicitly_set.contains("grpc-memory-bytes")) config.grpc_memory_bytes = config.memory_limit_bytes / 5;
  }
  return config;
}

std::string GatewayUsage() {
  std::string out =
      "ktp-gateway: gRPC gateway for the GLAIR Vision KTP OCR API.\n\n"
      "Usage: ktp-gateway [--flag=value ...]\n\n"
      "Every flag can also be set by the environment variable shown; the command line wins.\n"
      "Upstream secrets are never flags: see --credentials-dir.\n\nFlags:\n";
  for (const FlagSpec& flag : Flags()) {
    absl::StrAppendFormat(&out, "  --%s (env %s, default \"%s\")\n      %s\n", flag.name, flag.env,
                          flag.default_text, flag.help);
  }
  absl::StrAppend(&out, "  --help\n      print this text and exit\n");
  return out;
}

}  // namespace ktp::gateway
