// Tests of upstream/curl_client's threading contract, against the fake upstream
// over real HTTP on loopback:
// - callbacks run on the client's completion threads, never on the event thread
//   that drives the transfers, and each runs exactly once (answers, cancels,
//   shutdown alike);
// - a completion that takes long (a slow mapping or callback) does not hold up
//   other calls;
// - Shutdown racing Start from several threads: every started call completes
//   exactly once, those that lose the race with GATEWAY_SHUTTING_DOWN.
#include "upstream/curl_client.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/cord.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/error_details.h"
#include "common/error_reasons.h"
#include "gtest/gtest.h"
#include "tests/support/fake_upstream.h"
#include "upstream/credentials.h"

namespace ktp::upstream {
namespace {

using ::ktp::testing::FakePhotoJpeg;
using ::ktp::testing::FakeUpstream;
using ::ktp::testing::ScriptedResponse;

std::shared_ptr<const CredentialSource> TestCredentials() {
  // FakeUpstream::Options' defaults.
  return std::make_shared<StaticCredentialSource>(
      std::make_shared<Credentials>("test-user", "test-pass", "test-api-key"));
}

// Credential lookups that take a while, as a vault behind a lock can: Start
// looks credentials up after its "shutting down?" check and before it hands the
// call to the event thread, so this widens the window a Shutdown can fall into.
class SlowCredentials final : public CredentialSource {
 public:
  explicit SlowCredentials(absl::Duration max_delay) : max_delay_(max_delay) {}
  absl::StatusOr<std::shared_ptr<const Credentials>> Current(absl::string_view) const override {
    thread_local std::minstd_rand rng(std::random_device{}());
    absl::SleepFor(max_delay_ * std::uniform_real_distribution<double>(0, 1)(rng));
    return credentials_;
  }

 private:
  const absl::Duration max_delay_;
  const std::shared_ptr<const Credentials> credentials_ =
      std::make_shared<Credentials>("test-user", "test-pass", "test-api-key");
};

// Blocks the first lookup until released, so a test can run Shutdown while a
// Start is between its "shutting down?" check and its hand-off.
class GatedCredentials final : public CredentialSource {
 public:
  absl::StatusOr<std::shared_ptr<const Credentials>> Current(absl::string_view) const override {
    entered.Notify();
    release.WaitForNotification();
    return credentials_;
  }
  mutable absl::Notification entered, release;

