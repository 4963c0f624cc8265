// RedisRateLimiter against a real redis-server child process: the GCRA math,
// key expiry, NOSCRIPT recovery, the failure policies when Redis is killed or
// hangs (answers come back within the command timeout), the local fallback and
// the return to Redis after a restart, and pipelined throughput from many
// threads without over-admission.
#include "access/redis_rate_limiter.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/redis_server.h"

namespace ktp::access {
namespace {

using ::ktp::testing::RedisServer;

// "Answered promptly, not hanging": generous for a loaded 2-core CI machine;
// the command timeout is 50 ms and a killed Redis fails at once.
const absl::Duration kPrompt = absl::Milliseconds(500);

// Decides and waits (tests only), returning how long the answer took.
access::LimitDecision DecideSync(access::RateLimiter& limiter, absl::string_view key, const access::RateLimit& limit,
                         absl::Duration* took = nullptr) {
  absl::Notification done;
  access::LimitDecision result;
  const absl::Time start = absl::Now();
  limiter.Decide(key, limit, [&](access::LimitDecision d) {
    result = d;
    done.Notify();
  });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(5))) << "decision never came";
  if (took != nullptr) *took = absl::Now() - start;
  return result;
}

bool WaitConnected(const access::RedisRateLimiter& limiter, absl::Duration timeout) {
  const absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    if (limiter.connected()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return limiter.connected();
}

class RedisRateLimiterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  void TearDown() override { server_.reset(); }

  access::RedisRateLimiterOptions Options(access::RedisFailurePolicy policy = access::RedisFailurePolicy::kLocalFallback) {
    access::RedisRateLimiterOptions options;
    options.host = "127.0.0.1";
    options.port = server_->port();
    options.failure_policy = policy;
    options.command_timeout = absl::Milliseconds(50);
    options.reconnect_backoff_initial = absl::Milliseconds(20);
    options.reconnect_backoff_max = absl::Milliseconds(200);
    return options;
  }

  std::unique_ptr<RedisServer> server_;
};

TEST_F(RedisRateLimiterTest, DecisionsFollowGcraInRedisTime) {
  access::RedisRateLimiter limiter(Options());
  ASSERT_TRUE(limiter.connected());
  const access::RateLimit slow{1, 5};  // slow enough that test time does not refill it
  for (int i = 0; i < 5; ++i) {
    access::LimitDecision d = DecideSync(limiter, "tenant:a", slow);
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.source, access::DecisionSource::kRedis);
    EXPECT_EQ(d.remaining, 4 - i);
    EXPECT_EQ(d.limit, 1);
    EXPECT_EQ(d.burst, 5);
  }
  access::LimitDecision d = DecideSync(limiter, "tenant:a", slow);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
  // 1 s minus the time the six round trips took.
  EXPECT_GT(d.retry_after, absl::Milliseconds(500));
  EXPECT_LE(d.retry_after, absl::Seconds(1));
  // Another key is independent.
  EXPECT_TRUE(DecideSync(limiter, "tenant:b", slow).allowed);

  // retry_after is when the next call fits: wait it out and it does.
  const access::RateLimit fast{5, 1};  // one per 200 ms
  ASSERT_TRUE(DecideSync(limiter, "tenant:c", fast).allowed);
  d = DecideSync(limiter, "tenant:c", fast);
  ASSERT_FALSE(d.allowed);
  EXPECT_GT(d.retry_after, absl::ZeroDuration());
  EXPECT_LE(d.retry_after, absl::Milliseconds(200));
  absl::SleepFor(d.retry_after + absl::Milliseconds(2));
  EXPECT_TRUE(DecideSync(limiter, "tenant:c", fast).allowed);

  // The TAT key carries a TTL (until the bucket is full again: 200 ms, +1 ms
  // rounding) and then disappears.
  auto ttl = server_->Command("PTTL ktp:rl:tenant:c");
  ASSERT_TRUE(ttl.ok());
  const int ttl_ms = std::atoi(ttl->c_str() + 1);
  EXPECT_GT(ttl_ms, 0);
  EXPECT_LE(ttl_ms, 201);
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(*server_->Command("EXISTS ktp:rl:tenant:c"), ":0");

  const access::RedisRateLimiterStats stats = limiter.stats();
  EXPECT_EQ(stats.redis, 10u);
  EXPECT_EQ(stats.fallback + stats.fail_open + stats.fail_closed, 0u);
  EXPECT_EQ(stats.script_loads, 1u);
}

