// Fault injection, end to end: the real gateway with the production decorator
// stack (Retrying → CircuitBreaking → curl) in front of tests/support's fault
// server, which refuses, resets, stalls, truncates, floods and mislabels. For
// each fault the test pins the exact gRPC code, ErrorInfo reason (and RetryInfo
// where there is one) the caller gets, the number of upstream attempts (only
// idempotent failures are retried), and that the very next call is served
// normally. Connect and total timeouts and the response size cap are covered
// too. Backoffs are shortened so the whole file runs in a few seconds.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "telemetry/log.h"
#include "tests/integration/gateway_harness.h"
#include "tests/support/fault_server.h"

namespace ktp::testing {
namespace {

using ::testing::HasSubstr;
using Action = FaultScript::Action;

// A JPEG large enough that an upload is still being sent when the server resets.
const std::string& LargeJpeg() {
  static const std::string* image = new std::string(FakePhotoJpeg() + std::string(512 * 1024, 'x'));
  return *image;
}

std::string Meta(const grpc::Status& s, const std::string& key) {
  auto info = ErrorInfoOf(s);
  if (!info) return "<no ErrorInfo>";
  auto it = info->metadata().find(key);
  return it == info->metadata().end() ? "<absent>" : it->second;
}

HarnessOptions FaultOptions(const std::string& url) {
  HarnessOptions o;
  o.config.upstream_url = url;
  o.config.upstream_timeout = absl::Seconds(1);  // the gateway's own upstream timeout
  o.config.max_upstream_response_bytes = 1u << 20;
  o.config.connect_timeout = absl::Milliseconds(500);
  o.config.upstream_retry_max_attempts = 3;
  o.config.upstream_retry_initial_backoff = absl::Milliseconds(10);
  o.config.upstream_retry_max_backoff = absl::Milliseconds(50);
  o.config.breaker_consecutive_failures = 5;
  o.config.breaker_min_requests = 1000;  // only the consecutive rule, for predictable tests
  o.config.breaker_open_interval = absl::Seconds(1);
  return o;
}

grpc::Status Read(GatewayHarness& h, const std::string& image = FakePhotoJpeg(),
                  v1::ReadResponse* response = nullptr) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  UploadSpec spec;
  spec.image = image;
  spec.metadata.set_file_name("ktp.jpg");
  v1::ReadResponse ignored;
  return UploadRead(h.stub(), context, spec, response != nullptr ? response : &ignored);
}

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start().ok());
    harness_ = std::make_unique<GatewayHarness>(FaultOptions(server_.base_url()));
  }

  // The gateway's answer to `script` (sent `times` times): exact code, reason,
  // attempt count (ErrorInfo and requests seen), then a normal call succeeds.
  grpc::Status ExpectFault(const FaultScript& script, int times, grpc::StatusCode code,
                           const std::string& reason, int attempts,
                           const std::string& image = FakePhotoJpeg()) {
    server_.Enqueue(script, times);
    const size_t before = server_.request_count();
    const grpc::Status s = Read(*harness_, image);
    EXPECT_EQ(s.error_code(), code) << s.error_message();
    auto info = ErrorInfoOf(s);
    EXPECT_TRUE(info.has_value());
    if (info) {
      EXPECT_EQ(info->reason(), reason);
    }
    EXPECT_EQ(Meta(s, "attempts"), std::to_string(attempts));
    EXPECT_EQ(server_.request_count() - before, static_cast<size_t>(attempts));
    ExpectServesNormally();
    return s;
  }

  void ExpectServesNormally() {
    const size_t before = server_.request_count();
    v1::ReadResponse response;
    const grpc::Status s = Read(*harness_, FakePhotoJpeg(), &response);
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    EXPECT_EQ(response.status(), v1::READ_STATUS_SUCCESS);
    EXPECT_EQ(server_.request_count() - before, 1u);
  }

  FaultServer server_;
  std::unique_ptr<GatewayHarness> harness_;
};

