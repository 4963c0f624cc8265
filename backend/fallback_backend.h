// --fallback=local: answers from a second backend (the local reader) when the
// first (the upstream, behind retries and the circuit breaker) is unavailable:
// circuit open, 5xx or connection failures after retries, no valid
// credentials. The answer is marked (engine ENGINE_LOCAL + fallback_reason =
// the upstream error's reason) so no caller mistakes it for the upstream's.
// Errors that are the caller's own (bad image, deadline, cancel, quota) are
// passed through untouched: falling back would hide them.
#ifndef KTP_BACKEND_FALLBACK_BACKEND_H_
#define KTP_BACKEND_FALLBACK_BACKEND_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "backend/ocr_backend.h"

namespace ktp::backend {

// True when `status` (from the upstream stack) means "the upstream cannot
// answer now" rather than "this request is wrong" or "the gateway is stopping"
// (ClassifyFailure's falls_back, backend/failure_class.h).
bool ShouldFallBack(const absl::Status& status);

class FallbackBackend final : public OcrBackend {
 public:
  // `on_fallback` (optional) runs with the primary error's reason each time the
  // fallback answers instead; it must not block (metrics).
  FallbackBackend(OcrBackend* primary, OcrBackend* fallback,
                  std::function<void(absl::string_view reason)> on_fallback = nullptr);

  std::shared_ptr<OcrCall> Start(OcrRequest request, OcrCallback done) override;

 private:
  OcrBackend* const primary_;
  OcrBackend* const fallback_;
  const std::function<void(absl::string_view)> on_fallback_;
};

}  // namespace ktp::backend

#endif  // KTP_BACKEND_FALLBACK_BACKEND_H_
