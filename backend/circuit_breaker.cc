// The breaker's state machine and the per-endpoint decorator.
#include "backend/circuit_breaker.h"

#include "backend/failure_class.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/error_details.h"
#include "common/error_reasons.h"

namespace ktp::backend {

const char* CircuitStateName(CircuitState state) {
  switch (state) {
    case CircuitState::kClosed: return "closed";
    case CircuitState::kOpen: return "open";
    case CircuitState::kHalfOpen: return "half_open";
  }
  return "closed";
}

HealthOutcome ClassifyHealth(const absl::StatusOr<OcrResult>& result, bool timeout_counts) {
  if (result.ok()) return HealthOutcome::kSuccess;
  switch (ClassifyFailure(result.status()).health) {
    case UpstreamHealth::kDown:
      return HealthOutcome::kFailure;
    case UpstreamHealth::kTimedOut:
      return timeout_counts ? HealthOutcome::kFailure : HealthOutcome::kIgnored;
    case UpstreamHealth::kAlive:
      return HealthOutcome::kSuccess;
    case UpstreamHealth::kUnrelated:
      break;
  }
  return HealthOutcome::kIgnored;
}

CircuitBreaker::CircuitBreaker(CircuitBreakerOptions options, const Clock* clock,
                               StateCallback on_change)
    : options_(std::move(options)),
      clock_(clock),
      on_change_(std::move(on_change)),
      window_(options_.window) {}

bool CircuitBreaker::TransitionLocked(CircuitState to, absl::Time now) {
  if (state_.load(std::memory_order_relaxed) == to) return false;
  state_.store(to, std::memory_order_release);
  ++generation_;  // outcomes of calls admitted before this are now stale
  consecutive_ = 0;
  probes_in_flight_ = 0;
  if (to == CircuitState::kOpen) opened_at_ = now;
  // A closed circuit starts with a clean slate: old failures led to the opening already.
  if (to == CircuitState::kClosed) window_.Clear();
  return true;
}

void CircuitBreaker::Notify(CircuitState to) {
  if (on_change_) on_change_(to);
}

CircuitBreaker::Permit CircuitBreaker::TryAcquire() {
  Permit permit;
  bool changed = false;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    CircuitState state = state_.load(std::memory_order_relaxed);
    if (state == CircuitState::kOpen) {
      const absl::Time half_open_at = opened_at_ + options_.open_interval;
      if (now < half_open_at) {
        permit.retry_after = half_open_at - now;
        return permit;
      }
      changed = TransitionLocked(CircuitState::kHalfOpen, now);
      state = CircuitState::kHalfOpen;
    }
    permit.generation = generation_;
    if (state == CircuitState::kClosed) {
      permit.allowed = true;
    } else if (probes_in_flight_ < std::max(1, options_.half_open_probes)) {
      ++probes_in_flight_;
      permit.allowed = true;
      permit.probe = true;
    } else {
      // The probes are still out; their answer is usually near.
      permit.retry_after = std::min(options_.open_interval, absl::Seconds(1));
    }
  }
  if (changed) Notify(CircuitState::kHalfOpen);
  return permit;
}

void CircuitBreaker::Record(const Permit& permit, HealthOutcome outcome) {
  if (!permit.allowed) return;
  std::optional<CircuitState> changed;
  {
    absl::MutexLock lock(&mu_);
    if (permit.generation != generation_) return;
    const absl::Time now = clock_->Now();
    const CircuitState state = state_.load(std::memory_order_relaxed);
    if (state == CircuitState::kHalfOpen && permit.probe) {
      --probes_in_flight_;
      if (outcome == HealthOutcome::kSuccess) {
        if (TransitionLocked(CircuitState::kClosed, now)) changed = CircuitState::kClosed;
      } else if (outcome == HealthOutcome::kFailure) {
        if (TransitionLocked(CircuitState::kOpen, now)) changed = CircuitState::kOpen;
      }
    } else if (state == CircuitState::kClosed && outcome != HealthOutcome::kIgnored) {
      const bool failed = outcome == HealthOutcome::kFailure;
      window_.Add(now, 1, failed ? 1 : 0);
      consecutive_ = failed ? consecutive_ + 1 : 0;
      bool open = failed && options_.consecutive_failures > 0 &&
                  consecutive_ >= options_.consecutive_failures;
      if (failed && !open) {
        int64_t total = 0;
        int64_t failures = 0;
        window_.Sum(now, &total, &failures);
        open = total >= std::max(1, options_.min_requests) &&
               static_cast<double>(failures) >= options_.failure_ratio * static_cast<double>(total);
      }
      if (open && TransitionLocked(CircuitState::kOpen, now)) changed = CircuitState::kOpen;
    }
  }
  if (changed) Notify(*changed);
}

namespace {

// Handle for a call refused inside Start.
class RefusedCall final : public OcrCall {
 public:
  void Cancel() override {}
};

}  // namespace

CircuitBreakingBackend::CircuitBreakingBackend(OcrBackend* inner,
                                               CircuitBreakingBackendOptions options)
    : inner_(inner),
      min_timeout_to_count_(options.breaker.min_timeout_to_count),
      clock_(options.clock) {
  for (Endpoint endpoint : {Endpoint::kRead, Endpoint::kReadWithQualities}) {
    CircuitBreaker::StateCallback on_change;
    if (options.on_state_change) {
      on_change = [callback = options.on_state_change, endpoint](CircuitState state) {
        callback(endpoint, state);
      };
    }
    breakers_[static_cast<size_t>(endpoint)] =
        std::make_shared<CircuitBreaker>(options.breaker, clock_, std::move(on_change));
  }
}

CircuitState CircuitBreakingBackend::state(Endpoint endpoint) const {
  return breakers_[static_cast<size_t>(endpoint)]->state();
}

std::shared_ptr<OcrCall> CircuitBreakingBackend::Start(OcrRequest request, OcrCallback done) {
  const std::shared_ptr<CircuitBreaker>& breaker = breakers_[static_cast<size_t>(request.endpoint)];
  const CircuitBreaker::Permit permit = breaker->TryAcquire();
  if (!permit.allowed) {
    absl::Status s = MakeError(
        absl::StatusCode::kUnavailable, reasons::kUpstreamCircuitOpen,
        "the OCR provider is failing; the gateway paused calls to it, retry after the delay",
        {{"endpoint", EndpointName(request.endpoint)},
         {"circuitState", CircuitStateName(breaker->state())}});
    AddRetryInfo(s, permit.retry_after);
    std::move(done)(std::move(s));
    return std::make_shared<RefusedCall>();
  }
  const bool timeout_counts = request.deadline - clock_->Now() >= min_timeout_to_count_;
  return inner_->Start(std::move(request),
                       [breaker, permit, timeout_counts,
                        done = std::move(done)](absl::StatusOr<OcrResult> result) mutable {
                         breaker->Record(permit, ClassifyHealth(result, timeout_counts));
                         std::move(done)(std::move(result));
                       });
}

}  // namespace ktp::backend
