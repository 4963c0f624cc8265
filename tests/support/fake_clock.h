// A manually advanced Clock for tests: time moves only when the test says so.
#ifndef KTP_TESTS_SUPPORT_FAKE_CLOCK_H_
#define KTP_TESTS_SUPPORT_FAKE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace ktp::testing {

// Thread-safe; starts at an arbitrary fixed instant unless told otherwise.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1700000000)) : now_(start) {}

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ktp::testing

#endif  // KTP_TESTS_SUPPORT_FAKE_CLOCK_H_
