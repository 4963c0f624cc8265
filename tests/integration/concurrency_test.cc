// The serving path is asynchronous end to end: 1,000 calls waiting on a slow
// upstream at the same time are all held by a small, fixed number of threads
// (no thread per in-flight call), and all of them complete.
#include <dirent.h>
#include <sys/resource.h>

#include <condition_variable>
#include <mutex>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_harness.h"
#include "tests/support/epoll_upstream.h"

namespace ktp::testing {
namespace {

int ThreadCount() {
  int n = 0;
  if (DIR* dir = opendir("/proc/self/task")) {
    while (dirent* e = readdir(dir)) n += e->d_name[0] != '.';
    closedir(dir);
  }
  return n;
}

// One upload driven by the callback client API: metadata, then one chunk.
class Upload : public grpc::ClientWriteReactor<v1::ReadRequest> {
 public:
  Upload(v1::KtpOcr::Stub& stub, const std::string& image, std::function<void(const grpc::Status&)> done)
      : done_(std::move(done)) {
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    metadata_.mutable_metadata()->set_file_name("card.png");
    chunk_.set_chunk(image);
    stub.async()->Read(&context_, &response_, this);
    StartWrite(&metadata_);
    StartCall();
  }
  void OnWriteDone(bool ok) override {
    if (ok && !sent_chunk_) {
      sent_chunk_ = true;
      StartWriteLast(&chunk_, grpc::WriteOptions());
    }
  }
  void OnDone(const grpc::Status& status) override { done_(status); }

 private:
  grpc::ClientContext context_;
  v1::ReadResponse response_;
  v1::ReadRequest metadata_;
  v1::ReadRequest chunk_;
  bool sent_chunk_ = false;
  std::function<void(const grpc::Status&)> done_;
};

TEST(ConcurrencyTest, ThousandSlowCallsNeedNoThreadPerCall) {
  constexpr int kCalls = 1000;
  // Each call holds two sockets here (gateway→upstream and the upstream's side).
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < 3 * kCalls) GTEST_SKIP() << "RLIMIT_NOFILE hard limit too low: " << limit.rlim_max;

  EpollUpstream::Options upstream_options;
  upstream_options.body = BuildSuccessBody(SyntheticIdentity::Default(), false);
  upstream_options.delay = std::chrono::milliseconds(6000);
  EpollUpstream upstream(upstream_options);
  ASSERT_TRUE(upstream.Start());

  HarnessOptions options;
  options.config.upstream_url = upstream.base_url();
  // All calls share the harness's one connection: let it carry them all
  // (--max-streams-per-connection is per connection; its default is 100).
  options.config.max_streams_per_connection = 2 * kCalls;
  GatewayHarness h(options);
  const std::string image = ReadRepoFile("samples/ktp-synthetic.png").substr(0, 4096);

  // Warm up so lazily created threads (gRPC pollers, curl loop) exist before counting.
  {
    grpc::ClientContext context;
    UploadSpec spec;
    spec.image = image;
    v1::ReadResponse response;
    // Goes to the slow upstream too; only the thread start-up matters here.
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    UploadRead(h.stub(), context, spec, &response);
  }
  absl::SleepFor(absl::Milliseconds(200));
  const int threads_before = ThreadCount();

  std::mutex mu;
  std::condition_variable cv;
  int finished = 0, ok = 0;
  std::vector<std::unique_ptr<Upload>> uploads;
  uploads.reserve(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    uploads.push_back(std::make_unique<Upload>(h.stub(), image, [&](const grpc::Status& status) {
      std::lock_guard<std::mutex> lock(mu);
      ++finished;
      ok += status.ok();
      cv.notify_all();
    }));
  }
  // All 1,000 reach the upstream and wait there together.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  int peak_threads = 0, peak_in_flight = 0;
  while (upstream.held() < kCalls + 1 && absl::Now() < deadline) {  // +1: the warm-up call
    peak_threads = std::max(peak_threads, ThreadCount());
    peak_in_flight = std::max(peak_in_flight, h.backend().in_flight());
    absl::SleepFor(absl::Milliseconds(20));
  }
  peak_threads = std::max(peak_threads, ThreadCount());
  peak_in_flight = std::max(peak_in_flight, h.backend().in_flight());
  EXPECT_GE(upstream.held(), kCalls) << "not all calls reached the upstream concurrently";
  EXPECT_EQ(peak_in_flight, kCalls);
  std::printf("threads: %d before, %d at peak with %d calls in flight\n", threads_before, peak_threads,
              peak_in_flight);
  // A handful of gRPC executor threads may start under load; a thread per call would add ~1,000.
  EXPECT_LE(peak_threads - threads_before, 16);

  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return finished == kCalls; }));
  EXPECT_EQ(ok, kCalls);
  lock.unlock();
  h.Shutdown(absl::Seconds(1));
  upstream.Stop();
}

}  // namespace
}  // namespace ktp::testing
