// LocalRateLimiter (GCRA) against a FakeClock: burst then reject, refill at the
// rate, exact retry_after, independent keys, the key bound, no over-admission
// under concurrency; plus RateLimitedError and the bounded-wait policy
// (WaitWithinDeadline; the waits themselves are GatewayAdmission's, tested there).
#include "access/local_rate_limiter.h"

#include <atomic>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/error_details.h"
#include "common/timer_queue.h"
#include "gtest/gtest.h"
#include "tests/support/fake_clock.h"

namespace ktp::access {
namespace {

using ::ktp::testing::FakeClock;

class LocalRateLimiterTest : public ::testing::Test {
 protected:
  LocalRateLimiterTest() : limiter_(access::LocalRateLimiterOptions{&clock_, 10000, nullptr}) {}

  FakeClock clock_;
  access::LocalRateLimiter limiter_;
};

TEST_F(LocalRateLimiterTest, BurstThenReject) {
  const access::RateLimit limit{10, 5};
  for (int i = 0; i < 5; ++i) {
    access::LimitDecision d = limiter_.DecideNow("tenant:a", limit);
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, 4 - i);
    EXPECT_EQ(d.retry_after, absl::ZeroDuration());
    EXPECT_EQ(d.limit, 10);
    EXPECT_EQ(d.burst, 5);
    EXPECT_EQ(d.source, access::DecisionSource::kLocal);
  }
  access::LimitDecision d = limiter_.DecideNow("tenant:a", limit);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
  EXPECT_EQ(d.retry_after, absl::Milliseconds(100));
}

TEST_F(LocalRateLimiterTest, RefillsAtTheRateUpToTheBurst) {
  const access::RateLimit limit{10, 5};
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(limiter_.DecideNow("k", limit).allowed);
  // One call per 100 ms, steadily.
  for (int step = 0; step < 20; ++step) {
    clock_.Advance(absl::Milliseconds(100));
    EXPECT_TRUE(limiter_.DecideNow("k", limit).allowed) << step;
    EXPECT_FALSE(limiter_.DecideNow("k", limit).allowed) << step;
  }
  // A long idle period refills only up to the burst.
  clock_.Advance(absl::Seconds(60));
  int allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += limiter_.DecideNow("k", limit).allowed ? 1 : 0;
  EXPECT_EQ(allowed, 5);
}

TEST_F(LocalRateLimiterTest, RetryAfterIsExact) {
  const access::RateLimit limit{3, 1};  // interval 333,333,334 ns (rounded up)
  ASSERT_TRUE(limiter_.DecideNow("k", limit).allowed);
  access::LimitDecision d = limiter_.DecideNow("k", limit);
  ASSERT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, absl::Nanoseconds(333333334));
  clock_.Advance(d.retry_after - absl::Nanoseconds(1));
  d = limiter_.DecideNow("k", limit);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, absl::Nanoseconds(1));
  clock_.Advance(absl::Nanoseconds(1));
  EXPECT_TRUE(limiter_.DecideNow("k", limit).allowed);
}

TEST_F(LocalRateLimiterTest, RejectionsDoNotConsume) {
  const access::RateLimit limit{10, 1};
  ASSERT_TRUE(limiter_.DecideNow("k", limit).allowed);
  for (int i = 0; i < 100; ++i) ASSERT_FALSE(limiter_.DecideNow("k", limit).allowed);
  clock_.Advance(absl::Milliseconds(100));
  EXPECT_TRUE(limiter_.DecideNow("k", limit).allowed);
}

TEST_F(LocalRateLimiterTest, KeysAreIndependent) {
  const access::RateLimit limit{1, 2};
  ASSERT_TRUE(limiter_.DecideNow("tenant:a", limit).allowed);
  ASSERT_TRUE(limiter_.DecideNow("tenant:a", limit).allowed);
  ASSERT_FALSE(limiter_.DecideNow("tenant:a", limit).allowed);
  EXPECT_TRUE(limiter_.DecideNow("tenant:b", limit).allowed);
  EXPECT_TRUE(limiter_.DecideNow("global", limit).allowed);
  EXPECT_EQ(limiter_.key_count(), 3u);
}

