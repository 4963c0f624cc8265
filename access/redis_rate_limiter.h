// RedisRateLimiter: one GCRA bucket per key shared by every gateway replica,
// kept in Redis and decided atomically by a Lua script (EVALSHA, one round trip
// per decision, Redis's own TIME so replica clocks do not matter, idle buckets
// expire). One worker thread owns the (synchronous, hiredis) connection and
// pipelines every queued decision: it writes all EVALSHAs, then reads all
// replies. When Redis is down, slow or erroring, decisions follow the failure
// policy (local fallback, fail open or fail closed) while the worker reconnects
// in the background with jittered exponential backoff.
#ifndef KTP_ACCESS_REDIS_RATE_LIMITER_H_
#define KTP_ACCESS_REDIS_RATE_LIMITER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "access/local_rate_limiter.h"
#include "access/rate_limiter.h"

struct redisContext;  // hiredis; kept out of this header

namespace ktp::access {

// What to answer when Redis cannot.
enum class RedisFailurePolicy {
  // Decide with an in-process limiter using the limit divided by
  // `expected_replicas` (rate and burst; burst at least 1). With N replicas each
  // admitting rate/N the fleet admits about the configured rate, if traffic is
  // spread evenly; uneven spreading admits less, never (much) more. Buckets
  // start full when Redis goes away, so an outage can admit one extra burst.
  kLocalFallback,
  kFailOpen,    // allow everything (availability over protection)
  kFailClosed,  // reject everything with a kFailClosed decision (→ UNAVAILABLE)
};

struct RedisRateLimiterOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  // Sent with AUTH after connecting when not empty. Never logged.
  std::string password;
  // Prepended to every key ("ktp:rl:" + "tenant:acme").
  std::string key_prefix = "ktp:rl:";
  // TCP connect bound, and the bound on every socket read/write of a command:
  // a Redis that does not answer within it counts as down.
  absl::Duration connect_timeout = absl::Milliseconds(200);
  absl::Duration command_timeout = absl::Milliseconds(50);
  RedisFailurePolicy failure_policy = RedisFailurePolicy::kLocalFallback;
  // Replicas sharing the limit; the fallback divides limits by it (>= 1).
  int expected_replicas = 1;
  // retry_after of a fail-closed decision.
  absl::Duration fail_closed_retry_after = absl::Seconds(1);
  // Reconnect backoff: starts at initial, doubles up to max, ±20% jitter.
  absl::Duration reconnect_backoff_initial = absl::Milliseconds(50);
  absl::Duration reconnect_backoff_max = absl::Seconds(1);
  // Decisions queued for the worker beyond this are decided by the failure
  // policy at once (Redis cannot keep up).
  size_t max_queued = 10000;
  // Most commands written per pipelined round trip.
  size_t max_pipeline = 512;
  // Clock and key bound of the fallback limiter (nullptr = SteadyClock).
  const Clock* clock = nullptr;
  size_t fallback_max_keys = 10000;
  // Called for every decision, before `done`, on the deciding thread, with the
  // key and "allowed" | "rejected" (Redis or fallback) | "fail_open" |
  // "fail_closed". Must be cheap and thread-safe. Optional.
  std::function<void(absl::string_view key, absl::string_view outcome)> on_decision;
};

// Decisions by who made them, and connection health. Monotonic counters.
struct RedisRateLimiterStats {
  uint64_t redis = 0;        // answered by Redis
  uint64_t fallback = 0;     // answered by the local fallback
  uint64_t fail_open = 0;
  uint64_t fail_closed = 0;
  uint64_t allowed = 0;      // of all the above
  uint64_t rejected = 0;
  uint64_t redis_errors = 0;   // failed round trips and error replies
  uint64_t connects = 0;       // successful (re)connections
  uint64_t script_loads = 0;   // SCRIPT LOADs (1 per connect + NOSCRIPT recoveries)
  bool connected = false;
};

class RedisRateLimiter final : public RateLimiter {
 public:
  // Connects once on the calling thread (bounded by connect_timeout; failure is
  // not fatal: decisions follow the policy until a background reconnect works),
  // then starts the worker.
  explicit RedisRateLimiter(RedisRateLimiterOptions options);
  // Answers every queued decision (via Redis if it is up), then stops. No
  // Decide may start once destruction has begun.
  ~RedisRateLimiter() override;
  RedisRateLimiter(const RedisRateLimiter&) = delete;
  RedisRateLimiter& operator=(const RedisRateLimiter&) = delete;

  // Enqueues for the worker (a brief lock) when connected; otherwise decides
  // inline by the failure policy. `done` runs on the worker thread or inline.
  void Decide(absl::string_view key, const RateLimit& limit, DecisionCallback done) override;

  RedisRateLimiterStats stats() const;
  bool connected() const { return connected_.load(std::memory_order_relaxed); }

  // The Lua source, for documentation and tests.
  static absl::string_view Script();

 private:
  struct Pending {
    std::string key;
    RateLimit limit;
    DecisionCallback done;
  };

  void Run();
  // Worker thread only (and the constructor, before the worker starts).
  bool Connect();
  void Disconnect(absl::string_view why);
  bool LoadScript();
  void ExecuteChunk(Pending* items, size_t n);
  void ScheduleReconnect();

  LimitDecision DecideUnavailable(absl::string_view key, const RateLimit& limit);
  void Deliver(absl::string_view key, LimitDecision decision, DecisionCallback& done);

  const RedisRateLimiterOptions options_;
  LocalRateLimiter fallback_;

  // Connection state: worker thread only.
  redisContext* ctx_ = nullptr;
  std::string sha_;
  absl::Duration backoff_;
  absl::Time next_connect_;  // SteadyClock time
  uint64_t jitter_state_;
  bool logged_down_ = false;

  std::atomic<bool> connected_{false};
  mutable absl::Mutex mu_;
  std::vector<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  std::atomic<uint64_t> redis_{0}, fallback_count_{0}, fail_open_{0}, fail_closed_{0};
  std::atomic<uint64_t> allowed_{0}, rejected_{0};
  std::atomic<uint64_t> redis_errors_{0}, connects_{0}, script_loads_{0};

  std::thread worker_;
};

}  // namespace ktp::access

#endif  // KTP_ACCESS_REDIS_RATE_LIMITER_H_
