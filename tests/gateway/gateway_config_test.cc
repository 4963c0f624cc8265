// Unit tests of gateway/gateway_config: the defaults, environment variables,
// the command line winning over the environment, the `--flag=value` and
// `--flag value` forms, duration and byte-count parsing, every rejection
// (INVALID_ARGUMENT naming the flag or variable), --help, and GatewayUsage()
// documenting every flag and variable. The environment is always the injected
// EnvLookup, never the process environment.
#include "gateway/gateway_config.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <functional>

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ktp::service {
namespace {

using ::testing::HasSubstr;

// Every flag with its variable and a valid, non-default value.
struct FlagCase {
  const char* flag;
  const char* env;
};
const FlagCase kAllFlags[] = {
    {"listen", "KTP_LISTEN"},
    {"upstream-url", "KTP_UPSTREAM_URL"},
    {"credentials-dir", "KTP_CREDENTIALS_DIR"},
    {"upstream-ca-file", "KTP_UPSTREAM_CA_FILE"},
    {"max-image-bytes", "KTP_MAX_IMAGE_BYTES"},
    {"max-chunk-bytes", "KTP_MAX_CHUNK_BYTES"},
    {"upstream-timeout", "KTP_UPSTREAM_TIMEOUT"},
    {"connect-timeout", "KTP_CONNECT_TIMEOUT"},
    {"max-upstream-response-bytes", "KTP_MAX_UPSTREAM_RESPONSE_BYTES"},
    {"shutdown-grace", "KTP_SHUTDOWN_GRACE"},
    {"log-level", "KTP_LOG_LEVEL"},
    {"metrics-listen", "KTP_METRICS_LISTEN"},
    {"max-connection-age", "KTP_MAX_CONNECTION_AGE"},
    {"max-connection-age-grace", "KTP_MAX_CONNECTION_AGE_GRACE"},
    {"keepalive-time", "KTP_KEEPALIVE_TIME"},
    {"keepalive-timeout", "KTP_KEEPALIVE_TIMEOUT"},
    {"max-concurrent-calls", "KTP_MAX_CONCURRENT_CALLS"},
    {"max-buffered-bytes", "KTP_MAX_BUFFERED_BYTES"},
    {"stream-idle-timeout", "KTP_STREAM_IDLE_TIMEOUT"},
    {"upstream-retry-max-attempts", "KTP_UPSTREAM_RETRY_MAX_ATTEMPTS"},
    {"upstream-retry-initial-backoff", "KTP_UPSTREAM_RETRY_INITIAL_BACKOFF"},
    {"upstream-retry-max-backoff", "KTP_UPSTREAM_RETRY_MAX_BACKOFF"},
    {"upstream-retry-budget-ratio", "KTP_UPSTREAM_RETRY_BUDGET_RATIO"},
    {"upstream-retry-budget-min-per-second", "KTP_UPSTREAM_RETRY_BUDGET_MIN_PER_SECOND"},
    {"upstream-breaker-consecutive-failures", "KTP_UPSTREAM_BREAKER_CONSECUTIVE_FAILURES"},
    {"upstream-breaker-failure-ratio", "KTP_UPSTREAM_BREAKER_FAILURE_RATIO"},
    {"upstream-breaker-min-requests", "KTP_UPSTREAM_BREAKER_MIN_REQUESTS"},
    {"upstream-breaker-window", "KTP_UPSTREAM_BREAKER_WINDOW"},
    {"upstream-breaker-open-interval", "KTP_UPSTREAM_BREAKER_OPEN_INTERVAL"},
    {"backend", "KTP_BACKEND"},
    {"fallback", "KTP_FALLBACK"},
    {"local-workers", "KTP_LOCAL_WORKERS"},
    {"local-max-queued", "KTP_LOCAL_MAX_QUEUED"},
    {"tessdata-dir", "KTP_TESSDATA_DIR"},
};

// An EnvLookup over a fixed map (the map must outlive the returned lookup).
gateway::EnvLookup FakeEnv(const std::map<std::string, std::string>& vars) {
  return [&vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

const std::map<std::string, std::string> kNoEnv;

absl::StatusOr<gateway::GatewayConfig> Parse(const std::vector<std::string>& args,
                                    const std::map<std::string, std::string>& env = kNoEnv) {
  return gateway::ParseGatewayConfig(args, FakeEnv(env));
}

void ExpectInvalid(const absl::StatusOr<gateway::GatewayConfig>& r, const std::string& names) {
  ASSERT_FALSE(r.ok()) << "expected an error naming " << names;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(names));
}

// ---------------------------------------------------------------------------
// Defaults.

TEST(GatewayConfigTest, DefaultsWithNoArgsAndNoEnv) {
  absl::StatusOr<gateway::GatewayConfig> c = Parse({});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "0.0.0.0:50051");
  EXPECT_EQ(c->upstream_url, "https://api.vision.glair.ai");
  EXPECT_EQ(c->credentials_dir, "");
  EXPECT_EQ(c->upstream_ca_file, "");
  EXPECT_EQ(c->max_image_bytes, 10 * 1024 * 1024);
  EXPECT_EQ(c->max_chunk_bytes, 4 * 1024 * 1024);
  EXPECT_EQ(c->upstream_timeout, absl::Seconds(60));
  EXPECT_EQ(c->connect_timeout, absl::Seconds(5));
  EXPECT_EQ(c->max_upstream_response_bytes, 16 * 1024 * 1024);
  EXPECT_EQ(c->shutdown_grace, absl::Seconds(25));
  EXPECT_EQ(c->log_level, "info");
  EXPECT_EQ(c->metrics_listen, "0.0.0.0:9090");
  EXPECT_EQ(c->max_connection_age, absl::Minutes(30));
  EXPECT_EQ(c->max_connection_age_grace, absl::Minutes(5));
  EXPECT_EQ(c->keepalive_time, absl::Seconds(60));
  EXPECT_EQ(c->keepalive_timeout, absl::Seconds(20));
  EXPECT_FALSE(c->help);
}

TEST(GatewayConfigTest, BackendAndFallback) {
  absl::StatusOr<gateway::GatewayConfig> c = Parse({});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->backend, "upstream");
  EXPECT_EQ(c->fallback, "none");
  EXPECT_EQ(c->local_workers, 0);
  EXPECT_EQ(c->local_max_queued, 0);
  EXPECT_EQ(c->tessdata_dir, "");

  c = Parse({"--backend=local", "--local-workers", "3", "--local-max-queued=7", "--tessdata-dir=/td"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->backend, "local");
  EXPECT_EQ(c->local_workers, 3);
  EXPECT_EQ(c->local_max_queued, 7);
  EXPECT_EQ(c->tessdata_dir, "/td");

  const std::map<std::string, std::string> env = {{"KTP_FALLBACK", "local"}};
  c = Parse({}, env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->fallback, "local");

  ExpectInvalid(Parse({"--backend=tesseract"}), "--backend");
  ExpectInvalid(Parse({"--fallback=upstream"}), "--fallback");
  ExpectInvalid(Parse({"--local-workers=-1"}), "--local-workers");
  // A local backend has nothing to fall back from.
  ExpectInvalid(Parse({"--backend=local", "--fallback=local"}), "--fallback=local");
}

TEST(GatewayConfigTest, ResilienceDefaults) {
  absl::StatusOr<gateway::GatewayConfig> c = Parse({});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->max_concurrent_calls, 1000);
  EXPECT_EQ(c->max_buffered_bytes, int64_t{512} << 20);
  EXPECT_EQ(c->stream_idle_timeout, absl::Seconds(30));
  EXPECT_EQ(c->upstream_retry_max_attempts, 3);
  EXPECT_EQ(c->upstream_retry_initial_backoff, absl::Milliseconds(100));
  EXPECT_EQ(c->upstream_retry_max_backoff, absl::Seconds(2));
  EXPECT_DOUBLE_EQ(c->upstream_retry_budget_ratio, 0.2);
  EXPECT_DOUBLE_EQ(c->upstream_retry_budget_min_per_second, 10);
  EXPECT_EQ(c->breaker_consecutive_failures, 5);
  EXPECT_DOUBLE_EQ(c->breaker_failure_ratio, 0.5);
  EXPECT_EQ(c->breaker_min_requests, 20);
  EXPECT_EQ(c->breaker_window, absl::Seconds(30));
  EXPECT_EQ(c->breaker_open_interval, absl::Seconds(10));
}

TEST(GatewayConfigTest, ResilienceZeroesMeanOffWhereDocumented) {
  absl::StatusOr<gateway::GatewayConfig> c =
      Parse({"--max-concurrent-calls=0", "--stream-idle-timeout=0", "--upstream-retry-max-attempts=1",
             "--upstream-retry-budget-ratio=0", "--upstream-retry-budget-min-per-second=0",
             "--upstream-breaker-consecutive-failures=0"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->max_concurrent_calls, 0);
  EXPECT_EQ(c->stream_idle_timeout, absl::ZeroDuration());
  EXPECT_EQ(c->upstream_retry_max_attempts, 1);
  EXPECT_EQ(c->breaker_consecutive_failures, 0);
}

TEST(GatewayConfigTest, BadResilienceValuesAreRejectedNamingTheFlag) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"max-concurrent-calls", {"-1", "lots", "1.5", "1000001"}},
      {"max-buffered-bytes", {"0", "-5", "1G", "1099511627777"}},
      {"stream-idle-timeout", {"-1s", "abc", "25h"}},
      {"upstream-retry-max-attempts", {"0", "11", "three"}},
      {"upstream-retry-initial-backoff", {"0", "-1ms", "x"}},
      {"upstream-retry-max-backoff", {"0s", "forever"}},
      {"upstream-retry-budget-ratio", {"-0.1", "1.5", "nan", "inf", "20%"}},
      {"upstream-retry-budget-min-per-second", {"-1", "10001", "nan"}},
      {"upstream-breaker-consecutive-failures", {"-1", "many"}},
      {"upstream-breaker-failure-ratio", {"0", "1.01", "-0.5", "nan"}},
      {"upstream-breaker-min-requests", {"0", "-3"}},
      {"upstream-breaker-window", {"0", "-30s"}},
      {"upstream-breaker-open-interval", {"0s", "soon"}},
  };
  for (const auto& [flag, bads] : cases) {
    for (const std::string& bad : bads) {
      SCOPED_TRACE(flag + "=" + bad);
      ExpectInvalid(Parse({"--" + flag + "=" + bad}), "--" + flag);
    }
  }
  ExpectInvalid(Parse({}, {{"KTP_UPSTREAM_RETRY_MAX_ATTEMPTS", "0"}}), "KTP_UPSTREAM_RETRY_MAX_ATTEMPTS");
}