TEST_F(LocalRateLimiterTest, OddLimits) {
  // Burst below 1 acts as 1.
  EXPECT_TRUE(limiter_.DecideNow("a", {1, 0.2}).allowed);
  EXPECT_FALSE(limiter_.DecideNow("a", {1, 0.2}).allowed);
  // A zero or NaN rate rejects for ever.
  access::LimitDecision d = limiter_.DecideNow("b", {0, 10});
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, absl::InfiniteDuration());
  EXPECT_FALSE(limiter_.DecideNow("c", {std::nan(""), 10}).allowed);
  // Fractional rates work: 0.5/s is one call per 2 s.
  ASSERT_TRUE(limiter_.DecideNow("d", {0.5, 1}).allowed);
  EXPECT_EQ(limiter_.DecideNow("d", {0.5, 1}).retry_after, absl::Seconds(2));
}

TEST_F(LocalRateLimiterTest, AsyncDecideRunsInlineAndReportsOutcome) {
  std::vector<std::string> outcomes;
  access::LocalRateLimiter limiter(access::LocalRateLimiterOptions{
      &clock_, 100, [&](absl::string_view key, absl::string_view outcome) {
        outcomes.push_back(absl::StrCat(key, "=", outcome));
      }});
  bool called = false;
  limiter.Decide("t", {1, 1}, [&](access::LimitDecision d) {
    called = true;
    EXPECT_TRUE(d.allowed);
  });
  EXPECT_TRUE(called);
  limiter.Decide("t", {1, 1}, [](access::LimitDecision d) { EXPECT_FALSE(d.allowed); });
  EXPECT_EQ(outcomes, (std::vector<std::string>{"t=allowed", "t=rejected"}));
}

TEST_F(LocalRateLimiterTest, KeyTableIsBounded) {
  access::LocalRateLimiter limiter(access::LocalRateLimiterOptions{&clock_, 32, nullptr});  // 2 per shard
  const access::RateLimit limit{1, 1};
  // Busy keys (bucket not yet full again) are kept; beyond the bound new keys
  // share one overflow bucket, so exactly one of them is admitted.
  int admitted = 0;
  for (int i = 0; i < 1000; ++i) {
    admitted += limiter.DecideNow(absl::StrCat("busy", i), limit).allowed ? 1 : 0;
  }
  EXPECT_EQ(limiter.key_count(), 32u);
  EXPECT_EQ(admitted, 32 + 1);
  // Once their buckets are full again, keys are forgotten to make room.
  clock_.Advance(absl::Seconds(2));
  admitted = 0;
  for (int i = 0; i < 1000; ++i) {
    admitted += limiter.DecideNow(absl::StrCat("later", i), limit).allowed ? 1 : 0;
  }
  EXPECT_EQ(limiter.key_count(), 32u);
  EXPECT_EQ(admitted, 32 + 1);
}

TEST_F(LocalRateLimiterTest, ConcurrentCallersAtOneInstantGetExactlyTheBurst) {
  constexpr int kThreads = 4;
  const access::RateLimit limit{100, 50};
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        if (limiter_.DecideNow("global", limit).allowed) ++admitted;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(admitted.load(), 50);
}

TEST_F(LocalRateLimiterTest, ConcurrentCallersNeverOverAdmitAsTimePasses) {
  constexpr int kThreads = 4;
  const access::RateLimit limit{1000, 20};
  std::atomic<int> admitted{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        if (limiter_.DecideNow("global", limit).allowed) ++admitted;
      }
    });
  }
  // 1 s of fake time in 10 ms steps while the threads hammer; after each step
  // the running total must respect burst + rate * elapsed.
  for (int step = 1; step <= 100; ++step) {
    clock_.Advance(absl::Milliseconds(10));
    absl::SleepFor(absl::Microseconds(200));
    EXPECT_LE(admitted.load(), 20 + 10 * step) << step;
  }
  stop = true;
  for (auto& th : threads) th.join();
  EXPECT_LE(admitted.load(), 20 + 1000 * 1);
  EXPECT_GT(admitted.load(), 20);
}

