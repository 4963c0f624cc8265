// Unit tests of backend/circuit_breaker: health classification, the state
// machine (consecutive failures, failure ratio, open interval, half-open
// probes, stale outcomes) on a fake clock, and the per-endpoint decorator's
// UPSTREAM_CIRCUIT_OPEN answer — also in front of the retrying decorator.
#include "backend/circuit_breaker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "common/error_details.h"
#include "tests/support/fake_clock.h"
#include "tests/support/scripted_backend.h"
#include "upstream/http_outcome.h"
#include "backend/retrying_backend.h"

namespace ktp::upstream {
namespace {

using ::ktp::testing::FakeClock;

absl::Status Http(long status) {
  HttpAnswer answer;
  answer.http_status = status;
  return MapHttpAnswer(std::move(answer), absl::Now()).status();
}
absl::Status Transport(TransportFailure failure) { return MapTransportFailure(failure, ""); }

backend::CircuitBreakerOptions Options() {
  backend::CircuitBreakerOptions o;
  o.consecutive_failures = 3;
  o.failure_ratio = 0.5;
  o.min_requests = 10;
  o.window = absl::Seconds(10);
  o.open_interval = absl::Seconds(5);
  o.half_open_probes = 1;
  return o;
}

TEST(ClassifyHealthTest, OnlyUpstreamHealthFailuresCount) {
  EXPECT_EQ(backend::ClassifyHealth(backend::OcrResult(), true), backend::HealthOutcome::kSuccess);
  for (absl::Status s : {Transport(TransportFailure::kConnect), Transport(TransportFailure::kNetwork),
                         Transport(TransportFailure::kTls), Http(502), Http(503), Http(504)}) {
    EXPECT_EQ(backend::ClassifyHealth(s, true), backend::HealthOutcome::kFailure) << s;
  }
  EXPECT_EQ(backend::ClassifyHealth(Transport(TransportFailure::kTimeout), true), backend::HealthOutcome::kFailure);
  EXPECT_EQ(backend::ClassifyHealth(Transport(TransportFailure::kTimeout), false), backend::HealthOutcome::kIgnored);
  // A 500 is the upstream crashing on this input (not retried either): it
  // answered, so it is alive; one tenant's bad uploads must not open the
  // circuit for every tenant.
  for (absl::Status s : {Http(400), Http(401), Http(403), Http(415), Http(429), Http(404), Http(500),
                         Transport(TransportFailure::kResponseTooLarge)}) {
    EXPECT_EQ(backend::ClassifyHealth(s, true), backend::HealthOutcome::kSuccess) << s;
  }
  for (absl::Status s : {Transport(TransportFailure::kCancelled), Transport(TransportFailure::kInternal),
                         absl::CancelledError("x"),
                         MakeError(absl::StatusCode::kUnavailable, "GATEWAY_SHUTTING_DOWN", "x")}) {
    EXPECT_EQ(backend::ClassifyHealth(s, true), backend::HealthOutcome::kIgnored) << s;
  }
}

class CircuitBreakerTest : public ::testing::Test {
 protected:
  CircuitBreakerTest()
      : breaker_(Options(), &clock_, [this](backend::CircuitState s) { transitions_.push_back(s); }) {}

  void Call(backend::HealthOutcome outcome) {
    backend::CircuitBreaker::Permit p = breaker_.TryAcquire();
    ASSERT_TRUE(p.allowed);
    breaker_.Record(p, outcome);
  }

