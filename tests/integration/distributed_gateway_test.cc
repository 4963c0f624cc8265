// The acceptance test of the distributed limiter: three real ktp-gateway
// processes share one global upstream limit through a real redis-server under
// concurrent load, and the upstream sees no more than R·t + burst requests and
// no fewer than 90% of R·t. A second test kills Redis mid-load and shows the
// fail-closed policy (typed UNAVAILABLE), then recovery once Redis is back.
#include <atomic>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "access/access_policy.h"
#include "tests/integration/gateway_harness.h"
#include "tests/support/epoll_upstream.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"

namespace ktp::testing {
namespace {

constexpr char kKey[] = "ktp_synthetic-distributed-test-key-0000000000000";
constexpr double kRate = 20;  // upstream requests per second, all replicas together
constexpr double kBurst = 5;

class DistributedGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    EpollUpstream::Options options;
    options.body = BuildSuccessBody(SyntheticIdentity::Default(), false);
    upstream_ = std::make_unique<EpollUpstream>(options);
    ASSERT_TRUE(upstream_->Start());
    char dir_template[] = "/tmp/ktp-dist-XXXXXX";
    dir_ = mkdtemp(dir_template);
    for (auto [name, value] : {std::pair{"username", "u"}, std::pair{"password", "p"}, std::pair{"api_key", "k"}}) {
      std::ofstream(dir_ + "/" + name) << value;
    }
    std::ofstream(dir_ + "/access.json")
        << R"({"tenants":[{"name":"load"}],"clients":[{"id":"load-client","tenant":"load","apiKeySha256":")"
        << access::Sha256Hex(kKey) << R"("}],"globalLimits":{"upstreamRateLimit":{"requestsPerSecond":)" << kRate
        << R"(,"burst":)" << kBurst << "}}}";
  }
  void TearDown() override {
    gateways_.clear();
    upstream_->Stop();
    std::system(("rm -rf " + dir_).c_str());
  }

  // Starts three gateways sharing Redis; returns their ports (empty on failure).
  std::vector<int> StartGateways(const std::string& failure_policy) {
    std::vector<int> ports;
    for (int i = 0; i < 3; ++i) {
      auto gateway = std::make_unique<Process>(std::vector<std::string>{
          KTP_GATEWAY_BIN, "--listen=127.0.0.1:0", "--metrics-listen=127.0.0.1:0",
          "--upstream-url=" + upstream_->base_url(), "--credentials-dir=" + dir_,
          "--config-file=" + dir_ + "/access.json",
          absl::StrCat("--redis-url=redis://127.0.0.1:", redis_->port()), "--redis-failure-policy=" + failure_policy,
          "--expected-replicas=3", "--upstream-retry-max-attempts=1"});
      const int port = gateway->WaitForGatewayPort();
      if (port == 0) {
        ADD_FAILURE() << gateway->Output();
        return {};
      }
      ports.push_back(port);
      gateways_.push_back(std::move(gateway));
    }
    return ports;
  }

  struct LoadResult {
    std::atomic<long> ok{0}, limited{0}, unavailable{0}, other{0};
  };

  // Runs `threads_per_gateway` synchronous callers against each gateway until `end`.
  // Over-limit answers are cheap, so callers pause 5 ms after one (as a polite client would).
  void RunLoad(const std::vector<int>& ports, int threads_per_gateway, absl::Time end, LoadResult* result) {
    std::vector<std::thread> threads;
    const std::string image = ReadRepoFile("samples/ktp-synthetic.png").substr(0, 2048);
    for (int port : ports) {
      for (int t = 0; t < threads_per_gateway; ++t) {
        threads.emplace_back([&, port] {
          auto stub = v1::KtpOcr::NewStub(
              grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
          UploadSpec spec;
          spec.image = image;
          while (absl::Now() < end) {
            grpc::ClientContext context;
            context.AddMetadata("authorization", std::string("Bearer ") + kKey);
            context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
            v1::ReadResponse response;
            grpc::Status status = UploadRead(*stub, context, spec, &response);
            if (status.ok()) {
              result->ok++;
              continue;
            }
            if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
              result->limited++;
            } else if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
                       ErrorInfoOf(status).value_or(google::rpc::ErrorInfo()).reason() ==
                           "RATE_LIMITER_UNAVAILABLE") {
              result->unavailable++;
            } else {
              result->other++;
            }
            absl::SleepFor(absl::Milliseconds(5));
          }
        });
      }
    }
    for (auto& t : threads) t.join();
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<EpollUpstream> upstream_;
  std::string dir_;
  std::vector<std::unique_ptr<Process>> gateways_;
};

