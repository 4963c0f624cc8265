// CIDR parsing and matching, and gRPC peer strings (access/cidr).
#include "access/cidr.h"

#include "gtest/gtest.h"

namespace ktp::access {
namespace {

bool In(const char* cidr, const char* peer) {
  auto network = ParseCidr(cidr);
  EXPECT_TRUE(network.ok()) << cidr;
  auto address = PeerAddress(peer);
  EXPECT_TRUE(address.has_value()) << peer;
  return network.ok() && address && network->Contains(*address);
}

TEST(CidrTest, Ipv4Networks) {
  EXPECT_TRUE(In("10.0.0.0/8", "ipv4:10.255.1.2:80"));
  EXPECT_FALSE(In("10.0.0.0/8", "ipv4:11.0.0.1:80"));
  EXPECT_TRUE(In("192.168.4.0/22", "ipv4:192.168.7.255:1"));
  EXPECT_FALSE(In("192.168.4.0/22", "ipv4:192.168.8.0:1"));
  EXPECT_TRUE(In("0.0.0.0/0", "ipv4:8.8.8.8:53"));
  EXPECT_TRUE(In("127.0.0.1", "ipv4:127.0.0.1:9"));   // a bare address is one host
  EXPECT_FALSE(In("127.0.0.1", "ipv4:127.0.0.2:9"));
}

TEST(CidrTest, Ipv6NetworksAndMappedIpv4) {
  EXPECT_TRUE(In("::1/128", "ipv6:[::1]:5000"));
  EXPECT_FALSE(In("::1/128", "ipv6:[::2]:5000"));
  EXPECT_TRUE(In("fd00::/8", "ipv6:[fd12:3456::1]:1"));
  EXPECT_TRUE(In("127.0.0.0/8", "ipv6:[::ffff:127.0.0.1]:1"));  // dual-stack listeners
  EXPECT_TRUE(In("fe80::/10", "ipv6:[fe80::1%25eth0]:1"));  // zone ignored
}

TEST(CidrTest, RefusesWhatIsNotANetwork) {
  for (const char* bad : {"", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0/8", "host.example", "1.2.3.4/x"}) {
    EXPECT_FALSE(ParseCidr(bad).ok()) << bad;
  }
  for (const char* bad : {"", "unix:/tmp/sock", "ipv4:", "ipv6:::1:5", "ipv6:[::1", "ipv4:999.1.1.1:1"}) {
    EXPECT_FALSE(PeerAddress(bad).has_value()) << bad;
  }
}

TEST(CidrTest, LoopbackIsTheDefaultProxyNetwork) {
  auto v4 = PeerAddress("ipv4:127.3.2.1:1");
  auto v6 = PeerAddress("ipv6:[::1]:1");
  auto other = PeerAddress("ipv4:10.0.0.1:1");
  bool v4_in = false, v6_in = false, other_in = false;
  for (const Cidr& c : LoopbackNetworks()) {
    v4_in |= c.Contains(*v4);
    v6_in |= c.Contains(*v6);
    other_in |= c.Contains(*other);
  }
  EXPECT_TRUE(v4_in);
  EXPECT_TRUE(v6_in);
  EXPECT_FALSE(other_in);
}

}  // namespace
}  // namespace ktp::access
