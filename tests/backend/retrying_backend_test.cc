// Unit tests of backend/retry_policy and backend/retrying_backend with a
// scripted fake backend, a fake clock and a manual scheduler: which failures
// are retried, backoff and Retry-After, the attempt cap, the budget, the
// deadline, cancellation (during an attempt and during a wait) and shutdown.
#include "backend/retrying_backend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/error_details.h"
#include "tests/support/scripted_backend.h"
#include "tests/support/fake_clock.h"
#include "upstream/http_outcome.h"

namespace ktp::upstream {
namespace {

using ::ktp::testing::FakeClock;

// Errors exactly as the curl client produces them.
absl::Status Http(long status, std::string retry_after = "") {
  HttpAnswer answer;
  answer.http_status = status;
  answer.retry_after = std::move(retry_after);
  return MapHttpAnswer(std::move(answer), absl::FromUnixSeconds(1700000000)).status();
}
absl::Status Transport(TransportFailure failure) { return MapTransportFailure(failure, "detail"); }

backend::OcrResult Success() {
  backend::OcrResult r;
  r.status = v1::READ_STATUS_SUCCESS;
  r.upstream_request_id = "up-1";
  return r;
}

std::string Metadata(const absl::Status& s, const std::string& key) {
  auto info = GetErrorInfo(s);
  if (!info) return "<no ErrorInfo>";
  auto it = info->metadata().find(key);
  return it == info->metadata().end() ? "<absent>" : it->second;
}

// The shared double, answering Success() once its script is spent.
struct FakeBackend : ::ktp::testing::ScriptedBackend {
  FakeBackend() { result = Success(); }
};

// Keeps tasks until the test runs them; running one advances the fake clock to its time.
class ManualScheduler final : public backend::RetryScheduler {
 public:
  explicit ManualScheduler(FakeClock* clock) : clock_(clock) {}
  TaskId ScheduleAfter(absl::Duration delay, Task task) override {
    const TaskId id = next_++;
    delays.push_back(delay);
    tasks_.emplace(id, Pending{clock_->Now() + delay, std::move(task)});
    return id;
  }
  bool Cancel(TaskId id) override {
    if (refuse_cancel) return false;  // as if the task had already started
    return tasks_.erase(id) > 0;
  }
  size_t pending() const { return tasks_.size(); }
  // Runs the earliest task. False when there is none.
  bool RunNext() {
    if (tasks_.empty()) return false;
    auto it = tasks_.begin();
    Pending pending = std::move(it->second);
    tasks_.erase(it);
    if (pending.when > clock_->Now()) clock_->Set(pending.when);
    std::move(pending.task)(TimerOutcome::kFired);
    return true;
  }
  void RunAll() {
    while (RunNext()) {
    }
  }

  std::vector<absl::Duration> delays;
  bool refuse_cancel = false;

 private:
  struct Pending {
    absl::Time when;
    Task task;
  };
  FakeClock* clock_;
  TaskId next_ = 1;
  std::map<TaskId, Pending> tasks_;
};

class RecordingObserver final : public backend::UpstreamObserver {
 public:
  void OnUpstreamRequestDone(backend::Endpoint, long, absl::string_view, absl::Duration) override {}
  void OnUpstreamRetry(backend::Endpoint endpoint, absl::string_view cause) override {
    retries.emplace_back(endpoint, std::string(cause));
  }
  std::vector<std::pair<backend::Endpoint, std::string>> retries;
};

// Collects completions; counts them so "exactly once" can be checked.
struct Completion {
  int count = 0;
  std::optional<absl::StatusOr<backend::OcrResult>> result;
  backend::OcrCallback Callback() {
    return [this](absl::StatusOr<backend::OcrResult> r) {
      ++count;
      result = std::move(r);
    };
  }
  absl::Status status() const { return result->status(); }
};

class RetryingBackendTest : public ::testing::Test {
 protected:
  RetryingBackendTest() : scheduler_(&clock_) {}

  std::unique_ptr<backend::RetryingBackend> Make(backend::RetryPolicyOptions policy = {}) {
    backend::RetryingBackendOptions options;
    options.policy = policy;
    options.observer = &observer_;
    options.scheduler = &scheduler_;
    options.clock = &clock_;
    options.random = [this] { return random_; };
    return std::make_unique<backend::RetryingBackend>(&fake_, std::move(options));
  }

