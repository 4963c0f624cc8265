// Retry policy for upstream reads: which failures are worth another attempt
// (ClassifyForRetry), how long to wait before it (FullJitterBackoff), and how
// many retries the gateway may spend overall (RetryBudget). Pure logic with
// injected time and randomness; RetryingBackend (retrying_backend.h) applies it.
#ifndef KTP_BACKEND_RETRY_POLICY_H_
#define KTP_BACKEND_RETRY_POLICY_H_

#include <array>
#include <climits>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace ktp::backend {

struct RetryPolicyOptions {
  // Attempts per call, the first included (1 disables retries).
  int max_attempts = 3;
  // Full-jitter exponential backoff: retry n (0-based) waits a uniformly random
  // time in [0, min(max_backoff, initial_backoff * 2^n)].
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
  // Retry budget (as Finagle's RetryBudget): over `budget_window`, retries may
  // be at most budget_ratio × first attempts plus budget_min_per_second × the
  // window in seconds: under heavy traffic a failing upstream sees ~1.2× load, not 3×.
  double budget_ratio = 0.2;
  double budget_min_per_second = 10;
  absl::Duration budget_window = absl::Seconds(10);
};

// What a failed attempt means for retrying.
struct RetryClassification {
  bool retryable = false;
  // Why, in UpstreamObserver's vocabulary ("connect", "network", "http_5xx",
  // "http_429"); "" when not retryable. Static string.
  const char* cause = "";
  // A floor on the wait from the upstream's Retry-After (RetryInfo); zero when absent.
  absl::Duration min_delay = absl::ZeroDuration();
};

// The retry view of ClassifyFailure (backend/failure_class.h, the one table):
// connect and connection failures, 502/503/504 and 429 (waiting at least its
// RetryInfo) are retried; everything else is final.
RetryClassification ClassifyForRetry(const absl::Status& status);

// The wait before retry number `retry_index` (0 for the first retry), given a
// uniform random number in [0, 1).
absl::Duration FullJitterBackoff(int retry_index, absl::Duration initial, absl::Duration cap,
                                 double uniform01);

// Two counters (a, b) summed over a rolling time window, kept in ten slices
// so old counts fall out without a timestamp per event. Not thread-safe.
class RollingCounts {
 public:
  explicit RollingCounts(absl::Duration window);
  void Add(absl::Time now, int64_t a, int64_t b);
  // Totals of the slices inside the window ending at `now`.
  void Sum(absl::Time now, int64_t* a, int64_t* b) const;
  void Clear();

 private:
  static constexpr int kSlices = 10;
  struct Slice {
    int64_t epoch = INT64_MIN;  // which slice of time this one holds
    int64_t a = 0;
    int64_t b = 0;
  };
  int64_t EpochOf(absl::Time now) const { return (now - absl::UnixEpoch()) / slice_; }

  absl::Duration slice_;
  std::array<Slice, kSlices> slices_;
};

// A rolling-window retry budget shared by all calls. Thread-safe; one small
// mutex, held for a few arithmetic operations.
class RetryBudget {
 public:
  // `clock` must outlive the budget.
  RetryBudget(double ratio, double min_per_second, absl::Duration window, const Clock* clock);

  // Counts a first attempt (a deposit).
  void RecordRequest();
  // Spends one retry if the budget allows it; false means "do not retry".
  bool TryWithdraw();

  // Current window totals (tests and diagnostics).
  int64_t requests() const;
  int64_t retries() const;

 private:
  const double ratio_;
  const double reserve_;  // min_per_second × window seconds
  const Clock* const clock_;
  mutable absl::Mutex mu_;
  RollingCounts counts_ ABSL_GUARDED_BY(mu_);  // a: first attempts, b: retries
};

}  // namespace ktp::backend

#endif  // KTP_BACKEND_RETRY_POLICY_H_