TEST_F(RedisRateLimiterTest, ZeroRateRejectsWithoutAskingRedis) {
  access::RedisRateLimiter limiter(Options());
  access::LimitDecision d = DecideSync(limiter, "off", {0, 5});
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, absl::InfiniteDuration());
  EXPECT_EQ(limiter.stats().redis, 0u);
}

TEST_F(RedisRateLimiterTest, RecoversFromNoScript) {
  access::RedisRateLimiter limiter(Options());
  ASSERT_TRUE(DecideSync(limiter, "k", {1, 10}).allowed);
  // Another connection empties the script cache (as a failover or restart
  // of a cache-less replica would).
  ASSERT_EQ(*server_->Command("SCRIPT FLUSH"), "+OK");
  access::LimitDecision d = DecideSync(limiter, "k", {1, 10});
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.source, access::DecisionSource::kRedis);
  EXPECT_EQ(d.remaining, 8);  // the state survived; only the script was gone
  const access::RedisRateLimiterStats stats = limiter.stats();
  EXPECT_EQ(stats.script_loads, 2u);
  EXPECT_EQ(stats.redis, 2u);
  EXPECT_EQ(stats.connects, 1u);
}

TEST_F(RedisRateLimiterTest, FailOpenWhenRedisIsKilled) {
  absl::Mutex mu;
  std::vector<std::string> outcomes;
  access::RedisRateLimiterOptions options = Options(access::RedisFailurePolicy::kFailOpen);
  options.on_decision = [&](absl::string_view key, absl::string_view outcome) {
    absl::MutexLock lock(&mu);
    outcomes.push_back(absl::StrCat(key, "=", outcome));
  };
  access::RedisRateLimiter limiter(options);
  const access::RateLimit limit{1, 1};
  ASSERT_TRUE(DecideSync(limiter, "t", limit).allowed);
  ASSERT_FALSE(DecideSync(limiter, "t", limit).allowed);
  server_->Kill();
  for (int i = 0; i < 5; ++i) {
    absl::Duration took;
    access::LimitDecision d = DecideSync(limiter, "t", limit, &took);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.source, access::DecisionSource::kFailOpen);
    EXPECT_LT(took, kPrompt);
  }
  EXPECT_EQ(limiter.stats().fail_open, 5u);
  absl::MutexLock lock(&mu);
  ASSERT_EQ(outcomes.size(), 7u);
  EXPECT_EQ(outcomes[0], "t=allowed");
  EXPECT_EQ(outcomes[1], "t=rejected");
  EXPECT_EQ(outcomes[6], "t=fail_open");
}

TEST_F(RedisRateLimiterTest, FailClosedWhenRedisIsKilled) {
  access::RedisRateLimiter limiter(Options(access::RedisFailurePolicy::kFailClosed));
  ASSERT_TRUE(DecideSync(limiter, "t", {100, 100}).allowed);
  server_->Kill();
  for (int i = 0; i < 5; ++i) {
    absl::Duration took;
    access::LimitDecision d = DecideSync(limiter, "t", {100, 100}, &took);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.source, access::DecisionSource::kFailClosed);
    EXPECT_EQ(d.retry_after, absl::Seconds(1));
    EXPECT_LT(took, kPrompt);
  }
  EXPECT_EQ(limiter.stats().fail_closed, 5u);
  EXPECT_FALSE(limiter.connected());
}

