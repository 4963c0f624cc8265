// Request ids: the caller's `x-request-id` when it is safe to echo, else a fresh
// UUIDv4. The id follows the call into logs, the upstream request and the response.
#ifndef KTP_SERVICE_REQUEST_ID_H_
#define KTP_SERVICE_REQUEST_ID_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace ktp::service {

// Longest accepted caller id; longer ones are replaced.
inline constexpr size_t kMaxRequestIdLength = 128;

// True for 1–128 characters from [A-Za-z0-9] and "-_.:/+=@". Anything else
// could break log lines, headers or dashboards, so it is replaced.
bool IsValidRequestId(absl::string_view id);

// A random UUIDv4 ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx").
std::string GenerateRequestId();

// The caller's id if valid, else a generated one; `*replaced` tells which
// (true when the caller sent an invalid id).
std::string ResolveRequestId(std::optional<absl::string_view> incoming, bool* replaced);

}  // namespace ktp::service

#endif  // KTP_SERVICE_REQUEST_ID_H_
