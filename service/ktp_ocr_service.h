// The KtpOcr gRPC service (callback API): creates one UploadReactor per call.
#ifndef KTP_SERVICE_KTP_OCR_SERVICE_H_
#define KTP_SERVICE_KTP_OCR_SERVICE_H_

#include <atomic>

#include "ktp/v1/ktp_ocr.grpc.pb.h"
#include "service/upload_reactor.h"

namespace ktp::service {

// Both methods are registered raw (ByteBuffer in and out) so that image chunks
// reach the upstream without a protobuf `bytes` copy; the service keeps the
// KtpOcr descriptor (reflection, the method names) all the same.
using RawKtpOcrService = v1::KtpOcr::WithRawCallbackMethod_Read<
    v1::KtpOcr::WithRawCallbackMethod_ReadWithQualities<v1::KtpOcr::CallbackService>>;

class KtpOcrService final : public RawKtpOcrService {
 public:
  // `env.backend` (and the hooks, if set) must outlive the service and every
  // call it started. `env.active_calls` is ignored: the service counts its own.
  explicit KtpOcrService(CallEnvironment env);

  grpc::ServerReadReactor<grpc::ByteBuffer>* Read(grpc::CallbackServerContext* context,
                                                  grpc::ByteBuffer* response) override;
  grpc::ServerReadReactor<grpc::ByteBuffer>* ReadWithQualities(grpc::CallbackServerContext* context,
                                                               grpc::ByteBuffer* response) override;

  // Calls currently being served.
  int active_calls() const { return active_calls_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int> active_calls_{0};
  CallEnvironment env_;
};

}  // namespace ktp::service

#endif  // KTP_SERVICE_KTP_OCR_SERVICE_H_
