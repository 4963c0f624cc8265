// One classification of a failed engine call, the only table that says what an
// error means to the chain: whether to retry it (and under which metric cause),
// what it says about the upstream's health (circuit breaker), and whether the
// offline reader may answer instead (fallback). Retries, breaker, fallback and
// their metrics all read it, so they cannot disagree: an error the retry
// policy blames on the input is not held against the upstream's health either.
#ifndef KTP_BACKEND_FAILURE_CLASS_H_
#define KTP_BACKEND_FAILURE_CLASS_H_

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace ktp::backend {

// What a failed attempt says about the upstream.
enum class UpstreamHealth {
  kDown,       // it could not answer: connect, reset, TLS, 502/503/504
  kAlive,      // it answered (4xx, 429, an unusable body, a 500 caused by the input)
  kTimedOut,   // no answer in time: counts as down only when the attempt had time
  kUnrelated,  // no verdict: cancelled, the gateway's own state, an open circuit
};

struct FailureClass {
  // Another attempt may succeed; `cause` is the retry's metric label
  // ("connect", "network", "http_5xx", "http_429"; "" when not retryable).
  bool retryable = false;
  const char* cause = "";
  // A floor on the wait before a retry (the upstream's Retry-After).
  absl::Duration min_delay = absl::ZeroDuration();
  UpstreamHealth health = UpstreamHealth::kUnrelated;
  // The upstream cannot serve this call now, though the offline reader might:
  // it is down, its circuit is open, or the gateway has no usable credentials.
  // Never for the caller's own errors, cancellation or the gateway's shutdown.
  bool falls_back = false;
};

// The class of `status` (OK → a default FailureClass).
//  reason (ErrorInfo)                     retry        health      fallback
//  UPSTREAM_CONNECT_FAILED                connect      down        yes
//  UPSTREAM_CONNECTION_FAILED             network      down        yes
//  UPSTREAM_TLS_FAILED                    -            down        yes
//  UPSTREAM_UNAVAILABLE 502/503/504       http_5xx     down        yes
//  UPSTREAM_UNAVAILABLE 500, other 5xx    -            alive       yes
//  UPSTREAM_TIMEOUT                       -            timed out   no
//  UPSTREAM_QUOTA_EXCEEDED (429)          http_429     alive       no
//  UPSTREAM_CIRCUIT_OPEN                  -            unrelated   yes
//  CREDENTIALS_UNAVAILABLE                -            unrelated   yes
//  UPSTREAM_AUTHENTICATION_FAILED/_ACCESS_DENIED  -    alive       yes
//  GATEWAY_SHUTTING_DOWN, CANCELLED, GATEWAY_INTERNAL, no ErrorInfo  -  unrelated  no
//  anything else (the caller's input, unusable answers)  -  alive  no
// A 500 is not retried because the upstream crashed on this input and would
// again; for the same reason it says nothing against the upstream's health
// (five bad uploads from one tenant must not open the circuit for everyone).
FailureClass ClassifyFailure(const absl::Status& status);

}  // namespace ktp::backend

#endif  // KTP_BACKEND_FAILURE_CLASS_H_
