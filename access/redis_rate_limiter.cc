// The Redis GCRA limiter: Lua script, the worker's pipelined round trips,
// NOSCRIPT recovery, failure policy and reconnection.
#include "access/redis_rate_limiter.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "telemetry/log.h"

namespace ktp::access {
namespace {

// GCRA in Redis's clock (TIME), in microseconds. KEYS[1] is the bucket;
// ARGV[1] the emission interval T = 1/rate, ARGV[2] the tolerance T * burst.
// The key holds the theoretical arrival time and expires once it has passed
// (an expired key and a full bucket are the same thing). A rejection writes
// nothing. Returns {allowed 0/1, retry_after_us, remaining}.
// replicate_commands() lets Redis < 5 replicate the effects of a script that
// read TIME; Redis 7 always does and keeps the call as a no-op.
constexpr absl::string_view kScript = R"lua(
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local new_tat = tat + interval
local ahead = new_tat - now
if ahead > tolerance then
  return {0, ahead - tolerance, 0}
end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil(ahead / 1000) + 1)
return {1, 0, math.floor((tolerance - ahead) / interval)}
)lua";

// Microsecond GCRA parameters; T rounds up so rounding never admits more.
struct GcraMicros {
  int64_t interval;
  int64_t tolerance;
};
GcraMicros ToMicros(const RateLimit& limit) {
  const double burst = std::isnan(limit.burst) ? 1.0 : std::max(1.0, limit.burst);
  const double interval = std::clamp(std::ceil(1e6 / limit.rate_per_second), 1.0, 1e12);
  return {static_cast<int64_t>(interval),
          static_cast<int64_t>(std::min(std::floor(interval * burst), 1e14))};
}

absl::Time SteadyNow() { return SteadyClock::Default()->Now(); }

const char* PolicyName(RedisFailurePolicy policy) {
  switch (policy) {
    case RedisFailurePolicy::kLocalFallback: return "local_fallback";
    case RedisFailurePolicy::kFailOpen: return "fail_open";
    case RedisFailurePolicy::kFailClosed: return "fail_closed";
  }
  return "unknown";
}

struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// hiredis writes with write(2), which raises SIGPIPE when Redis has gone away
// (and SIGPIPE's default action ends the process). The gateway ignores SIGPIPE
// process-wide; this keeps the library safe in any other binary too: the signal
// stays blocked (and is discarded) on threads that talk to Redis, and write
// just fails with EPIPE.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~ScopedSigpipeBlock() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigset_t pending;
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
      const timespec zero{0, 0};
      sigtimedwait(&set, nullptr, &zero);  // discard the one we caused
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  sigset_t old_;
};

}  // namespace

absl::string_view RedisRateLimiter::Script() { return kScript; }

RedisRateLimiter::RedisRateLimiter(RedisRateLimiterOptions options)
    : options_(std::move(options)),
      fallback_(LocalRateLimiterOptions{options_.clock, options_.fallback_max_keys, nullptr}),
      backoff_(options_.reconnect_backoff_initial),
      next_connect_(SteadyNow()),
      jitter_state_(static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())) ^
                    reinterpret_cast<uintptr_t>(this) ^ 0x9e3779b97f4a7c15ULL) {
  bool connected = false;
  {
    ScopedSigpipeBlock no_sigpipe;
    connected = Connect();
  }
  if (!connected) {
    log::Warn("redis rate limiter: cannot connect; deciding by failure policy until it can",
              {{"host", options_.host}, {"port", options_.port},
               {"policy", PolicyName(options_.failure_policy)}});
    logged_down_ = true;
    ScheduleReconnect();
  }
  worker_ = std::thread([this] { Run(); });
}

RedisRateLimiter::~RedisRateLimiter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  worker_.join();
  if (ctx_ != nullptr) redisFree(ctx_);
}

