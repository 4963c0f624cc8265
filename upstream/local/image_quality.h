// The nine image-quality flags of ReadWithQualities, judged from pixels by
// the local reader: measurements on the rectified card (sharpness, luminance,
// saturation, glare) plus the locator's geometry and the parser's label count.
// Thresholds were tuned on ktp-synth output (see kQualityThresholds).
#ifndef KTP_UPSTREAM_LOCAL_IMAGE_QUALITY_H_
#define KTP_UPSTREAM_LOCAL_IMAGE_QUALITY_H_

#include <opencv2/core.hpp>

#include "ktp/v1/ktp_ocr.pb.h"
#include "upstream/local/card_locator.h"

namespace ktp::local {

// Raw measurements, exposed for tuning and tests.
struct QualityMetrics {
  // Sharpness: fine-detail energy relative to contrast (higher = sharper).
  double sharpness = 0;
  // Mean, median and 95th percentile luminance of the card, 0–255.
  double mean_luma = 0;
  double median_luma = 0;
  double p95_luma = 0;
  // Contrast: luminance standard deviation on the card.
  double luma_stddev = 0;
  // Median HSV saturation of the card's background, 0–255.
  double saturation = 0;
  // Fraction of the card covered by large blobs of clipped near-white pixels.
  double glare_fraction = 0;
};

// Measures `card` (the rectified card, 8-bit BGR, any size).
QualityMetrics MeasureQuality(const cv::Mat& card);

// Judges the flags. `labels_found` is the parser's count (see field_parser.h).
v1::ImageQualities JudgeQuality(const QualityMetrics& metrics, const CardLocation& location,
                                int labels_found);

}  // namespace ktp::local

#endif  // KTP_UPSTREAM_LOCAL_IMAGE_QUALITY_H_
