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

extern char** environ;

namespace ktp::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A child process with stdout+stderr captured to a file.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {}) {
    char path_template[] = "/tmp/ktp-process-XXXXXX";
    int fd = mkstemp(path_template);
    output_path_ = path_template;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fd, 1);
    posix_spawn_file_actions_adddup2(&actions, fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_storage;
    for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
    for (const auto& e : extra_env) env_storage.push_back(e);
    std::vector<char*> env;
    for (auto& e : env_storage) env.push_back(e.data());
    env.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), env.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(fd);
  }
  ~Process() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      Wait();
    }
    unlink(output_path_.c_str());
  }
  void Signal(int sig) { kill(pid_, sig); }
  // Exit code, or -1 on a timeout, 128+N when killed by signal N.
  int Wait(absl::Duration timeout = absl::Seconds(20)) {
    const absl::Time end = absl::Now() + timeout;
    while (absl::Now() < end) {
      int status = 0;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return -1;
  }
  std::string Output() const {
    std::ifstream in(output_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Waits until the output contains `needle`.
  bool WaitForOutput(const std::string& needle, absl::Duration timeout = absl::Seconds(10)) const {
    const absl::Time end = absl::Now() + timeout;
    while (absl::Now() < end) {
      if (Output().find(needle) != std::string::npos) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }
  bool ok() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string output_path_;
};

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
    std::vector<std::string> argv = {KTP_GATEWAY_BIN, "--listen=127.0.0.1:0",
                                     "--upstream-url=" + fake_.base_url(),
                                     "--credentials-dir=" + creds_dir_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    gateway = std::make_unique<Process>(argv);
    if (!gateway->WaitForOutput("\"port\":")) return 0;
    const std::string out = gateway->Output();
    return std::atoi(out.c_str() + out.find("\"port\":") + 7);
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
  Process no_creds({KTP_GATEWAY_BIN, "--listen=127.0.0.1:0", "--credentials-dir=/nonexistent-dir"});
  EXPECT_EQ(no_creds.Wait(), 1);
  EXPECT_THAT(no_creds.Output(), HasSubstr("username"));
}

TEST_F(ProcessTest, EnvironmentVariablesConfigureTheGateway) {
  Process gateway({KTP_GATEWAY_BIN},
                  {"KTP_LISTEN=127.0.0.1:0", "KTP_UPSTREAM_URL=" + fake_.base_url(),
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
