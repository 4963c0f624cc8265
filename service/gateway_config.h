// ktp-gateway's configuration: every flag, its environment variable, default
// and help text in one table. Flags use dashes (--upstream-url); the command
// line wins over the environment, the environment over the default. Secrets
// are never flags (they would show in process listings).
#ifndef KTP_SERVICE_GATEWAY_CONFIG_H_
#define KTP_SERVICE_GATEWAY_CONFIG_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ktp::service {

struct GatewayConfig {
  std::string listen = "0.0.0.0:50051";
  std::string upstream_url = "https://api.vision.glair.ai";
  std::string credentials_dir;
  std::string upstream_ca_file;
  int64_t max_image_bytes = 10 << 20;
  int64_t max_chunk_bytes = 4 << 20;
  absl::Duration upstream_timeout = absl::Seconds(60);
  absl::Duration connect_timeout = absl::Seconds(5);
  int64_t max_upstream_response_bytes = 16 << 20;
  absl::Duration shutdown_grace = absl::Seconds(25);
  std::string log_level = "info";
  bool help = false;
};

// Looks up an environment variable (injected so tests need not touch the real one).
using EnvLookup = std::function<const char*(const char* name)>;

// Parses `args` (without the program name) over the environment. INVALID_ARGUMENT
// names the bad flag or variable. `--help` sets `help`.
absl::StatusOr<GatewayConfig> ParseGatewayConfig(const std::vector<std::string>& args,
                                                 const EnvLookup& env);

// The --help text: every flag with its variable, default and meaning.
std::string GatewayUsage();

}  // namespace ktp::service

#endif  // KTP_SERVICE_GATEWAY_CONFIG_H_