// --- RateLimitedError -------------------------------------------------------

TEST(RateLimitedErrorTest, QuotaRejectionCarriesAllDetails) {
  access::LimitDecision d;
  d.allowed = false;
  d.retry_after = absl::Milliseconds(250);
  d.remaining = 0;
  d.limit = 2.5;
  d.burst = 10;
  absl::Status status = access::RateLimitedError(d, "tenant:acme", "tenant request rate");
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  auto info = GetErrorInfo(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "RATE_LIMITED");
  EXPECT_EQ(info->domain(), "ktp-gateway");
  EXPECT_EQ(info->metadata().at("limitPerSecond"), "2.5");
  EXPECT_EQ(info->metadata().at("burst"), "10");
  EXPECT_EQ(info->metadata().at("remaining"), "0");
  auto quota = GetQuotaFailure(status);
  ASSERT_TRUE(quota.has_value());
  ASSERT_EQ(quota->violations_size(), 1);
  EXPECT_EQ(quota->violations(0).subject(), "tenant:acme");
  EXPECT_EQ(quota->violations(0).description(), "tenant request rate");
  auto retry = GetRetryInfo(status);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->retry_delay().seconds(), 0);
  EXPECT_EQ(retry->retry_delay().nanos(), 250000000);
}

TEST(RateLimitedErrorTest, FailClosedIsUnavailable) {
  access::LimitDecision d;
  d.retry_after = absl::Seconds(1);
  d.source = access::DecisionSource::kFailClosed;
  absl::Status status = access::RateLimitedError(d, "global", "gateway request rate");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReason(status), "RATE_LIMITER_UNAVAILABLE");
  EXPECT_TRUE(GetRetryInfo(status).has_value());
  EXPECT_FALSE(GetQuotaFailure(status).has_value());
}

TEST(RateLimitedErrorTest, InfiniteRetryAfterHasNoRetryInfo) {
  access::LimitDecision d;
  d.retry_after = absl::InfiniteDuration();
  absl::Status status = access::RateLimitedError(d, "tenant:x", "disabled");
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(GetRetryInfo(status).has_value());
}

// --- Bounded waits ----------------------------------------------------------

TEST(WaitWithinDeadlineTest, Policy) {
  const absl::Time now = absl::FromUnixSeconds(1000);
  access::LimitDecision rejected;
  rejected.retry_after = absl::Milliseconds(100);
  const absl::Time far = now + absl::Seconds(10);
  EXPECT_TRUE(access::WaitWithinDeadline(rejected, absl::Milliseconds(100), now, far));
  EXPECT_FALSE(access::WaitWithinDeadline(rejected, absl::Milliseconds(99), now, far));
  EXPECT_FALSE(access::WaitWithinDeadline(rejected, absl::ZeroDuration(), now, far));
  EXPECT_FALSE(access::WaitWithinDeadline(rejected, absl::Seconds(1), now, now + absl::Milliseconds(50)));
  EXPECT_TRUE(access::WaitWithinDeadline(rejected, absl::Seconds(1), now, absl::InfiniteFuture()));
  access::LimitDecision allowed;
  allowed.allowed = true;
  EXPECT_FALSE(access::WaitWithinDeadline(allowed, absl::Seconds(1), now, far));
  access::LimitDecision closed = rejected;
  closed.source = access::DecisionSource::kFailClosed;
  EXPECT_FALSE(access::WaitWithinDeadline(closed, absl::Seconds(1), now, far));
}

}  // namespace
}  // namespace ktp::access
