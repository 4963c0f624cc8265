// ThreadSanitizer support for Debian's uninstrumented Abseil (tsan builds only,
// LD_PRELOADed by the "tsan" test preset). absl::Mutex, CondVar and
// Notification synchronize through futexes and atomics inside
// libabsl_synchronization.so, which TSan cannot see, so every access guarded by
// them would be reported as a race. This library interposes their entry points
// (calls from our code and from libgrpc alike), forwards to the real ones and
// tells TSan about the acquire/release each one implies. Built without
// -fsanitize=thread; the TSan hooks are resolved from the instrumented process.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

extern "C" {
void __tsan_acquire(void* addr) __attribute__((weak));
void __tsan_release(void* addr) __attribute__((weak));
}

namespace {

void Acquire(const void* addr) {
  if (__tsan_acquire != nullptr) __tsan_acquire(const_cast<void*>(addr));
}
void Release(const void* addr) {
  if (__tsan_release != nullptr) __tsan_release(const_cast<void*>(addr));
}

// The next definition of `mangled` (the real one in libabsl_synchronization).
template <typename Fn>
Fn Real(const char* mangled) {
  void* sym = dlsym(RTLD_NEXT, mangled);
  if (sym == nullptr) {
    std::fprintf(stderr, "tsan_absl_shim: %s not found\n", mangled);
    std::abort();
  }
  return reinterpret_cast<Fn>(sym);
}

// HasBeenNotified() is inline: it reads Notification's atomic flag, which
// follows the Mutex member. Releasing on that address lets TSan pair it.
const void* NotifiedFlag(const absl::Notification* n) {
  return reinterpret_cast<const char*>(n) + sizeof(absl::Mutex);
}
static_assert(sizeof(absl::Notification) == sizeof(absl::Mutex) + sizeof(void*),
              "absl::Notification layout changed; update NotifiedFlag");

// A Condition is evaluated inside the real call by whichever thread holds the
// mutex at that moment (the waiter, or an unlocking thread), which may then
// release the mutex inside the library: the evaluation acquires and releases.
struct Guarded {
  const absl::Condition* cond;
  absl::Mutex* mu;
};
bool EvalGuarded(Guarded* g) {
  Acquire(g->mu);
  const bool met = g->cond->Eval();
  Release(g->mu);
  return met;
}

}  // namespace

#define KTP_FORWARD(Ret, mangled, ...) \
  static const auto real = Real<Ret (*)(__VA_ARGS__)>(mangled)

namespace absl {
inline namespace debian3 {

void Mutex::Lock() {
  KTP_FORWARD(void, "_ZN4absl7debian35Mutex4LockEv", Mutex*);
  real(this);
  Acquire(this);
}
void Mutex::ReaderLock() {
  KTP_FORWARD(void, "_ZN4absl7debian35Mutex10ReaderLockEv", Mutex*);
  real(this);
  Acquire(this);
}
bool Mutex::TryLock() {
  KTP_FORWARD(bool, "_ZN4absl7debian35Mutex7TryLockEv", Mutex*);
  const bool locked = real(this);
  if (locked) Acquire(this);
  return locked;
}
bool Mutex::ReaderTryLock() {
  KTP_FORWARD(bool, "_ZN4absl7debian35Mutex13ReaderTryLockEv", Mutex*);
  const bool locked = real(this);
  if (locked) Acquire(this);
  return locked;
}
void Mutex::Unlock() {
  KTP_FORWARD(void, "_ZN4absl7debian35Mutex6UnlockEv", Mutex*);
  Release(this);
  real(this);
}
void Mutex::ReaderUnlock() {
  KTP_FORWARD(void, "_ZN4absl7debian35Mutex12ReaderUnlockEv", Mutex*);
  Release(this);
  real(this);
}
void Mutex::LockWhen(const Condition& cond) {
  KTP_FORWARD(void, "_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE", Mutex*, const Condition&);
  Guarded g{&cond, this};
  const Condition wrapped(&EvalGuarded, &g);
  real(this, wrapped);
  Acquire(this);
}
bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  KTP_FORWARD(bool, "_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE", Mutex*,
              const Condition&, Duration);
  Guarded g{&cond, this};
  const Condition wrapped(&EvalGuarded, &g);
  const bool met = real(this, wrapped, timeout);
  Acquire(this);
  return met;
}
bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  KTP_FORWARD(bool, "_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE", Mutex*,
              const Condition&, Time);
  Guarded g{&cond, this};
  const Condition wrapped(&EvalGuarded, &g);
  const bool met = real(this, wrapped, deadline);
  Acquire(this);
  return met;
}
void Mutex::Await(const Condition& cond) {
  KTP_FORWARD(void, "_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE", Mutex*, const Condition&);
  Guarded g{&cond, this};
  const Condition wrapped(&EvalGuarded, &g);
  Release(this);
  real(this, wrapped);
  Acquire(this);
}
bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  KTP_FORWARD(bool, "_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE", Mutex*,
              const Condition&, Duration);
  Guarded g{&cond, this};
  const Condition wrapped(&EvalGuarded, &g);
  Release(this);
  const bool met = real(this, wrapped, timeout);
  Acquire(this);
  return met;
}
bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  KTP_FORWARD(bool, "_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE", Mutex*,
              const Condition&, Time);
  Guarded g{&cond, this};
  const Condition wrapped(&EvalGuarded, &g);
  Release(this);
  const bool met = real(this, wrapped, deadline);
  Acquire(this);
  return met;
}

void CondVar::Wait(Mutex* mu) {
  KTP_FORWARD(void, "_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE", CondVar*, Mutex*);
  Release(mu);
  real(this, mu);
  Acquire(mu);
}
bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  KTP_FORWARD(bool, "_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE", CondVar*, Mutex*,
              Duration);
  Release(mu);
  const bool timed_out = real(this, mu, timeout);
  Acquire(mu);
  return timed_out;
}
bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  KTP_FORWARD(bool, "_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE", CondVar*, Mutex*,
              Time);
  Release(mu);
  const bool timed_out = real(this, mu, deadline);
  Acquire(mu);
  return timed_out;
}

void Notification::Notify() {
  KTP_FORWARD(void, "_ZN4absl7debian312Notification6NotifyEv", Notification*);
  Release(this);
  Release(NotifiedFlag(this));
  real(this);
}
void Notification::WaitForNotification() const {
  KTP_FORWARD(void, "_ZNK4absl7debian312Notification19WaitForNotificationEv", const Notification*);
  real(this);
  Acquire(this);
}
bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  KTP_FORWARD(bool, "_ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE",
              const Notification*, Duration);
  const bool notified = real(this, timeout);
  if (notified) Acquire(this);
  return notified;
}
bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  KTP_FORWARD(bool, "_ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_4TimeE",
              const Notification*, Time);
  const bool notified = real(this, deadline);
  if (notified) Acquire(this);
  return notified;
}

}  // namespace debian3
}  // namespace absl
