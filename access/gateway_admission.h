// Admission of calls (CallAdmission): authenticates the caller against the
// current access policy, caps concurrent calls, then applies the tenant's rate
// limit and the global upstream rate limit (local or Redis-backed limiter).
// Over a limit the call is rejected with RetryInfo, or — when the policy
// allows a bounded wait — retried on a timer within the call's deadline. A
// call cancelled while it waits is answered at once and gives its slot back.
#ifndef KTP_ACCESS_GATEWAY_ADMISSION_H_
#define KTP_ACCESS_GATEWAY_ADMISSION_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

#include "common/timer_queue.h"
#include "access/access_policy.h"
#include "service/call_hooks.h"
#include "access/rate_limiter.h"

namespace ktp::access {

class GatewayAdmission final : public service::CallAdmission {
 public:
  // Reports each rate-limit decision: tenant ("global" for the upstream cap)
  // and outcome ("allowed", "rejected", "waited", "fail_open", "fail_closed").
  using DecisionCallback = std::function<void(absl::string_view tenant, absl::string_view outcome)>;

  // All pointers must outlive the admission. `timers` may be null (no waiting).
  GatewayAdmission(const AccessPolicyStore* policies, RateLimiter* limiter, TimerQueue* timers,
                   DecisionCallback on_decision = nullptr);

  std::shared_ptr<service::PendingAdmission> Admit(const service::AdmissionRequest& request,
                                                   service::AdmissionCallback done) override;

  // Calls admitted and not yet finished (bounded by global_limits.max_concurrent_calls).
  int concurrent_calls() const { return concurrent_->load(std::memory_order_relaxed); }
  // The same for one tenant (bounded by its max_concurrent_calls).
  int tenant_calls(const std::string& tenant);

 private:
  struct Pending;
  struct Slots;
  std::shared_ptr<std::atomic<int>> TenantCounter(const std::string& tenant);
  void Decide(std::shared_ptr<Pending> pending, int stage);

  const AccessPolicyStore* policies_;
  RateLimiter* limiter_;
  TimerQueue* timers_;
  DecisionCallback on_decision_;
  std::shared_ptr<std::atomic<int>> concurrent_ = std::make_shared<std::atomic<int>>(0);
  // Calls in progress by tenant; counters outlive policy reloads.
  absl::Mutex tenant_mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<std::atomic<int>>> tenant_calls_ ABSL_GUARDED_BY(tenant_mu_);
};

}  // namespace ktp::access

#endif  // KTP_ACCESS_GATEWAY_ADMISSION_H_
