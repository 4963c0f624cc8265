// ScriptedBackend: the one test double for the OcrBackend seam, for tests of
// what stacks on it (retries, circuit breaker, fallback, the gRPC face). Each
// Start is answered inline with the next scripted result (or `result` once the
// script is empty), or, with `hold`, kept until CompleteHeld() or the call's
// Cancel(). Records what it was asked. Single-threaded tests only.
#ifndef KTP_TESTS_SUPPORT_SCRIPTED_BACKEND_H_
#define KTP_TESTS_SUPPORT_SCRIPTED_BACKEND_H_

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backend/ocr_backend.h"

namespace ktp::testing {

class ScriptedBackend : public backend::OcrBackend {
 public:
  class Call final : public backend::OcrCall {
   public:
    explicit Call(ScriptedBackend* backend) : backend_(backend) {}
    // Counts, and completes a held call with CANCELLED.
    void Cancel() override {
      ++cancels;
      ++backend_->cancels;
      backend_->CompleteHeld(absl::CancelledError("cancelled"));
    }
    int cancels = 0;

   private:
    ScriptedBackend* backend_;
  };

  std::shared_ptr<backend::OcrCall> Start(backend::OcrRequest request, backend::OcrCallback done) override {
    ++starts;
    endpoints.push_back(request.endpoint);
    last_image = std::string(request.image);
    requests.push_back(std::move(request));
    auto call = std::make_shared<Call>(this);
    calls.push_back(call);
    if (hold) {
      held = std::move(done);
      return call;
    }
    absl::StatusOr<backend::OcrResult> answer = result;
    if (!script.empty()) {
      answer = std::move(script.front());
      script.pop_front();
    }
    std::move(done)(std::move(answer));
    return call;
  }

  // Completes the held call (if any) with `answer`.
  void CompleteHeld(absl::StatusOr<backend::OcrResult> answer) {
    if (!held) return;
    backend::OcrCallback done = std::move(held);
    held = nullptr;
    std::move(done)(std::move(answer));
  }

  // What to answer: the script first, then `result`.
  std::deque<absl::StatusOr<backend::OcrResult>> script;
  absl::StatusOr<backend::OcrResult> result = backend::OcrResult();
  bool hold = false;
  backend::OcrCallback held;

  // What it was asked.
  int starts = 0;
  int cancels = 0;
  std::string last_image;
  std::vector<backend::Endpoint> endpoints;
  std::vector<backend::OcrRequest> requests;
  std::vector<std::shared_ptr<Call>> calls;
};

}  // namespace ktp::testing

#endif  // KTP_TESTS_SUPPORT_SCRIPTED_BACKEND_H_