TEST_F(DistributedGatewayTest, ThreeReplicasHoldTheGlobalUpstreamLimit) {
  const std::vector<int> ports = StartGateways("local_fallback");
  ASSERT_EQ(ports.size(), 3u);
  LoadResult result;
  const long before = upstream_->requests_received();
  const absl::Time start = absl::Now();
  RunLoad(ports, 4, start + absl::Seconds(6), &result);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const long seen = upstream_->requests_received() - before;
  std::printf("%.2f s: upstream saw %ld requests (limit %.0f/s + burst %.0f → at most %.0f); callers: %ld ok, "
              "%ld rate-limited, %ld other\n",
              seconds, seen, kRate, kBurst, kRate * seconds + kBurst, result.ok.load(), result.limited.load(),
              result.other.load());
  EXPECT_LE(seen, static_cast<long>(kRate * seconds + kBurst));
  EXPECT_GE(seen, static_cast<long>(0.9 * kRate * seconds));
  EXPECT_EQ(result.ok.load(), seen);
  EXPECT_GT(result.limited.load(), 0) << "the load must exceed the limit for the test to mean anything";
  EXPECT_EQ(result.other.load(), 0);
}

TEST_F(DistributedGatewayTest, RedisOutageFailsClosedThenRecovers) {
  const std::vector<int> ports = StartGateways("fail_closed");
  ASSERT_EQ(ports.size(), 3u);
  // Kill and restart Redis from this thread: redis_server's child dies with the
  // thread that started it (PR_SET_PDEATHSIG), so a helper thread must not.
  const absl::Time start = absl::Now();
  LoadResult before_kill, outage, after;
  std::thread load([&] {
    RunLoad(ports, 1, start + absl::Seconds(1.8), &before_kill);
    RunLoad(ports, 1, start + absl::Seconds(3.3), &outage);
  });
  absl::SleepFor(start + absl::Seconds(2) - absl::Now());
  redis_->Kill();
  absl::SleepFor(start + absl::Seconds(3.5) - absl::Now());
  ASSERT_TRUE(redis_->Restart().ok());
  load.join();
  absl::SleepFor(absl::Milliseconds(1500));  // reconnect backoff
  RunLoad(ports, 1, absl::Now() + absl::Seconds(2), &after);
  std::printf("before: %ld ok; outage: %ld ok, %ld RATE_LIMITER_UNAVAILABLE; after: %ld ok, %ld limited, %ld unavailable\n",
              before_kill.ok.load(), outage.ok.load(), outage.unavailable.load(), after.ok.load(),
              after.limited.load(), after.unavailable.load());
  EXPECT_GT(before_kill.ok.load(), 0);
  EXPECT_GT(outage.unavailable.load(), 0) << "fail_closed must refuse calls while Redis is down";
  EXPECT_GT(after.ok.load(), 0) << "decisions must come back once Redis is up";
  if (after.ok.load() == 0) {
    std::string out = gateways_[0]->Output(), lines;
    for (absl::string_view line : absl::StrSplit(out, '\n')) {
      if (absl::StrContains(line, "redis")) lines += std::string(line) + "\n";
    }
    ADD_FAILURE() << "gateway 0 said:\n" << lines;
  }
  EXPECT_EQ(before_kill.other.load() + outage.other.load() + after.other.load(), 0);
}

}  // namespace
}  // namespace ktp::testing
