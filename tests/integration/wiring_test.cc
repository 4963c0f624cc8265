// The composition root's wiring, seen from outside: a gateway built by
// Gateway::Build (as main builds it) with real credential files, a real policy
// file, a Redis address and a scripted upstream; each event that should move a
// documented metric family is caused through the running gateway and the
// family is read back from its /metrics endpoint over HTTP. No test here calls
// GatewayMetrics directly: a hook main forgot to wire fails one of them.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_harness.h"
#include "tests/support/redis_server.h"

namespace ktp::testing {
namespace {

grpc::Status ReadSample(GatewayHarness& h) {
  UploadSpec spec;
  spec.image = ReadRepoFile("samples/ktp-synthetic.png");
  spec.metadata.set_file_name("ktp.png");
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::ReadResponse response;
  return UploadRead(h.stub(), context, spec, &response);
}

ScriptedResponse Unavailable() {
  ScriptedResponse r;
  r.status = 503;
  r.body = R"({"status":"FAILED","reason":"maintenance"})";
  return r;
}

TEST(WiringTest, CredentialRotationMovesReloadsAndGeneration) {
  TempDir credentials;
  credentials.Write("username", "test-user");
  credentials.Write("password", "test-pass");
  credentials.Write("api_key", "test-api-key");
  HarnessOptions options;
  options.config.credentials_dir = credentials.path();
  GatewayHarness h(options);
  ASSERT_NE(h.gateway().vault(), nullptr);

  // The initial load is a reload too.
  EXPECT_EQ(WaitForSeries(h, R"(ktp_gateway_credential_reloads_total{result="success"})", 1), 1);
  EXPECT_EQ(WaitForSeries(h, R"(ktp_gateway_credential_generation{set="default"})", 1), 1);
  EXPECT_TRUE(ReadSample(h).ok());

  // A rotation (same user, new key the fake does not know yet) is a new generation.
  credentials.Write("api_key", "rotated-key");
  EXPECT_EQ(WaitForSeries(h, R"(ktp_gateway_credential_generation{set="default"})", 2), 2);
  EXPECT_EQ(WaitForSeries(h, R"(ktp_gateway_credential_reloads_total{result="success"})", 2), 2);

  // A broken rotation (an empty key) is a failed reload; the last good set stays.
  credentials.Write("api_key", "");
  EXPECT_GE(WaitForSeries(h, R"(ktp_gateway_credential_reloads_total{result="failure"})", 1), 1);
  EXPECT_EQ(SeriesValue(h.ScrapeMetrics(), R"(ktp_gateway_credential_generation{set="default"})"), 2);
}

TEST(WiringTest, PolicyReloadsAreCounted) {
  TempDir dir;
  dir.Write("policy.json", R"({"tenants":[{"name":"team-a"}],
                               "auth":{"allowAnonymous":true,"anonymousTenant":"team-a"}})");
  HarnessOptions options;
  options.config.allow_anonymous = false;
  options.config.config_file = dir.path() + "/policy.json";
  options.config.config_reload_interval = absl::Milliseconds(50);
  GatewayHarness h(options);
  EXPECT_TRUE(ReadSample(h).ok());
  EXPECT_EQ(SeriesValue(h.ScrapeMetrics(), R"(ktp_gateway_policy_reloads_total{result="success"})"), 0);

  dir.Write("policy.json", R"({"tenants":[{"name":"team-a"},{"name":"team-b"}],
                               "auth":{"allowAnonymous":true,"anonymousTenant":"team-b"}})");
  EXPECT_EQ(WaitForSeries(h, R"(ktp_gateway_policy_reloads_total{result="success"})", 1), 1);
  // The tenant the new version added has its rate-limit series.
  EXPECT_EQ(SeriesValue(h.ScrapeMetrics(), R"(ktp_gateway_rate_limit_decisions_total{outcome="allowed",tenant="team-b"})"), 0);
  dir.Write("policy.json", "{not json");
  EXPECT_EQ(WaitForSeries(h, R"(ktp_gateway_policy_reloads_total{result="failure"})", 1), 1);
  EXPECT_TRUE(ReadSample(h).ok());  // the last good policy still serves
}

// A tenant with a rate limit, anonymous callers mapped to it, and Redis at an
// address where nothing listens.
class RedisDownTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RedisDownTest, EachFailurePolicyIsCountedAsWhatItDid) {
  TempDir dir;
  dir.Write("policy.json", R"({"tenants":[{"name":"team-a","rateLimit":{"requestsPerSecond":100,"burst":100}}],
                               "auth":{"allowAnonymous":true,"anonymousTenant":"team-a"}})");
  HarnessOptions options;
  options.config.allow_anonymous = false;
  options.config.config_file = dir.path() + "/policy.json";
  options.config.redis_url = "redis://127.0.0.1:1";
  options.config.redis_timeout = absl::Milliseconds(50);
  options.config.redis_failure_policy = GetParam();
  GatewayHarness h(options);
  const grpc::Status status = ReadSample(h);
  const std::string outcome = GetParam() == "local_fallback" ? "allowed" : GetParam();
  if (GetParam() == "fail_closed") {
    ASSERT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
    ASSERT_TRUE(ErrorInfoOf(status).has_value());
    EXPECT_EQ(ErrorInfoOf(status)->reason(), "RATE_LIMITER_UNAVAILABLE");
  } else {
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  const std::string exposition = h.ScrapeMetrics();
  EXPECT_EQ(SeriesValue(exposition, absl::StrCat(R"(ktp_gateway_rate_limit_decisions_total{outcome=")", outcome,
                                                 R"(",tenant="team-a"})")),
            1)
      << exposition;
}

