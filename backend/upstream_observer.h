// UpstreamObserver: what the upstream client reports about each HTTP request it
// makes (for metrics). The upstream layer knows nothing of Prometheus; the
// service layer's GatewayMetrics implements this. Optional (nullptr = none).
#ifndef KTP_BACKEND_UPSTREAM_OBSERVER_H_
#define KTP_BACKEND_UPSTREAM_OBSERVER_H_

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "backend/ocr_backend.h"

namespace ktp::backend {

// Observes upstream requests. Implementations must be thread-safe and must not
// block: they run on the client's completion threads.
class UpstreamObserver {
 public:
  virtual ~UpstreamObserver() = default;

  // One call per upstream request the client put on the wire, just before its
  // caller is completed.
  //   http_status: the answer's HTTP status, 0 when no HTTP answer arrived.
  //   failure_cause: "" when an HTTP answer arrived and its status tells the
  //     story (the observer classifies 4xx/5xx itself); "bad_response" for a 200
  //     whose body could not be used; otherwise (http_status 0) one of "connect",
  //     "timeout", "tls", "network", "response_too_large", "cancelled",
  //     "internal". Always a bounded, static string: safe as a metric label.
  //   elapsed: from handing the request to curl until it finished.
  virtual void OnUpstreamRequestDone(Endpoint endpoint, long http_status,
                                     absl::string_view failure_cause, absl::Duration elapsed) = 0;

  // A request is being retried because of `cause`: one of the failure causes
  // above or the HTTP ones ("http_5xx", "http_429", ...; see GatewayMetrics).
  virtual void OnUpstreamRetry(Endpoint endpoint, absl::string_view cause) = 0;
};

}  // namespace ktp::backend

#endif  // KTP_BACKEND_UPSTREAM_OBSERVER_H_
