// ValidatingBackend (see validating_backend.h).
#include "backend/validating_backend.h"

#include <map>
#include <string>
#include <utility>

#include "common/error_details.h"
#include "common/error_reasons.h"
#include "identity/identity_validation.h"

namespace ktp::backend {

ValidatingBackend::ValidatingBackend(OcrBackend* inner, const Clock* clock,
                                     std::function<void(const v1::IdentityValidation&)> on_validated)
    : inner_(inner), clock_(clock), on_validated_(std::move(on_validated)) {}

std::shared_ptr<OcrCall> ValidatingBackend::Start(OcrRequest request, OcrCallback done) {
  const bool reject = request.reject_inconsistent;
  return inner_->Start(std::move(request), [this, reject, done = std::move(done)](
                                               absl::StatusOr<OcrResult> result) mutable {
    if (result.ok() && result->status == v1::READ_STATUS_SUCCESS) {
      OcrResult& r = *result;
      *r.card.mutable_normalized() = identity::Normalize(r.card);
      r.validation = identity::ValidateCard(r.card, identity::IndonesianDay(clock_->Now()));
      r.has_validation = true;
      if (on_validated_) on_validated_(r.validation);
      if (reject && !r.validation.consistent()) {
        std::move(done)(InconsistentIdentityError(r));
        return;
      }
    }
    std::move(done)(std::move(result));
  });
}

absl::Status InconsistentIdentityError(const OcrResult& result) {
  std::string failed;
  for (const v1::IdentityCheck& check : result.validation.checks()) {
    if (check.outcome() != v1::CHECK_OUTCOME_FAIL) continue;
    if (!failed.empty()) failed += ',';
    failed += v1::CheckKind_Name(check.kind());
  }
  std::map<std::string, std::string> metadata = {{"failedChecks", failed},
                                                 {"engine", v1::Engine_Name(result.engine)}};
  if (!result.upstream_request_id.empty()) metadata["upstreamRequestId"] = result.upstream_request_id;
  absl::Status status = MakeError(absl::StatusCode::kFailedPrecondition, reasons::kIdentityInconsistent,
                                  "the card read contradicts itself (see the failing identity checks); "
                                  "this tenant rejects inconsistent cards",
                                  metadata);
  for (const v1::IdentityCheck& check : result.validation.checks()) {
    if (check.outcome() != v1::CHECK_OUTCOME_FAIL) continue;
    AddPreconditionViolation(status, v1::CheckKind_Name(check.kind()), "card", check.detail());
  }
  return status;
}

}  // namespace ktp::backend
