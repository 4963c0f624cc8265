// The retrying decorator.
//
// Threading: a call's attempts run one after another, but their steps land on
// different threads (the caller's for the first Start, the inner backend's for
// completions, the scheduler's for retries, anyone's for Cancel). The call's
// mutex orders them; callbacks and the inner backend are always invoked with no
// lock held. The backend's destructor waits out attempts being started, so
// `inner` is never touched after the backend dies.
#include "backend/retrying_backend.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/strings/cord.h"
#include "absl/synchronization/mutex.h"
#include "common/error_details.h"
#include "common/error_reasons.h"

namespace ktp::backend {

struct RetryingBackend::Core {
  Core(OcrBackend* inner_backend, RetryingBackendOptions opts)
      : inner(inner_backend),
        options(std::move(opts)),
        budget(options.policy.budget_ratio, options.policy.budget_min_per_second,
               options.policy.budget_window, options.clock) {}

  OcrBackend* const inner;
  const RetryingBackendOptions options;
  RetryBudget budget;
  // Attempts being started count themselves here; the destructor waits for
  // none to be left. Not held while `inner` runs: an inline completion may
  // start the next step on the same thread.
  absl::Mutex life_mu;
  bool stopped ABSL_GUARDED_BY(life_mu) = false;
  int starting ABSL_GUARDED_BY(life_mu) = 0;

  // False once stopped; otherwise counts the caller in until EndStart().
  bool BeginStart() {
    absl::MutexLock lock(&life_mu);
    if (stopped) return false;
    ++starting;
    return true;
  }
  void EndStart() {
    absl::MutexLock lock(&life_mu);
    --starting;
  }
  static bool NoneStarting(Core* core) ABSL_EXCLUSIVE_LOCKS_REQUIRED(core->life_mu) {
    return core->starting == 0;
  }
  bool is_stopped() {
    absl::MutexLock lock(&life_mu);
    return stopped;
  }
};

namespace {

absl::Status ShuttingDown() {
  return MakeError(absl::StatusCode::kUnavailable, reasons::kGatewayShuttingDown,
                   "the gateway is shutting down");
}

double DefaultRandom() {
  thread_local absl::BitGen gen;
  return absl::Uniform(gen, 0.0, 1.0);
}

class RetryingCall final : public OcrCall, public std::enable_shared_from_this<RetryingCall> {
 public:
  RetryingCall(std::shared_ptr<RetryingBackend::Core> core, OcrRequest request, OcrCallback done)
      : core_(std::move(core)),
        endpoint_(request.endpoint),
        deadline_(request.deadline),
        request_(std::move(request)),
        done_(std::move(done)) {}

  void Cancel() override;
  // Starts the next attempt (or completes when cancelled or shut down).
  void StartAttempt();

 private:
  void OnAttemptDone(int attempt, absl::StatusOr<OcrResult> result);
  // Completes the call once; later calls are ignored.
  void Complete(absl::StatusOr<OcrResult> result, int attempts);
  // Whether to retry after `status` from attempt number `attempt`; sets `*delay`.
  bool ShouldRetry(const absl::Status& status, int attempt, absl::Duration* delay);

  const std::shared_ptr<RetryingBackend::Core> core_;
  const Endpoint endpoint_;
  const absl::Time deadline_;
  // Kept for the next attempt; the Cord shares the image, so copies are cheap.
  // Only the thread starting an attempt reads it, and attempts never overlap.
  OcrRequest request_;