TEST(FaultRefusedTest, RefusedConnectionIsRetriedThenUnavailable) {
  const int port = UnusedLoopbackPort();
  GatewayHarness h(FaultOptions("http://127.0.0.1:" + std::to_string(port)));
  const grpc::Status s = Read(h);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ErrorInfoOf(s)->reason(), "UPSTREAM_CONNECT_FAILED");
  EXPECT_EQ(Meta(s, "attempts"), "3");
  // The upstream comes up on that port: the next call is served.
  FaultServer::Options options;
  options.port = port;
  FaultServer server(options);
  ASSERT_TRUE(server.Start().ok());
  EXPECT_TRUE(Read(h).ok());
  EXPECT_EQ(server.request_count(), 1u);
}

// A loopback port whose accept queue is full: new connections hang in SYN_SENT
// until the client's connect timeout (the kernel drops their SYNs).
class StalledListener {
 public:
  StalledListener() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(listen_fd_, 0);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    filler_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ::connect(filler_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));  // fills the queue
  }
  ~StalledListener() {
    ::close(filler_fd_);
    ::close(listen_fd_);
  }
  int port() const { return port_; }

 private:
  int listen_fd_ = -1;
  int filler_fd_ = -1;
  int port_ = 0;
};

TEST(FaultConnectTimeoutTest, ConnectTimeoutIsAConnectFailureAndIsRetried) {
  StalledListener stalled;
  HarnessOptions options = FaultOptions("http://127.0.0.1:" + std::to_string(stalled.port()));
  options.config.connect_timeout = absl::Milliseconds(300);
  options.config.upstream_timeout = absl::Seconds(5);
  GatewayHarness h(options);
  const absl::Time start = absl::Now();
  const grpc::Status s = Read(h);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ErrorInfoOf(s)->reason(), "UPSTREAM_CONNECT_FAILED");
  EXPECT_EQ(Meta(s, "attempts"), "3");
  // Three connect timeouts, not the 5 s call timeout.
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(900));
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
}

TEST_F(FaultTest, ResetMidRequestIsRetried) {
  server_.Enqueue(FaultScript::Do(Action::kResetMidRequest));
  EXPECT_TRUE(Read(*harness_, LargeJpeg()).ok());
  EXPECT_EQ(server_.request_count(), 2u);
  ExpectFault(FaultScript::Do(Action::kResetMidRequest), 3, grpc::StatusCode::UNAVAILABLE,
              "UPSTREAM_CONNECTION_FAILED", 3, LargeJpeg());
}

TEST_F(FaultTest, ResetMidResponseIsRetried) {
  FaultScript partial;
  partial.truncate_body_at = 100;  // headers and 100 bytes of the body, then RST
  ExpectFault(partial, 3, grpc::StatusCode::UNAVAILABLE, "UPSTREAM_CONNECTION_FAILED", 3);
  server_.Enqueue(partial);
  EXPECT_TRUE(Read(*harness_).ok());  // the retry gets the whole answer
}

TEST_F(FaultTest, ConnectionClosedBeforeAnyAnswerIsRetried) {
  ExpectFault(FaultScript::Do(Action::kCloseBeforeResponse), 3, grpc::StatusCode::UNAVAILABLE,
              "UPSTREAM_CONNECTION_FAILED", 3);
}

