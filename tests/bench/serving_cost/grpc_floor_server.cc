// The floor of the gateway's serving cost (scripts/serving_cost_bench.sh, case
// "grpc_floor"): a gRPC callback server on the same gRPC/protobuf build that
// receives the same client-streamed upload and answers a canned ReadResponse,
// with nothing else — no upstream call, no admission, no metrics, no budget.
// Whatever CPU it spends per call, ktp-gateway cannot spend less with this
// gRPC; the rest of the gateway's cost is measured against it.
//
//   grpc_floor_server [--raw] [--hold-ms=N]   prints {"port":N} on stdout, serves until SIGTERM
//
// --hold-ms answers each call N ms after its upload ended (one thread holds
// them all, in order), so the bench can measure the memory it holds per call.
// --raw registers Read as a raw method: the upload arrives as grpc::ByteBuffer
// slices adopted into an absl::Cord (no protobuf `bytes` parse copy), the lever
// of issue 14 measured at its best case.
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/byte_buffer.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <memory>
#include <vector>

#include "absl/strings/cord.h"
#include "ktp/v1/ktp_ocr.grpc.pb.h"

namespace {

using ktp::v1::KtpOcr;
using ktp::v1::ReadRequest;
using ktp::v1::ReadResponse;

// About the size of the gateway's answer to the bench's canned upstream JSON.
ReadResponse CannedResponse() {
  ReadResponse r;
  r.set_status(ktp::v1::READ_STATUS_SUCCESS);
  r.set_reason("File Successfully Read");
  r.set_document(ktp::v1::DOCUMENT_VERDICT_KTP);
  r.set_engine(ktp::v1::ENGINE_UPSTREAM);
  r.set_request_id("0f4c9a57-6a4e-4a8e-9d0c-2b7f3c1e5a90");
  r.set_upstream_request_id("upstream-request-id-bench");
  auto* card = r.mutable_card();
  for (auto* field : {card->mutable_nik(), card->mutable_name(), card->mutable_birth_place(),
                      card->mutable_birth_date(), card->mutable_sex(), card->mutable_address(),
                      card->mutable_rt_rw(), card->mutable_village(), card->mutable_district(),
                      card->mutable_religion(), card->mutable_marital_status()}) {
    field->set_value("SYNTHETIC VALUE");
    field->set_confidence(99.5f);
  }
  return r;
}

// Runs each call's answer `hold` after it was handed over, on one thread. The
// hold is the same for every call, so a FIFO is in due order.
class Holder {
 public:
  explicit Holder(std::chrono::milliseconds hold) : hold_(hold) {
    if (hold_.count() > 0) thread_ = std::thread([this] { Run(); });
  }
  ~Holder() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }
  void Answer(std::function<void()> finish) {
    if (hold_.count() == 0) {
      finish();
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      due_.emplace_back(std::chrono::steady_clock::now() + hold_, std::move(finish));
    }
    cv_.notify_one();
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      if (due_.empty()) {
        cv_.wait(lock);
        continue;
      }
      if (cv_.wait_until(lock, due_.front().first) == std::cv_status::no_timeout) continue;
      std::function<void()> finish = std::move(due_.front().second);
      due_.pop_front();
      lock.unlock();
      finish();
      lock.lock();
    }
  }

  const std::chrono::milliseconds hold_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::function<void()>>> due_;
  bool stop_ = false;
  std::thread thread_;
};

Holder* g_holder = nullptr;

// Reads ReadRequest messages; chunks move into a Cord as the gateway's assembler does.
class ProtoReactor final : public grpc::ServerReadReactor<ReadRequest> {
 public:
  explicit ProtoReactor(ReadResponse* response) : response_(response) { StartRead(&request_); }
  void OnReadDone(bool ok) override {
    if (!ok) {
      *response_ = CannedResponse();
      g_holder->Answer([this] {
        Finish(image_.empty() ? grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no image") : grpc::Status::OK);
      });
      return;
    }
    if (request_.has_chunk()) image_.Append(std::move(*request_.mutable_chunk()));
    request_.Clear();
    StartRead(&request_);
  }
  void OnDone() override { delete this; }

 private:
  ReadResponse* const response_;
  ReadRequest request_;
  absl::Cord image_;
};

// Reads raw messages and keeps their slices (referenced, not copied) in a Cord.
class RawReactor final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  explicit RawReactor(grpc::ByteBuffer* response) : response_(response) { StartRead(&request_); }
  void OnReadDone(bool ok) override {
    if (!ok) {
      grpc::Status s = grpc::GenericSerialize<grpc::ProtoBufferWriter, ReadResponse>(
          CannedResponse(), response_, &own_);
      g_holder->Answer([this, s] {
        Finish(image_.empty() ? grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no image") : s);
      });
      return;
    }
    std::vector<grpc::Slice> slices;
    if (request_.Dump(&slices).ok()) {
      for (grpc::Slice& slice : slices) {
        auto* held = new grpc::Slice(std::move(slice));
        image_.Append(absl::MakeCordFromExternal(
            absl::string_view(reinterpret_cast<const char*>(held->begin()), held->size()),
            [held](absl::string_view) { delete held; }));
      }
    }
    request_.Clear();
    StartRead(&request_);
  }
  void OnDone() override { delete this; }

 private:
  grpc::ByteBuffer* const response_;
  grpc::ByteBuffer request_;
  absl::Cord image_;
  bool own_ = false;
};

class ProtoService final : public KtpOcr::CallbackService {
  grpc::ServerReadReactor<ReadRequest>* Read(grpc::CallbackServerContext*, ReadResponse* response) override {
    return new ProtoReactor(response);
  }
};

class RawService final : public KtpOcr::WithRawCallbackMethod_Read<KtpOcr::CallbackService> {
  grpc::ServerReadReactor<grpc::ByteBuffer>* Read(grpc::CallbackServerContext*,
                                                   grpc::ByteBuffer* response) override {
    return new RawReactor(response);
  }
};

volatile std::sig_atomic_t g_stop = 0;

}  // namespace

int main(int argc, char** argv) {
  bool raw = false;
  long hold_ms = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--raw") == 0) {
      raw = true;
    } else if (std::strncmp(argv[i], "--hold-ms=", 10) == 0) {
      hold_ms = std::strtol(argv[i] + 10, nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: grpc_floor_server [--raw] [--hold-ms=N]\n");
      return 2;
    }
  }
  Holder holder{std::chrono::milliseconds(hold_ms)};
  g_holder = &holder;
  ProtoService proto_service;
  RawService raw_service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  if (raw) {
    builder.RegisterService(&raw_service);
  } else {
    builder.RegisterService(&proto_service);
  }
  builder.SetMaxReceiveMessageSize((4 << 20) + 64 * 1024);  // the gateway's default chunk cap
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "grpc_floor_server: cannot listen\n");
    return 1;
  }
  std::printf("{\"port\":%d,\"metrics_port\":0,\"mode\":\"%s\"}\n", port, raw ? "raw" : "proto");
  std::fflush(stdout);
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  std::signal(SIGINT, [](int) { g_stop = 1; });
  while (!g_stop) pause();
  server->Shutdown();
  return 0;
}
