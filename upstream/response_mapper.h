// JSON → proto: the one place that understands the upstream's response body.
// Tolerates the documented drift (camelCase and snake_case keys, `qualities` or
// `condition`, `photo`/`sign` or `foto`/`tanda_tangan`, unknown and missing keys,
// integers or floats) and never crashes on hostile input.
#ifndef KTP_UPSTREAM_RESPONSE_MAPPER_H_
#define KTP_UPSTREAM_RESPONSE_MAPPER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backend/ocr_backend.h"

namespace ktp::upstream {

// Maps the body of an HTTP 200 answer. Fills status, reason, card, images and
// qualities (upstream_request_id is the caller's to set). Errors:
// INTERNAL with ErrorInfo reason UPSTREAM_BAD_RESPONSE for malformed JSON, a
// non-object top level, or invalid base64 in an image; the message names the
// JSON path at fault but never a value.
absl::StatusOr<backend::OcrResult> MapResponseBody(absl::string_view json);

// Maps an upstream `status` string ("SUCCESS", ...) to the enum;
// READ_STATUS_UNKNOWN when this version does not know it (UNSPECIFIED is never
// an answer).
v1::ReadStatus MapDocumentStatus(absl::string_view status);

// Best effort: the `status` string of an error body (400/415 answers carry
// one), "" when the body is not JSON or has none.
std::string ExtractStatusString(absl::string_view json);

}  // namespace ktp::upstream

#endif  // KTP_UPSTREAM_RESPONSE_MAPPER_H_
