// RetryingBackend: an OcrBackend decorator that retries idempotent upstream
// failures (retry_policy.h says which) with full-jitter exponential backoff,
// a per-call attempt cap, a shared retry budget, and never past the request's
// deadline. Backoff waits run on a RetryScheduler (common/timer_queue.h in
// production): no thread is parked per waiting call. The attempt count reaches
// the caller as OcrResult::attempts or ErrorInfo metadata "attempts".
#ifndef KTP_BACKEND_RETRYING_BACKEND_H_
#define KTP_BACKEND_RETRYING_BACKEND_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/timer_queue.h"
#include "backend/ocr_backend.h"
#include "backend/retry_policy.h"
#include "backend/upstream_observer.h"

namespace ktp::backend {

// Where backoff waits happen: runs a task after a delay, on another thread.
class RetryScheduler {
 public:
  using TaskId = uint64_t;
  using Task = TimerQueue::Task;  // told whether it fired or the scheduler shut down
  virtual ~RetryScheduler() = default;
  // Runs `task` after `delay`, never inline. Returns a handle for Cancel.
  virtual TaskId ScheduleAfter(absl::Duration delay, Task task) = 0;
  // Destroys the task unrun and returns true if it has not started yet.
  virtual bool Cancel(TaskId id) = 0;
};

// RetryScheduler on a TimerQueue (which must outlive it).
class TimerQueueScheduler final : public RetryScheduler {
 public:
  explicit TimerQueueScheduler(TimerQueue* timers) : timers_(timers) {}
  TaskId ScheduleAfter(absl::Duration delay, Task task) override {
    return timers_->ScheduleAfter(delay, std::move(task));
  }
  bool Cancel(TaskId id) override { return timers_->Cancel(id); }

 private:
  TimerQueue* const timers_;
};

struct RetryingBackendOptions {
  RetryPolicyOptions policy;
  // Retries whose wait plus this much attempt time would pass the request's
  // deadline are skipped: an attempt with almost no time left only turns a
  // meaningful error into UPSTREAM_TIMEOUT.
  absl::Duration min_attempt_time = absl::Milliseconds(100);
  // Hears of each retry (OnUpstreamRetry); optional, must outlive the backend.
  UpstreamObserver* observer = nullptr;
  // Runs backoff waits; without one nothing is retried. Must outlive the
  // backend and its calls.
  RetryScheduler* scheduler = nullptr;
  // Wall clock: compared with request deadlines; also the budget's clock.
  const Clock* clock = RealClock::Default();
  // Uniform numbers in [0, 1) for the jitter; thread-safe. Default: absl::BitGen.
  std::function<double()> random;
};

class RetryingBackend final : public OcrBackend {
 public:
  // `inner` must outlive this backend.
  RetryingBackend(OcrBackend* inner, RetryingBackendOptions options);
  // Later backoff timers complete their calls with GATEWAY_SHUTTING_DOWN
  // instead of touching `inner`. Returns once no attempt is being started.
  ~RetryingBackend() override;

  // Completion: the first success, or the last attempt's error with ErrorInfo
  // metadata "attempts". Cancel() cancels the attempt in flight or the pending
  // wait and completes with CANCELLED, once.
  std::shared_ptr<OcrCall> Start(OcrRequest request, OcrCallback done) override;

  // The shared retry budget (tests, diagnostics).
  const RetryBudget& budget() const;

  struct Core;  // shared with the calls, which may outlive the backend

 private:
  std::shared_ptr<Core> core_;
};

// Returns `status` with ErrorInfo metadata "attempts" set (unchanged when it
// carries no ErrorInfo).
absl::Status WithAttempts(absl::Status status, int attempts);

}  // namespace ktp::backend

#endif  // KTP_BACKEND_RETRYING_BACKEND_H_