  FakeClock clock_;
  std::vector<backend::CircuitState> transitions_;
  backend::CircuitBreaker breaker_;
};

TEST_F(CircuitBreakerTest, OpensAfterConsecutiveFailures) {
  Call(backend::HealthOutcome::kFailure);
  Call(backend::HealthOutcome::kFailure);
  Call(backend::HealthOutcome::kSuccess);  // resets the run
  Call(backend::HealthOutcome::kFailure);
  Call(backend::HealthOutcome::kFailure);
  Call(backend::HealthOutcome::kIgnored);  // neither breaks nor extends the run
  EXPECT_EQ(breaker_.state(), backend::CircuitState::kClosed);
  Call(backend::HealthOutcome::kFailure);
  EXPECT_EQ(breaker_.state(), backend::CircuitState::kOpen);
  EXPECT_THAT(transitions_, ::testing::ElementsAre(backend::CircuitState::kOpen));
  backend::CircuitBreaker::Permit p = breaker_.TryAcquire();
  EXPECT_FALSE(p.allowed);
  EXPECT_EQ(p.retry_after, absl::Seconds(5));
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(breaker_.TryAcquire().retry_after, absl::Seconds(3));
}

TEST_F(CircuitBreakerTest, OpensOnTheFailureRatioOnceTheWindowHasEnoughCalls) {
  // Alternating failures never make three in a row, but half of the calls fail.
  for (int i = 0; i < 8; ++i) Call(i % 2 == 0 ? backend::HealthOutcome::kFailure : backend::HealthOutcome::kSuccess);
  EXPECT_EQ(breaker_.state(), backend::CircuitState::kClosed);  // 8 < min_requests
  Call(backend::HealthOutcome::kSuccess);
  Call(backend::HealthOutcome::kFailure);  // 10 calls, 5 failures
  EXPECT_EQ(breaker_.state(), backend::CircuitState::kOpen);
}

TEST_F(CircuitBreakerTest, OldOutcomesLeaveTheWindow) {
  for (int i = 0; i < 8; ++i) Call(i % 2 == 0 ? backend::HealthOutcome::kFailure : backend::HealthOutcome::kSuccess);
  clock_.Advance(absl::Seconds(11));
  Call(backend::HealthOutcome::kSuccess);
  Call(backend::HealthOutcome::kFailure);
  EXPECT_EQ(breaker_.state(), backend::CircuitState::kClosed);
}

TEST_F(CircuitBreakerTest, HalfOpenLetsOneProbeThroughAndClosesOnSuccess) {
  for (int i = 0; i < 3; ++i) Call(backend::HealthOutcome::kFailure);
  clock_.Advance(absl::Seconds(5));
  backend::CircuitBreaker::Permit probe = breaker_.TryAcquire();
  ASSERT_TRUE(probe.allowed);
  EXPECT_TRUE(probe.probe);
  EXPECT_EQ(breaker_.state(), backend::CircuitState::kHalfOpen);
  backend::CircuitBreaker::Permit second = breaker_.TryAcquire();
  EXPECT_FALSE(second.allowed);  // one probe at a time
  EXPECT_GT(second.retry_after, absl::ZeroDuration());
  breaker_.Record(probe, backend::HealthOutcome::kSuccess);
  EXPECT_EQ(breaker_.state(), backend::CircuitState::kClosed);
  EXPECT_THAT(transitions_, ::testing::ElementsAre(backend::CircuitState::kOpen, backend::CircuitState::kHalfOpen,
                                                   backend::CircuitState::kClosed));
  // Closed with a clean slate: two failures do not reopen it.
  Call(backend::HealthOutcome::kFailure);
  Call(backend::HealthOutcome::kFailure);
  EXPECT_EQ(breaker_.state(), backend::CircuitState::kClosed);
}

TEST_F(CircuitBreakerTest, AFailedProbeReopensForAnotherInterval) {
  for (int i = 0; i < 3; ++i) Call(backend::HealthOutcome::kFailure);
  clock_.Advance(absl::Seconds(6));
  backend::CircuitBreaker::Permit probe = breaker_.TryAcquire();
  breaker_.Record(probe, backend::HealthOutcome::kFailure);
  EXPECT_EQ(breaker_.state(), backend::CircuitState::kOpen);
  EXPECT_EQ(breaker_.TryAcquire().retry_after, absl::Seconds(5));
}

TEST_F(CircuitBreakerTest, AnIgnoredProbeFreesItsSlot) {
  for (int i = 0; i < 3; ++i) Call(backend::HealthOutcome::kFailure);
  clock_.Advance(absl::Seconds(5));
  backend::CircuitBreaker::Permit probe = breaker_.TryAcquire();
  breaker_.Record(probe, backend::HealthOutcome::kIgnored);  // e.g. the caller cancelled
  EXPECT_EQ(breaker_.state(), backend::CircuitState::kHalfOpen);
  EXPECT_TRUE(breaker_.TryAcquire().allowed);
}

TEST_F(CircuitBreakerTest, OutcomesOfCallsAdmittedBeforeATransitionAreIgnored) {
  backend::CircuitBreaker::Permit early = breaker_.TryAcquire();  // admitted while closed
  for (int i = 0; i < 3; ++i) Call(backend::HealthOutcome::kFailure);
  clock_.Advance(absl::Seconds(5));
  backend::CircuitBreaker::Permit probe = breaker_.TryAcquire();
  breaker_.Record(early, backend::HealthOutcome::kSuccess);  // must not close the circuit
  EXPECT_EQ(breaker_.state(), backend::CircuitState::kHalfOpen);
  breaker_.Record(probe, backend::HealthOutcome::kSuccess);
  EXPECT_EQ(breaker_.state(), backend::CircuitState::kClosed);
}

using ::ktp::testing::ScriptedBackend;

absl::StatusOr<backend::OcrResult> CallOnce(backend::OcrBackend& backend, backend::Endpoint endpoint, absl::Time deadline) {
  std::optional<absl::StatusOr<backend::OcrResult>> out;
  backend::OcrRequest request;
  request.endpoint = endpoint;
  request.deadline = deadline;
  backend.Start(std::move(request), [&](absl::StatusOr<backend::OcrResult> r) { out = std::move(r); });
  return *out;
}

TEST(CircuitBreakingBackendTest, OpenCircuitAnswersAtOnceWithRetryInfoPerEndpoint) {
  FakeClock clock;
  ScriptedBackend inner;
  std::vector<std::pair<backend::Endpoint, backend::CircuitState>> changes;
  backend::CircuitBreakingBackendOptions options;
  options.breaker = Options();
  options.clock = &clock;
  options.on_state_change = [&](backend::Endpoint e, backend::CircuitState s) { changes.emplace_back(e, s); };
  backend::CircuitBreakingBackend backend(&inner, options);
  const absl::Time deadline = clock.Now() + absl::Seconds(30);
  inner.script = {Http(503), Http(503), Http(503)};
  for (int i = 0; i < 3; ++i) CallOnce(backend, backend::Endpoint::kRead, deadline).IgnoreError();
  EXPECT_EQ(backend.state(backend::Endpoint::kRead), backend::CircuitState::kOpen);
  EXPECT_EQ(backend.state(backend::Endpoint::kReadWithQualities), backend::CircuitState::kClosed);

  clock.Advance(absl::Seconds(1));
  absl::StatusOr<backend::OcrResult> refused = CallOnce(backend, backend::Endpoint::kRead, deadline);
  EXPECT_EQ(inner.starts, 3);  // the upstream was not called
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  auto info = GetErrorInfo(refused.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "UPSTREAM_CIRCUIT_OPEN");
  EXPECT_EQ(info->metadata().at("endpoint"), "read");
  EXPECT_EQ(info->metadata().at("circuitState"), "open");
  auto retry = GetRetryInfo(refused.status());
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->retry_delay().seconds(), 4);

