// Upload bytes → BGR pixels (Leptonica for raster formats, poppler for PDF),
// and BGR → JPEG for the crops. See image_decoder.h.
#include "reader/image_decoder.h"

#include "absl/strings/match.h"

#include <leptonica/allheaders.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstring>
#include <memory>
#include <mutex>

#include <opencv2/core.hpp>

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-image.h>
#include <poppler-page-renderer.h>
#include <poppler-page.h>

#include "absl/strings/str_cat.h"
#include "common/error_details.h"
#include "common/error_reasons.h"
#include "reader/engine_guard.h"

namespace ktp::reader {
namespace {

// Leptonica and poppler report every failed read on stderr; a bad upload is
// not worth a log line (and the gateway logs through its own logger).
void QuietLibraries() {
  static std::once_flag once;
  std::call_once(once, [] {
    setMsgSeverity(L_SEVERITY_NONE);
    poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr);
  });
}

struct PixDeleter {
  void operator()(PIX* pix) const { pixDestroy(&pix); }
};
using PixPtr = std::unique_ptr<PIX, PixDeleter>;

absl::Status InvalidFormat(absl::string_view why) {
  absl::Status s = MakeError(absl::StatusCode::kInvalidArgument, reasons::kFileInvalidFormat,
                             absl::StrCat("the image could not be decoded (", why,
                                          "); send a png, jpeg, pdf or tiff image"));
  AddFieldViolation(s, "chunk", "not an accepted image format");
  return s;
}

absl::Status TooLarge(long pixels, long max_pixels) {
  absl::Status s = MakeError(
      absl::StatusCode::kInvalidArgument, reasons::kImageTooLarge,
      absl::StrCat("the image has ", pixels, " pixels; at most ", max_pixels, " are accepted"),
      {{"limitPixels", std::to_string(max_pixels)}});
  AddFieldViolation(s, "chunk", "image dimensions too large");
  return s;
}

// Magic bytes at the start, as the gateway's sniffer checks them.
bool IsPdf(absl::string_view bytes) { return absl::StartsWith(bytes, "%PDF-"); }

// Leptonica's 32 bpp RGB(A) → OpenCV BGR.
cv::Mat PixToMat(PIX* pix32) {
  const int w = pixGetWidth(pix32);
  const int h = pixGetHeight(pix32);
  const int wpl = pixGetWpl(pix32);
  const l_uint32* data = pixGetData(pix32);
  cv::Mat out(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y) {
    const l_uint32* line = data + static_cast<size_t>(y) * wpl;
    uint8_t* dst = out.ptr<uint8_t>(y);
    for (int x = 0; x < w; ++x) {
      const l_uint32 v = line[x];
      dst[3 * x + 0] = static_cast<uint8_t>((v >> L_BLUE_SHIFT) & 0xff);
      dst[3 * x + 1] = static_cast<uint8_t>((v >> L_GREEN_SHIFT) & 0xff);
      dst[3 * x + 2] = static_cast<uint8_t>((v >> L_RED_SHIFT) & 0xff);
    }
  }
  return out;
}

absl::StatusOr<cv::Mat> DecodeRaster(absl::string_view bytes, long max_pixels) {
  const auto* data = reinterpret_cast<const l_uint8*>(bytes.data());
  l_int32 format = 0, w = 0, h = 0, bps = 0, spp = 0, iscmap = 0;
  // The header first, so a bomb is refused before its pixels are allocated.
  if (pixReadHeaderMem(data, bytes.size(), &format, &w, &h, &bps, &spp, &iscmap) != 0) {
    return InvalidFormat("unreadable header");
  }
  if (format != IFF_PNG && format != IFF_JFIF_JPEG && !(format >= IFF_TIFF && format <= IFF_TIFF_JPEG)) {
    return InvalidFormat("unsupported format");
  }
  if (w <= 0 || h <= 0) return InvalidFormat("empty image");
  const long pixels = static_cast<long>(w) * h;
  if (pixels > max_pixels) return TooLarge(pixels, max_pixels);
  PixPtr pix(pixReadMem(data, bytes.size()));
  if (!pix) return InvalidFormat("corrupt image data");
  // 1/2/4/8/16 bpp, grey or colormapped, RGBA: all become 32 bpp RGB.
  PixPtr pix32(pixConvertTo32(pix.get()));
  if (!pix32) return InvalidFormat("unsupported pixel format");
  return PixToMat(pix32.get());
}

absl::StatusOr<cv::Mat> DecodePdf(absl::string_view bytes, long max_pixels) {
  std::unique_ptr<poppler::document> doc(poppler::document::load_from_raw_data(
      bytes.data(), static_cast<int>(std::min<size_t>(bytes.size(), INT32_MAX))));
  if (!doc || doc->is_locked() || doc->pages() < 1) return InvalidFormat("unreadable pdf");
  std::unique_ptr<poppler::page> page(doc->create_page(0));
  if (!page) return InvalidFormat("pdf without pages");
  const poppler::rectf rect = page->page_rect(poppler::media_box);
  const double w_in = rect.width() / 72.0, h_in = rect.height() / 72.0;
  if (!(w_in > 0) || !(h_in > 0)) return InvalidFormat("empty pdf page");
  // A page can claim any size (up to infinity): refuse absurd ones before any
  // arithmetic that is cast to an integer. 200 inches is larger than any paper.
  constexpr double kMaxPageInches = 200;
  if (!std::isfinite(w_in) || !std::isfinite(h_in) || w_in > kMaxPageInches || h_in > kMaxPageInches) {
    return TooLarge(std::numeric_limits<long>::max(), max_pixels);
  }
  double dpi = kPdfDpi;
  if (w_in * h_in * dpi * dpi > static_cast<double>(max_pixels)) {
    dpi = std::floor(std::sqrt(static_cast<double>(max_pixels) / (w_in * h_in)));
    if (dpi < 72) {
      return TooLarge(static_cast<long>(w_in * h_in * 72 * 72), max_pixels);
    }
  }
  poppler::page_renderer renderer;
  renderer.set_render_hint(poppler::page_renderer::antialiasing, true);
  renderer.set_render_hint(poppler::page_renderer::text_antialiasing, true);
  renderer.set_image_format(poppler::image::format_argb32);
  poppler::image img = renderer.render_page(page.get(), dpi, dpi);
  if (!img.is_valid() || img.width() <= 0 || img.height() <= 0) {
    return InvalidFormat("pdf page could not be rendered");
  }
  // ARGB32 is native-endian 0xAARRGGBB: B,G,R,A bytes on little-endian hosts.
  cv::Mat bgra(img.height(), img.width(), CV_8UC4, const_cast<char*>(img.const_data()),
               static_cast<size_t>(img.bytes_per_row()));
  cv::Mat bgr(img.height(), img.width(), CV_8UC3);
  // Composite onto white: transparent areas of a page are paper.
  for (int y = 0; y < bgra.rows; ++y) {
    const uint8_t* s = bgra.ptr<uint8_t>(y);
    uint8_t* d = bgr.ptr<uint8_t>(y);
    for (int x = 0; x < bgra.cols; ++x) {
      const int a = s[4 * x + 3];
      for (int c = 0; c < 3; ++c) {
        // Premultiplied colour + white for what is not covered.
        d[3 * x + c] = static_cast<uint8_t>(std::min(255, s[4 * x + c] + (255 - a)));
      }
    }
  }
  return bgr;
}

// Big- or little-endian reads inside the EXIF TIFF structure.
uint32_t ReadUint(const uint8_t* p, int n, bool big_endian) {
  uint32_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<uint32_t>(p[big_endian ? i : n - 1 - i]) << (8 * (n - 1 - i));
  return v;
}

// The orientation tag of an APP1 "Exif\0\0" payload (TIFF header + IFD0), 0 if none.
int OrientationFromExif(const uint8_t* tiff, size_t n) {
  if (n < 8) return 0;
  bool big;
  if (tiff[0] == 'M' && tiff[1] == 'M') {
    big = true;
  } else if (tiff[0] == 'I' && tiff[1] == 'I') {
    big = false;
  } else {
    return 0;
  }
  if (ReadUint(tiff + 2, 2, big) != 42) return 0;
  const uint32_t ifd = ReadUint(tiff + 4, 4, big);
  if (ifd > n || n - ifd < 2) return 0;
  const uint32_t entries = ReadUint(tiff + ifd, 2, big);
  for (uint32_t i = 0; i < entries; ++i) {
    const size_t e = ifd + 2 + 12 * static_cast<size_t>(i);
    if (e + 12 > n) return 0;
    if (ReadUint(tiff + e, 2, big) != 0x0112) continue;
    // Type SHORT (3), count 1: the value sits in the first two bytes of the field.
    if (ReadUint(tiff + e + 2, 2, big) != 3) return 0;
    const uint32_t v = ReadUint(tiff + e + 8, 2, big);
    return v >= 1 && v <= 8 ? static_cast<int>(v) : 0;
  }
  return 0;
}

}  // namespace