  backend::OcrRequest Request(absl::Duration timeout = absl::Seconds(30)) {
    backend::OcrRequest r;
    r.endpoint = backend::Endpoint::kReadWithQualities;
    r.image = absl::Cord("image-bytes");
    r.request_id = "req-1";
    r.deadline = clock_.Now() + timeout;
    return r;
  }

  FakeClock clock_;
  ManualScheduler scheduler_;
  FakeBackend fake_;
  RecordingObserver observer_;
  double random_ = 0.5;
};

TEST(ClassifyForRetryTest, IdempotentFailuresAreRetryable) {
  EXPECT_STREQ(backend::ClassifyForRetry(Transport(TransportFailure::kConnect)).cause, "connect");
  EXPECT_STREQ(backend::ClassifyForRetry(Transport(TransportFailure::kNetwork)).cause, "network");
  for (long status : {502, 503, 504}) {
    const backend::RetryClassification c = backend::ClassifyForRetry(Http(status));
    EXPECT_TRUE(c.retryable) << status;
    EXPECT_STREQ(c.cause, "http_5xx");
  }
  EXPECT_STREQ(backend::ClassifyForRetry(Http(429)).cause, "http_429");
}

TEST(ClassifyForRetryTest, EverythingElseIsFinal) {
  for (long status : {400, 401, 403, 404, 413, 415, 422, 500, 501, 505}) {
    EXPECT_FALSE(backend::ClassifyForRetry(Http(status)).retryable) << status;
  }
  for (TransportFailure f : {TransportFailure::kTimeout, TransportFailure::kTls,
                             TransportFailure::kResponseTooLarge, TransportFailure::kCancelled,
                             TransportFailure::kInternal}) {
    EXPECT_FALSE(backend::ClassifyForRetry(Transport(f)).retryable);
  }
  EXPECT_FALSE(backend::ClassifyForRetry(MakeError(absl::StatusCode::kUnavailable, "UPSTREAM_CIRCUIT_OPEN", "x"))
                   .retryable);
  EXPECT_FALSE(backend::ClassifyForRetry(absl::UnavailableError("no details")).retryable);
  EXPECT_FALSE(backend::ClassifyForRetry(absl::OkStatus()).retryable);
}

TEST(ClassifyForRetryTest, RetryAfterBecomesTheMinimumDelay) {
  EXPECT_EQ(backend::ClassifyForRetry(Http(429, "3")).min_delay, absl::Seconds(3));
  EXPECT_EQ(backend::ClassifyForRetry(Http(503, "1")).min_delay, absl::Seconds(1));
  EXPECT_EQ(backend::ClassifyForRetry(Http(429)).min_delay, absl::ZeroDuration());
}

TEST(FullJitterBackoffTest, GrowsExponentiallyUpToTheCap) {
  const absl::Duration base = absl::Milliseconds(100);
  const absl::Duration cap = absl::Seconds(1);
  EXPECT_EQ(backend::FullJitterBackoff(0, base, cap, 1.0), absl::Milliseconds(100));
  EXPECT_EQ(backend::FullJitterBackoff(1, base, cap, 1.0), absl::Milliseconds(200));
  EXPECT_EQ(backend::FullJitterBackoff(3, base, cap, 1.0), absl::Milliseconds(800));
  EXPECT_EQ(backend::FullJitterBackoff(4, base, cap, 1.0), cap);
  EXPECT_EQ(backend::FullJitterBackoff(1000, base, cap, 1.0), cap);
  EXPECT_EQ(backend::FullJitterBackoff(2, base, cap, 0.5), absl::Milliseconds(200));
  EXPECT_EQ(backend::FullJitterBackoff(2, base, cap, 0.0), absl::ZeroDuration());
}

TEST(RetryBudgetTest, AllowsTheRatioOfRecentRequests) {
  FakeClock clock;
  backend::RetryBudget budget(0.2, 0, absl::Seconds(10), &clock);
  EXPECT_FALSE(budget.TryWithdraw());
  for (int i = 0; i < 10; ++i) budget.RecordRequest();
  EXPECT_TRUE(budget.TryWithdraw());
  EXPECT_TRUE(budget.TryWithdraw());
  EXPECT_FALSE(budget.TryWithdraw());  // 2 of 10 spent
  EXPECT_EQ(budget.retries(), 2);
  // The window moves on: the old requests and retries expire together.
  clock.Advance(absl::Seconds(11));
  EXPECT_EQ(budget.requests(), 0);
  EXPECT_FALSE(budget.TryWithdraw());
}

TEST(RetryBudgetTest, MinimumPerSecondIsAReserve) {
  FakeClock clock;
  backend::RetryBudget budget(0, 0.5, absl::Seconds(10), &clock);  // 5 retries per 10 s, no ratio
  int allowed = 0;
  while (budget.TryWithdraw()) ++allowed;
  EXPECT_EQ(allowed, 5);
  clock.Advance(absl::Seconds(10));
  EXPECT_TRUE(budget.TryWithdraw());
}

TEST_F(RetryingBackendTest, SuccessNeedsOneAttempt) {
  auto backend = Make();
  Completion c;
  backend->Start(Request(), c.Callback());
  ASSERT_EQ(c.count, 1);
  ASSERT_TRUE(c.result->ok());
  EXPECT_EQ((*c.result)->attempts, 1);
  EXPECT_EQ((*c.result)->upstream_request_id, "up-1");
  EXPECT_EQ(scheduler_.pending(), 0u);
}

TEST_F(RetryingBackendTest, Retries503UntilSuccessAndReportsEachRetry) {
  auto backend = Make();
  fake_.script = {Http(503), Transport(TransportFailure::kConnect), Success()};
  Completion c;
  backend->Start(Request(), c.Callback());
  EXPECT_EQ(c.count, 0);
  ASSERT_EQ(scheduler_.pending(), 1u);
  scheduler_.RunNext();
  EXPECT_EQ(fake_.requests.size(), 2u);
  scheduler_.RunNext();
  ASSERT_EQ(c.count, 1);
  ASSERT_TRUE(c.result->ok());
  EXPECT_EQ((*c.result)->attempts, 3);
  // Every attempt carried the same image and id.
  ASSERT_EQ(fake_.requests.size(), 3u);
  for (const backend::OcrRequest& r : fake_.requests) {
    EXPECT_EQ(r.image, "image-bytes");
    EXPECT_EQ(r.request_id, "req-1");
  }
  EXPECT_THAT(observer_.retries,
              ::testing::ElementsAre(std::make_pair(backend::Endpoint::kReadWithQualities, "http_5xx"),
                                     std::make_pair(backend::Endpoint::kReadWithQualities, "connect")));
}

TEST_F(RetryingBackendTest, BackoffIsFullJitterExponential) {
  backend::RetryPolicyOptions policy;
  policy.max_attempts = 4;
  policy.initial_backoff = absl::Milliseconds(100);
  policy.max_backoff = absl::Milliseconds(300);
  auto backend = Make(policy);
  random_ = 0.5;
  fake_.script = {Http(502), Http(502), Http(502), Http(502)};
  Completion c;
  backend->Start(Request(), c.Callback());
  scheduler_.RunAll();
  // Uniform in [0, 100], [0, 200], [0, min(300, 400)] ms, at the midpoint.
  EXPECT_THAT(scheduler_.delays, ::testing::ElementsAre(absl::Milliseconds(50), absl::Milliseconds(100),
                                                        absl::Milliseconds(150)));
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(ErrorReason(c.status()), "UPSTREAM_UNAVAILABLE");
  EXPECT_EQ(Metadata(c.status(), "attempts"), "4");
  EXPECT_EQ(Metadata(c.status(), "httpStatus"), "502");
}

TEST_F(RetryingBackendTest, AttemptCapReturnsTheLastError) {
  auto backend = Make();  // 3 attempts
  fake_.script = {Http(503), Http(504), Transport(TransportFailure::kNetwork), Success()};
  Completion c;
  backend->Start(Request(), c.Callback());
  scheduler_.RunAll();
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(fake_.requests.size(), 3u);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReason(c.status()), "UPSTREAM_CONNECTION_FAILED");
  EXPECT_EQ(Metadata(c.status(), "attempts"), "3");
}

TEST_F(RetryingBackendTest, NonIdempotentFailuresAreNotRetried) {
  for (absl::Status error : {Http(500), Http(400), Http(401), Http(403), Http(415),
                             Transport(TransportFailure::kTimeout), Transport(TransportFailure::kTls),
                             Transport(TransportFailure::kResponseTooLarge)}) {
    fake_.requests.clear();
    auto backend = Make();
    fake_.script = {error, Success()};
    Completion c;
    backend->Start(Request(), c.Callback());
    EXPECT_EQ(scheduler_.pending(), 0u) << error;
    ASSERT_EQ(c.count, 1);
    EXPECT_EQ(c.status().code(), error.code());
    EXPECT_EQ(ErrorReason(c.status()), ErrorReason(error));
    EXPECT_EQ(Metadata(c.status(), "attempts"), "1");
    EXPECT_EQ(fake_.requests.size(), 1u);
  }
  EXPECT_TRUE(observer_.retries.empty());
}

TEST_F(RetryingBackendTest, RetryAfterIsTheMinimumWait) {
  auto backend = Make();
  random_ = 0.0;  // the jitter alone would retry at once
  fake_.script = {Http(429, "1"), Success()};
  Completion c;
  backend->Start(Request(), c.Callback());
  ASSERT_THAT(scheduler_.delays, ::testing::ElementsAre(absl::Seconds(1)));
  scheduler_.RunAll();
  ASSERT_TRUE(c.result->ok());
  EXPECT_EQ((*c.result)->attempts, 2);
  EXPECT_THAT(observer_.retries, ::testing::ElementsAre(std::make_pair(backend::Endpoint::kReadWithQualities, "http_429")));
}

TEST_F(RetryingBackendTest, RetryAfterBeyondTheBackoffCapGoesBackToTheCaller) {
  auto backend = Make();  // cap 2 s
  fake_.script = {Http(429, "30"), Success()};
  Completion c;
  backend->Start(Request(), c.Callback());
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReason(c.status()), "UPSTREAM_QUOTA_EXCEEDED");
  auto retry = GetRetryInfo(c.status());
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->retry_delay().seconds(), 30);
  EXPECT_EQ(Metadata(c.status(), "attempts"), "1");
}

