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
  // Kept for tuning; the blurred flag is judged on edge_blur_px.
  double sharpness = 0;
  // Edge blur: how wide the card's strongest edges are, as the σ (canonical
  // card pixels, kCardWidth = 1012 px across the card) of a Gaussian profile,
  // measured by re-blurring: at an edge of width σ the gradient peak falls by
  // σ / √(σ² + s²) when blurred again by s, whatever the edge's contrast or
  // brightness. Noise is smoothed away first, so the value includes that
  // smoothing: ≈ 0.6–0.95 on sharp ktp-synth cards, ≈ 1.5 at a Gaussian blur
  // of σ = 1.9 px, ≈ 2.4 at σ = 2.9. An over-exposed card (edges clipped at
  // white) reads sharper than it is.
  double edge_blur_px = 0;
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
// either carries one of those or is too blurred or too dark to read, or an
// outline of the ID-1 shape (aspect 1.45–1.73) is too blurred to read and
// colourless (a blurred copy, or over-exposed until its colour clipped).
// Unreadable text says nothing against a KTP, so such cards are judged from
// shape and colour. Limitation: another light-blue or white ID-1 card too
// blurred to read is taken for a KTP.
//
// ktp=false means the image is confidently not a KTP (a scene, a page,
// another card whose text reads, none of it a KTP's) and then no other flag
// is set. On a KTP the flags are raised from pixels and the locator's
// geometry, even when none of its text could be read. Each flag:
//   blurred — edge_blur_px above ≈ 1.35 (edges as wide as a Gaussian blur of
//             σ ≈ 1.6 px on the 1012-px card: text visibly soft);
//   dark    — median luminance below 115 (under-exposed);
//   bright  — washed out: low contrast (σ < 50) with a high mean (> 234) or
//             the background clipped white (median ≥ 250);
//   copy    — the background is colourless (median saturation < 8) on a
//             card that is not washed out: a greyscale or low-saturation copy;
//   flash   — clipped white blobs over 2–16 % of the card;
//   cropped — the card's outline runs along the image border or a corner lies
//             beyond it (part of the card is missing);
//   rotated — the card is turned by a quarter, half or three quarters (it is
//             read upright anyway), or tilted by more than 8.5°. A JPEG whose
//             EXIF orientation says how to turn it is turned at decode and is
//             not rotated.
v1::ImageQualities JudgeQuality(const QualityMetrics& metrics, const CardLocation& location,
                                const KtpTextEvidence& text);

}  // namespace ktp::reader

#endif  // KTP_READER_IMAGE_QUALITY_H_
