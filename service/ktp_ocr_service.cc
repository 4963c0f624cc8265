// KtpOcr service: wires each RPC to its reactor.
#include "service/ktp_ocr_service.h"

namespace ktp::service {

KtpOcrService::KtpOcrService(CallEnvironment env) : env_(std::move(env)) {
  env_.active_calls = &active_calls_;
}

grpc::ServerReadReactor<grpc::ByteBuffer>* KtpOcrService::Read(grpc::CallbackServerContext* context,
                                                               grpc::ByteBuffer* response) {
  return NewReadReactor(context, response, env_);
}

grpc::ServerReadReactor<grpc::ByteBuffer>* KtpOcrService::ReadWithQualities(
    grpc::CallbackServerContext* context, grpc::ByteBuffer* response) {
  return NewReadWithQualitiesReactor(context, response, env_);
}

}  // namespace ktp::service