TEST_F(RetryingBackendTest, NeverWaitsPastTheDeadline) {
  auto backend = Make();
  random_ = 0.99;  // ~99 ms wait + 100 ms minimum attempt time > 150 ms left
  fake_.script = {Http(503), Success()};
  Completion c;
  backend->Start(Request(absl::Milliseconds(150)), c.Callback());
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(scheduler_.pending(), 0u);
  EXPECT_EQ(ErrorReason(c.status()), "UPSTREAM_UNAVAILABLE");
  EXPECT_EQ(Metadata(c.status(), "attempts"), "1");
  // With the same wait and more time left it does retry.
  Completion c2;
  backend->Start(Request(absl::Milliseconds(250)), c2.Callback());
  scheduler_.RunAll();
  ASSERT_TRUE(c2.result->ok());
}

TEST_F(RetryingBackendTest, ExhaustedBudgetStopsRetrying) {
  backend::RetryPolicyOptions policy;
  policy.budget_ratio = 0.5;
  policy.budget_min_per_second = 0;
  auto backend = Make(policy);
  int retried = 0;
  for (int i = 0; i < 6; ++i) {
    fake_.requests.clear();
    fake_.script = {Http(503), Http(503), Http(503)};
    Completion c;
    backend->Start(Request(), c.Callback());
    scheduler_.RunAll();
    ASSERT_EQ(c.count, 1);
    retried += static_cast<int>(fake_.requests.size()) - 1;
    fake_.script.clear();
  }
  // Six calls deposit 6; half of that may be spent on retries.
  EXPECT_EQ(retried, 3);
  EXPECT_EQ(backend->budget().retries(), 3);
}

