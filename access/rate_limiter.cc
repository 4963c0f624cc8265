// RateLimitedError (the typed rejection), the bounded-wait policy and the
// WaitingRateLimiter decorator that retries on the shared timer thread.
#include "access/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/error_details.h"
#include "common/error_reasons.h"

namespace ktp::access {

absl::Status RateLimitedError(const LimitDecision& decision, absl::string_view subject,
                              absl::string_view description) {
  if (decision.source == DecisionSource::kFailClosed) {
    absl::Status status = MakeError(absl::StatusCode::kUnavailable, reasons::kRateLimiterUnavailable,
                                    "The rate limiter is unavailable; try again later.");
    if (decision.retry_after != absl::InfiniteDuration()) {
      AddRetryInfo(status, decision.retry_after);
    }
    return status;
  }
  absl::Status status =
      MakeError(absl::StatusCode::kResourceExhausted, reasons::kRateLimited,
                absl::StrCat("Rate limit exceeded for ", subject, "."),
                {{"limitPerSecond", absl::StrCat(decision.limit)},
                 {"burst", absl::StrCat(decision.burst)},
                 {"remaining", absl::StrCat(std::max(0.0, std::floor(decision.remaining)))}});
  AddQuotaViolation(status, subject, description);
  // An infinite wait (rate 0) is not a retry hint anyone can use.
  if (decision.retry_after != absl::InfiniteDuration()) {
    AddRetryInfo(status, decision.retry_after);
  }
  return status;
}

bool WaitWithinDeadline(const LimitDecision& decision, absl::Duration max_wait, absl::Time now,
                        absl::Time deadline) {
  if (decision.allowed || max_wait <= absl::ZeroDuration()) return false;
  if (decision.source == DecisionSource::kFailClosed) return false;
  return decision.retry_after <= std::min(max_wait, deadline - now);
}

// One call's journey through waits; owned by whichever callback is pending.
struct WaitingRateLimiter::Attempt {
  std::string key;
  RateLimit limit;
  absl::Time budget_end;  // min(first attempt + max_wait, deadline)
  DecisionCallback done;
  absl::Time due;  // when the pending retry asked to run
  LimitDecision last;
};

WaitingRateLimiter::WaitingRateLimiter(RateLimiter* inner, TimerQueue* timers,
                                       absl::Duration max_wait)
    : inner_(inner), timers_(timers), max_wait_(max_wait) {}

void WaitingRateLimiter::Decide(absl::string_view key, const RateLimit& limit,
                                DecisionCallback done) {
  DecideBy(key, limit, absl::InfiniteFuture(), std::move(done));
}

void WaitingRateLimiter::DecideBy(absl::string_view key, const RateLimit& limit,
                                  absl::Time deadline, DecisionCallback done) {
  if (max_wait_ <= absl::ZeroDuration()) {  // nothing to add: skip the bookkeeping
    inner_->Decide(key, limit, std::move(done));
    return;
  }
  auto attempt = std::make_unique<Attempt>();
  attempt->key = std::string(key);
  attempt->limit = limit;
  attempt->budget_end = std::min(absl::Now() + max_wait_, deadline);
  attempt->done = std::move(done);
  Try(attempt.release());
}

void WaitingRateLimiter::Try(Attempt* raw) {
  // The pointer travels through AnyInvocables as a unique_ptr so it is freed on
  // every path.
  inner_->Decide(raw->key, raw->limit, [this, a = std::unique_ptr<Attempt>(raw)](
                                           LimitDecision decision) mutable {
    const absl::Time now = absl::Now();
    if (!WaitWithinDeadline(decision, a->budget_end - now, now, a->budget_end)) {
      std::move(a->done)(decision);
      return;
    }
    // GCRA's retry_after is exact; wait at least 1 ms so a rounding-to-zero
    // rejection cannot spin.
    a->due = now + std::max(decision.retry_after, absl::Milliseconds(1));
    a->last = decision;
    const absl::Time due = a->due;
    timers_->Schedule(due, [this, a = std::move(a)]() mutable {
      const absl::Time fired = absl::Now();
      if (fired + absl::Milliseconds(1) < a->due) {
        // Run early: the timer queue is shutting down. Answer with the rejection.
        a->last.retry_after = a->due - fired;
        std::move(a->done)(a->last);
        return;
      }
      Try(a.release());
    });
  });
}

}  // namespace ktp::access
