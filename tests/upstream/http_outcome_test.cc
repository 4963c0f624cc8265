// Unit tests of upstream/http_outcome: the upstream outcome → gRPC status table
// (docs/status-mapping.md). Covers every HTTP status class (200 good/malformed/
// "bad upload" bodies, 400/413/415/422, 401/403 without leaking the upstream
// body, 429 with and without Retry-After, 5xx, unexpected codes), the error
// details attached to each, ParseRetryAfter (delta-seconds, HTTP-date, clamps,
// garbage) and MapTransportFailure for every TransportFailure value.
#include "upstream/http_outcome.h"

#include <string>
#include <utility>

#include "common/error_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ktp::upstream {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// 2023-11-14T22:13:20Z, a Tuesday.
const absl::Time kNow = absl::FromUnixSeconds(1700000000);

constexpr char kOkBody[] = R"({"status":"SUCCESS","reason":"File Successfully Read","read":{}})";
// A string that must never travel from an upstream body into a gateway error.
constexpr char kMarker[] = "SECRET-ACCOUNT-MARKER-8f3a";

HttpAnswer Answer(long status, std::string body, std::string upstream_id = "",
                  std::string retry_after = "") {
  HttpAnswer a;
  a.http_status = status;
  a.body = std::move(body);
  a.content_type = "application/json";
  a.upstream_request_id = std::move(upstream_id);
  a.retry_after = std::move(retry_after);
  return a;
}

absl::Status MapError(HttpAnswer answer) {
  absl::StatusOr<backend::OcrResult> r = MapHttpAnswer(std::move(answer), kNow);
  EXPECT_FALSE(r.ok()) << "expected an error";
  return r.status();
}

void ExpectCodeAndReason(const absl::Status& s, absl::StatusCode code, const std::string& reason) {
  EXPECT_EQ(s.code(), code) << s;
  EXPECT_EQ(ErrorReason(s), reason) << s;
  const auto info = GetErrorInfo(s);
  ASSERT_TRUE(info.has_value()) << s;
  EXPECT_EQ(info->domain(), "ktp-gateway");
}

std::string Metadata(const absl::Status& s, const std::string& key) {
  const auto info = GetErrorInfo(s);
  if (!info.has_value()) return "<no ErrorInfo>";
  auto it = info->metadata().find(key);
  return it == info->metadata().end() ? "<absent>" : it->second;
}

void ExpectSingleFieldViolation(const absl::Status& s, const std::string& field) {
  const auto bad = GetBadRequest(s);
  ASSERT_TRUE(bad.has_value()) << s;
  ASSERT_EQ(bad->field_violations_size(), 1);
  EXPECT_EQ(bad->field_violations(0).field(), field);
}

void ExpectNoMarkerAnywhere(const absl::Status& s) {
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr(kMarker)));
  EXPECT_THAT(ToRpcStatus(s).DebugString(), Not(HasSubstr(kMarker)));
}

// ---------------------------------------------------------------------------
// 200

TEST(MapHttpAnswerTest, Ok200MapsBodyAndCarriesUpstreamRequestId) {
  absl::StatusOr<backend::OcrResult> r = MapHttpAnswer(Answer(200, kOkBody, "up-req-123"), kNow);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, v1::READ_STATUS_SUCCESS);
  EXPECT_EQ(r->reason, "File Successfully Read");
  EXPECT_EQ(r->upstream_request_id, "up-req-123");
}

TEST(MapHttpAnswerTest, Ok200WithoutUpstreamIdLeavesItEmpty) {
  absl::StatusOr<backend::OcrResult> r = MapHttpAnswer(Answer(200, kOkBody), kNow);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->upstream_request_id, "");
}

TEST(MapHttpAnswerTest, Ok200FailedReadIsStillAResult) {
  // FAILED is a document outcome, not a gateway error.
  absl::StatusOr<backend::OcrResult> r =
      MapHttpAnswer(Answer(200, R"({"status":"FAILED","reason":"Failed to read","read":{}})"), kNow);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, v1::READ_STATUS_FAILED);
}

