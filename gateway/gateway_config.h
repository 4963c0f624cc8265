// ktp-gateway's configuration: every flag, its environment variable, default
// and help text in one table. Flags use dashes (--upstream-url); the command
// line wins over the environment, the environment over the default. Secrets
// are never flags (they would show in process listings).
#ifndef KTP_GATEWAY_GATEWAY_CONFIG_H_
#define KTP_GATEWAY_GATEWAY_CONFIG_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ktp::gateway {

struct GatewayConfig {
  std::string listen = "0.0.0.0:50051";
  // TLS on the listener (PEM files, re-read every tls_reload_interval); with a
  // client CA, mTLS: client certificates required, verified, their SPIFFE ID
  // the caller's identity. All empty: plaintext (a sidecar terminates mTLS).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  absl::Duration tls_reload_interval = absl::Seconds(60);
  // gRPC server reflection (grpcurl, Postman).
  bool reflection = true;
  // Which engine reads cards: "upstream" (the GLAIR Vision API) or "local"
  // (the embedded Tesseract reader, offline).
  std::string backend = "upstream";
  // "local": answer from the local reader when the upstream is unavailable
  // (backend=upstream only); "none": fail instead.
  std::string fallback = "none";
  // Local reader: worker threads (0 = cores), reads queued beyond them (0 =
  // as many as workers), Tesseract data directory ("" = Debian's default).
  int64_t local_workers = 0;
  int64_t local_max_queued = 0;
  std::string tessdata_dir;
  // Local reader: decoded images larger than this many pixels are refused.
  int64_t local_max_pixels = 40'000'000;
  std::string upstream_url = "https://api.vision.glair.ai";
  std::string credentials_dir;
  std::string upstream_ca_file;
  // A plain http:// upstream is refused unless it is on loopback (test
  // servers) or this is set: credentials and images would cross in clear.
  bool allow_insecure_upstream = false;
  int64_t max_image_bytes = 10 << 20;
  int64_t max_chunk_bytes = 4 << 20;
  absl::Duration upstream_timeout = absl::Seconds(60);
  absl::Duration connect_timeout = absl::Seconds(5);
  int64_t max_upstream_response_bytes = 16 << 20;
  absl::Duration shutdown_grace = absl::Seconds(25);
  std::string log_level = "info";
  // Prometheus /metrics address; "" disables the endpoint.
  std::string metrics_listen = "0.0.0.0:9090";
  // Connections are closed (GOAWAY) after this age so balancers can spread them; 0 = never.
  absl::Duration max_connection_age = absl::Minutes(30);
  // Calls on an aged connection may run this long before they are cancelled.
  absl::Duration max_connection_age_grace = absl::Minutes(5);
  // Server keepalive pings on idle connections, and how long to wait for the answer.
  absl::Duration keepalive_time = absl::Seconds(60);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  // Service bounds: calls at once (0 = no cap), image bytes held across all
  // calls, and the longest pause between upload messages (0 = no limit).
  int64_t max_concurrent_calls = 1000;
  // Default: 40 % of the cgroup memory limit when there is one, else 512 MiB.
  int64_t max_buffered_bytes = int64_t{512} << 20;
  absl::Duration stream_idle_timeout = absl::Seconds(30);
  // A whole upload (first message to last chunk) may take this long; 0 = no limit.
  absl::Duration max_upload_duration = absl::Seconds(60);
  // HTTP/2 streams one connection may have open at once.
  int64_t max_streams_per_connection = 256;
  // Memory gRPC may use for connections and their buffers (its ResourceQuota);
  // default 20 % of the cgroup memory limit when there is one, else unbounded (0).
  int64_t grpc_memory_bytes = 0;
  // The cgroup memory limit found at start (0: none); informational.
  int64_t memory_limit_bytes = 0;
  // Upstream retries (backend/retry_policy.h).
  int64_t upstream_retry_max_attempts = 3;
  absl::Duration upstream_retry_initial_backoff = absl::Milliseconds(100);
  absl::Duration upstream_retry_max_backoff = absl::Seconds(2);
  double upstream_retry_budget_ratio = 0.2;
  double upstream_retry_budget_min_per_second = 10;
  // Upstream circuit breaker, one per endpoint (backend/circuit_breaker.h).
  int64_t breaker_consecutive_failures = 5;
  double breaker_failure_ratio = 0.5;
  int64_t breaker_min_requests = 20;
  absl::Duration breaker_window = absl::Seconds(30);
  absl::Duration breaker_open_interval = absl::Seconds(10);
  // Access policy (clients, tenants, limits): see config/proto/ktp/config/v1/gateway_config.proto.
  std::string config_file;
  absl::Duration config_reload_interval = absl::Seconds(2);
  // Without a config file, admit everyone as tenant "default" (development only).
  bool allow_anonymous = false;
  // Distributed rate limiting: "redis://host:port"; empty = in-process limits.
  std::string redis_url;
  // The Redis password, from a file (a mounted Secret): never in argv or a URL.
  std::string redis_password_file;
  absl::Duration redis_timeout = absl::Milliseconds(50);
  // local_fallback, fail_open or fail_closed when Redis is down or slow.
  std::string redis_failure_policy = "local_fallback";
  // Replicas sharing the limits, to split them when falling back to local limits.
  int64_t expected_replicas = 1;
  bool help = false;
};

// Looks up an environment variable (injected so tests need not touch the real one).
using EnvLookup = std::function<const char*(const char* name)>;

// Parses `args` (without the program name) over the environment. INVALID_ARGUMENT
// names the bad flag or variable. `--help` sets `help`.
// `cgroup_dir` is where the memory limit is looked up (cgroup v2 memory.max,
// v1 memory/memory.limit_in_bytes).
absl::StatusOr<GatewayConfig> ParseGatewayConfig(const std::vector<std::string>& args,
                                                 const EnvLookup& env,
                                                 const std::string& cgroup_dir = "/sys/fs/cgroup");

// The memory limit of the cgroup at `cgroup_dir`, 0 when there is none.
int64_t CgroupMemoryLimit(const std::string& cgroup_dir);

// The --help text: every flag with its variable, default and meaning.
std::string GatewayUsage();

}  // namespace ktp::gateway

#endif  // KTP_GATEWAY_GATEWAY_CONFIG_H_
