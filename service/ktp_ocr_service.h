// The KtpOcr gRPC service (callback API): creates one UploadReactor per call.
#ifndef KTP_SERVICE_KTP_OCR_SERVICE_H_
#define KTP_SERVICE_KTP_OCR_SERVICE_H_

#include <atomic>

#include "ktp/v1/ktp_ocr.grpc.pb.h"
#include "service/upload_reactor.h"

namespace ktp::service {

class KtpOcrService final : public v1::KtpOcr::CallbackService {
 public:
  // `env.backend` (and the hooks, if set) must outlive the service and every
  // call it started. `env.active_calls` is ignored: the service counts its own.
  explicit KtpOcrService(CallEnvironment env);

  grpc::ServerReadReactor<v1::ReadRequest>* Read(grpc::CallbackServerContext* context,
                                                 v1::ReadResponse* response) override;
  grpc::ServerReadReactor<v1::ReadWithQualitiesRequest>* ReadWithQualities(
      grpc::CallbackServerContext* context, v1::ReadWithQualitiesResponse* response) override;

  // Calls currently being served.
  int active_calls() const { return active_calls_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int> active_calls_{0};
  CallEnvironment env_;
};

}  // namespace ktp::service

#endif  // KTP_SERVICE_KTP_OCR_SERVICE_H_
