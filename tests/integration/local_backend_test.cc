// The local reader as users run it: a real ktp-gateway process with
// --backend=local (no upstream, no credentials) or --fallback=local, real
// gRPC stubs, synthetic cards from ktp-synth. Checks the typed answer (engine,
// fields, photo, qualities), not-a-KTP, an undecodable image, the busy-pool
// answer, and the fallback marking when the upstream is unreachable.
#include <signal.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "synth/synth_set.h"
#include "tests/integration/gateway_harness.h"
#include "tests/support/process.h"

namespace ktp::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Starts ktp-gateway with `flags`; returns its gRPC port (0 on failure).
int StartGateway(std::unique_ptr<Process>& gateway, const std::vector<std::string>& flags,
                 const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = {KTP_GATEWAY_BIN, "--listen=127.0.0.1:0", "--metrics-listen=127.0.0.1:0",
                                   "--allow-anonymous"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  gateway = std::make_unique<Process>(argv, env);
  return gateway->WaitForGatewayPort(absl::Seconds(30));
}

std::unique_ptr<v1::KtpOcr::Stub> Connect(int port, std::shared_ptr<grpc::Channel>* channel = nullptr) {
  auto ch = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  if (channel) *channel = ch;
  return v1::KtpOcr::NewStub(ch);
}

UploadSpec Upload(const synth::Sample& sample) {
  UploadSpec spec;
  spec.image = sample.encoded;
  spec.metadata.set_file_name(sample.file_name);
  spec.metadata.set_mime_type(sample.mime_type);
  return spec;
}

synth::Sample CleanCard(int index = 0) {
  auto sample = synth::MakeCard(/*seed=*/11, index, synth::Level::kClean);
  EXPECT_TRUE(sample.ok()) << sample.status();
  return *sample;
}

TEST(LocalBackendTest, ReadsASyntheticCardWithoutUpstreamOrCredentials) {
  std::unique_ptr<Process> gateway;
  const int port = StartGateway(gateway, {"--backend=local", "--local-workers=1"});
  ASSERT_GT(port, 0) << gateway->Output();
  std::shared_ptr<grpc::Channel> channel;
  auto stub = Connect(port, &channel);
  EXPECT_EQ(HealthStatus(channel, "ktp.v1.KtpOcr"), 1);

  const synth::Sample card = CleanCard();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::ReadResponse response;
  grpc::Status status = UploadRead(*stub, context, Upload(card), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.status(), v1::READ_STATUS_SUCCESS);
  EXPECT_EQ(response.engine(), v1::ENGINE_LOCAL);
  EXPECT_EQ(response.fallback_reason(), "");
  EXPECT_EQ(response.upstream_request_id(), "");
  EXPECT_FALSE(response.request_id().empty());
  EXPECT_EQ(response.card().nik().value(), card.fields.at("nik"));
  EXPECT_EQ(response.card().name().value(), card.fields.at("name"));
  EXPECT_EQ(response.card().birth_date().value(), card.fields.at("birth_date"));
  EXPECT_TRUE(response.card().birth_date().has_date_value());
  EXPECT_GT(response.card().nik().confidence(), 50);
  // Validated identity, from the same module as the upstream's answers (identity_test).
  const std::string& nik = card.fields.at("nik");
  ASSERT_EQ(response.validation().checks_size(), 8);
  for (int i = 0; i < 4; ++i) {  // NIK format, region, birth date and sex
    EXPECT_EQ(response.validation().checks(i).outcome(), v1::CHECK_OUTCOME_PASS)
        << v1::CheckKind_Name(response.validation().checks(i).kind()) << " "
        << response.validation().checks(i).detail();
  }
  EXPECT_EQ(response.validation().nik().district().code(),
            absl::StrCat(nik.substr(0, 2), ".", nik.substr(2, 2), ".", nik.substr(4, 2)));
  EXPECT_FALSE(response.validation().nik().district().name().empty());
  EXPECT_EQ(response.validation().nik().serial(), nik.substr(12));
  EXPECT_EQ(response.card().normalized().sex(),
            card.fields.at("sex") == "PEREMPUAN" ? v1::SEX_FEMALE : v1::SEX_MALE);
  EXPECT_EQ(response.card().normalized().valid_for_life(), card.fields.at("valid_until") == "SEUMUR HIDUP");
  // Options not asked for are not returned.
  EXPECT_FALSE(response.card().nik().has_raw_text());
  EXPECT_FALSE(response.card().nik().has_confidence_field());
  EXPECT_EQ(response.card().nik().polygons_size(), 0);
  // Photo and signature crops are JPEG.
  ASSERT_GT(response.images().photo().size(), 2u);
  EXPECT_EQ(response.images().photo().substr(0, 2), "\xFF\xD8");
  ASSERT_GT(response.images().signature().size(), 2u);
  EXPECT_EQ(response.images().signature().substr(0, 2), "\xFF\xD8");

  // ReadWithQualities with every option.
  grpc::ClientContext q_context;
  q_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  UploadSpec spec = Upload(card);
  spec.metadata.mutable_options()->set_with_polygon(true);
  spec.metadata.mutable_options()->set_with_raw_text(true);
  spec.metadata.mutable_options()->set_with_confidence_field(true);
  v1::ReadWithQualitiesResponse q;
  status = UploadReadWithQualities(*stub, q_context, spec, &q);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(q.engine(), v1::ENGINE_LOCAL);
  EXPECT_TRUE(q.qualities().ktp());
  EXPECT_FALSE(q.qualities().blurred());
  EXPECT_FALSE(q.qualities().taken_from_screen());
  ASSERT_TRUE(q.card().nik().has_raw_text());
  ASSERT_TRUE(q.card().nik().has_confidence_field());
  ASSERT_EQ(q.card().nik().polygons_size(), 1);
  for (const v1::Vertex& v : q.card().nik().polygons(0).vertices()) {
    EXPECT_GE(v.x(), 0);
    EXPECT_GE(v.y(), 0);
    EXPECT_LT(v.x(), 4000);
    EXPECT_LT(v.y(), 4000);
  }

  gateway->Signal(SIGTERM);
  EXPECT_EQ(gateway->Wait(), 0);
  // Personal data never reaches the log.
  const std::string log = gateway->Output();
  EXPECT_THAT(log, Not(HasSubstr(card.fields.at("nik"))));
  EXPECT_THAT(log, Not(HasSubstr(card.fields.at("name"))));
  EXPECT_THAT(log, HasSubstr("\"engine\":\"local\""));
}

TEST(LocalBackendTest, NotAKtpAndUndecodableImagesAnswerLikeTheUpstream) {
  std::unique_ptr<Process> gateway;
  const int port = StartGateway(gateway, {"--backend=local", "--local-workers=1"});
  ASSERT_GT(port, 0) << gateway->Output();
  auto stub = Connect(port);

  auto other = synth::MakeNonKtp(/*seed=*/11, 0);
  ASSERT_TRUE(other.ok()) << other.status();
  grpc::ClientContext context;
  v1::ReadWithQualitiesResponse response;
  grpc::Status status = UploadReadWithQualities(*stub, context, Upload(*other), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.status(), v1::READ_STATUS_SUCCESS);
  EXPECT_EQ(response.reason(), "File successfully read. Some fields are invalid.");
  EXPECT_FALSE(response.qualities().ktp());

  // PNG magic (so the sniffer lets it through) followed by garbage.
  UploadSpec broken;
  broken.image = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(2000, 'x');
  broken.metadata.set_file_name("broken.png");
  grpc::ClientContext bad_context;
  v1::ReadResponse bad;
  status = UploadRead(*stub, bad_context, broken, &bad);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  auto info = ErrorInfoOf(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "FILE_INVALID_FORMAT");
  gateway->Signal(SIGTERM);
  EXPECT_EQ(gateway->Wait(), 0);
}

TEST(LocalBackendTest, AFullPoolAnswersResourceExhaustedInsteadOfQueueing) {
  std::unique_ptr<Process> gateway;
  const int port = StartGateway(gateway, {"--backend=local", "--local-workers=1", "--local-max-queued=1"});
  ASSERT_GT(port, 0) << gateway->Output();
  auto stub = Connect(port);
  const synth::Sample card = CleanCard(1);
  constexpr int kCalls = 6;
  std::vector<grpc::Status> results(kCalls);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      grpc::ClientContext context;
      v1::ReadResponse response;
      results[i] = UploadRead(*stub, context, Upload(card), &response);
    });
  }
  for (auto& t : threads) t.join();
  int ok = 0, busy = 0;
  for (const grpc::Status& s : results) {
    if (s.ok()) {
      ++ok;
    } else if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++busy;
      auto info = ErrorInfoOf(s);
      ASSERT_TRUE(info.has_value());
      EXPECT_EQ(info->reason(), "LOCAL_ENGINE_BUSY");
      EXPECT_TRUE(RetryInfoOf(s).has_value());
    } else {
      ADD_FAILURE() << "unexpected status " << s.error_code() << ": " << s.error_message();
    }
  }
  // One running + one queued at most when all six arrive together.
  EXPECT_GE(ok, 1);
  EXPECT_GE(busy, 1);
  EXPECT_EQ(ok + busy, kCalls);
  gateway->Signal(SIGTERM);
  EXPECT_EQ(gateway->Wait(), 0);
}

