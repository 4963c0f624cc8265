// Builds and reads the google.rpc details carried as absl::Status payloads.
#include "common/error_details.h"

#include "absl/strings/cord.h"
#include "common/error_reasons.h"

namespace ktp {
namespace {

template <typename Message>
std::optional<Message> GetDetail(const absl::Status& status, absl::string_view type) {
  auto payload = status.GetPayload(type);  // absl::optional in Debian's C++14 build of Abseil
  if (!payload) return std::nullopt;
  Message message;
  if (!message.ParseFromString(std::string(*payload))) return std::nullopt;
  return message;
}

template <typename Message>
void SetDetail(absl::Status& status, absl::string_view type, const Message& message) {
  status.SetPayload(type, absl::Cord(message.SerializeAsString()));
}

}  // namespace

absl::Status MakeError(absl::StatusCode code, absl::string_view reason,
                       absl::string_view message,
                       const std::map<std::string, std::string>& metadata) {
  absl::Status status(code, message);
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(kErrorDomain));
  for (const auto& [key, value] : metadata) (*info.mutable_metadata())[key] = value;
  SetDetail(status, kErrorInfoType, info);
  // The reason again, plain, so classifying an error (retries, breaker,
  // fallback, metrics, logs) reads a short string instead of parsing ErrorInfo.
  status.SetPayload(kReasonPayload, absl::Cord(reason));
  return status;
}

absl::Status CallCancelled() {
  return MakeError(absl::StatusCode::kCancelled, reasons::kCancelled, "the call was cancelled");
}

void AddRetryInfo(absl::Status& status, absl::Duration retry_delay) {
  if (retry_delay < absl::ZeroDuration()) retry_delay = absl::ZeroDuration();
  google::rpc::RetryInfo info;
  const int64_t nanos = absl::ToInt64Nanoseconds(retry_delay);
  info.mutable_retry_delay()->set_seconds(nanos / 1000000000);
  info.mutable_retry_delay()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
  SetDetail(status, kRetryInfoType, info);
}

void AddFieldViolation(absl::Status& status, absl::string_view field,
                       absl::string_view description) {
  google::rpc::BadRequest bad =
      GetDetail<google::rpc::BadRequest>(status, kBadRequestType).value_or(google::rpc::BadRequest());
  auto* violation = bad.add_field_violations();
  violation->set_field(std::string(field));
  violation->set_description(std::string(description));
  SetDetail(status, kBadRequestType, bad);
}

void AddQuotaViolation(absl::Status& status, absl::string_view subject,
                       absl::string_view description) {
  google::rpc::QuotaFailure quota = GetDetail<google::rpc::QuotaFailure>(status, kQuotaFailureType)
                                        .value_or(google::rpc::QuotaFailure());
  auto* violation = quota.add_violations();
  violation->set_subject(std::string(subject));
  violation->set_description(std::string(description));
  SetDetail(status, kQuotaFailureType, quota);
}

void AddPreconditionViolation(absl::Status& status, absl::string_view type, absl::string_view subject,
                              absl::string_view description) {
  google::rpc::PreconditionFailure failure =
      GetDetail<google::rpc::PreconditionFailure>(status, kPreconditionFailureType)
          .value_or(google::rpc::PreconditionFailure());
  auto* violation = failure.add_violations();
  violation->set_type(std::string(type));
  violation->set_subject(std::string(subject));
  violation->set_description(std::string(description));
  SetDetail(status, kPreconditionFailureType, failure);
}

std::optional<google::rpc::ErrorInfo> GetErrorInfo(const absl::Status& status) {
  return GetDetail<google::rpc::ErrorInfo>(status, kErrorInfoType);
}
std::optional<google::rpc::RetryInfo> GetRetryInfo(const absl::Status& status) {
  return GetDetail<google::rpc::RetryInfo>(status, kRetryInfoType);
}
std::optional<google::rpc::BadRequest> GetBadRequest(const absl::Status& status) {
  return GetDetail<google::rpc::BadRequest>(status, kBadRequestType);
}
std::optional<google::rpc::QuotaFailure> GetQuotaFailure(const absl::Status& status) {
  return GetDetail<google::rpc::QuotaFailure>(status, kQuotaFailureType);
}

std::optional<google::rpc::PreconditionFailure> GetPreconditionFailure(const absl::Status& status) {
  return GetDetail<google::rpc::PreconditionFailure>(status, kPreconditionFailureType);
}

std::string ErrorReason(const absl::Status& status) {
  if (auto reason = status.GetPayload(kReasonPayload)) return std::string(*reason);
  // Built elsewhere (e.g. a test's hand-made ErrorInfo): read the detail.
  auto info = GetErrorInfo(status);
  return info ? info->reason() : std::string();
}

google::rpc::Status ToRpcStatus(const absl::Status& status) {
  google::rpc::Status rpc;
  rpc.set_code(static_cast<int>(status.code()));
  rpc.set_message(std::string(status.message()));
  if (auto info = status.GetPayload(kErrorInfoType)) {
    auto* any = rpc.add_details();
    any->set_type_url(std::string(kErrorInfoType));
    any->set_value(std::string(*info));
  }
  status.ForEachPayload([&rpc](absl::string_view type_url, const absl::Cord& payload) {
    if (type_url == kErrorInfoType || type_url == kReasonPayload) return;  // not a google.rpc detail
    auto* any = rpc.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(payload));
  });
  return rpc;
}

}  // namespace ktp
