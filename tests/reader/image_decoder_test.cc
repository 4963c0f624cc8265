// image_decoder: every accepted format decodes to BGR with the right pixels;
// bad and oversized uploads get the same typed errors as the upstream's.
#include "reader/image_decoder.h"

#include <leptonica/allheaders.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/error_details.h"
#include "gtest/gtest.h"
#include "tests/reader/exif_test_util.h"

namespace ktp::reader {
namespace {

// A 64×48 RGB test pattern: left half red, right half blue.
PIX* MakePattern() {
  PIX* pix = pixCreate(64, 48, 32);
  for (int y = 0; y < 48; ++y) {
    for (int x = 0; x < 64; ++x) {
      if (x < 32) {
        pixSetRGBPixel(pix, x, y, 220, 20, 30);
      } else {
        pixSetRGBPixel(pix, x, y, 10, 40, 200);
      }
    }
  }
  return pix;
}

std::string Encode(PIX* pix, int format) {
  l_uint8* data = nullptr;
  size_t size = 0;
  EXPECT_EQ(pixWriteMem(&data, &size, pix, format), 0);
  std::string out(reinterpret_cast<char*>(data), size);
  lept_free(data);
  return out;
}

void ExpectPattern(const cv::Mat& m, int tolerance) {
  ASSERT_EQ(m.type(), CV_8UC3);
  ASSERT_EQ(m.cols, 64);
  ASSERT_EQ(m.rows, 48);
  const cv::Vec3b left = m.at<cv::Vec3b>(24, 8);    // BGR
  const cv::Vec3b right = m.at<cv::Vec3b>(24, 56);
  EXPECT_NEAR(left[2], 220, tolerance);
  EXPECT_NEAR(left[1], 20, tolerance);
  EXPECT_NEAR(left[0], 30, tolerance);
  EXPECT_NEAR(right[2], 10, tolerance);
  EXPECT_NEAR(right[0], 200, tolerance);
}

TEST(ImageDecoderTest, DecodesPngJpegTiff) {
  PIX* pix = MakePattern();
  for (int format : {IFF_PNG, IFF_JFIF_JPEG, IFF_TIFF_ZIP, IFF_TIFF_LZW}) {
    SCOPED_TRACE(format);
    absl::StatusOr<cv::Mat> m = reader::DecodeImage(Encode(pix, format), 1'000'000);
    ASSERT_TRUE(m.ok()) << m.status();
    ExpectPattern(*m, format == IFF_JFIF_JPEG ? 25 : 0);
  }
  pixDestroy(&pix);
}

TEST(ImageDecoderTest, DecodesGreyBinaryAndColormapped) {
  PIX* rgb = MakePattern();
  PIX* grey = pixConvertRGBToLuminance(rgb);
  PIX* binary = pixThresholdToBinary(grey, 100);
  PIX* cmapped = pixConvertRGBToColormap(rgb, 1);
  ASSERT_NE(pixGetColormap(cmapped), nullptr);
  for (PIX* p : {grey, binary, cmapped}) {
    absl::StatusOr<cv::Mat> m = reader::DecodeImage(Encode(p, IFF_PNG), 1'000'000);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->type(), CV_8UC3);
    EXPECT_EQ(m->cols, 64);
  }
  absl::StatusOr<cv::Mat> m = reader::DecodeImage(Encode(cmapped, IFF_PNG), 1'000'000);
  ASSERT_TRUE(m.ok());
  ExpectPattern(*m, 0);
  // The luminance of red (220,20,30) is dark: a 1-bpp image keeps it black.
  m = reader::DecodeImage(Encode(binary, IFF_TIFF_G4), 1'000'000);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->at<cv::Vec3b>(24, 8)[0], 0);
  for (PIX* p : {rgb, grey, binary, cmapped}) pixDestroy(&p);
}

