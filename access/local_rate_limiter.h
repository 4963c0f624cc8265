// LocalRateLimiter: GCRA (the "virtual scheduling" form of a token bucket) per
// key, in this process only. Each key's whole state is one atomic theoretical
// arrival time (TAT) updated by compare-and-swap; keys live in a sharded map
// (one reader/writer mutex per shard, held only for the lookup and the CAS), so
// different keys never contend and one key costs two atomic operations plus the
// CAS. The number of keys is bounded.
#ifndef KTP_ACCESS_LOCAL_RATE_LIMITER_H_
#define KTP_ACCESS_LOCAL_RATE_LIMITER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "access/rate_limiter.h"

namespace ktp::access {

struct LocalRateLimiterOptions {
  // Time source; not owned. nullptr = SteadyClock (wall-clock jumps must not
  // stall a bucket).
  const Clock* clock = nullptr;
  // Most keys tracked at once. Keys whose bucket is full again are forgotten
  // (their state equals a new key's) to make room; if none can be, further new
  // keys share one overflow bucket (conservative: they limit one another) and a
  // warning is logged once.
  size_t max_keys = 10000;
  // Called with (key, "allowed" | "rejected") for every decision, before `done`;
  // must be cheap and thread-safe. Optional.
  std::function<void(absl::string_view key, absl::string_view outcome)> on_decision;
};

class LocalRateLimiter final : public RateLimiter {
 public:
  explicit LocalRateLimiter(LocalRateLimiterOptions options = {});

  // Decides inline: `done` runs before Decide returns.
  void Decide(absl::string_view key, const RateLimit& limit, DecisionCallback done) override;
  // The same decision, returned.
  LimitDecision DecideNow(absl::string_view key, const RateLimit& limit);

  // Keys currently tracked (tests, metrics).
  size_t key_count() const;

 private:
  static constexpr size_t kShards = 16;
  struct Entry {
    // Theoretical arrival time, ns since epoch_. A value <= now means the bucket is full.
    std::atomic<int64_t> tat{0};
  };
  struct alignas(64) Shard {  // own cache line: shards must not false-share their mutexes
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, std::unique_ptr<Entry>> entries ABSL_GUARDED_BY(mu);
  };

  int64_t NowNs() const;
  LimitDecision DecideNewKey(Shard& shard, absl::string_view key, int64_t now_ns,
                             const RateLimit& limit);
  LimitDecision DecideEntry(Entry& entry, int64_t now_ns, const RateLimit& limit);
  void Report(absl::string_view key, const LimitDecision& decision) const;

  const Clock* const clock_;
  const absl::Time epoch_;
  const size_t max_keys_per_shard_;
  std::function<void(absl::string_view, absl::string_view)> on_decision_;
  std::array<Shard, kShards> shards_;
  Entry overflow_;
  std::atomic<bool> overflow_warned_{false};
};

}  // namespace ktp::access

#endif  // KTP_ACCESS_LOCAL_RATE_LIMITER_H_
