// Fuzzes the upstream JSON → proto mapping (upstream/response_mapper) and the
// HTTP outcome mapping around it with arbitrary bodies. Invariants: no crash;
// every error is typed (ErrorInfo reason) with a bounded message; a result
// survives a protobuf round trip (strings are valid UTF-8, or gRPC could not
// send the answer).
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error_details.h"
#include "tests/fuzz/fuzz_check.h"
#include "upstream/http_outcome.h"
#include "upstream/response_mapper.h"

namespace {

void CheckError(const absl::Status& status) {
  FUZZ_CHECK(!status.ok());
  FUZZ_CHECK(!ktp::ErrorReason(status).empty());
  FUZZ_CHECK(status.message().size() < 1024);
}

template <typename Message>
void CheckRoundTrip(const Message& message) {
  std::string wire;
  FUZZ_CHECK(message.SerializeToString(&wire));
  Message back;
  FUZZ_CHECK(back.ParseFromString(wire));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view body(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ktp::backend::OcrResult> result = ktp::upstream::MapResponseBody(body);
  if (result.ok()) {
    CheckRoundTrip(result->card);
    CheckRoundTrip(result->images);
    CheckRoundTrip(result->qualities);
    ktp::v1::ReadWithQualitiesResponse response;
    response.set_reason(result->reason);
    CheckRoundTrip(response);
  } else {
    CheckError(result.status());
  }
  (void)ktp::upstream::MapDocumentStatus(ktp::upstream::ExtractStatusString(body));
  for (long code : {200L, 400L, 429L, 503L}) {
    ktp::upstream::HttpAnswer answer;
    answer.http_status = code;
    answer.body = std::string(body);
    answer.retry_after = std::string(body.substr(0, 32));
    absl::StatusOr<ktp::backend::OcrResult> mapped =
        ktp::upstream::MapHttpAnswer(std::move(answer), absl::FromUnixSeconds(1700000000));
    if (!mapped.ok()) CheckError(mapped.status());
  }
  return 0;
}