INSTANTIATE_TEST_SUITE_P(Policies, RedisDownTest, ::testing::Values("fail_open", "fail_closed", "local_fallback"));

TEST(WiringTest, TheRedisPasswordComesFromItsFile) {
  auto redis = RedisServer::Start("s3cret-redis-password");
  ASSERT_TRUE(redis.ok()) << redis.status();
  TempDir dir;
  dir.Write("policy.json", R"({"tenants":[{"name":"team-a","rateLimit":{"requestsPerSecond":100,"burst":100}}],
                               "auth":{"allowAnonymous":true,"anonymousTenant":"team-a"}})");
  dir.Write("redis-password", "s3cret-redis-password\n");
  HarnessOptions options;
  options.config.allow_anonymous = false;
  options.config.config_file = dir.path() + "/policy.json";
  options.config.redis_url = "redis://127.0.0.1:" + std::to_string((*redis)->port());
  options.config.redis_timeout = absl::Milliseconds(500);
  options.config.redis_failure_policy = "fail_closed";  // a refused AUTH would fail the call
  {
    GatewayHarness without(options);
    const grpc::Status refused = ReadSample(without);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
  }
  options.config.redis_password_file = dir.path() + "/redis-password";
  GatewayHarness with(options);
  const grpc::Status ok = ReadSample(with);
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(SeriesValue(with.ScrapeMetrics(), R"(ktp_gateway_rate_limit_decisions_total{outcome="allowed",tenant="team-a"})"), 1);
}

TEST(WiringTest, RateLimitRejectionIsCounted) {
  TempDir dir;
  dir.Write("policy.json", R"({"tenants":[{"name":"team-a","rateLimit":{"requestsPerSecond":0.01,"burst":1}}],
                               "auth":{"allowAnonymous":true,"anonymousTenant":"team-a"}})");
  HarnessOptions options;
  options.config.allow_anonymous = false;
  options.config.config_file = dir.path() + "/policy.json";
  GatewayHarness h(options);
  EXPECT_TRUE(ReadSample(h).ok());
  const grpc::Status refused = ReadSample(h);
  ASSERT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  const std::string exposition = h.ScrapeMetrics();
  EXPECT_EQ(SeriesValue(exposition, R"(ktp_gateway_rate_limit_decisions_total{outcome="allowed",tenant="team-a"})"), 1);
  EXPECT_EQ(SeriesValue(exposition, R"(ktp_gateway_rate_limit_decisions_total{outcome="rejected",tenant="team-a"})"), 1);
  EXPECT_EQ(SeriesValue(exposition, R"(grpc_server_handled_total{grpc_code="RESOURCE_EXHAUSTED",grpc_method="Read",grpc_service="ktp.v1.KtpOcr",grpc_type="client_stream"})"),
            1);
}

TEST(WiringTest, UnauthenticatedCallsAreCountedByCode) {
  TempDir dir;
  dir.Write("policy.json", R"({"tenants":[{"name":"team-a"}]})");
  HarnessOptions options;
  options.config.allow_anonymous = false;
  options.config.config_file = dir.path() + "/policy.json";
  GatewayHarness h(options);
  EXPECT_EQ(ReadSample(h).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(SeriesValue(h.ScrapeMetrics(), R"(grpc_server_handled_total{grpc_code="UNAUTHENTICATED",grpc_method="Read",grpc_service="ktp.v1.KtpOcr",grpc_type="client_stream"})"),
            1);
}

TEST(WiringTest, BreakerStateIsExported) {
  HarnessOptions options;
  options.config.breaker_consecutive_failures = 2;
  options.config.breaker_open_interval = absl::Seconds(30);
  GatewayHarness h(options);
  EXPECT_EQ(SeriesValue(h.ScrapeMetrics(), R"(ktp_gateway_circuit_breaker_state{endpoint="read"})"), 0);
  h.fake().Enqueue(Unavailable());
  h.fake().Enqueue(Unavailable());
  EXPECT_EQ(ReadSample(h).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ReadSample(h).error_code(), grpc::StatusCode::UNAVAILABLE);
  // Open: the third call fails fast without reaching the upstream.
  const grpc::Status fast = ReadSample(h);
  ASSERT_TRUE(ErrorInfoOf(fast).has_value());
  EXPECT_EQ(ErrorInfoOf(fast)->reason(), "UPSTREAM_CIRCUIT_OPEN");
  const std::string exposition = h.ScrapeMetrics();
  EXPECT_EQ(SeriesValue(exposition, R"(ktp_gateway_circuit_breaker_state{endpoint="read"})"), 1);
  EXPECT_EQ(SeriesValue(exposition, R"(ktp_gateway_circuit_breaker_state{endpoint="read_with_qualities"})"), 0);
}

TEST(WiringTest, LocalFallbackIsCountedByReason) {
  HarnessOptions options;
  options.config.fallback = "local";
  options.config.local_workers = 1;
  GatewayHarness h(options);
  h.fake().Enqueue(Unavailable());
  const grpc::Status status = ReadSample(h);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(SeriesValue(h.ScrapeMetrics(), R"(ktp_gateway_local_fallbacks_total{reason="UPSTREAM_UNAVAILABLE"})"),
            1);
}

}  // namespace
}  // namespace ktp::testing
