// Harness implementation.
#include "tests/integration/gateway_harness.h"

#include <condition_variable>
#include <mutex>
#include <grpcpp/generic/generic_stub.h>
#include <fstream>
#include <sstream>

#include "upstream/credentials.h"

namespace ktp::testing {

std::string ReadRepoFile(const std::string& relative_path) {
  std::ifstream in(std::string(KTP_SOURCE_DIR) + "/" + relative_path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

GatewayHarness::GatewayHarness(HarnessOptions options) {
  if (!fake_.Start().ok()) std::abort();
  upstream::CurlClientOptions client;
  client.base_url = options.upstream_url.empty() ? fake_.base_url() : options.upstream_url;
  client.credentials = options.credentials
                           ? options.credentials
                           : std::make_shared<upstream::StaticCredentialSource>(
                                 std::make_shared<const upstream::Credentials>("test-user", "test-pass",
                                                                               "test-api-key"));
  client.max_call_timeout = options.max_call_duration;
  client.max_response_bytes = options.max_response_bytes;
  client.connect_timeout = options.connect_timeout;
  client.observer = options.upstream_observer;
  auto backend = upstream::CurlOcrBackend::Create(std::move(client));
  if (!backend.ok()) std::abort();
  backend_ = *std::move(backend);
  upstream::OcrBackend* serving = backend_.get();
  if (options.breaker) {
    upstream::CircuitBreakingBackendOptions breaker;
    breaker.breaker = *options.breaker;
    breaking_ = std::make_unique<upstream::CircuitBreakingBackend>(serving, breaker);
    serving = breaking_.get();
  }
  if (options.retry) {
    scheduler_ = std::make_unique<upstream::TimerQueueScheduler>(&timers_);
    upstream::RetryingBackendOptions retry;
    retry.policy = *options.retry;
    retry.observer = options.upstream_observer;
    retry.scheduler = scheduler_.get();
    retrying_ = std::make_unique<upstream::RetryingBackend>(serving, retry);
    serving = retrying_.get();
  }
  service::GatewayServerOptions server_options;
  server_options.listen_address = "127.0.0.1:0";
  server_options.limits = options.limits;
  server_options.max_call_duration = options.max_call_duration;
  server_options.observer = options.observer;
  // No concurrency cap unless a test sets one: concurrency_test runs 1,000
  // calls right after a warm-up call that may not have left its reactor yet.
  server_options.max_concurrent_calls = 0;
  if (options.configure_server) options.configure_server(server_options);
  auto server = service::GatewayServer::Start(server_options, serving);
  if (!server.ok()) std::abort();
  server_ = *std::move(server);
  channel_ = grpc::CreateChannel(target(), grpc::InsecureChannelCredentials());
  stub_ = v1::KtpOcr::NewStub(channel_);
}

GatewayHarness::~GatewayHarness() {
  Shutdown(absl::ZeroDuration());
  fake_.Stop();
}

void GatewayHarness::Shutdown(absl::Duration grace) {
  if (server_) server_->Shutdown(grace);
  server_.reset();
  retrying_.reset();
  breaking_.reset();
  backend_.reset();
}

std::string GatewayHarness::target() const {
  return "127.0.0.1:" + std::to_string(server_->port());
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
