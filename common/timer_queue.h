// TimerQueue: one thread that runs callbacks at given times, so code that must
// "wait, then do X" (bounded rate-limit waits, backoff) never parks a thread per
// waiter. Tasks are kept in time order; each Schedule returns a handle that
// Cancel accepts.
#ifndef KTP_COMMON_TIMER_QUEUE_H_
#define KTP_COMMON_TIMER_QUEUE_H_

#include <cstdint>
#include <map>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ktp {

// Why a task runs (like grpc::Alarm's `ok`): its time came, or the queue is
// being destroyed and runs it early so the reply it owns is not lost.
enum class TimerOutcome { kFired, kShutDown };

class TimerQueue {
 public:
  // Identifies a scheduled task; never 0.
  using TaskId = uint64_t;
  using Task = absl::AnyInvocable<void(TimerOutcome) &&>;

  // Starts the timer thread.
  TimerQueue();
  // Stops the thread. Tasks still pending run at once, on the destroying
  // thread, with TimerOutcome::kShutDown: a task often owns a callback that
  // must run exactly once, so dropping it would lose a reply.
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Runs `task` on the timer thread at (or soon after) `when`, which is wall
  // time (absl::Now(), the base of gRPC deadlines). A time in the past runs it
  // as soon as possible. Tasks must be short and must not block: they share the
  // one thread. Tasks due at the same instant run in scheduling order.
  TaskId Schedule(absl::Time when, Task task);
  TaskId ScheduleAfter(absl::Duration delay, Task task);

  // Removes a task that has not started; it is destroyed without running.
  // Returns false when it already ran, is running, or never existed. Does not
  // wait for a running task.
  bool Cancel(TaskId id);

  // Tasks waiting to run.
  size_t pending() const;
  // Times the thread has woken from a sleep (its own deadline or a Schedule).
  uint64_t wakeups() const;

 private:
  using Key = std::pair<absl::Time, TaskId>;
  void Run();

  mutable absl::Mutex mu_;
  std::map<Key, Task> tasks_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<TaskId, absl::Time> when_by_id_ ABSL_GUARDED_BY(mu_);
  TaskId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Bumped by Schedule when the new task is due before the sleeping thread
  // wakes on its own (wake_at_), to wake it.
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  // When the sleeping thread wakes by itself; InfinitePast while it is awake
  // (it looks at the queue again before it sleeps). An empty queue sleeps a
  // second at most, so a task due later than that (an upload's idle check, one
  // per call) never costs a wake-up.
  absl::Time wake_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t wakeups_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace ktp

#endif  // KTP_COMMON_TIMER_QUEUE_H_
