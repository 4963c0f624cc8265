// The outermost decorator of the engine chain: every successful read, from the
// upstream or the local reader alike, leaves with its identity checked
// (identity/identity_validation) and its closed-vocabulary fields typed
// (KtpCard.normalized). A tenant with reject_inconsistent gets
// FAILED_PRECONDITION IDENTITY_INCONSISTENT instead of a card that contradicts
// itself, naming the failing check kinds (never the values).
#ifndef KTP_BACKEND_VALIDATING_BACKEND_H_
#define KTP_BACKEND_VALIDATING_BACKEND_H_

#include <functional>
#include <memory>

#include "backend/ocr_backend.h"
#include "common/clock.h"

namespace ktp::backend {

class ValidatingBackend final : public OcrBackend {
 public:
  // `clock` gives the day of the read (age and expiry, in Indonesian time).
  // `on_validated` (optional) sees each validation, e.g. to count outcomes; it
  // runs on the completion thread and must not block.
  ValidatingBackend(OcrBackend* inner, const Clock* clock,
                    std::function<void(const v1::IdentityValidation&)> on_validated = nullptr);

  std::shared_ptr<OcrCall> Start(OcrRequest request, OcrCallback done) override;

 private:
  OcrBackend* const inner_;
  const Clock* const clock_;
  const std::function<void(const v1::IdentityValidation&)> on_validated_;
};

// The error a tenant with reject_inconsistent receives for `result` (whose
// validation is not consistent): FAILED_PRECONDITION, reason
// IDENTITY_INCONSISTENT, ErrorInfo metadata failedChecks="CHECK_KIND_…,…",
// engine and upstreamRequestId, and one PreconditionFailure violation per
// failing check (type = the kind, description = its detail code).
absl::Status InconsistentIdentityError(const OcrResult& result);

}  // namespace ktp::backend

#endif  // KTP_BACKEND_VALIDATING_BACKEND_H_
