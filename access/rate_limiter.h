// The rate-limiting seam: RateLimiter decides asynchronously whether one more
// call under a key (a tenant, or "global") fits its RateLimit; implementations
// are LocalRateLimiter (in-process GCRA) and RedisRateLimiter (GCRA shared by
// every replica through Redis). Also owns the typed error for a rejection and
// the bounded-wait policy (WaitWithinDeadline; GatewayAdmission does the waiting).
#ifndef KTP_ACCESS_RATE_LIMITER_H_
#define KTP_ACCESS_RATE_LIMITER_H_

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ktp::access {

// GCRA / token-bucket parameters: a sustained `rate_per_second` and a bucket of
// `burst` calls that may arrive at once (burst < 1 acts as 1). A rate <= 0 (or
// not a number) rejects everything.
struct RateLimit {
  double rate_per_second = 0;
  double burst = 1;
};

// Who produced a decision.
enum class DecisionSource {
  kLocal,       // LocalRateLimiter
  kRedis,       // Redis answered
  kFallback,    // Redis unavailable; a local limiter with per-replica limits answered
  kFailOpen,    // Redis unavailable; allowed by policy
  kFailClosed,  // Redis unavailable; rejected by policy (not a quota rejection)
};

struct LimitDecision {
  bool allowed = false;
  // When rejected: how long until the same call would be allowed (0 when allowed;
  // InfiniteDuration for a rate <= 0).
  absl::Duration retry_after = absl::ZeroDuration();
  // Calls that could still be made right now after this one (0 when rejected).
  double remaining = 0;
  // The limit that was applied: sustained rate (calls/s) and burst.
  double limit = 0;
  double burst = 0;
  DecisionSource source = DecisionSource::kLocal;
};

using DecisionCallback = absl::AnyInvocable<void(LimitDecision) &&>;

// Thread-safe. Decide never blocks; `done` runs exactly once, inline or on
// another thread, and must not block either.
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  virtual void Decide(absl::string_view key, const RateLimit& limit, DecisionCallback done) = 0;
};

// The error for a rejected decision. A quota rejection becomes
// RESOURCE_EXHAUSTED with ErrorInfo{reason "RATE_LIMITED", metadata
// limitPerSecond, burst, remaining}, a QuotaFailure violation {subject,
// description} and RetryInfo(retry_after). A fail-closed decision (limiter
// backend unavailable) becomes UNAVAILABLE with reason
// "RATE_LIMITER_UNAVAILABLE" and RetryInfo. `subject` is e.g. "tenant:acme"
// or "global"; `description` is developer-facing English without personal data.
absl::Status RateLimitedError(const LimitDecision& decision, absl::string_view subject,
                              absl::string_view description);

// The bounded-wait policy: true when a rejected `decision` may be waited out
// instead of failed, i.e. max_wait > 0, it is a quota rejection (not fail
// closed) and retry_after <= min(max_wait, deadline - now).
bool WaitWithinDeadline(const LimitDecision& decision, absl::Duration max_wait, absl::Time now,
                        absl::Time deadline);

}  // namespace ktp::access

#endif  // KTP_ACCESS_RATE_LIMITER_H_
