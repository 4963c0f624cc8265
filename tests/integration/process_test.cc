// The shipped binaries as a user runs them: ktp-gateway as a real process in
// front of the fake upstream, ktpctl against it, --help, configuration errors,
// and SIGTERM with a call in flight (the call completes, the process exits 0).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_harness.h"
#include "tests/support/process.h"


namespace ktp::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.Start().ok());
    char dir_template[] = "/tmp/ktp-creds-XXXXXX";
    creds_dir_ = mkdtemp(dir_template);
    for (auto [name, value] : {std::pair{"username", "test-user"}, std::pair{"password", "test-pass"},
                               std::pair{"api_key", "test-api-key"}}) {
      std::ofstream(creds_dir_ + "/" + name) << value << "\n";
    }
  }
  void TearDown() override {
    fake_.Stop();
    for (const char* name : {"username", "password", "api_key"}) unlink((creds_dir_ + "/" + name).c_str());
    rmdir(creds_dir_.c_str());
  }

  // Starts the gateway on a free port; returns its port from the startup log line.
  int StartGateway(std::unique_ptr<Process>& gateway, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {KTP_GATEWAY_BIN, "--listen=127.0.0.1:0", "--metrics-listen=127.0.0.1:0",
                                     "--allow-anonymous",
                                     "--upstream-url=" + fake_.base_url(),
                                     "--credentials-dir=" + creds_dir_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    gateway = std::make_unique<Process>(argv);
    return gateway->WaitForGatewayPort();
  }

  FakeUpstream fake_;
  std::string creds_dir_;
};

TEST_F(ProcessTest, HelpDocumentsEveryFlagAndItsEnvironmentVariable) {
  Process help({KTP_GATEWAY_BIN, "--help"});
  ASSERT_EQ(help.Wait(), 0);
  const std::string out = help.Output();
  for (const char* flag : {"--listen", "--upstream-url", "--credentials-dir", "--max-image-bytes",
                           "--max-chunk-bytes", "--shutdown-grace", "--log-level", "--upstream-timeout",
                           "KTP_LISTEN", "KTP_UPSTREAM_URL", "KTP_CREDENTIALS_DIR", "KTP_MAX_IMAGE_BYTES",
                           "KTP_SHUTDOWN_GRACE", "KTP_LOG_LEVEL"}) {
    EXPECT_THAT(out, HasSubstr(flag));
  }
}

TEST_F(ProcessTest, BadConfigurationExitsWithAClearMessage) {
  Process bad({KTP_GATEWAY_BIN, "--max-image-bytes=lots"});
  EXPECT_EQ(bad.Wait(), 2);
  EXPECT_THAT(bad.Output(), HasSubstr("--max-image-bytes"));
  Process no_creds({KTP_GATEWAY_BIN, "--listen=127.0.0.1:0", "--metrics-listen=127.0.0.1:0",
                    "--allow-anonymous", "--credentials-dir=/nonexistent-dir"});
  EXPECT_EQ(no_creds.Wait(), 1);
  EXPECT_THAT(no_creds.Output(), HasSubstr("username"));
}

TEST_F(ProcessTest, EnvironmentVariablesConfigureTheGateway) {
  Process gateway({KTP_GATEWAY_BIN},
                  {"KTP_LISTEN=127.0.0.1:0", "KTP_METRICS_LISTEN=127.0.0.1:0", "KTP_ALLOW_ANONYMOUS=true", "KTP_UPSTREAM_URL=" + fake_.base_url(),
                   "KTP_CREDENTIALS_DIR=" + creds_dir_, "KTP_LOG_LEVEL=debug"});
  ASSERT_TRUE(gateway.WaitForOutput("\"port\":"));
  EXPECT_THAT(gateway.Output(), HasSubstr(fake_.base_url()));
  gateway.Signal(SIGTERM);
  EXPECT_EQ(gateway.Wait(), 0);
}

