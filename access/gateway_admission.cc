// Authentication, concurrency cap and rate limits, in that order.
#include "access/gateway_admission.h"

#include <optional>

#include "absl/synchronization/mutex.h"

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

// The concurrency slots one call holds; each is given back when this is destroyed.
struct GatewayAdmission::Slots {
  ~Slots() {
    for (const auto& counter : taken) counter->fetch_sub(1, std::memory_order_acq_rel);
  }
  // Takes a slot of `counter`; returns how many are taken now, this one included.
  int Take(std::shared_ptr<std::atomic<int>> counter) {
    const int now = counter->fetch_add(1, std::memory_order_acq_rel) + 1;
    taken.push_back(std::move(counter));
    return now;
  }
  std::vector<std::shared_ptr<std::atomic<int>>> taken;
};

std::shared_ptr<std::atomic<int>> GatewayAdmission::TenantCounter(const std::string& tenant) {
  absl::MutexLock lock(&tenant_mu_);  // short: a lookup, rarely an insert
  std::shared_ptr<std::atomic<int>>& counter = tenant_calls_[tenant];
  if (!counter) counter = std::make_shared<std::atomic<int>>(0);
  return counter;
}

int GatewayAdmission::tenant_calls(const std::string& tenant) {
  return TenantCounter(tenant)->load(std::memory_order_relaxed);
}

// One admission in progress; owns the caller's callback. Answered exactly once:
// by the last limiter decision, a rejection, a cancel, or the timer queue
// shutting down, whichever comes first (the others find it answered).
struct GatewayAdmission::Pending final : service::PendingAdmission {
  std::shared_ptr<const AccessPolicy> policy;  // keeps the tenant pointer valid
  AuthenticatedCaller caller;
  absl::Time deadline;
  absl::Time wait_until;  // no retry past this
  TimerQueue* timers = nullptr;

  absl::Mutex mu;
  service::AdmissionCallback done ABSL_GUARDED_BY(mu);
  service::CallerIdentity identity ABSL_GUARDED_BY(mu);  // holds the concurrency slot
  std::optional<TimerQueue::TaskId> wait ABSL_GUARDED_BY(mu);
  bool answered ABSL_GUARDED_BY(mu) = false;

  // Answers with `result` (the identity when OK) unless answered already.
  void Answer(absl::Status status) {
    service::AdmissionCallback callback;
    service::CallerIdentity admitted;
    {
      absl::MutexLock lock(&mu);
      if (answered) return;
      answered = true;
      callback = std::move(done);
      if (status.ok()) {
        admitted = std::move(identity);
      } else {
        identity.permit.reset();  // a refused call holds no slot
      }
    }
    if (status.ok()) {
      std::move(callback)(std::move(admitted));
    } else {
      std::move(callback)(std::move(status));
    }
  }

  void Cancel() override {
    std::optional<TimerQueue::TaskId> timer;
    {
      absl::MutexLock lock(&mu);
      timer = wait;
      wait.reset();
    }
    // Drops the timer's reference at once instead of when the wait would end.
    if (timer && timers != nullptr) timers->Cancel(*timer);
    Answer(MakeError(absl::StatusCode::kCancelled, reasons::kCancelled,
                     "the call was cancelled while waiting for admission"));
  }
};

GatewayAdmission::GatewayAdmission(const AccessPolicyStore* policies, RateLimiter* limiter,
                                   TimerQueue* timers, DecisionCallback on_decision)
    : policies_(policies), limiter_(limiter), timers_(timers), on_decision_(std::move(on_decision)) {}

