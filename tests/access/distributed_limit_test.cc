// Several gateway PROCESSES sharing one Redis limit: the parent forks three
// children; each builds its own RedisRateLimiter and hammers Decide("global")
// from four threads for 5 s, then reports its counts through a pipe. The fleet
// must admit at most R·t + burst and at least 0.9·R·t. Variants kill Redis
// (SIGKILL) at 2.5 s and restart it at 3.5 s while the children run: the
// configured failure policy must decide during the outage and every child must
// return to Redis afterwards. (Stand-in until the admission wiring lets three
// ktp-gateway binaries be driven the same way.)
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "access/redis_rate_limiter.h"
#include "tests/support/redis_server.h"

namespace ktp::access {
namespace {

using ::ktp::testing::RedisServer;

constexpr int kChildren = 3;
constexpr int kThreadsPerChild = 4;
constexpr double kRate = 200;   // calls/s for the whole fleet
constexpr double kBurst = 20;
const absl::Duration kRun = absl::Seconds(5);
const absl::Duration kKillAt = absl::Milliseconds(2500);
const absl::Duration kRestartAt = absl::Milliseconds(3500);
// Each thread pauses this long between decisions (~1,600 offered per second
// per thread at most, ~20,000 for the fleet: 100x the limit).
const absl::Duration kPause = absl::Microseconds(500);

// What a child sends back (plain data through a pipe).
struct ChildReport {
  int64_t allowed = 0;
  int64_t rejected = 0;
  int64_t redis = 0;
  int64_t fallback = 0;
  int64_t fail_open = 0;
  int64_t fail_closed = 0;
  int64_t redis_after_restart = 0;  // Redis decisions completed after kRestartAt
  int64_t last_done_unix_ns = 0;    // when its last decision completed
  // When the first Redis decision after a non-Redis one completed (0 = never):
  // the moment this process was back on Redis after the outage.
  int64_t back_on_redis_unix_ns = 0;
};

// Runs in the forked child; never returns.
[[noreturn]] void ChildMain(int port, access::RedisFailurePolicy policy, absl::Time start, int out_fd) {
  access::RedisRateLimiterOptions options;
  options.port = port;
  options.failure_policy = policy;
  options.expected_replicas = kChildren;
  options.reconnect_backoff_initial = absl::Milliseconds(20);
  options.reconnect_backoff_max = absl::Milliseconds(200);
  ChildReport report;
  {
    access::RedisRateLimiter limiter(options);
    const absl::Time end = start + kRun;
    const absl::Time restarted = start + kRestartAt;
    std::vector<ChildReport> per_thread(kThreadsPerChild);
    std::vector<std::thread> threads;
    absl::SleepFor(start - absl::Now());
    for (int t = 0; t < kThreadsPerChild; ++t) {
      threads.emplace_back([&, t] {
        ChildReport& r = per_thread[t];
        bool saw_outage = false;
        while (absl::Now() < end) {
          absl::Notification done;
          access::LimitDecision decision;
          limiter.Decide("global", access::RateLimit{kRate, kBurst}, [&](access::LimitDecision d) {
            decision = d;
            done.Notify();
          });
          done.WaitForNotification();
          const absl::Time now = absl::Now();
          (decision.allowed ? r.allowed : r.rejected)++;
          switch (decision.source) {
            case access::DecisionSource::kRedis:
              ++r.redis;
              if (now > restarted) ++r.redis_after_restart;
              if (saw_outage && r.back_on_redis_unix_ns == 0) {
                r.back_on_redis_unix_ns = absl::ToUnixNanos(now);
              }
              break;
            case access::DecisionSource::kFallback: ++r.fallback; break;
            case access::DecisionSource::kFailOpen: ++r.fail_open; break;
            case access::DecisionSource::kFailClosed: ++r.fail_closed; break;
            case access::DecisionSource::kLocal: break;
          }
          if (decision.source != access::DecisionSource::kRedis) saw_outage = true;
          r.last_done_unix_ns = std::max<int64_t>(r.last_done_unix_ns, absl::ToUnixNanos(now));
          // Offer at most ~1/kPause decisions/s: still ~100x the fleet
          // limit, but a local or fail-closed answer must not turn the thread
          // into a busy loop that starves Redis and the limiter's worker on a
          // 2-core CI machine (a real gateway is paced by its network).
          absl::SleepFor(kPause);
        }
      });
    }
    for (auto& th : threads) th.join();
    for (const ChildReport& r : per_thread) {
      report.allowed += r.allowed;
      report.rejected += r.rejected;
      report.redis += r.redis;
      report.fallback += r.fallback;
      report.fail_open += r.fail_open;
      report.fail_closed += r.fail_closed;
      report.redis_after_restart += r.redis_after_restart;
      report.last_done_unix_ns = std::max(report.last_done_unix_ns, r.last_done_unix_ns);
      // The process was back when its first thread was.
      if (r.back_on_redis_unix_ns != 0 && (report.back_on_redis_unix_ns == 0 ||
                                           r.back_on_redis_unix_ns < report.back_on_redis_unix_ns)) {
        report.back_on_redis_unix_ns = r.back_on_redis_unix_ns;
      }
    }
  }
  const bool ok = write(out_fd, &report, sizeof(report)) == static_cast<ssize_t>(sizeof(report));
  _exit(ok ? 0 : 3);  // no atexit handlers, no gtest teardown in the child
}

struct FleetResult {
  std::vector<ChildReport> children;
  ChildReport total;
  absl::Duration elapsed;  // start → last decision of any child
  // Outage variants: when Redis died, when its restart began, and per child how
  // long after that it was deciding through Redis again.
  absl::Time killed;
  absl::Time restart_began;
  std::vector<absl::Duration> recovery_lag;
};

// Forks the children, optionally kills/restarts Redis on schedule, collects reports.
FleetResult RunFleet(RedisServer& server, access::RedisFailurePolicy policy, bool outage) {
  FleetResult result;
  // Give every child time to start and connect before the common start.
  const absl::Time start = absl::Now() + absl::Milliseconds(300);
  std::vector<pid_t> pids;
  std::vector<int> fds;
  std::fflush(stdout);  // the children must not re-flush the parent's buffer
  for (int i = 0; i < kChildren; ++i) {
    int fd[2];
    if (pipe(fd) != 0) {
      ADD_FAILURE() << "pipe failed";
      return result;
    }
    const pid_t pid = fork();
    if (pid == 0) {
      close(fd[0]);
      ChildMain(server.port(), policy, start, fd[1]);
    }
    close(fd[1]);
    if (pid < 0) {
      close(fd[0]);
      ADD_FAILURE() << "fork failed";
      continue;
    }
    pids.push_back(pid);
    fds.push_back(fd[0]);
  }
  if (outage) {
    absl::SleepFor(start + kKillAt - absl::Now());
    server.Kill();
    result.killed = absl::Now();
    absl::SleepFor(start + kRestartAt - absl::Now());
    result.restart_began = absl::Now();  // Redis cannot answer before this
    EXPECT_TRUE(server.Restart().ok());
  }
  int64_t last_ns = 0;
  for (size_t i = 0; i < pids.size(); ++i) {
    ChildReport report;
    size_t got = 0;
    while (got < sizeof(report)) {
      const ssize_t n = read(fds[i], reinterpret_cast<char*>(&report) + got, sizeof(report) - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    close(fds[i]);
    int status = 0;
    waitpid(pids[i], &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child " << i << " failed";
    EXPECT_EQ(got, sizeof(report)) << "child " << i << " sent no report";
    result.children.push_back(report);
    result.total.allowed += report.allowed;
    result.total.rejected += report.rejected;
    result.total.redis += report.redis;
    result.total.fallback += report.fallback;
    result.total.fail_open += report.fail_open;
    result.total.fail_closed += report.fail_closed;
    result.total.redis_after_restart += report.redis_after_restart;
    last_ns = std::max(last_ns, report.last_done_unix_ns);
    if (outage) {
      result.recovery_lag.push_back(
          report.back_on_redis_unix_ns == 0
              ? absl::InfiniteDuration()
              : std::max(absl::ZeroDuration(),
                         absl::FromUnixNanos(report.back_on_redis_unix_ns) - result.restart_began));
    }
  }
  result.elapsed = absl::FromUnixNanos(last_ns) - start;
  for (size_t i = 0; i < result.children.size(); ++i) {
    const ChildReport& r = result.children[i];
    std::printf("child %zu: allowed=%lld rejected=%lld redis=%lld fallback=%lld fail_open=%lld "
                "fail_closed=%lld redis_after_restart=%lld recovery_lag_ms=%.1f\n",
                i, static_cast<long long>(r.allowed), static_cast<long long>(r.rejected),
                static_cast<long long>(r.redis), static_cast<long long>(r.fallback),
                static_cast<long long>(r.fail_open), static_cast<long long>(r.fail_closed),
                static_cast<long long>(r.redis_after_restart),
                outage ? absl::ToDoubleMilliseconds(result.recovery_lag[i]) : 0.0);
  }
  std::printf("fleet: allowed=%lld over %.3f s (R*t=%.0f, burst=%.0f)\n",
              static_cast<long long>(result.total.allowed), absl::ToDoubleSeconds(result.elapsed),
              kRate * absl::ToDoubleSeconds(result.elapsed), kBurst);
  return result;
}

class DistributedLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  std::unique_ptr<RedisServer> server_;
};

TEST_F(DistributedLimitTest, ThreeProcessesShareOneGlobalLimit) {
  FleetResult fleet = RunFleet(*server_, access::RedisFailurePolicy::kFailClosed, /*outage=*/false);
  ASSERT_EQ(fleet.children.size(), static_cast<size_t>(kChildren));
  const double rt = kRate * absl::ToDoubleSeconds(fleet.elapsed);
  EXPECT_LE(fleet.total.allowed, rt + kBurst);
  EXPECT_GE(fleet.total.allowed, 0.9 * kRate * absl::ToDoubleSeconds(kRun));
  EXPECT_EQ(fleet.total.fallback + fleet.total.fail_open + fleet.total.fail_closed, 0);
  for (const ChildReport& r : fleet.children) EXPECT_GT(r.allowed, 0);  // nobody starved
}

// Outage with the local fallback: each child admits R/3 (burst/3) while Redis
// is gone, so the fleet keeps roughly R. The bound: Redis admits at most
// R·t + 2·burst (a fresh Redis starts with a full bucket), the fallback buckets
// add 3·(burst/3), and a child still on its fallback after Redis is back admits
// R/3 beside Redis for its recovery lag.
TEST_F(DistributedLimitTest, RedisOutageFallsBackLocallyAndRecovers) {
  FleetResult fleet = RunFleet(*server_, access::RedisFailurePolicy::kLocalFallback, /*outage=*/true);
  ASSERT_EQ(fleet.children.size(), static_cast<size_t>(kChildren));
  double overlap = 0;
  for (absl::Duration lag : fleet.recovery_lag) {
    ASSERT_LT(lag, absl::Milliseconds(1000)) << "a process did not return to Redis";
    overlap += kRate / kChildren * absl::ToDoubleSeconds(lag);
  }
  const double rt = kRate * absl::ToDoubleSeconds(fleet.elapsed);
  EXPECT_LE(fleet.total.allowed, rt + 3 * kBurst + overlap);
  EXPECT_GE(fleet.total.allowed, 0.9 * kRate * absl::ToDoubleSeconds(kRun));
  for (const ChildReport& r : fleet.children) {
    EXPECT_GT(r.fallback, 0);
    EXPECT_GT(r.redis_after_restart, 0);
    EXPECT_EQ(r.fail_open + r.fail_closed, 0);
  }
}

// Outage with fail closed: nothing is admitted while Redis is gone; the fresh
// Redis after the restart brings one more burst.
TEST_F(DistributedLimitTest, RedisOutageFailsClosedAndRecovers) {
  FleetResult fleet = RunFleet(*server_, access::RedisFailurePolicy::kFailClosed, /*outage=*/true);
  ASSERT_EQ(fleet.children.size(), static_cast<size_t>(kChildren));
  absl::Duration max_lag;
  for (absl::Duration lag : fleet.recovery_lag) {
    ASSERT_LT(lag, absl::Milliseconds(1000)) << "a process did not return to Redis";
    max_lag = std::max(max_lag, lag);
  }
  const absl::Duration down = fleet.restart_began - fleet.killed;
  EXPECT_LE(fleet.total.allowed, kRate * absl::ToDoubleSeconds(fleet.elapsed - down) + 2 * kBurst);
  EXPECT_GE(fleet.total.allowed,
            0.9 * kRate * absl::ToDoubleSeconds(fleet.elapsed - down - max_lag));
  for (const ChildReport& r : fleet.children) {
    EXPECT_GT(r.fail_closed, 0);
    EXPECT_GT(r.redis_after_restart, 0);
    EXPECT_EQ(r.fallback + r.fail_open, 0);
  }
}

}  // namespace
}  // namespace ktp::access
