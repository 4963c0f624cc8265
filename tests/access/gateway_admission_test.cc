// Admission: authentication, concurrency cap, tenant and global rate limits
// (the local GCRA limiter on a fake clock), bounded waiting on the timer queue,
// and the identity, response metadata and errors the caller gets.
#include "access/gateway_admission.h"

#include "absl/synchronization/notification.h"
#include "common/timer_queue.h"
#include "common/error_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "access/client_auth.h"
#include "access/local_rate_limiter.h"
#include "tests/support/fake_clock.h"

namespace ktp::access {
namespace {

using ::ktp::testing::FakeClock;

constexpr char kKey[] = "ktp_synthetic-admission-key-0000000000000000000";

std::shared_ptr<const access::AccessPolicy> MakePolicy(double tenant_rps, double tenant_burst, int max_concurrent = 0,
                                               double global_rps = 0, int max_wait_ms = 0) {
  std::string json = R"({"tenants":[{"name":"payments","credentialSet":"glair-a")";
  if (tenant_rps > 0) {
    json += R"(,"rateLimit":{"requestsPerSecond":)" + std::to_string(tenant_rps) + R"(,"burst":)" +
            std::to_string(tenant_burst) + "}";
  }
  json += R"(}],"clients":[{"id":"payments-api","tenant":"payments","apiKeySha256":")" + Sha256Hex(kKey) +
          R"("}],"globalLimits":{"maxConcurrentCalls":)" + std::to_string(max_concurrent);
  if (global_rps > 0) {
    json += R"(,"upstreamRateLimit":{"requestsPerSecond":)" + std::to_string(global_rps) + R"(,"burst":1})";
  }
  json += R"(,"overLimit":{"maxWait":")" + std::to_string(max_wait_ms / 1000.0) + R"(s"}}})";
  auto policy = access::AccessPolicy::Parse(json);
  EXPECT_TRUE(policy.ok()) << policy.status() << json;
  return *policy;
}

absl::StatusOr<service::CallerIdentity> Admit(access::GatewayAdmission& admission, absl::string_view authorization,
                                     absl::Time deadline = absl::InfiniteFuture()) {
  service::AdmissionRequest request;
  request.authorization = authorization;
  request.deadline = deadline;
  absl::Notification done;
  absl::StatusOr<service::CallerIdentity> out = absl::UnknownError("not run");
  admission.Admit(request, [&](absl::StatusOr<service::CallerIdentity> r) {
    out = std::move(r);
    done.Notify();
  });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  return out;
}

const std::string kBearer = std::string("Bearer ") + kKey;

