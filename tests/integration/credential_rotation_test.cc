// Integration tests of credential rotation and readiness: the real gateway
// (GatewayServer + CurlOcrBackend) reading its upstream credentials from a
// CredentialVault over a Kubernetes-style Secret volume in a temp dir. Shows
// that a rotated secret reaches the upstream's Authorization / x-api-key headers
// without a restart, and that grpc.health.v1 reports NOT_SERVING until a valid
// set exists and SERVING afterwards. Synthetic credentials only.
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/generic/generic_stub.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "telemetry/log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_harness.h"
#include "upstream/credential_vault.h"

namespace ktp::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

struct Secrets {
  std::string username, password, api_key;
};
// Set A matches FakeUpstream's default options, so calls with it succeed.
const Secrets kSetA{"test-user", "test-pass", "test-api-key"};
// Set B is what the secret rotates to (the fake still expects A and says 401).
const Secrets kSetB{"rotated-user-b7", "rotated-Pw-b7x2", "ak-rotated-b7-9e1"};

// A Secret volume written the way the kubelet writes one: data in a timestamped
// dir, `..data` → that dir (swapped by rename), `username` → `..data/username` ...
class SecretVolume {
 public:
  SecretVolume() {
    char templ[] = "/tmp/ktp_rotation_XXXXXX";
    root_ = mkdtemp(templ);
  }
  ~SecretVolume() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  const std::string& root() const { return root_; }
  void Publish(const Secrets& s) {
    const std::string ts = absl::StrCat("..2024_01_01_00_00_00.", ++version_);
    fs::create_directories(fs::path(root_) / ts);
    for (auto [name, value] : {std::pair{"username", &s.username}, std::pair{"password", &s.password},
                               std::pair{"api_key", &s.api_key}}) {
      std::ofstream(fs::path(root_) / ts / name) << *value << "\n";
    }
    const fs::path tmp = fs::path(root_) / "..data_tmp";
    ASSERT_EQ(symlink(ts.c_str(), tmp.c_str()), 0);
    ASSERT_EQ(rename(tmp.c_str(), (fs::path(root_) / "..data").c_str()), 0);
    for (const char* name : {"username", "password", "api_key"}) {
      const fs::path link = fs::path(root_) / name;
      if (!fs::is_symlink(fs::symlink_status(link))) {
        ASSERT_EQ(symlink((std::string("..data/") + name).c_str(), link.c_str()), 0);
      }
    }
    std::error_code ec;
    if (!previous_.empty()) fs::remove_all(fs::path(root_) / previous_, ec);
    previous_ = ts;
  }

 private:
  std::string root_;
  std::string previous_;
  int version_ = 0;
};

bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = std::chrono::seconds(2)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}


grpc::Status ReadOnce(GatewayHarness& h) {
  UploadSpec spec;
  spec.image = FakePhotoJpeg();
  spec.metadata.set_file_name("card.jpg");
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::ReadResponse response;
  return UploadRead(h.stub(), context, spec, &response);
}

std::string Header(const RecordedRequest& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : it->second;
}

class CredentialRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::SetSinkForTesting([this](absl::string_view line) {
      std::lock_guard<std::mutex> lock(mu_);
      log_.emplace_back(line);
    });
  }
  void TearDown() override {
    log::SetSinkForTesting(nullptr);
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string* secret : {&kSetB.username, &kSetB.password, &kSetB.api_key}) {
      for (const std::string& line : log_) EXPECT_THAT(line, Not(HasSubstr(*secret)));
    }
  }
  std::shared_ptr<upstream::CredentialVault> MakeVault(const std::string& root) {
    upstream::CredentialVaultOptions options;
    options.root = root;
    auto vault = upstream::CredentialVault::Create(std::move(options));
    EXPECT_TRUE(vault.ok()) << vault.status();
    return vault.ok() ? *vault : nullptr;
  }

  std::mutex mu_;
  std::vector<std::string> log_;
};

