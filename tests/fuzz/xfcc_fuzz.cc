// Fuzzes the x-forwarded-client-cert parser (service::SpiffeIdFromXfcc): no
// crash on any header, and what it returns is a spiffe:// URI from the header.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "access/client_auth.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view header(reinterpret_cast<const char*>(data), size);
  const std::optional<std::string> id = ktp::access::SpiffeIdFromXfcc(header);
  if (id) {
    FUZZ_CHECK(absl::StartsWith(*id, "spiffe://"));
    FUZZ_CHECK(absl::StrContains(header, *id));
  }
  return 0;
}
