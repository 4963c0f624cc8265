// The per-call reactor for both RPCs: reads the upload stream without blocking,
// hands the assembled image to the OcrBackend, and finishes the call from the
// backend's completion. One reactor object per call; no thread per call.
#ifndef KTP_SERVICE_UPLOAD_REACTOR_H_
#define KTP_SERVICE_UPLOAD_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>

#include "absl/time/time.h"
#include "common/clock.h"
#include "common/timer_queue.h"
#include "ktp/v1/ktp_ocr.grpc.pb.h"
#include "service/call_hooks.h"
#include "service/upload_assembler.h"
#include "backend/ocr_backend.h"

namespace ktp::service {

// What every call of the service shares.
struct CallEnvironment {
  backend::OcrBackend* backend = nullptr;
  UploadLimits limits;
  // Upper bound on a call's upstream time when the caller's deadline is later or unset.
  absl::Duration max_call_duration = absl::Seconds(60);
  // Calls currently in a reactor (for drain and tests).
  std::atomic<int>* active_calls = nullptr;
  // Optional hooks (see call_hooks.h); must outlive the server.
  CallObserver* observer = nullptr;
  CallAdmission* admission = nullptr;
  // Service-wide bounds (see GatewayServerOptions): calls in reactors at once
  // (0 = no cap), the image bytes all calls may hold (null = no cap), and how
  // long an upload may go without a message (0 = forever; needs `timers`).
  int max_concurrent_calls = 0;
  ByteBudget* buffered_bytes = nullptr;
  absl::Duration stream_idle_timeout = absl::ZeroDuration();
  // A whole upload may take this long (0 = no limit; needs `timers`).
  absl::Duration max_upload_duration = absl::ZeroDuration();
  TimerQueue* timers = nullptr;
  // Time for latencies, idle checks and the call's cap (wall time: compared
  // with gRPC deadlines). Never null.
  const Clock* clock = RealClock::Default();
};

// Both RPCs are raw methods (see upload_message.h): the reactor decodes the
// upload messages and writes the serialized Read(WithQualities)Response into
// `response`.
grpc::ServerReadReactor<grpc::ByteBuffer>* NewReadReactor(grpc::CallbackServerContext* context,
                                                          grpc::ByteBuffer* response,
                                                          const CallEnvironment& env);

grpc::ServerReadReactor<grpc::ByteBuffer>* NewReadWithQualitiesReactor(grpc::CallbackServerContext* context,
                                                                       grpc::ByteBuffer* response,
                                                                       const CallEnvironment& env);

}  // namespace ktp::service

#endif  // KTP_SERVICE_UPLOAD_REACTOR_H_
