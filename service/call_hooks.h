// Extension points of the serving path, so cross-cutting concerns live in their
// own files: CallObserver (metrics) sees every call's start, messages and end;
// CallAdmission (client identity, tenants, rate limits) decides whether a call
// may proceed before its upload is read. Both are optional (nullptr = none).
#ifndef KTP_SERVICE_CALL_HOOKS_H_
#define KTP_SERVICE_CALL_HOOKS_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ktp/v1/ktp_ocr.pb.h"

namespace ktp::service {

// The two RPCs, as a bounded label.
enum class Method { kRead, kReadWithQualities };
// "Read" / "ReadWithQualities".
const char* MethodName(Method method);

// What a finished call looked like. Carries no personal data.
struct CallSummary {
  Method method = Method::kRead;
  absl::StatusCode code = absl::StatusCode::kOk;
  // ErrorInfo reason of a failed call ("" when OK).
  absl::string_view reason;
  // Document status of an OK call (READ_STATUS_UNSPECIFIED otherwise).
  v1::ReadStatus document_status = v1::READ_STATUS_UNSPECIFIED;
  absl::Duration latency;
  size_t image_bytes = 0;
  // Tenant the caller was admitted as ("" before admission or without one).
  absl::string_view tenant;
};

// Observes calls; implementations must be thread-safe and must not block.
class CallObserver {
 public:
  virtual ~CallObserver() = default;
  virtual void OnCallStarted(Method method) = 0;
  virtual void OnMessageReceived(Method method) = 0;
  virtual void OnCallFinished(const CallSummary& summary) = 0;
};

// Who the caller is, once admitted.
struct CallerIdentity {
  std::string client_id;       // e.g. the key's name or a SPIFFE ID; never a secret
  std::string tenant;          // bounded set, from configuration
  std::string credential_set;  // which upstream credential set the tenant uses ("" = default)
  // The tenant answers inconsistent cards with FAILED_PRECONDITION (see ValidatingBackend).
  bool reject_inconsistent = false;
  // Response headers for the caller (e.g. x-ratelimit-limit / -remaining).
  std::vector<std::pair<std::string, std::string>> response_metadata;
  // Released when the call ends (e.g. a concurrency slot); may be null.
  std::shared_ptr<void> permit;
};

// What admission may look at.
struct AdmissionRequest {
  Method method = Method::kRead;
  // The call's `authorization` and `x-forwarded-client-cert` metadata ("" when
  // absent); valid until `done` runs.
  absl::string_view authorization;
  absl::string_view forwarded_client_cert;
  // From the transport: the verified client certificate's SPIFFE ID ("" without
  // mTLS) and the peer's address as gRPC names it ("ipv4:10.1.2.3:5000").
  absl::string_view peer_spiffe_id;
  absl::string_view peer;
  absl::Time deadline = absl::InfiniteFuture();
};

using AdmissionCallback = absl::AnyInvocable<void(absl::StatusOr<CallerIdentity>) &&>;

// An admission still being decided (e.g. waiting for rate-limit budget).
class PendingAdmission {
 public:
  virtual ~PendingAdmission() = default;
  // The call is gone: answer it now with CANCELLED (unless already answered)
  // and release what it holds (its concurrency slot, its wait). Any thread,
  // any number of times; the answer may run inline.
  virtual void Cancel() = 0;
};

// Decides whether a call may proceed. `done` runs exactly once, inline or on
// another thread, with the caller's identity or a typed error (UNAUTHENTICATED,
// PERMISSION_DENIED, RESOURCE_EXHAUSTED with QuotaFailure/RetryInfo, ...).
// Must never block the calling thread. Returns a handle to cancel an admission
// that is still pending, or null when it was answered inline.
class CallAdmission {
 public:
  virtual ~CallAdmission() = default;
  virtual std::shared_ptr<PendingAdmission> Admit(const AdmissionRequest& request, AdmissionCallback done) = 0;
};

}  // namespace ktp::service

#endif  // KTP_SERVICE_CALL_HOOKS_H_
