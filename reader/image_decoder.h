// Upload bytes → pixels for the local reader: PNG, JPEG and TIFF through
// Leptonica, the first page of a PDF through poppler. Owns the decompression
// bomb guard (pixel limit checked from the header before a full decode) and
// the error the caller sees for bytes it cannot decode — the same
// INVALID_ARGUMENT / FILE_INVALID_FORMAT the upstream's 415 maps to, so both
// engines answer a bad upload identically.
#ifndef KTP_READER_IMAGE_DECODER_H_
#define KTP_READER_IMAGE_DECODER_H_

#include <string>

#include <opencv2/core.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ktp::reader {

// PDF pages are rendered at this resolution (a card on an A4 scan is then
// about 670 px wide, enough for OCR).
inline constexpr double kPdfDpi = 200.0;

// Decodes `bytes` to an 8-bit, 3-channel BGR image.
// Errors (INVALID_ARGUMENT, with a BadRequest on `chunk`):
//   FILE_INVALID_FORMAT — not a decodable png / jpeg / tiff / pdf;
//   IMAGE_TOO_LARGE     — more than `max_pixels` pixels (metadata limitPixels).
// An exception from Leptonica / poppler / OpenCV is INTERNAL /
// LOCAL_ENGINE_ERROR (see engine_guard.h); nothing is thrown.
// A PDF page that would exceed `max_pixels` at kPdfDpi is rendered at a lower
// resolution instead (vector pages are not bombs); refused only below 72 dpi.
// `mime_type` is what the gateway sniffed from the magic bytes
// ("application/pdf", "image/png", ...): it picks the one decoder that may see
// the bytes, so a PNG that merely contains "%PDF-" never reaches poppler. Empty:
// the decoder is chosen from the bytes the same way.
//
// A JPEG's EXIF orientation tag (1–8, APP1 "Exif" IFD0 tag 0x0112) is applied:
// the image comes back as the camera meant it to be viewed (a phone held
// sideways says so in the tag), and `exif_orientation`, when given, receives
// the tag (1 when absent or not a JPEG). Leptonica ignores the tag, so this is
// done here. TIFF orientation tags are not applied.
absl::StatusOr<cv::Mat> DecodeImage(absl::string_view bytes, long max_pixels, absl::string_view mime_type = "",
                                    int* exif_orientation = nullptr);

// The EXIF orientation (1–8) of JPEG bytes; 1 when there is none or it cannot
// be read. Only the headers before the image data are looked at.
int JpegExifOrientation(absl::string_view bytes);

// Turns/mirrors `image` as EXIF orientation `orientation` says (1 = as is).
cv::Mat ApplyExifOrientation(const cv::Mat& image, int orientation);

// Encodes an 8-bit BGR image as JPEG (for the photo and signature crops).
// Any failure (not an 8-bit BGR image, the encoder failing or throwing) is
// INTERNAL / LOCAL_ENGINE_ERROR.
absl::StatusOr<std::string> EncodeJpeg(const cv::Mat& bgr, int quality);

}  // namespace ktp::reader

#endif  // KTP_READER_IMAGE_DECODER_H_