TEST(GatewayConfigTest, NullEnvLookupMeansDefaults) {
  absl::StatusOr<gateway::GatewayConfig> c = gateway::ParseGatewayConfig({}, gateway::EnvLookup());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "0.0.0.0:50051");
}

TEST(GatewayConfigTest, EnvLookupIsAskedOnlyForKtpVariables) {
  std::vector<std::string> asked;
  gateway::EnvLookup env = [&asked](const char* name) -> const char* {
    asked.push_back(name);
    return nullptr;
  };
  ASSERT_TRUE(gateway::ParseGatewayConfig({}, env).ok());
  ASSERT_FALSE(asked.empty());
  for (const std::string& name : asked) EXPECT_EQ(name.rfind("KTP_", 0), 0u) << name;
}

// ---------------------------------------------------------------------------
// Environment.

TEST(GatewayConfigTest, EveryVariableApplies) {
  const std::map<std::string, std::string> env = {
      {"KTP_LISTEN", "127.0.0.1:6000"},
      {"KTP_UPSTREAM_URL", "http://127.0.0.1:8080"},
      {"KTP_CREDENTIALS_DIR", "/var/run/secrets/ktp"},
      {"KTP_UPSTREAM_CA_FILE", "/etc/ssl/extra.pem"},
      {"KTP_MAX_IMAGE_BYTES", "2048"},
      {"KTP_MAX_CHUNK_BYTES", "1024"},
      {"KTP_UPSTREAM_TIMEOUT", "30s"},
      {"KTP_CONNECT_TIMEOUT", "2s"},
      {"KTP_MAX_UPSTREAM_RESPONSE_BYTES", "4096"},
      {"KTP_SHUTDOWN_GRACE", "10s"},
      {"KTP_LOG_LEVEL", "debug"},
      {"KTP_METRICS_LISTEN", "127.0.0.1:9191"},
      {"KTP_MAX_CONNECTION_AGE", "10m"},
      {"KTP_MAX_CONNECTION_AGE_GRACE", "2m"},
      {"KTP_KEEPALIVE_TIME", "30s"},
      {"KTP_KEEPALIVE_TIMEOUT", "5s"},
  };
  absl::StatusOr<gateway::GatewayConfig> c = Parse({}, env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "127.0.0.1:6000");
  EXPECT_EQ(c->upstream_url, "http://127.0.0.1:8080");
  EXPECT_EQ(c->credentials_dir, "/var/run/secrets/ktp");
  EXPECT_EQ(c->upstream_ca_file, "/etc/ssl/extra.pem");
  EXPECT_EQ(c->max_image_bytes, 2048);
  EXPECT_EQ(c->max_chunk_bytes, 1024);
  EXPECT_EQ(c->upstream_timeout, absl::Seconds(30));
  EXPECT_EQ(c->connect_timeout, absl::Seconds(2));
  EXPECT_EQ(c->max_upstream_response_bytes, 4096);
  EXPECT_EQ(c->shutdown_grace, absl::Seconds(10));
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->metrics_listen, "127.0.0.1:9191");
  EXPECT_EQ(c->max_connection_age, absl::Minutes(10));
  EXPECT_EQ(c->max_connection_age_grace, absl::Minutes(2));
  EXPECT_EQ(c->keepalive_time, absl::Seconds(30));
  EXPECT_EQ(c->keepalive_timeout, absl::Seconds(5));
}

