// RateLimitedError (the typed rejection) and the bounded-wait policy.
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

}  // namespace ktp::access
