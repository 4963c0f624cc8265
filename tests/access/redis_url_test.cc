// --redis-url parsing (access/redis_url): what operators write, IPv6 literals,
// percent-encoded passwords, and refusals that never echo the URL.
#include "access/redis_url.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ktp::access {
namespace {

using ::testing::Not;
using ::testing::HasSubstr;

TEST(RedisUrlTest, HostAloneGetsTheDefaultPortAndNoPassword) {
  auto endpoint = ParseRedisUrl("redis://redis.ktp.svc.cluster.local");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  EXPECT_EQ(endpoint->host, "redis.ktp.svc.cluster.local");
  EXPECT_EQ(endpoint->port, 6379);
  EXPECT_EQ(endpoint->password, "");
}

TEST(RedisUrlTest, PortAndPassword) {
  auto endpoint = ParseRedisUrl("redis://:s3cret@10.0.0.7:6380/0");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  EXPECT_EQ(endpoint->host, "10.0.0.7");
  EXPECT_EQ(endpoint->port, 6380);
  EXPECT_EQ(endpoint->password, "s3cret");
}

TEST(RedisUrlTest, PercentEncodedPasswordIsDecoded) {
  auto endpoint = ParseRedisUrl("redis://default:p%40ss%3Aw%2Frd@localhost:6379");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  EXPECT_EQ(endpoint->password, "p@ss:w/rd");
  EXPECT_EQ(endpoint->host, "localhost");
}

TEST(RedisUrlTest, Ipv6LiteralLosesItsBrackets) {
  auto endpoint = ParseRedisUrl("redis://[::1]:7000");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  EXPECT_EQ(endpoint->host, "::1");
  EXPECT_EQ(endpoint->port, 7000);
}

TEST(RedisUrlTest, RefusalsNeverEchoTheUrl) {
  for (const char* bad : {"", "localhost:6379", "http://localhost", "redis://", "redis://host:0",
                          "redis://host:70000", "redis://:hunter2@host:notaport", "rediss://host"}) {
    auto endpoint = ParseRedisUrl(bad);
    ASSERT_FALSE(endpoint.ok()) << bad;
    EXPECT_EQ(endpoint.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(endpoint.status().message()), Not(HasSubstr("hunter2")));
  }
}

}  // namespace
}  // namespace ktp::access
