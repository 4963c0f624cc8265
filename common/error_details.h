// Typed errors: absl::Status values that carry google.rpc details (ErrorInfo,
// RetryInfo, BadRequest, QuotaFailure, PreconditionFailure) as payloads keyed
// by their type URL, so the service layer can turn them into a
// google.rpc.Status without knowing where they came from. Every error the gateway returns is built here.
#ifndef KTP_COMMON_ERROR_DETAILS_H_
#define KTP_COMMON_ERROR_DETAILS_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace ktp {

// The ErrorInfo domain of every error the gateway produces.
inline constexpr absl::string_view kErrorDomain = "ktp-gateway";

// Type URLs of the detail messages, also the absl::Status payload keys.
inline constexpr absl::string_view kErrorInfoType =
    "type.googleapis.com/google.rpc.ErrorInfo";
inline constexpr absl::string_view kRetryInfoType =
    "type.googleapis.com/google.rpc.RetryInfo";
inline constexpr absl::string_view kBadRequestType =
    "type.googleapis.com/google.rpc.BadRequest";
inline constexpr absl::string_view kQuotaFailureType =
    "type.googleapis.com/google.rpc.QuotaFailure";
inline constexpr absl::string_view kPreconditionFailureType =
    "type.googleapis.com/google.rpc.PreconditionFailure";

// Payload key of the plain ErrorInfo reason MakeError carries beside the detail
// (for ErrorReason); never sent to clients (ToRpcStatus skips it).
inline constexpr absl::string_view kReasonPayload = "ktp-gateway/reason";

// Builds an error with an ErrorInfo{reason, kErrorDomain, metadata}.
// `message` is developer-facing English and must never contain personal data
// or secrets.
absl::Status MakeError(absl::StatusCode code, absl::string_view reason,
                       absl::string_view message,
                       const std::map<std::string, std::string>& metadata = {});

// Attaches a RetryInfo telling the caller how long to wait before retrying.
void AddRetryInfo(absl::Status& status, absl::Duration retry_delay);

// CANCELLED / reason CANCELLED: the caller went away (or the gateway stopped the
// call for it). One status for every layer that notices.
absl::Status CallCancelled();
// Attaches (or extends) a BadRequest with one field violation.
void AddFieldViolation(absl::Status& status, absl::string_view field,
                       absl::string_view description);
// Attaches (or extends) a QuotaFailure with one violation.
void AddQuotaViolation(absl::Status& status, absl::string_view subject,
                       absl::string_view description);

// Attaches (or extends) a PreconditionFailure with one violation.
void AddPreconditionViolation(absl::Status& status, absl::string_view type, absl::string_view subject,
                              absl::string_view description);
// Reads a detail back (tests and the logger use these).
std::optional<google::rpc::ErrorInfo> GetErrorInfo(const absl::Status& status);
std::optional<google::rpc::RetryInfo> GetRetryInfo(const absl::Status& status);
std::optional<google::rpc::BadRequest> GetBadRequest(const absl::Status& status);
std::optional<google::rpc::QuotaFailure> GetQuotaFailure(const absl::Status& status);
std::optional<google::rpc::PreconditionFailure> GetPreconditionFailure(const absl::Status& status);

// The ErrorInfo reason, or "" when there is none. Cheap for errors built by
// MakeError (a payload read, no proto parse).
std::string ErrorReason(const absl::Status& status);

// The google.rpc.Status for `status`: code, message and every detail payload
// packed as an Any. ErrorInfo comes first.
google::rpc::Status ToRpcStatus(const absl::Status& status);

}  // namespace ktp

#endif  // KTP_COMMON_ERROR_DETAILS_H_
