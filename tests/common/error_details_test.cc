// Unit tests of common/error_details: MakeError's ErrorInfo (reason, the
// "ktp-gateway" domain, metadata), the RetryInfo / BadRequest / QuotaFailure
// builders (appending, clamping), the readers, ErrorReason, and ToRpcStatus
// (code, message, ErrorInfo first, type URLs, every Any unpacking to its message).
#include "common/error_details.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/any.pb.h"
#include "gtest/gtest.h"

namespace ktp {
namespace {

TEST(MakeErrorTest, CarriesCodeMessageAndErrorInfo) {
  const absl::Status s = MakeError(absl::StatusCode::kInvalidArgument, "IMAGE_TOO_LARGE",
                                   "the image exceeds the limit", {{"limitBytes", "100"}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "the image exceeds the limit");
  const auto info = GetErrorInfo(s);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "IMAGE_TOO_LARGE");
  EXPECT_EQ(info->domain(), "ktp-gateway");
  EXPECT_EQ(info->domain(), kErrorDomain);
  ASSERT_EQ(info->metadata_size(), 1);
  EXPECT_EQ(info->metadata().at("limitBytes"), "100");
}

TEST(MakeErrorTest, CopiesEveryMetadataEntry) {
  const absl::Status s = MakeError(absl::StatusCode::kInternal, "R", "m",
                                   {{"httpStatus", "502"}, {"upstreamRequestId", "up-1"}, {"k", ""}});
  const auto info = GetErrorInfo(s);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->metadata_size(), 3);
  EXPECT_EQ(info->metadata().at("httpStatus"), "502");
  EXPECT_EQ(info->metadata().at("upstreamRequestId"), "up-1");
  EXPECT_EQ(info->metadata().at("k"), "");
}

TEST(MakeErrorTest, NoMetadataByDefaultAndNoOtherDetails) {
  const absl::Status s = MakeError(absl::StatusCode::kUnavailable, "UPSTREAM_UNAVAILABLE", "down");
  const auto info = GetErrorInfo(s);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->metadata_size(), 0);
  EXPECT_FALSE(GetRetryInfo(s).has_value());
  EXPECT_FALSE(GetBadRequest(s).has_value());
  EXPECT_FALSE(GetQuotaFailure(s).has_value());
}

TEST(ErrorReasonTest, ReturnsReasonOrEmpty) {
  EXPECT_EQ(ErrorReason(MakeError(absl::StatusCode::kNotFound, "SOME_REASON", "x")), "SOME_REASON");
  EXPECT_EQ(ErrorReason(absl::InternalError("plain")), "");
  EXPECT_EQ(ErrorReason(absl::OkStatus()), "");
}

TEST(ErrorReasonTest, ReadsTheReasonCarriedBesideTheStatusWithoutParsing) {
  // The plain reason travels beside the status: ErrorReason must not depend
  // on the ErrorInfo detail (it is not parsed for every classification).
  absl::Status s = MakeError(absl::StatusCode::kUnavailable, "UPSTREAM_UNAVAILABLE", "down");
  s.SetPayload(kErrorInfoType, absl::Cord("not a proto"));
  EXPECT_EQ(ErrorReason(s), "UPSTREAM_UNAVAILABLE");
}

TEST(ErrorReasonTest, AHandMadeErrorInfoStillHasItsReason) {
  absl::Status s(absl::StatusCode::kInternal, "x");
  google::rpc::ErrorInfo info;
  info.set_reason("HAND_MADE");
  s.SetPayload(kErrorInfoType, absl::Cord(info.SerializeAsString()));
  EXPECT_EQ(ErrorReason(s), "HAND_MADE");
}

TEST(ToRpcStatusTest, TheCarriedReasonIsNeverSentAsADetail) {
  const google::rpc::Status rpc = ToRpcStatus(MakeError(absl::StatusCode::kUnavailable, "R", "down"));
  ASSERT_EQ(rpc.details_size(), 1);
  EXPECT_EQ(rpc.details(0).type_url(), kErrorInfoType);
}

TEST(GetDetailTest, AbsentOnPlainStatus) {
  const absl::Status s = absl::InvalidArgumentError("plain");
  EXPECT_FALSE(GetErrorInfo(s).has_value());
  EXPECT_FALSE(GetRetryInfo(s).has_value());
  EXPECT_FALSE(GetBadRequest(s).has_value());
  EXPECT_FALSE(GetQuotaFailure(s).has_value());
}

TEST(GetDetailTest, UnparseablePayloadReadsAsAbsent) {
  absl::Status s = absl::InternalError("x");
  s.SetPayload(kErrorInfoType, absl::Cord("\xff\xff\xff"));  // not a valid proto
  EXPECT_FALSE(GetErrorInfo(s).has_value());
  EXPECT_EQ(ErrorReason(s), "");
}

TEST(AddRetryInfoTest, WholeSeconds) {
  absl::Status s = MakeError(absl::StatusCode::kResourceExhausted, "Q", "m");
  AddRetryInfo(s, absl::Seconds(7));
  const auto retry = GetRetryInfo(s);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->retry_delay().seconds(), 7);
  EXPECT_EQ(retry->retry_delay().nanos(), 0);
}

