// Bearer-key and SPIFFE authentication against the access policy.
#include "access/client_auth.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "common/error_details.h"
#include "common/error_reasons.h"

namespace ktp::access {
namespace {

absl::Status Unauthenticated(absl::string_view message) {
  return MakeError(absl::StatusCode::kUnauthenticated, reasons::kUnauthenticated, message);
}

// Splits on `sep` outside double quotes.
std::vector<absl::string_view> SplitOutsideQuotes(absl::string_view s, char sep) {
  std::vector<absl::string_view> parts;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && quoted) {
      ++i;
    } else if (s[i] == '"') {
      quoted = !quoted;
    } else if (s[i] == sep && !quoted) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(s.substr(start));
  return parts;
}

}  // namespace

std::optional<std::string> SpiffeIdFromXfcc(absl::string_view header) {
  if (header.empty() || header.size() > 16384) return std::nullopt;
  std::vector<absl::string_view> elements = SplitOutsideQuotes(header, ',');
  for (absl::string_view pair : SplitOutsideQuotes(elements.back(), ';')) {
    pair = absl::StripAsciiWhitespace(pair);
    const size_t eq = pair.find('=');
    if (eq == absl::string_view::npos) continue;
    if (!absl::EqualsIgnoreCase(pair.substr(0, eq), "URI")) continue;
    absl::string_view value = pair.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (absl::StartsWith(value, "spiffe://")) return std::string(value);
  }
  return std::nullopt;
}

absl::StatusOr<AuthenticatedCaller> Authenticate(const AccessPolicy& policy, const PresentedCredentials& credentials,
                                                 service::Method method) {
  const config::v1::Client* client = nullptr;
  const auto& auth = policy.config().auth();
  if (!credentials.authorization.empty()) {
    absl::string_view value = absl::StripAsciiWhitespace(credentials.authorization);
    if (!absl::StartsWithIgnoreCase(value, "bearer ")) {
      return Unauthenticated("the authorization header must be 'Bearer <key>'");
    }
    const absl::string_view key = absl::StripAsciiWhitespace(value.substr(7));
    const std::string digest = Sha256(key);
    client = policy.FindClientByKeyDigest(digest);
    // The map found the candidate by digest; confirm in constant time anyway so
    // no comparison on the path depends on how many bytes matched.
    if (client != nullptr) {
      const std::string expected = absl::HexStringToBytes(absl::AsciiStrToLower(client->api_key_sha256()));
      if (expected.size() != digest.size() ||
          CRYPTO_memcmp(expected.data(), digest.data(), digest.size()) != 0) {
        client = nullptr;
      }
    }
    if (client == nullptr) return Unauthenticated("the key is not valid");
  } else if (!credentials.peer_spiffe_id.empty()) {
    // Verified by the TLS handshake against --tls-client-ca-file.
    client = policy.FindClientBySpiffeId(credentials.peer_spiffe_id);
    if (client == nullptr) return Unauthenticated("the workload identity is not allowed");
  } else if (auth.trust_forwarded_client_cert() && !credentials.forwarded_client_cert.empty()) {
    // Anyone can send the header: only a proxy on a trusted address (the pod's
    // own sidecar) can vouch for it. From anywhere else it proves nothing.
    if (!policy.IsTrustedProxy(credentials.peer)) {
      return Unauthenticated("x-forwarded-client-cert is only accepted from a trusted proxy");
    }
    std::optional<std::string> spiffe_id = SpiffeIdFromXfcc(credentials.forwarded_client_cert);
    if (spiffe_id) client = policy.FindClientBySpiffeId(*spiffe_id);
    if (client == nullptr) return Unauthenticated("the workload identity is not allowed");
  }

  AuthenticatedCaller caller;
  if (client == nullptr) {
    if (!auth.allow_anonymous()) {
      return Unauthenticated("credentials are required: send 'authorization: Bearer <key>'");
    }
    caller.client_id = "anonymous";
    caller.tenant = policy.FindTenant(auth.anonymous_tenant());
  } else {
    if (client->disabled()) {
      return MakeError(absl::StatusCode::kPermissionDenied, reasons::kClientDisabled,
                       "this client has been disabled");
    }
    caller.client_id = client->id();
    caller.tenant = policy.FindTenant(client->tenant());
  }
  if (caller.tenant == nullptr) {
    return MakeError(absl::StatusCode::kPermissionDenied, reasons::kPermissionDenied, "no tenant for this caller");
  }
  if (caller.tenant->allowed_methods_size() > 0) {
    const absl::string_view name = service::MethodName(method);
    bool allowed = false;
    for (const auto& m : caller.tenant->allowed_methods()) allowed |= (m == name);
    if (!allowed) {
      return MakeError(absl::StatusCode::kPermissionDenied, reasons::kMethodNotAllowed,
                       "this client may not call this method", {{"method", std::string(name)}});
    }
  }
  return caller;
}

std::string GenerateClientKey() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();  // no entropy: can't happen on Linux
  std::string key = "ktp_" + absl::WebSafeBase64Escape(
                                 absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
  OPENSSL_cleanse(bytes, sizeof(bytes));
  return key;
}

}  // namespace ktp::access