TEST_F(RetryingBackendTest, CancelDuringBackoffCompletesOnceWithCancelled) {
  auto backend = Make();
  fake_.script = {Http(503), Success()};
  Completion c;
  auto call = backend->Start(Request(), c.Callback());
  ASSERT_EQ(scheduler_.pending(), 1u);
  call->Cancel();
  call->Cancel();
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(ErrorReason(c.status()), "CANCELLED");
  EXPECT_EQ(scheduler_.pending(), 0u);  // the timer is gone
  EXPECT_EQ(fake_.requests.size(), 1u);
}

TEST_F(RetryingBackendTest, CancelRacingAFiringTimerStartsNoNewAttempt) {
  auto backend = Make();
  fake_.script = {Http(503), Success()};
  Completion c;
  auto call = backend->Start(Request(), c.Callback());
  scheduler_.refuse_cancel = true;  // the timer is "already running"
  call->Cancel();
  EXPECT_EQ(c.count, 0);
  scheduler_.RunAll();
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(fake_.requests.size(), 1u);
}

TEST_F(RetryingBackendTest, CancelDuringAnAttemptCancelsIt) {
  auto backend = Make();
  fake_.hold = true;
  Completion c;
  auto call = backend->Start(Request(), c.Callback());
  EXPECT_EQ(c.count, 0);
  call->Cancel();
  ASSERT_EQ(fake_.calls.size(), 1u);
  EXPECT_EQ(fake_.calls[0]->cancels, 1);
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(Metadata(c.status(), "attempts"), "1");
  EXPECT_EQ(scheduler_.pending(), 0u);
}

