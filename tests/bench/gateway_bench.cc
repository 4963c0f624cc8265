// Serving-path benchmark (prints numbers; not a test). Against a fast upstream
// stand-in on loopback it measures, in one run:
//   1. latency at concurrency 1: calling the upstream directly (the same libcurl
//      client a team would write) vs. through the gateway over gRPC; reports the
//      p50/p99 the gateway adds for a 300 KB image;
//   2. throughput at concurrency C, direct vs. through the gateway (ratio);
//   3. memory: RSS growth while N uploads are held in flight, in copies of the image.
// Usage: gateway_bench [--seconds=S] [--concurrency=C] [--image-kb=K] [--held=N]
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/time/clock.h"
#include "telemetry/log.h"
#include "ktp/v1/ktp_ocr.grpc.pb.h"
#include "gateway/gateway.h"
#include "service/gateway_server.h"
#include "tests/support/epoll_upstream.h"
#include "tests/support/fake_upstream.h"
#include "upstream/curl_client.h"

namespace ktp::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::shared_ptr<upstream::CredentialSource> TestCredentials();

// The production gateway in front of `upstream_url`: anonymous access, no
// metrics endpoint, defaults otherwise.
absl::StatusOr<std::unique_ptr<gateway::Gateway>> BuildGateway(const std::string& upstream_url) {
  gateway::GatewayConfig config;
  config.listen = "127.0.0.1:0";
  config.metrics_listen = "";
  config.allow_anonymous = true;
  config.upstream_url = upstream_url;
  gateway::GatewaySeams seams;
  seams.credentials = TestCredentials();
  return gateway::Gateway::Build(config, std::move(seams));
}

long RssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

std::shared_ptr<upstream::CredentialSource> TestCredentials() {
  return std::make_shared<upstream::StaticCredentialSource>(
      std::make_shared<const upstream::Credentials>("bench-user", "bench-pass", "bench-key"));
}

// Drives `issue` with `concurrency` calls outstanding for `duration`; each call
// reports its completion through the callback it is given. Returns latencies (ms).
using IssueFn = std::function<void(std::function<void(bool ok)> done)>;
std::vector<double> Drive(const IssueFn& issue, int concurrency, absl::Duration duration, long* errors) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<double> latencies;
  int outstanding = 0;
  const absl::Time end = absl::Now() + duration;
  std::function<void()> start_one;
  start_one = [&] {
    const auto t0 = Clock::now();
    issue([&, t0](bool ok) {
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      bool again = absl::Now() < end;
      {
        std::lock_guard<std::mutex> lock(mu);
        latencies.push_back(ms);
        if (!ok) ++*errors;
        if (!again) {
          --outstanding;
          cv.notify_all();
        }
      }
      if (again) start_one();  // keep the concurrency level; never under the lock
    });
  };
  {
    std::lock_guard<std::mutex> lock(mu);
    outstanding = concurrency;
  }
  for (int i = 0; i < concurrency; ++i) start_one();
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return outstanding == 0; });
  return latencies;
}

// One gRPC upload (metadata + 64 KiB chunks) via the callback client API.
class GrpcUpload : public grpc::ClientWriteReactor<v1::ReadRequest> {
 public:
  GrpcUpload(v1::KtpOcr::Stub* stub, const std::vector<v1::ReadRequest>* messages,
             std::function<void(bool)> done)
      : messages_(messages), done_(std::move(done)) {
    stub->async()->Read(&context_, &response_, this);
    Next();
    StartCall();
  }
  void OnWriteDone(bool ok) override {
    if (ok) Next();
  }
  void OnDone(const grpc::Status& status) override {
    auto done = std::move(done_);
    const bool ok = status.ok();
    delete this;
    done(ok);
  }

 private:
  void Next() {
    if (index_ >= messages_->size()) return;
    const v1::ReadRequest* message = &(*messages_)[index_++];
    if (index_ == messages_->size()) {
      StartWriteLast(message, grpc::WriteOptions());
    } else {
      StartWrite(message);
    }
  }
  grpc::ClientContext context_;
  v1::ReadResponse response_;
  const std::vector<v1::ReadRequest>* messages_;
  size_t index_ = 0;
  std::function<void(bool)> done_;
};

