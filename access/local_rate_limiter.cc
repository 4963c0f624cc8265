// GCRA per key with one atomic TAT. For a call at `now` with emission interval
// T = 1/rate and tolerance tau = T * burst:
//   new_tat = max(tat, now) + T;  allowed iff new_tat - now <= tau;
//   retry_after = new_tat - now - tau;  remaining = floor((tau - (new_tat - now)) / T).
// A rejection does not change the state, so a rejected caller costs nothing.
#include "access/local_rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/hash/hash.h"
#include "telemetry/log.h"

namespace ktp::access {
namespace {

// Caps that keep the int64 arithmetic far from overflow (~11 days per call,
// ~3 years of tolerance): limits beyond them are nonsense anyway.
constexpr double kMaxIntervalNs = 1e15;
constexpr double kMaxToleranceNs = 1e17;

}  // namespace

LocalRateLimiter::LocalRateLimiter(LocalRateLimiterOptions options)
    : clock_(options.clock != nullptr ? options.clock : SteadyClock::Default()),
      epoch_(clock_->Now()),
      max_keys_per_shard_(std::max<size_t>(1, (options.max_keys + kShards - 1) / kShards)),
      on_decision_(std::move(options.on_decision)) {}

int64_t LocalRateLimiter::NowNs() const {
  return absl::ToInt64Nanoseconds(clock_->Now() - epoch_);
}

void LocalRateLimiter::Decide(absl::string_view key, const RateLimit& limit,
                              DecisionCallback done) {
  std::move(done)(DecideNow(key, limit));
}

LimitDecision LocalRateLimiter::DecideNow(absl::string_view key, const RateLimit& limit) {
  const int64_t now = NowNs();
  // Shard by the hash's top bits: the maps inside use the low ones.
  const uint64_t hash = absl::Hash<absl::string_view>{}(key);
  Shard& shard = shards_[(hash >> 32) % kShards];
  LimitDecision decision;
  bool found = false;
  {
    // Hot path: shared lock for lookup + CAS (entries are only erased under the
    // exclusive lock, so the pointer stays valid while we hold it).
    absl::ReaderMutexLock lock(&shard.mu);
    auto it = shard.entries.find(key);
    if (it != shard.entries.end()) {
      decision = DecideEntry(*it->second, now, limit);
      found = true;
    }
  }
  if (!found) decision = DecideNewKey(shard, key, now, limit);
  Report(key, decision);
  return decision;
}

LimitDecision LocalRateLimiter::DecideNewKey(Shard& shard, absl::string_view key, int64_t now,
                                             const RateLimit& limit) {
  Entry* entry = nullptr;
  absl::MutexLock lock(&shard.mu);
  auto it = shard.entries.find(key);  // another thread may have added it meanwhile
  if (it != shard.entries.end()) {
    entry = it->second.get();
  } else {
    if (shard.entries.size() >= max_keys_per_shard_) {
      // Forget keys whose bucket is full again: indistinguishable from new keys.
      for (auto e = shard.entries.begin(); e != shard.entries.end();) {
        if (e->second->tat.load(std::memory_order_relaxed) <= now) {
          shard.entries.erase(e++);
        } else {
          ++e;
        }
      }
    }
    if (shard.entries.size() < max_keys_per_shard_) {
      entry = shard.entries.emplace(std::string(key), std::make_unique<Entry>())
                  .first->second.get();
    } else {
      entry = &overflow_;
      if (!overflow_warned_.exchange(true)) {
        log::Warn("rate limiter key table full; new keys share an overflow bucket",
                  {{"max_keys", static_cast<unsigned long>(max_keys_per_shard_ * kShards)}});
      }
    }
  }
  return DecideEntry(*entry, now, limit);
}

LimitDecision LocalRateLimiter::DecideEntry(Entry& entry, int64_t now, const RateLimit& limit) {
  LimitDecision decision;
  decision.source = DecisionSource::kLocal;
  decision.limit = limit.rate_per_second;
  const double burst = std::isnan(limit.burst) ? 1.0 : std::max(1.0, limit.burst);
  decision.burst = burst;
  if (!(limit.rate_per_second > 0)) {  // also catches NaN
    decision.allowed = false;
    decision.retry_after = absl::InfiniteDuration();
    return decision;
  }
  // Round the interval up so rounding can never admit more than the rate.
  const int64_t interval = static_cast<int64_t>(
      std::clamp(std::ceil(1e9 / limit.rate_per_second), 1.0, kMaxIntervalNs));
  const int64_t tolerance = static_cast<int64_t>(
      std::min(std::floor(static_cast<double>(interval) * burst), kMaxToleranceNs));

  int64_t tat = entry.tat.load(std::memory_order_relaxed);
  for (;;) {
    const int64_t new_tat = std::max(tat, now) + interval;
    const int64_t ahead = new_tat - now;
    if (ahead > tolerance) {
      decision.allowed = false;
      decision.retry_after = absl::Nanoseconds(ahead - tolerance);
      decision.remaining = 0;
      return decision;
    }
    if (entry.tat.compare_exchange_weak(tat, new_tat, std::memory_order_acq_rel,
                                        std::memory_order_relaxed)) {
      decision.allowed = true;
      decision.retry_after = absl::ZeroDuration();
      decision.remaining = static_cast<double>((tolerance - ahead) / interval);
      return decision;
    }
    // Lost the race: `tat` now holds the winner's value; decide again against it.
  }
}

void LocalRateLimiter::Report(absl::string_view key, const LimitDecision& decision) const {
  if (on_decision_) on_decision_(key, decision.allowed ? "allowed" : "rejected");
}

size_t LocalRateLimiter::key_count() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    absl::ReaderMutexLock lock(&shard.mu);
    n += shard.entries.size();
  }
  return n;
}

}  // namespace ktp::access