TEST(LocalBackendTest, FallbackAnswersLocallyWhenTheUpstreamIsUnreachableAndSaysWhy) {
  char dir_template[] = "/tmp/ktp-creds-XXXXXX";
  const std::string creds = mkdtemp(dir_template);
  for (const char* name : {"username", "password", "api_key"}) std::ofstream(creds + "/" + name) << "x\n";
  std::unique_ptr<Process> gateway;
  // Port 1 on loopback: connection refused, immediately.
  const int port = StartGateway(gateway, {"--fallback=local", "--local-workers=1", "--upstream-url=http://127.0.0.1:1",
                                          "--credentials-dir=" + creds, "--upstream-retry-initial-backoff=10ms"});
  ASSERT_GT(port, 0) << gateway->Output();
  auto stub = Connect(port);
  const synth::Sample card = CleanCard(2);
  grpc::ClientContext context;
  v1::ReadResponse response;
  grpc::Status status = UploadRead(*stub, context, Upload(card), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.engine(), v1::ENGINE_LOCAL);
  EXPECT_EQ(response.fallback_reason(), "UPSTREAM_CONNECT_FAILED");
  EXPECT_EQ(response.card().nik().value(), card.fields.at("nik"));
  gateway->Signal(SIGTERM);
  EXPECT_EQ(gateway->Wait(), 0);
  EXPECT_THAT(gateway->Output(), HasSubstr("\"fallback_reason\":\"UPSTREAM_CONNECT_FAILED\""));
  for (const char* name : {"username", "password", "api_key"}) unlink((creds + "/" + name).c_str());
  rmdir(creds.c_str());
}