TEST(GatewayAdmissionTest, AdmitsAKnownClientWithItsTenantAndCredentialSet) {
  access::AccessPolicyStore store(MakePolicy(0, 0));
  access::LocalRateLimiter limiter;
  access::GatewayAdmission admission(&store, &limiter, nullptr);
  auto identity = Admit(admission, kBearer);
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->client_id, "payments-api");
  EXPECT_EQ(identity->tenant, "payments");
  EXPECT_EQ(identity->credential_set, "glair-a");
  EXPECT_EQ(Admit(admission, "").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(GatewayAdmissionTest, TenantLimitRejectsWithQuotaFailureAndRetryInfo) {
  FakeClock clock;
  access::LocalRateLimiterOptions options;
  options.clock = &clock;
  access::LocalRateLimiter limiter(options);
  access::AccessPolicyStore store(MakePolicy(/*rps=*/2, /*burst=*/3));
  std::vector<std::string> outcomes;
  access::GatewayAdmission admission(&store, &limiter, nullptr,
                             [&](absl::string_view t, absl::string_view o) { outcomes.push_back(std::string(t) + ":" + std::string(o)); });
  for (int i = 0; i < 3; ++i) {
    auto identity = Admit(admission, kBearer);
    ASSERT_TRUE(identity.ok()) << i;
    EXPECT_THAT(identity->response_metadata,
                ::testing::Contains(std::pair<std::string, std::string>("x-ratelimit-limit", "2")));
  }
  auto rejected = Admit(admission, kBearer);
  ASSERT_EQ(rejected.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReason(rejected.status()), "RATE_LIMITED");
  auto quota = GetQuotaFailure(rejected.status());
  ASSERT_TRUE(quota.has_value());
  EXPECT_EQ(quota->violations(0).subject(), "tenant:payments");
  auto retry = GetRetryInfo(rejected.status());
  ASSERT_TRUE(retry.has_value());
  EXPECT_NEAR(retry->retry_delay().seconds() + retry->retry_delay().nanos() / 1e9, 0.5, 0.01);
  EXPECT_EQ(outcomes.back(), "payments:rejected");
  clock.Advance(absl::Milliseconds(500));  // one token back
  EXPECT_TRUE(Admit(admission, kBearer).ok());
}

TEST(GatewayAdmissionTest, GlobalUpstreamLimitAppliesAcrossTenants) {
  FakeClock clock;
  access::LocalRateLimiterOptions options;
  options.clock = &clock;
  access::LocalRateLimiter limiter(options);
  access::AccessPolicyStore store(MakePolicy(0, 0, 0, /*global_rps=*/1));
  access::GatewayAdmission admission(&store, &limiter, nullptr);
  EXPECT_TRUE(Admit(admission, kBearer).ok());
  auto rejected = Admit(admission, kBearer);
  ASSERT_EQ(rejected.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(GetQuotaFailure(rejected.status())->violations(0).subject(), "global");
}

TEST(GatewayAdmissionTest, ConcurrencyCapReleasesItsSlotWhenTheCallEnds) {
  access::AccessPolicyStore store(MakePolicy(0, 0, /*max_concurrent=*/2));
  access::GatewayAdmission admission(&store, nullptr, nullptr);
  auto a = Admit(admission, kBearer);
  auto b = Admit(admission, kBearer);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(admission.concurrent_calls(), 2);
  auto c = Admit(admission, kBearer);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  // Not the reason of the server's own --max-concurrent-calls cap.
  EXPECT_EQ(ErrorReason(c.status()), "POLICY_CONCURRENCY_LIMIT");
  EXPECT_TRUE(GetRetryInfo(c.status()).has_value());
  EXPECT_EQ(admission.concurrent_calls(), 2) << "a rejected call holds no slot";
  a = absl::UnknownError("call ended");  // drops the identity and its permit
  EXPECT_EQ(admission.concurrent_calls(), 1);
  EXPECT_TRUE(Admit(admission, kBearer).ok());
}

TEST(GatewayAdmissionTest, BoundedWaitAdmitsWithinMaxWaitInsteadOfRejecting) {
  access::LocalRateLimiter limiter;  // real clock: the timer queue runs in real time
  TimerQueue timers;
  access::AccessPolicyStore store(MakePolicy(/*rps=*/20, /*burst=*/1, 0, 0, /*max_wait_ms=*/500));
  std::vector<std::string> outcomes;
  std::mutex mu;
  access::GatewayAdmission admission(&store, &limiter, &timers, [&](absl::string_view, absl::string_view o) {
    std::lock_guard<std::mutex> lock(mu);
    outcomes.emplace_back(o);
  });
  ASSERT_TRUE(Admit(admission, kBearer).ok());
  const absl::Time start = absl::Now();
  auto waited = Admit(admission, kBearer);  // next token in ~50 ms
  EXPECT_TRUE(waited.ok()) << waited.status();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(30));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_THAT(outcomes, ::testing::Contains("waited"));
}

TEST(GatewayAdmissionTest, NoWaitPastTheCallsDeadline) {
  access::LocalRateLimiter limiter;
  TimerQueue timers;
  access::AccessPolicyStore store(MakePolicy(/*rps=*/1, /*burst=*/1, 0, 0, /*max_wait_ms=*/5000));
  access::GatewayAdmission admission(&store, &limiter, &timers);
  ASSERT_TRUE(Admit(admission, kBearer).ok());
  // The next token is ~1 s away but the call must finish within 100 ms: reject now.
  const absl::Time start = absl::Now();
  auto rejected = Admit(admission, kBearer, absl::Now() + absl::Milliseconds(100));
  EXPECT_EQ(rejected.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(100));
}

// Starts an admission without waiting for it.
struct Started {
  std::shared_ptr<service::PendingAdmission> pending;
  std::shared_ptr<absl::Notification> done = std::make_shared<absl::Notification>();
  std::shared_ptr<absl::StatusOr<service::CallerIdentity>> result =
      std::make_shared<absl::StatusOr<service::CallerIdentity>>(absl::UnknownError("not run"));
};
Started StartAdmit(access::GatewayAdmission& admission, absl::string_view authorization) {
  Started s;
  service::AdmissionRequest request;
  request.authorization = authorization;
  s.pending = admission.Admit(request, [done = s.done, result = s.result](absl::StatusOr<service::CallerIdentity> r) {
    *result = std::move(r);
    done->Notify();
  });
  return s;
}

TEST(GatewayAdmissionTest, ATenantsOwnCapLeavesOtherTenantsUnaffected) {
  const std::string json = std::string(R"({"tenants":[{"name":"busy","maxConcurrentCalls":2},{"name":"quiet"}],
      "clients":[{"id":"busy-api","tenant":"busy","apiKeySha256":")") + Sha256Hex(kKey) + R"("},
                 {"id":"quiet-api","tenant":"quiet","apiKeySha256":")" + Sha256Hex("ktp_quiet") + R"("}],
      "globalLimits":{"maxConcurrentCalls":10}})";
  auto policy = access::AccessPolicy::Parse(json);
  ASSERT_TRUE(policy.ok()) << policy.status();
  access::AccessPolicyStore store(*policy);
  access::GatewayAdmission admission(&store, nullptr, nullptr);
  auto a = Admit(admission, kBearer);
  auto b = Admit(admission, kBearer);
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = Admit(admission, kBearer);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReason(c.status()), "TENANT_CONCURRENCY_LIMIT");
  ASSERT_TRUE(GetQuotaFailure(c.status()).has_value());
  EXPECT_EQ(GetQuotaFailure(c.status())->violations(0).subject(), "tenant:busy");
  EXPECT_EQ(admission.tenant_calls("busy"), 2) << "a refused call holds no slot";
  EXPECT_EQ(admission.concurrent_calls(), 2) << "nor a global one";
  // Another tenant still gets in.
  auto quiet = Admit(admission, "Bearer ktp_quiet");
  ASSERT_TRUE(quiet.ok()) << quiet.status();
  // A busy call ends: its tenant has room again.
  a = absl::CancelledError("done");
  EXPECT_EQ(admission.tenant_calls("busy"), 1);
  EXPECT_TRUE(Admit(admission, kBearer).ok());
}

