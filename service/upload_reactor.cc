// Upload reactor (template over the two RPCs' response types). Both RPCs are
// raw methods: each upload message arrives as gRPC's ByteBuffer and is decoded
// by upload_message (chunks keep gRPC's slices, no copy); the response is
// serialized here.
//
// Thread model: gRPC runs OnReadDone/OnCancel on its callback threads; the
// backend runs the completion on its own thread. The reactor finishes exactly
// once (finished_ flag) and never touches itself after Finish(), since gRPC
// may delete it (OnDone) right away. A stalled upload is ended by an idle check
// on the environment's timer queue; a pending check holds a reference, so the
// reactor is deleted by whichever of OnDone and the check comes last.
#include "service/upload_reactor.h"

#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/error_details.h"
#include "common/error_reasons.h"
#include "telemetry/log.h"
#include "service/grpc_status.h"
#include "service/peer_identity.h"
#include "service/request_id.h"
#include "service/upload_message.h"

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

template <typename Response>
class UploadReactor final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  UploadReactor(grpc::CallbackServerContext* context, grpc::ByteBuffer* wire_response,
                const CallEnvironment& env, Method method)
      : context_(context), wire_response_(wire_response), env_(env), method_(method),
        assembler_(env.limits, env.buffered_bytes), started_(env.clock->Now()) {
    const int active = env_.active_calls->fetch_add(1, std::memory_order_relaxed) + 1;
    if (env_.observer != nullptr) env_.observer->OnCallStarted(method_);
    bool replaced = false;
    request_id_ = ResolveRequestId(FindMetadata(*context_, "x-request-id"), &replaced);
    context_->AddInitialMetadata("x-request-id", request_id_);
    if (replaced) log::Debug("replaced an invalid x-request-id", {{"request_id", request_id_}});
    // Over the cap the call is refused at once: a queue would only grow.
    if (env_.max_concurrent_calls > 0 && active > env_.max_concurrent_calls) {
      absl::Status s = MakeError(absl::StatusCode::kResourceExhausted, reasons::kTooManyConcurrentCalls,
                                 "the gateway is at its limit of concurrent calls; retry shortly",
                                 {{"maxConcurrentCalls", std::to_string(env_.max_concurrent_calls)}});
      AddQuotaViolation(s, "gateway", "concurrent calls");
      AddRetryInfo(s, absl::Seconds(1));
      FinishWithError(s);
      return;
    }
    if (env_.admission == nullptr) {
      StartReading();
      return;
    }
    // Admission first: an unknown or throttled caller must not get to upload.
    AdmissionRequest admission;
    admission.method = method_;
    admission.authorization = FindMetadata(*context_, "authorization").value_or(absl::string_view());
    admission.forwarded_client_cert =
        FindMetadata(*context_, "x-forwarded-client-cert").value_or(absl::string_view());
    admission.deadline = absl::FromChrono(context_->deadline());
    // Identity from the transport: the verified client certificate (mTLS) and
    // the peer's address (whether an x-forwarded-client-cert can be believed).
    const std::string peer = context_->peer();
    const std::shared_ptr<const grpc::AuthContext> auth = context_->auth_context();
    const std::string peer_spiffe_id = auth ? PeerSpiffeId(*auth) : std::string();
    admission.peer = peer;
    admission.peer_spiffe_id = peer_spiffe_id;
    // The answer may finish the call before Admit returns, and gRPC may then
    // delete the reactor: hold a reference until the handle is stored.
    refs_.fetch_add(1, std::memory_order_relaxed);
    std::shared_ptr<PendingAdmission> pending =
        env_.admission->Admit(admission, [this](absl::StatusOr<CallerIdentity> identity) {
          if (!identity.ok()) {
            FinishWithError(identity.status());
            return;
          }
          identity_ = *std::move(identity);
          for (const auto& [key, value] : identity_.response_metadata) context_->AddInitialMetadata(key, value);
          StartReading();
        });
    bool cancelled = false;
    if (pending != nullptr) {
      absl::MutexLock lock(&admission_mu_);
      pending_admission_ = pending;
      cancelled = cancelled_.load(std::memory_order_seq_cst);
    }
    // OnCancel ran before the handle was stored: it could not reach it.
    if (cancelled) pending->Cancel();
    Unref();
  }

  void OnReadDone(bool ok) override {
    absl::Status status;
    {
      absl::MutexLock lock(&read_mu_);
      if (reading_closed_) return;  // the idle timeout finished the call already
      last_activity_ = env_.clock->Now();
      if (ok) {
        status = Consume();
      } else {
        reading_closed_ = true;  // the upload is over: no idle check may finish the call now
      }
    }
    if (!ok) {
      StopIdleTimer();
      // Half-close (upload complete) or a broken/cancelled stream.
      if (context_->IsCancelled()) {
        FinishWithError(CallCancelled());
        return;
      }
      absl::StatusOr<Upload> upload = assembler_.Finish();
      if (!upload.ok()) {
        // A stream that ended before its first message may have been reset by
        // the client, with gRPC reporting the failed read before the cancel:
        // it is counted once the call is over and that is known (OnDone).
        FinishWithError(upload.status(), /*report_at_done=*/messages_ == 0);
        return;
      }
      CallBackend(*std::move(upload));
      return;
    }
    ++messages_;
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
    std::shared_ptr<PendingAdmission> pending;
    {
      absl::MutexLock lock(&admission_mu_);
      cancelled_.store(true, std::memory_order_seq_cst);
      pending = pending_admission_;
    }
    if (backend::OcrCall* call = call_raw_.load(std::memory_order_seq_cst)) call->Cancel();
    // A call still waiting for admission (rate-limit budget) ends now and gives
    // its slot back. Last: the answer may finish the call and free the reactor.
    if (pending) pending->Cancel();
  }

  void OnDone() override {
    if (report_at_done_) {
      Report(context_->IsCancelled() ? CallCancelled() : reported_status_, "", v1::READ_STATUS_UNSPECIFIED);
    }
    env_.active_calls->fetch_sub(1, std::memory_order_relaxed);
    StopIdleTimer();
    Unref();
  }

 private:
  // Hands one upload message to the assembler.
  absl::Status Consume() ABSL_EXCLUSIVE_LOCKS_REQUIRED(read_mu_) {
    absl::StatusOr<UploadMessage> message = ParseUploadMessage(CordFromByteBuffer(request_));
    if (!message.ok()) return message.status();
    switch (message->payload) {
      case UploadMessage::Payload::kMetadata:
        return assembler_.OnMetadata(message->metadata);
      case UploadMessage::Payload::kChunk:
        return assembler_.OnChunk(std::move(message->chunk));
      default:
        return assembler_.OnEmptyMessage();
    }
  }

  // The first read, and the timer that watches the upload from now on: for a
  // pause longer than the idle timeout, and for the whole upload taking longer
  // than its limit (a client trickling a chunk just inside the idle timeout
  // must not hold its slot for ever).
  void StartReading() {
    const bool idle_limit = env_.stream_idle_timeout > absl::ZeroDuration();
    const bool upload_limit = env_.max_upload_duration > absl::ZeroDuration();
    if ((idle_limit || upload_limit) && env_.timers != nullptr) {
      absl::MutexLock lock(&read_mu_);
      last_activity_ = env_.clock->Now();
      upload_due_ = upload_limit ? last_activity_ + env_.max_upload_duration : absl::InfiniteFuture();
      ArmIdleTimer(NextCheck());
    }
    this->StartRead(&request_);
  }

  // When the upload next has to be looked at: the earlier of its idle and whole-upload limits.
  absl::Time NextCheck() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(read_mu_) {
    const absl::Time idle_due = env_.stream_idle_timeout > absl::ZeroDuration()
                                    ? last_activity_ + env_.stream_idle_timeout
                                    : absl::InfiniteFuture();
    return std::min(idle_due, upload_due_);
  }

  // The pending check holds a reference: the reactor outlives it.
  void ArmIdleTimer(absl::Time when) ABSL_EXCLUSIVE_LOCKS_REQUIRED(read_mu_) {
    refs_.fetch_add(1, std::memory_order_relaxed);
    idle_timer_ = env_.timers->Schedule(when, [this](TimerOutcome outcome) {
      if (outcome == TimerOutcome::kFired) {
        OnIdleCheck();
      } else {
        Unref();  // the server is going away: no more idle checks
      }
    });
  }

  // On the timer thread: finish a stalled or too slow upload, or look again later.
  void OnIdleCheck() {
    bool expired = false;
    bool too_slow = false;
    {
      absl::MutexLock lock(&read_mu_);
      idle_timer_.reset();
      if (!reading_closed_) {
        const absl::Time now = env_.clock->Now();
        if (now >= upload_due_) {
          reading_closed_ = true;
          too_slow = true;
        } else if (now >= NextCheck()) {
          reading_closed_ = true;
          expired = true;
        } else {
          ArmIdleTimer(NextCheck());
        }
      }
    }
    if (too_slow) {
      FinishWithError(MakeError(
          absl::StatusCode::kDeadlineExceeded, reasons::kUploadTooSlow,
          absl::StrCat("the upload did not complete within ", absl::FormatDuration(env_.max_upload_duration),
                       "; send the image faster or in fewer, larger chunks"),
          {{"maxUploadSeconds", std::to_string(absl::ToInt64Seconds(env_.max_upload_duration))}}));
    } else if (expired) {
      FinishWithError(MakeError(
          absl::StatusCode::kDeadlineExceeded, reasons::kStreamIdleTimeout,
          absl::StrCat("no upload message arrived for ",
                       absl::FormatDuration(env_.stream_idle_timeout), "; send chunks without pausing"),
          {{"idleTimeoutSeconds",
            std::to_string(absl::ToInt64Seconds(env_.stream_idle_timeout))}}));
    }
    Unref();
  }

  // The upload is over (complete, failed or the call finished): no more idle checks.
  void StopIdleTimer() {
    std::optional<TimerQueue::TaskId> timer;
    {
      absl::MutexLock lock(&read_mu_);
      reading_closed_ = true;
      timer.swap(idle_timer_);
    }
    if (timer && env_.timers->Cancel(*timer)) Unref();  // the check's reference
  }

  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  void CallBackend(Upload upload) {
    backend::OcrRequest request;
    request.endpoint = method_ == Method::kRead ? backend::Endpoint::kRead
                                                : backend::Endpoint::kReadWithQualities;
    request.credential_set = identity_.credential_set;
    request.reject_inconsistent = identity_.reject_inconsistent;
    request.image = std::move(upload.image);
    request.file_name = std::move(upload.file_name);
    request.mime_type = std::move(upload.mime_type);
    request.options = upload.options;
    request.request_id = request_id_;
    image_bytes_ = request.image.size();
    upstream_attempts_ = 1;  // unless the backend says otherwise (ErrorInfo "attempts")
    const absl::Time cap = env_.clock->Now() + env_.max_call_duration;
    const absl::Time deadline = absl::FromChrono(context_->deadline());
    request.deadline = std::min(cap, deadline);
    for (absl::string_view name : {"traceparent", "tracestate"}) {
      if (auto value = FindMetadata(*context_, name); value && IsForwardableTraceHeader(*value)) {
        request.forward_headers.emplace_back(std::string(name), std::string(*value));
      }
    }
    // The completion may run inline (before Start returns) or on the backend thread.
    call_ = env_.backend->Start(std::move(request), [this](absl::StatusOr<backend::OcrResult> result) {
      OnBackendDone(std::move(result));
    });
    call_raw_.store(call_.get(), std::memory_order_seq_cst);
    if (cancelled_.load(std::memory_order_seq_cst)) call_->Cancel();
  }

  void OnBackendDone(absl::StatusOr<backend::OcrResult> result) {
    if (!result.ok()) {
      FinishWithError(result.status());
      return;
    }
    // Claimed before anything is written or reported: a call that already
    // finished (idle timeout, cancel) must not count twice nor touch the response.
    if (!ClaimFinish()) return;
    backend::OcrResult& r = *result;
    upstream_attempts_ = r.attempts;
    if (!r.upstream_request_id.empty()) {
      context_->AddInitialMetadata("x-upstream-request-id", r.upstream_request_id);
    }
    Response response;
    response.set_document(backend::DocumentVerdictOf(r));  // before r's fields move out
    response.set_status(r.status);
    response.set_reason(std::move(r.reason));
    *response.mutable_card() = std::move(r.card);
    *response.mutable_images() = std::move(r.images);
    response.set_request_id(request_id_);
    response.set_upstream_request_id(std::move(r.upstream_request_id));
    response.set_engine(r.engine);
    response.set_fallback_reason(r.fallback_reason);
    if (r.has_validation) *response.mutable_validation() = std::move(r.validation);
    engine_ = r.engine;
    fallback_reason_ = std::move(r.fallback_reason);
    if constexpr (std::is_same_v<Response, v1::ReadWithQualitiesResponse>) {
      if (r.has_qualities) *response.mutable_qualities() = std::move(r.qualities);
    }
    bool own_buffer = false;
    const grpc::Status serialized =
        grpc::GenericSerialize<grpc::ProtoBufferWriter, Response>(response, wire_response_, &own_buffer);
    if (!serialized.ok()) {
      const absl::Status failed(absl::StatusCode::kInternal, "the response could not be serialized");
      Report(failed, response.upstream_request_id(), v1::READ_STATUS_UNSPECIFIED);
      FinishClaimed(ToGrpcStatus(failed));
      return;
    }
    Report(absl::OkStatus(), response.upstream_request_id(), r.status);
    FinishClaimed(grpc::Status::OK);
  }

  void FinishWithError(const absl::Status& status, bool report_at_done = false) {
    if (!ClaimFinish()) return;  // before Report: metrics and the access log once per call
    std::string upstream_id;
    if (auto info = GetErrorInfo(status)) {
      auto it = info->metadata().find("upstreamRequestId");
      if (it != info->metadata().end()) upstream_id = it->second;
      it = info->metadata().find("attempts");
      if (it != info->metadata().end()) (void)absl::SimpleAtoi(it->second, &upstream_attempts_);
    }
    if (!upstream_id.empty()) context_->AddInitialMetadata("x-upstream-request-id", upstream_id);
    if (report_at_done) {
      report_at_done_ = true;
      reported_status_ = status;
    } else {
      Report(status, upstream_id, v1::READ_STATUS_UNSPECIFIED);
    }
    FinishClaimed(ToGrpcStatus(status));
  }

  // Access log line and observer, once per call.
  void Report(const absl::Status& status, absl::string_view upstream_id, v1::ReadStatus document_status) {
    const absl::Duration latency = env_.clock->Now() - started_;
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
                {"upstream_attempts", upstream_attempts_},
                {"engine", engine_ == v1::ENGINE_LOCAL ? "local" : engine_ == v1::ENGINE_UPSTREAM ? "upstream" : ""},
                {"fallback_reason", fallback_reason_},
                {"latency_ms", absl::ToDoubleMilliseconds(latency)}});
  }

  // True for the one caller that gets to finish the call.
  bool ClaimFinish() { return !finished_.exchange(true, std::memory_order_acq_rel); }

  // Finishes a call claimed with ClaimFinish.
  void FinishClaimed(const grpc::Status& status) {
    StopIdleTimer();
    this->Finish(status);  // `this` may be deleted from here on.
  }

  grpc::CallbackServerContext* const context_;
  grpc::ByteBuffer* const wire_response_;  // gRPC's, written once at the end
  const CallEnvironment& env_;
  const Method method_;
  UploadAssembler assembler_;
  const absl::Time started_;
  grpc::ByteBuffer request_;  // the message being read
  std::string request_id_;
  CallerIdentity identity_;  // set once admitted, before the first read
  absl::Mutex admission_mu_;  // orders storing the admission handle against OnCancel
  std::shared_ptr<PendingAdmission> pending_admission_ ABSL_GUARDED_BY(admission_mu_);
  // Upload messages read (only the reading thread touches it).
  int messages_ = 0;
  // Report (metrics, access log) in OnDone instead of at Finish, and what to
  // report unless the call turns out to have been cancelled. Set before Finish.
  bool report_at_done_ = false;
  absl::Status reported_status_;
  size_t image_bytes_ = 0;
  int upstream_attempts_ = 0;  // upstream requests the call took (access log)
  v1::Engine engine_ = v1::ENGINE_UNSPECIFIED;  // who answered (access log)
  std::string fallback_reason_;
  std::shared_ptr<backend::OcrCall> call_;
  std::atomic<backend::OcrCall*> call_raw_{nullptr};
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> finished_{false};
  // gRPC's reference (dropped in OnDone) plus one per pending idle check.
  std::atomic<int> refs_{1};
  // Orders upload messages against the idle check (a timer-thread task).
  absl::Mutex read_mu_;
  bool reading_closed_ ABSL_GUARDED_BY(read_mu_) = false;
  absl::Time last_activity_ ABSL_GUARDED_BY(read_mu_);
  absl::Time upload_due_ ABSL_GUARDED_BY(read_mu_) = absl::InfiniteFuture();
  std::optional<TimerQueue::TaskId> idle_timer_ ABSL_GUARDED_BY(read_mu_);
};

}  // namespace

grpc::ServerReadReactor<grpc::ByteBuffer>* NewReadReactor(grpc::CallbackServerContext* context,
                                                          grpc::ByteBuffer* response,
                                                          const CallEnvironment& env) {
  return new UploadReactor<v1::ReadResponse>(context, response, env, Method::kRead);
}

grpc::ServerReadReactor<grpc::ByteBuffer>* NewReadWithQualitiesReactor(grpc::CallbackServerContext* context,
                                                                       grpc::ByteBuffer* response,
                                                                       const CallEnvironment& env) {
  return new UploadReactor<v1::ReadWithQualitiesResponse>(context, response, env,
                                                          Method::kReadWithQualities);
}

}  // namespace ktp::service
