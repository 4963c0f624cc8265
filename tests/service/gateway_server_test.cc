// The gRPC face alone (GatewayServer with a scripted engine behind the
// OcrBackend seam): what the reactor reports per call, measured on the clock
// the server was given.
#include "service/gateway_server.h"

#include <grpcpp/grpcpp.h>

#include <mutex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ktp/v1/ktp_ocr.grpc.pb.h"
#include "tests/support/fake_clock.h"

namespace ktp::service {
namespace {

// Answers at once, after moving the fake clock on by `takes`.
class SlowOnTheFakeClock final : public backend::OcrBackend {
 public:
  SlowOnTheFakeClock(testing::FakeClock* clock, absl::Duration takes) : clock_(clock), takes_(takes) {}
  std::shared_ptr<backend::OcrCall> Start(backend::OcrRequest, backend::OcrCallback done) override {
    clock_->Advance(takes_);
    backend::OcrResult result;
    result.status = v1::READ_STATUS_SUCCESS;
    std::move(done)(std::move(result));
    return nullptr;
  }

 private:
  testing::FakeClock* clock_;
  absl::Duration takes_;
};

class RecordingObserver final : public CallObserver {
 public:
  void OnCallStarted(Method) override {}
  void OnMessageReceived(Method) override {}
  void OnCallFinished(const CallSummary& summary) override {
    std::lock_guard<std::mutex> lock(mu);
    finished.push_back(summary.latency);
  }
  std::mutex mu;
  std::vector<absl::Duration> finished;
};

grpc::Status ReadTinyPng(v1::KtpOcr::Stub& stub) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::ReadResponse response;
  auto writer = stub.Read(&context, &response);
  v1::ReadRequest request;
  request.mutable_metadata()->set_file_name("card.png");
  writer->Write(request);
  request.Clear();
  request.set_chunk(std::string("\x89PNG\r\n\x1a\n", 8) + std::string(64, '\0'));
  writer->Write(request);
  writer->WritesDone();
  return writer->Finish();
}

TEST(GatewayServerTest, CallLatencyIsMeasuredOnTheInjectedClock) {
  testing::FakeClock clock;
  SlowOnTheFakeClock backend(&clock, absl::Seconds(2));
  RecordingObserver observer;
  GatewayServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.observer = &observer;
  options.clock = &clock;
  auto server = GatewayServer::Start(options, &backend);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = v1::KtpOcr::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string((*server)->port()), grpc::InsecureChannelCredentials()));
  const grpc::Status status = ReadTinyPng(*stub);
  ASSERT_TRUE(status.ok()) << status.error_message();
  (*server)->Shutdown(absl::Seconds(1));
  std::lock_guard<std::mutex> lock(observer.mu);
  ASSERT_EQ(observer.finished.size(), 1u) << "one report per call";
  EXPECT_EQ(observer.finished[0], absl::Seconds(2));
}

}  // namespace
}  // namespace ktp::service