  absl::Mutex mu_;
  OcrCallback done_ ABSL_GUARDED_BY(mu_);
  int attempts_ ABSL_GUARDED_BY(mu_) = 0;       // attempts started
  int last_done_ ABSL_GUARDED_BY(mu_) = 0;      // the latest attempt that completed
  std::shared_ptr<OcrCall> inner_ ABSL_GUARDED_BY(mu_);  // attempt in flight
  std::optional<RetryScheduler::TaskId> timer_ ABSL_GUARDED_BY(mu_);  // pending wait
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool completed_ ABSL_GUARDED_BY(mu_) = false;
};

void RetryingCall::StartAttempt() {
  int attempt = 0;
  bool cancelled = false;
  {
    absl::MutexLock lock(&mu_);
    if (completed_) return;
    timer_.reset();
    cancelled = cancelled_;
    attempt = cancelled ? attempts_ : ++attempts_;
  }
  if (cancelled) {
    Complete(CallCancelled(), attempt);
    return;
  }
  if (!core_->BeginStart()) {
    Complete(ShuttingDown(), attempt);
    return;
  }
  // The last possible attempt may take the request; earlier ones copy it.
  OcrRequest request =
      attempt >= core_->options.policy.max_attempts ? std::move(request_) : request_;
  std::shared_ptr<OcrCall> inner = core_->inner->Start(
      std::move(request), [self = shared_from_this(), attempt](absl::StatusOr<OcrResult> r) {
        self->OnAttemptDone(attempt, std::move(r));
      });
  core_->EndStart();
  bool cancel_now = false;
  {
    absl::MutexLock lock(&mu_);
    // The attempt may have completed inline already; then there is nothing to keep.
    if (!completed_ && last_done_ < attempt) {
      inner_ = inner;
      cancel_now = cancelled_;
    }
  }
  if (cancel_now) inner->Cancel();
}

void RetryingCall::Cancel() {
  std::optional<RetryScheduler::TaskId> timer;
  std::shared_ptr<OcrCall> inner;
  int attempts = 0;
  {
    absl::MutexLock lock(&mu_);
    if (completed_ || cancelled_) return;
    cancelled_ = true;
    timer = timer_;
    inner = inner_;
    attempts = attempts_;
  }
  // A wait cancelled in time completes here; one already firing sees
  // cancelled_ in StartAttempt. An attempt in flight completes through
  // OnAttemptDone. An attempt being started is cancelled by StartAttempt.
  if (timer && core_->options.scheduler->Cancel(*timer)) {
    Complete(CallCancelled(), attempts);
  } else if (inner != nullptr) {
    inner->Cancel();
  }
}

bool RetryingCall::ShouldRetry(const absl::Status& status, int attempt, absl::Duration* delay) {
  const RetryingBackendOptions& options = core_->options;
  // Without a scheduler there is nowhere to wait: a plain pass-through.
  if (attempt >= options.policy.max_attempts || options.scheduler == nullptr) return false;
  const RetryClassification c = ClassifyForRetry(status);
  if (!c.retryable) return false;
  // A Retry-After longer than the backoff cap is the caller's to wait for:
  // holding the call that long would only tie up gateway resources.
  if (c.min_delay > options.policy.max_backoff) return false;
  const double u = options.random ? options.random() : DefaultRandom();
  *delay = std::max(c.min_delay, FullJitterBackoff(attempt - 1, options.policy.initial_backoff,
                                                   options.policy.max_backoff, u));
  if (options.clock->Now() + *delay + options.min_attempt_time > deadline_) return false;
  // Last: a withdrawal is spent only on a retry that will happen.
  if (!core_->budget.TryWithdraw()) return false;
  if (options.observer != nullptr) options.observer->OnUpstreamRetry(endpoint_, c.cause);
  return true;
}

void RetryingCall::OnAttemptDone(int attempt, absl::StatusOr<OcrResult> result) {
  bool cancelled = false;
  {
    absl::MutexLock lock(&mu_);
    last_done_ = attempt;
    inner_.reset();
    if (completed_) return;
    cancelled = cancelled_;
  }
  if (cancelled) {
    Complete(CallCancelled(), attempt);
    return;
  }
  if (result.ok()) {
    Complete(std::move(result), attempt);
    return;
  }
  absl::Duration delay;
  if (core_->is_stopped() || !ShouldRetry(result.status(), attempt, &delay)) {
    Complete(std::move(result), attempt);
    return;
  }
  const RetryScheduler::TaskId id = core_->options.scheduler->ScheduleAfter(
      delay, [self = shared_from_this(), attempt](TimerOutcome outcome) {
        // The scheduler is going away: no further attempt, the call ends now.
        if (outcome == TimerOutcome::kShutDown) {
          self->Complete(ShuttingDown(), attempt);
          return;
        }
        self->StartAttempt();
      });
  bool cancel_timer = false;
  {
    absl::MutexLock lock(&mu_);
    // Unless the wait already ended (the task ran and started the next attempt),
    // remember it so Cancel can stop it.
    if (attempts_ == attempt && !completed_) {
      timer_ = id;
      cancel_timer = cancelled_;  // a Cancel came in while the wait was being set up
    }
  }
  if (cancel_timer && core_->options.scheduler->Cancel(id)) Complete(CallCancelled(), attempt);
}

void RetryingCall::Complete(absl::StatusOr<OcrResult> result, int attempts) {
  OcrCallback done;
  {
    absl::MutexLock lock(&mu_);
    if (completed_) return;
    completed_ = true;
    done = std::move(done_);
  }
  if (result.ok()) {
    result->attempts = attempts;
  } else {
    result = WithAttempts(result.status(), attempts);
  }
  std::move(done)(std::move(result));
}

}  // namespace

absl::Status WithAttempts(absl::Status status, int attempts) {
  std::optional<google::rpc::ErrorInfo> info = GetErrorInfo(status);
  if (!info) return status;
  (*info->mutable_metadata())["attempts"] = std::to_string(attempts);
  status.SetPayload(kErrorInfoType, absl::Cord(info->SerializeAsString()));
  return status;
}

RetryingBackend::RetryingBackend(OcrBackend* inner, RetryingBackendOptions options)
    : core_(std::make_shared<Core>(inner, std::move(options))) {}

RetryingBackend::~RetryingBackend() {
  absl::MutexLock life(&core_->life_mu);
  core_->stopped = true;
  core_->life_mu.Await(absl::Condition(&Core::NoneStarting, core_.get()));
}

std::shared_ptr<OcrCall> RetryingBackend::Start(OcrRequest request, OcrCallback done) {
  core_->budget.RecordRequest();
  auto call = std::make_shared<RetryingCall>(core_, std::move(request), std::move(done));
  call->StartAttempt();
  return call;
}

const RetryBudget& RetryingBackend::budget() const { return core_->budget; }

}  // namespace ktp::backend
