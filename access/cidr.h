// IP networks (CIDR) and peer addresses: which peers are trusted proxies. Parses
// "10.0.0.0/8", "::1/128" and gRPC's peer strings ("ipv4:127.0.0.1:5000",
// "ipv6:[::1]:5000"); IPv4-mapped IPv6 peers match IPv4 networks.
#ifndef KTP_ACCESS_CIDR_H_
#define KTP_ACCESS_CIDR_H_

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ktp::access {

// An address as 16 bytes (IPv4 as IPv4-mapped IPv6).
using IpAddress = std::array<uint8_t, 16>;

struct Cidr {
  IpAddress network{};
  int prefix_bits = 0;  // of the 128-bit form
  bool Contains(const IpAddress& address) const;
};

// INVALID_ARGUMENT unless `text` is an IPv4 or IPv6 network "address/bits"
// (a bare address means one host).
absl::StatusOr<Cidr> ParseCidr(absl::string_view text);

// The address of a gRPC peer string (grpc::ServerContext::peer()); nullopt for
// anything else (unix sockets, garbage).
std::optional<IpAddress> PeerAddress(absl::string_view grpc_peer);

// The networks proxies may connect from when a policy names none: loopback,
// where a sidecar in the same pod connects from.
const std::vector<Cidr>& LoopbackNetworks();

}  // namespace ktp::access

#endif  // KTP_ACCESS_CIDR_H_
