// Soak tool (prints numbers; not a CTest test): an in-process gateway with the
// production decorator stack (Retrying → CircuitBreaking → curl) in front of
// tests/support's fault server answering a random mix — mostly successes, plus
// slow answers, 503s, 429s, 500s, resets, truncated and malformed bodies — while
// N client threads upload images of mixed sizes for T seconds. Some clients also
// give up early (short deadlines) or stall mid-upload (the idle timeout).
// Prints calls made, counts by gRPC code and reason, p50/p99 latency, and the
// process RSS (current and peak) at the start, every minute, and at the end:
// a leak shows as RSS that keeps growing under a steady load.
//
// Usage: soak [--clients=N] [--seconds=T]       (defaults: 32 clients, 300 s)
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "telemetry/log.h"
#include "tests/integration/gateway_harness.h"
#include "tests/support/fault_server.h"

namespace ktp::bench {
namespace {

using testing::FaultScript;

long StatusKb(const char* key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key));
  }
  return 0;
}

void PrintMemory(const char* when) {
  std::printf("%-8s rss %7.1f MiB   peak rss %7.1f MiB\n", when, StatusKb("VmRSS:") / 1024.0,
              StatusKb("VmHWM:") / 1024.0);
  std::fflush(stdout);
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// The upstream's mix, per request.
FaultScript RandomAnswer() {
  thread_local std::mt19937 rng(std::random_device{}());
  const int roll = std::uniform_int_distribution<int>(0, 999)(rng);
  FaultScript s;
  if (roll < 780) return s;  // 78 % a plain success
  if (roll < 860) {          // 8 % a slow success (headers after 100–800 ms)
    s.head_delay = absl::Milliseconds(std::uniform_int_distribution<int>(100, 800)(rng));
    return s;
  }
  if (roll < 880) {  // 2 % a dribbled body
    s.body_chunk_bytes = 512;
    s.body_chunk_delay = absl::Milliseconds(20);
    return s;
  }
  if (roll < 920) return FaultScript::Status(503, "{}");
  if (roll < 940) return FaultScript::Status(429, "{}");
  if (roll < 950) return FaultScript::Status(500, "{}");
  if (roll < 965) return FaultScript::Do(FaultScript::Action::kResetMidRequest);
  if (roll < 975) return FaultScript::Do(FaultScript::Action::kCloseBeforeResponse);
  if (roll < 990) {
    s.truncate_body_at = 64;
    return s;
  }
  return FaultScript::Status(200, "{\"status\": \"SUCCESS\", \"read\": [1, 2");
}

struct Stats {
  absl::Mutex mu;
  std::map<std::string, long> outcomes ABSL_GUARDED_BY(mu);
  std::vector<double> latencies_ms ABSL_GUARDED_BY(mu);
  std::vector<double> ok_latencies_ms ABSL_GUARDED_BY(mu);
};

void Client(testing::GatewayHarness& h, absl::Time until, Stats& stats, int seed) {
  std::mt19937 rng(static_cast<unsigned>(seed));
  while (absl::Now() < until) {
    const int roll = std::uniform_int_distribution<int>(0, 999)(rng);
    const size_t kib = std::uniform_int_distribution<size_t>(8, 400)(rng);
    std::string image = testing::FakePhotoJpeg();
    image.resize(kib * 1024, 'x');
    grpc::ClientContext context;
    // 2 % give up after 150 ms (client deadline / cancellation paths).
    const auto deadline = roll < 20 ? std::chrono::milliseconds(150) : std::chrono::milliseconds(10000);
    context.set_deadline(std::chrono::system_clock::now() + deadline);
    v1::ReadResponse response;
    const absl::Time start = absl::Now();
    auto writer = h.stub().Read(&context, &response);
    v1::ReadRequest request;
    request.mutable_metadata()->set_file_name("soak.jpg");
    bool open = writer->Write(request);
    for (size_t off = 0; open && off < image.size(); off += 32 * 1024) {
      // 1 % stall mid-upload for longer than the idle timeout.
      if (roll >= 20 && roll < 30 && off > 0) absl::SleepFor(absl::Milliseconds(1300));
      request.Clear();
      request.set_chunk(image.substr(off, 32 * 1024));
      open = writer->Write(request);
    }
    writer->WritesDone();
    const grpc::Status status = writer->Finish();
    const double ms = absl::ToDoubleMilliseconds(absl::Now() - start);
    std::string key = std::to_string(status.error_code());
    if (auto info = testing::ErrorInfoOf(status)) key += " " + info->reason();
    absl::MutexLock lock(&stats.mu);
    stats.outcomes[key]++;
    stats.latencies_ms.push_back(ms);
    if (status.ok()) stats.ok_latencies_ms.push_back(ms);
  }
}

const char* CodeName(int code) {
  static const char* const kNames[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                                       "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
                                       "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  return code >= 0 && code <= 16 ? kNames[code] : "?";
}

int Main(int argc, char** argv) {
  int clients = 32;
  int seconds = 300;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::StartsWith(arg, "--clients=")) (void)absl::SimpleAtoi(arg.substr(10), &clients);
    if (absl::StartsWith(arg, "--seconds=")) (void)absl::SimpleAtoi(arg.substr(10), &seconds);
  }
  log::SetLevel(log::Level::kError);  // the access log would dominate the run

  testing::FaultServer::Options fault_options;
  fault_options.script_source = RandomAnswer;
  testing::FaultServer upstream(fault_options);
  if (!upstream.Start().ok()) return 1;
  testing::HarnessOptions options;
  options.config.upstream_url = upstream.base_url();
  options.config.upstream_timeout = absl::Seconds(5);
  {  // production defaults for retries and the circuit breaker
    const gateway::GatewayConfig defaults;
    options.config.upstream_retry_max_attempts = defaults.upstream_retry_max_attempts;
    options.config.breaker_consecutive_failures = defaults.breaker_consecutive_failures;
    options.config.breaker_min_requests = defaults.breaker_min_requests;
  }
  options.config.max_concurrent_calls = 1000;
  options.config.stream_idle_timeout = absl::Seconds(1);
  testing::GatewayHarness h(options);

  std::printf("soak: %d clients for %d s against a faulty upstream (78%% plain OK)\n", clients, seconds);
  PrintMemory("start");
  Stats stats;
  const absl::Time begin = absl::Now();
  const absl::Time until = begin + absl::Seconds(seconds);
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] { Client(h, until, stats, i + 1); });
  }
  for (int minute = 1; absl::Now() + absl::Minutes(1) <= until; ++minute) {
    absl::SleepFor(absl::Minutes(1));
    long calls = 0;
    {
      absl::MutexLock lock(&stats.mu);
      calls = static_cast<long>(stats.latencies_ms.size());
    }
    char label[16];
    std::snprintf(label, sizeof(label), "%d min", minute);
    std::printf("[%ld calls] ", calls);
    PrintMemory(label);
  }
  for (auto& t : threads) t.join();
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - begin);

  absl::MutexLock lock(&stats.mu);
  std::printf("\ncalls: %zu in %.0f s (%.1f/s); upstream requests: %zu\n", stats.latencies_ms.size(),
              elapsed, static_cast<double>(stats.latencies_ms.size()) / elapsed, upstream.request_count());
  for (const auto& [key, count] : stats.outcomes) {
    const int code = std::atoi(key.c_str());
    const size_t space = key.find(' ');
    std::printf("  %-20s %-32s %8ld\n", CodeName(code),
                space == std::string::npos ? "" : key.substr(space + 1).c_str(), count);
  }
  std::printf("latency, all calls: p50 %.1f ms, p99 %.1f ms\n", Percentile(stats.latencies_ms, 0.5),
              Percentile(stats.latencies_ms, 0.99));
  std::printf("latency, OK calls:  p50 %.1f ms, p99 %.1f ms\n", Percentile(stats.ok_latencies_ms, 0.5),
              Percentile(stats.ok_latencies_ms, 0.99));
  std::printf("calls in the gateway at the end: %d, buffered bytes: %lld\n", h.server().active_calls(),
              static_cast<long long>(h.server().buffered_bytes()));
  PrintMemory("end");
  return 0;
}

}  // namespace
}  // namespace ktp::bench

int main(int argc, char** argv) { return ktp::bench::Main(argc, argv); }