TEST(GatewayAdmissionTest, ACancelledWaitAnswersAtOnceAndGivesItsSlotBack) {
  access::LocalRateLimiter limiter;
  TimerQueue timers;
  // One call per 5 s, a concurrency cap, and waits of up to 10 s.
  access::AccessPolicyStore store(MakePolicy(/*rps=*/0.2, /*burst=*/1, /*max_concurrent=*/5, 0, /*max_wait_ms=*/10000));
  access::GatewayAdmission admission(&store, &limiter, &timers);
  auto first = Admit(admission, kBearer);
  ASSERT_TRUE(first.ok());
  Started waiting = StartAdmit(admission, kBearer);  // waits ~5 s for budget
  ASSERT_NE(waiting.pending, nullptr);
  EXPECT_FALSE(waiting.done->WaitForNotificationWithTimeout(absl::Milliseconds(50)));
  EXPECT_EQ(admission.concurrent_calls(), 2);
  EXPECT_EQ(timers.pending(), 1u);

  const absl::Time start = absl::Now();
  waiting.pending->Cancel();  // the client went away
  ASSERT_TRUE(waiting.done->WaitForNotificationWithTimeout(absl::Seconds(1)));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  EXPECT_EQ(waiting.result->status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(admission.concurrent_calls(), 1) << "the cancelled call's slot is back at once";
  EXPECT_EQ(timers.pending(), 0u) << "its wait is gone from the timer queue";
  waiting.pending->Cancel();  // idempotent: answered once
}

TEST(GatewayAdmissionTest, WaitsPendingAtShutdownAreToldTheGatewayIsStopping) {
  access::LocalRateLimiter limiter;
  access::AccessPolicyStore store(MakePolicy(/*rps=*/0.2, /*burst=*/1, /*max_concurrent=*/5, 0, /*max_wait_ms=*/10000));
  Started waiting;
  {
    TimerQueue timers;
    access::GatewayAdmission admission(&store, &limiter, &timers);
    ASSERT_TRUE(Admit(admission, kBearer).ok());
    waiting = StartAdmit(admission, kBearer);
    ASSERT_FALSE(waiting.done->HasBeenNotified());
  }  // the timer queue shuts down with the wait pending
  ASSERT_TRUE(waiting.done->HasBeenNotified());
  EXPECT_EQ(waiting.result->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReason(waiting.result->status()), "GATEWAY_SHUTTING_DOWN");
}

}  // namespace
}  // namespace ktp::access
