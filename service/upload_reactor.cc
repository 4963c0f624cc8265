// Upload reactor (template over the two RPCs' request and response types).
//
// Thread model: gRPC runs OnReadDone/OnCancel on its callback threads; the
// backend runs the completion on its own thread. The reactor finishes exactly
// once (finished_ flag) and never touches itself after Finish(), since gRPC
// may delete it (OnDone) right away.
#include "service/upload_reactor.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/error_details.h"
#include "common/log.h"
#include "service/grpc_status.h"
#include "service/request_id.h"

namespace ktp::service {

const char* MethodName(Method method) {
  return method == Method::kRead ? "Read" : "ReadWithQualities";
}

namespace {

std::optional<absl::string_view> FindMetadata(const grpc::CallbackServerContext& context,
                                              absl::string_view key) {
  const auto& md = context.client_metadata();
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) return std::nullopt;
  return absl::string_view(it->second.data(), it->second.size());
}

// W3C trace context is forwarded verbatim when it looks like trace context.
bool IsForwardableTraceHeader(absl::string_view value) {
  if (value.empty() || value.size() > 512) return false;
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

template <typename Request, typename Response>
class UploadReactor final : public grpc::ServerReadReactor<Request> {
 public:
  UploadReactor(grpc::CallbackServerContext* context, Response* response, const CallEnvironment& env,
                Method method)
      : context_(context), response_(response), env_(env), method_(method),
        assembler_(env.limits), started_(absl::Now()) {
    env_.active_calls->fetch_add(1, std::memory_order_relaxed);
    if (env_.observer != nullptr) env_.observer->OnCallStarted(method_);
    bool replaced = false;
    request_id_ = ResolveRequestId(FindMetadata(*context_, "x-request-id"), &replaced);
    context_->AddInitialMetadata("x-request-id", request_id_);
    if (replaced) log::Debug("replaced an invalid x-request-id", {{"request_id", request_id_}});
    if (env_.admission == nullptr) {
      this->StartRead(&request_);
      return;
    }
    // Admission first: an unknown or throttled caller must not get to upload.
    AdmissionRequest admission;
    admission.method = method_;
    admission.context = context_;
    admission.deadline = absl::FromChrono(context_->deadline());
    env_.admission->Admit(admission, [this](absl::StatusOr<CallerIdentity> identity) {
      if (!identity.ok()) {
        FinishWithError(identity.status());
        return;
      }
      identity_ = *std::move(identity);
      this->StartRead(&request_);
    });
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // Half-close (upload complete) or a broken/cancelled stream.
      if (context_->IsCancelled()) {
        FinishWithError(MakeError(absl::StatusCode::kCancelled, "CANCELLED", "the call was cancelled"));
        return;
      }
      absl::StatusOr<Upload> upload = assembler_.Finish();
      if (!upload.ok()) {
        FinishWithError(upload.status());
        return;
      }
      CallBackend(*std::move(upload));
      return;
    }
    absl::Status status;
    switch (request_.payload_case()) {
      case Request::kMetadata:
        status = assembler_.OnMetadata(request_.metadata());
        break;
      case Request::kChunk:
        status = assembler_.OnChunk(std::move(*request_.mutable_chunk()));
        break;
      default:
        status = assembler_.OnEmptyMessage();
    }
    if (env_.observer != nullptr) env_.observer->OnMessageReceived(method_);
    if (!status.ok()) {
      // Stop reading: gRPC discards what the client still sends.
      FinishWithError(status);
      return;
    }
    request_.Clear();
    this->StartRead(&request_);
  }

  void OnCancel() override {
    cancelled_.store(true, std::memory_order_seq_cst);
    if (upstream::OcrCall* call = call_raw_.load(std::memory_order_seq_cst)) call->Cancel();
  }

  void OnDone() override {
    env_.active_calls->fetch_sub(1, std::memory_order_relaxed);
    delete this;
  }

 private:
  void CallBackend(Upload upload) {
    upstream::OcrRequest request;
    request.endpoint = method_ == Method::kRead ? upstream::Endpoint::kRead
                                                : upstream::Endpoint::kReadWithQualities;
    request.credential_set = identity_.credential_set;
    request.image = std::move(upload.image);
    request.file_name = std::move(upload.file_name);
    request.mime_type = std::move(upload.mime_type);
    request.options = upload.options;
    request.request_id = request_id_;
    image_bytes_ = request.image.size();
    const absl::Time cap = absl::Now() + env_.max_call_duration;
    const absl::Time deadline = absl::FromChrono(context_->deadline());
    request.deadline = std::min(cap, deadline);
    for (absl::string_view name : {"traceparent", "tracestate"}) {
      if (auto value = FindMetadata(*context_, name); value && IsForwardableTraceHeader(*value)) {
        request.forward_headers.emplace_back(std::string(name), std::string(*value));
      }
    }
    // The completion may run inline (before Start returns) or on the backend thread.
    call_ = env_.backend->Start(std::move(request), [this](absl::StatusOr<upstream::OcrResult> result) {
      OnBackendDone(std::move(result));
    });
    call_raw_.store(call_.get(), std::memory_order_seq_cst);
    if (cancelled_.load(std::memory_order_seq_cst)) call_->Cancel();
  }

  void OnBackendDone(absl::StatusOr<upstream::OcrResult> result) {
    if (!result.ok()) {
      FinishWithError(result.status());
      return;
    }
    upstream::OcrResult& r = *result;
    if (!r.upstream_request_id.empty()) {
      context_->AddInitialMetadata("x-upstream-request-id", r.upstream_request_id);
    }
    response_->set_status(r.status);
    response_->set_reason(std::move(r.reason));
    *response_->mutable_card() = std::move(r.card);
    *response_->mutable_images() = std::move(r.images);
    response_->set_request_id(request_id_);
    response_->set_upstream_request_id(std::move(r.upstream_request_id));
    if constexpr (std::is_same_v<Response, v1::ReadWithQualitiesResponse>) {
      if (r.has_qualities) *response_->mutable_qualities() = std::move(r.qualities);
    }
    Report(absl::OkStatus(), response_->upstream_request_id(), r.status);
    FinishOnce(grpc::Status::OK);
  }

  void FinishWithError(const absl::Status& status) {
    std::string upstream_id;
    if (auto info = GetErrorInfo(status)) {
      auto it = info->metadata().find("upstreamRequestId");
      if (it != info->metadata().end()) upstream_id = it->second;
    }
    if (!upstream_id.empty()) context_->AddInitialMetadata("x-upstream-request-id", upstream_id);
    Report(status, upstream_id, v1::READ_STATUS_UNSPECIFIED);
    FinishOnce(ToGrpcStatus(status));
  }

  // Access log line and observer, once per call.
  void Report(const absl::Status& status, absl::string_view upstream_id, v1::ReadStatus document_status) {
    const absl::Duration latency = absl::Now() - started_;
    const size_t bytes = image_bytes_ ? image_bytes_ : assembler_.bytes_received();
    const std::string reason = ErrorReason(status);
    if (env_.observer != nullptr) {
      CallSummary summary;
      summary.method = method_;
      summary.code = status.code();
      summary.reason = reason;
      summary.document_status = document_status;
      summary.latency = latency;
      summary.image_bytes = bytes;
      summary.tenant = identity_.tenant;
      env_.observer->OnCallFinished(summary);
    }
    const log::Level level = status.ok() ? log::Level::kInfo : log::Level::kWarn;
    if (!log::Enabled(level)) return;
    log::Write(level, "call finished",
               {{"request_id", request_id_},
                {"upstream_request_id", upstream_id},
                {"method", MethodName(method_)},
                {"tenant", identity_.tenant},
                {"client_id", identity_.client_id},
                {"grpc_code", absl::StatusCodeToString(status.code())},
                {"reason", reason},
                {"document_status",
                 status.ok() ? v1::ReadStatus_Name(document_status) : std::string()},
                {"image_bytes", static_cast<unsigned long>(bytes)},
                {"latency_ms", absl::ToDoubleMilliseconds(latency)}});
  }

  void FinishOnce(const grpc::Status& status) {
    if (finished_.exchange(true, std::memory_order_acq_rel)) return;
    this->Finish(status);  // `this` may be deleted from here on.
  }

  grpc::CallbackServerContext* const context_;
  Response* const response_;
  const CallEnvironment& env_;
  const Method method_;
  UploadAssembler assembler_;
  const absl::Time started_;
  Request request_;
  std::string request_id_;
  CallerIdentity identity_;  // set once admitted, before the first read
  size_t image_bytes_ = 0;
  std::shared_ptr<upstream::OcrCall> call_;
  std::atomic<upstream::OcrCall*> call_raw_{nullptr};
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> finished_{false};
};

}  // namespace

grpc::ServerReadReactor<v1::ReadRequest>* NewReadReactor(grpc::CallbackServerContext* context,
                                                         v1::ReadResponse* response,
                                                         const CallEnvironment& env) {
  return new UploadReactor<v1::ReadRequest, v1::ReadResponse>(context, response, env, Method::kRead);
}

grpc::ServerReadReactor<v1::ReadWithQualitiesRequest>* NewReadWithQualitiesReactor(
    grpc::CallbackServerContext* context, v1::ReadWithQualitiesResponse* response,
    const CallEnvironment& env) {
  return new UploadReactor<v1::ReadWithQualitiesRequest, v1::ReadWithQualitiesResponse>(
      context, response, env, Method::kReadWithQualities);
}

}  // namespace ktp::service
