// FallbackBackend: which upstream failures switch to the local reader, how the
// answer is marked, and that cancel reaches whichever backend is running.
#include "backend/fallback_backend.h"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error_details.h"
#include "tests/support/scripted_backend.h"
#include "upstream/http_outcome.h"

namespace ktp::upstream {
namespace {

absl::Status Http(long status) {
  HttpAnswer answer;
  answer.http_status = status;
  return MapHttpAnswer(std::move(answer), absl::FromUnixSeconds(1700000000)).status();
}

backend::OcrResult Answer(const std::string& reason) {
  backend::OcrResult r;
  r.status = v1::READ_STATUS_SUCCESS;
  r.reason = reason;
  return r;
}

// The shared double, answering "upstream" unless told otherwise.
struct ScriptedBackend : ::ktp::testing::ScriptedBackend {
  ScriptedBackend() { result = Answer("upstream"); }
};

struct Outcome {
  int calls = 0;
  std::optional<absl::StatusOr<backend::OcrResult>> result;
};

backend::OcrRequest Request() {
  backend::OcrRequest r;
  r.image = absl::Cord("image-bytes");
  r.deadline = absl::Now() + absl::Seconds(30);
  return r;
}

std::shared_ptr<backend::OcrCall> StartRead(backend::FallbackBackend& backend, Outcome& out, backend::OcrRequest request = Request()) {
  return backend.Start(std::move(request), [&out](absl::StatusOr<backend::OcrResult> r) {
    ++out.calls;
    out.result = std::move(r);
  });
}

TEST(FallbackBackendTest, UpstreamSuccessIsPassedThroughAndMarkedUpstream) {
  ScriptedBackend upstream, local;
  backend::FallbackBackend backend(&upstream, &local);
  Outcome out;
  StartRead(backend, out);
  ASSERT_EQ(out.calls, 1);
  ASSERT_TRUE(out.result->ok());
  EXPECT_EQ((*out.result)->reason, "upstream");
  EXPECT_EQ((*out.result)->engine, v1::ENGINE_UPSTREAM);
  EXPECT_EQ((*out.result)->fallback_reason, "");
  EXPECT_EQ(local.starts, 0);
}

TEST(FallbackBackendTest, UnavailableUpstreamIsAnsweredLocallyAndMarked) {
  struct Case {
    absl::Status error;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {Http(503), "UPSTREAM_UNAVAILABLE"},
      {MapTransportFailure(TransportFailure::kConnect, "refused"), "UPSTREAM_CONNECT_FAILED"},
      {MakeError(absl::StatusCode::kUnavailable, "UPSTREAM_CIRCUIT_OPEN", "open"), "UPSTREAM_CIRCUIT_OPEN"},
      {MakeError(absl::StatusCode::kUnavailable, "CREDENTIALS_UNAVAILABLE", "none"), "CREDENTIALS_UNAVAILABLE"},
      {Http(401), "UPSTREAM_AUTHENTICATION_FAILED"},
  };
  for (const Case& c : cases) {
    ScriptedBackend upstream, local;
    upstream.result = c.error;
    local.result = Answer("local");
    std::vector<std::string> seen;
    backend::FallbackBackend backend(&upstream, &local, [&seen](absl::string_view r) { seen.emplace_back(r); });
    Outcome out;
    StartRead(backend, out);
    ASSERT_EQ(out.calls, 1) << c.reason;
    ASSERT_TRUE(out.result->ok()) << c.reason;
    EXPECT_EQ((*out.result)->reason, "local");
    EXPECT_EQ((*out.result)->engine, v1::ENGINE_LOCAL);
    EXPECT_EQ((*out.result)->fallback_reason, c.reason);
    EXPECT_EQ(local.last_image, "image-bytes");
    EXPECT_EQ(seen, std::vector<std::string>{c.reason});
  }
}

TEST(FallbackBackendTest, CallersOwnErrorsAreNotHidden) {
  for (const absl::Status& error :
       {Http(415), Http(429), absl::Status(MakeError(absl::StatusCode::kDeadlineExceeded, "UPSTREAM_TIMEOUT", "t")),
        absl::CancelledError("c"), absl::Status(Http(400))}) {
    ScriptedBackend upstream, local;
    upstream.result = error;
    backend::FallbackBackend backend(&upstream, &local);
    Outcome out;
    StartRead(backend, out);
    ASSERT_EQ(out.calls, 1);
    EXPECT_EQ(out.result->status().code(), error.code()) << error;
    EXPECT_EQ(local.starts, 0) << error;
  }
}

TEST(FallbackBackendTest, TheGatewaysOwnShutdownIsNotAnsweredLocally) {
  // GATEWAY_SHUTTING_DOWN is UNAVAILABLE like an upstream outage, but the
  // gateway is stopping: starting an offline read now would outlive the drain.
  ScriptedBackend upstream, local;
  upstream.result = MakeError(absl::StatusCode::kUnavailable, "GATEWAY_SHUTTING_DOWN", "stopping");
  backend::FallbackBackend backend(&upstream, &local);
  Outcome out;
  StartRead(backend, out);
  ASSERT_EQ(out.calls, 1);
  EXPECT_EQ(ErrorReason(out.result->status()), "GATEWAY_SHUTTING_DOWN");
  EXPECT_EQ(local.starts, 0);
}

TEST(FallbackBackendTest, LocalErrorIsReturnedAsIs) {
  ScriptedBackend upstream, local;
  upstream.result = Http(502);
  local.result = MakeError(absl::StatusCode::kResourceExhausted, "LOCAL_ENGINE_BUSY", "busy");
  backend::FallbackBackend backend(&upstream, &local);
  Outcome out;
  StartRead(backend, out);
  ASSERT_EQ(out.calls, 1);
  EXPECT_EQ(ErrorReason(out.result->status()), "LOCAL_ENGINE_BUSY");
}

TEST(FallbackBackendTest, NoFallbackOnceTheDeadlinePassed) {
  ScriptedBackend upstream, local;
  upstream.result = Http(503);
  backend::FallbackBackend backend(&upstream, &local);
  Outcome out;
  backend::OcrRequest request = Request();
  request.deadline = absl::Now() - absl::Seconds(1);
  StartRead(backend, out, std::move(request));
  ASSERT_EQ(out.calls, 1);
  EXPECT_EQ(ErrorReason(out.result->status()), "UPSTREAM_UNAVAILABLE");
  EXPECT_EQ(local.starts, 0);
}

TEST(FallbackBackendTest, CancelReachesTheUpstreamCallThenTheLocalOne) {
  {
    ScriptedBackend upstream, local;
    upstream.hold = true;
    backend::FallbackBackend backend(&upstream, &local);
    Outcome out;
    auto call = StartRead(backend, out);
    call->Cancel();
    EXPECT_EQ(upstream.cancels, 1);
    ASSERT_EQ(out.calls, 1);
    EXPECT_EQ(out.result->status().code(), absl::StatusCode::kCancelled);
    EXPECT_EQ(local.starts, 0);
  }
  {
    ScriptedBackend upstream, local;
    upstream.hold = true;
    local.hold = true;
    backend::FallbackBackend backend(&upstream, &local);
    Outcome out;
    auto call = StartRead(backend, out);
    upstream.CompleteHeld(Http(503));
    EXPECT_EQ(local.starts, 1);
    EXPECT_EQ(out.calls, 0);
    call->Cancel();
    EXPECT_EQ(local.cancels, 1);
    ASSERT_EQ(out.calls, 1);
    EXPECT_EQ(out.result->status().code(), absl::StatusCode::kCancelled);
  }
}

TEST(FallbackBackendTest, InlineUpstreamFailureKeepsTheLocalCallCancellable) {
  ScriptedBackend upstream, local;
  upstream.result = Http(503);  // completes inside Start
  local.hold = true;
  backend::FallbackBackend backend(&upstream, &local);
  Outcome out;
  auto call = StartRead(backend, out);
  ASSERT_EQ(local.starts, 1);
  call->Cancel();
  EXPECT_EQ(local.cancels, 1);
  EXPECT_EQ(out.calls, 1);
}

}  // namespace
}  // namespace ktp::upstream
