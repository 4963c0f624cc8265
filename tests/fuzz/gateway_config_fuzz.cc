// Fuzzes the flag and environment parser (service::ParseGatewayConfig). Input
// lines are command-line arguments, except lines "KTP_NAME=value", which form
// the environment. Invariants: errors are INVALID_ARGUMENT naming a flag or a
// variable; an accepted configuration respects every documented bound.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gateway/gateway_config.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    const size_t eq = line.find('=');
    if (absl::StartsWith(line, "KTP_") && eq != absl::string_view::npos) {
      env[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    } else {
      args.emplace_back(line);
    }
  }
  auto config = ktp::gateway::ParseGatewayConfig(args, [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  if (!config.ok()) {
    FUZZ_CHECK(config.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(!config.status().message().empty());
    return 0;
  }
  const absl::Duration day = absl::Hours(24);
  for (absl::Duration d : {config->upstream_timeout, config->connect_timeout, config->shutdown_grace,
                           config->max_connection_age, config->stream_idle_timeout}) {
    FUZZ_CHECK(d >= absl::ZeroDuration() && d <= day);
  }
  FUZZ_CHECK(config->max_image_bytes > 0 && config->max_chunk_bytes > 0);
  FUZZ_CHECK(config->max_buffered_bytes > 0);
  FUZZ_CHECK(config->max_concurrent_calls >= 0);
  FUZZ_CHECK(config->upstream_retry_max_attempts >= 1 && config->upstream_retry_max_attempts <= 10);
  FUZZ_CHECK(config->upstream_retry_initial_backoff > absl::ZeroDuration());
  FUZZ_CHECK(config->upstream_retry_budget_ratio >= 0 && config->upstream_retry_budget_ratio <= 1);
  FUZZ_CHECK(config->breaker_failure_ratio > 0 && config->breaker_failure_ratio <= 1);
  FUZZ_CHECK(config->keepalive_time > absl::ZeroDuration());
  return 0;
}
