// Parses --redis-url (redis://[:password@]host[:port][/db]; TLS rediss:// is refused)
// with libcurl's URL parser, so IPv6 literals and percent-encoded passwords
// work as in any other client.
#ifndef KTP_ACCESS_REDIS_URL_H_
#define KTP_ACCESS_REDIS_URL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ktp::access {

struct RedisEndpoint {
  std::string host;  // without brackets for IPv6
  int port = 6379;
  std::string password;  // decoded; "" = no AUTH
};

// INVALID_ARGUMENT (never echoing the URL, which may hold a password) when `url`
// is not redis://[user[:password]@]host[:port][/...].
absl::StatusOr<RedisEndpoint> ParseRedisUrl(absl::string_view url);

}  // namespace ktp::access

#endif  // KTP_ACCESS_REDIS_URL_H_