TEST_F(RetryingBackendTest, CancelAfterAnAttemptSucceededDoesNothing) {
  auto backend = Make();
  fake_.hold = true;
  Completion c;
  auto call = backend->Start(Request(), c.Callback());
  fake_.CompleteHeld(Success());
  call->Cancel();
  ASSERT_EQ(c.count, 1);
  EXPECT_TRUE(c.result->ok());
}

TEST_F(RetryingBackendTest, CancelDuringASecondAttemptCancelsThatAttempt) {
  auto backend = Make();
  fake_.hold = true;
  Completion c;
  auto call = backend->Start(Request(), c.Callback());
  fake_.CompleteHeld(Http(503));
  scheduler_.RunNext();  // second attempt, held
  ASSERT_EQ(fake_.calls.size(), 2u);
  call->Cancel();
  EXPECT_EQ(fake_.calls[0]->cancels, 0);
  EXPECT_EQ(fake_.calls[1]->cancels, 1);
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(Metadata(c.status(), "attempts"), "2");
}

TEST_F(RetryingBackendTest, TimerAfterShutdownCompletesWithoutTouchingTheInnerBackend) {
  auto backend = Make();
  fake_.script = {Http(503), Success()};
  Completion c;
  backend->Start(Request(), c.Callback());
  backend.reset();
  scheduler_.RunAll();
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(ErrorReason(c.status()), "GATEWAY_SHUTTING_DOWN");
  EXPECT_EQ(fake_.requests.size(), 1u);
}

TEST_F(RetryingBackendTest, SingleAttemptPolicyIsAPassThrough) {
  backend::RetryPolicyOptions policy;
  policy.max_attempts = 1;
  auto backend = Make(policy);
  fake_.script = {Http(503)};
  Completion c;
  backend->Start(Request(), c.Callback());
  ASSERT_EQ(c.count, 1);
  EXPECT_EQ(Metadata(c.status(), "attempts"), "1");
  EXPECT_EQ(scheduler_.pending(), 0u);
}

TEST(WithAttemptsTest, KeepsEveryOtherDetail) {
  absl::Status s = Http(429, "2");
  s = backend::WithAttempts(s, 3);
  EXPECT_EQ(Metadata(s, "attempts"), "3");
  EXPECT_EQ(Metadata(s, "httpStatus"), "429");
  EXPECT_TRUE(GetRetryInfo(s).has_value());
  EXPECT_TRUE(GetQuotaFailure(s).has_value());
  EXPECT_EQ(backend::WithAttempts(absl::InternalError("plain"), 2), absl::InternalError("plain"));
}

// The real TimerQueue, end to end: retries happen on its thread.
TEST(RetryingBackendTimerQueueTest, RetriesOnTheTimerThread) {
  TimerQueue timers;
  backend::TimerQueueScheduler scheduler(&timers);
  FakeBackend fake;
  fake.script = {Http(503), Http(502), Success()};
  backend::RetryingBackendOptions options;
  options.scheduler = &scheduler;
  options.policy.initial_backoff = absl::Milliseconds(1);
  backend::RetryingBackend backend(&fake, options);
  absl::Mutex mu;
  std::optional<absl::StatusOr<backend::OcrResult>> result;
  backend::OcrRequest request;
  request.deadline = absl::Now() + absl::Seconds(10);
  backend.Start(std::move(request), [&](absl::StatusOr<backend::OcrResult> r) {
    absl::MutexLock lock(&mu);
    result = std::move(r);
  });
  absl::MutexLock lock(&mu);
  ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(
                                      +[](std::optional<absl::StatusOr<backend::OcrResult>>* r) { return r->has_value(); },
                                      &result),
                                  absl::Seconds(5)));
  ASSERT_TRUE(result->ok());
  EXPECT_EQ((*result)->attempts, 3);
}

}  // namespace
}  // namespace ktp::upstream
