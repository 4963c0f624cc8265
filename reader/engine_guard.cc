// Engine failures as typed errors. See engine_guard.h.
#include "reader/engine_guard.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/error_details.h"
#include "common/error_reasons.h"

namespace ktp::reader {

absl::Status EngineError(absl::string_view stage) {
  return MakeError(absl::StatusCode::kInternal, reasons::kLocalEngineError,
                   absl::StrCat("the local OCR engine failed on this image (", stage, ")"));
}

absl::Status TypedOrEngineError(absl::Status status, absl::string_view stage) {
  if (status.ok() || GetErrorInfo(status).has_value()) return status;
  return EngineError(stage);
}

}  // namespace ktp::reader
