// Unit tests of service/upload_message: upload messages decoded from gRPC's
// received bytes. A chunk must come out sharing gRPC's slices (the reason the
// RPCs are raw methods), and every message, valid or not, must decode exactly
// as libprotobuf decodes it — checked case by case and against libprotobuf on
// thousands of generated and corrupted messages split at random places.
#include "service/upload_message.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "common/error_details.h"
#include "google/protobuf/stubs/logging.h"
#include "gtest/gtest.h"

namespace ktp::service {
namespace {

std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

std::string Tag(uint64_t field, int wire) { return Varint(field << 3 | static_cast<uint64_t>(wire)); }
std::string Len(uint64_t field, const std::string& bytes) { return Tag(field, 2) + Varint(bytes.size()) + bytes; }

std::string MetadataBytes(const std::string& file_name, const std::string& mime = "") {
  v1::ImageMetadata m;
  m.set_file_name(file_name);
  m.set_mime_type(mime);
  m.set_size_bytes(1234);
  m.mutable_options()->set_with_polygon(true);
  return m.SerializeAsString();
}

// The bytes split into Cord pieces at `cuts` (each piece its own node, as gRPC's slices are).
absl::Cord Pieces(const std::string& bytes, std::vector<size_t> cuts) {
  absl::Cord cord;
  size_t at = 0;
  cuts.push_back(bytes.size());
  for (size_t cut : cuts) {
    if (cut <= at || cut > bytes.size()) continue;
    auto* piece = new std::string(bytes.substr(at, cut - at));
    cord.Append(absl::MakeCordFromExternal(*piece, [piece](absl::string_view) { delete piece; }));
    at = cut;
  }
  return cord;
}

// What libprotobuf makes of the bytes, in UploadMessage form (nullopt: not a message).
std::optional<UploadMessage> Reference(const std::string& bytes) {
  v1::ReadRequest request;
  if (!request.ParseFromString(bytes)) return std::nullopt;
  UploadMessage m;
  if (request.has_metadata()) {
    m.payload = UploadMessage::Payload::kMetadata;
    m.metadata = request.metadata();
  } else if (request.payload_case() == v1::ReadRequest::kChunk) {
    m.payload = UploadMessage::Payload::kChunk;
    m.chunk = absl::Cord(request.chunk());
  }
  return m;
}

// Decodes `bytes` split at `cuts` and expects libprotobuf's answer.
void ExpectSameAsProtobuf(const std::string& bytes, const std::vector<size_t>& cuts = {}) {
  const std::optional<UploadMessage> want = Reference(bytes);
  const absl::StatusOr<UploadMessage> got = ParseUploadMessage(Pieces(bytes, cuts));
  ASSERT_EQ(got.ok(), want.has_value()) << "bytes (hex): " << absl::BytesToHexString(bytes);
  if (!got.ok()) {
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    ASSERT_TRUE(GetErrorInfo(got.status()).has_value());
    EXPECT_EQ(GetErrorInfo(got.status())->reason(), "UPLOAD_PROTOCOL_VIOLATION");
    return;
  }
  ASSERT_EQ(got->payload, want->payload) << absl::BytesToHexString(bytes);
  EXPECT_EQ(got->chunk, want->chunk);
  // Deterministic serialization compares the messages, unknown fields included.
  EXPECT_EQ(got->metadata.SerializeAsString(), want->metadata.SerializeAsString());
}

TEST(UploadMessageTest, ChunkSharesTheReceivedSlicesInsteadOfCopyingThem) {
  std::string image(96 * 1024, '\0');
  for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<char>(i * 131 % 251);
  v1::ReadRequest request;
  request.set_chunk(image);
  const std::string wire = request.SerializeAsString();
  // As gRPC hands a message over: several slices, the first holding the header.
  std::vector<grpc::Slice> slices;
  for (size_t at = 0; at < wire.size(); at += 16 * 1024) slices.emplace_back(wire.substr(at, 16 * 1024));
  std::vector<std::pair<const char*, const char*>> ranges;
  for (const grpc::Slice& s : slices) {
    ranges.emplace_back(reinterpret_cast<const char*>(s.begin()), reinterpret_cast<const char*>(s.end()));
  }
  grpc::ByteBuffer buffer(slices.data(), slices.size());
  absl::Cord bytes = CordFromByteBuffer(buffer);
  buffer.Clear();  // the Cord keeps the slices alive on its own
  slices.clear();

  absl::StatusOr<UploadMessage> message = ParseUploadMessage(bytes);
  ASSERT_TRUE(message.ok()) << message.status();
  ASSERT_EQ(message->payload, UploadMessage::Payload::kChunk);
  EXPECT_EQ(message->chunk, image);
  size_t shared = 0;
  for (absl::string_view piece : message->chunk.Chunks()) {
    for (const auto& [begin, end] : ranges) {
      if (piece.data() >= begin && piece.data() + piece.size() <= end) shared += piece.size();
    }
  }
  // All but a last sliver under the copy threshold (512 bytes) is shared.
  EXPECT_GE(shared, image.size() - 511) << "chunk bytes were copied instead of shared";
  EXPECT_LT(wire.size() % (16 * 1024), 512u) << "the test means to end on a tiny slice";
}

TEST(UploadMessageTest, TinySlicesAreCopiedAndStillDecode) {
  const std::string wire = Len(1, MetadataBytes("ktp.png", "image/png"));
  std::vector<grpc::Slice> slices;
  for (char c : wire) slices.emplace_back(std::string(1, c));
  grpc::ByteBuffer buffer(slices.data(), slices.size());
  absl::StatusOr<UploadMessage> message = ParseUploadMessage(CordFromByteBuffer(buffer));
  ASSERT_TRUE(message.ok()) << message.status();
  ASSERT_EQ(message->payload, UploadMessage::Payload::kMetadata);
  EXPECT_EQ(message->metadata.file_name(), "ktp.png");
  EXPECT_EQ(message->metadata.mime_type(), "image/png");
  EXPECT_EQ(message->metadata.size_bytes(), 1234);
  EXPECT_TRUE(message->metadata.options().with_polygon());
}

TEST(UploadMessageTest, ReadWithQualitiesRequestsDecodeTheSameWay) {
  v1::ReadWithQualitiesRequest request;
  request.mutable_metadata()->set_file_name("scan.pdf");
  absl::StatusOr<UploadMessage> message = ParseUploadMessage(absl::Cord(request.SerializeAsString()));
  ASSERT_TRUE(message.ok());
  ASSERT_EQ(message->payload, UploadMessage::Payload::kMetadata);
  EXPECT_EQ(message->metadata.file_name(), "scan.pdf");
  request.set_chunk("abc");
  message = ParseUploadMessage(absl::Cord(request.SerializeAsString()));
  ASSERT_TRUE(message.ok());
  ASSERT_EQ(message->payload, UploadMessage::Payload::kChunk);
  EXPECT_EQ(message->chunk, "abc");
}

TEST(UploadMessageTest, MessageWithNeitherPayloadIsNone) {
  absl::StatusOr<UploadMessage> message = ParseUploadMessage(absl::Cord());
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(message->payload, UploadMessage::Payload::kNone);
  // Only unknown fields: still neither payload.
  message = ParseUploadMessage(absl::Cord(Tag(9, 0) + Varint(7) + Len(10, "x")));
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(message->payload, UploadMessage::Payload::kNone);
}

TEST(UploadMessageTest, MalformedMessagesAreProtocolViolations) {
  for (const std::string& bytes : {
           Tag(2, 2) + Varint(10) + "short",                 // a chunk cut short
           std::string("\x12", 1),                             // a tag and nothing else
           Tag(5, 7),                                          // no such wire type
           Tag(5, 4),                                          // an end-group out of nowhere
           std::string("\x00\x01", 2),                         // field number 0
           Len(1, Len(1, "\xff\xfe")),                         // file_name not UTF-8
           Len(1, Tag(4, 2) + Varint(3) + "x"),                // options cut short inside metadata
       }) {
    absl::StatusOr<UploadMessage> message = ParseUploadMessage(absl::Cord(bytes));
    ASSERT_FALSE(message.ok()) << absl::BytesToHexString(bytes);
    EXPECT_EQ(message.status().code(), absl::StatusCode::kInvalidArgument);
    ASSERT_TRUE(GetErrorInfo(message.status()).has_value());
    EXPECT_EQ(GetErrorInfo(message.status())->reason(), "UPLOAD_PROTOCOL_VIOLATION");
    ASSERT_TRUE(GetBadRequest(message.status()).has_value());
    EXPECT_EQ(GetBadRequest(message.status())->field_violations(0).field(), "payload");
    ExpectSameAsProtobuf(bytes);
  }
}

TEST(UploadMessageTest, OneofMergeAndUnknownFieldRulesAreProtobufs) {
  const std::string meta_a = MetadataBytes("a.png");
  const std::string meta_b = Len(2, "image/png");  // only mime_type: merges into a
  const std::string group = Tag(15, 3) + Tag(1, 0) + Varint(5) + Tag(15, 4);
  for (const std::string& bytes : {
           Len(2, "first") + Len(2, "second"),              // the last chunk wins
           Len(2, "chunk") + Len(1, meta_a),                // metadata after a chunk replaces it
           Len(1, meta_a) + Len(2, "chunk"),                // and a chunk after metadata
           Len(1, meta_a) + Len(1, meta_b),                 // metadata twice merges
           Len(1, meta_a) + Len(2, "c") + Len(1, meta_b),   // ... but not across a chunk
           Tag(9, 0) + Varint(300) + Len(2, "c") + Tag(11, 1) + std::string(8, 'x') + Tag(12, 5) + "abcd",
           Tag(1, 0) + Varint(1) + Len(2, "c"),             // field 1 as a varint: an unknown field
           Tag(2, 5) + "abcd",                              // field 2 as fixed32: unknown, no chunk
           group + Len(2, "c"),                             // a group (libprotobuf's path)
           Tag(1u << 28, 0) + Varint(1) + Len(2, "c"),      // a five-byte tag
           Tag(9, 0) + std::string(9, '\xff') + std::string("\x01", 1) + Len(2, "c"),  // a ten-byte varint
           Len(1, meta_a + Tag(20, 2) + Varint(2) + "zz"),  // an unknown field inside metadata
       }) {
    SCOPED_TRACE(absl::BytesToHexString(bytes));
    ExpectSameAsProtobuf(bytes);
  }
}

TEST(UploadMessageTest, NestingDepthInsideMetadataIsLimitedAsProtobufLimitsIt) {
  // Unknown groups nested inside metadata, just within and just beyond
  // libprotobuf's recursion limit (the metadata itself is one level).
  for (int depth : {97, 98, 99, 100}) {
    std::string nested;
    for (int i = 0; i < depth; ++i) nested += Tag(15, 3);
    for (int i = 0; i < depth; ++i) nested += Tag(15, 4);
    SCOPED_TRACE(depth);
    ExpectSameAsProtobuf(Len(1, nested));
  }
}

// Valid messages built from the pieces a client can send, then corrupted.
TEST(UploadMessageTest, AgreesWithProtobufOnGeneratedAndCorruptedMessages) {
  google::protobuf::LogSilencer quiet;  // libprotobuf logs every invalid UTF-8 string
  std::mt19937 rng(20261128);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  auto field = [&]() -> std::string {
    switch (pick(7)) {
      case 0:
        return Len(1, MetadataBytes(std::string(static_cast<size_t>(pick(40)), 'n'), pick(2) ? "image/png" : ""));
      case 1:
      case 2:
        return Len(2, std::string(static_cast<size_t>(pick(3) == 0 ? pick(3000) : pick(40)), static_cast<char>(pick(256))));
      case 3:
        return Tag(static_cast<uint64_t>(3 + pick(100)), 0) + Varint(rng());
      case 4:
        return Tag(static_cast<uint64_t>(3 + pick(100)), 5) + "abcd";
      case 5:
        return Len(static_cast<uint64_t>(3 + pick(100)), std::string(static_cast<size_t>(pick(20)), 'u'));
      default:
        return Tag(static_cast<uint64_t>(1 + pick(4)), pick(8)) + Varint(static_cast<uint64_t>(pick(200)));
    }
  };
  int rejected = 0;
  for (int round = 0; round < 6000; ++round) {
    std::string bytes;
    for (int n = pick(4); n >= 0; --n) bytes += field();
    switch (pick(4)) {
      case 0:  // a byte changed
        if (!bytes.empty()) bytes[static_cast<size_t>(pick(static_cast<int>(bytes.size())))] = static_cast<char>(pick(256));
        break;
      case 1:  // cut short
        bytes.resize(static_cast<size_t>(pick(static_cast<int>(bytes.size()) + 1)));
        break;
      default:
        break;
    }
    std::vector<size_t> cuts;
    for (int n = pick(4); n > 0; --n) cuts.push_back(static_cast<size_t>(pick(static_cast<int>(bytes.size()) + 1)));
    std::sort(cuts.begin(), cuts.end());
    SCOPED_TRACE(round);
    ExpectSameAsProtobuf(bytes, cuts);
    if (!Reference(bytes).has_value()) ++rejected;
    if (HasFatalFailure() || HasNonfatalFailure()) return;
  }
  // Both kinds were exercised.
  EXPECT_GT(rejected, 500);
  EXPECT_LT(rejected, 5500);
}

}  // namespace
}  // namespace ktp::service