TEST(GatewayConfigTest, EmptyVariableIsIgnored) {
  const std::map<std::string, std::string> env = {{"KTP_LISTEN", ""}, {"KTP_MAX_IMAGE_BYTES", ""}};
  absl::StatusOr<gateway::GatewayConfig> c = Parse({}, env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "0.0.0.0:50051");
  EXPECT_EQ(c->max_image_bytes, 10 << 20);
}

TEST(GatewayConfigTest, UnrelatedVariablesAreIgnored) {
  const std::map<std::string, std::string> env = {{"LISTEN", "1.2.3.4:1"}, {"ktp_listen", "1.2.3.4:2"}};
  absl::StatusOr<gateway::GatewayConfig> c = Parse({}, env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "0.0.0.0:50051");
}

TEST(GatewayConfigTest, BadVariableIsNamedInTheError) {
  ExpectInvalid(Parse({}, {{"KTP_MAX_IMAGE_BYTES", "1k"}}), "KTP_MAX_IMAGE_BYTES");
  ExpectInvalid(Parse({}, {{"KTP_UPSTREAM_TIMEOUT", "abc"}}), "KTP_UPSTREAM_TIMEOUT");
  ExpectInvalid(Parse({}, {{"KTP_LOG_LEVEL", "verbose"}}), "KTP_LOG_LEVEL");
  ExpectInvalid(Parse({}, {{"KTP_SHUTDOWN_GRACE", "-1s"}}), "KTP_SHUTDOWN_GRACE");
}

