// Who is on the other end of a call's transport: the SPIFFE ID of the client
// certificate the TLS handshake verified (mTLS). Only the listener's own
// verification counts here; headers never do.
#ifndef KTP_SERVICE_PEER_IDENTITY_H_
#define KTP_SERVICE_PEER_IDENTITY_H_

#include <grpcpp/security/auth_context.h>

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ktp::service {

// The one spiffe:// URI SAN of the peer's verified certificate; "" when the
// call is not mTLS, the certificate has none, or has several (ambiguous).
std::string PeerSpiffeId(const grpc::AuthContext& auth);

// The same rule over a certificate's URI SANs, and over a PEM certificate
// (exposed for tests).
std::string SpiffeIdFromUris(const std::vector<absl::string_view>& uris);
std::string SpiffeIdFromPem(const std::string& pem);

}  // namespace ktp::service

#endif  // KTP_SERVICE_PEER_IDENTITY_H_
