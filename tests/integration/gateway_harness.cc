// Harness implementation.
#include "tests/integration/gateway_harness.h"

#include <condition_variable>
#include <mutex>
#include <grpcpp/generic/generic_stub.h>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <httplib.h>

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

}  // namespace ktp::testing