// A minimal hand-written PDF: one 200×100 pt page with a red square at
// (20, 20)–(70, 70) pt from the bottom left. Offsets are computed, so the
// xref table is valid.
std::string TinyPdf(const std::string& media_box = "0 0 200 100") {
  const std::string content = "1 0 0 rg 20 20 50 50 re f\n";
  std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [" + media_box + "] /Contents 4 0 R /Resources << >> >>",
      absl::StrCat("<< /Length ", content.size(), " >>\nstream\n", content, "endstream"),
  };
  std::string pdf = "%PDF-1.4\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    absl::StrAppend(&pdf, i + 1, " 0 obj\n", objects[i], "\nendobj\n");
  }
  const size_t xref = pdf.size();
  absl::StrAppend(&pdf, "xref\n0 ", objects.size() + 1, "\n0000000000 65535 f \n");
  for (size_t off : offsets) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", off);
    pdf += line;
  }
  absl::StrAppend(&pdf, "trailer\n<< /Size ", objects.size() + 1, " /Root 1 0 R >>\nstartxref\n", xref,
                  "\n%%EOF\n");
  return pdf;
}

TEST(ImageDecoderTest, RendersFirstPdfPage) {
  absl::StatusOr<cv::Mat> m = reader::DecodeImage(TinyPdf(), 40'000'000);
  ASSERT_TRUE(m.ok()) << m.status();
  // 200 × 100 pt at 200 dpi.
  EXPECT_NEAR(m->cols, 556, 1);
  EXPECT_NEAR(m->rows, 278, 1);
  // Inside the square (45, 45 pt from bottom left) red; outside white paper.
  const cv::Vec3b in = m->at<cv::Vec3b>(m->rows - 125, 125);
  EXPECT_GT(in[2], 200);
  EXPECT_LT(in[1], 60);
  const cv::Vec3b out = m->at<cv::Vec3b>(10, 500);
  EXPECT_GT(out[0], 240);
  EXPECT_GT(out[1], 240);
}

TEST(ImageDecoderTest, TheSniffedTypePicksTheDecoder) {
  // A PDF that the gateway sniffed as something else never reaches poppler.
  absl::StatusOr<cv::Mat> as_png = reader::DecodeImage(TinyPdf(), 40'000'000, "image/png");
  ASSERT_FALSE(as_png.ok());
  EXPECT_EQ(ErrorReason(as_png.status()), "FILE_INVALID_FORMAT");
  // A PNG carrying "%PDF-" in its bytes is decoded as the PNG it is.
  PIX* pix = pixCreate(16, 8, 32);
  std::string png = Encode(pix, IFF_PNG);
  pixDestroy(&pix);
  png.insert(png.size() - 12, "%PDF-1.4 not really");  // before IEND: a trailing junk chunk payload
  absl::StatusOr<cv::Mat> real_png = reader::DecodeImage(png, 1'000'000, "image/png");
  if (real_png.ok()) {
    EXPECT_EQ(real_png->cols, 16);
  } else {
    EXPECT_EQ(ErrorReason(real_png.status()), "FILE_INVALID_FORMAT");  // never decoded as a PDF page
  }
  // Declared a PDF, the bytes must start like one.
  EXPECT_FALSE(reader::DecodeImage(std::string("junk") + TinyPdf(), 40'000'000, "application/pdf").ok());
  EXPECT_TRUE(reader::DecodeImage(TinyPdf(), 40'000'000, "application/pdf").ok());
}

TEST(ImageDecoderTest, AbsurdPdfPageSizesAreRefusedOrKeptWithinThePixelCap) {
  // Huge or non-finite page sizes (poppler may also normalise some of them):
  // never a crash, never an integer overflow (UBSan), never over the cap.
  int refused = 0;
  for (const char* box : {"0 0 1e30 1e30", "0 0 99999999 10", "0 0 1e308 1e308", "0 0 20000 20000"}) {
    absl::StatusOr<cv::Mat> m = reader::DecodeImage(TinyPdf(box), 4'000'000, "application/pdf");
    if (m.ok()) {
      EXPECT_LE(m->total(), 4'000'000u) << box;
      continue;
    }
    ++refused;
    const std::string reason = ErrorReason(m.status());
    EXPECT_TRUE(reason == "IMAGE_TOO_LARGE" || reason == "FILE_INVALID_FORMAT") << box << ": " << reason;
  }
  EXPECT_GE(refused, 1) << "a 20000-point page (277 inches) is refused";
}