TEST_F(FaultTest, SlowHeadersHitTheUpstreamTimeoutAndAreNotRetried) {
  FaultScript slow;
  slow.head_delay = absl::Seconds(3);
  const absl::Time start = absl::Now();
  ExpectFault(slow, 1, grpc::StatusCode::DEADLINE_EXCEEDED, "UPSTREAM_TIMEOUT", 1);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(FaultTest, SlowBodyWithinTheTimeoutIsServed) {
  FaultScript dribble;
  dribble.body_chunk_bytes = 1024;
  dribble.body_chunk_delay = absl::Milliseconds(50);
  server_.Enqueue(dribble);
  v1::ReadResponse response;
  const grpc::Status s = Read(*harness_, FakePhotoJpeg(), &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.status(), v1::READ_STATUS_SUCCESS);
  EXPECT_EQ(server_.request_count(), 1u);
}

TEST_F(FaultTest, SlowBodyPastTheTimeoutIsDeadlineExceeded) {
  FaultScript dribble;
  dribble.body_chunk_bytes = 256;
  dribble.body_chunk_delay = absl::Milliseconds(300);
  ExpectFault(dribble, 1, grpc::StatusCode::DEADLINE_EXCEEDED, "UPSTREAM_TIMEOUT", 1);
}

TEST_F(FaultTest, TruncatedJsonIsABadResponse) {
  const std::string full = BuildSuccessBody(SyntheticIdentity::Default(), false);
  ExpectFault(FaultScript::Status(200, full.substr(0, full.size() / 2)), 1, grpc::StatusCode::INTERNAL,
              "UPSTREAM_BAD_RESPONSE", 1);
}

TEST_F(FaultTest, MalformedJsonIsABadResponse) {
  ExpectFault(FaultScript::Status(200, "{\"status\": SUCCESS, }"), 1, grpc::StatusCode::INTERNAL,
              "UPSTREAM_BAD_RESPONSE", 1);
}

TEST_F(FaultTest, HugeResponseIsRefusedAtTheCap) {
  FaultScript huge;
  huge.huge_body_bytes = 64u << 20;  // the cap is 1 MiB
  const grpc::Status s =
      ExpectFault(huge, 1, grpc::StatusCode::INTERNAL, "UPSTREAM_RESPONSE_TOO_LARGE", 1);
  EXPECT_THAT(s.error_message(), HasSubstr("size limit"));
}

TEST_F(FaultTest, WrongContentType) {
  // A proxy's HTML error page labelled as such: not JSON, a bad response.
  FaultScript html = FaultScript::Status(200, "<html><body>502 Bad Gateway</body></html>");
  html.content_type = "text/html";
  ExpectFault(html, 1, grpc::StatusCode::INTERNAL, "UPSTREAM_BAD_RESPONSE", 1);
  // A valid answer under the wrong label is read anyway (the body decides).
  FaultScript mislabelled;
  mislabelled.content_type = "text/plain";
  server_.Enqueue(mislabelled);
  EXPECT_TRUE(Read(*harness_).ok());
}

TEST_F(FaultTest, Unauthorized401IsInternalAndNotRetried) {
  ExpectFault(FaultScript::Status(401, "{\"message\":\"bad key\"}"), 1, grpc::StatusCode::INTERNAL,
              "UPSTREAM_AUTHENTICATION_FAILED", 1);
}

TEST_F(FaultTest, Forbidden403IsInternalAndNotRetried) {
  ExpectFault(FaultScript::Status(403, "{}"), 1, grpc::StatusCode::INTERNAL, "UPSTREAM_ACCESS_DENIED", 1);
}

TEST_F(FaultTest, TooManyRequestsWithRetryAfterWaitsThenSucceeds) {
  HarnessOptions options = FaultOptions(server_.base_url());
  options.config.upstream_retry_max_backoff = absl::Seconds(2);  // the default cap: a 1 s Retry-After is waited for
  options.config.upstream_timeout = absl::Seconds(5);
  GatewayHarness h(options);
  FaultScript quota = FaultScript::Status(429, "{}");
  quota.headers = {{"Retry-After", "1"}};
  server_.Enqueue(quota);
  const absl::Time start = absl::Now();
  EXPECT_TRUE(Read(h).ok());
  EXPECT_GE(absl::Now() - start, absl::Seconds(1));  // Retry-After is the minimum wait
  EXPECT_EQ(server_.request_count(), 2u);
}

TEST_F(FaultTest, TooManyRequestsWithoutRetryAfterIsRetriedThenExhausted) {
  const grpc::Status s = ExpectFault(FaultScript::Status(429, "{}"), 3, grpc::StatusCode::RESOURCE_EXHAUSTED,
                                     "UPSTREAM_QUOTA_EXCEEDED", 3);
  EXPECT_FALSE(RetryInfoOf(s).has_value());
}

TEST_F(FaultTest, TooManyRequestsWithALongRetryAfterGoesBackToTheCaller) {
  FaultScript quota = FaultScript::Status(429, "{}");
  quota.headers = {{"Retry-After", "30"}};  // longer than the backoff cap: not waited for
  const grpc::Status s =
      ExpectFault(quota, 1, grpc::StatusCode::RESOURCE_EXHAUSTED, "UPSTREAM_QUOTA_EXCEEDED", 1);
  auto retry = RetryInfoOf(s);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->retry_delay().seconds(), 30);
}

