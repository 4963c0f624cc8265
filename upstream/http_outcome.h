// Maps what happened on the wire (an HTTP answer or a transport failure) to the
// gateway's typed result or error. This is the single place that decides which
// gRPC status a caller sees for every upstream outcome; docs/status-mapping.md
// is its table.
#ifndef KTP_UPSTREAM_HTTP_OUTCOME_H_
#define KTP_UPSTREAM_HTTP_OUTCOME_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "backend/ocr_backend.h"

namespace ktp::upstream {

// One complete HTTP answer from the upstream.
struct HttpAnswer {
  long http_status = 0;
  std::string body;
  std::string content_type;
  std::string upstream_request_id;
  // Raw value of a Retry-After header, "" when absent.
  std::string retry_after;
};

// Why no HTTP answer arrived.
enum class TransportFailure {
  kConnect,           // DNS, refused, unreachable
  kTimeout,           // deadline or configured timeout reached
  kTls,               // certificate or handshake failure
  kNetwork,           // reset or closed mid-exchange, truncated body
  kResponseTooLarge,  // body above the configured cap
  kCancelled,         // the caller went away
  kInternal,          // curl misuse or out of memory: a gateway bug
};

// HTTP answer → result or typed error (200 → mapped body; 400/415 → INVALID_ARGUMENT;
// 401/403 → INTERNAL without upstream detail; 429 → RESOURCE_EXHAUSTED with RetryInfo
// when Retry-After is known; 5xx → UNAVAILABLE; ...). `now` resolves HTTP-date Retry-After.
absl::StatusOr<backend::OcrResult> MapHttpAnswer(HttpAnswer answer, absl::Time now);

// Transport failure → typed error. `detail` is a safe diagnostic (curl's error
// text: it names hosts, never credentials).
absl::Status MapTransportFailure(TransportFailure failure, absl::string_view detail);

// Parses Retry-After: delta-seconds, or an HTTP-date in any of RFC 9110's three
// formats (IMF-fixdate, RFC 850, asctime) taken relative to `now`. The delay is
// clamped to [0, 24h]; nullopt when unparseable.
std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now);

}  // namespace ktp::upstream

#endif  // KTP_UPSTREAM_HTTP_OUTCOME_H_