TEST(ImageDecoderTest, LargePdfPageIsRenderedSmaller) {
  // 200 × 100 pt at 200 dpi is ~155k pixels; allow a quarter of that.
  absl::StatusOr<cv::Mat> m = reader::DecodeImage(TinyPdf(), 40'000);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_LE(static_cast<long>(m->total()), 40'000);
}

TEST(ImageDecoderTest, GarbageIsFileInvalidFormat) {
  for (std::string bytes : {std::string("not an image at all"), std::string(),
                            std::string("\x89PNG\r\n\x1a\n garbage after the magic", 30),
                            std::string("%PDF-1.4 broken")}) {
    absl::StatusOr<cv::Mat> m = reader::DecodeImage(bytes, 1'000'000);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorReason(m.status()), "FILE_INVALID_FORMAT");
    EXPECT_TRUE(GetBadRequest(m.status()).has_value());
  }
}

TEST(ImageDecoderTest, TruncatedJpegIsRefusedOrDecoded) {
  PIX* pix = MakePattern();
  const std::string jpeg = Encode(pix, IFF_JFIF_JPEG);
  pixDestroy(&pix);
  // Where the frame header (SOF0: the dimensions) and the entropy-coded scan
  // (after SOS) start, so the cuts below land where they are meant to.
  const size_t sof = jpeg.find(std::string("\xFF\xC0", 2));
  const size_t sos = jpeg.find(std::string("\xFF\xDA", 2));
  ASSERT_NE(sof, std::string::npos);
  ASSERT_NE(sos, std::string::npos);
  ASSERT_LT(sof, sos);
  struct Cut {
    size_t size;
    bool header_intact;  // the dimensions can still be read
  };
  for (const Cut& cut : {Cut{sof / 2, false}, Cut{sof + 4, false}, Cut{sos + 16, true},
                         Cut{sos + (jpeg.size() - sos) / 2, true}, Cut{jpeg.size() - 2, true}}) {
    SCOPED_TRACE(absl::StrCat("cut at ", cut.size, " of ", jpeg.size(), " bytes"));
    const std::string truncated = jpeg.substr(0, cut.size);
    // libjpeg may pad missing scan data (then the image is what the header
    // promised) or give up (then it is the caller's bad upload, typed like
    // the upstream's 415). Never anything else, never a crash.
    absl::StatusOr<cv::Mat> m = reader::DecodeImage(truncated, 1'000'000);
    if (m.ok()) {
      ASSERT_TRUE(cut.header_intact) << "decoded without the frame header";
      EXPECT_EQ(m->type(), CV_8UC3);
      EXPECT_EQ(m->cols, 64);
      EXPECT_EQ(m->rows, 48);
    } else {
      EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << m.status();
      EXPECT_EQ(ErrorReason(m.status()), "FILE_INVALID_FORMAT") << m.status();
      EXPECT_TRUE(GetBadRequest(m.status()).has_value());
    }
    // The pixel cap is judged from the header, before any pixel data: a
    // truncated bomb is refused as too large, not decoded (or padded) first.
    absl::StatusOr<cv::Mat> capped = reader::DecodeImage(truncated, 64 * 48 - 1);
    ASSERT_FALSE(capped.ok());
    EXPECT_EQ(capped.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorReason(capped.status()), cut.header_intact ? "IMAGE_TOO_LARGE" : "FILE_INVALID_FORMAT")
        << capped.status();
  }
}

TEST(ImageDecoderTest, TooManyPixelsIsRefusedFromTheHeader) {
  PIX* pix = MakePattern();
  absl::StatusOr<cv::Mat> m = reader::DecodeImage(Encode(pix, IFF_PNG), 64 * 48 - 1);
  pixDestroy(&pix);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(m.status()), "IMAGE_TOO_LARGE");
}

TEST(ImageDecoderTest, JpegRoundTrip) {
  cv::Mat bgr(40, 60, CV_8UC3, cv::Scalar(200, 100, 50));
  absl::StatusOr<std::string> jpeg = reader::EncodeJpeg(bgr, 85);
  ASSERT_TRUE(jpeg.ok()) << jpeg.status();
  ASSERT_GE(jpeg->size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>((*jpeg)[0]), 0xFF);
  EXPECT_EQ(static_cast<unsigned char>((*jpeg)[1]), 0xD8);
  absl::StatusOr<cv::Mat> back = reader::DecodeImage(*jpeg, 1'000'000);
  ASSERT_TRUE(back.ok());
  const cv::Vec3b p = back->at<cv::Vec3b>(20, 30);
  EXPECT_NEAR(p[0], 200, 6);
  EXPECT_NEAR(p[1], 100, 6);
  EXPECT_NEAR(p[2], 50, 6);
  EXPECT_FALSE(reader::EncodeJpeg(cv::Mat(), 85).ok());
}