std::shared_ptr<service::PendingAdmission> GatewayAdmission::Admit(const service::AdmissionRequest& request,
                                                                   service::AdmissionCallback done) {
  auto pending = std::make_shared<Pending>();
  pending->policy = policies_->Current();
  pending->timers = timers_;
  PresentedCredentials presented;
  presented.authorization = request.authorization;
  presented.forwarded_client_cert = request.forwarded_client_cert;
  presented.peer_spiffe_id = request.peer_spiffe_id;
  presented.peer = request.peer;
  absl::StatusOr<AuthenticatedCaller> caller = Authenticate(*pending->policy, presented, request.method);
  if (!caller.ok()) {
    std::move(done)(caller.status());
    return nullptr;
  }
  pending->caller = *std::move(caller);
  {
    absl::MutexLock lock(&pending->mu);
    pending->done = std::move(done);
    pending->identity.client_id = pending->caller.client_id;
    pending->identity.tenant = pending->caller.tenant->name();
    pending->identity.credential_set = pending->caller.tenant->credential_set();
    pending->identity.reject_inconsistent = pending->caller.tenant->reject_inconsistent();
  }

  const auto& global = pending->policy->config().global_limits();
  const config::v1::Tenant& tenant = *pending->caller.tenant;
  // Slots are held by the identity (released when the reactor drops it at the
  // end of the call) or released at once when the admission is refused or
  // cancelled. The tenant's own cap first: one tenant must not crowd out the rest.
  auto slots = std::make_shared<Slots>();
  {
    absl::MutexLock lock(&pending->mu);
    pending->identity.permit = slots;
  }
  if (tenant.max_concurrent_calls() > 0 &&
      slots->Take(TenantCounter(tenant.name())) > tenant.max_concurrent_calls()) {
    absl::Status s = MakeError(absl::StatusCode::kResourceExhausted, reasons::kTenantConcurrencyLimit,
                               "this tenant's limit of concurrent calls is reached; retry shortly",
                               {{"maxConcurrentCalls", std::to_string(tenant.max_concurrent_calls())}});
    AddQuotaViolation(s, absl::StrCat("tenant:", tenant.name()), "concurrent calls of this tenant");
    AddRetryInfo(s, absl::Milliseconds(200));
    pending->Answer(std::move(s));
    return nullptr;
  }
  if (global.max_concurrent_calls() > 0 && slots->Take(concurrent_) > global.max_concurrent_calls()) {
    // Its own reason: the process-wide --max-concurrent-calls answers
    // TOO_MANY_CONCURRENT_CALLS, and an operator must tell which cap fired.
    absl::Status s = MakeError(absl::StatusCode::kResourceExhausted, reasons::kPolicyConcurrencyLimit,
                               "the access policy's limit of concurrent calls is reached; retry shortly",
                               {{"maxConcurrentCalls", std::to_string(global.max_concurrent_calls())}});
    AddQuotaViolation(s, "global", "concurrent calls");
    AddRetryInfo(s, absl::Milliseconds(200));
    pending->Answer(std::move(s));
    return nullptr;
  }
  pending->deadline = request.deadline;
  const absl::Duration max_wait = absl::Seconds(global.over_limit().max_wait().seconds()) +
                                  absl::Nanoseconds(global.over_limit().max_wait().nanos());
  pending->wait_until = std::min(request.deadline, absl::Now() + max_wait);
  Decide(pending, 0);
  return pending;
}

// Stage 0: the tenant's limit; stage 1: the global upstream limit; 2: admitted.
void GatewayAdmission::Decide(std::shared_ptr<Pending> pending, int stage) {
  const config::v1::Tenant& tenant = *pending->caller.tenant;
  const auto& global = pending->policy->config().global_limits();
  const bool has_limit = stage == 0 ? tenant.has_rate_limit() : global.has_upstream_rate_limit();
  if (stage >= 2 || limiter_ == nullptr) {
    pending->Answer(absl::OkStatus());
    return;
  }
  if (!has_limit) {
    Decide(std::move(pending), stage + 1);
    return;
  }
  {
    absl::MutexLock lock(&pending->mu);
    if (pending->answered) return;  // cancelled meanwhile: ask no limiter for it
  }
  const RateLimit limit = ToLimit(stage == 0 ? tenant.rate_limit() : global.upstream_rate_limit());
  const std::string key = stage == 0 ? absl::StrCat("tenant:", tenant.name()) : std::string("global");
  const std::string label = stage == 0 ? tenant.name() : std::string("global");
  limiter_->Decide(key, limit, [this, pending, stage, limit, label](LimitDecision decision) mutable {
    const std::string subject = stage == 0 ? absl::StrCat("tenant:", label) : std::string("global");
    if (decision.allowed) {
      // Allowed without asking Redis (it is down and the policy is fail_open):
      // operators must see that limits are not being enforced.
      if (on_decision_) on_decision_(label, decision.source == DecisionSource::kFailOpen ? "fail_open" : "allowed");
      if (stage == 0) {
        // Tell the caller its own budget, not the shared one.
        absl::MutexLock lock(&pending->mu);
        pending->identity.response_metadata.emplace_back("x-ratelimit-limit", FormatNumber(limit.rate_per_second));
        pending->identity.response_metadata.emplace_back("x-ratelimit-remaining",
                                                         FormatNumber(std::max(0.0, decision.remaining)));
      }
      Decide(std::move(pending), stage + 1);
      return;
    }
    // Over the limit: wait for the budget when allowed and it fits, else reject.
    const absl::Time now = absl::Now();
    if (timers_ != nullptr && WaitWithinDeadline(decision, pending->wait_until - now, now, pending->deadline)) {
      if (on_decision_) on_decision_(label, "waited");
      // GCRA's retry_after is exact; wait at least 1 ms so a rounding-to-zero
      // rejection cannot spin.
      const absl::Time retry_at = now + std::max(decision.retry_after, absl::Milliseconds(1));
      absl::MutexLock lock(&pending->mu);
      if (pending->answered) return;  // cancelled meanwhile
      pending->wait = timers_->Schedule(retry_at, [this, pending, stage](TimerOutcome outcome) mutable {
        {
          absl::MutexLock wait_lock(&pending->mu);
          pending->wait.reset();
        }
        if (outcome == TimerOutcome::kShutDown) {
          pending->Answer(MakeError(absl::StatusCode::kUnavailable, reasons::kGatewayShuttingDown,
                                    "the gateway is shutting down"));
          return;
        }
        Decide(std::move(pending), stage);
      });
      return;
    }
    if (on_decision_) {
      on_decision_(label, decision.source == DecisionSource::kFailClosed ? "fail_closed" : "rejected");
    }
    pending->Answer(RateLimitedError(
        decision, subject,
        stage == 0 ? "requests per second of this tenant" : "upstream requests per second of the gateway"));
  });
}

}  // namespace ktp::access
