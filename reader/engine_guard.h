// The offline reader's one boundary towards the libraries that do its work
// (Leptonica, poppler, OpenCV, Tesseract): every call into them runs inside
// GuardEngine, so whatever they throw — cv::Exception, std::bad_alloc, a
// poppler or Tesseract internal type, anything — becomes the typed error
// INTERNAL / LOCAL_ENGINE_ERROR instead of unwinding through a worker thread
// (std::terminate: the whole gateway gone for one bad image). The error's
// message names the stage only: nothing from the image or the exception's
// text, which may carry personal data.
#ifndef KTP_READER_ENGINE_GUARD_H_
#define KTP_READER_ENGINE_GUARD_H_

#include <exception>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ktp::reader {

// INTERNAL / LOCAL_ENGINE_ERROR for a failure inside `stage` ("decode",
// "ocr", ...: a fixed word, never data).
absl::Status EngineError(absl::string_view stage);

// `status` if it is OK or already carries an ErrorInfo; otherwise (a bare
// absl::InternalError and the like from somewhere below) EngineError(stage),
// so no error leaves the reader untyped.
absl::Status TypedOrEngineError(absl::Status status, absl::string_view stage);

// Runs `f` and returns what it returns (absl::Status or absl::StatusOr<T>);
// an exception of any type thrown by `f` becomes EngineError(stage).
template <typename F>
auto GuardEngine(absl::string_view stage, F&& f) -> decltype(std::forward<F>(f)()) {
  using Result = decltype(std::forward<F>(f)());
  static_assert(std::is_constructible_v<Result, absl::Status>,
                "GuardEngine wraps functions returning absl::Status or absl::StatusOr<T>");
  try {
    return std::forward<F>(f)();
  } catch (const std::exception&) {
    return Result(EngineError(stage));
  } catch (...) {
    return Result(EngineError(stage));
  }
}

}  // namespace ktp::reader

#endif  // KTP_READER_ENGINE_GUARD_H_