// ---------------------------------------------------------------------------
// Command line.

TEST(GatewayConfigTest, CommandLineWinsOverEnvironment) {
  const std::map<std::string, std::string> env = {
      {"KTP_LISTEN", "127.0.0.1:6000"},
      {"KTP_MAX_IMAGE_BYTES", "2048"},
      {"KTP_SHUTDOWN_GRACE", "10s"},
      {"KTP_LOG_LEVEL", "debug"},
  };
  absl::StatusOr<gateway::GatewayConfig> c =
      Parse({"--listen=127.0.0.1:7000", "--max-image-bytes", "4096", "--log-level=error"}, env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "127.0.0.1:7000");
  EXPECT_EQ(c->max_image_bytes, 4096);
  EXPECT_EQ(c->log_level, "error");
  // Not on the command line: the environment still applies.
  EXPECT_EQ(c->shutdown_grace, absl::Seconds(10));
}

TEST(GatewayConfigTest, EqualsAndSpaceFormsAreEquivalentForEveryFlag) {
  const std::map<std::string, std::string> values = {
      {"listen", "[::1]:5000"},
      {"upstream-url", "https://ocr.example.test"},
      {"credentials-dir", "/secrets"},
      {"upstream-ca-file", "/ca.pem"},
      {"max-image-bytes", "12345"},
      {"max-chunk-bytes", "2345"},
      {"upstream-timeout", "45s"},
      {"connect-timeout", "3s"},
      {"max-upstream-response-bytes", "99999"},
      {"shutdown-grace", "7s"},
      {"log-level", "warn"},
      {"metrics-listen", "127.0.0.2:9191"},
      {"max-connection-age", "1h"},
      {"max-connection-age-grace", "90s"},
      {"keepalive-time", "2m"},
      {"keepalive-timeout", "7s"},
      {"max-concurrent-calls", "50"},
      {"max-buffered-bytes", "1048576"},
      {"stream-idle-timeout", "5s"},
      {"upstream-retry-max-attempts", "5"},
      {"upstream-retry-initial-backoff", "50ms"},
      {"upstream-retry-max-backoff", "1s"},
      {"upstream-retry-budget-ratio", "0.1"},
      {"upstream-retry-budget-min-per-second", "2.5"},
      {"upstream-breaker-consecutive-failures", "7"},
      {"upstream-breaker-failure-ratio", "0.25"},
      {"upstream-breaker-min-requests", "40"},
      {"upstream-breaker-window", "1m"},
      {"upstream-breaker-open-interval", "20s"},
      {"backend", "upstream"},
      {"fallback", "local"},
      {"local-workers", "2"},
      {"local-max-queued", "4"},
      {"tessdata-dir", "/usr/share/td"},
  };
  std::vector<std::string> eq_args, space_args;
  for (const FlagCase& f : kAllFlags) {
    const std::string& v = values.at(f.flag);
    eq_args.push_back(std::string("--") + f.flag + "=" + v);
    space_args.push_back(std::string("--") + f.flag);
    space_args.push_back(v);
  }
  for (const auto* args : {&eq_args, &space_args}) {
    absl::StatusOr<gateway::GatewayConfig> c = Parse(*args);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->listen, "[::1]:5000");
    EXPECT_EQ(c->upstream_url, "https://ocr.example.test");
    EXPECT_EQ(c->credentials_dir, "/secrets");
    EXPECT_EQ(c->upstream_ca_file, "/ca.pem");
    EXPECT_EQ(c->max_image_bytes, 12345);
    EXPECT_EQ(c->max_chunk_bytes, 2345);
    EXPECT_EQ(c->upstream_timeout, absl::Seconds(45));
    EXPECT_EQ(c->connect_timeout, absl::Seconds(3));
    EXPECT_EQ(c->max_upstream_response_bytes, 99999);
    EXPECT_EQ(c->shutdown_grace, absl::Seconds(7));
    EXPECT_EQ(c->log_level, "warn");
    EXPECT_EQ(c->metrics_listen, "127.0.0.2:9191");
    EXPECT_EQ(c->max_connection_age, absl::Hours(1));
    EXPECT_EQ(c->max_connection_age_grace, absl::Seconds(90));
    EXPECT_EQ(c->keepalive_time, absl::Minutes(2));
    EXPECT_EQ(c->keepalive_timeout, absl::Seconds(7));
    EXPECT_EQ(c->max_concurrent_calls, 50);
    EXPECT_EQ(c->max_buffered_bytes, 1048576);
    EXPECT_EQ(c->stream_idle_timeout, absl::Seconds(5));
    EXPECT_EQ(c->upstream_retry_max_attempts, 5);
    EXPECT_EQ(c->upstream_retry_initial_backoff, absl::Milliseconds(50));
    EXPECT_EQ(c->upstream_retry_max_backoff, absl::Seconds(1));
    EXPECT_DOUBLE_EQ(c->upstream_retry_budget_ratio, 0.1);
    EXPECT_DOUBLE_EQ(c->upstream_retry_budget_min_per_second, 2.5);
    EXPECT_EQ(c->breaker_consecutive_failures, 7);
    EXPECT_DOUBLE_EQ(c->breaker_failure_ratio, 0.25);
    EXPECT_EQ(c->breaker_min_requests, 40);
    EXPECT_EQ(c->breaker_window, absl::Minutes(1));
    EXPECT_EQ(c->breaker_open_interval, absl::Seconds(20));
    EXPECT_FALSE(c->help);
  }
}