TEST(AddRetryInfoTest, FractionalSecondsSplitIntoSecondsAndNanos) {
  absl::Status s = MakeError(absl::StatusCode::kUnavailable, "U", "m");
  AddRetryInfo(s, absl::Milliseconds(1500));
  const auto retry = GetRetryInfo(s);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->retry_delay().seconds(), 1);
  EXPECT_EQ(retry->retry_delay().nanos(), 500000000);
}

TEST(AddRetryInfoTest, NegativeDelayClampsToZero) {
  absl::Status s = MakeError(absl::StatusCode::kUnavailable, "U", "m");
  AddRetryInfo(s, absl::Seconds(-3));
  const auto retry = GetRetryInfo(s);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->retry_delay().seconds(), 0);
  EXPECT_EQ(retry->retry_delay().nanos(), 0);
}

TEST(AddRetryInfoTest, SecondCallReplacesTheDelay) {
  absl::Status s = MakeError(absl::StatusCode::kUnavailable, "U", "m");
  AddRetryInfo(s, absl::Seconds(1));
  AddRetryInfo(s, absl::Seconds(30));
  EXPECT_EQ(GetRetryInfo(s)->retry_delay().seconds(), 30);
}

TEST(AddRetryInfoTest, KeepsErrorInfo) {
  absl::Status s = MakeError(absl::StatusCode::kUnavailable, "KEEP_ME", "m");
  AddRetryInfo(s, absl::Seconds(2));
  EXPECT_EQ(ErrorReason(s), "KEEP_ME");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "m");
}

TEST(AddFieldViolationTest, OneViolation) {
  absl::Status s = MakeError(absl::StatusCode::kInvalidArgument, "R", "m");
  AddFieldViolation(s, "metadata.size_bytes", "must be at most 10 bytes");
  const auto bad = GetBadRequest(s);
  ASSERT_TRUE(bad.has_value());
  ASSERT_EQ(bad->field_violations_size(), 1);
  EXPECT_EQ(bad->field_violations(0).field(), "metadata.size_bytes");
  EXPECT_EQ(bad->field_violations(0).description(), "must be at most 10 bytes");
}

TEST(AddFieldViolationTest, SecondViolationIsAppendedAndFirstKept) {
  absl::Status s = MakeError(absl::StatusCode::kInvalidArgument, "R", "m");
  AddFieldViolation(s, "metadata.mime_type", "first");
  AddFieldViolation(s, "chunk", "second");
  const auto bad = GetBadRequest(s);
  ASSERT_TRUE(bad.has_value());
  ASSERT_EQ(bad->field_violations_size(), 2);
  EXPECT_EQ(bad->field_violations(0).field(), "metadata.mime_type");
  EXPECT_EQ(bad->field_violations(0).description(), "first");
  EXPECT_EQ(bad->field_violations(1).field(), "chunk");
  EXPECT_EQ(bad->field_violations(1).description(), "second");
}

TEST(AddQuotaViolationTest, AppendsViolations) {
  absl::Status s = MakeError(absl::StatusCode::kResourceExhausted, "Q", "m");
  AddQuotaViolation(s, "upstream:glair-vision", "rate");
  AddQuotaViolation(s, "project:demo", "daily");
  const auto quota = GetQuotaFailure(s);
  ASSERT_TRUE(quota.has_value());
  ASSERT_EQ(quota->violations_size(), 2);
  EXPECT_EQ(quota->violations(0).subject(), "upstream:glair-vision");
  EXPECT_EQ(quota->violations(0).description(), "rate");
  EXPECT_EQ(quota->violations(1).subject(), "project:demo");
  EXPECT_EQ(quota->violations(1).description(), "daily");
}

TEST(ToRpcStatusTest, CodeAndMessage) {
  const google::rpc::Status rpc =
      ToRpcStatus(MakeError(absl::StatusCode::kResourceExhausted, "Q", "quota gone"));
  EXPECT_EQ(rpc.code(), 8);  // google.rpc.Code.RESOURCE_EXHAUSTED
  EXPECT_EQ(rpc.message(), "quota gone");
}

TEST(ToRpcStatusTest, OkStatusHasNoDetails) {
  const google::rpc::Status rpc = ToRpcStatus(absl::OkStatus());
  EXPECT_EQ(rpc.code(), 0);
  EXPECT_EQ(rpc.message(), "");
  EXPECT_EQ(rpc.details_size(), 0);
}

TEST(ToRpcStatusTest, PlainErrorHasNoDetails) {
  const google::rpc::Status rpc = ToRpcStatus(absl::UnavailableError("x"));
  EXPECT_EQ(rpc.code(), 14);
  EXPECT_EQ(rpc.details_size(), 0);
}