TEST(LocalBackendTest, FallbackServesWithoutAnyCredentials) {
  std::unique_ptr<Process> gateway;
  const int port = StartGateway(gateway, {"--fallback=local", "--local-workers=1", "--upstream-url=http://127.0.0.1:1"});
  ASSERT_GT(port, 0) << gateway->Output();
  std::shared_ptr<grpc::Channel> channel;
  auto stub = Connect(port, &channel);
  EXPECT_EQ(HealthStatus(channel, "ktp.v1.KtpOcr"), 1);
  grpc::ClientContext context;
  v1::ReadResponse response;
  grpc::Status status = UploadRead(*stub, context, Upload(CleanCard(3)), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.engine(), v1::ENGINE_LOCAL);
  EXPECT_EQ(response.fallback_reason(), "CREDENTIALS_UNAVAILABLE");
  gateway->Signal(SIGTERM);
  EXPECT_EQ(gateway->Wait(), 0);
}

TEST(LocalBackendTest, FallbackStaysOutOfTheWayWhileTheUpstreamAnswers) {
  FakeUpstream fake;
  ASSERT_TRUE(fake.Start().ok());
  std::unique_ptr<Process> gateway;
  const int port = StartGateway(gateway, {"--fallback=local", "--local-workers=1", "--upstream-url=" + fake.base_url()},
                                {"KTP_UPSTREAM_USERNAME=test-user", "KTP_UPSTREAM_PASSWORD=test-pass",
                                 "KTP_UPSTREAM_API_KEY=test-api-key"});
  ASSERT_GT(port, 0) << gateway->Output();
  auto stub = Connect(port);
  grpc::ClientContext context;
  v1::ReadResponse response;
  grpc::Status status = UploadRead(*stub, context, Upload(CleanCard(4)), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.engine(), v1::ENGINE_UPSTREAM);
  EXPECT_EQ(response.fallback_reason(), "");
  EXPECT_FALSE(response.upstream_request_id().empty());
  gateway->Signal(SIGTERM);
  EXPECT_EQ(gateway->Wait(), 0);
  fake.Stop();
}

}  // namespace
}  // namespace ktp::testing
