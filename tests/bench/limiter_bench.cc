// Rate limiter benchmark (prints numbers; not a test):
//   1. LocalRateLimiter: CPU ns per decision from 1 thread, and from 2 threads
//      on one shared key ("global") and on a key per thread;
//   2. RedisRateLimiter against a local redis-server (started here on a free
//      loopback port): µs per decision when sequential (one outstanding), and
//      decisions/s with 64 outstanding (the worker pipelines them). These are
//      wall-clock numbers: run on a quiet machine.
// Usage: limiter_bench [--seconds=S]
#include <time.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "telemetry/log.h"
#include "access/local_rate_limiter.h"
#include "access/redis_rate_limiter.h"
#include "tests/support/redis_server.h"

namespace ktp::bench {
namespace {

using access::LimitDecision;
using access::RateLimit;

// A limit that admits everything the bench can throw at it, so the numbers
// measure the allowed path (the CAS), not the cheaper rejection.
constexpr RateLimit kWide{1e9, 1e9};

int64_t ThreadCpuNanos() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

double LocalNsPerDecision(int threads, bool shared_key, absl::Duration run) {
  access::LocalRateLimiter limiter;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> total{0};
  std::atomic<int64_t> cpu{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const std::string key = shared_key ? "global" : absl::StrCat("tenant:", t);
      int64_t n = 0;
      const int64_t cpu_start = ThreadCpuNanos();
      while (!stop.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 1000; ++i) {
          if (limiter.DecideNow(key, kWide).allowed) ++n;
        }
      }
      cpu += ThreadCpuNanos() - cpu_start;
      total += n;
    });
  }
  absl::SleepFor(run);
  stop = true;
  for (auto& w : workers) w.join();
  // CPU time per decision: what a decision costs the thread making it, and
  // robust to other load on the machine (wall time is not).
  return static_cast<double>(cpu.load()) / static_cast<double>(total.load());
}

double RedisSequentialMicros(access::RedisRateLimiter& limiter, absl::Duration run) {
  int64_t n = 0;
  const absl::Time start = absl::Now();
  const absl::Time end = start + run;
  while (absl::Now() < end) {
    absl::Notification done;
    limiter.Decide("bench:seq", kWide, [&](LimitDecision) { done.Notify(); });
    done.WaitForNotification();
    ++n;
  }
  return absl::ToDoubleMicroseconds(absl::Now() - start) / static_cast<double>(n);
}

double RedisPipelinedPerSecond(access::RedisRateLimiter& limiter, int window,
                               absl::Duration run) {
  absl::Mutex mu;
  int outstanding = 0;
  int64_t completed = 0;
  auto below = [&] { return outstanding < window; };
  auto drained = [&] { return outstanding == 0; };
  const absl::Time start = absl::Now();
  const absl::Time end = start + run;
  while (absl::Now() < end) {
    {
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(&below));
      ++outstanding;
    }
    limiter.Decide("bench:pipe", kWide, [&](LimitDecision) {
      absl::MutexLock lock(&mu);
      --outstanding;
      ++completed;
    });
  }
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(&drained));
  return static_cast<double>(completed) / absl::ToDoubleSeconds(absl::Now() - start);
}

int Main(int argc, char** argv) {
  double seconds = 2;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--seconds=", 10) == 0) seconds = std::atof(argv[i] + 10);
  }
  const absl::Duration run = absl::Seconds(seconds);
  log::SetLevel(log::Level::kWarn);

  // Debian's Abseil is built without NDEBUG, so absl::Mutex runs its deadlock
  // detector on every lock unless the process turns it off: show both.
  for (bool detection : {true, false}) {
    if (!detection) absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
    const char* mode = detection ? "(mutex deadlock detection on)" : "(deadlock detection off)";
    std::printf("local, 1 thread:             %6.1f ns/decision %s\n",
                LocalNsPerDecision(1, true, run), mode);
    std::printf("local, 2 threads, same key:  %6.1f ns/decision per thread %s\n",
                LocalNsPerDecision(2, true, run), mode);
    std::printf("local, 2 threads, own keys:  %6.1f ns/decision per thread %s\n",
                LocalNsPerDecision(2, false, run), mode);
  }

  auto server = testing::RedisServer::Start();
  if (!server.ok()) {
    std::fprintf(stderr, "redis: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  access::RedisRateLimiterOptions options;
  options.port = (*server)->port();
  options.command_timeout = absl::Milliseconds(200);  // a loaded bench box must not flap
  options.failure_policy = access::RedisFailurePolicy::kFailClosed;
  access::RedisRateLimiter limiter(options);
  if (!limiter.connected()) {
    std::fprintf(stderr, "redis limiter did not connect\n");
    return 1;
  }
  std::printf("redis, sequential:           %6.1f us/decision\n",
              RedisSequentialMicros(limiter, run));
  std::printf("redis, 64 outstanding:       %8.0f decisions/s\n",
              RedisPipelinedPerSecond(limiter, 64, run));
  const access::RedisRateLimiterStats stats = limiter.stats();
  std::printf("(redis decisions %llu, fail_closed %llu, errors %llu)\n",
              static_cast<unsigned long long>(stats.redis),
              static_cast<unsigned long long>(stats.fail_closed),
              static_cast<unsigned long long>(stats.redis_errors));
  return 0;
}

}  // namespace
}  // namespace ktp::bench

int main(int argc, char** argv) { return ktp::bench::Main(argc, argv); }