TEST(GatewayConfigTest, ValueMayContainEquals) {
  absl::StatusOr<gateway::GatewayConfig> c = Parse({"--upstream-url=https://h.test/p?a=b"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->upstream_url, "https://h.test/p?a=b");
}

TEST(GatewayConfigTest, LaterFlagWins) {
  absl::StatusOr<gateway::GatewayConfig> c = Parse({"--listen=a:1", "--listen", "b:2"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "b:2");
}

TEST(GatewayConfigTest, UnknownFlagIsNamed) {
  ExpectInvalid(Parse({"--no-such-flag=1"}), "--no-such-flag");
  ExpectInvalid(Parse({"--listen=a:1", "--bogus"}), "--bogus");
}

TEST(GatewayConfigTest, UnderscoreSpellingIsUnknown) {
  // Flags use dashes; the underscore form is not silently accepted.
  ExpectInvalid(Parse({"--max_image_bytes=10"}), "max_image_bytes");
}

TEST(GatewayConfigTest, PositionalArgumentIsRejected) {
  ExpectInvalid(Parse({"serve"}), "serve");
  ExpectInvalid(Parse({"-listen=a:1"}), "-listen=a:1");
}

TEST(GatewayConfigTest, MissingValueIsNamed) {
  ExpectInvalid(Parse({"--listen"}), "--listen");
  ExpectInvalid(Parse({"--log-level=debug", "--shutdown-grace"}), "--shutdown-grace");
}

// ---------------------------------------------------------------------------
// Durations.

TEST(GatewayConfigTest, DurationForms) {
  struct Case {
    const char* text;
    absl::Duration want;
  };
  const Case cases[] = {
      {"500ms", absl::Milliseconds(500)}, {"1m30s", absl::Seconds(90)}, {"25", absl::Seconds(25)},
      {"1.5", absl::Milliseconds(1500)},  {"2m", absl::Minutes(2)},     {"0", absl::ZeroDuration()},
      {"0s", absl::ZeroDuration()},       {"24h", absl::Hours(24)},     {"1h", absl::Hours(1)},
  };
  for (const Case& c : cases) {
    absl::StatusOr<gateway::GatewayConfig> r = Parse({std::string("--shutdown-grace=") + c.text});
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.status();
    EXPECT_EQ(r->shutdown_grace, c.want) << c.text;
  }
}

TEST(GatewayConfigTest, DurationsApplyToEveryDurationFlag) {
  absl::StatusOr<gateway::GatewayConfig> c =
      Parse({"--upstream-timeout=1m30s", "--connect-timeout=500ms", "--shutdown-grace=25"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->upstream_timeout, absl::Seconds(90));
  EXPECT_EQ(c->connect_timeout, absl::Milliseconds(500));
  EXPECT_EQ(c->shutdown_grace, absl::Seconds(25));
}

TEST(GatewayConfigTest, BadDurationsAreRejectedNamingTheFlag) {
  for (const char* flag : {"upstream-timeout", "connect-timeout", "shutdown-grace", "max-connection-age",
                           "max-connection-age-grace", "keepalive-time", "keepalive-timeout"}) {
    for (const char* bad : {"abc", "-1s", "-1", "25h", "24h1s", "86401", "", "10 s", "nan", "inf"}) {
      SCOPED_TRACE(std::string(flag) + "=" + bad);
      ExpectInvalid(Parse({std::string("--") + flag + "=" + bad}), std::string("--") + flag);
    }
  }
}

TEST(GatewayConfigTest, ConnectionAgeZeroMeansNeverButKeepaliveMustBePositive) {
  absl::StatusOr<gateway::GatewayConfig> c = Parse({"--max-connection-age=0", "--max-connection-age-grace=0s"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->max_connection_age, absl::ZeroDuration());
  EXPECT_EQ(c->max_connection_age_grace, absl::ZeroDuration());
  ExpectInvalid(Parse({"--keepalive-time=0"}), "--keepalive-time");
  ExpectInvalid(Parse({"--keepalive-timeout=0s"}), "--keepalive-timeout");
  ExpectInvalid(Parse({}, {{"KTP_KEEPALIVE_TIME", "0"}}), "KTP_KEEPALIVE_TIME");
}

// ---------------------------------------------------------------------------
// Metrics endpoint.

TEST(GatewayConfigTest, MetricsListenCanBeDisabled) {
  for (const char* arg : {"--metrics-listen=", "--metrics-listen=off"}) {
    absl::StatusOr<gateway::GatewayConfig> c = Parse({arg});
    ASSERT_TRUE(c.ok()) << arg << ": " << c.status();
    EXPECT_EQ(c->metrics_listen, "") << arg;
  }
  // Empty variables are ignored like every other; "off" disables from the environment.
  absl::StatusOr<gateway::GatewayConfig> empty_env = Parse({}, {{"KTP_METRICS_LISTEN", ""}});
  ASSERT_TRUE(empty_env.ok());
  EXPECT_EQ(empty_env->metrics_listen, "0.0.0.0:9090");
  absl::StatusOr<gateway::GatewayConfig> off_env = Parse({}, {{"KTP_METRICS_LISTEN", "off"}});
  ASSERT_TRUE(off_env.ok());
  EXPECT_EQ(off_env->metrics_listen, "");
  // The command line still wins.
  absl::StatusOr<gateway::GatewayConfig> c = Parse({"--metrics-listen=127.0.0.1:0"}, {{"KTP_METRICS_LISTEN", "off"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->metrics_listen, "127.0.0.1:0");
}

// ---------------------------------------------------------------------------
// Byte counts.

TEST(GatewayConfigTest, ByteCountsAccepted) {
  absl::StatusOr<gateway::GatewayConfig> c = Parse(
      {"--max-image-bytes=1", "--max-chunk-bytes=1073741824", "--max-upstream-response-bytes=65536"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->max_image_bytes, 1);
  EXPECT_EQ(c->max_chunk_bytes, int64_t{1} << 30);
  EXPECT_EQ(c->max_upstream_response_bytes, 65536);
}

TEST(GatewayConfigTest, MaxImageBytesUpperBound) {
  absl::StatusOr<gateway::GatewayConfig> ok = Parse({"--max-image-bytes=4294967296"});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->max_image_bytes, int64_t{1} << 32);
  ExpectInvalid(Parse({"--max-image-bytes=4294967297"}), "--max-image-bytes");
  ExpectInvalid(Parse({"--max-chunk-bytes=1073741825"}), "--max-chunk-bytes");
}

TEST(GatewayConfigTest, BadByteCountsAreRejectedNamingTheFlag) {
  for (const char* flag : {"max-image-bytes", "max-chunk-bytes", "max-upstream-response-bytes"}) {
    for (const char* bad : {"0", "-5", "1k", "10MB", "1.5", "abc", "", "99999999999999999999999"}) {
      SCOPED_TRACE(std::string(flag) + "=" + bad);
      ExpectInvalid(Parse({std::string("--") + flag + "=" + bad}), std::string("--") + flag);
    }
  }
}

// ---------------------------------------------------------------------------
// Log level.

TEST(GatewayConfigTest, LogLevels) {
  for (const char* level : {"debug", "info", "warn", "error"}) {
    absl::StatusOr<gateway::GatewayConfig> c = Parse({std::string("--log-level=") + level});
    ASSERT_TRUE(c.ok()) << level << ": " << c.status();
    EXPECT_EQ(c->log_level, level);
  }
}

TEST(GatewayConfigTest, BadLogLevelIsRejectedNamingTheFlag) {
  for (const char* bad : {"verbose", "trace", "", "infox"}) {
    ExpectInvalid(Parse({std::string("--log-level=") + bad}), "--log-level");
  }
}

// ---------------------------------------------------------------------------
// Help and usage.

TEST(GatewayConfigTest, HelpSetsHelp) {
  for (const char* arg : {"--help", "-h"}) {
    absl::StatusOr<gateway::GatewayConfig> c = Parse({arg});
    ASSERT_TRUE(c.ok()) << arg << ": " << c.status();
    EXPECT_TRUE(c->help) << arg;
  }
}

TEST(GatewayConfigTest, HelpAlongsideOtherFlagsStillParsesThem) {
  absl::StatusOr<gateway::GatewayConfig> c = Parse({"--listen=a:1", "--help"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->help);
  EXPECT_EQ(c->listen, "a:1");
}

TEST(GatewayUsageTest, MentionsEveryFlagAndVariable) {
  const std::string usage = gateway::GatewayUsage();
  for (const FlagCase& f : kAllFlags) {
    EXPECT_THAT(usage, HasSubstr(std::string("--") + f.flag)) << f.flag;
    EXPECT_THAT(usage, HasSubstr(f.env)) << f.env;
  }
  EXPECT_THAT(usage, HasSubstr("--help"));
}

TEST(GatewayUsageTest, EveryDocumentedFlagIsAccepted) {
  // The table in the usage text and the parser agree: each listed flag parses
  // (with a value valid for any flag type where needed).
  for (const FlagCase& f : kAllFlags) {
    std::string value = "1";
    if (std::string(f.flag) == "log-level") value = "info";
    if (std::string(f.flag) == "backend") value = "local";
    if (std::string(f.flag) == "fallback") value = "local";
    absl::StatusOr<gateway::GatewayConfig> c = Parse({std::string("--") + f.flag, value});
    EXPECT_TRUE(c.ok()) << f.flag << ": " << c.status();
  }
}

TEST(GatewayUsageTest, MentionsDefaults) {
  const std::string usage = gateway::GatewayUsage();
  EXPECT_THAT(usage, HasSubstr("0.0.0.0:50051"));
  EXPECT_THAT(usage, HasSubstr("https://api.vision.glair.ai"));
  EXPECT_THAT(usage, HasSubstr("10485760"));
  EXPECT_THAT(usage, HasSubstr("25s"));
  EXPECT_THAT(usage, HasSubstr("0.0.0.0:9090"));
  EXPECT_THAT(usage, HasSubstr("30m"));
}

// A scratch cgroup directory holding memory.max.
std::string CgroupWith(const std::string& memory_max) {
  const std::string dir = ::testing::TempDir() + "/cgroup-" + std::to_string(std::hash<std::string>()(memory_max));
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/memory.max") << memory_max << "\n";
  return dir;
}

TEST(GatewayConfigCgroupTest, BufferedBytesFollowTheMemoryLimitUnlessSet) {
  // A 1 GiB pod: 40 % for image bytes, 20 % for gRPC's own buffers.
  auto limited = gateway::ParseGatewayConfig({}, gateway::EnvLookup(), CgroupWith("1073741824"));
  ASSERT_TRUE(limited.ok()) << limited.status();
  EXPECT_EQ(limited->memory_limit_bytes, 1073741824);
  EXPECT_EQ(limited->max_buffered_bytes, int64_t{1073741824} * 2 / 5);
  EXPECT_EQ(limited->grpc_memory_bytes, int64_t{1073741824} / 5);
  // An explicit setting wins.
  auto explicit_bytes =
      gateway::ParseGatewayConfig({"--max-buffered-bytes=1000000"}, gateway::EnvLookup(), CgroupWith("1073741824"));
  ASSERT_TRUE(explicit_bytes.ok());
  EXPECT_EQ(explicit_bytes->max_buffered_bytes, 1000000);
  // No limit ("max"), or no cgroup at all: the fixed default.
  for (const std::string& dir : {CgroupWith("max"), std::string("/nonexistent-cgroup")}) {
    auto unlimited = gateway::ParseGatewayConfig({}, gateway::EnvLookup(), dir);
    ASSERT_TRUE(unlimited.ok());
    EXPECT_EQ(unlimited->memory_limit_bytes, 0);
    EXPECT_EQ(unlimited->max_buffered_bytes, int64_t{512} << 20);
    EXPECT_EQ(unlimited->grpc_memory_bytes, 0);
  }
}

TEST(GatewayConfigTlsTest, CertificateKeyAndClientCaGoTogether) {
  EXPECT_FALSE(gateway::ParseGatewayConfig({"--tls-cert-file=/a.pem"}, gateway::EnvLookup()).ok());
  EXPECT_FALSE(gateway::ParseGatewayConfig({"--tls-key-file=/a.key"}, gateway::EnvLookup()).ok());
  EXPECT_FALSE(gateway::ParseGatewayConfig({"--tls-client-ca-file=/ca.pem"}, gateway::EnvLookup()).ok());
  auto mtls = gateway::ParseGatewayConfig(
      {"--tls-cert-file=/a.pem", "--tls-key-file=/a.key", "--tls-client-ca-file=/ca.pem", "--reflection=false"},
      gateway::EnvLookup());
  ASSERT_TRUE(mtls.ok()) << mtls.status();
  EXPECT_EQ(mtls->tls_client_ca_file, "/ca.pem");
  EXPECT_FALSE(mtls->reflection);
  EXPECT_FALSE(gateway::ParseGatewayConfig({"--reflection=maybe"}, gateway::EnvLookup()).ok());
}

TEST(GatewayConfigDocsTest, TheReadmeDocumentsEveryFlagAndItsVariable) {
  std::ifstream in(std::string(KTP_SOURCE_DIR) + "/README.md");
  std::stringstream readme;
  readme << in.rdbuf();
  const std::string usage = gateway::GatewayUsage();
  size_t flags = 0;
  for (size_t at = usage.find("  --"); at != std::string::npos; at = usage.find("\n  --", at + 1)) {
    const size_t start = usage.find("--", at);
    const size_t end = usage.find_first_of(" =\n", start);
    const std::string flag = usage.substr(start, end - start);
    if (flag == "--help") continue;
    ++flags;
    EXPECT_NE(readme.str().find("| `" + flag + "` |"), std::string::npos) << "'" << flag << "' (at " << at << ") is missing from README's table";
  }
  EXPECT_GT(flags, 40u);
}

}  // namespace
}  // namespace ktp::service
