// Client authentication: who is calling, from the call's metadata, its
// transport and the access policy. Callers present, in this order of
// precedence: a gateway-issued key (`authorization: Bearer <key>`; only its
// SHA-256 is stored and compared in constant time), a client certificate the
// listener verified (mTLS: its SPIFFE ID), or — only from a trusted proxy's
// address, when the policy trusts the mesh — the SPIFFE ID in Envoy's
// x-forwarded-client-cert header.
#ifndef KTP_ACCESS_CLIENT_AUTH_H_
#define KTP_ACCESS_CLIENT_AUTH_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "access/access_policy.h"
#include "service/call_hooks.h"

namespace ktp::access {

struct AuthenticatedCaller {
  std::string client_id;  // "anonymous" for anonymous calls
  const config::v1::Tenant* tenant = nullptr;  // points into the policy
};

// What authentication looks at ("" when absent).
struct PresentedCredentials {
  absl::string_view authorization;
  absl::string_view forwarded_client_cert;
  // The SPIFFE ID (URI SAN) of the client certificate the listener verified
  // (mTLS); never from metadata.
  absl::string_view peer_spiffe_id;
  // Who connected, as gRPC names it ("ipv4:10.1.2.3:5000"): decides whether
  // x-forwarded-client-cert comes from a trusted proxy.
  absl::string_view peer;
};

// UNAUTHENTICATED (reason UNAUTHENTICATED) for missing or unknown credentials,
// PERMISSION_DENIED (reason CLIENT_DISABLED or METHOD_NOT_ALLOWED) for a known
// client that may not call `method`. Messages never say which keys or clients exist.
absl::StatusOr<AuthenticatedCaller> Authenticate(const AccessPolicy& policy, const PresentedCredentials& credentials,
                                                 service::Method method);

// The URI (SPIFFE ID) of the last element of an x-forwarded-client-cert header:
// the peer that connected to our sidecar. Handles quoted values with , and ;.
std::optional<std::string> SpiffeIdFromXfcc(absl::string_view header);

// A new client key: "ktp_" + 43 base64url characters (256 random bits).
std::string GenerateClientKey();

}  // namespace ktp::access

#endif  // KTP_ACCESS_CLIENT_AUTH_H_
