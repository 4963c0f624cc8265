// Unit tests of service/upload_assembler: the shape of the upload stream
// (metadata first and once, then chunks; empty messages), the size limits
// (per chunk, per image, the size_bytes hint; exactly-at-the-limit accepted),
// image type detection at Finish (NO_FILE, FILE_INVALID_FORMAT, declared type
// mismatch, magic bytes split across chunks), the assembled bytes and options,
// and SanitizeFileName. Every error is checked for its status code, ErrorInfo
// reason and BadRequest field. All data is synthetic.
#include "service/upload_assembler.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/error_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ktp::service {
namespace {

using ::testing::HasSubstr;

const std::string kPng("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01", 20);
const std::string kJpeg("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\xff\xd9", 18);
const std::string kPdf("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n");
const std::string kTiffLe("II*\x00\x08\x00\x00\x00\x00\x00", 10);
const std::string kTiffBe("MM\x00*\x00\x00\x00\x08\x00\x00", 10);

v1::ImageMetadata Meta(const std::string& file_name = "ktp.png", const std::string& mime_type = "",
                       int64_t size_bytes = 0) {
  v1::ImageMetadata m;
  m.set_file_name(file_name);
  m.set_mime_type(mime_type);
  m.set_size_bytes(size_bytes);
  return m;
}

UploadLimits Limits(size_t max_image, size_t max_chunk) {
  UploadLimits l;
  l.max_image_bytes = max_image;
  l.max_chunk_bytes = max_chunk;
  return l;
}

// Checks code, ErrorInfo reason and domain, and that the BadRequest names `field`.
void ExpectError(const absl::Status& status, absl::StatusCode code, const std::string& reason,
                 const std::string& field) {
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_EQ(ErrorReason(status), reason) << status;
  const auto info = GetErrorInfo(status);
  ASSERT_TRUE(info.has_value()) << status;
  EXPECT_EQ(info->domain(), "ktp-gateway");
  const auto bad = GetBadRequest(status);
  ASSERT_TRUE(bad.has_value()) << status;
  ASSERT_EQ(bad->field_violations_size(), 1) << bad->DebugString();
  EXPECT_EQ(bad->field_violations(0).field(), field);
  EXPECT_FALSE(bad->field_violations(0).description().empty());
}

// Runs metadata + chunks + Finish; the test fails if metadata or a chunk is refused.
absl::StatusOr<Upload> Assemble(const v1::ImageMetadata& meta, const std::vector<std::string>& chunks,
                                const UploadLimits& limits = UploadLimits()) {
  UploadAssembler a(limits);
  absl::Status s = a.OnMetadata(meta);
  EXPECT_TRUE(s.ok()) << s;
  for (std::string chunk : chunks) {
    s = a.OnChunk(absl::Cord(std::move(chunk)));
    EXPECT_TRUE(s.ok()) << s;
  }
  return a.Finish();
}

std::vector<std::string> OneByteChunks(const std::string& data) {
  std::vector<std::string> out;
  for (char c : data) out.emplace_back(1, c);
  return out;
}

// ---------------------------------------------------------------------------
// Happy paths.

TEST(UploadAssemblerTest, AssemblesPngFromOneChunk) {
  absl::StatusOr<Upload> upload = Assemble(Meta("ktp.png", "image/png", kPng.size()), {kPng});
  ASSERT_TRUE(upload.ok()) << upload.status();
  EXPECT_EQ(std::string(upload->image), kPng);
  EXPECT_EQ(upload->mime_type, "image/png");
  EXPECT_EQ(upload->file_name, "ktp.png");
}

TEST(UploadAssemblerTest, DetectsEveryAcceptedFormatWithoutDeclaredType) {
  const std::pair<std::string, std::string> cases[] = {
      {kPng, "image/png"}, {kJpeg, "image/jpeg"}, {kPdf, "application/pdf"},
      {kTiffLe, "image/tiff"}, {kTiffBe, "image/tiff"},
  };
  for (const auto& [bytes, mime] : cases) {
    absl::StatusOr<Upload> upload = Assemble(Meta("scan", ""), {bytes});
    ASSERT_TRUE(upload.ok()) << mime << ": " << upload.status();
    EXPECT_EQ(upload->mime_type, mime);
    EXPECT_EQ(std::string(upload->image), bytes);
  }
}

TEST(UploadAssemblerTest, DeclaredAliasMatchingContentIsAcceptedAndCanonicalised) {
  absl::StatusOr<Upload> upload = Assemble(Meta("k.jpg", "IMAGE/JPG; q=1"), {kJpeg});
  ASSERT_TRUE(upload.ok()) << upload.status();
  EXPECT_EQ(upload->mime_type, "image/jpeg");
}

TEST(UploadAssemblerTest, MagicBytesSplitIntoOneByteChunksAreStillDetected) {
  const std::pair<std::string, std::string> cases[] = {
      {kPng, "image/png"}, {kJpeg, "image/jpeg"}, {kPdf, "application/pdf"},
      {kTiffLe, "image/tiff"}, {kTiffBe, "image/tiff"},
  };
  for (const auto& [bytes, mime] : cases) {
    absl::StatusOr<Upload> upload = Assemble(Meta("x", mime), OneByteChunks(bytes));
    ASSERT_TRUE(upload.ok()) << mime << ": " << upload.status();
    EXPECT_EQ(upload->mime_type, mime);
    EXPECT_EQ(std::string(upload->image), bytes);
  }
}

TEST(UploadAssemblerTest, MagicBytesSplitAcrossLargeChunksAreStillDetected) {
  // Small appends may be coalesced into one buffer; a big second chunk is kept
  // as its own piece, so the signature really spans two pieces of the image.
  const std::pair<std::string, std::string> cases[] = {
      {kPng.substr(0, 8), "image/png"}, {kJpeg.substr(0, 3), "image/jpeg"},
      {kPdf.substr(0, 5), "application/pdf"}, {kTiffLe.substr(0, 4), "image/tiff"},
      {kTiffBe.substr(0, 4), "image/tiff"},
  };
  const std::string padding(4096, '\x5a');
  for (const auto& [signature, mime] : cases) {
    for (size_t split = 1; split < signature.size(); ++split) {
      SCOPED_TRACE(mime + " split at " + std::to_string(split));
      const std::string first = signature.substr(0, split);
      const std::string second = signature.substr(split) + padding;
      absl::StatusOr<Upload> upload = Assemble(Meta("x", ""), {first, second});
      ASSERT_TRUE(upload.ok()) << upload.status();
      EXPECT_EQ(upload->mime_type, mime);
      EXPECT_TRUE(upload->image == first + second);
    }
  }
}

TEST(UploadAssemblerTest, MagicBytesSplitUnevenlyAreStillDetected) {
  // 3 + 2 + 1 + rest: the 8-byte PNG signature spans four chunks.
  absl::StatusOr<Upload> upload =
      Assemble(Meta(), {kPng.substr(0, 3), kPng.substr(3, 2), kPng.substr(5, 1), kPng.substr(6)});
  ASSERT_TRUE(upload.ok()) << upload.status();
  EXPECT_EQ(upload->mime_type, "image/png");
}

TEST(UploadAssemblerTest, EmptyChunksBetweenDataChunksAreHarmless) {
  absl::StatusOr<Upload> upload =
      Assemble(Meta(), {"", kPng.substr(0, 4), "", "", kPng.substr(4), ""});
  ASSERT_TRUE(upload.ok()) << upload.status();
  EXPECT_EQ(std::string(upload->image), kPng);
  EXPECT_EQ(upload->mime_type, "image/png");
}

TEST(UploadAssemblerTest, ImageShorterThanSniffWindowIsDetected) {
  // A bare JPEG SOI + marker (3 bytes) is enough to recognise the format.
  absl::StatusOr<Upload> upload = Assemble(Meta("", ""), {std::string("\xff\xd8\xff", 3)});
  ASSERT_TRUE(upload.ok()) << upload.status();
  EXPECT_EQ(upload->mime_type, "image/jpeg");
}

TEST(UploadAssemblerTest, AssembledImageIsTheExactConcatenationOfTheChunks) {
  // Chunks of varied sizes (tiny ones are copied, big ones adopted) holding
  // every byte value including NUL; the result must match byte for byte.
  std::vector<std::string> chunks;
  std::string expected;
  chunks.push_back(kJpeg.substr(0, 5));
  const size_t sizes[] = {1, 7, 511, 4096, 70000, 3, 65536, 255};
  unsigned seed = 12345;
  for (size_t size : sizes) {
    std::string c(size, '\0');
    for (char& ch : c) {
      seed = seed * 1103515245u + 12345u;
      ch = static_cast<char>(seed >> 16);
    }
    chunks.push_back(std::move(c));
  }
  for (const std::string& c : chunks) expected += c;

  UploadAssembler a(Limits(1 << 20, 1 << 17));
  ASSERT_TRUE(a.OnMetadata(Meta("k.jpg", "image/jpeg")).ok());
  size_t sent = 0;
  for (std::string c : chunks) {
    sent += c.size();
    ASSERT_TRUE(a.OnChunk(absl::Cord(std::move(c))).ok());
    EXPECT_EQ(a.bytes_received(), sent);
  }
  absl::StatusOr<Upload> upload = a.Finish();
  ASSERT_TRUE(upload.ok()) << upload.status();
  EXPECT_EQ(upload->image.size(), expected.size());
  EXPECT_TRUE(upload->image == expected) << "assembled bytes differ from the chunks sent";
}

TEST(UploadAssemblerTest, CarriesReadOptions) {
  v1::ImageMetadata meta = Meta("k.png", "image/png");
  meta.mutable_options()->set_with_raw_text(true);
  meta.mutable_options()->set_with_polygon(true);
  absl::StatusOr<Upload> upload = Assemble(meta, {kPng});
  ASSERT_TRUE(upload.ok()) << upload.status();
  EXPECT_TRUE(upload->options.with_raw_text());
  EXPECT_FALSE(upload->options.with_confidence_field());
  EXPECT_TRUE(upload->options.with_polygon());
}

TEST(UploadAssemblerTest, DefaultOptionsAreAllOff) {
  absl::StatusOr<Upload> upload = Assemble(Meta(), {kPng});
  ASSERT_TRUE(upload.ok()) << upload.status();
  EXPECT_FALSE(upload->options.with_raw_text());
  EXPECT_FALSE(upload->options.with_confidence_field());
  EXPECT_FALSE(upload->options.with_polygon());
}

TEST(UploadAssemblerTest, FileNameIsSanitized) {
  absl::StatusOr<Upload> upload = Assemble(Meta("C:\\scans\\ktp \"final\".png"), {kPng});
  ASSERT_TRUE(upload.ok()) << upload.status();
  EXPECT_EQ(upload->file_name, "ktp final.png");
}

TEST(UploadAssemblerTest, MissingFileNameFallsBackToDetectedExtension) {
  absl::StatusOr<Upload> pdf = Assemble(Meta(""), {kPdf});
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  EXPECT_EQ(pdf->file_name, "image.pdf");
  absl::StatusOr<Upload> jpeg = Assemble(Meta(""), {kJpeg});
  ASSERT_TRUE(jpeg.ok()) << jpeg.status();
  EXPECT_EQ(jpeg->file_name, "image.jpg");
}

// ---------------------------------------------------------------------------
// Stream shape.

TEST(UploadAssemblerTest, MetadataSentTwiceIsRejected) {
  UploadAssembler a{UploadLimits()};
  ASSERT_TRUE(a.OnMetadata(Meta()).ok());
  ExpectError(a.OnMetadata(Meta()), absl::StatusCode::kInvalidArgument, "UPLOAD_PROTOCOL_VIOLATION",
              "metadata");
}

TEST(UploadAssemblerTest, MetadataAfterChunkIsRejected) {
  UploadAssembler a{UploadLimits()};
  ASSERT_TRUE(a.OnMetadata(Meta()).ok());
  ASSERT_TRUE(a.OnChunk(absl::Cord(kPng)).ok());
  ExpectError(a.OnMetadata(Meta()), absl::StatusCode::kInvalidArgument, "UPLOAD_PROTOCOL_VIOLATION",
              "metadata");
}

TEST(UploadAssemblerTest, ChunkBeforeMetadataIsRejected) {
  UploadAssembler a{UploadLimits()};
  ExpectError(a.OnChunk(absl::Cord(kPng)), absl::StatusCode::kInvalidArgument,
              "UPLOAD_PROTOCOL_VIOLATION", "metadata");
  EXPECT_EQ(a.bytes_received(), 0u);
}

TEST(UploadAssemblerTest, EmptyMessageIsRejected) {
  UploadAssembler a{UploadLimits()};
  ExpectError(a.OnEmptyMessage(), absl::StatusCode::kInvalidArgument, "UPLOAD_PROTOCOL_VIOLATION",
              "payload");
  ASSERT_TRUE(a.OnMetadata(Meta()).ok());
  ExpectError(a.OnEmptyMessage(), absl::StatusCode::kInvalidArgument, "UPLOAD_PROTOCOL_VIOLATION",
              "payload");
}

TEST(UploadAssemblerTest, FinishWithoutMetadataIsRejected) {
  UploadAssembler a{UploadLimits()};
  ExpectError(a.Finish().status(), absl::StatusCode::kInvalidArgument, "UPLOAD_PROTOCOL_VIOLATION",
              "metadata");
}

// ---------------------------------------------------------------------------
// Size limits.

TEST(UploadAssemblerTest, ChunkExactlyAtChunkLimitIsAccepted) {
  UploadAssembler a(Limits(1000, 100));
  ASSERT_TRUE(a.OnMetadata(Meta()).ok());
  EXPECT_TRUE(a.OnChunk(absl::Cord(kPng + std::string(100 - kPng.size(), 'x'))).ok());
  EXPECT_EQ(a.bytes_received(), 100u);
}

TEST(UploadAssemblerTest, ChunkOneByteOverChunkLimitIsRejected) {
  UploadAssembler a(Limits(1000, 100));
  ASSERT_TRUE(a.OnMetadata(Meta()).ok());
  const absl::Status s = a.OnChunk(absl::Cord(std::string(101, 'x')));
  ExpectError(s, absl::StatusCode::kInvalidArgument, "IMAGE_TOO_LARGE", "chunk");
  EXPECT_EQ(GetErrorInfo(s)->metadata().at("limitBytes"), "100");
  EXPECT_THAT(std::string(s.message()), HasSubstr("100"));
  EXPECT_EQ(a.bytes_received(), 0u);
}

TEST(UploadAssemblerTest, ImageExactlyAtImageLimitIsAccepted) {
  const std::string image = kPng + std::string(250 - kPng.size(), '\x42');
  absl::StatusOr<Upload> upload =
      Assemble(Meta(), {image.substr(0, 100), image.substr(100, 100), image.substr(200)},
               Limits(250, 100));
  ASSERT_TRUE(upload.ok()) << upload.status();
  EXPECT_EQ(upload->image.size(), 250u);
}

TEST(UploadAssemblerTest, ImageOneByteOverImageLimitIsRejected) {
  UploadAssembler a(Limits(250, 100));
  ASSERT_TRUE(a.OnMetadata(Meta()).ok());
  ASSERT_TRUE(a.OnChunk(absl::Cord(kPng + std::string(100 - kPng.size(), 'x'))).ok());
  ASSERT_TRUE(a.OnChunk(absl::Cord(std::string(100, 'y'))).ok());
  const absl::Status s = a.OnChunk(absl::Cord(std::string(51, 'z')));
  ExpectError(s, absl::StatusCode::kInvalidArgument, "IMAGE_TOO_LARGE", "chunk");
  EXPECT_EQ(GetErrorInfo(s)->metadata().at("limitBytes"), "250");
  EXPECT_EQ(a.bytes_received(), 200u);  // the refused chunk was not kept
}

TEST(UploadAssemblerTest, SizeHintAtLimitIsAccepted) {
  UploadAssembler a(Limits(250, 100));
  EXPECT_TRUE(a.OnMetadata(Meta("k.png", "image/png", 250)).ok());
}

TEST(UploadAssemblerTest, SizeHintOverLimitIsRejectedBeforeAnyBytes) {
  UploadAssembler a(Limits(250, 100));
  const absl::Status s = a.OnMetadata(Meta("k.png", "image/png", 251));
  ExpectError(s, absl::StatusCode::kInvalidArgument, "IMAGE_TOO_LARGE", "metadata.size_bytes");
  EXPECT_EQ(GetErrorInfo(s)->metadata().at("limitBytes"), "250");
  // The metadata was refused, so chunks are still "before metadata".
  ExpectError(a.OnChunk(absl::Cord(kPng)), absl::StatusCode::kInvalidArgument,
              "UPLOAD_PROTOCOL_VIOLATION", "metadata");
}

TEST(UploadAssemblerTest, HugeSizeHintIsRejected) {
  UploadAssembler a{UploadLimits()};
  ExpectError(a.OnMetadata(Meta("k.png", "", INT64_MAX)), absl::StatusCode::kInvalidArgument,
              "IMAGE_TOO_LARGE", "metadata.size_bytes");
}

TEST(UploadAssemblerTest, NegativeSizeHintIsRejected) {
  UploadAssembler a{UploadLimits()};
  ExpectError(a.OnMetadata(Meta("k.png", "", -1)), absl::StatusCode::kInvalidArgument,
              "UPLOAD_PROTOCOL_VIOLATION", "metadata.size_bytes");
}

TEST(UploadAssemblerTest, DefaultLimitsAreTenAndFourMebibytes) {
  const UploadLimits defaults;
  EXPECT_EQ(defaults.max_image_bytes, 10u << 20);
  EXPECT_EQ(defaults.max_chunk_bytes, 4u << 20);
}

// ---------------------------------------------------------------------------
// Content checks at Finish.

TEST(UploadAssemblerTest, NoBytesIsNoFile) {
  UploadAssembler a{UploadLimits()};
  ASSERT_TRUE(a.OnMetadata(Meta()).ok());
  ExpectError(a.Finish().status(), absl::StatusCode::kInvalidArgument, "NO_FILE", "chunk");
}

TEST(UploadAssemblerTest, OnlyEmptyChunksIsNoFile) {
  UploadAssembler a{UploadLimits()};
  ASSERT_TRUE(a.OnMetadata(Meta()).ok());
  ASSERT_TRUE(a.OnChunk(absl::Cord(std::string())).ok());
  ASSERT_TRUE(a.OnChunk(absl::Cord(std::string())).ok());
  ExpectError(a.Finish().status(), absl::StatusCode::kInvalidArgument, "NO_FILE", "chunk");
}

TEST(UploadAssemblerTest, TextIsInvalidFormat) {
  UploadAssembler a{UploadLimits()};
  ASSERT_TRUE(a.OnMetadata(Meta("notes.txt")).ok());
  ASSERT_TRUE(a.OnChunk(absl::Cord("this is a plain text file, not an image\n")).ok());
  ExpectError(a.Finish().status(), absl::StatusCode::kInvalidArgument, "FILE_INVALID_FORMAT", "chunk");
}

TEST(UploadAssemblerTest, GifIsInvalidFormat) {
  UploadAssembler a{UploadLimits()};
  ASSERT_TRUE(a.OnMetadata(Meta("k.gif")).ok());
  ASSERT_TRUE(a.OnChunk(absl::Cord(std::string("GIF89a\x01\x00\x01\x00", 10))).ok());
  ExpectError(a.Finish().status(), absl::StatusCode::kInvalidArgument, "FILE_INVALID_FORMAT", "chunk");
}

TEST(UploadAssemblerTest, TooShortToRecogniseIsInvalidFormat) {
  UploadAssembler a{UploadLimits()};
  ASSERT_TRUE(a.OnMetadata(Meta()).ok());
  ASSERT_TRUE(a.OnChunk(absl::Cord(kPng.substr(0, 7))).ok());
  ExpectError(a.Finish().status(), absl::StatusCode::kInvalidArgument, "FILE_INVALID_FORMAT", "chunk");
}

TEST(UploadAssemblerTest, UnsupportedDeclaredMimeTypeIsRejectedAtMetadata) {
  for (const char* mime : {"text/plain", "image/gif", "application/octet-stream"}) {
    UploadAssembler a{UploadLimits()};
    ExpectError(a.OnMetadata(Meta("k", mime)), absl::StatusCode::kInvalidArgument,
                "FILE_INVALID_FORMAT", "metadata.mime_type");
  }
}

TEST(UploadAssemblerTest, DeclaredMimeTypeDisagreeingWithContentIsRejected) {
  UploadAssembler a{UploadLimits()};
  ASSERT_TRUE(a.OnMetadata(Meta("k.png", "image/png")).ok());
  ASSERT_TRUE(a.OnChunk(absl::Cord(kJpeg)).ok());
  const absl::Status s = a.Finish().status();
  ExpectError(s, absl::StatusCode::kInvalidArgument, "FILE_INVALID_FORMAT", "metadata.mime_type");
  EXPECT_EQ(GetErrorInfo(s)->metadata().at("detectedMimeType"), "image/jpeg");
}

TEST(UploadAssemblerTest, DeclaredPdfWithTiffContentIsRejected) {
  UploadAssembler a{UploadLimits()};
  ASSERT_TRUE(a.OnMetadata(Meta("k.pdf", "application/pdf")).ok());
  ASSERT_TRUE(a.OnChunk(absl::Cord(kTiffBe)).ok());
  const absl::Status s = a.Finish().status();
  ExpectError(s, absl::StatusCode::kInvalidArgument, "FILE_INVALID_FORMAT", "metadata.mime_type");
  EXPECT_EQ(GetErrorInfo(s)->metadata().at("detectedMimeType"), "image/tiff");
}

// ---------------------------------------------------------------------------
// SanitizeFileName.

TEST(SanitizeFileNameTest, PlainNameIsKept) {
  EXPECT_EQ(SanitizeFileName("ktp.jpg", "jpg"), "ktp.jpg");
  EXPECT_EQ(SanitizeFileName("KTP scan (1).PNG", "png"), "KTP scan (1).PNG");
}

TEST(SanitizeFileNameTest, StripsUnixDirectories) {
  EXPECT_EQ(SanitizeFileName("/home/user/scans/ktp.jpg", "jpg"), "ktp.jpg");
  EXPECT_EQ(SanitizeFileName("../../etc/passwd", "jpg"), "passwd");
}

TEST(SanitizeFileNameTest, StripsWindowsDirectories) {
  EXPECT_EQ(SanitizeFileName("C:\\Users\\someone\\ktp.png", "png"), "ktp.png");
  EXPECT_EQ(SanitizeFileName("..\\..\\secret.png", "png"), "secret.png");
}

TEST(SanitizeFileNameTest, StripsMixedSeparatorsUpToTheLastOne) {
  EXPECT_EQ(SanitizeFileName("a/b\\c/d.png", "png"), "d.png");
  EXPECT_EQ(SanitizeFileName("a\\b/c.png", "png"), "c.png");
}

TEST(SanitizeFileNameTest, RemovesQuotesSemicolonsAndControlCharacters) {
  EXPECT_EQ(SanitizeFileName("my\"file\".jpg", "jpg"), "myfile.jpg");
  EXPECT_EQ(SanitizeFileName("ktp.jpg\r\nX-Injected: 1", "jpg"), "ktp.jpgX-Injected: 1");
  EXPECT_EQ(SanitizeFileName("a;b.jpg", "jpg"), "ab.jpg");
  EXPECT_EQ(SanitizeFileName(std::string("a\0b\tc\x1f\x7f.jpg", 11), "jpg"), "abc.jpg");
}

TEST(SanitizeFileNameTest, ResultNeverContainsHeaderBreakingCharacters) {
  std::string hostile;
  for (int c = 0; c < 128; ++c) hostile.push_back(static_cast<char>(c));
  const std::string out = SanitizeFileName(hostile, "png");
  for (char c : out) {
    const auto u = static_cast<unsigned char>(c);
    EXPECT_FALSE(u < 0x20 || u == 0x7f || c == '"' || c == '\\' || c == ';' || c == '/')
        << "byte " << static_cast<int>(u);
  }
  EXPECT_FALSE(out.empty());
}

TEST(SanitizeFileNameTest, EmptyFallsBackToImageDotExtension) {
  EXPECT_EQ(SanitizeFileName("", "png"), "image.png");
  EXPECT_EQ(SanitizeFileName("", "tiff"), "image.tiff");
}

TEST(SanitizeFileNameTest, NothingLeftAfterStrippingFallsBack) {
  EXPECT_EQ(SanitizeFileName("/", "jpg"), "image.jpg");
  EXPECT_EQ(SanitizeFileName("some/dir/", "jpg"), "image.jpg");
  EXPECT_EQ(SanitizeFileName("C:\\dir\\", "pdf"), "image.pdf");
  EXPECT_EQ(SanitizeFileName("\"\"\r\n;", "pdf"), "image.pdf");
}

TEST(SanitizeFileNameTest, DotAndDotDotFallBack) {
  EXPECT_EQ(SanitizeFileName(".", "png"), "image.png");
  EXPECT_EQ(SanitizeFileName("..", "png"), "image.png");
  EXPECT_EQ(SanitizeFileName("a/..", "png"), "image.png");
  EXPECT_EQ(SanitizeFileName("..\\..", "png"), "image.png");
  EXPECT_EQ(SanitizeFileName("\".\".", "png"), "image.png");  // quotes removed leave ".."
}

TEST(SanitizeFileNameTest, KeepsUtf8) {
  EXPECT_EQ(SanitizeFileName("kartu-\xc3\xa9l\xc3\xa8ve.jpg", "jpg"), "kartu-\xc3\xa9l\xc3\xa8ve.jpg");
}

TEST(SanitizeFileNameTest, CapsAt200Bytes) {
  EXPECT_EQ(SanitizeFileName(std::string(200, 'a'), "png"), std::string(200, 'a'));
  EXPECT_EQ(SanitizeFileName(std::string(201, 'a'), "png"), std::string(200, 'a'));
  EXPECT_EQ(SanitizeFileName(std::string(5000, 'b'), "png"), std::string(200, 'b'));
}

TEST(SanitizeFileNameTest, CapCountsBytesAfterStripping) {
  // Removed characters do not count toward the cap.
  const std::string name = std::string(50, '"') + std::string(200, 'a');
  EXPECT_EQ(SanitizeFileName(name, "png"), std::string(200, 'a'));
}

TEST(SanitizeFileNameTest, CapDoesNotCutTwoByteSequence) {
  // 199 ASCII bytes then "é" (C3 A9): the cap falls between C3 and A9.
  const std::string name = std::string(199, 'a') + "\xc3\xa9" + "zz";
  EXPECT_EQ(SanitizeFileName(name, "png"), std::string(199, 'a'));
}

TEST(SanitizeFileNameTest, CapDoesNotCutFourByteSequenceAtAnyOffset) {
  const std::string emoji = "\xf0\x9f\x98\x80";  // U+1F600
  for (size_t inside = 1; inside <= 3; ++inside) {
    // `inside` bytes of the emoji fit under the cap.
    const std::string prefix(200 - inside, 'a');
    EXPECT_EQ(SanitizeFileName(prefix + emoji + "tail", "png"), prefix) << "inside=" << inside;
  }
}

TEST(SanitizeFileNameTest, CapKeepsACompleteMultiByteCharacterEndingAtTheCap) {
  // 198 ASCII + "é" is exactly 200 bytes: the cut falls between characters, so
  // nothing needs dropping.
  const std::string kept = std::string(198, 'a') + "\xc3\xa9";
  EXPECT_EQ(SanitizeFileName(kept + "more", "png"), kept);
  const std::string kept4 = std::string(196, 'a') + "\xf0\x9f\x98\x80";
  EXPECT_EQ(SanitizeFileName(kept4 + "more", "png"), kept4);
}

TEST(SanitizeFileNameTest, AllMultiByteNameIsCutOnACharacterBoundary) {
  std::string name;
  for (int i = 0; i < 100; ++i) name += "\xe6\x96\x87";  // U+6587, 3 bytes: 300 bytes total
  const std::string out = SanitizeFileName(name, "png");
  EXPECT_EQ(out.size(), 198u);  // 66 whole characters
  EXPECT_EQ(out, name.substr(0, 198));
}

}  // namespace
}  // namespace ktp::service