TEST_F(CredentialRotationTest, RotatedSecretReachesTheUpstreamWithoutRestart) {
  SecretVolume volume;
  volume.Publish(kSetA);
  auto vault = MakeVault(volume.root());
  ASSERT_NE(vault, nullptr);
  HarnessOptions options;
  options.credentials = vault;
  GatewayHarness h(options);

  ASSERT_TRUE(ReadOnce(h).ok());
  ASSERT_EQ(h.fake().request_count(), 1u);
  RecordedRequest first = h.fake().requests().back();
  EXPECT_EQ(Header(first, "authorization"), "Basic " + absl::Base64Escape("test-user:test-pass"));
  EXPECT_EQ(Header(first, "x-api-key"), "test-api-key");

  // Rotate on disk; the same gateway (no restart) sends B's values.
  volume.Publish(kSetB);
  ASSERT_TRUE(Eventually([&] {
    auto c = vault->Current("");
    return c.ok() && (*c)->api_key_header() == "x-api-key: " + kSetB.api_key;
  }));
  const grpc::Status rejected = ReadOnce(h);
  EXPECT_FALSE(rejected.ok());  // the fake still expects A: proves B was really sent
  ASSERT_EQ(h.fake().request_count(), 2u);
  RecordedRequest second = h.fake().requests().back();
  EXPECT_EQ(Header(second, "authorization"),
            "Basic " + absl::Base64Escape(kSetB.username + ":" + kSetB.password));
  EXPECT_EQ(Header(second, "x-api-key"), kSetB.api_key);
  EXPECT_EQ(second.response_status, 401);
  // The error the caller sees carries none of the secrets.
  for (const std::string* secret : {&kSetB.username, &kSetB.password, &kSetB.api_key}) {
    EXPECT_THAT(rejected.error_message(), Not(HasSubstr(*secret)));
    EXPECT_THAT(rejected.error_details(), Not(HasSubstr(*secret)));
  }

  // And back to A: calls succeed again.
  volume.Publish(kSetA);
  ASSERT_TRUE(Eventually([&] {
    auto c = vault->Current("");
    return c.ok() && (*c)->api_key_header() == "x-api-key: " + kSetA.api_key;
  }));
  EXPECT_TRUE(ReadOnce(h).ok());
  EXPECT_EQ(Header(h.fake().requests().back(), "x-api-key"), kSetA.api_key);
  EXPECT_EQ(vault->generation("default"), 3);
}

TEST_F(CredentialRotationTest, NotServingUntilAValidSetAppears) {
  SecretVolume volume;  // empty: the Secret is not there yet
  auto vault = MakeVault(volume.root());
  ASSERT_NE(vault, nullptr);
  HarnessOptions options;
  options.credentials = vault;
  GatewayHarness h(options);
  // The wiring main.cc does: readiness follows the vault.
  service::GatewayServer* server = &h.server();
  const int subscription = vault->Subscribe([server](bool any) { server->SetReady(any); });

  EXPECT_EQ(HealthStatus(h.channel(), ""), 2);
  EXPECT_EQ(HealthStatus(h.channel(), service::GatewayServer::kServiceName), 2);
  // A call that arrives anyway gets a typed UNAVAILABLE, and nothing goes upstream.
  const grpc::Status early = ReadOnce(h);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::UNAVAILABLE);
  auto info = ErrorInfoOf(early);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "CREDENTIALS_UNAVAILABLE");
  EXPECT_EQ(h.fake().request_count(), 0u);

  volume.Publish(kSetA);
  EXPECT_TRUE(Eventually([&] { return HealthStatus(h.channel(), "") == 1; }));
  EXPECT_EQ(HealthStatus(h.channel(), service::GatewayServer::kServiceName), 1);
  EXPECT_TRUE(ReadOnce(h).ok());

  vault->Unsubscribe(subscription);
}

TEST_F(CredentialRotationTest, SetReadyTogglesHealthForBothNames) {
  HarnessOptions options;
  GatewayHarness h(options);
  EXPECT_EQ(HealthStatus(h.channel(), ""), 1);
  h.server().SetReady(false);
  EXPECT_EQ(HealthStatus(h.channel(), ""), 2);
  EXPECT_EQ(HealthStatus(h.channel(), service::GatewayServer::kServiceName), 2);
  h.server().SetReady(true);
  EXPECT_EQ(HealthStatus(h.channel(), service::GatewayServer::kServiceName), 1);

  // After Shutdown (which gRPC makes unobservable to new calls) a late SetReady
  // from the vault's thread is harmless.
  h.server().Shutdown(absl::ZeroDuration());
  h.server().SetReady(true);
}

}  // namespace
}  // namespace ktp::testing
