// The REST client for the GLAIR KTP API: an OcrBackend on libcurl's multi
// interface. One event thread drives every transfer (no thread per call); calls
// reach it through a lock-free queue. A small fixed pool of completion threads
// turns finished transfers into results and runs the callbacks, so the event
// thread does nothing but move bytes. Connections and DNS results are reused
// across calls by the multi handle.
#ifndef KTP_UPSTREAM_CURL_CLIENT_H_
#define KTP_UPSTREAM_CURL_CLIENT_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "upstream/credentials.h"
#include "backend/ocr_backend.h"
#include "backend/upstream_observer.h"

namespace ktp::upstream {

struct CurlClientOptions {
  // Base URL; the endpoints' paths are appended ("/ocr/v1/ktp", "/ocr/v1/ktp/qualities").
  std::string base_url = "https://api.vision.glair.ai";
  std::shared_ptr<const CredentialSource> credentials;
  // Time allowed to establish a connection (TCP + TLS).
  absl::Duration connect_timeout = absl::Seconds(5);
  // Upper bound on one upstream call, also when the caller set no deadline.
  absl::Duration max_call_timeout = absl::Seconds(60);
  // Answers larger than this are refused (UPSTREAM_RESPONSE_TOO_LARGE).
  size_t max_response_bytes = 16u << 20;
  // Extra CA bundle to trust (PEM file); "" uses the system store. TLS peer and
  // host verification are always on.
  std::string ca_file;
  // Cap on open connections to the upstream; 0 means no cap.
  long max_connections = 0;
  // Hears about every upstream request (metrics), from a completion thread;
  // must outlive the client.
  backend::UpstreamObserver* observer = nullptr;
  // Completion threads: they map each finished transfer (HTTP outcome and JSON
  // → OcrResult, base64 images) and run its callback. 0: one per core (at least 1).
  int completion_threads = 0;
};

class CurlOcrBackend final : public backend::OcrBackend {
 public:
  // Validates the options and starts the event thread and the completion threads.
  static absl::StatusOr<std::unique_ptr<CurlOcrBackend>> Create(CurlClientOptions options);
  // Shutdown().
  ~CurlOcrBackend() override;

  // The callback runs on a completion thread, never on the event thread (or
  // inline, when the call fails before it starts).
  std::shared_ptr<backend::OcrCall> Start(backend::OcrRequest request, backend::OcrCallback done) override;

  // Completes every call in flight, and every Start racing this one, with
  // UNAVAILABLE / GATEWAY_SHUTTING_DOWN; Starts after it complete inline with
  // the same error. Returns once every such callback has run and the threads
  // are joined. Idempotent and safe from any thread but a completion callback
  // (it would wait for itself). Start and Cancel stay safe to call until the
  // object is destroyed.
  void Shutdown();

  // Calls started and not yet completed.
  int in_flight() const;
  // The thread that drives the transfers (for tests: no callback runs on it),
  // and how many completion threads there are.
  std::thread::id event_thread_id() const;
  int completion_threads() const;

  class Loop;  // Implementation detail, public only for the .cc's helpers.

 private:
  explicit CurlOcrBackend(std::shared_ptr<Loop> loop);
  std::shared_ptr<Loop> loop_;
};

}  // namespace ktp::upstream

#endif  // KTP_UPSTREAM_CURL_CLIENT_H_
