// The upstream outcome → gRPC status table (see docs/status-mapping.md).
#include "upstream/http_outcome.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdint>
#include <ctime>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/error_details.h"
#include "common/error_reasons.h"
#include "upstream/response_mapper.h"

namespace ktp::upstream {
namespace {

using Metadata = std::map<std::string, std::string>;

Metadata BaseMetadata(const HttpAnswer& answer) {
  Metadata m{{"httpStatus", std::to_string(answer.http_status)}};
  if (!answer.upstream_request_id.empty()) m["upstreamRequestId"] = answer.upstream_request_id;
  return m;
}

// The upstream's answer to a bad upload: the caller's fault, so INVALID_ARGUMENT.
absl::Status CallerInputError(const HttpAnswer& answer) {
  // Same tolerance as a 200 body: the status string is matched case-insensitively.
  const v1::ReadStatus upstream_status = MapDocumentStatus(ExtractStatusString(answer.body));
  Metadata m = BaseMetadata(answer);
  if (answer.http_status == 415 || upstream_status == v1::READ_STATUS_FILE_INVALID_FORMAT) {
    absl::Status s = MakeError(absl::StatusCode::kInvalidArgument, reasons::kFileInvalidFormat,
                               "the OCR provider rejected the file format; send a png, jpeg, pdf or tiff image",
                               m);
    AddFieldViolation(s, "chunk", "not an accepted image format");
    return s;
  }
  if (upstream_status == v1::READ_STATUS_NO_FILE) {
    absl::Status s = MakeError(absl::StatusCode::kInvalidArgument, reasons::kNoFile,
                               "the OCR provider received no file", m);
    AddFieldViolation(s, "chunk", "no image bytes were received");
    return s;
  }
  return MakeError(absl::StatusCode::kInvalidArgument, reasons::kUpstreamRejectedRequest,
                   absl::StrCat("the OCR provider rejected the request (HTTP ", answer.http_status, ")"),
                   m);
}

}  // namespace

std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  if (value.empty()) return std::nullopt;
  int64_t seconds = 0;
  if (absl::SimpleAtoi(value, &seconds)) {
    if (seconds < 0) return std::nullopt;
    // A day is far beyond any sensible hint; clamp rather than trust it.
    return absl::Seconds(std::min<int64_t>(seconds, 86400));
  }
  // An HTTP-date (RFC 9110 5.6.7) in one of its three formats; libcurl reads
  // the fields. curl_getdate is lenient (it takes any zone or none, a date
  // without a time, and ignores text after the date), so first insist on the
  // formats' shape: all three carry a time of day; the IMF-fixdate and RFC 850
  // forms end in " GMT"; the asctime form ("Sun Nov  6 08:49:37 1994") is
  // always 24 characters, without a comma.
  const bool gmt_form = absl::EndsWith(value, " GMT");
  const bool asctime_form = value.size() == 24 && !absl::StrContains(value, ',');
  if ((!gmt_form && !asctime_form) || !absl::StrContains(value, ':')) return std::nullopt;
  const time_t when = curl_getdate(std::string(value).c_str(), nullptr);
  if (when == -1) return std::nullopt;
  absl::Duration d = absl::FromTimeT(when) - now;
  if (d < absl::ZeroDuration()) d = absl::ZeroDuration();
  return std::min(d, absl::Hours(24));
}

absl::StatusOr<backend::OcrResult> MapHttpAnswer(HttpAnswer answer, absl::Time now) {
  const long code = answer.http_status;
  if (code == 200) {
    absl::StatusOr<backend::OcrResult> result = MapResponseBody(answer.body);
    if (!result.ok()) {
      // Keep the mapper's message (it names a JSON path, never a value) and add ids.
      google::rpc::ErrorInfo info = GetErrorInfo(result.status()).value_or(google::rpc::ErrorInfo());
      Metadata m = BaseMetadata(answer);
      return MakeError(result.status().code(),
                       info.reason().empty() ? reasons::kUpstreamBadResponse : info.reason(),
                       result.status().message(), m);
    }
    // A 200 that still says the upload was bad is treated like the 400/415 it means.
    if (result->status == v1::READ_STATUS_NO_FILE ||
        result->status == v1::READ_STATUS_FILE_INVALID_FORMAT) {
      return CallerInputError(answer);
    }
    result->upstream_request_id = std::move(answer.upstream_request_id);
    return result;
  }
  if (code == 400 || code == 415 || code == 413 || code == 422) return CallerInputError(answer);
  if (code == 401 || code == 403) {
    // The gateway's own credentials failed: not the caller's fault, and nothing of
    // the upstream's answer (which could echo account details) is passed on.
    return MakeError(absl::StatusCode::kInternal,
                     code == 401 ? reasons::kUpstreamAuthenticationFailed : reasons::kUpstreamAccessDenied,
                     "the gateway's credentials for the OCR provider were not accepted; "
                     "operators must fix the gateway's configuration",
                     BaseMetadata(answer));
  }
  if (code == 429) {
    absl::Status s = MakeError(absl::StatusCode::kResourceExhausted, reasons::kUpstreamQuotaExceeded,
                               "the OCR provider's quota for this gateway is exhausted; retry later",
                               BaseMetadata(answer));
    AddQuotaViolation(s, "upstream:glair-vision", "request rate or quota of the gateway's account");
    if (auto delay = ParseRetryAfter(answer.retry_after, now)) AddRetryInfo(s, *delay);
    return s;
  }
  if (code >= 500 && code <= 599) {
    absl::Status s = MakeError(absl::StatusCode::kUnavailable, reasons::kUpstreamUnavailable,
                               absl::StrCat("the OCR provider failed (HTTP ", code, ")"),
                               BaseMetadata(answer));
    if (auto delay = ParseRetryAfter(answer.retry_after, now)) AddRetryInfo(s, *delay);
    return s;
  }
  return MakeError(absl::StatusCode::kInternal, reasons::kUpstreamUnexpectedStatus,
                   absl::StrCat("the OCR provider answered with unexpected HTTP status ", code),
                   BaseMetadata(answer));
}

absl::Status MapTransportFailure(TransportFailure failure, absl::string_view detail) {
  switch (failure) {
    case TransportFailure::kConnect:
      return MakeError(absl::StatusCode::kUnavailable, reasons::kUpstreamConnectFailed,
                       absl::StrCat("cannot connect to the OCR provider: ", detail));
    case TransportFailure::kTimeout:
      return MakeError(absl::StatusCode::kDeadlineExceeded, reasons::kUpstreamTimeout,
                       "the OCR provider did not answer before the deadline");
    case TransportFailure::kTls:
      return MakeError(absl::StatusCode::kUnavailable, reasons::kUpstreamTlsFailed,
                       absl::StrCat("TLS with the OCR provider failed: ", detail));
    case TransportFailure::kNetwork:
      return MakeError(absl::StatusCode::kUnavailable, reasons::kUpstreamConnectionFailed,
                       absl::StrCat("the connection to the OCR provider failed: ", detail));
    case TransportFailure::kResponseTooLarge:
      return MakeError(absl::StatusCode::kInternal, reasons::kUpstreamResponseTooLarge,
                       "the OCR provider's answer exceeded the gateway's size limit");
    case TransportFailure::kCancelled:
      return CallCancelled();
    case TransportFailure::kInternal:
      return MakeError(absl::StatusCode::kInternal, reasons::kGatewayInternal,
                       absl::StrCat("internal error calling the OCR provider: ", detail));
  }
  return MakeError(absl::StatusCode::kInternal, reasons::kGatewayInternal, "unknown transport failure");
}

}  // namespace ktp::upstream