TEST_F(FaultTest, InternalServerError500IsNotRetried) {
  const grpc::Status s = ExpectFault(FaultScript::Status(500, "{}"), 1, grpc::StatusCode::UNAVAILABLE,
                                     "UPSTREAM_UNAVAILABLE", 1);
  EXPECT_EQ(Meta(s, "httpStatus"), "500");
}

TEST_F(FaultTest, ServiceUnavailableIsRetriedAndTheAccessLogCountsAttempts) {
  std::vector<std::string> lines;
  absl::Mutex mu;
  log::SetSinkForTesting([&](absl::string_view line) {
    absl::MutexLock lock(&mu);
    lines.emplace_back(line);
  });
  server_.Enqueue(FaultScript::Status(503, "{}"), 2);
  EXPECT_TRUE(Read(*harness_).ok());
  EXPECT_EQ(server_.request_count(), 3u);
  log::SetSinkForTesting(nullptr);
  absl::MutexLock lock(&mu);
  bool found = false;
  for (const std::string& line : lines) {
    if (absl::StrContains(line, "call finished")) {
      EXPECT_THAT(line, HasSubstr("\"upstream_attempts\":3"));
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(FaultTest, ServiceUnavailableStormOpensTheCircuitWhichThenRecovers) {
  server_.Enqueue(FaultScript::Status(503, "{}"), 5);
  // Call 1: three failed attempts (3 consecutive failures).
  grpc::Status s = Read(*harness_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ErrorInfoOf(s)->reason(), "UPSTREAM_UNAVAILABLE");
  EXPECT_EQ(Meta(s, "attempts"), "3");
  EXPECT_EQ(Meta(s, "httpStatus"), "503");
  // Call 2: two more failures open the circuit; the third attempt fails fast.
  s = Read(*harness_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ErrorInfoOf(s)->reason(), "UPSTREAM_CIRCUIT_OPEN");
  EXPECT_EQ(Meta(s, "attempts"), "3");
  EXPECT_EQ(server_.request_count(), 5u);
  EXPECT_EQ(harness_->breaker()->state(backend::Endpoint::kRead), backend::CircuitState::kOpen);
  // Call 3: refused at once, with the time until a probe is allowed; the upstream is not called.
  s = Read(*harness_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ErrorInfoOf(s)->reason(), "UPSTREAM_CIRCUIT_OPEN");
  EXPECT_EQ(Meta(s, "attempts"), "1");
  EXPECT_EQ(Meta(s, "endpoint"), "read");
  auto retry = RetryInfoOf(s);
  ASSERT_TRUE(retry.has_value());
  EXPECT_LE(retry->retry_delay().seconds(), 1);
  EXPECT_EQ(server_.request_count(), 5u);
  // The other endpoint has its own breaker.
  grpc::ClientContext context;
  UploadSpec spec;
  spec.image = FakePhotoJpeg();
  spec.metadata.set_file_name("ktp.jpg");
  v1::ReadWithQualitiesResponse with_qualities;
  EXPECT_TRUE(UploadReadWithQualities(harness_->stub(), context, spec, &with_qualities).ok());
  // After the open interval a probe reaches the (recovered) upstream and closes the circuit.
  absl::SleepFor(absl::Seconds(1.1));
  ExpectServesNormally();
  EXPECT_EQ(harness_->breaker()->state(backend::Endpoint::kRead), backend::CircuitState::kClosed);
  ExpectServesNormally();
}

TEST(FaultTlsTest, UntrustedCertificateIsTlsFailedAndNotRetried) {
  FaultServer::Options options;
  options.tls = true;
  FaultServer server(options);
  ASSERT_TRUE(server.Start().ok());
  GatewayHarness h(FaultOptions(server.base_url()));
  for (int i = 0; i < 2; ++i) {  // and the gateway keeps answering the same way
    const grpc::Status s = Read(h);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(ErrorInfoOf(s)->reason(), "UPSTREAM_TLS_FAILED");
    EXPECT_EQ(Meta(s, "attempts"), "1");
  }
  // The server notes the failed handshake just after the client gave up.
  const absl::Time until = absl::Now() + absl::Seconds(5);
  while (server.failed_handshakes() < 2 && absl::Now() < until) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(server.failed_handshakes(), 2u);
  EXPECT_EQ(server.request_count(), 0u);  // no request was ever sent in the clear
}

}  // namespace
}  // namespace ktp::testing
