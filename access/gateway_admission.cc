// Authentication, concurrency cap and rate limits, in that order.
#include "access/gateway_admission.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/error_details.h"
#include "common/error_reasons.h"
#include "access/client_auth.h"

namespace ktp::access {
namespace {

RateLimit ToLimit(const config::v1::RateLimit& limit) {
  RateLimit out;
  out.rate_per_second = limit.requests_per_second();
  out.burst = std::max(1.0, limit.burst());
  return out;
}

std::string FormatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

}  // namespace

// One admission in progress; owns the caller's callback.
struct GatewayAdmission::Pending {
  std::shared_ptr<const AccessPolicy> policy;  // keeps the tenant pointer valid
  AuthenticatedCaller caller;
  absl::Time deadline;
  absl::Duration max_wait;
  absl::Time wait_until;  // no retry past this
  service::AdmissionCallback done;
  service::CallerIdentity identity;
};

GatewayAdmission::GatewayAdmission(const AccessPolicyStore* policies, RateLimiter* limiter,
                                   TimerQueue* timers, DecisionCallback on_decision)
    : policies_(policies), limiter_(limiter), timers_(timers), on_decision_(std::move(on_decision)) {}

void GatewayAdmission::Admit(const service::AdmissionRequest& request, service::AdmissionCallback done) {
  auto pending = std::make_shared<Pending>();
  pending->policy = policies_->Current();
  PresentedCredentials presented;
  presented.authorization = request.authorization;
  presented.forwarded_client_cert = request.forwarded_client_cert;
  absl::StatusOr<AuthenticatedCaller> caller = Authenticate(*pending->policy, presented, request.method);
  if (!caller.ok()) {
    std::move(done)(caller.status());
    return;
  }
  pending->caller = *std::move(caller);
  pending->identity.client_id = pending->caller.client_id;
  pending->identity.tenant = pending->caller.tenant->name();
  pending->identity.credential_set = pending->caller.tenant->credential_set();

  const auto& global = pending->policy->config().global_limits();
  if (global.max_concurrent_calls() > 0) {
    // The permit is released when the reactor drops the identity (end of call).
    const int now = concurrent_->fetch_add(1, std::memory_order_acq_rel) + 1;
    auto counter = concurrent_;
    pending->identity.permit = std::shared_ptr<void>(
        nullptr, [counter](void*) { counter->fetch_sub(1, std::memory_order_acq_rel); });
    if (now > global.max_concurrent_calls()) {
      // Its own reason: the process-wide --max-concurrent-calls answers
      // TOO_MANY_CONCURRENT_CALLS, and an operator must tell which cap fired.
      absl::Status s = MakeError(absl::StatusCode::kResourceExhausted, reasons::kPolicyConcurrencyLimit,
                                 "the access policy's limit of concurrent calls is reached; retry shortly",
                                 {{"maxConcurrentCalls", std::to_string(global.max_concurrent_calls())}});
      AddQuotaViolation(s, "global", "concurrent calls");
      AddRetryInfo(s, absl::Milliseconds(200));
      std::move(done)(s);  // drops the permit with `pending`
      return;
    }
  }
  pending->deadline = request.deadline;
  pending->max_wait = absl::Seconds(global.over_limit().max_wait().seconds()) +
                      absl::Nanoseconds(global.over_limit().max_wait().nanos());
  pending->wait_until = std::min(request.deadline, absl::Now() + pending->max_wait);
  pending->done = std::move(done);
  Decide(std::move(pending), 0);
}

// Stage 0: the tenant's limit; stage 1: the global upstream limit; 2: admitted.
void GatewayAdmission::Decide(std::shared_ptr<Pending> pending, int stage) {
  const config::v1::Tenant& tenant = *pending->caller.tenant;
  const auto& global = pending->policy->config().global_limits();
  const bool has_limit = stage == 0 ? tenant.has_rate_limit() : global.has_upstream_rate_limit();
  if (stage >= 2 || limiter_ == nullptr) {
    std::move(pending->done)(std::move(pending->identity));
    return;
  }
  if (!has_limit) {
    Decide(std::move(pending), stage + 1);
    return;
  }
  const RateLimit limit = ToLimit(stage == 0 ? tenant.rate_limit() : global.upstream_rate_limit());
  const std::string key = stage == 0 ? absl::StrCat("tenant:", tenant.name()) : std::string("global");
  const std::string label = stage == 0 ? tenant.name() : std::string("global");
  limiter_->Decide(key, limit, [this, pending, stage, limit, label](LimitDecision decision) mutable {
    if (decision.allowed) {
      // Allowed without asking Redis (it is down and the policy is fail_open):
      // operators must see that limits are not being enforced.
      if (on_decision_) on_decision_(label, decision.source == DecisionSource::kFailOpen ? "fail_open" : "allowed");
      if (stage == 0) {
        // Tell the caller its own budget, not the shared one.
        pending->identity.response_metadata.emplace_back("x-ratelimit-limit", FormatNumber(limit.rate_per_second));
        pending->identity.response_metadata.emplace_back("x-ratelimit-remaining",
                                                         FormatNumber(std::max(0.0, decision.remaining)));
      }
      Decide(std::move(pending), stage + 1);
      return;
    }
    // Over the limit: wait for the budget when allowed and it fits, else reject.
    const absl::Time now = absl::Now();
    const absl::Time retry_at = now + decision.retry_after;
    if (timers_ != nullptr &&
        WaitWithinDeadline(decision, pending->wait_until - now, now, pending->deadline)) {
      if (on_decision_) on_decision_(label, "waited");
      timers_->Schedule(retry_at, [this, pending, stage, decision, label, retry_at]() mutable {
        // A timer queue that shuts down runs its tasks early: answer with the
        // rejection instead of deciding (and scheduling) again.
        if (absl::Now() + absl::Milliseconds(1) < retry_at) {
          std::move(pending->done)(RateLimitedError(decision, stage == 0 ? absl::StrCat("tenant:", label) : "global",
                                                    "rate limit (the gateway is shutting down)"));
          return;
        }
        Decide(std::move(pending), stage);
      });
      return;
    }
    if (on_decision_) {
      on_decision_(label, decision.source == DecisionSource::kFailClosed ? "fail_closed" : "rejected");
    }
    std::move(pending->done)(RateLimitedError(
        decision, stage == 0 ? absl::StrCat("tenant:", label) : "global",
        stage == 0 ? "requests per second of this tenant" : "upstream requests per second of the gateway"));
  });
}

}  // namespace ktp::access