TEST_F(RedisRateLimiterTest, HungRedisTimesOutIntoThePolicy) {
  access::RedisRateLimiter limiter(Options(access::RedisFailurePolicy::kFailClosed));
  ASSERT_TRUE(DecideSync(limiter, "t", {100, 100}).allowed);
  server_->Pause();  // accepts bytes, never answers
  absl::Duration took;
  access::LimitDecision d = DecideSync(limiter, "t", {100, 100}, &took);
  EXPECT_EQ(d.source, access::DecisionSource::kFailClosed);
  EXPECT_GE(took, absl::Milliseconds(40));  // it did wait for the command timeout...
  EXPECT_LT(took, kPrompt);                  // ...and not much longer
  // While down, answers are immediate: not queued behind the worker's
  // reconnect attempts (each of which waits out the command timeout here).
  std::vector<absl::Duration> times;
  for (int i = 0; i < 21; ++i) {
    DecideSync(limiter, "t", {100, 100}, &took);
    times.push_back(took);
    absl::SleepFor(absl::Milliseconds(10));
  }
  std::sort(times.begin(), times.end());
  EXPECT_LT(times[10], absl::Milliseconds(10));  // the median
  EXPECT_LT(times.back(), kPrompt);
  server_->Resume();
  ASSERT_TRUE(WaitConnected(limiter, absl::Seconds(3)));
  EXPECT_EQ(DecideSync(limiter, "t", {100, 100}).source, access::DecisionSource::kRedis);
}

TEST_F(RedisRateLimiterTest, LocalFallbackLimitsThenRedisReturnsAfterRestart) {
  access::RedisRateLimiterOptions options = Options(access::RedisFailurePolicy::kLocalFallback);
  options.expected_replicas = 2;
  access::RedisRateLimiter limiter(options);
  const access::RateLimit limit{2, 10};  // fallback share: 1/s, burst 5
  ASSERT_EQ(DecideSync(limiter, "t", limit).source, access::DecisionSource::kRedis);

  server_->Kill();
  int allowed = 0;
  for (int i = 0; i < 20; ++i) {
    absl::Duration took;
    access::LimitDecision d = DecideSync(limiter, "t", limit, &took);
    EXPECT_LT(took, kPrompt);
    if (i > 0) {
      EXPECT_EQ(d.source, access::DecisionSource::kFallback) << i;
    }
    allowed += d.allowed ? 1 : 0;
  }
  // The first decision may race the worker noticing the dead socket; either
  // way the fallback admits its burst of 5 and nothing more.
  EXPECT_GE(allowed, 5);
  EXPECT_LE(allowed, 6);
  EXPECT_FALSE(limiter.connected());
  EXPECT_GE(limiter.stats().fallback, 19u);

  ASSERT_TRUE(server_->Restart().ok());  // same port, empty dataset
  ASSERT_TRUE(WaitConnected(limiter, absl::Seconds(3)));
  access::LimitDecision d = DecideSync(limiter, "t", limit);
  EXPECT_EQ(d.source, access::DecisionSource::kRedis);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 9);  // a fresh Redis bucket
  EXPECT_GE(limiter.stats().connects, 2u);
}

TEST_F(RedisRateLimiterTest, StartsWithoutRedisAndConnectsLater) {
  access::RedisRateLimiterOptions options = Options(access::RedisFailurePolicy::kFailOpen);
  server_->Kill();
  access::RedisRateLimiter limiter(options);
  EXPECT_FALSE(limiter.connected());
  EXPECT_EQ(DecideSync(limiter, "t", {1, 1}).source, access::DecisionSource::kFailOpen);
  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE(WaitConnected(limiter, absl::Seconds(3)));
  EXPECT_EQ(DecideSync(limiter, "t", {1, 1}).source, access::DecisionSource::kRedis);
}

