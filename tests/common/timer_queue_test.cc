// TimerQueue: time order, no early runs, cancellation, wake-up for an earlier
// task (and none for a later one), tasks scheduling tasks, concurrent
// scheduling, and shutdown running what is left (exactly once).
#include "common/timer_queue.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace ktp {
namespace {

TEST(TimerQueueTest, RunsInTimeOrderAndNotEarly) {
  TimerQueue timers;
  absl::Mutex mu;
  std::vector<int> order;
  std::vector<absl::Duration> lateness;
  absl::Notification done;
  const absl::Time start = absl::Now();
  for (int ms : {30, 10, 20}) {
    const absl::Time due = start + absl::Milliseconds(ms);
    timers.Schedule(due, [&, ms, due](TimerOutcome) {
      absl::MutexLock lock(&mu);
      order.push_back(ms);
      lateness.push_back(absl::Now() - due);
      if (order.size() == 3) done.Notify();
    });
  }
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(order, (std::vector<int>{10, 20, 30}));
  for (absl::Duration late : lateness) EXPECT_GE(late, absl::ZeroDuration());
}

TEST(TimerQueueTest, SameInstantRunsInSchedulingOrder) {
  TimerQueue timers;
  absl::Mutex mu;
  std::vector<int> order;
  absl::Notification done;
  const absl::Time due = absl::Now() + absl::Milliseconds(5);
  for (int i = 0; i < 5; ++i) {
    timers.Schedule(due, [&, i](TimerOutcome) {
      absl::MutexLock lock(&mu);
      order.push_back(i);
      if (order.size() == 5) done.Notify();
    });
  }
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(TimerQueueTest, PastTimeRunsPromptly) {
  TimerQueue timers;
  absl::Notification ran;
  timers.Schedule(absl::Now() - absl::Seconds(10), [&](TimerOutcome) { ran.Notify(); });
  EXPECT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(1)));
}

TEST(TimerQueueTest, CancelledTaskNeverRunsAndIsDestroyed) {
  std::atomic<bool> ran{false};
  auto owned = std::make_shared<int>(7);
  std::weak_ptr<int> watch = owned;
  {
    TimerQueue timers;
    const TimerQueue::TaskId id = timers.ScheduleAfter(
        absl::Milliseconds(50), [&ran, owned = std::move(owned)](TimerOutcome) { ran = true; });
    EXPECT_NE(id, 0u);
    EXPECT_EQ(timers.pending(), 1u);
    EXPECT_TRUE(timers.Cancel(id));
    EXPECT_FALSE(timers.Cancel(id));  // only once
    EXPECT_EQ(timers.pending(), 0u);
    EXPECT_TRUE(watch.expired());  // captured state released at cancel time
    absl::SleepFor(absl::Milliseconds(80));
  }
  EXPECT_FALSE(ran);
}

TEST(TimerQueueTest, CancelAfterRunReturnsFalse) {
  TimerQueue timers;
  absl::Notification ran;
  const TimerQueue::TaskId id = timers.ScheduleAfter(absl::ZeroDuration(), [&](TimerOutcome) { ran.Notify(); });
  ASSERT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(1)));
  EXPECT_FALSE(timers.Cancel(id));
  EXPECT_FALSE(timers.Cancel(12345));  // never existed
}

TEST(TimerQueueTest, EarlierTaskWakesASleepingQueue) {
  TimerQueue timers;
  timers.ScheduleAfter(absl::Hours(1), [](TimerOutcome) {});
  absl::Notification ran;
  const absl::Time start = absl::Now();
  timers.ScheduleAfter(absl::Milliseconds(10), [&](TimerOutcome) { ran.Notify(); });
  ASSERT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(2)));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
}

// Every upload schedules an idle check seconds ahead: that must not wake the
// timer thread each time (a thread hand-off per call on the serving path).
TEST(TimerQueueTest, TaskDueAfterTheNextWakeDoesNotWakeTheQueue) {
  TimerQueue timers;
  absl::SleepFor(absl::Milliseconds(50));  // the thread is asleep on the empty queue
  const uint64_t before = timers.wakeups();
  // Like calls that each arm an idle check and finish before it is due.
  for (int i = 0; i < 20; ++i) {
    const TimerQueue::TaskId id = timers.ScheduleAfter(absl::Seconds(30), [](TimerOutcome) {});
    absl::SleepFor(absl::Milliseconds(2));
    ASSERT_TRUE(timers.Cancel(id));
  }
  // At most the queue's own idle tick may have come in between.
  EXPECT_LE(timers.wakeups() - before, 1u);
  // An earlier task still wakes it at once.
  absl::Notification ran;
  const absl::Time start = absl::Now();
  timers.ScheduleAfter(absl::Milliseconds(10), [&](TimerOutcome) { ran.Notify(); });
  ASSERT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(2)));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  EXPECT_GE(timers.wakeups() - before, 1u);
}

TEST(TimerQueueTest, TaskMayScheduleAnother) {
  TimerQueue timers;
  absl::Notification second;
  timers.ScheduleAfter(absl::Milliseconds(1), [&](TimerOutcome) {
    timers.ScheduleAfter(absl::Milliseconds(1), [&](TimerOutcome) { second.Notify(); });
  });
  EXPECT_TRUE(second.WaitForNotificationWithTimeout(absl::Seconds(2)));
}

TEST(TimerQueueTest, ConcurrentSchedulingRunsEveryTaskOnce) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  std::atomic<int> runs{0};
  {
    TimerQueue timers;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          timers.ScheduleAfter(absl::Microseconds((i * 37 + t * 11) % 5000), [&](TimerOutcome) { ++runs; });
        }
      });
    }
    for (auto& th : threads) th.join();
    const absl::Time end = absl::Now() + absl::Seconds(5);
    while (runs.load() < kThreads * kPerThread && absl::Now() < end) {
      absl::SleepFor(absl::Milliseconds(2));
    }
  }
  EXPECT_EQ(runs.load(), kThreads * kPerThread);
}

TEST(TimerQueueTest, DestructionRunsPendingTasksEarlyExactlyOnceAndSaysSo) {
  std::atomic<int> runs{0};
  std::atomic<int> shut_down{0};
  absl::Time ran_at;
  const absl::Time start = absl::Now();
  {
    TimerQueue timers;
    timers.ScheduleAfter(absl::Hours(1), [&](TimerOutcome outcome) {
      ++runs;
      shut_down += outcome == TimerOutcome::kShutDown;
      ran_at = absl::Now();
    });
    timers.ScheduleAfter(absl::Hours(2), [&](TimerOutcome outcome) {
      ++runs;
      shut_down += outcome == TimerOutcome::kShutDown;
    });
  }
  EXPECT_EQ(runs.load(), 2);
  EXPECT_EQ(shut_down.load(), 2);  // no task has to guess from the clock
  EXPECT_LT(ran_at - start, absl::Seconds(5));
}

TEST(TimerQueueTest, TasksThatComeDueSayFired) {
  TimerQueue timers;
  absl::Notification ran;
  std::atomic<bool> fired{false};
  timers.ScheduleAfter(absl::Milliseconds(1), [&](TimerOutcome outcome) {
    fired = outcome == TimerOutcome::kFired;
    ran.Notify();
  });
  ASSERT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_TRUE(fired.load());
}

}  // namespace
}  // namespace ktp
