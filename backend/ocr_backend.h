// The one seam between the gRPC face (service/) and whatever reads the card
// (upstream/): an asynchronous OcrBackend taking an image, options and call
// context, completing with absl::StatusOr<OcrResult>. The service layer knows
// nothing of HTTP or JSON; implementations know nothing of gRPC servers.
#ifndef KTP_BACKEND_OCR_BACKEND_H_
#define KTP_BACKEND_OCR_BACKEND_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/time/time.h"
#include "ktp/v1/ktp_ocr.pb.h"

namespace ktp::backend {

// Which upstream operation to run.
enum class Endpoint { kRead, kReadWithQualities };

// "read" / "read_with_qualities": a bounded label for logs and metrics.
const char* EndpointName(Endpoint endpoint);

// The most of an image a backend copies again while sending it: the upstream
// client's send buffer (libcurl's upload buffer; a smaller body gets a buffer
// its own size). The upload byte budget counts it (service/upload_assembler.h).
inline constexpr size_t kMaxSendBufferBytes = 64 * 1024;

// One read to perform.
struct OcrRequest {
  Endpoint endpoint = Endpoint::kRead;
  // The image. A Cord shares the caller's chunks: passing it around copies no bytes.
  absl::Cord image;
  // Multipart file name (already sanitized) and the detected media type.
  std::string file_name;
  std::string mime_type;
  v1::ReadOptions options;
  // Which upstream credential set to use ("" = the default set).
  std::string credential_set;
  // The gateway's request id, sent upstream as `x-request-id`.
  std::string request_id;
  // The call gives up at this time (the gRPC deadline, capped by configuration).
  absl::Time deadline = absl::InfiniteFuture();
  // Extra headers to forward verbatim (e.g. W3C traceparent); names lower-case.
  std::vector<std::pair<std::string, std::string>> forward_headers;
  // The tenant's policy: answer FAILED_PRECONDITION instead of a card whose
  // identity checks fail (ValidatingBackend).
  bool reject_inconsistent = false;
};

// A successful exchange with the OCR engine: the document outcome and what was read.
struct OcrResult {
  v1::ReadStatus status = v1::READ_STATUS_UNSPECIFIED;
  std::string reason;
  v1::KtpCard card;
  v1::CardImages images;
  bool has_qualities = false;
  v1::ImageQualities qualities;
  // The identity checks (ValidatingBackend sets them on READ_STATUS_SUCCESS).
  bool has_validation = false;
  v1::IdentityValidation validation;
  // The upstream's `Request-Id` response header ("" when absent).
  std::string upstream_request_id;
  // Upstream attempts this answer took (RetryingBackend counts its retries).
  int attempts = 1;
  // Which engine produced the answer, and (local fallback only) why the
  // upstream did not.
  v1::Engine engine = v1::ENGINE_UPSTREAM;
  std::string fallback_reason;
};

// The typed verdict on the document of a successful read: from the quality
// check when the engine ran one, else from GLAIR's reason wording (Read says
// "not a KTP" only in prose); UNSPECIFIED when the answer does not tell.
v1::DocumentVerdict DocumentVerdictOf(const OcrResult& result);

// Completion of a read: runs exactly once, on a backend thread (or inline when
// the read fails before it starts). Must not block.
using OcrCallback = absl::AnyInvocable<void(absl::StatusOr<OcrResult>) &&>;

// A read in flight.
class OcrCall {
 public:
  virtual ~OcrCall() = default;
  // Abandons the read: the callback runs soon with CANCELLED (unless it already
  // ran). Safe from any thread, any number of times.
  virtual void Cancel() = 0;
};

// Something that reads KTP images asynchronously.
class OcrBackend {
 public:
  virtual ~OcrBackend() = default;
  // Starts `request`; `done` runs once with the result or a typed error
  // (see common/error_details.h). Never blocks on I/O.
  virtual std::shared_ptr<OcrCall> Start(OcrRequest request, OcrCallback done) = 0;
};

}  // namespace ktp::backend

#endif  // KTP_BACKEND_OCR_BACKEND_H_