void RedisRateLimiter::Decide(absl::string_view key, const RateLimit& limit,
                              DecisionCallback done) {
  if (!(limit.rate_per_second > 0)) {  // nothing to ask Redis: nothing is allowed
    LimitDecision decision;
    decision.retry_after = absl::InfiniteDuration();
    decision.limit = limit.rate_per_second;
    decision.burst = limit.burst;
    decision.source = DecisionSource::kLocal;
    Deliver(key, decision, done);
    return;
  }
  if (connected_.load(std::memory_order_relaxed)) {
    absl::MutexLock lock(&mu_);
    if (!stopping_ && queue_.size() < options_.max_queued) {
      // The worker's Await condition is re-evaluated when this lock is released.
      queue_.push_back(Pending{std::string(key), limit, std::move(done)});
      return;
    }
  }
  Deliver(key, DecideUnavailable(key, limit), done);
}

void RedisRateLimiter::Run() {
  ScopedSigpipeBlock no_sigpipe;  // for the worker's whole life
  std::vector<Pending> batch;
  for (;;) {
    bool stop = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      if (ctx_ != nullptr) {
        mu_.Await(absl::Condition(&ready));
      } else {
        const absl::Duration wait = next_connect_ - SteadyNow();
        if (wait > absl::ZeroDuration()) mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
      }
      batch.swap(queue_);
      stop = stopping_;
    }
    if (ctx_ == nullptr && !stop && SteadyNow() >= next_connect_ && !Connect()) {
      ScheduleReconnect();
    }
    const size_t chunk = std::max<size_t>(1, options_.max_pipeline);
    for (size_t i = 0; i < batch.size(); i += chunk) {
      const size_t n = std::min(chunk, batch.size() - i);
      if (ctx_ != nullptr) {
        ExecuteChunk(&batch[i], n);
      } else {
        for (size_t j = i; j < i + n; ++j) {
          Deliver(batch[j].key, DecideUnavailable(batch[j].key, batch[j].limit), batch[j].done);
        }
      }
    }
    batch.clear();
    if (stop) return;  // Decide queues nothing once stopping_ is set
  }
}

bool RedisRateLimiter::Connect() {
  redisContext* c = redisConnectWithTimeout(options_.host.c_str(), options_.port,
                                            absl::ToTimeval(options_.connect_timeout));
  if (c == nullptr || c->err != 0) {
    if (c != nullptr) {
      log::Debug("redis rate limiter: connect failed", {{"error", c->errstr}});
      redisFree(c);
    }
    return false;
  }
  if (redisSetTimeout(c, absl::ToTimeval(options_.command_timeout)) != REDIS_OK) {
    redisFree(c);
    return false;
  }
  if (!options_.password.empty()) {
    ReplyPtr reply(static_cast<redisReply*>(
        redisCommand(c, "AUTH %b", options_.password.data(), options_.password.size())));
    if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
      log::Warn("redis rate limiter: AUTH failed");
      redisFree(c);
      return false;
    }
  }
  ctx_ = c;
  if (!LoadScript()) {
    redisFree(ctx_);
    ctx_ = nullptr;
    return false;
  }
  connects_.fetch_add(1, std::memory_order_relaxed);
  connected_.store(true, std::memory_order_relaxed);
  if (logged_down_) {
    log::Info("redis rate limiter: connected", {{"host", options_.host}, {"port", options_.port}});
    logged_down_ = false;
  }
  return true;
}

