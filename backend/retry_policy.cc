// Retry classification, full-jitter backoff and the rolling retry budget.
#include "backend/retry_policy.h"

#include "backend/failure_class.h"

#include <algorithm>
#include <cmath>

#include "common/error_details.h"

namespace ktp::backend {

RetryClassification ClassifyForRetry(const absl::Status& status) {
  const FailureClass failure = ClassifyFailure(status);
  RetryClassification c;
  c.retryable = failure.retryable;
  c.cause = failure.cause;
  c.min_delay = failure.min_delay;
  return c;
}

absl::Duration FullJitterBackoff(int retry_index, absl::Duration initial, absl::Duration cap,
                                 double uniform01) {
  if (initial <= absl::ZeroDuration() || cap <= absl::ZeroDuration()) return absl::ZeroDuration();
  // 2^n overflows nothing below 2^30; past that the cap has long been reached.
  const int shift = std::clamp(retry_index, 0, 30);
  const absl::Duration ceiling = std::min(cap, initial * static_cast<int64_t>(int64_t{1} << shift));
  const double u = std::clamp(uniform01, 0.0, 1.0);
  return absl::Nanoseconds(std::floor(absl::ToDoubleNanoseconds(ceiling) * u));
}

RollingCounts::RollingCounts(absl::Duration window)
    : slice_(std::max(window / kSlices, absl::Milliseconds(1))) {}

void RollingCounts::Add(absl::Time now, int64_t a, int64_t b) {
  const int64_t epoch = EpochOf(now);
  Slice& slice = slices_[static_cast<size_t>(((epoch % kSlices) + kSlices) % kSlices)];
  if (slice.epoch != epoch) slice = Slice{epoch, 0, 0};
  slice.a += a;
  slice.b += b;
}

void RollingCounts::Sum(absl::Time now, int64_t* a, int64_t* b) const {
  const int64_t epoch = EpochOf(now);
  *a = 0;
  *b = 0;
  for (const Slice& slice : slices_) {
    if (slice.epoch > epoch - kSlices && slice.epoch <= epoch) {
      *a += slice.a;
      *b += slice.b;
    }
  }
}

void RollingCounts::Clear() { slices_.fill(Slice{}); }

RetryBudget::RetryBudget(double ratio, double min_per_second, absl::Duration window,
                         const Clock* clock)
    : ratio_(std::max(0.0, ratio)),
      reserve_(std::max(0.0, min_per_second) * absl::ToDoubleSeconds(window)),
      clock_(clock),
      counts_(window) {}

void RetryBudget::RecordRequest() {
  absl::MutexLock lock(&mu_);
  counts_.Add(clock_->Now(), 1, 0);
}

bool RetryBudget::TryWithdraw() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  int64_t requests = 0;
  int64_t retries = 0;
  counts_.Sum(now, &requests, &retries);
  if (static_cast<double>(retries + 1) > ratio_ * static_cast<double>(requests) + reserve_) {
    return false;
  }
  counts_.Add(now, 0, 1);
  return true;
}

int64_t RetryBudget::requests() const {
  absl::MutexLock lock(&mu_);
  int64_t requests = 0;
  int64_t retries = 0;
  counts_.Sum(clock_->Now(), &requests, &retries);
  return requests;
}

int64_t RetryBudget::retries() const {
  absl::MutexLock lock(&mu_);
  int64_t requests = 0;
  int64_t retries = 0;
  counts_.Sum(clock_->Now(), &requests, &retries);
  return retries;
}

}  // namespace ktp::backend