TEST_F(RedisRateLimiterTest, QueueBeyondMaxQueuedIsDecidedByPolicyAtOnce) {
  access::RedisRateLimiterOptions options = Options(access::RedisFailurePolicy::kFailClosed);
  options.max_queued = 4;
  // Long enough that the worker is surely still stuck in its first round trip
  // while the 11 decisions below are made, however slow this machine is.
  options.command_timeout = absl::Seconds(1);
  access::RedisRateLimiter limiter(options);
  ASSERT_TRUE(limiter.connected());
  server_->Pause();  // the worker's next round trip hangs for the command timeout
  std::atomic<int> answered{0};
  std::atomic<int> inline_answers{0};  // answered on this thread, inside Decide
  const std::thread::id caller = std::this_thread::get_id();
  for (int i = 0; i < 11; ++i) {
    limiter.Decide("t", {100, 100}, [&](access::LimitDecision d) {
      EXPECT_EQ(d.source, access::DecisionSource::kFailClosed);
      if (std::this_thread::get_id() == caller) inline_answers.fetch_add(1);
      answered.fetch_add(1);
    });
  }
  // The worker's first batch (the whole queue when it woke: at most max_queued,
  // often 1) plus at most max_queued waiting; the rest answered at once. An
  // unbounded queue would answer none inline.
  EXPECT_GE(inline_answers.load(), 11 - 4 - 4);
  const absl::Time end = absl::Now() + absl::Seconds(5);
  while (answered.load() < 11 && absl::Now() < end) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(answered.load(), 11);
  server_->Resume();
}

TEST_F(RedisRateLimiterTest, DestructionAnswersEveryQueuedDecision) {
  std::atomic<int> answered{0};
  {
    access::RedisRateLimiter limiter(Options());
    for (int i = 0; i < 2000; ++i) {
      limiter.Decide(absl::StrCat("k", i % 7), {1000, 10}, [&](access::LimitDecision) { ++answered; });
    }
  }
  EXPECT_EQ(answered.load(), 2000);
}

TEST_F(RedisRateLimiterTest, PipelinedDecisionsFromManyThreadsNeverOverAdmit) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 1250;  // 10,000 decisions
  constexpr int kWindow = 64;       // outstanding per thread
  const access::RateLimit limit{1000, 100};
  access::RedisRateLimiter limiter(Options(access::RedisFailurePolicy::kFailClosed));
  ASSERT_TRUE(limiter.connected());

  std::atomic<int> admitted{0};
  std::atomic<int> answered{0};
  std::atomic<int> not_redis{0};
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      absl::Mutex mu;
      int outstanding = 0;
      auto below_window = [&outstanding] { return outstanding < kWindow; };
      auto drained = [&outstanding] { return outstanding == 0; };
      for (int i = 0; i < kPerThread; ++i) {
        {
          absl::MutexLock lock(&mu);
          mu.Await(absl::Condition(&below_window));
          ++outstanding;
        }
        limiter.Decide("global", limit, [&](access::LimitDecision d) {
          if (d.allowed) admitted.fetch_add(1);
          if (d.source != access::DecisionSource::kRedis) not_redis.fetch_add(1);
          answered.fetch_add(1);
          absl::MutexLock lock(&mu);
          --outstanding;
        });
      }
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(&drained));
    });
  }
  for (auto& th : threads) th.join();
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_EQ(answered.load(), kThreads * kPerThread);
  EXPECT_EQ(not_redis.load(), 0);
  const double bound = limit.burst + limit.rate_per_second * absl::ToDoubleSeconds(elapsed);
  EXPECT_LE(admitted.load(), bound);
  EXPECT_GE(admitted.load(), limit.burst);
  std::printf("10000 decisions in %.1f ms (%.0f/s); admitted %d (bound %.0f)\n",
              absl::ToDoubleMilliseconds(elapsed),
              10000 / absl::ToDoubleSeconds(elapsed), admitted.load(), bound);
}

}  // namespace
}  // namespace ktp::access
