// Gateway::Build refusing configurations that are not safe to serve, and the
// gRPC server it builds honouring the hardening switches (reflection).
#include "gateway/gateway.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <fstream>
#include <mutex>

#include "gtest/gtest.h"
#include "service/gateway_server.h"
#include "upstream/credentials.h"

namespace ktp::gateway {
namespace {

GatewayConfig LoopbackConfig() {
  GatewayConfig config;
  config.listen = "127.0.0.1:0";
  config.metrics_listen = "";
  config.allow_anonymous = true;
  config.upstream_url = "http://127.0.0.1:9";  // nothing is called in these tests
  return config;
}

GatewaySeams FixedCredentials() {
  GatewaySeams seams;
  seams.credentials = std::make_shared<upstream::StaticCredentialSource>(
      std::make_shared<const upstream::Credentials>("u", "p", "k"));
  return seams;
}

TEST(GatewayBuildTest, PlainHttpUpstreamOnlyOnLoopbackUnlessAllowed) {
  for (const char* url : {"http://api.vision.glair.ai", "http://10.0.0.5:8080"}) {
    GatewayConfig config = LoopbackConfig();
    config.upstream_url = url;
    auto refused = Gateway::Build(config, FixedCredentials());
    ASSERT_FALSE(refused.ok()) << url;
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << url;
    EXPECT_NE(refused.status().message().find("--allow-insecure-upstream"), absl::string_view::npos);
    config.allow_insecure_upstream = true;
    EXPECT_TRUE(Gateway::Build(config, FixedCredentials()).ok()) << url;
  }
  for (const char* url : {"http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9", "https://example.com"}) {
    GatewayConfig config = LoopbackConfig();
    config.upstream_url = url;
    EXPECT_TRUE(Gateway::Build(config, FixedCredentials()).ok()) << url;
  }
}

TEST(GatewayBuildTest, UpstreamUrlCarryingCredentialsIsRefused) {
  // A URL is logged at start and visible in `ps`: no secret may ride in it.
  for (const char* url : {"https://user:secret@api.example.com", "https://user@api.example.com",
                          "https://api.example.com/?api_key=secret"}) {
    GatewayConfig config = LoopbackConfig();
    config.upstream_url = url;
    auto refused = Gateway::Build(config, FixedCredentials());
    ASSERT_FALSE(refused.ok()) << url;
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(refused.status().message().find("secret"), absl::string_view::npos);
  }
}

TEST(GatewayBuildTest, TlsNeedsReadableFiles) {
  GatewayConfig config = LoopbackConfig();
  config.tls_cert_file = "/nonexistent/tls.crt";
  config.tls_key_file = "/nonexistent/tls.key";
  auto refused = Gateway::Build(config, FixedCredentials());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(GatewayBuildTest, RedisPasswordFileMustBeReadableAndNotEmpty) {
  GatewayConfig config = LoopbackConfig();
  config.redis_url = "redis://127.0.0.1:1";
  config.redis_password_file = "/nonexistent/password";
  EXPECT_FALSE(Gateway::Build(config, FixedCredentials()).ok());
  const std::string empty = ::testing::TempDir() + "/empty-password";
  std::ofstream(empty) << "\n";
  config.redis_password_file = empty;
  EXPECT_FALSE(Gateway::Build(config, FixedCredentials()).ok());
}

// Calls ServerReflectionInfo as a one-message exchange: list the services.
grpc::StatusCode ListServices(int port) {
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  const std::string request("\x3a\x00", 2);  // ServerReflectionRequest{list_services: ""}
  grpc::Slice slice(request);
  grpc::ByteBuffer send(&slice, 1), receive;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", grpc::StubOptions(),
                 &send, &receive, [&](grpc::Status s) {
                   std::lock_guard<std::mutex> lock(mu);
                   status = s;
                   done = true;
                   cv.notify_one();
                 });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  return status.error_code();
}

TEST(GatewayBuildTest, ReflectionFollowsItsSwitch) {
  GatewayConfig config = LoopbackConfig();
  auto with = Gateway::Build(config, FixedCredentials());
  ASSERT_TRUE(with.ok()) << with.status();
  EXPECT_EQ(ListServices((*with)->port()), grpc::StatusCode::OK);
  config.reflection = false;
  auto without = Gateway::Build(config, FixedCredentials());
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_EQ(ListServices((*without)->port()), grpc::StatusCode::UNIMPLEMENTED);
  // One server's switch does not leak into another's (no process-wide plugin).
  EXPECT_EQ(ListServices((*with)->port()), grpc::StatusCode::OK);
}

}  // namespace
}  // namespace ktp::gateway
