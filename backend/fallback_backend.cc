// FallbackBackend: the upstream first, the local reader when it is unavailable.
#include "backend/fallback_backend.h"

#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "backend/failure_class.h"
#include "common/error_details.h"

namespace ktp::backend {

bool ShouldFallBack(const absl::Status& status) { return ClassifyFailure(status).falls_back; }

namespace {

// One read: the upstream attempt, then possibly the local one. The mutex only
// orders Cancel against the hand-over between the two (never the hot path of
// a successful upstream read beyond one uncontended lock).
class FallbackCall final : public OcrCall, public std::enable_shared_from_this<FallbackCall> {
 public:
  void Cancel() override {
    std::shared_ptr<OcrCall> current;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      current = current_;
    }
    if (current) current->Cancel();
  }

  // Makes `call` the one Cancel reaches. The primary's completion can run
  // inline, before its Start returns: then the fallback call is installed
  // first and must not be replaced by the finished primary (`if_empty`).
  bool Install(std::shared_ptr<OcrCall> call, bool if_empty) {
    bool cancelled;
    {
      absl::MutexLock lock(&mu_);
      if (if_empty && current_ != nullptr) return true;
      current_ = call;
      cancelled = cancelled_;
    }
    if (cancelled && call) call->Cancel();
    return !cancelled;
  }

  bool cancelled() {
    absl::MutexLock lock(&mu_);
    return cancelled_;
  }

 private:
  absl::Mutex mu_;
  bool cancelled_ = false;
  std::shared_ptr<OcrCall> current_;
};

}  // namespace

FallbackBackend::FallbackBackend(OcrBackend* primary, OcrBackend* fallback,
                                 std::function<void(absl::string_view)> on_fallback)
    : primary_(primary), fallback_(fallback), on_fallback_(std::move(on_fallback)) {}

std::shared_ptr<OcrCall> FallbackBackend::Start(OcrRequest request, OcrCallback done) {
  auto call = std::make_shared<FallbackCall>();
  // The image is a Cord: keeping a second reference for the fallback copies no bytes.
  OcrRequest primary_request = request;
  auto on_primary = [this, call, request = std::move(request),
                     done = std::move(done)](absl::StatusOr<OcrResult> result) mutable {
    if (result.ok() || !ShouldFallBack(result.status()) || call->cancelled() ||
        absl::Now() >= request.deadline) {
      std::move(done)(std::move(result));
      return;
    }
    std::string reason = ErrorReason(result.status());
    if (on_fallback_) on_fallback_(reason);
    auto on_local = [reason, done = std::move(done)](absl::StatusOr<OcrResult> local) mutable {
      if (local.ok()) {
        local->engine = v1::ENGINE_LOCAL;
        local->fallback_reason = reason;
      }
      std::move(done)(std::move(local));
    };
    call->Install(fallback_->Start(std::move(request), std::move(on_local)), /*if_empty=*/false);
  };
  call->Install(primary_->Start(std::move(primary_request), std::move(on_primary)), /*if_empty=*/true);
  return call;
}

}  // namespace ktp::backend