  // The other endpoint is unaffected.
  EXPECT_TRUE(CallOnce(backend, backend::Endpoint::kReadWithQualities, deadline).ok());
  // After the interval a probe goes through, succeeds, and the circuit closes.
  clock.Advance(absl::Seconds(4));
  EXPECT_TRUE(CallOnce(backend, backend::Endpoint::kRead, deadline).ok());
  EXPECT_EQ(backend.state(backend::Endpoint::kRead), backend::CircuitState::kClosed);
  EXPECT_THAT(changes, ::testing::ElementsAre(std::make_pair(backend::Endpoint::kRead, backend::CircuitState::kOpen),
                                              std::make_pair(backend::Endpoint::kRead, backend::CircuitState::kHalfOpen),
                                              std::make_pair(backend::Endpoint::kRead, backend::CircuitState::kClosed)));
}

TEST(CircuitBreakingBackendTest, FiveHundredsCausedByTheInputDoNotOpenIt) {
  // The retry policy does not retry a 500 (the upstream crashed on this input);
  // the breaker must not count it either, or one tenant's bad uploads would
  // cut every tenant off the upstream.
  FakeClock clock;
  ScriptedBackend inner;
  backend::CircuitBreakingBackendOptions options;
  options.breaker = Options();
  options.clock = &clock;
  backend::CircuitBreakingBackend backend(&inner, options);
  const absl::Time deadline = clock.Now() + absl::Seconds(30);
  inner.script = {Http(500), Http(500), Http(500), Http(500), Http(500)};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(CallOnce(backend, backend::Endpoint::kRead, deadline).status().code(), absl::StatusCode::kUnavailable);
  }
  EXPECT_EQ(backend.state(backend::Endpoint::kRead), backend::CircuitState::kClosed);
  EXPECT_TRUE(CallOnce(backend, backend::Endpoint::kRead, deadline).ok());
  EXPECT_EQ(inner.starts, 6);
}

