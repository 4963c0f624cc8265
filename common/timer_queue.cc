// The timer thread: sleeps until the earliest task is due (or an earlier one is
// scheduled), runs due tasks outside the lock, repeats.
#include "common/timer_queue.h"

#include <vector>

#include "absl/time/clock.h"

namespace ktp {

TimerQueue::TimerQueue() : thread_([this] { Run(); }) {}

TimerQueue::~TimerQueue() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
  // Run whatever is left, in time order, outside the lock (a task may Schedule;
  // such late tasks are picked up by the loop too).
  for (;;) {
    Task task;
    {
      absl::MutexLock lock(&mu_);
      if (tasks_.empty()) break;
      auto it = tasks_.begin();
      when_by_id_.erase(it->first.second);
      task = std::move(it->second);
      tasks_.erase(it);
    }
    std::move(task)(TimerOutcome::kShutDown);
  }
}

TimerQueue::TaskId TimerQueue::Schedule(absl::Time when, Task task) {
  absl::MutexLock lock(&mu_);
  const TaskId id = next_id_++;
  if (when < wake_at_) ++generation_;
  tasks_.emplace(Key{when, id}, std::move(task));
  when_by_id_.emplace(id, when);
  return id;
}

TimerQueue::TaskId TimerQueue::ScheduleAfter(absl::Duration delay, Task task) {
  return Schedule(absl::Now() + delay, std::move(task));
}

bool TimerQueue::Cancel(TaskId id) {
  Task doomed;  // destroyed after the lock is released: it may own anything
  absl::MutexLock lock(&mu_);
  auto it = when_by_id_.find(id);
  if (it == when_by_id_.end()) return false;
  auto task_it = tasks_.find(Key{it->second, id});
  doomed = std::move(task_it->second);
  tasks_.erase(task_it);
  when_by_id_.erase(it);
  return true;
}

size_t TimerQueue::pending() const {
  absl::MutexLock lock(&mu_);
  return tasks_.size();
}

uint64_t TimerQueue::wakeups() const {
  absl::MutexLock lock(&mu_);
  return wakeups_;
}

void TimerQueue::Run() {
  // The longest sleep on an empty queue; see wake_at_.
  constexpr absl::Duration kIdleTick = absl::Seconds(1);
  mu_.Lock();
  while (!stopping_) {
    const absl::Time now = absl::Now();
    const absl::Time due = tasks_.empty() ? now + kIdleTick : tasks_.begin()->first.first;
    if (due > now) {
      const uint64_t gen = generation_;
      auto woken = [this, gen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || generation_ != gen;
      };
      wake_at_ = due;
      mu_.AwaitWithTimeout(absl::Condition(&woken), due - now);
      wake_at_ = absl::InfinitePast();
      ++wakeups_;
      continue;
    }
    // Take every task that is due, then run them without holding the lock.
    std::vector<Task> batch;
    while (!tasks_.empty() && tasks_.begin()->first.first <= now) {
      auto it = tasks_.begin();
      when_by_id_.erase(it->first.second);
      batch.push_back(std::move(it->second));
      tasks_.erase(it);
    }
    mu_.Unlock();
    for (auto& task : batch) std::move(task)(TimerOutcome::kFired);
    batch.clear();
    mu_.Lock();
  }
  mu_.Unlock();
}

}  // namespace ktp
