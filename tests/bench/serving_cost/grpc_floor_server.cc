// The floor of the gateway's serving cost (scripts/serving_cost_bench.sh, case
// "grpc_floor"): a gRPC callback server on the same gRPC/protobuf build that
// receives the same client-streamed upload and answers a canned ReadResponse,
// with nothing else — no upstream call, no admission, no metrics, no budget.
// Whatever CPU it spends per call, ktp-gateway cannot spend less with this
// gRPC; the rest of the gateway's cost is measured against it.
//
//   grpc_floor_server [--raw]     prints {"port":N} on stdout, serves until SIGTERM
//
// --raw registers Read as a raw method: the upload arrives as grpc::ByteBuffer
// slices adopted into an absl::Cord (no protobuf `bytes` parse copy), the lever
// of issue 14 measured at its best case.
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/byte_buffer.h>

#include <csignal>
#include <cstdio>
#include <cstring>
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

// Reads ReadRequest messages; chunks move into a Cord as the gateway's assembler does.
class ProtoReactor final : public grpc::ServerReadReactor<ReadRequest> {
 public:
  explicit ProtoReactor(ReadResponse* response) : response_(response) { StartRead(&request_); }
  void OnReadDone(bool ok) override {
    if (!ok) {
      *response_ = CannedResponse();
      Finish(image_.empty() ? grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no image") : grpc::Status::OK);
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
      Finish(image_.empty() ? grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no image") : s);
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
  const bool raw = argc > 1 && std::strcmp(argv[1], "--raw") == 0;
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
