// KtpOcr service: wires each RPC to its reactor.
#include "service/ktp_ocr_service.h"

namespace ktp::service {

KtpOcrService::KtpOcrService(CallEnvironment env) : env_(std::move(env)) {
  env_.active_calls = &active_calls_;
}

grpc::ServerReadReactor<v1::ReadRequest>* KtpOcrService::Read(grpc::CallbackServerContext* context,
                                                              v1::ReadResponse* response) {
  return NewReadReactor(context, response, env_);
}

grpc::ServerReadReactor<v1::ReadWithQualitiesRequest>* KtpOcrService::ReadWithQualities(
    grpc::CallbackServerContext* context, v1::ReadWithQualitiesResponse* response) {
  return NewReadWithQualitiesReactor(context, response, env_);
}

}  // namespace ktp::service