 private:
  const std::shared_ptr<const Credentials> credentials_ =
      std::make_shared<Credentials>("test-user", "test-pass", "test-api-key");
};

std::unique_ptr<CurlOcrBackend> MakeClient(const std::string& base_url, int completion_threads,
                                           std::shared_ptr<const CredentialSource> credentials = nullptr) {
  CurlClientOptions options;
  options.base_url = base_url;
  options.credentials = credentials != nullptr ? std::move(credentials) : TestCredentials();
  options.completion_threads = completion_threads;
  auto client = CurlOcrBackend::Create(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

backend::OcrRequest Request(absl::Duration timeout = absl::Seconds(20)) {
  backend::OcrRequest request;
  request.image = absl::Cord(FakePhotoJpeg());
  request.file_name = "card.jpg";
  request.mime_type = "image/jpeg";
  request.request_id = "curl-client-test";
  request.deadline = absl::Now() + timeout;
  return request;
}

// Records every completion: how often each call's callback ran, on which
// thread, with which outcome.
class Completions {
 public:
  explicit Completions(std::thread::id event_thread) : event_thread_(event_thread) {}

  // A callback for call number `index` (calls are numbered by the test).
  backend::OcrCallback Callback(int index) {
    return [this, index](absl::StatusOr<backend::OcrResult> result) {
      absl::MutexLock lock(&mu_);
      if (static_cast<size_t>(index) >= runs_.size()) runs_.resize(index + 1, 0);
      ++runs_[index];
      ++total_;
      if (std::this_thread::get_id() == event_thread_) ++on_event_thread_;
      if (result.ok()) {
        ++ok_;
      } else if (ErrorReason(result.status()) == reasons::kGatewayShuttingDown) {
        EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
        ++shutting_down_;
      }
    };
  }

  bool WaitForTotal(int n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return total_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }

  // Each of calls 0..n-1 completed exactly once; the others never.
  void ExpectEachRanOnce(int n) {
    absl::MutexLock lock(&mu_);
    EXPECT_EQ(total_, n);
    int missing = 0, repeated = 0;
    for (int i = 0; i < n; ++i) {
      const int runs = static_cast<size_t>(i) < runs_.size() ? runs_[i] : 0;
      missing += runs == 0;
      repeated += runs > 1;
    }
    EXPECT_EQ(missing, 0) << "calls whose callback never ran";
    EXPECT_EQ(repeated, 0) << "calls whose callback ran more than once";
  }

  int total() {
    absl::MutexLock lock(&mu_);
    return total_;
  }
  int ok() {
    absl::MutexLock lock(&mu_);
    return ok_;
  }
  int shutting_down() {
    absl::MutexLock lock(&mu_);
    return shutting_down_;
  }
  int on_event_thread() {
    absl::MutexLock lock(&mu_);
    return on_event_thread_;
  }

 private:
  const std::thread::id event_thread_;
  absl::Mutex mu_;
  std::vector<int> runs_ ABSL_GUARDED_BY(mu_);
  int total_ ABSL_GUARDED_BY(mu_) = 0;
  int ok_ ABSL_GUARDED_BY(mu_) = 0;
  int shutting_down_ ABSL_GUARDED_BY(mu_) = 0;
  int on_event_thread_ ABSL_GUARDED_BY(mu_) = 0;
};

bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

TEST(CurlClientOptionsTest, CompletionThreadsDefaultToOnePerCore) {
  FakeUpstream fake;
  ASSERT_TRUE(fake.Start().ok());
  auto client = MakeClient(fake.base_url(), 0);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->completion_threads(),
            std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
  auto three = MakeClient(fake.base_url(), 3);
  ASSERT_NE(three, nullptr);
  EXPECT_EQ(three->completion_threads(), 3);

  CurlClientOptions negative;
  negative.base_url = fake.base_url();
  negative.credentials = TestCredentials();
  negative.completion_threads = -1;
  EXPECT_EQ(CurlOcrBackend::Create(std::move(negative)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The event thread only drives transfers: answers, cancellations and shutdown
// all complete on completion threads, each call exactly once.
TEST(CurlClientThreadingTest, CallbacksNeverRunOnTheEventThread) {
  FakeUpstream fake;
  ASSERT_TRUE(fake.Start().ok());
  auto client = MakeClient(fake.base_url(), 2);
  ASSERT_NE(client, nullptr);
  const std::thread::id event_thread = client->event_thread_id();
  ASSERT_NE(event_thread, std::thread::id());
  ASSERT_NE(event_thread, std::this_thread::get_id());
  Completions completions(event_thread);

  // Answers (the fake's SUCCESS), mapped JSON and decoded images included.
  // Fewer than the fake's 16 threads: more would wait for a kept-alive one.
  int n = 0;
  for (; n < 10; ++n) client->Start(Request(), completions.Callback(n));
  ASSERT_TRUE(completions.WaitForTotal(n, absl::Seconds(20)));
  EXPECT_EQ(completions.ok(), 10);

  // Cancelled at once, whether the loop has begun them or not.
  for (int i = 0; i < 20; ++i, ++n) client->Start(Request(), completions.Callback(n))->Cancel();
  ASSERT_TRUE(completions.WaitForTotal(n, absl::Seconds(20)));

  // In flight at shutdown: the upstream holds them.
  const size_t before = fake.request_count();
  for (int i = 0; i < 5; ++i) {
    ScriptedResponse slow;
    slow.delay = std::chrono::milliseconds(1500);
    fake.Enqueue(slow);
  }
  for (int i = 0; i < 5; ++i, ++n) client->Start(Request(), completions.Callback(n));
  ASSERT_TRUE(WaitUntil([&] { return fake.request_count() >= before + 5; }, absl::Seconds(10)));
  client->Shutdown();
  // Shutdown returns once every callback has run.
  completions.ExpectEachRanOnce(n);
  EXPECT_EQ(completions.shutting_down(), 5);
  EXPECT_EQ(completions.on_event_thread(), 0) << "callbacks ran on the event thread";
  EXPECT_EQ(client->in_flight(), 0);
  client.reset();
}

// One completion that takes long (here a callback that waits) must not hold up
// another call: neither its transfer nor its completion.
TEST(CurlClientThreadingTest, ASlowCompletionDoesNotDelayOtherCalls) {
  FakeUpstream fake;
  ASSERT_TRUE(fake.Start().ok());
  auto client = MakeClient(fake.base_url(), 2);
  ASSERT_NE(client, nullptr);

  absl::Notification first_entered, release_first, second_done;
  client->Start(Request(), [&](absl::StatusOr<backend::OcrResult> result) {
    EXPECT_TRUE(result.ok()) << result.status();
    first_entered.Notify();
    release_first.WaitForNotificationWithTimeout(absl::Seconds(30));
  });
  ASSERT_TRUE(first_entered.WaitForNotificationWithTimeout(absl::Seconds(10)));

  const absl::Time start = absl::Now();
  client->Start(Request(), [&](absl::StatusOr<backend::OcrResult> result) {
    EXPECT_TRUE(result.ok()) << result.status();
    second_done.Notify();
  });
  EXPECT_TRUE(second_done.WaitForNotificationWithTimeout(absl::Seconds(10)))
      << "the second call waited for the first one's completion";
  std::printf("second call completed in %s while the first completion was busy\n",
              absl::FormatDuration(absl::Now() - start).c_str());
  release_first.Notify();
  client.reset();
}

// A large answer (megabytes of base64 image) is handed over and mapped off the
// event thread intact, while another call goes through beside it.
TEST(CurlClientThreadingTest, LargeAnswerMapsIntact) {
  FakeUpstream fake;
  ASSERT_TRUE(fake.Start().ok());
  auto client = MakeClient(fake.base_url(), 2);
  ASSERT_NE(client, nullptr);

  const std::string photo(6 << 20, 'A');  // base64 "AAAA…" decodes to zero bytes
  ScriptedResponse large;
  large.body = std::string(R"({"status":"SUCCESS","reason":"File Successfully Read","read":{},)") +
               R"("images":{"photo":")" + photo + R"(","sign":""}})";
  fake.Enqueue(large);

  absl::Notification large_done, small_done;
  client->Start(Request(), [&](absl::StatusOr<backend::OcrResult> result) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->images.photo().size(), photo.size() / 4 * 3);
    EXPECT_EQ(result->images.photo().find_first_not_of('\0'), std::string::npos);
    large_done.Notify();
  });
  ASSERT_TRUE(WaitUntil([&] { return fake.request_count() >= 1; }, absl::Seconds(10)));
  client->Start(Request(), [&](absl::StatusOr<backend::OcrResult> result) {
    EXPECT_TRUE(result.ok()) << result.status();
    small_done.Notify();
  });
  EXPECT_TRUE(large_done.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_TRUE(small_done.WaitForNotificationWithTimeout(absl::Seconds(20)));
}

TEST(CurlClientShutdownTest, StartAfterShutdownCompletesInline) {
  FakeUpstream fake;
  ASSERT_TRUE(fake.Start().ok());
  auto client = MakeClient(fake.base_url(), 1);
  ASSERT_NE(client, nullptr);
  client->Shutdown();
  client->Shutdown();  // idempotent
  bool ran = false;
  std::shared_ptr<backend::OcrCall> call =
      client->Start(Request(), [&](absl::StatusOr<backend::OcrResult> result) {
        ran = true;
        EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
        EXPECT_EQ(ErrorReason(result.status()), reasons::kGatewayShuttingDown);
      });
  EXPECT_TRUE(ran) << "the callback did not run before Start returned";
  call->Cancel();  // nothing left to cancel; harmless
  EXPECT_EQ(client->in_flight(), 0);
  EXPECT_EQ(fake.request_count(), 0u);
}

// The window itself, made deterministic: a Start has passed the "shutting
// down?" check, then the whole Shutdown runs (and finds nothing in flight)
// before that Start hands its call over. The call must still complete, once.
TEST(CurlClientShutdownTest, StartPastTheShutdownCheckStillCompletes) {
  FakeUpstream fake;
  ASSERT_TRUE(fake.Start().ok());
  auto gate = std::make_shared<GatedCredentials>();
  auto client = MakeClient(fake.base_url(), 1, gate);
  ASSERT_NE(client, nullptr);
  Completions completions(client->event_thread_id());

  std::thread starter([&] { client->Start(Request(), completions.Callback(0)); });
  ASSERT_TRUE(gate->entered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  client->Shutdown();
  gate->release.Notify();
  starter.join();
  EXPECT_TRUE(completions.WaitForTotal(1, absl::Seconds(2))) << "the call never completed";
  completions.ExpectEachRanOnce(1);
  EXPECT_EQ(completions.shutting_down(), 1);
  EXPECT_EQ(client->in_flight(), 0);
  client.reset();
}

// Several threads keep starting (and sometimes cancelling) calls while the
// client shuts down and is destroyed. A Start that passed the "stopping?" check
// just before Shutdown must still complete: every Start gets exactly one
// callback, whichever side of the shutdown it fell on.
TEST(CurlClientShutdownTest, EveryStartCompletesOnceWhenShutdownRacesStart) {
  FakeUpstream::Options fake_options;
  fake_options.default_delay = std::chrono::milliseconds(20);
  FakeUpstream fake(fake_options);
  ASSERT_TRUE(fake.Start().ok());

  constexpr int kRounds = 40;
  constexpr int kThreads = 6;
  int total_started = 0, total_late = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(round);
    // Odd rounds: credential lookups that take up to 1 ms, so that Starts are
    // often caught between their shutdown check and their hand-off.
    auto client = MakeClient(fake.base_url(), 2,
                             round % 2 == 1 ? std::make_shared<SlowCredentials>(absl::Milliseconds(1))
                                            : nullptr);
    ASSERT_NE(client, nullptr);
    Completions completions(client->event_thread_id());
    std::atomic<int> next_index{0};
    std::atomic<bool> shut_down{false}, stop{false};
    std::atomic<int> late_starts{0};

    std::vector<std::thread> hammers;
    for (int t = 0; t < kThreads; ++t) {
      hammers.emplace_back([&, t] {
        int i = 0;
        while (!stop.load(std::memory_order_acquire)) {
          const bool after = shut_down.load(std::memory_order_acquire);
          const int index = next_index.fetch_add(1);
          std::shared_ptr<backend::OcrCall> call =
              client->Start(Request(absl::Seconds(5)), completions.Callback(index));
          if (after) late_starts.fetch_add(1);
          if ((i++ + t) % 3 == 0) call->Cancel();
          // Keep the upstream's queue short: the race is at the client.
          if (i % 8 == 0) std::this_thread::yield();
        }
      });
    }
    // Let calls pile up in every state (queued, connecting, waiting for the
    // answer), then shut down in the middle of the stream of Starts.
    absl::SleepFor(absl::Microseconds(500 + 397 * (round % 11)));
    client->Shutdown();
    shut_down.store(true, std::memory_order_release);
    absl::SleepFor(absl::Milliseconds(2));  // Starts after Shutdown too
    stop.store(true, std::memory_order_release);
    for (std::thread& hammer : hammers) hammer.join();
    client.reset();

    // Shutdown waited for every call it owned; later Starts completed inline.
    const int started = next_index.load();
    completions.ExpectEachRanOnce(started);
    EXPECT_EQ(completions.on_event_thread(), 0);
    EXPECT_GE(completions.shutting_down(), late_starts.load());
    total_started += started;
    total_late += late_starts.load();
    if (::testing::Test::HasFailure()) break;
  }
  std::printf("%d calls started over %d rounds, %d of them after Shutdown\n", total_started,
              kRounds, total_late);
}

}  // namespace
}  // namespace ktp::upstream
