// Upload messages decoded from the protobuf wire format without copying chunks.
#include "service/upload_message.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/error_details.h"
#include "common/error_reasons.h"
#include "google/protobuf/io/coded_stream.h"

namespace ktp::service {
namespace {

// Both RPCs' requests share one wire shape; the decoder below relies on it.
static_assert(v1::ReadRequest::kMetadataFieldNumber == 1 && v1::ReadRequest::kChunkFieldNumber == 2);
static_assert(v1::ReadWithQualitiesRequest::kMetadataFieldNumber == 1 &&
              v1::ReadWithQualitiesRequest::kChunkFieldNumber == 2);
constexpr uint64_t kMetadataField = 1;
constexpr uint64_t kChunkField = 2;

// Slices smaller than this are copied into the Cord rather than referenced.
constexpr size_t kCopyBelowBytes = 512;

// A position in the message and how many bytes are left after it.
struct Cursor {
  absl::Cord::CharIterator it;
  size_t remaining;
};

// A varint of at most `max_bytes` bytes. False when the message ends inside it
// or it is longer: protobuf's parser then decides (it accepts some longer ones).
bool ReadVarint(Cursor& c, int max_bytes, uint64_t* value) {
  uint64_t v = 0;
  for (int i = 0; i < max_bytes && c.remaining > 0; ++i) {
    const auto byte = static_cast<uint8_t>(*c.it);
    ++c.it;
    --c.remaining;
    v |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      *value = v;
      return true;
    }
  }
  return false;
}

bool Skip(Cursor& c, size_t n) {
  if (n > c.remaining) return false;
  absl::Cord::Advance(&c.it, n);
  c.remaining -= n;
  return true;
}

// Merges a nested message as protobuf does inside its parent: one level of
// its recursion budget is already spent, and an end-group tag is an error.
bool MergeNested(const std::string& bytes, google::protobuf::MessageLite* message) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  in.SetRecursionLimit(google::protobuf::io::CodedInputStream::GetDefaultRecursionLimit() - 1);
  return message->MergeFromCodedStream(&in) && in.ConsumedEntireMessage();
}

// The common shape, decoded without copying the chunk. False: leave the
// message to libprotobuf (`out` is then discarded).
bool DecodeCommonShape(const absl::Cord& bytes, UploadMessage* out) {
  Cursor c{bytes.char_begin(), bytes.size()};
  while (c.remaining > 0) {
    uint64_t tag = 0;
    // Field numbers up to 2^25 fit in four bytes; larger ones are never ours.
    if (!ReadVarint(c, 4, &tag) || (tag >> 3) == 0) return false;
    const uint64_t field = tag >> 3;
    uint64_t value = 0;
    switch (tag & 7) {
      case 0:  // varint: an unknown field
        if (!ReadVarint(c, 9, &value)) return false;
        break;
      case 1:  // fixed64
        if (!Skip(c, 8)) return false;
        break;
      case 5:  // fixed32
        if (!Skip(c, 4)) return false;
        break;
      case 2: {  // length-delimited
        if (!ReadVarint(c, 5, &value) || value > c.remaining) return false;
        const auto length = static_cast<size_t>(value);
        if (field == kChunkField) {
          // The last chunk wins (a oneof); Subcord shares the slices.
          out->chunk = absl::Cord::AdvanceAndRead(&c.it, length);
          c.remaining -= length;
          out->payload = UploadMessage::Payload::kChunk;
          out->metadata.Clear();
        } else if (field == kMetadataField) {
          // A metadata after a chunk starts over; a second one merges into the first.
          if (out->payload != UploadMessage::Payload::kMetadata) {
            out->metadata.Clear();
            out->chunk.Clear();
            out->payload = UploadMessage::Payload::kMetadata;
          }
          std::string flat;  // a few dozen bytes
          absl::CopyCordToString(absl::Cord::AdvanceAndRead(&c.it, length), &flat);
          c.remaining -= length;
          if (!MergeNested(flat, &out->metadata)) return false;
        } else if (!Skip(c, length)) {
          return false;
        }
        break;
      }
      default:  // groups and invalid wire types
        return false;
    }
  }
  return true;
}

absl::Status NotAMessage() {
  absl::Status s = MakeError(absl::StatusCode::kInvalidArgument, reasons::kUploadProtocolViolation,
                             "an upload message is not a valid protobuf ReadRequest");
  AddFieldViolation(s, "payload", "not a valid message in the protobuf wire format");
  return s;
}

}  // namespace

absl::Cord CordFromByteBuffer(grpc::ByteBuffer& buffer) {
  absl::Cord cord;
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return cord;
  for (grpc::Slice& slice : slices) {
    const absl::string_view bytes(reinterpret_cast<const char*>(slice.begin()), slice.size());
    if (bytes.size() < kCopyBelowBytes) {
      cord.Append(bytes);
      continue;
    }
    // The releaser holds a reference to the slice inside the Cord's own node
    // (one allocation per slice); the slice is unreferenced with the node.
    cord.Append(absl::MakeCordFromExternal(bytes, [held = std::move(slice)](absl::string_view) {}));
  }
  return cord;
}

absl::StatusOr<UploadMessage> ParseUploadMessage(const absl::Cord& bytes) {
  UploadMessage message;
  if (DecodeCommonShape(bytes, &message)) return message;
  // Anything unusual: protobuf's own parser, on a flat copy of this one message.
  v1::ReadRequest request;
  if (!request.ParseFromString(std::string(bytes))) return NotAMessage();
  UploadMessage parsed;
  switch (request.payload_case()) {
    case v1::ReadRequest::kMetadata:
      parsed.payload = UploadMessage::Payload::kMetadata;
      parsed.metadata = std::move(*request.mutable_metadata());
      break;
    case v1::ReadRequest::kChunk:
      parsed.payload = UploadMessage::Payload::kChunk;
      parsed.chunk = absl::Cord(std::move(*request.mutable_chunk()));
      break;
    default:
      break;
  }
  return parsed;
}

}  // namespace ktp::service
