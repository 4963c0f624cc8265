// Fuzzes the local reader's pixel pipeline before OCR: decoding untrusted
// bytes (png, jpeg, tiff, pdf through Leptonica and poppler), locating and
// rectifying the card and measuring quality. Whatever comes in: no crash, no
// exception escaping, a decoded image within the pixel limit, a rectified card
// of the canonical size, and every refusal typed (an ErrorInfo reason).
#include <cstddef>
#include <cstdint>
#include <exception>

#include <opencv2/core.hpp>

#include "common/error_details.h"
#include "tests/fuzz/fuzz_check.h"
#include "reader/card_layout.h"
#include "reader/card_locator.h"
#include "reader/image_decoder.h"
#include "reader/image_quality.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr long kMaxPixels = 4'000'000;  // small: keeps each run fast
  auto image = ktp::reader::DecodeImage(absl::string_view(reinterpret_cast<const char*>(data), size), kMaxPixels);
  if (!image.ok()) {
    // Refused as the upload's fault, or (an engine failing) LOCAL_ENGINE_ERROR:
    // never an untyped error.
    FUZZ_CHECK(!ktp::ErrorReason(image.status()).empty());
    return 0;
  }
  FUZZ_CHECK(!image->empty());
  FUZZ_CHECK(static_cast<long>(image->total()) <= kMaxPixels);
  FUZZ_CHECK(image->type() == CV_8UC3);
  try {
    const ktp::reader::CardLocation location = ktp::reader::LocateCard(*image);
    const cv::Mat card = ktp::reader::RectifyCard(*image, location, cv::Size(ktp::reader::layout::kCardWidth / 2,
                                                                            ktp::reader::layout::kCardHeight / 2));
    FUZZ_CHECK(card.cols == ktp::reader::layout::kCardWidth / 2);
    const ktp::reader::QualityMetrics metrics = ktp::reader::MeasureQuality(card);
    (void)ktp::reader::JudgeQuality(metrics, location, ktp::reader::KtpTextEvidence{});
  } catch (const std::exception&) {
    // The backend turns an OpenCV exception into LOCAL_ENGINE_ERROR; here it
    // is a finding: the pipeline should not throw on any decodable image.
    FUZZ_CHECK(false);
  } catch (...) {
    // Nor anything that is not a std::exception (the backend's guard catches
    // those too; see reader/engine_guard.h).
    FUZZ_CHECK(false);
  }
  return 0;
}
