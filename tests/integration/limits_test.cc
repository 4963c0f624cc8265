// The service's own bounds, end to end: --max-concurrent-calls (refused at once
// with TOO_MANY_CONCURRENT_CALLS, never queued), --max-buffered-bytes (a global
// budget of image bytes: GATEWAY_OVERLOADED, released when calls end) and
// --stream-idle-timeout (a stalled upload ends with STREAM_IDLE_TIMEOUT; steady
// uploads and slow upstream answers do not). Plus ByteBudget itself.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "common/error_details.h"
#include "service/upload_assembler.h"
#include "tests/integration/gateway_harness.h"

namespace ktp::testing {
namespace {

// Waits until `done` holds (the server side of a call ends a little after the client's).
template <typename F>
bool Eventually(F done, absl::Duration timeout = absl::Seconds(5)) {
  const absl::Time until = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > until) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

std::string Meta(const grpc::Status& s, const std::string& key) {
  auto info = ErrorInfoOf(s);
  if (!info) return "<no ErrorInfo>";
  auto it = info->metadata().find(key);
  return it == info->metadata().end() ? "<absent>" : it->second;
}

std::string Reason(const grpc::Status& s) {
  auto info = ErrorInfoOf(s);
  return info ? info->reason() : "<no ErrorInfo>";
}

// A valid JPEG of about `bytes` bytes.
std::string Jpeg(size_t bytes) {
  std::string image = FakePhotoJpeg();
  if (image.size() < bytes) image.append(bytes - image.size(), 'x');
  return image;
}

// A Read call the test drives message by message.
class OpenUpload {
 public:
  explicit OpenUpload(v1::KtpOcr::Stub& stub) : writer_(stub.Read(&context_, &response_)) {}
  bool Metadata() {
    v1::ReadRequest r;
    r.mutable_metadata()->set_file_name("ktp.jpg");
    return writer_->Write(r);
  }
  bool Chunk(const std::string& bytes) {
    v1::ReadRequest r;
    r.set_chunk(bytes);
    return writer_->Write(r);
  }
  grpc::Status Finish() {
    writer_->WritesDone();
    return writer_->Finish();
  }

 private:
  grpc::ClientContext context_;
  v1::ReadResponse response_;
  std::unique_ptr<grpc::ClientWriter<v1::ReadRequest>> writer_;
};

grpc::Status ReadOnce(GatewayHarness& h, const std::string& image) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  UploadSpec spec;
  spec.image = image;
  spec.metadata.set_file_name("ktp.jpg");
  spec.chunk_size = 32 * 1024;
  v1::ReadResponse response;
  return UploadRead(h.stub(), context, spec, &response);
}

HarnessOptions WithServer(std::function<void(gateway::GatewayConfig&)> configure) {
  HarnessOptions o;
  configure(o.config);
  return o;
}

TEST(ByteBudgetTest, ReservesUpToTheLimitAndReleases) {
  service::ByteBudget budget(100);
  EXPECT_TRUE(budget.TryReserve(60));
  EXPECT_FALSE(budget.TryReserve(41));
  EXPECT_TRUE(budget.TryReserve(40));
  EXPECT_EQ(budget.used(), 100);
  budget.Release(60);
  EXPECT_TRUE(budget.TryReserve(10));
  EXPECT_EQ(budget.used(), 50);
}

TEST(ByteBudgetTest, AnAssemblerReturnsItsBytesWhenDestroyed) {
  // A call's working memory, then each chunk twice while the upstream send
  // buffer fills (the image and libcurl's copy of it).
  service::ByteBudget budget(service::kCallOverheadBytes + 2000);
  {
    service::UploadAssembler assembler(service::UploadLimits(), &budget);
    v1::ImageMetadata m;
    m.set_file_name("ktp.jpg");
    ASSERT_TRUE(assembler.OnMetadata(m).ok());
    EXPECT_EQ(budget.used(), static_cast<int64_t>(service::kCallOverheadBytes));
    ASSERT_TRUE(assembler.OnChunk(absl::Cord(std::string(600, 'x'))).ok());
    EXPECT_EQ(budget.used(), static_cast<int64_t>(service::kCallOverheadBytes + 1200));
    const absl::Status over = assembler.OnChunk(absl::Cord(std::string(500, 'x')));
    EXPECT_EQ(over.code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(budget.used(), static_cast<int64_t>(service::kCallOverheadBytes + 1200));
  }
  EXPECT_EQ(budget.used(), 0);
}

TEST(ByteBudgetTest, TheSendBufferIsCountedOnlyUpToItsSize) {
  service::ByteBudget budget(int64_t{1} << 30);
  service::UploadAssembler assembler(service::UploadLimits(), &budget);
  v1::ImageMetadata m;
  ASSERT_TRUE(assembler.OnMetadata(m).ok());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(assembler.OnChunk(absl::Cord(std::string(50 * 1024, 'x'))).ok());
  EXPECT_EQ(budget.used(), static_cast<int64_t>(service::kCallOverheadBytes + 200 * 1024 +
                                                backend::kMaxSendBufferBytes));
}

TEST(ByteBudgetTest, ACallThatCannotHoldItsWorkingMemoryIsShedAtItsFirstMessage) {
  service::ByteBudget budget(service::kCallOverheadBytes - 1);
  service::UploadAssembler assembler(service::UploadLimits(), &budget);
  v1::ImageMetadata m;
  const absl::Status shed = assembler.OnMetadata(m);
  EXPECT_EQ(shed.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReason(shed), "GATEWAY_OVERLOADED");
  EXPECT_EQ(budget.used(), 0);
}

TEST(LimitsTest, CallsOverTheConcurrencyCapAreRefusedAtOnce) {
  GatewayHarness h(WithServer([](gateway::GatewayConfig& o) { o.max_concurrent_calls = 2; }));
  OpenUpload a(h.stub());
  OpenUpload b(h.stub());
  ASSERT_TRUE(a.Metadata());
  ASSERT_TRUE(b.Metadata());
  ASSERT_TRUE(Eventually([&] { return h.server().active_calls() == 2; }));

  const absl::Time start = absl::Now();
  const grpc::Status refused = ReadOnce(h, Jpeg(1000));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));  // not queued
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(Reason(refused), "TOO_MANY_CONCURRENT_CALLS");
  EXPECT_EQ(Meta(refused, "maxConcurrentCalls"), "2");
  EXPECT_TRUE(RetryInfoOf(refused).has_value());
  EXPECT_EQ(h.fake().request_count(), 0u);

