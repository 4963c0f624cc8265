// Fuzzes the upload message decoder (service/upload_message) against
// libprotobuf: any bytes, split into Cord pieces where the input's first byte
// says, must decode to exactly what ReadRequest::ParseFromString makes of them
// (accepted or refused alike; same payload, chunk and metadata), and a refusal
// is a typed UPLOAD_PROTOCOL_VIOLATION.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error_details.h"
#include "google/protobuf/stubs/logging.h"
#include "service/upload_message.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  google::protobuf::LogSilencer quiet;  // invalid UTF-8 is logged by libprotobuf
  const size_t step = 1 + data[0] % 16;  // piece size: varints and tags split across pieces
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  absl::Cord cord;
  for (size_t at = 0; at < bytes.size(); at += step) {
    auto* piece = new std::string(bytes.substr(at, step));
    cord.Append(absl::MakeCordFromExternal(*piece, [piece](absl::string_view) { delete piece; }));
  }
  const absl::StatusOr<ktp::service::UploadMessage> got = ktp::service::ParseUploadMessage(cord);
  ktp::v1::ReadRequest want;
  const bool valid = want.ParseFromString(bytes);
  FUZZ_CHECK(got.ok() == valid);
  if (!valid) {
    const auto info = ktp::GetErrorInfo(got.status());
    FUZZ_CHECK(info.has_value() && info->reason() == "UPLOAD_PROTOCOL_VIOLATION");
    return 0;
  }
  using Payload = ktp::service::UploadMessage::Payload;
  switch (want.payload_case()) {
    case ktp::v1::ReadRequest::kMetadata:
      FUZZ_CHECK(got->payload == Payload::kMetadata);
      FUZZ_CHECK(got->metadata.SerializeAsString() == want.metadata().SerializeAsString());
      break;
    case ktp::v1::ReadRequest::kChunk:
      FUZZ_CHECK(got->payload == Payload::kChunk);
      FUZZ_CHECK(got->chunk == want.chunk());
      break;
    default:
      FUZZ_CHECK(got->payload == Payload::kNone);
      break;
  }
  return 0;
}
