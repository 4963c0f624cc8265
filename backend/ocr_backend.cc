// Small helpers shared by every OcrBackend.
#include "backend/ocr_backend.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace ktp::backend {

const char* EndpointName(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::kRead: return "read";
    case Endpoint::kReadWithQualities: return "read_with_qualities";
  }
  return "read";
}

v1::DocumentVerdict DocumentVerdictOf(const OcrResult& result) {
  switch (result.status) {
    case v1::READ_STATUS_SUCCESS:
      break;
    case v1::READ_STATUS_UNRECOGNIZED_DOCUMENT_TYPE:
      return v1::DOCUMENT_VERDICT_NOT_KTP;
    case v1::READ_STATUS_MULTIPLE_DOCUMENTS_DETECTED:
      return v1::DOCUMENT_VERDICT_MULTIPLE_DOCUMENTS;
    default:
      return v1::DOCUMENT_VERDICT_UNSPECIFIED;
  }
  // The quality check is the engine's own verdict when it ran.
  if (result.has_qualities) return result.qualities.ktp() ? v1::DOCUMENT_VERDICT_KTP : v1::DOCUMENT_VERDICT_NOT_KTP;
  // Read has no flag: GLAIR says it only in the reason sentence (both engines
  // use its wording), so it is read here, once, for every caller.
  const absl::string_view reason = absl::StripAsciiWhitespace(result.reason);
  if (absl::StrContains(absl::AsciiStrToLower(reason), "some fields are invalid")) {
    return v1::DOCUMENT_VERDICT_NOT_KTP;
  }
  if (absl::EqualsIgnoreCase(reason, "file successfully read") ||
      absl::EqualsIgnoreCase(reason, "file successfully read.")) {
    return v1::DOCUMENT_VERDICT_KTP;
  }
  return v1::DOCUMENT_VERDICT_UNSPECIFIED;
}

}  // namespace ktp::backend
