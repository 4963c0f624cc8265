// Unit tests of service/image_sniffer: magic-byte detection of png, jpeg, pdf and
// tiff (both byte orders), short inputs and near-misses that must not match, and
// the media type helpers MimeTypeOf / ExtensionOf / ImageTypeFromMime (aliases,
// case, parameters, and the types that must be refused).
#include "service/image_sniffer.h"

#include <string>

#include "gtest/gtest.h"

namespace ktp::service {
namespace {

// Real file heads (first bytes of each format), followed by plausible data.
const std::string kPngHead("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", 16);
const std::string kJpegHead("\xff\xd8\xff\xe0\x00\x10JFIF\x00", 11);
const std::string kJpegExifHead("\xff\xd8\xff\xe1\x12\x34" "Exif", 10);
const std::string kPdfHead("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", 15);
const std::string kTiffLittleEndian("II*\x00\x08\x00\x00\x00", 8);
const std::string kTiffBigEndian("MM\x00*\x00\x00\x00\x08", 8);

TEST(SniffImageTypeTest, DetectsPng) { EXPECT_EQ(SniffImageType(kPngHead), ImageType::kPng); }

TEST(SniffImageTypeTest, DetectsPngFromExactlyItsEightByteSignature) {
  EXPECT_EQ(SniffImageType(kPngHead.substr(0, 8)), ImageType::kPng);
  EXPECT_EQ(kSniffBytes, 8u);
}

TEST(SniffImageTypeTest, DetectsJpegJfifAndExif) {
  EXPECT_EQ(SniffImageType(kJpegHead), ImageType::kJpeg);
  EXPECT_EQ(SniffImageType(kJpegExifHead), ImageType::kJpeg);
  EXPECT_EQ(SniffImageType(std::string("\xff\xd8\xff", 3)), ImageType::kJpeg);
}

TEST(SniffImageTypeTest, DetectsPdf) {
  EXPECT_EQ(SniffImageType(kPdfHead), ImageType::kPdf);
  EXPECT_EQ(SniffImageType("%PDF-"), ImageType::kPdf);
}

TEST(SniffImageTypeTest, DetectsTiffLittleEndian) {
  EXPECT_EQ(SniffImageType(kTiffLittleEndian), ImageType::kTiff);
  EXPECT_EQ(SniffImageType(kTiffLittleEndian.substr(0, 4)), ImageType::kTiff);
}

TEST(SniffImageTypeTest, DetectsTiffBigEndian) {
  EXPECT_EQ(SniffImageType(kTiffBigEndian), ImageType::kTiff);
  EXPECT_EQ(SniffImageType(kTiffBigEndian.substr(0, 4)), ImageType::kTiff);
}

TEST(SniffImageTypeTest, EmptyInputIsUnknown) { EXPECT_EQ(SniffImageType(""), ImageType::kUnknown); }

TEST(SniffImageTypeTest, TruncatedSignaturesAreUnknown) {
  // One byte short of each signature: not enough evidence.
  EXPECT_EQ(SniffImageType(kPngHead.substr(0, 7)), ImageType::kUnknown);
  EXPECT_EQ(SniffImageType(kJpegHead.substr(0, 2)), ImageType::kUnknown);
  EXPECT_EQ(SniffImageType("%PDF"), ImageType::kUnknown);
  EXPECT_EQ(SniffImageType(kTiffLittleEndian.substr(0, 3)), ImageType::kUnknown);
  EXPECT_EQ(SniffImageType(kTiffBigEndian.substr(0, 3)), ImageType::kUnknown);
  EXPECT_EQ(SniffImageType(std::string("\x89", 1)), ImageType::kUnknown);
}

TEST(SniffImageTypeTest, NearMissesAreUnknown) {
  // PNG with the DOS line-ending check byte mangled (as a text-mode transfer would).
  EXPECT_EQ(SniffImageType(std::string("\x89PNG\n\x1a\n\x00", 8)), ImageType::kUnknown);
  EXPECT_EQ(SniffImageType(std::string("\x88PNG\r\n\x1a\n", 8)), ImageType::kUnknown);
  EXPECT_EQ(SniffImageType(std::string("\x89png\r\n\x1a\n", 8)), ImageType::kUnknown);
  // JPEG SOI without the following marker byte.
  EXPECT_EQ(SniffImageType(std::string("\xff\xd8\x00\xe0", 4)), ImageType::kUnknown);
  EXPECT_EQ(SniffImageType(std::string("\xff\xd9\xff\xe0", 4)), ImageType::kUnknown);
  // PDF: case matters, the dash is required, and it must be at offset 0.
  EXPECT_EQ(SniffImageType("%pdf-1.4"), ImageType::kUnknown);
  EXPECT_EQ(SniffImageType("%PDF 1.4"), ImageType::kUnknown);
  EXPECT_EQ(SniffImageType(" %PDF-1.4"), ImageType::kUnknown);
  // TIFF with mixed byte-order markers or the magic 42 in the wrong byte order.
  EXPECT_EQ(SniffImageType(std::string("IM*\x00", 4)), ImageType::kUnknown);
  EXPECT_EQ(SniffImageType(std::string("II\x00*", 4)), ImageType::kUnknown);
  EXPECT_EQ(SniffImageType(std::string("MM*\x00", 4)), ImageType::kUnknown);
  EXPECT_EQ(SniffImageType(std::string("ii*\x00", 4)), ImageType::kUnknown);
}

TEST(SniffImageTypeTest, OtherFormatsAndTextAreUnknown) {
  EXPECT_EQ(SniffImageType(std::string("GIF89a\x01\x00", 8)), ImageType::kUnknown);
  EXPECT_EQ(SniffImageType(std::string("BM\x36\x00\x00\x00", 6)), ImageType::kUnknown);
  EXPECT_EQ(SniffImageType(std::string("RIFF\x24\x00\x00\x00WEBPVP8 ", 16)), ImageType::kUnknown);
  EXPECT_EQ(SniffImageType("hello, this is text"), ImageType::kUnknown);
  EXPECT_EQ(SniffImageType("<html><body>"), ImageType::kUnknown);
  EXPECT_EQ(SniffImageType(std::string(8, '\0')), ImageType::kUnknown);
}

TEST(SniffImageTypeTest, SignatureMustBeAtTheStart) {
  EXPECT_EQ(SniffImageType(std::string(1, '\0') + kPngHead), ImageType::kUnknown);
  EXPECT_EQ(SniffImageType("xx" + kJpegHead), ImageType::kUnknown);
}

TEST(MimeTypeOfTest, CanonicalTypes) {
  EXPECT_EQ(MimeTypeOf(ImageType::kPng), "image/png");
  EXPECT_EQ(MimeTypeOf(ImageType::kJpeg), "image/jpeg");
  EXPECT_EQ(MimeTypeOf(ImageType::kPdf), "application/pdf");
  EXPECT_EQ(MimeTypeOf(ImageType::kTiff), "image/tiff");
  EXPECT_EQ(MimeTypeOf(ImageType::kUnknown), "");
}

TEST(ExtensionOfTest, ExtensionsWithoutDot) {
  EXPECT_EQ(ExtensionOf(ImageType::kPng), "png");
  EXPECT_EQ(ExtensionOf(ImageType::kJpeg), "jpg");
  EXPECT_EQ(ExtensionOf(ImageType::kPdf), "pdf");
  EXPECT_EQ(ExtensionOf(ImageType::kTiff), "tiff");
  EXPECT_EQ(ExtensionOf(ImageType::kUnknown), "");
}

TEST(ImageTypeFromMimeTest, CanonicalTypes) {
  EXPECT_EQ(ImageTypeFromMime("image/png"), ImageType::kPng);
  EXPECT_EQ(ImageTypeFromMime("image/jpeg"), ImageType::kJpeg);
  EXPECT_EQ(ImageTypeFromMime("application/pdf"), ImageType::kPdf);
  EXPECT_EQ(ImageTypeFromMime("image/tiff"), ImageType::kTiff);
}

TEST(ImageTypeFromMimeTest, RoundTripsEveryKnownType) {
  for (ImageType t : {ImageType::kPng, ImageType::kJpeg, ImageType::kPdf, ImageType::kTiff}) {
    EXPECT_EQ(ImageTypeFromMime(MimeTypeOf(t)), t) << MimeTypeOf(t);
  }
}

TEST(ImageTypeFromMimeTest, AcceptsAliases) {
  EXPECT_EQ(ImageTypeFromMime("image/jpg"), ImageType::kJpeg);
  EXPECT_EQ(ImageTypeFromMime("image/pjpeg"), ImageType::kJpeg);
  EXPECT_EQ(ImageTypeFromMime("image/tif"), ImageType::kTiff);
  EXPECT_EQ(ImageTypeFromMime("application/x-pdf"), ImageType::kPdf);
}

TEST(ImageTypeFromMimeTest, IsCaseInsensitive) {
  EXPECT_EQ(ImageTypeFromMime("IMAGE/PNG"), ImageType::kPng);
  EXPECT_EQ(ImageTypeFromMime("Image/Jpeg"), ImageType::kJpeg);
  EXPECT_EQ(ImageTypeFromMime("Application/PDF"), ImageType::kPdf);
  EXPECT_EQ(ImageTypeFromMime("image/TIF"), ImageType::kTiff);
}

TEST(ImageTypeFromMimeTest, IgnoresParametersAndSurroundingWhitespace) {
  EXPECT_EQ(ImageTypeFromMime("image/png; charset=binary"), ImageType::kPng);
  EXPECT_EQ(ImageTypeFromMime("image/jpeg;q=0.9"), ImageType::kJpeg);
  EXPECT_EQ(ImageTypeFromMime("  application/pdf  ; version=1.7"), ImageType::kPdf);
  EXPECT_EQ(ImageTypeFromMime(" image/tiff "), ImageType::kTiff);
}

TEST(ImageTypeFromMimeTest, RejectsUnsupportedTypes) {
  EXPECT_EQ(ImageTypeFromMime("text/plain"), ImageType::kUnknown);
  EXPECT_EQ(ImageTypeFromMime("image/gif"), ImageType::kUnknown);
  EXPECT_EQ(ImageTypeFromMime("image/webp"), ImageType::kUnknown);
  EXPECT_EQ(ImageTypeFromMime("image/bmp"), ImageType::kUnknown);
  EXPECT_EQ(ImageTypeFromMime("application/octet-stream"), ImageType::kUnknown);
  EXPECT_EQ(ImageTypeFromMime("text/html; charset=utf-8"), ImageType::kUnknown);
}

TEST(ImageTypeFromMimeTest, RejectsEmptyAndMalformed) {
  EXPECT_EQ(ImageTypeFromMime(""), ImageType::kUnknown);
  EXPECT_EQ(ImageTypeFromMime(";image/png"), ImageType::kUnknown);
  EXPECT_EQ(ImageTypeFromMime("png"), ImageType::kUnknown);
  EXPECT_EQ(ImageTypeFromMime("image/"), ImageType::kUnknown);
  EXPECT_EQ(ImageTypeFromMime("image/pngx"), ImageType::kUnknown);
  EXPECT_EQ(ImageTypeFromMime("ximage/png"), ImageType::kUnknown);
  EXPECT_EQ(ImageTypeFromMime("image / png"), ImageType::kUnknown);
}

}  // namespace
}  // namespace ktp::service
