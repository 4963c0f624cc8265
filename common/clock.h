// Time as an injectable dependency: the Clock interface, RealClock (wall time,
// comparable with gRPC deadlines) and SteadyClock (monotonic, for measuring
// intervals such as rate-limit buckets). Tests use tests/support/fake_clock.h.
#ifndef KTP_COMMON_CLOCK_H_
#define KTP_COMMON_CLOCK_H_

#include <chrono>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ktp {

// A source of time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// Wall-clock time (absl::Now()). Use it where times are compared with
// deadlines or shown to people; it can jump when the system clock is set.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  // A process-wide instance (never destroyed).
  static const RealClock* Default() {
    static const RealClock* const clock = new RealClock();
    return clock;
  }
};

// Monotonic time (std::chrono::steady_clock) expressed as an absl::Time whose
// epoch is arbitrary: only differences between its values are meaningful. Use
// it for intervals (rate limits, backoff) so wall-clock jumps cannot stall them.
class SteadyClock final : public Clock {
 public:
  absl::Time Now() const override {
    return absl::UnixEpoch() +
           absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
  }
  static const SteadyClock* Default() {
    static const SteadyClock* const clock = new SteadyClock();
    return clock;
  }
};

}  // namespace ktp

#endif  // KTP_COMMON_CLOCK_H_
