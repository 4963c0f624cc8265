// The nine image-quality flags of ReadWithQualities, judged from pixels by
// the local reader: measurements on the rectified card (sharpness, luminance,
// saturation, light-blue share, glare) plus the locator's geometry and what the
// parser read (label count, PROVINSI header, NIK).
// Thresholds were tuned on ktp-synth output (see kQualityThresholds).
#ifndef KTP_READER_IMAGE_QUALITY_H_
#define KTP_READER_IMAGE_QUALITY_H_

#include <opencv2/core.hpp>

#include "ktp/v1/ktp_ocr.pb.h"
#include "reader/card_locator.h"

namespace ktp::reader {

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
  // Fraction of the background that is the e-KTP's light blue (hue and
  // saturation in the card's band).
  double light_blue_fraction = 0;
  // Fraction of the card covered by large blobs of clipped near-white pixels.
  double glare_fraction = 0;
};

// Measures `card` (the rectified card, 8-bit BGR, any size).
QualityMetrics MeasureQuality(const cv::Mat& card);

// What the OCR'd text says about the image being a KTP (from the parser).
struct KtpTextEvidence {
  // The parser's label count (see field_parser.h; includes the PROVINSI header).
  int labels_found = 0;
  // The "PROVINSI <name>" header was read and names a known province.
  bool province_header = false;
  // A 16-digit NIK whose district code exists.
  bool valid_nik = false;
};

// Judges the flags.
//
// ktp: the image shows a card of the ID-1 shape and either ≥ 6 KTP labels
// were read, or a card outline was found and two of {PROVINSI header, valid
// NIK, another KTP label} agree, or the card is the e-KTP's light blue and
// either carries one of those or is too blurred to read. Limitation: a
// light-blue ID-1 card too blurred to read is taken for a KTP.
//
// The pixel flags describe a KTP: they are reported when the verdict is KTP,
// or when the image is at least a KTP candidate (a card outline with a KTP
// label, header, NIK or the e-KTP colour, or ≥ 3 labels read), so a degraded
// card still says why it failed. A scene, a page or a card without any KTP
// evidence gets ktp=false and no other flag.
v1::ImageQualities JudgeQuality(const QualityMetrics& metrics, const CardLocation& location,
                                const KtpTextEvidence& text);

}  // namespace ktp::reader

#endif  // KTP_READER_IMAGE_QUALITY_H_
