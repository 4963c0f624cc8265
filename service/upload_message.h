// One message of an upload stream (ReadRequest or ReadWithQualitiesRequest:
// the same wire shape) decoded straight from the bytes gRPC received. Read and
// ReadWithQualities are registered as raw methods so that a chunk's bytes are
// never copied on arrival: the chunk comes out as an absl::Cord that references
// gRPC's own slices (protobuf's `bytes` parse would copy every image once).
#ifndef KTP_SERVICE_UPLOAD_MESSAGE_H_
#define KTP_SERVICE_UPLOAD_MESSAGE_H_

#include <grpcpp/support/byte_buffer.h>

#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "ktp/v1/ktp_ocr.pb.h"

namespace ktp::service {

struct UploadMessage {
  enum class Payload { kNone, kMetadata, kChunk };
  Payload payload = Payload::kNone;
  v1::ImageMetadata metadata;  // when payload == kMetadata
  absl::Cord chunk;            // when payload == kChunk
};

// The message's bytes as a Cord that shares `buffer`'s slices (tiny slices are
// copied: an external node would cost more than the bytes). `buffer` may be
// cleared afterwards; the slices live as long as the Cord needs them.
absl::Cord CordFromByteBuffer(grpc::ByteBuffer& buffer);

// Decodes one upload message with protobuf's semantics: the last of the oneof's
// fields wins, repeated metadata merges, unknown fields are skipped. The common
// shape (length-delimited fields, plain unknown fields) is decoded here without
// copying the chunk; anything else (groups, over-long varints, a truncated or
// otherwise malformed message) is left to libprotobuf's parser, so the answer
// is always the one protobuf would give. Error: INVALID_ARGUMENT
// UPLOAD_PROTOCOL_VIOLATION when the bytes are not a valid message.
absl::StatusOr<UploadMessage> ParseUploadMessage(const absl::Cord& bytes);

}  // namespace ktp::service

#endif  // KTP_SERVICE_UPLOAD_MESSAGE_H_