TEST(CircuitBreakingBackendTest, CallerErrorsAndShortDeadlineTimeoutsDoNotOpenIt) {
  FakeClock clock;
  ScriptedBackend inner;
  backend::CircuitBreakingBackendOptions options;
  options.breaker = Options();
  options.clock = &clock;
  backend::CircuitBreakingBackend backend(&inner, options);
  for (int i = 0; i < 5; ++i) inner.script.push_back(Http(400));
  for (int i = 0; i < 5; ++i) inner.script.push_back(Http(429));
  for (int i = 0; i < 10; ++i) CallOnce(backend, backend::Endpoint::kRead, clock.Now() + absl::Seconds(30)).IgnoreError();
  // Timeouts of calls that had less than min_timeout_to_count are the caller's doing.
  for (int i = 0; i < 5; ++i) inner.script.push_back(Transport(TransportFailure::kTimeout));
  for (int i = 0; i < 5; ++i) {
    CallOnce(backend, backend::Endpoint::kRead, clock.Now() + absl::Milliseconds(200)).IgnoreError();
  }
  EXPECT_EQ(backend.state(backend::Endpoint::kRead), backend::CircuitState::kClosed);
  // Real timeouts do count.
  for (int i = 0; i < 3; ++i) inner.script.push_back(Transport(TransportFailure::kTimeout));
  for (int i = 0; i < 3; ++i) CallOnce(backend, backend::Endpoint::kRead, clock.Now() + absl::Seconds(30)).IgnoreError();
  EXPECT_EQ(backend.state(backend::Endpoint::kRead), backend::CircuitState::kOpen);
}

// Production order: Retrying(CircuitBreaking(upstream)). Once the breaker opens,
// the remaining retries fail fast instead of reaching the upstream, and the
// caller learns when to come back.
TEST(CircuitBreakingBackendTest, RetriesStopAtAnOpenCircuit) {
  FakeClock clock;
  ScriptedBackend inner;
  backend::CircuitBreakingBackendOptions breaker_options;
  breaker_options.breaker = Options();
  breaker_options.breaker.consecutive_failures = 2;
  breaker_options.clock = &clock;
  backend::CircuitBreakingBackend breaking(&inner, breaker_options);

  // Queues waits; the test runs them in order (time is irrelevant here).
  class QueueScheduler final : public backend::RetryScheduler {
   public:
    TaskId ScheduleAfter(absl::Duration, Task task) override {
      tasks.push_back(std::move(task));
      return tasks.size();
    }
    bool Cancel(TaskId) override { return false; }
    void RunAll() {
      while (!tasks.empty()) {
        Task task = std::move(tasks.front());
        tasks.pop_front();
        std::move(task)(TimerOutcome::kFired);
      }
    }
    std::deque<Task> tasks;
  } scheduler;
  backend::RetryingBackendOptions retry_options;
  retry_options.scheduler = &scheduler;
  retry_options.clock = &clock;
  retry_options.random = [] { return 0.0; };
  backend::RetryingBackend retrying(&breaking, retry_options);

  inner.script = {Http(503), Http(503), Http(503)};
  std::optional<absl::StatusOr<backend::OcrResult>> out;
  backend::OcrRequest request;
  request.deadline = clock.Now() + absl::Seconds(30);
  retrying.Start(std::move(request), [&](absl::StatusOr<backend::OcrResult> result) { out = std::move(result); });
  scheduler.RunAll();
  ASSERT_TRUE(out.has_value());
  const absl::StatusOr<backend::OcrResult>& r = *out;
  EXPECT_EQ(inner.starts, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorReason(r.status()), "UPSTREAM_CIRCUIT_OPEN");
  EXPECT_EQ(GetErrorInfo(r.status())->metadata().at("attempts"), "3");
  EXPECT_TRUE(GetRetryInfo(r.status()).has_value());
}

}  // namespace
}  // namespace ktp::upstream
