// CIDR matching on inet_pton's 16-byte form.
#include "access/cidr.h"

#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace ktp::access {
namespace {

std::optional<IpAddress> ParseAddress(absl::string_view text) {
  const std::string s(text);
  IpAddress out{};
  in_addr v4;
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out[10] = out[11] = 0xff;  // ::ffff:a.b.c.d
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

bool IsV4(absl::string_view text) { return text.find(':') == absl::string_view::npos; }

}  // namespace

bool Cidr::Contains(const IpAddress& address) const {
  int bits = prefix_bits;
  for (size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((address[i] & mask) != (network[i] & mask)) return false;
  }
  return true;
}

absl::StatusOr<Cidr> ParseCidr(absl::string_view text) {
  const absl::Status invalid = absl::InvalidArgumentError(absl::StrCat("not a CIDR network: \"", text, "\""));
  absl::string_view address = text;
  int bits = -1;  // none given: one host
  if (const size_t slash = text.find('/'); slash != absl::string_view::npos) {
    address = text.substr(0, slash);
    if (!absl::SimpleAtoi(text.substr(slash + 1), &bits) || bits < 0) return invalid;
  }
  std::optional<IpAddress> parsed = ParseAddress(address);
  if (!parsed) return invalid;
  const bool v4 = IsV4(address);
  const int max_bits = v4 ? 32 : 128;
  if (bits < 0) bits = max_bits;
  if (bits > max_bits) return invalid;
  Cidr cidr;
  cidr.network = *parsed;
  cidr.prefix_bits = v4 ? 96 + bits : bits;
  return cidr;
}

std::optional<IpAddress> PeerAddress(absl::string_view peer) {
  absl::string_view host;
  if (absl::ConsumePrefix(&peer, "ipv4:")) {
    const size_t colon = peer.rfind(':');
    host = colon == absl::string_view::npos ? peer : peer.substr(0, colon);
  } else if (absl::ConsumePrefix(&peer, "ipv6:")) {
    // "[addr]:port"; the address may carry a zone ("%25eth0" URL-encoded).
    if (!absl::ConsumePrefix(&peer, "[")) return std::nullopt;
    const size_t close = peer.find(']');
    if (close == absl::string_view::npos) return std::nullopt;
    host = peer.substr(0, close);
    if (const size_t zone = host.find('%'); zone != absl::string_view::npos) host = host.substr(0, zone);
  } else {
    return std::nullopt;
  }
  return ParseAddress(host);
}

const std::vector<Cidr>& LoopbackNetworks() {
  static const auto* networks = new std::vector<Cidr>{*ParseCidr("127.0.0.0/8"), *ParseCidr("::1/128")};
  return *networks;
}

}  // namespace ktp::access
