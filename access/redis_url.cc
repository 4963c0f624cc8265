// --redis-url through curl_url(): one well-tested URL parser instead of our own.
#include "access/redis_url.h"

#include <curl/curl.h>

#include <memory>

#include "absl/strings/numbers.h"

namespace ktp::access {
namespace {

struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

// One part of the URL, decoded; "" when absent.
std::string Part(CURLU* url, CURLUPart part) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, CURLU_URLDECODE) != CURLUE_OK || value == nullptr) return "";
  std::string out(value);
  curl_free(value);
  return out;
}

}  // namespace

absl::StatusOr<RedisEndpoint> ParseRedisUrl(absl::string_view text) {
  const absl::Status invalid =
      absl::InvalidArgumentError("must look like redis://[:password@]host[:port] (IPv6 as [addr])");
  std::unique_ptr<CURLU, UrlDeleter> url(curl_url());
  if (url == nullptr) return absl::ResourceExhaustedError("out of memory");
  // CURLU_NON_SUPPORT_SCHEME: libcurl itself does not speak redis://.
  if (curl_url_set(url.get(), CURLUPART_URL, std::string(text).c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    return invalid;
  }
  if (Part(url.get(), CURLUPART_SCHEME) != "redis") return invalid;
  RedisEndpoint endpoint;
  endpoint.host = Part(url.get(), CURLUPART_HOST);
  if (endpoint.host.size() >= 2 && endpoint.host.front() == '[' && endpoint.host.back() == ']') {
    endpoint.host = endpoint.host.substr(1, endpoint.host.size() - 2);
  }
  if (endpoint.host.empty()) return invalid;
  const std::string port = Part(url.get(), CURLUPART_PORT);
  if (!port.empty() && (!absl::SimpleAtoi(port, &endpoint.port) || endpoint.port <= 0 || endpoint.port > 65535)) {
    return invalid;
  }
  endpoint.password = Part(url.get(), CURLUPART_PASSWORD);
  return endpoint;
}

}  // namespace ktp::access
