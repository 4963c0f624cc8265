// Harness implementation.
#include "tests/integration/gateway_harness.h"

#include <grpcpp/generic/generic_stub.h>
#include <stdlib.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "upstream/credentials.h"

namespace ktp::testing {

std::string ReadRepoFile(const std::string& relative_path) {
  std::ifstream in(std::string(KTP_SOURCE_DIR) + "/" + relative_path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

gateway::GatewayConfig TestGatewayConfig() {
  gateway::GatewayConfig config;
  config.listen = "127.0.0.1:0";
  config.metrics_listen = "127.0.0.1:0";
  config.upstream_url = "";
  config.allow_anonymous = true;
  config.upstream_timeout = absl::Seconds(30);
  config.connect_timeout = absl::Seconds(2);
  // concurrency_test runs 1,000 calls right after a warm-up call that may not
  // have left its reactor yet.
  config.max_concurrent_calls = 0;
  config.upstream_retry_max_attempts = 1;
  config.breaker_consecutive_failures = 1 << 30;
  config.breaker_min_requests = 1 << 30;
  config.shutdown_grace = absl::ZeroDuration();
  return config;
}

GatewayHarness::GatewayHarness(HarnessOptions options) {
  if (!fake_.Start().ok()) std::abort();
  if (options.config.upstream_url.empty()) options.config.upstream_url = fake_.base_url();
  gateway::GatewaySeams seams;
  seams.clock = options.clock;
  // With --credentials-dir the production vault loads them (and reports to metrics).
  if (options.config.credentials_dir.empty()) seams.credentials = options.credentials
                          ? options.credentials
                          : std::make_shared<upstream::StaticCredentialSource>(
                                std::make_shared<const upstream::Credentials>("test-user", "test-pass",
                                                                              "test-api-key"));
  auto built = gateway::Gateway::Build(options.config, std::move(seams));
  if (!built.ok()) {
    ADD_FAILURE() << "Gateway::Build: " << built.status();
    std::abort();
  }
  gateway_ = *std::move(built);
  port_ = gateway_->port();
  channel_ = grpc::CreateChannel(target(), grpc::InsecureChannelCredentials());
  stub_ = v1::KtpOcr::NewStub(channel_);
}

GatewayHarness::~GatewayHarness() {
  Shutdown(absl::ZeroDuration());
  fake_.Stop();
}

void GatewayHarness::Shutdown(absl::Duration grace) {
  if (gateway_) gateway_->Shutdown(grace);
}

std::string GatewayHarness::target() const { return "127.0.0.1:" + std::to_string(port_); }

std::string GatewayHarness::ScrapeMetrics() {
  httplib::Client client("127.0.0.1", gateway_->metrics_port());
  client.set_read_timeout(5, 0);
  auto result = client.Get("/metrics");
  if (!result || result->status != 200) {
    ADD_FAILURE() << "GET /metrics failed";
    return "";
  }
  return result->body;
}

namespace {

template <typename Request, typename Writer>
grpc::Status Stream(Writer writer, const UploadSpec& spec) {
  Request request;
  if (spec.send_metadata) {
    *request.mutable_metadata() = spec.metadata;
    if (!writer->Write(request)) return writer->Finish();
  }
  for (size_t offset = 0; offset < spec.image.size(); offset += spec.chunk_size) {
    request.Clear();
    request.set_chunk(spec.image.substr(offset, spec.chunk_size));
    // A false Write means the server already finished: Finish() reports why.
    if (!writer->Write(request)) break;
  }
  writer->WritesDone();
  return writer->Finish();
}

}  // namespace

grpc::Status UploadRead(v1::KtpOcr::Stub& stub, grpc::ClientContext& context, const UploadSpec& spec,
                        v1::ReadResponse* response) {
  return Stream<v1::ReadRequest>(stub.Read(&context, response), spec);
}

grpc::Status UploadReadWithQualities(v1::KtpOcr::Stub& stub, grpc::ClientContext& context,
                                     const UploadSpec& spec, v1::ReadWithQualitiesResponse* response) {
  return Stream<v1::ReadWithQualitiesRequest>(stub.ReadWithQualities(&context, response), spec);
}

google::rpc::Status RpcStatusOf(const grpc::Status& status) {
  google::rpc::Status rpc;
  rpc.ParseFromString(status.error_details());
  return rpc;
}

namespace {
template <typename Message>
std::optional<Message> Detail(const grpc::Status& status) {
  const google::rpc::Status rpc = RpcStatusOf(status);  // the loop must not outlive it
  for (const auto& any : rpc.details()) {
    Message message;
    if (any.Is<Message>() && any.UnpackTo(&message)) return message;
  }
  return std::nullopt;
}
}  // namespace

std::optional<google::rpc::ErrorInfo> ErrorInfoOf(const grpc::Status& s) { return Detail<google::rpc::ErrorInfo>(s); }
std::optional<google::rpc::RetryInfo> RetryInfoOf(const grpc::Status& s) { return Detail<google::rpc::RetryInfo>(s); }
std::optional<google::rpc::BadRequest> BadRequestOf(const grpc::Status& s) { return Detail<google::rpc::BadRequest>(s); }

int HealthStatus(const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
  std::string request;  // HealthCheckRequest{service}: field 1, string
  request.push_back(0x0a);
  request.push_back(static_cast<char>(service.size()));
  request += service;
  grpc::GenericStub generic(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Slice slice(request);
  grpc::ByteBuffer send(&slice, 1), receive;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  generic.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &send, &receive,
                    [&](grpc::Status s) {
                      std::lock_guard<std::mutex> lock(mu);
                      status = s;
                      done = true;
                      cv.notify_one();
                    });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  if (!status.ok()) return -1;
  std::vector<grpc::Slice> slices;
  if (!receive.Dump(&slices).ok()) return -1;
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  if (bytes.empty()) return 0;  // UNKNOWN is the proto default, encoded as nothing
  return bytes.size() == 2 && bytes[0] == 0x08 ? bytes[1] : -1;
}

std::string InitialMetadata(const grpc::ClientContext& context, const std::string& key) {
  const auto& md = context.GetServerInitialMetadata();
  auto it = md.find(key);
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

namespace {
// `name{a="x",b="y"}` as its name and its labels in a canonical (sorted) order,
// so series compare whatever order the exposition prints labels in. Label
// values here never hold commas or quotes.
std::string CanonicalSeries(absl::string_view series) {
  const size_t brace = series.find('{');
  if (brace == absl::string_view::npos || series.back() != '}') return std::string(series);
  std::vector<std::string> labels =
      absl::StrSplit(series.substr(brace + 1, series.size() - brace - 2), ',', absl::SkipEmpty());
  std::sort(labels.begin(), labels.end());
  return absl::StrCat(series.substr(0, brace), "{", absl::StrJoin(labels, ","), "}");
}
}  // namespace

double SeriesValue(const std::string& exposition, const std::string& series) {
  const std::string want = CanonicalSeries(series);
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == absl::string_view::npos || CanonicalSeries(line.substr(0, space)) != want) continue;
    double value = 0;
    if (absl::SimpleAtod(line.substr(space + 1), &value)) return value;
  }
  return -1;
}

double WaitForSeries(GatewayHarness& h, const std::string& series, double want) {
  double value = -1;
  const absl::Time end = absl::Now() + absl::Seconds(5);
  do {
    value = SeriesValue(h.ScrapeMetrics(), series);
    if (value == want) return value;
    absl::SleepFor(absl::Milliseconds(50));
  } while (absl::Now() < end);
  return value;
}

TempDir::TempDir() {
  char pattern[] = "/tmp/ktp-test-XXXXXX";
  path_ = mkdtemp(pattern);
}

TempDir::~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }

void TempDir::Write(const std::string& name, const std::string& content) const {
  const std::string tmp = path_ + "/." + name + ".tmp";
  std::ofstream(tmp, std::ios::trunc) << content;
  ASSERT_EQ(std::rename(tmp.c_str(), (path_ + "/" + name).c_str()), 0);
}

}  // namespace ktp::testing