// A 60×40 JPEG, grey with a red block in its top-left corner: where the
// block lands after decoding says how the image was turned.
std::string CornerMarkedJpeg() {
  PIX* pix = pixCreate(60, 40, 32);
  for (int y = 0; y < 40; ++y) {
    for (int x = 0; x < 60; ++x) {
      if (x < 16 && y < 16) {
        pixSetRGBPixel(pix, x, y, 230, 20, 20);
      } else {
        pixSetRGBPixel(pix, x, y, 120, 120, 120);
      }
    }
  }
  std::string jpeg = Encode(pix, IFF_JFIF_JPEG);
  pixDestroy(&pix);
  return jpeg;
}

bool RedAt(const cv::Mat& m, int x, int y) {
  const cv::Vec3b p = m.at<cv::Vec3b>(y, x);
  return p[2] > 180 && p[1] < 80 && p[0] < 80;
}

TEST(ImageDecoderTest, ExifOrientationIsAppliedAtDecode) {
  const std::string jpeg = CornerMarkedJpeg();
  struct Case {
    int orientation;
    int width, height;     // after decoding
    int red_x, red_y;      // where the top-left block lands
  };
  const Case cases[] = {
      {1, 60, 40, 4, 4},   {2, 60, 40, 55, 4},  {3, 60, 40, 55, 35}, {4, 60, 40, 4, 35},
      {5, 40, 60, 4, 4},   {6, 40, 60, 35, 4},  {7, 40, 60, 35, 55}, {8, 40, 60, 4, 55},
  };
  for (bool big_endian : {true, false}) {
    for (const Case& c : cases) {
      SCOPED_TRACE(absl::StrCat("orientation ", c.orientation, big_endian ? " MM" : " II"));
      const std::string tagged = testing::WithExifOrientation(jpeg, c.orientation, big_endian);
      EXPECT_EQ(reader::JpegExifOrientation(tagged), c.orientation);
      int reported = 0;
      absl::StatusOr<cv::Mat> m = reader::DecodeImage(tagged, 1'000'000, "image/jpeg", &reported);
      ASSERT_TRUE(m.ok()) << m.status();
      EXPECT_EQ(reported, c.orientation);
      ASSERT_EQ(m->cols, c.width);
      ASSERT_EQ(m->rows, c.height);
      EXPECT_TRUE(RedAt(*m, c.red_x, c.red_y));
    }
  }
}

TEST(ImageDecoderTest, NoOrMalformedExifLeavesTheImageAsIs) {
  const std::string jpeg = CornerMarkedJpeg();
  int reported = 0;
  absl::StatusOr<cv::Mat> m = reader::DecodeImage(jpeg, 1'000'000, "", &reported);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(reported, 1);
  EXPECT_EQ(m->cols, 60);
  // Out-of-range tag values, a truncated segment, PNG bytes: 1.
  EXPECT_EQ(reader::JpegExifOrientation(testing::WithExifOrientation(jpeg, 9)), 1);
  EXPECT_EQ(reader::JpegExifOrientation(testing::WithExifOrientation(jpeg, 0)), 1);
  EXPECT_EQ(reader::JpegExifOrientation(testing::WithExifOrientation(jpeg, 6).substr(0, 30)), 1);
  PIX* pix = MakePattern();
  EXPECT_EQ(reader::JpegExifOrientation(Encode(pix, IFF_PNG)), 1);
  pixDestroy(&pix);
  EXPECT_EQ(reader::JpegExifOrientation(""), 1);
  // A tagged but truncated JPEG still decodes or fails cleanly, never crashes.
  const std::string tagged = testing::WithExifOrientation(jpeg, 6);
  (void)reader::DecodeImage(tagged.substr(0, tagged.size() / 2), 1'000'000);
}

}  // namespace
}  // namespace ktp::reader
