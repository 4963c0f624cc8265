// Fuzzes request-id validation (service/request_id): IsValidRequestId agrees
// with its specification (1–128 of [A-Za-z0-9-_.:/+=@]), a valid id is echoed
// unchanged, and whatever comes in, the id the gateway uses is valid.
#include <cstddef>
#include <cstdint>
#include <string>

#include "service/request_id.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

bool Allowed(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == ':' || c == '/' || c == '+' || c == '=' || c == '@';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view id(reinterpret_cast<const char*>(data), size);
  bool expected = !id.empty() && id.size() <= ktp::service::kMaxRequestIdLength;
  for (char c : id) expected = expected && Allowed(c);
  const bool valid = ktp::service::IsValidRequestId(id);
  FUZZ_CHECK(valid == expected);

  bool replaced = true;
  const std::string used = ktp::service::ResolveRequestId(id, &replaced);
  FUZZ_CHECK(ktp::service::IsValidRequestId(used));
  FUZZ_CHECK(replaced == !valid);
  if (valid) FUZZ_CHECK(used == id);
  return 0;
}