// A backend that answers at once on the calling thread: isolates the gRPC side.
class InstantBackend final : public backend::OcrBackend {
 public:
  std::shared_ptr<backend::OcrCall> Start(backend::OcrRequest, backend::OcrCallback done) override {
    backend::OcrResult result;
    result.status = v1::READ_STATUS_SUCCESS;
    std::move(done)(std::move(result));
    return nullptr;
  }
};

int Main(int argc, char** argv) {
  double seconds = 5;
  int concurrency = 8;
  int image_kb = 300;
  int held = 200;
  for (int i = 1; i < argc; ++i) {
    std::sscanf(argv[i], "--seconds=%lf", &seconds);
    std::sscanf(argv[i], "--concurrency=%d", &concurrency);
    std::sscanf(argv[i], "--image-kb=%d", &image_kb);
    std::sscanf(argv[i], "--held=%d", &held);
  }
  // A PNG header padded to the size: sniffs as png, costs the stand-in nothing to answer.
  std::string image = testing::FakePhotoJpeg();
  image.resize(static_cast<size_t>(image_kb) * 1024, '\0');
  std::memcpy(image.data(), "\x89PNG\r\n\x1a\n", 8);
  const std::string body = testing::BuildSuccessBody(testing::SyntheticIdentity::Default(), false);

  testing::EpollUpstream::Options fast_options;
  fast_options.body = body;
  testing::EpollUpstream fast(fast_options);
  if (!fast.Start()) return 1;

  // The direct client: the same async libcurl client, calling the upstream itself.
  upstream::CurlClientOptions client_options;
  client_options.base_url = fast.base_url();
  client_options.credentials = TestCredentials();
  auto direct = upstream::CurlOcrBackend::Create(client_options);
  // The gateway as it ships (Gateway::Build), with its own client instance.
  auto server = BuildGateway(fast.base_url());
  if (!direct.ok() || !server.ok()) return 1;
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string((*server)->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::KtpOcr::NewStub(channel);

  std::vector<v1::ReadRequest> messages(1);
  messages[0].mutable_metadata()->set_file_name("bench.png");
  for (size_t off = 0; off < image.size(); off += 64 * 1024) {
    messages.emplace_back().set_chunk(image.substr(off, 64 * 1024));
  }
  const absl::Cord image_cord(image);

  IssueFn direct_call = [&](std::function<void(bool)> done) {
    backend::OcrRequest request;
    request.image = image_cord;
    request.file_name = "bench.png";
    request.mime_type = "image/png";
    request.request_id = "bench";
    (*direct)->Start(std::move(request), [done = std::move(done)](absl::StatusOr<backend::OcrResult> r) {
      done(r.ok());
    });
  };
  IssueFn gateway_call = [&](std::function<void(bool)> done) {
    new GrpcUpload(stub.get(), &messages, std::move(done));
  };

  log::SetLevel(log::Level::kWarn);  // the access log would measure stdout, not the gateway
  std::printf("ktp-gateway serving-path benchmark: image %d KB, fast upstream on loopback\n", image_kb);
  long errors = 0;
  // Warm-up: connections, lazily started threads, allocator.
  Drive(direct_call, concurrency, absl::Seconds(1), &errors);
  Drive(gateway_call, concurrency, absl::Seconds(1), &errors);

  const absl::Duration phase = absl::Seconds(seconds);
  auto direct_serial = Drive(direct_call, 1, phase, &errors);
  auto gateway_serial = Drive(gateway_call, 1, phase, &errors);
  std::printf("\nlatency, concurrency 1 (%zu direct / %zu gateway calls)\n", direct_serial.size(),
              gateway_serial.size());
  std::printf("  direct   p50 %.3f ms  p99 %.3f ms\n", Percentile(direct_serial, 0.5),
              Percentile(direct_serial, 0.99));
  std::printf("  gateway  p50 %.3f ms  p99 %.3f ms\n", Percentile(gateway_serial, 0.5),
              Percentile(gateway_serial, 0.99));
  std::printf("  added    p50 %.3f ms  p99 %.3f ms   (targets: < 0.3 ms, < 1 ms)\n",
              Percentile(gateway_serial, 0.5) - Percentile(direct_serial, 0.5),
              Percentile(gateway_serial, 0.99) - Percentile(direct_serial, 0.99));

  // The gRPC face alone (no admission, no chain), for what gRPC itself costs.
  InstantBackend instant;
  service::GatewayServerOptions server_options;
  server_options.listen_address = "127.0.0.1:0";
  auto instant_server = service::GatewayServer::Start(server_options, &instant);
  auto instant_stub = v1::KtpOcr::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string((*instant_server)->port()), grpc::InsecureChannelCredentials()));
  IssueFn instant_call = [&](std::function<void(bool)> done) {
    new GrpcUpload(instant_stub.get(), &messages, std::move(done));
  };
  Drive(instant_call, concurrency, absl::Seconds(1), &errors);
  auto instant_serial = Drive(instant_call, 1, phase, &errors);
  auto instant_load = Drive(instant_call, concurrency, phase, &errors);
  std::printf("  gRPC only (instant backend): p50 %.3f ms, %.0f calls/s at concurrency %d\n",
              Percentile(instant_serial, 0.5), static_cast<double>(instant_load.size()) / seconds,
              concurrency);
  (*instant_server)->Shutdown(absl::Seconds(1));

  auto direct_load = Drive(direct_call, concurrency, phase, &errors);
  auto gateway_load = Drive(gateway_call, concurrency, phase, &errors);
  const double direct_rps = static_cast<double>(direct_load.size()) / seconds;
  const double gateway_rps = static_cast<double>(gateway_load.size()) / seconds;
  std::printf("\nthroughput, concurrency %d\n", concurrency);
  std::printf("  direct   %.0f calls/s  (p50 %.3f ms)\n", direct_rps, Percentile(direct_load, 0.5));
  std::printf("  gateway  %.0f calls/s  (p50 %.3f ms)\n", gateway_rps, Percentile(gateway_load, 0.5));
  std::printf("  ratio    %.1f%%   (target: >= 80%%)\n", 100.0 * gateway_rps / direct_rps);

  // Memory: hold `held` uploads in flight at a slow upstream and weigh them.
  testing::EpollUpstream::Options slow_options;
  slow_options.body = body;
  slow_options.delay = std::chrono::milliseconds(4000);
  testing::EpollUpstream slow(slow_options);
  if (!slow.Start()) return 1;
  auto slow_server = BuildGateway(slow.base_url());
  if (!slow_server.ok()) return 1;
  auto slow_stub = v1::KtpOcr::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string((*slow_server)->port()), grpc::InsecureChannelCredentials()));
  absl::SleepFor(absl::Milliseconds(300));
  const long rss_before = RssKb();
  std::atomic<int> finished{0};
  for (int i = 0; i < held; ++i) {
    new GrpcUpload(slow_stub.get(), &messages, [&](bool) { finished++; });
  }
  long peak = rss_before;
  const absl::Time until = absl::Now() + absl::Seconds(10);
  while (slow.held() < held && absl::Now() < until) {
    peak = std::max(peak, RssKb());
    absl::SleepFor(absl::Milliseconds(10));
  }
  peak = std::max(peak, RssKb());
  const double image_mb = static_cast<double>(image.size()) * held / (1024.0 * 1024.0);
  const double growth_mb = static_cast<double>(peak - rss_before) / 1024.0;
  std::printf("\nmemory, %d uploads of %d KB held in flight (%ld reached the upstream)\n", held, image_kb,
              slow.held());
  std::printf("  RSS growth %.1f MB for %.1f MB of images = %.2f copies per image (target: about 1)\n",
              growth_mb, image_mb, growth_mb / image_mb);
  while (finished.load() < held && absl::Now() < until + absl::Seconds(10)) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  std::printf("\nerrors: %ld\n", errors);
  (*slow_server)->Shutdown(absl::Seconds(1));
  (*server)->Shutdown(absl::Seconds(1));
  return errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace ktp::bench

int main(int argc, char** argv) { return ktp::bench::Main(argc, argv); }