  // The held calls complete normally; once one is gone a new call is served.
  ASSERT_TRUE(a.Chunk(Jpeg(1000)));
  EXPECT_TRUE(a.Finish().ok());
  ASSERT_TRUE(Eventually([&] { return h.server().active_calls() < 2; }));
  EXPECT_TRUE(ReadOnce(h, Jpeg(1000)).ok());
  ASSERT_TRUE(b.Chunk(Jpeg(1000)));
  EXPECT_TRUE(b.Finish().ok());
}

TEST(LimitsTest, UploadsOverTheBufferedBytesBudgetAreShedAndBytesAreReleased) {
  // The holder's 200 KiB image, the upstream send buffer it fills and the
  // call's working memory; a second call of 100 KiB does not fit beside it.
  constexpr int64_t kHeld = service::kCallOverheadBytes + 200 * 1024 + backend::kMaxSendBufferBytes;
  constexpr int64_t kBudget = kHeld + service::kCallOverheadBytes + 100 * 1024;
  GatewayHarness h(WithServer([](gateway::GatewayConfig& o) { o.max_buffered_bytes = kBudget; }));
  OpenUpload holder(h.stub());
  ASSERT_TRUE(holder.Metadata());
  const std::string first = Jpeg(50 * 1024);
  ASSERT_TRUE(holder.Chunk(first));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(holder.Chunk(std::string(50 * 1024, 'y')));
  ASSERT_TRUE(Eventually([&] { return h.server().buffered_bytes() == kHeld; }));

  const grpc::Status shed = ReadOnce(h, Jpeg(100 * 1024));
  EXPECT_EQ(shed.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(Reason(shed), "GATEWAY_OVERLOADED");
  EXPECT_EQ(Meta(shed, "limitBytes"), std::to_string(kBudget));
  EXPECT_TRUE(RetryInfoOf(shed).has_value());
  // The shed call gave back what it had reserved.
  ASSERT_TRUE(Eventually([&] { return h.server().buffered_bytes() == kHeld; }));

  EXPECT_TRUE(holder.Finish().ok());
  ASSERT_TRUE(Eventually([&] { return h.server().buffered_bytes() == 0; }));
  EXPECT_TRUE(ReadOnce(h, Jpeg(100 * 1024)).ok());
  EXPECT_TRUE(Eventually([&] { return h.server().buffered_bytes() == 0; }));
}

TEST(LimitsTest, StalledUploadEndsWithStreamIdleTimeout) {
  GatewayHarness h(WithServer(
      [](gateway::GatewayConfig& o) { o.stream_idle_timeout = absl::Milliseconds(300); }));
  OpenUpload stalled(h.stub());
  ASSERT_TRUE(stalled.Metadata());
  ASSERT_TRUE(stalled.Chunk(Jpeg(1000)));
  // The server gives up on its own; the client only learns it when it looks.
  ASSERT_TRUE(Eventually([&] { return h.server().active_calls() == 1; }));
  ASSERT_TRUE(Eventually([&] { return h.server().active_calls() == 0; }, absl::Seconds(3)));
  const grpc::Status s = stalled.Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(Reason(s), "STREAM_IDLE_TIMEOUT");
  EXPECT_EQ(h.fake().request_count(), 0u);
  EXPECT_TRUE(Eventually([&] { return h.server().buffered_bytes() == 0; }));
  // The gateway serves the next call normally.
  EXPECT_TRUE(ReadOnce(h, Jpeg(1000)).ok());
}

TEST(LimitsTest, ATricklingUploadEndsAtTheWholeUploadLimit) {
  // Each chunk arrives well inside the idle timeout, yet the upload as a whole
  // takes too long: it must not hold its slot for ever.
  GatewayHarness h(WithServer([](gateway::GatewayConfig& o) {
    o.stream_idle_timeout = absl::Milliseconds(400);
    o.max_upload_duration = absl::Milliseconds(700);
  }));
  OpenUpload trickle(h.stub());
  ASSERT_TRUE(trickle.Metadata());
  const absl::Time start = absl::Now();
  bool accepted = true;
  for (int i = 0; i < 12 && accepted; ++i) {
    accepted = trickle.Chunk(Jpeg(1000));
    absl::SleepFor(absl::Milliseconds(150));
  }
  ASSERT_TRUE(Eventually([&] { return h.server().active_calls() == 0; }, absl::Seconds(3)));
  const grpc::Status s = trickle.Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(Reason(s), "UPLOAD_TOO_SLOW");
  EXPECT_EQ(Meta(s, "maxUploadSeconds"), "0");
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_EQ(h.fake().request_count(), 0u);
  EXPECT_TRUE(Eventually([&] { return h.server().buffered_bytes() == 0; }));
  EXPECT_TRUE(ReadOnce(h, Jpeg(1000)).ok());
}

TEST(LimitsTest, AStreamThatNeverSendsAnythingAlsoTimesOut) {
  GatewayHarness h(WithServer(
      [](gateway::GatewayConfig& o) { o.stream_idle_timeout = absl::Milliseconds(200); }));
  grpc::ClientContext context;
  v1::ReadResponse response;
  auto writer = h.stub().Read(&context, &response);
  ASSERT_TRUE(Eventually([&] { return h.server().active_calls() == 1; }));
  ASSERT_TRUE(Eventually([&] { return h.server().active_calls() == 0; }, absl::Seconds(3)));
  const grpc::Status s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(Reason(s), "STREAM_IDLE_TIMEOUT");
}

TEST(LimitsTest, SteadyUploadsAndSlowUpstreamAnswersAreNotIdle) {
  GatewayHarness h(WithServer(
      [](gateway::GatewayConfig& o) { o.stream_idle_timeout = absl::Milliseconds(300); }));
  // Every message restarts the clock: 8 chunks 100 ms apart take longer than the timeout.
  OpenUpload steady(h.stub());
  ASSERT_TRUE(steady.Metadata());
  ASSERT_TRUE(steady.Chunk(Jpeg(1000)));
  for (int i = 0; i < 8; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    ASSERT_TRUE(steady.Chunk(std::string(1000, 'z')));
  }
  EXPECT_TRUE(steady.Finish().ok());
  // Once the upload is complete the idle clock stops: a slow upstream is not the client's fault.
  ScriptedResponse slow;
  slow.body = BuildSuccessBody(SyntheticIdentity::Default(), false);
  slow.delay = std::chrono::milliseconds(700);
  h.fake().Enqueue(slow);
  EXPECT_TRUE(ReadOnce(h, Jpeg(1000)).ok());
}

}  // namespace
}  // namespace ktp::testing