int JpegExifOrientation(absl::string_view bytes) {
  const auto* b = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  if (n < 4 || b[0] != 0xFF || b[1] != 0xD8) return 1;
  size_t pos = 2;
  // Marker segments up to the start of scan; APP1 "Exif" carries the tag.
  while (pos + 4 <= n) {
    if (b[pos] != 0xFF) return 1;
    const uint8_t marker = b[pos + 1];
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return 1;  // image data: no tag before it
    const size_t len = (static_cast<size_t>(b[pos + 2]) << 8) | b[pos + 3];
    if (len < 2 || pos + 2 + len > n) return 1;
    const uint8_t* seg = b + pos + 4;
    const size_t seg_len = len - 2;
    if (marker == 0xE1 && seg_len >= 6 && std::memcmp(seg, "Exif\0\0", 6) == 0) {
      const int o = OrientationFromExif(seg + 6, seg_len - 6);
      return o == 0 ? 1 : o;
    }
    pos += 2 + len;
  }
  return 1;
}

cv::Mat ApplyExifOrientation(const cv::Mat& image, int orientation) {
  cv::Mat out;
  switch (orientation) {
    case 2:  // mirrored left-right
      cv::flip(image, out, 1);
      return out;
    case 3:  // upside down
      cv::rotate(image, out, cv::ROTATE_180);
      return out;
    case 4:  // mirrored top-bottom
      cv::flip(image, out, 0);
      return out;
    case 5:  // transposed
      cv::transpose(image, out);
      return out;
    case 6:  // the camera was turned: view turned 90° clockwise
      cv::rotate(image, out, cv::ROTATE_90_CLOCKWISE);
      return out;
    case 7:  // transverse
      cv::transpose(image, out);
      cv::rotate(out, out, cv::ROTATE_180);
      return out;
    case 8:
      cv::rotate(image, out, cv::ROTATE_90_COUNTERCLOCKWISE);
      return out;
    default:
      return image;
  }
}

