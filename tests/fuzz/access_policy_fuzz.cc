// Fuzzes the access-policy parser and validator (service::AccessPolicy::Parse,
// JSON or textproto): no crash on any input; an accepted policy answers every
// lookup, and each tenant a client names exists (validation's promise).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "access/access_policy.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto policy = ktp::access::AccessPolicy::Parse(text);
  if (!policy.ok()) {
    FUZZ_CHECK(policy.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  const auto& config = (*policy)->config();
  for (const auto& tenant : config.tenants()) FUZZ_CHECK((*policy)->FindTenant(tenant.name()) != nullptr);
  for (const auto& client : config.clients()) {
    FUZZ_CHECK((*policy)->FindTenant(client.tenant()) != nullptr);
    if (client.has_spiffe_id()) FUZZ_CHECK((*policy)->FindClientBySpiffeId(client.spiffe_id()) == &client);
    if (client.has_api_key_sha256()) {
      const std::string digest = absl::HexStringToBytes(absl::AsciiStrToLower(client.api_key_sha256()));
      FUZZ_CHECK((*policy)->FindClientByKeyDigest(digest) == &client);
    }
  }
  (void)(*policy)->FindClientBySpiffeId(text);
  (void)(*policy)->FindClientByKeyDigest(ktp::access::Sha256(text));
  return 0;
}
