// absl::Status (with google.rpc detail payloads) → grpc::Status carrying a
// serialized google.rpc.Status in its binary details (grpc-status-details-bin).
#ifndef KTP_SERVICE_GRPC_STATUS_H_
#define KTP_SERVICE_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace ktp::service {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace ktp::service

#endif  // KTP_SERVICE_GRPC_STATUS_H_
