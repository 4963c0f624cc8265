// The failure table (see failure_class.h for it in one view).
#include "backend/failure_class.h"

#include <string>

#include "absl/strings/string_view.h"
#include "common/error_details.h"
#include "common/error_reasons.h"

namespace ktp::backend {
namespace {

struct Row {
  const char* reason;
  bool retryable;
  const char* cause;
  UpstreamHealth health;
  bool falls_back;
};

constexpr Row kTable[] = {
    {reasons::kUpstreamConnectFailed, true, "connect", UpstreamHealth::kDown, true},
    {reasons::kUpstreamConnectionFailed, true, "network", UpstreamHealth::kDown, true},
    {reasons::kUpstreamTlsFailed, false, "", UpstreamHealth::kDown, true},
    {reasons::kUpstreamTimeout, false, "", UpstreamHealth::kTimedOut, false},
    {reasons::kUpstreamQuotaExceeded, true, "http_429", UpstreamHealth::kAlive, false},
    {reasons::kUpstreamCircuitOpen, false, "", UpstreamHealth::kUnrelated, true},
    {reasons::kCredentialsUnavailable, false, "", UpstreamHealth::kUnrelated, true},
    {reasons::kUpstreamAuthenticationFailed, false, "", UpstreamHealth::kAlive, true},
    {reasons::kUpstreamAccessDenied, false, "", UpstreamHealth::kAlive, true},
    {reasons::kGatewayShuttingDown, false, "", UpstreamHealth::kUnrelated, false},
    {reasons::kCancelled, false, "", UpstreamHealth::kUnrelated, false},
    {reasons::kGatewayInternal, false, "", UpstreamHealth::kUnrelated, false},
};

// 502/503/504: a gateway or the service in front of the model is down; 500
// (and other 5xx): the service crashed on what it was given.
bool UpstreamIsDown(const google::rpc::ErrorInfo& info) {
  auto it = info.metadata().find("httpStatus");
  if (it == info.metadata().end()) return true;  // no answer detail: assume the worst
  return it->second == "502" || it->second == "503" || it->second == "504";
}

}  // namespace

FailureClass ClassifyFailure(const absl::Status& status) {
  FailureClass c;
  if (status.ok()) return c;
  if (status.code() == absl::StatusCode::kCancelled) return c;
  const std::optional<google::rpc::ErrorInfo> info = GetErrorInfo(status);
  if (!info) return c;  // not from the chain: nothing to say
  const absl::string_view reason = info->reason();
  if (reason == reasons::kUpstreamUnavailable) {
    const bool down = UpstreamIsDown(*info);
    c.retryable = down;
    c.cause = down ? "http_5xx" : "";
    c.health = down ? UpstreamHealth::kDown : UpstreamHealth::kAlive;
    c.falls_back = true;
  } else {
    c.health = UpstreamHealth::kAlive;  // unlisted: the upstream answered, the call was wrong
    for (const Row& row : kTable) {
      if (reason != row.reason) continue;
      c.retryable = row.retryable;
      c.cause = row.cause;
      c.health = row.health;
      c.falls_back = row.falls_back;
      break;
    }
  }
  // Connection-level retries only for what the transport reports as unavailable.
  if (c.retryable && (reason == reasons::kUpstreamConnectFailed || reason == reasons::kUpstreamConnectionFailed) &&
      status.code() != absl::StatusCode::kUnavailable) {
    c.retryable = false;
    c.cause = "";
  }
  if (c.retryable) {
    if (auto retry = GetRetryInfo(status)) {
      c.min_delay = absl::Seconds(retry->retry_delay().seconds()) + absl::Nanoseconds(retry->retry_delay().nanos());
    }
  }
  return c;
}

}  // namespace ktp::backend