TEST(MapHttpAnswerTest, Ok200MalformedBodyIsBadResponseWithIds) {
  const absl::Status s = MapError(Answer(200, R"({"status":"SUCC)", "up-req-9"));
  ExpectCodeAndReason(s, absl::StatusCode::kInternal, "UPSTREAM_BAD_RESPONSE");
  EXPECT_EQ(Metadata(s, "httpStatus"), "200");
  EXPECT_EQ(Metadata(s, "upstreamRequestId"), "up-req-9");
}

TEST(MapHttpAnswerTest, Ok200NonJsonBodyIsBadResponseAndNotEchoed) {
  const absl::Status s = MapError(Answer(200, std::string("<html>") + kMarker + "</html>"));
  ExpectCodeAndReason(s, absl::StatusCode::kInternal, "UPSTREAM_BAD_RESPONSE");
  EXPECT_EQ(Metadata(s, "httpStatus"), "200");
  EXPECT_EQ(Metadata(s, "upstreamRequestId"), "<absent>");
  ExpectNoMarkerAnywhere(s);
}

TEST(MapHttpAnswerTest, Ok200WithNoFileStatusIsInvalidArgument) {
  const absl::Status s =
      MapError(Answer(200, R"({"status":"NO_FILE","reason":"No file","read":{}})", "up-1"));
  ExpectCodeAndReason(s, absl::StatusCode::kInvalidArgument, "NO_FILE");
  ExpectSingleFieldViolation(s, "chunk");
  EXPECT_EQ(Metadata(s, "httpStatus"), "200");
  EXPECT_EQ(Metadata(s, "upstreamRequestId"), "up-1");
}

TEST(MapHttpAnswerTest, Ok200WithFileInvalidFormatStatusIsInvalidArgument) {
  const absl::Status s = MapError(Answer(200, R"({"status":"FILE_INVALID_FORMAT","read":{}})"));
  ExpectCodeAndReason(s, absl::StatusCode::kInvalidArgument, "FILE_INVALID_FORMAT");
  ExpectSingleFieldViolation(s, "chunk");
}

// ---------------------------------------------------------------------------
// 4xx caused by the upload

TEST(MapHttpAnswerTest, BadRequestWithNoFileBody) {
  const absl::Status s =
      MapError(Answer(400, R"({"status":"NO_FILE","reason":"No file uploaded"})", "up-2"));
  ExpectCodeAndReason(s, absl::StatusCode::kInvalidArgument, "NO_FILE");
  ExpectSingleFieldViolation(s, "chunk");
  EXPECT_EQ(Metadata(s, "httpStatus"), "400");
  EXPECT_EQ(Metadata(s, "upstreamRequestId"), "up-2");
}

TEST(MapHttpAnswerTest, BadRequestWithFileInvalidFormatBody) {
  const absl::Status s = MapError(Answer(400, R"({"status":"FILE_INVALID_FORMAT"})"));
  ExpectCodeAndReason(s, absl::StatusCode::kInvalidArgument, "FILE_INVALID_FORMAT");
  ExpectSingleFieldViolation(s, "chunk");
}

TEST(MapHttpAnswerTest, UnsupportedMediaTypeIsFileInvalidFormatWhateverTheBody) {
  for (const char* body : {R"({"status":"FILE_INVALID_FORMAT"})", "", "<html>415</html>",
                           R"({"status":"NO_FILE"})"}) {
    const absl::Status s = MapError(Answer(415, body));
    ExpectCodeAndReason(s, absl::StatusCode::kInvalidArgument, "FILE_INVALID_FORMAT");
    ExpectSingleFieldViolation(s, "chunk");
    EXPECT_EQ(Metadata(s, "httpStatus"), "415");
  }
}

TEST(MapHttpAnswerTest, BadRequestWithOtherBodyIsRejectedRequest) {
  for (const char* body : {R"({"status":"SOMETHING_ELSE"})", R"({"error":"bad"})", "", "not json"}) {
    const absl::Status s = MapError(Answer(400, body));
    ExpectCodeAndReason(s, absl::StatusCode::kInvalidArgument, "UPSTREAM_REJECTED_REQUEST");
    EXPECT_THAT(std::string(s.message()), HasSubstr("400"));
    EXPECT_EQ(Metadata(s, "httpStatus"), "400");
  }
}

TEST(MapHttpAnswerTest, RejectedRequestDoesNotEchoTheBody) {
  const absl::Status s = MapError(Answer(400, std::string(R"({"message":")") + kMarker + R"("})"));
  ExpectCodeAndReason(s, absl::StatusCode::kInvalidArgument, "UPSTREAM_REJECTED_REQUEST");
  ExpectNoMarkerAnywhere(s);
}

TEST(MapHttpAnswerTest, PayloadTooLargeAndUnprocessableAreCallerErrors) {
  for (long code : {413L, 422L}) {
    const absl::Status plain = MapError(Answer(code, ""));
    ExpectCodeAndReason(plain, absl::StatusCode::kInvalidArgument, "UPSTREAM_REJECTED_REQUEST");
    EXPECT_EQ(Metadata(plain, "httpStatus"), std::to_string(code));
    const absl::Status no_file = MapError(Answer(code, R"({"status":"NO_FILE"})"));
    ExpectCodeAndReason(no_file, absl::StatusCode::kInvalidArgument, "NO_FILE");
  }
}

// ---------------------------------------------------------------------------
// The gateway's own credentials

TEST(MapHttpAnswerTest, UnauthorizedIsInternalAndLeaksNothingFromTheBody) {
  const absl::Status s = MapError(
      Answer(401, std::string(R"({"message":"invalid api key for account )") + kMarker + R"("})",
             "up-3"));
  ExpectCodeAndReason(s, absl::StatusCode::kInternal, "UPSTREAM_AUTHENTICATION_FAILED");
  EXPECT_EQ(Metadata(s, "httpStatus"), "401");
  EXPECT_EQ(Metadata(s, "upstreamRequestId"), "up-3");
  EXPECT_FALSE(GetBadRequest(s).has_value());
  ExpectNoMarkerAnywhere(s);
}

TEST(MapHttpAnswerTest, ForbiddenIsInternalAndLeaksNothingFromTheBody) {
  const absl::Status s =
      MapError(Answer(403, std::string("Forbidden: user ") + kMarker + " is not allowed"));
  ExpectCodeAndReason(s, absl::StatusCode::kInternal, "UPSTREAM_ACCESS_DENIED");
  EXPECT_EQ(Metadata(s, "httpStatus"), "403");
  ExpectNoMarkerAnywhere(s);
}

TEST(MapHttpAnswerTest, AuthFailureIsNotReportedAsTheCallersFault) {
  // Even a NO_FILE-looking body on 401 must not become INVALID_ARGUMENT.
  const absl::Status s = MapError(Answer(401, R"({"status":"NO_FILE"})"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorReason(s), "UPSTREAM_AUTHENTICATION_FAILED");
}

// ---------------------------------------------------------------------------
// 429

TEST(MapHttpAnswerTest, TooManyRequestsWithDeltaSecondsRetryAfter) {
  const absl::Status s = MapError(Answer(429, R"({"message":"slow down"})", "up-4", "7"));
  ExpectCodeAndReason(s, absl::StatusCode::kResourceExhausted, "UPSTREAM_QUOTA_EXCEEDED");
  EXPECT_EQ(Metadata(s, "httpStatus"), "429");
  EXPECT_EQ(Metadata(s, "upstreamRequestId"), "up-4");
  const auto retry = GetRetryInfo(s);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->retry_delay().seconds(), 7);
  EXPECT_EQ(retry->retry_delay().nanos(), 0);
  const auto quota = GetQuotaFailure(s);
  ASSERT_TRUE(quota.has_value());
  ASSERT_EQ(quota->violations_size(), 1);
  EXPECT_EQ(quota->violations(0).subject(), "upstream:glair-vision");
}

TEST(MapHttpAnswerTest, TooManyRequestsWithHttpDateRetryAfter) {
  // 30 seconds after kNow.
  const absl::Status s = MapError(Answer(429, "", "", "Tue, 14 Nov 2023 22:13:50 GMT"));
  ExpectCodeAndReason(s, absl::StatusCode::kResourceExhausted, "UPSTREAM_QUOTA_EXCEEDED");
  const auto retry = GetRetryInfo(s);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->retry_delay().seconds(), 30);
  EXPECT_TRUE(GetQuotaFailure(s).has_value());
}

TEST(MapHttpAnswerTest, TooManyRequestsWithoutRetryAfterHasNoRetryInfo) {
  const absl::Status s = MapError(Answer(429, ""));
  ExpectCodeAndReason(s, absl::StatusCode::kResourceExhausted, "UPSTREAM_QUOTA_EXCEEDED");
  EXPECT_FALSE(GetRetryInfo(s).has_value());
  EXPECT_TRUE(GetQuotaFailure(s).has_value());
}

TEST(MapHttpAnswerTest, TooManyRequestsWithGarbageRetryAfterHasNoRetryInfo) {
  const absl::Status s = MapError(Answer(429, "", "", "soon"));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(GetRetryInfo(s).has_value());
}

TEST(MapHttpAnswerTest, TooManyRequestsDoesNotEchoTheBody) {
  const absl::Status s = MapError(Answer(429, kMarker, "", "1"));
  ExpectNoMarkerAnywhere(s);
}

// ---------------------------------------------------------------------------
// 5xx

TEST(MapHttpAnswerTest, ServerErrorsAreUnavailable) {
  for (long code : {500L, 502L, 503L, 504L, 599L}) {
    const absl::Status s = MapError(Answer(code, std::string("<html>") + kMarker + "</html>", "up-5"));
    ExpectCodeAndReason(s, absl::StatusCode::kUnavailable, "UPSTREAM_UNAVAILABLE");
    EXPECT_THAT(std::string(s.message()), HasSubstr(std::to_string(code)));
    EXPECT_EQ(Metadata(s, "httpStatus"), std::to_string(code));
    EXPECT_EQ(Metadata(s, "upstreamRequestId"), "up-5");
    EXPECT_FALSE(GetRetryInfo(s).has_value());
    ExpectNoMarkerAnywhere(s);
  }
}

TEST(MapHttpAnswerTest, ServiceUnavailableWithRetryAfterCarriesRetryInfo) {
  const absl::Status s = MapError(Answer(503, "", "", "5"));
  ExpectCodeAndReason(s, absl::StatusCode::kUnavailable, "UPSTREAM_UNAVAILABLE");
  const auto retry = GetRetryInfo(s);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->retry_delay().seconds(), 5);
}

// ---------------------------------------------------------------------------
// Anything else

TEST(MapHttpAnswerTest, UnexpectedStatusesAreInternal) {
  for (long code : {0L, 100L, 201L, 204L, 301L, 302L, 304L, 404L, 405L, 409L, 600L}) {
    const absl::Status s = MapError(Answer(code, kOkBody));
    ExpectCodeAndReason(s, absl::StatusCode::kInternal, "UPSTREAM_UNEXPECTED_STATUS");
    EXPECT_THAT(std::string(s.message()), HasSubstr(std::to_string(code)));
    EXPECT_EQ(Metadata(s, "httpStatus"), std::to_string(code));
  }
}

TEST(MapHttpAnswerTest, RedirectAndNotFoundSpecifically) {
  const absl::Status redirect = MapError(Answer(302, "", "up-6"));
  ExpectCodeAndReason(redirect, absl::StatusCode::kInternal, "UPSTREAM_UNEXPECTED_STATUS");
  EXPECT_EQ(Metadata(redirect, "upstreamRequestId"), "up-6");
  const absl::Status not_found = MapError(Answer(404, R"({"status":"NO_FILE"})"));
  ExpectCodeAndReason(not_found, absl::StatusCode::kInternal, "UPSTREAM_UNEXPECTED_STATUS");
}

// ---------------------------------------------------------------------------
// ParseRetryAfter

TEST(ParseRetryAfterTest, DeltaSeconds) {
  EXPECT_EQ(ParseRetryAfter("0", kNow), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("7", kNow), absl::Seconds(7));
  EXPECT_EQ(ParseRetryAfter("120", kNow), absl::Seconds(120));
}

TEST(ParseRetryAfterTest, SurroundingWhitespaceIsIgnored) {
  EXPECT_EQ(ParseRetryAfter("  7 ", kNow), absl::Seconds(7));
  EXPECT_EQ(ParseRetryAfter("\t7\r\n", kNow), absl::Seconds(7));
}

TEST(ParseRetryAfterTest, DeltaSecondsClampToOneDay) {
  EXPECT_EQ(ParseRetryAfter("86400", kNow), absl::Hours(24));
  EXPECT_EQ(ParseRetryAfter("86401", kNow), absl::Hours(24));
  EXPECT_EQ(ParseRetryAfter("999999999", kNow), absl::Hours(24));
}

TEST(ParseRetryAfterTest, NegativeIsRejected) {
  EXPECT_EQ(ParseRetryAfter("-1", kNow), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-86400", kNow), std::nullopt);
}

TEST(ParseRetryAfterTest, GarbageIsRejected) {
  for (const char* v : {"", "   ", "abc", "7s", "1.5", "7 8", "0x10", "Tomorrow",
                        "2023-11-14T22:13:50Z", "Tue, 14 Nov 2023 22:13:50", "Tue, 99 Nov 2023 22:13:50 GMT"}) {
    EXPECT_EQ(ParseRetryAfter(v, kNow), std::nullopt) << "'" << v << "'";
  }
}

TEST(ParseRetryAfterTest, HttpDateIsRelativeToNow) {
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:13:50 GMT", kNow), absl::Seconds(30));
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 23:13:20 GMT", kNow), absl::Hours(1));
  // The same date read at a later `now` is a shorter delay.
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:13:50 GMT", kNow + absl::Seconds(10)),
            absl::Seconds(20));
}

TEST(ParseRetryAfterTest, HttpDateNowIsZero) {
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:13:20 GMT", kNow), absl::ZeroDuration());
}

TEST(ParseRetryAfterTest, PastHttpDateIsZero) {
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:00:00 GMT", kNow), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("Thu, 01 Jan 1970 00:00:00 GMT", kNow), absl::ZeroDuration());
}

// RFC 9110 5.6.7: a recipient must accept all three HTTP-date formats.
TEST(ParseRetryAfterTest, ImfFixdate) {
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:13:50 GMT", kNow), absl::Seconds(30));
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:14:20 GMT", kNow), absl::Minutes(1));
}

TEST(ParseRetryAfterTest, Rfc850Date) {
  EXPECT_EQ(ParseRetryAfter("Tuesday, 14-Nov-23 22:13:50 GMT", kNow), absl::Seconds(30));
  EXPECT_EQ(ParseRetryAfter("Tuesday, 14-Nov-23 23:13:20 GMT", kNow), absl::Hours(1));
  // Two-digit years from the last century still read as the past.
  EXPECT_EQ(ParseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", kNow), absl::ZeroDuration());
}

TEST(ParseRetryAfterTest, AsctimeDate) {
  EXPECT_EQ(ParseRetryAfter("Tue Nov 14 22:13:50 2023", kNow), absl::Seconds(30));
  // A one-digit day is padded with a space, not a zero.
  EXPECT_EQ(ParseRetryAfter("Sat Nov  4 22:13:20 2023", kNow), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("Wed Nov 15 22:13:19 2023", kNow), absl::Hours(24) - absl::Seconds(1));
}

TEST(ParseRetryAfterTest, AllThreeFormatsOfOneInstantAgree) {
  // RFC 9110's own example, 784111777 seconds after the epoch, read 7 seconds before.
  const absl::Time before = absl::FromUnixSeconds(784111777 - 7);
  for (const char* v : {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                        "Sun Nov  6 08:49:37 1994"}) {
    EXPECT_EQ(ParseRetryAfter(v, before), absl::Seconds(7)) << "'" << v << "'";
  }
}

TEST(ParseRetryAfterTest, MalformedHttpDatesAreRejected) {
  for (const char* v : {
           "Tue, 14 Nov 2023 25:13:50 GMT",      // no hour 25
           "Tue, 32 Nov 2023 22:13:50 GMT",      // no day 32
           "Tue, 14 Foo 2023 22:13:50 GMT",      // no such month
           "Tue, 14 Nov 2023 22:13:50 PST",      // HTTP-dates are GMT
           "Tue, 14 Nov 2023 22:13:50 +0000",    // likewise
           "Tue, 14 Nov 2023 22:13:50 GMT junk",  // trailing text
           "Tue, 14 Nov 2023 GMT",               // no time
           "14 Nov 2023",                        // no format at all
           "Tuesday, 14-Nov-23 22:13:50",        // RFC 850 without its zone
           "Tue Nov 14 22:13:50",                // asctime without its year
           "Tue Nov 14 22:13:50 2023 x",         // asctime with trailing text
           " GMT",
           "GMT",
           "xxxxxxxxxxxxxxxxxxxxxxxx",           // 24 characters of nothing
       }) {
    EXPECT_EQ(ParseRetryAfter(v, kNow), std::nullopt) << "'" << v << "'";
  }
}

TEST(ParseRetryAfterTest, FarFutureHttpDateClampsToOneDay) {
  EXPECT_EQ(ParseRetryAfter("Wed, 15 Nov 2023 22:13:21 GMT", kNow), absl::Hours(24));
  EXPECT_EQ(ParseRetryAfter("Fri, 01 Jan 2100 00:00:00 GMT", kNow), absl::Hours(24));
  EXPECT_EQ(ParseRetryAfter("Friday, 01-Jan-38 00:00:00 GMT", kNow), absl::Hours(24));
  EXPECT_EQ(ParseRetryAfter("Fri Jan  1 00:00:00 2100", kNow), absl::Hours(24));
}

TEST(MapHttpAnswerTest, ServiceUnavailableWithAsctimeRetryAfterCarriesRetryInfo) {
  const absl::Status s = MapError(Answer(503, "", "", "Tue Nov 14 22:14:20 2023"));
  ExpectCodeAndReason(s, absl::StatusCode::kUnavailable, "UPSTREAM_UNAVAILABLE");
  const auto retry = GetRetryInfo(s);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->retry_delay().seconds(), 60);
}

// ---------------------------------------------------------------------------
// MapTransportFailure

struct TransportCase {
  TransportFailure failure;
  absl::StatusCode code;
  const char* reason;
};

TEST(MapTransportFailureTest, EveryFailureHasItsCodeAndReason) {
  const TransportCase cases[] = {
      {TransportFailure::kConnect, absl::StatusCode::kUnavailable, "UPSTREAM_CONNECT_FAILED"},
      {TransportFailure::kTimeout, absl::StatusCode::kDeadlineExceeded, "UPSTREAM_TIMEOUT"},
      {TransportFailure::kTls, absl::StatusCode::kUnavailable, "UPSTREAM_TLS_FAILED"},
      {TransportFailure::kNetwork, absl::StatusCode::kUnavailable, "UPSTREAM_CONNECTION_FAILED"},
      {TransportFailure::kResponseTooLarge, absl::StatusCode::kInternal, "UPSTREAM_RESPONSE_TOO_LARGE"},
      {TransportFailure::kCancelled, absl::StatusCode::kCancelled, "CANCELLED"},
      {TransportFailure::kInternal, absl::StatusCode::kInternal, "GATEWAY_INTERNAL"},
  };
  for (const TransportCase& c : cases) {
    const absl::Status s = MapTransportFailure(c.failure, "detail text");
    SCOPED_TRACE(c.reason);
    ExpectCodeAndReason(s, c.code, c.reason);
    EXPECT_FALSE(s.message().empty());
  }
}

TEST(MapTransportFailureTest, DiagnosticDetailIsIncludedWhereUseful) {
  const char kDetail[] = "Could not resolve host: ocr.example.invalid";
  for (TransportFailure f : {TransportFailure::kConnect, TransportFailure::kTls,
                             TransportFailure::kNetwork, TransportFailure::kInternal}) {
    EXPECT_THAT(std::string(MapTransportFailure(f, kDetail).message()), HasSubstr(kDetail));
  }
}

}  // namespace
}  // namespace ktp::upstream
