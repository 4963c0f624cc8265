// Circuit breaking for the upstream: CircuitBreaker, the per-endpoint state
// machine (closed → open after N consecutive failures or a failure ratio over a
// rolling window → half-open after an interval, letting a few probes through →
// closed on a probe's success, open again on its failure), and
// CircuitBreakingBackend, the OcrBackend decorator that keeps one breaker per
// endpoint and answers UNAVAILABLE / UPSTREAM_CIRCUIT_OPEN with RetryInfo while
// a breaker is open. Only upstream-health failures count: connect, reset, TLS,
// timeout and 5xx — never caller errors (4xx), quota (429) or cancellations.
#ifndef KTP_BACKEND_CIRCUIT_BREAKER_H_
#define KTP_BACKEND_CIRCUIT_BREAKER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "backend/ocr_backend.h"
#include "backend/retry_policy.h"

namespace ktp::backend {

// The values are the ktp_gateway_circuit_breaker_state gauge's.
enum class CircuitState { kClosed = 0, kOpen = 1, kHalfOpen = 2 };
// "closed", "open", "half_open".
const char* CircuitStateName(CircuitState state);

struct CircuitBreakerOptions {
  // Opens after this many health failures in a row (0 disables the rule).
  int consecutive_failures = 5;
  // Or when at least `min_requests` outcomes in `window` include this share of
  // failures (a ratio above 1 disables the rule).
  double failure_ratio = 0.5;
  int min_requests = 20;
  absl::Duration window = absl::Seconds(30);
  // Time spent open before probes are let through.
  absl::Duration open_interval = absl::Seconds(10);
  // Calls let through at once while half-open.
  int half_open_probes = 1;
  // A timeout counts as a failure only when the attempt had at least this long:
  // callers with tiny deadlines must not be able to open the breaker for all.
  absl::Duration min_timeout_to_count = absl::Seconds(1);
};

// What one finished call says about the upstream's health.
enum class HealthOutcome { kSuccess, kFailure, kIgnored };

// The breaker's view of ClassifyFailure (backend/failure_class.h, the one
// table): OK and answers that show a working upstream (4xx, 429, a 500 the
// input caused, unusable bodies) are successes; connect, reset, TLS and
// 502/503/504 failures (and timeouts when `timeout_counts`) are failures;
// cancellation, shutdown and the gateway's own errors are ignored.
HealthOutcome ClassifyHealth(const absl::StatusOr<OcrResult>& result, bool timeout_counts);

// One endpoint's breaker. Thread-safe: a tiny mutex per breaker, held for a few
// comparisons; the state is also readable without it.
class CircuitBreaker {
 public:
  using StateCallback = std::function<void(CircuitState)>;

  // Permission to call, or the refusal with how long to wait.
  struct Permit {
    bool allowed = false;
    // A half-open probe: its outcome decides the next state.
    bool probe = false;
    // State generation the permit was issued in; outcomes from an older one are dropped.
    uint64_t generation = 0;
    absl::Duration retry_after = absl::ZeroDuration();  // when refused
  };

  // `clock` must outlive the breaker. `on_change` (optional) runs after each
  // transition, outside the lock, on the thread that caused it.
  CircuitBreaker(CircuitBreakerOptions options, const Clock* clock, StateCallback on_change = nullptr);

  Permit TryAcquire();
  // Reports the outcome of a call that was allowed.
  void Record(const Permit& permit, HealthOutcome outcome);

  CircuitState state() const { return state_.load(std::memory_order_acquire); }

 private:
  // Changes state under the lock; returns true when it changed.
  bool TransitionLocked(CircuitState to, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Notify(CircuitState to);

  const CircuitBreakerOptions options_;
  const Clock* const clock_;
  const StateCallback on_change_;
  std::atomic<CircuitState> state_{CircuitState::kClosed};

  absl::Mutex mu_;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 1;
  int consecutive_ ABSL_GUARDED_BY(mu_) = 0;
  RollingCounts window_ ABSL_GUARDED_BY(mu_);  // a: outcomes, b: failures
  absl::Time opened_at_ ABSL_GUARDED_BY(mu_);
  int probes_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

struct CircuitBreakingBackendOptions {
  CircuitBreakerOptions breaker;
  // Wall clock (request deadlines are wall-clock times).
  const Clock* clock = RealClock::Default();
  // Optional: every transition of an endpoint's breaker (metrics, logs).
  std::function<void(Endpoint, CircuitState)> on_state_change;
};

class CircuitBreakingBackend final : public OcrBackend {
 public:
  // `inner` must outlive this backend.
  CircuitBreakingBackend(OcrBackend* inner, CircuitBreakingBackendOptions options);

  // While the endpoint's breaker refuses, completes inline with UNAVAILABLE,
  // reason UPSTREAM_CIRCUIT_OPEN and RetryInfo; otherwise passes the call on and
  // reports its outcome to the breaker.
  std::shared_ptr<OcrCall> Start(OcrRequest request, OcrCallback done) override;

  CircuitState state(Endpoint endpoint) const;

 private:
  OcrBackend* const inner_;
  const absl::Duration min_timeout_to_count_;
  const Clock* const clock_;
  // Shared with completions, which may run after this backend is gone.
  std::array<std::shared_ptr<CircuitBreaker>, 2> breakers_;
};

}  // namespace ktp::backend

#endif  // KTP_BACKEND_CIRCUIT_BREAKER_H_