TEST_F(ProcessTest, KtpctlReadsTheSampleCardThroughTheGateway) {
  std::unique_ptr<Process> gateway;
  const int port = StartGateway(gateway);
  ASSERT_GT(port, 0) << gateway->Output();
  Process ctl({KTP_KTPCTL_BIN, "read", std::string(KTP_SOURCE_DIR) + "/samples/ktp-synthetic.png",
               "--qualities", "--target", absl::StrCat("127.0.0.1:", port)});
  ASSERT_EQ(ctl.Wait(), 0) << ctl.Output();
  const std::string out = ctl.Output();
  EXPECT_THAT(out, HasSubstr(SyntheticIdentity::Default().nik));
  EXPECT_THAT(out, HasSubstr("READ_STATUS_SUCCESS"));
  // A non-image fails with a typed error and a non-zero exit.
  Process bad({KTP_KTPCTL_BIN, "read", std::string(KTP_SOURCE_DIR) + "/samples/not-an-image.txt",
               "--target", absl::StrCat("127.0.0.1:", port)});
  EXPECT_EQ(bad.Wait(), 1);
  EXPECT_THAT(bad.Output(), HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(bad.Output(), HasSubstr("FILE_INVALID_FORMAT"));
  gateway->Signal(SIGTERM);
  EXPECT_EQ(gateway->Wait(), 0);
  // Nothing personal or secret in the gateway's own output.
  const std::string log = gateway->Output();
  EXPECT_THAT(log, Not(HasSubstr(SyntheticIdentity::Default().nik)));
  EXPECT_THAT(log, Not(HasSubstr("test-pass")));
  EXPECT_THAT(log, Not(HasSubstr("test-api-key")));
}

TEST_F(ProcessTest, UpstreamSecretsFromTheEnvironmentAreWipedOnceRead) {
  Process gateway({KTP_GATEWAY_BIN, "--listen=127.0.0.1:0", "--metrics-listen=", "--allow-anonymous",
                   "--upstream-url=" + fake_.base_url()},
                  {"KTP_UPSTREAM_USERNAME=test-user", "KTP_UPSTREAM_PASSWORD=test-pass",
                   "KTP_UPSTREAM_API_KEY=test-api-key"});
  const int port = gateway.WaitForGatewayPort();
  ASSERT_GT(port, 0) << gateway.Output();
  // What any reader of /proc/<pid>/environ (or a core dump) would see.
  std::ifstream environ_file("/proc/" + std::to_string(gateway.pid()) + "/environ", std::ios::binary);
  ASSERT_TRUE(environ_file.good()) << "the test runs as root or as the gateway's user";
  const std::string environment((std::istreambuf_iterator<char>(environ_file)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(environment.empty());
  EXPECT_THAT(environment, Not(HasSubstr("test-pass")));
  EXPECT_THAT(environment, Not(HasSubstr("test-api-key")));
  // They were read before being wiped: calls still reach the upstream with them.
  Process ctl({KTP_KTPCTL_BIN, "read", std::string(KTP_SOURCE_DIR) + "/samples/ktp-synthetic.png", "--target",
               absl::StrCat("127.0.0.1:", port)});
  EXPECT_EQ(ctl.Wait(), 0) << ctl.Output();
}

TEST_F(ProcessTest, HelpDocumentsTheHardeningFlags) {
  Process help({KTP_GATEWAY_BIN, "--help"});
  ASSERT_EQ(help.Wait(), 0);
  const std::string out = help.Output();
  for (const char* flag : {"--tls-cert-file", "KTP_TLS_CERT_FILE", "--tls-key-file", "--tls-client-ca-file",
                           "--reflection", "KTP_REFLECTION", "--max-upload-duration", "--redis-password-file",
                           "--allow-insecure-upstream", "--max-streams-per-connection", "--grpc-memory-bytes",
                           "--local-max-pixels"}) {
    EXPECT_THAT(out, HasSubstr(flag));
  }
}

TEST_F(ProcessTest, WithoutAnAccessPolicyTheGatewayRefusesToStart) {
  Process gateway({KTP_GATEWAY_BIN, "--listen=127.0.0.1:0", "--metrics-listen=127.0.0.1:0",
                   "--credentials-dir=" + creds_dir_});
  EXPECT_EQ(gateway.Wait(), 1);
  EXPECT_THAT(gateway.Output(), HasSubstr("--config-file"));
}

TEST_F(ProcessTest, KeysIssuedByKtpctlAuthenticateCallersThroughTheConfigFile) {
  Process keygen({KTP_KTPCTL_BIN, "keygen", "--client-id", "payments-api", "--tenant", "payments"});
  ASSERT_EQ(keygen.Wait(), 0);
  const std::string out = keygen.Output();
  const std::string key = out.substr(out.find("key:") + 8, out.find('\n') - out.find("key:") - 8);
  const size_t sha_at = out.find("sha256: ") + 8;
  const std::string sha = out.substr(sha_at, 64);
  ASSERT_EQ(key.rfind("ktp_", 0), 0u) << out;
  const std::string config_path = creds_dir_ + "/access.json";
  std::ofstream(config_path) << R"({"tenants":[{"name":"payments"}],"clients":[{"id":"payments-api",)"
                             << R"("tenant":"payments","apiKeySha256":")" << sha << R"("}]})";
  std::unique_ptr<Process> gateway;
  const int port = StartGateway(gateway, {"--config-file=" + config_path});
  ASSERT_GT(port, 0) << gateway->Output();
  const std::string sample = std::string(KTP_SOURCE_DIR) + "/samples/ktp-synthetic.png";
  const std::string target = absl::StrCat("127.0.0.1:", port);
  Process anonymous({KTP_KTPCTL_BIN, "read", sample, "--target", target});
  EXPECT_EQ(anonymous.Wait(), 1);
  EXPECT_THAT(anonymous.Output(), HasSubstr("UNAUTHENTICATED"));
  Process wrong({KTP_KTPCTL_BIN, "read", sample, "--target", target, "--token", "ktp_not-a-real-key"});
  EXPECT_EQ(wrong.Wait(), 1);
  EXPECT_THAT(wrong.Output(), HasSubstr("UNAUTHENTICATED"));
  Process ok({KTP_KTPCTL_BIN, "read", sample, "--target", target, "--token", key});
  EXPECT_EQ(ok.Wait(), 0) << ok.Output();
  EXPECT_THAT(ok.Output(), HasSubstr(SyntheticIdentity::Default().nik));
  gateway->Signal(SIGTERM);
  EXPECT_EQ(gateway->Wait(), 0);
  EXPECT_THAT(gateway->Output(), HasSubstr("\"client_id\":\"payments-api\""));
  EXPECT_THAT(gateway->Output(), Not(HasSubstr(key)));
  unlink(config_path.c_str());
}

TEST_F(ProcessTest, SigtermDrainsTheCallInFlightAndExitsZero) {
  std::unique_ptr<Process> gateway;
  const int port = StartGateway(gateway, {"--shutdown-grace=10s"});
  ASSERT_GT(port, 0) << gateway->Output();
  ScriptedResponse slow;
  slow.delay = std::chrono::milliseconds(1500);
  slow.body = BuildSuccessBody(SyntheticIdentity::Default(), false);
  fake_.Enqueue(slow);

  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  auto stub = v1::KtpOcr::NewStub(channel);
  grpc::Status status;
  v1::ReadResponse response;
  std::thread caller([&] {
    grpc::ClientContext context;
    UploadSpec spec;
    spec.image = ReadRepoFile("samples/ktp-synthetic.png");
    status = UploadRead(*stub, context, spec, &response);
  });
  ASSERT_TRUE(fake_.WaitForRequests(1, std::chrono::milliseconds(5000)) || fake_.in_flight() == 1);
  const absl::Time start = absl::Now();
  while (fake_.in_flight() == 0 && absl::Now() - start < absl::Seconds(5)) absl::SleepFor(absl::Milliseconds(5));
  gateway->Signal(SIGTERM);
  caller.join();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.card().nik().value(), SyntheticIdentity::Default().nik);
  EXPECT_EQ(gateway->Wait(), 0);
  EXPECT_THAT(gateway->Output(), HasSubstr("\"msg\":\"draining\""));
  // New calls are refused once the drain started.
  grpc::ClientContext late;
  UploadSpec spec;
  spec.image = ReadRepoFile("samples/ktp-synthetic.png");
  v1::ReadResponse late_response;
  EXPECT_EQ(UploadRead(*stub, late, spec, &late_response).error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace ktp::testing