absl::StatusOr<cv::Mat> DecodeImage(absl::string_view bytes, long max_pixels, absl::string_view mime_type,
                                    int* exif_orientation) {
  if (exif_orientation != nullptr) *exif_orientation = 1;
  // poppler's C++ API and cv::Mat allocate and may throw (std::bad_alloc on a
  // page or header that asks for too much); the guard types it.
  return GuardEngine("decode", [&]() -> absl::StatusOr<cv::Mat> {
    QuietLibraries();
    if (bytes.empty()) return InvalidFormat("no bytes");
    const bool pdf = mime_type.empty() ? IsPdf(bytes) : mime_type == "application/pdf";
    if (pdf) return IsPdf(bytes) ? DecodePdf(bytes, max_pixels) : InvalidFormat("not a pdf");
    absl::StatusOr<cv::Mat> image = DecodeRaster(bytes, max_pixels);
    if (!image.ok()) return image;
    const int orientation = JpegExifOrientation(bytes);
    if (exif_orientation != nullptr) *exif_orientation = orientation;
    if (orientation != 1) *image = ApplyExifOrientation(*image, orientation);
    return image;
  });
}

absl::StatusOr<std::string> EncodeJpeg(const cv::Mat& bgr, int quality) {
  return GuardEngine("encode", [&]() -> absl::StatusOr<std::string> {
    QuietLibraries();
    if (bgr.empty() || bgr.type() != CV_8UC3) return EngineError("encode: not an 8-bit BGR image");
    PixPtr pix(pixCreate(bgr.cols, bgr.rows, 32));
    if (!pix) return EngineError("encode: out of memory");
    l_uint32* data = pixGetData(pix.get());
    const int wpl = pixGetWpl(pix.get());
    for (int y = 0; y < bgr.rows; ++y) {
      const uint8_t* s = bgr.ptr<uint8_t>(y);
      l_uint32* line = data + static_cast<size_t>(y) * wpl;
      for (int x = 0; x < bgr.cols; ++x) {
        line[x] = (static_cast<l_uint32>(s[3 * x + 2]) << L_RED_SHIFT) |
                  (static_cast<l_uint32>(s[3 * x + 1]) << L_GREEN_SHIFT) |
                  (static_cast<l_uint32>(s[3 * x + 0]) << L_BLUE_SHIFT);
      }
    }
    l_uint8* raw = nullptr;
    size_t size = 0;
    const int rc = pixWriteMemJpeg(&raw, &size, pix.get(), quality, 0);
    const std::unique_ptr<l_uint8, void (*)(void*)> out(raw, &lept_free);
    if (rc != 0 || out == nullptr) return EngineError("encode");
    return std::string(reinterpret_cast<const char*>(out.get()), size);
  });
}

}  // namespace ktp::reader