bool RedisRateLimiter::LoadScript() {
  ReplyPtr reply(static_cast<redisReply*>(
      redisCommand(ctx_, "SCRIPT LOAD %b", kScript.data(), kScript.size())));
  if (reply == nullptr || reply->type != REDIS_REPLY_STRING) {
    log::Debug("redis rate limiter: SCRIPT LOAD failed",
               {{"error", reply != nullptr && reply->type == REDIS_REPLY_ERROR
                              ? absl::string_view(reply->str, reply->len)
                              : absl::string_view(ctx_->errstr)}});
    return false;
  }
  sha_.assign(reply->str, reply->len);
  script_loads_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void RedisRateLimiter::Disconnect(absl::string_view why) {
  if (ctx_ != nullptr) redisFree(ctx_);
  ctx_ = nullptr;
  connected_.store(false, std::memory_order_relaxed);
  if (!logged_down_) {
    log::Warn("redis rate limiter: Redis unavailable; deciding by failure policy",
              {{"error", why}, {"policy", PolicyName(options_.failure_policy)}});
    logged_down_ = true;
  }
  ScheduleReconnect();
}

void RedisRateLimiter::ScheduleReconnect() {
  // xorshift64: jitter only, so replicas that lost Redis together do not
  // reconnect in lockstep.
  jitter_state_ ^= jitter_state_ << 13;
  jitter_state_ ^= jitter_state_ >> 7;
  jitter_state_ ^= jitter_state_ << 17;
  const double factor = 0.8 + 0.4 * static_cast<double>(jitter_state_ % 1000) / 1000.0;
  next_connect_ = SteadyNow() + backoff_ * factor;
  backoff_ = std::min(backoff_ * 2, options_.reconnect_backoff_max);
}

void RedisRateLimiter::ExecuteChunk(Pending* items, size_t n) {
  std::vector<std::optional<LimitDecision>> decided(n);
  std::vector<size_t> todo(n);
  for (size_t i = 0; i < n; ++i) todo[i] = i;
  bool failed = false;
  std::string error;

  // At most two passes: the second re-sends what got NOSCRIPT after a reload.
  for (int pass = 0; pass < 2 && !todo.empty() && !failed; ++pass) {
    for (size_t i : todo) {
      const GcraMicros gcra = ToMicros(items[i].limit);
      const std::string key = absl::StrCat(options_.key_prefix, items[i].key);
      const std::string interval = absl::StrCat(gcra.interval);
      const std::string tolerance = absl::StrCat(gcra.tolerance);
      const char* argv[] = {"EVALSHA", sha_.data(), "1", key.data(), interval.data(),
                            tolerance.data()};
      const size_t argvlen[] = {7, sha_.size(), 1, key.size(), interval.size(), tolerance.size()};
      redisAppendCommandArgv(ctx_, 6, argv, argvlen);  // formats into the output buffer
    }
    std::vector<size_t> noscript;
    for (size_t k = 0; k < todo.size(); ++k) {
      void* raw = nullptr;
      // The first call writes the whole pipeline; each read waits at most command_timeout.
      if (redisGetReply(ctx_, &raw) != REDIS_OK) {
        error = ctx_->errstr;
        failed = true;
        break;
      }
      ReplyPtr reply(static_cast<redisReply*>(raw));
      const size_t i = todo[k];
      if (reply->type == REDIS_REPLY_ERROR) {
        if (reply->len >= 8 && std::memcmp(reply->str, "NOSCRIPT", 8) == 0) {
          noscript.push_back(i);
        } else {
          redis_errors_.fetch_add(1, std::memory_order_relaxed);
          log::Debug("redis rate limiter: error reply",
                     {{"error", absl::string_view(reply->str, reply->len)}});
        }
        continue;
      }
      if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
          reply->element[0]->type != REDIS_REPLY_INTEGER ||
          reply->element[1]->type != REDIS_REPLY_INTEGER ||
          reply->element[2]->type != REDIS_REPLY_INTEGER) {
        redis_errors_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      LimitDecision d;
      d.allowed = reply->element[0]->integer == 1;
      d.retry_after = absl::Microseconds(reply->element[1]->integer);
      d.remaining = static_cast<double>(reply->element[2]->integer);
      d.limit = items[i].limit.rate_per_second;
      d.burst = std::max(1.0, items[i].limit.burst);
      d.source = DecisionSource::kRedis;
      decided[i] = d;
    }
    if (failed || noscript.empty()) break;
    // The script cache was flushed (SCRIPT FLUSH, failover to a fresh replica):
    // load it again and re-send only those decisions.
    if (!LoadScript()) {
      error = ctx_->err != 0 ? ctx_->errstr : "SCRIPT LOAD failed";
      failed = ctx_->err != 0;
      if (!failed) redis_errors_.fetch_add(noscript.size(), std::memory_order_relaxed);
      break;
    }
    todo = std::move(noscript);
  }

  if (failed) {
    redis_errors_.fetch_add(1, std::memory_order_relaxed);
    Disconnect(error);  // a hiredis context is unusable after an I/O error or timeout
  } else {
    backoff_ = options_.reconnect_backoff_initial;  // healthy round trip
  }
  for (size_t i = 0; i < n; ++i) {
    if (decided[i].has_value()) {
      Deliver(items[i].key, *decided[i], items[i].done);
    } else {
      Deliver(items[i].key, DecideUnavailable(items[i].key, items[i].limit), items[i].done);
    }
  }
}

LimitDecision RedisRateLimiter::DecideUnavailable(absl::string_view key, const RateLimit& limit) {
  LimitDecision d;
  switch (options_.failure_policy) {
    case RedisFailurePolicy::kLocalFallback: {
      const double replicas = std::max(1, options_.expected_replicas);
      d = fallback_.DecideNow(key, RateLimit{limit.rate_per_second / replicas,
                                             std::max(1.0, limit.burst / replicas)});
      d.source = DecisionSource::kFallback;
      break;
    }
    case RedisFailurePolicy::kFailOpen:
      d.allowed = true;
      d.source = DecisionSource::kFailOpen;
      break;
    case RedisFailurePolicy::kFailClosed:
      d.allowed = false;
      d.retry_after = options_.fail_closed_retry_after;
      d.source = DecisionSource::kFailClosed;
      break;
  }
  // Report the configured limit, not the per-replica share, to callers.
  d.limit = limit.rate_per_second;
  d.burst = std::max(1.0, limit.burst);
  return d;
}

void RedisRateLimiter::Deliver(absl::string_view key, LimitDecision decision,
                               DecisionCallback& done) {
  absl::string_view outcome = decision.allowed ? "allowed" : "rejected";
  switch (decision.source) {
    case DecisionSource::kRedis: redis_.fetch_add(1, std::memory_order_relaxed); break;
    case DecisionSource::kFallback: fallback_count_.fetch_add(1, std::memory_order_relaxed); break;
    case DecisionSource::kFailOpen:
      fail_open_.fetch_add(1, std::memory_order_relaxed);
      outcome = "fail_open";
      break;
    case DecisionSource::kFailClosed:
      fail_closed_.fetch_add(1, std::memory_order_relaxed);
      outcome = "fail_closed";
      break;
    case DecisionSource::kLocal: break;
  }
  (decision.allowed ? allowed_ : rejected_).fetch_add(1, std::memory_order_relaxed);
  if (options_.on_decision) options_.on_decision(key, outcome);
  std::move(done)(decision);
}

RedisRateLimiterStats RedisRateLimiter::stats() const {
  RedisRateLimiterStats s;
  s.redis = redis_.load(std::memory_order_relaxed);
  s.fallback = fallback_count_.load(std::memory_order_relaxed);
  s.fail_open = fail_open_.load(std::memory_order_relaxed);
  s.fail_closed = fail_closed_.load(std::memory_order_relaxed);
  s.allowed = allowed_.load(std::memory_order_relaxed);
  s.rejected = rejected_.load(std::memory_order_relaxed);
  s.redis_errors = redis_errors_.load(std::memory_order_relaxed);
  s.connects = connects_.load(std::memory_order_relaxed);
  s.script_loads = script_loads_.load(std::memory_order_relaxed);
  s.connected = connected();
  return s;
}

}  // namespace ktp::access