TEST(ToRpcStatusTest, PacksEveryDetailWithErrorInfoFirst) {
  absl::Status s = MakeError(absl::StatusCode::kResourceExhausted, "UPSTREAM_QUOTA_EXCEEDED", "m",
                             {{"httpStatus", "429"}});
  AddQuotaViolation(s, "upstream:glair-vision", "quota");
  AddRetryInfo(s, absl::Seconds(7));
  AddFieldViolation(s, "chunk", "field");
  const google::rpc::Status rpc = ToRpcStatus(s);
  ASSERT_EQ(rpc.details_size(), 4);

  // ErrorInfo first, whatever the payload order.
  EXPECT_EQ(rpc.details(0).type_url(), "type.googleapis.com/google.rpc.ErrorInfo");
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(rpc.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "UPSTREAM_QUOTA_EXCEEDED");
  EXPECT_EQ(info.domain(), "ktp-gateway");
  EXPECT_EQ(info.metadata().at("httpStatus"), "429");

  bool saw_retry = false, saw_bad = false, saw_quota = false;
  for (int i = 1; i < rpc.details_size(); ++i) {
    const google::protobuf::Any& any = rpc.details(i);
    if (any.type_url() == "type.googleapis.com/google.rpc.RetryInfo") {
      google::rpc::RetryInfo retry;
      ASSERT_TRUE(any.Is<google::rpc::RetryInfo>());
      ASSERT_TRUE(any.UnpackTo(&retry));
      EXPECT_EQ(retry.retry_delay().seconds(), 7);
      saw_retry = true;
    } else if (any.type_url() == "type.googleapis.com/google.rpc.BadRequest") {
      google::rpc::BadRequest bad;
      ASSERT_TRUE(any.Is<google::rpc::BadRequest>());
      ASSERT_TRUE(any.UnpackTo(&bad));
      ASSERT_EQ(bad.field_violations_size(), 1);
      EXPECT_EQ(bad.field_violations(0).field(), "chunk");
      saw_bad = true;
    } else if (any.type_url() == "type.googleapis.com/google.rpc.QuotaFailure") {
      google::rpc::QuotaFailure quota;
      ASSERT_TRUE(any.Is<google::rpc::QuotaFailure>());
      ASSERT_TRUE(any.UnpackTo(&quota));
      ASSERT_EQ(quota.violations_size(), 1);
      EXPECT_EQ(quota.violations(0).subject(), "upstream:glair-vision");
      saw_quota = true;
    } else {
      ADD_FAILURE() << "unexpected detail " << any.type_url();
    }
  }
  EXPECT_TRUE(saw_retry);
  EXPECT_TRUE(saw_bad);
  EXPECT_TRUE(saw_quota);
}

TEST(ToRpcStatusTest, ErrorInfoFirstEvenWhenAttachedLast) {
  absl::Status s = absl::InvalidArgumentError("m");
  AddFieldViolation(s, "a", "b");
  AddRetryInfo(s, absl::Seconds(1));
  google::rpc::ErrorInfo info;
  info.set_reason("LATE");
  info.set_domain(std::string(kErrorDomain));
  s.SetPayload(kErrorInfoType, absl::Cord(info.SerializeAsString()));
  const google::rpc::Status rpc = ToRpcStatus(s);
  ASSERT_EQ(rpc.details_size(), 3);
  EXPECT_EQ(rpc.details(0).type_url(), kErrorInfoType);
  google::rpc::ErrorInfo unpacked;
  ASSERT_TRUE(rpc.details(0).UnpackTo(&unpacked));
  EXPECT_EQ(unpacked.reason(), "LATE");
  // ErrorInfo appears exactly once.
  for (int i = 1; i < rpc.details_size(); ++i) EXPECT_NE(rpc.details(i).type_url(), kErrorInfoType);
}

TEST(ToRpcStatusTest, WithoutErrorInfoOtherDetailsAreStillPacked) {
  absl::Status s = absl::InvalidArgumentError("m");
  AddFieldViolation(s, "x", "y");
  const google::rpc::Status rpc = ToRpcStatus(s);
  ASSERT_EQ(rpc.details_size(), 1);
  EXPECT_EQ(rpc.details(0).type_url(), kBadRequestType);
  google::rpc::BadRequest bad;
  ASSERT_TRUE(rpc.details(0).UnpackTo(&bad));
  EXPECT_EQ(bad.field_violations(0).field(), "x");
}

TEST(TypeUrlTest, ConstantsMatchTheProtoFullNames) {
  EXPECT_EQ(kErrorInfoType, absl::StrCat("type.googleapis.com/", google::rpc::ErrorInfo::descriptor()->full_name()));
  EXPECT_EQ(kRetryInfoType, absl::StrCat("type.googleapis.com/", google::rpc::RetryInfo::descriptor()->full_name()));
  EXPECT_EQ(kBadRequestType,
            absl::StrCat("type.googleapis.com/", google::rpc::BadRequest::descriptor()->full_name()));
  EXPECT_EQ(kQuotaFailureType,
            absl::StrCat("type.googleapis.com/", google::rpc::QuotaFailure::descriptor()->full_name()));
}

}  // namespace
}  // namespace ktp
