// The one failure table (backend/failure_class): every row, with the errors the
// REST client really produces (upstream/http_outcome), so retries, breaker and
// fallback are checked against the same inputs.
#include "backend/failure_class.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/time/clock.h"

#include "common/error_details.h"
#include "upstream/http_outcome.h"

namespace ktp::backend {
namespace {

using upstream::HttpAnswer;
using upstream::TransportFailure;

absl::Status Http(long code, std::string retry_after = "") {
  HttpAnswer answer;
  answer.http_status = code;
  answer.retry_after = std::move(retry_after);
  return upstream::MapHttpAnswer(std::move(answer), absl::Now()).status();
}
absl::Status Transport(TransportFailure f) { return upstream::MapTransportFailure(f, ""); }

TEST(FailureClassTest, DownUpstreamIsRetriedCountedAndFallsBack) {
  struct Case {
    absl::Status status;
    bool retryable;
    const char* cause;
  };
  for (const Case& c : {Case{Transport(TransportFailure::kConnect), true, "connect"},
                        Case{Transport(TransportFailure::kNetwork), true, "network"},
                        Case{Transport(TransportFailure::kTls), false, ""}, Case{Http(502), true, "http_5xx"},
                        Case{Http(503), true, "http_5xx"}, Case{Http(504), true, "http_5xx"}}) {
    const FailureClass f = ClassifyFailure(c.status);
    EXPECT_EQ(f.retryable, c.retryable) << c.status;
    EXPECT_STREQ(f.cause, c.cause) << c.status;
    EXPECT_EQ(f.health, UpstreamHealth::kDown) << c.status;
    EXPECT_TRUE(f.falls_back) << c.status;
  }
}

TEST(FailureClassTest, A500IsBlamedOnTheInputEverywhere) {
  const FailureClass f = ClassifyFailure(Http(500));
  EXPECT_FALSE(f.retryable);
  EXPECT_EQ(f.health, UpstreamHealth::kAlive);
  EXPECT_TRUE(f.falls_back);  // the offline reader may still read what crashed the upstream
}

TEST(FailureClassTest, QuotaIsRetriedAfterItsRetryAfterButIsNoOutage) {
  const FailureClass f = ClassifyFailure(Http(429, "3"));
  EXPECT_TRUE(f.retryable);
  EXPECT_STREQ(f.cause, "http_429");
  EXPECT_EQ(f.min_delay, absl::Seconds(3));
  EXPECT_EQ(f.health, UpstreamHealth::kAlive);
  EXPECT_FALSE(f.falls_back);
}

TEST(FailureClassTest, TimeoutsAreTheirOwnKind) {
  const FailureClass f = ClassifyFailure(Transport(TransportFailure::kTimeout));
  EXPECT_FALSE(f.retryable);
  EXPECT_EQ(f.health, UpstreamHealth::kTimedOut);
  EXPECT_FALSE(f.falls_back);
}

TEST(FailureClassTest, UnusableCredentialsFallBackWithoutBlamingTheUpstream) {
  for (const absl::Status& s : {Http(401), Http(403)}) {
    const FailureClass f = ClassifyFailure(s);
    EXPECT_FALSE(f.retryable) << s;
    EXPECT_EQ(f.health, UpstreamHealth::kAlive) << s;
    EXPECT_TRUE(f.falls_back) << s;
  }
  const FailureClass none =
      ClassifyFailure(MakeError(absl::StatusCode::kUnavailable, "CREDENTIALS_UNAVAILABLE", "no set"));
  EXPECT_EQ(none.health, UpstreamHealth::kUnrelated);
  EXPECT_TRUE(none.falls_back);
}

TEST(FailureClassTest, TheGatewaysOwnStateAndCancellationSayNothing) {
  for (const absl::Status& s :
       {MakeError(absl::StatusCode::kUnavailable, "GATEWAY_SHUTTING_DOWN", "stopping"),
        MakeError(absl::StatusCode::kUnavailable, "UPSTREAM_CIRCUIT_OPEN", "open"),
        MakeError(absl::StatusCode::kInternal, "GATEWAY_INTERNAL", "bug"), absl::CancelledError("gone"),
        Transport(TransportFailure::kCancelled), absl::UnavailableError("no details")}) {
    const FailureClass f = ClassifyFailure(s);
    EXPECT_FALSE(f.retryable) << s;
    EXPECT_EQ(f.health, UpstreamHealth::kUnrelated) << s;
  }
  EXPECT_FALSE(ClassifyFailure(MakeError(absl::StatusCode::kUnavailable, "GATEWAY_SHUTTING_DOWN", "x")).falls_back);
  EXPECT_TRUE(ClassifyFailure(MakeError(absl::StatusCode::kUnavailable, "UPSTREAM_CIRCUIT_OPEN", "x")).falls_back);
}

TEST(FailureClassTest, TheCallersOwnErrorsAreFinalAndShowALiveUpstream) {
  for (const absl::Status& s : {Http(400), Http(413), Http(415), Http(422), Http(404)}) {
    const FailureClass f = ClassifyFailure(s);
    EXPECT_FALSE(f.retryable) << s;
    EXPECT_EQ(f.health, UpstreamHealth::kAlive) << s;
    EXPECT_FALSE(f.falls_back) << s;
  }
}

}  // namespace
}  // namespace ktp::backend
