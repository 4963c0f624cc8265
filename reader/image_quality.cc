// Image-quality flags from pixels. See image_quality.h.
#include "reader/image_quality.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "reader/card_layout.h"

namespace ktp::reader {
namespace {

// Tuned on ktp-synth (clean / moderate must stay unflagged; hard levels flagged).
struct Thresholds {
  // ktp-synth: hard blur (σ ≥ 2.5) ≤ 0.020, moderate ≥ 0.032, clean ≈ 0.06.
  double blurred_below_sharpness = 0.026;
  // Median card luminance: hard dark ≤ 90, moderate ≥ 140, clean ≈ 190.
  double dark_below_luma = 115;
  // Washed out: bright AND low contrast (a photocopy is bright but contrasty).
  // Hard "washed out" (×1.6–2, lifted) clips the background: mean ≥ 237; a
  // light cream or grey card at moderate ×1.2–1.3 reaches ≈ 231.
  double bright_above_luma = 234;
  double bright_below_stddev = 50;
  // Median background saturation: the light-blue card ≥ 15 even when bright,
  // a greyscale copy ≈ 0. Not judged on a washed-out card (its colour is gone).
  double copy_below_saturation = 8;
  // Glare blobs: a flash covers a few % (5–10 % in ktp-synth); a card with
  // most of its surface clipped is bright or a copy, not flashed.
  double flash_min_glare = 0.02;
  double flash_max_glare = 0.16;
  // Hard rotations are ≥ 12°, moderate ≤ 5°; the measured angle runs ~1.5° low
  // under perspective.
  double rotated_above_deg = 8.5;
  // A readable KTP shows 11–15 of the 15 labels; other cards and pages ≤ 2.
  int ktp_min_labels = 6;
  // Labels that make an image a KTP candidate (flags reported) on their own.
  int card_min_labels = 3;
  // Degraded cards: two agreeing clues among the PROVINSI header, a valid
  // NIK and ≥ 1 other label (other cards print "Nama" and "Alamat" only: one clue).
  int ktp_clue_min_labels = 1;
  int ktp_min_text_clues = 2;
  // Share of the card's background in the e-KTP's light blue: 0.87–1 on the
  // blue card even dark or blurred (clipping at ×1.3 brightness drops it to
  // ≈ 0.35, but such cards read), ≤ 0.33 on other cards and scenes.
  double ktp_min_light_blue = 0.6;
  double ktp_aspect_tolerance = 0.18;  // |log(aspect / ID-1 aspect)|
};
constexpr Thresholds kQualityThresholds;

// Sharpness is measured at this card width: native resolution varies, and a
// fixed scale keeps the measure comparable (downscaling hides only mild blur).
constexpr int kMeasureWidth = 640;

// The e-KTP background (ktp-synth draws RGB ≈ (0.72–0.80, 0.86–0.90,
// 0.95–0.97): OpenCV hue ≈ 102, saturation 45–65) with room for white balance,
// lighting and JPEG: hue 90–115 (cyan-blue to blue), saturation 12–120.
constexpr int kLightBlueHue[2] = {90, 115};
constexpr int kLightBlueSaturation[2] = {12, 120};

double Percentile(const cv::Mat& grey, double q) {
  int hist[256] = {0};
  for (int y = 0; y < grey.rows; ++y) {
    const uint8_t* p = grey.ptr<uint8_t>(y);
    for (int x = 0; x < grey.cols; ++x) ++hist[p[x]];
  }
  const double target = q * grey.total();
  double acc = 0;
  for (int i = 0; i < 256; ++i) {
    acc += hist[i];
    if (acc >= target) return i;
  }
  return 255;
}

}  // namespace

QualityMetrics MeasureQuality(const cv::Mat& card) {
  QualityMetrics m;
  if (card.empty() || card.type() != CV_8UC3) return m;
  cv::Mat small;
  const int h = std::max(1, static_cast<int>(std::lround(kMeasureWidth / layout::kAspect)));
  cv::resize(card, small, cv::Size(kMeasureWidth, h), 0, 0, cv::INTER_AREA);
  // A small inset: the rectified edges may carry background or border smear.
  const cv::Rect inner(kMeasureWidth / 40, h / 40, kMeasureWidth - kMeasureWidth / 20, h - h / 20);
  small = small(inner).clone();

  cv::Mat grey;
  cv::cvtColor(small, grey, cv::COLOR_BGR2GRAY);
  cv::Scalar mean, stddev;
  cv::meanStdDev(grey, mean, stddev);
  m.mean_luma = mean[0];
  m.luma_stddev = stddev[0];
  m.p95_luma = Percentile(grey, 0.95);
  m.median_luma = Percentile(grey, 0.5);

  // Sharpness: Laplacian energy over gradient energy. Both scale with contrast
  // (so darkening or fading does not read as blur); their ratio falls as edges
  // widen under blur.
  cv::Mat lap, gx, gy;
  cv::Laplacian(grey, lap, CV_32F, 1);
  cv::Sobel(grey, gx, CV_32F, 1, 0, 3);
  cv::Sobel(grey, gy, CV_32F, 0, 1, 3);
  const double lap_e = cv::mean(lap.mul(lap))[0];
  const double grad_e = cv::mean(gx.mul(gx) + gy.mul(gy))[0];
  m.sharpness = grad_e > 1e-6 ? lap_e / grad_e : 0;

  cv::Mat hsv;
  cv::cvtColor(small, hsv, cv::COLOR_BGR2HSV);
  std::vector<cv::Mat> ch;
  cv::split(hsv, ch);
  // The card's background: the brighter half of the pixels (text, photo and
  // watermark are darker), its median saturation and its light-blue share.
  cv::Mat bg = grey >= m.median_luma;
  std::vector<uint8_t> sat;
  sat.reserve(grey.total() / 2 + 1);
  int light_blue = 0;
  for (int y = 0; y < grey.rows; ++y) {
    const uint8_t* s = ch[1].ptr<uint8_t>(y);
    const uint8_t* hue_row = ch[0].ptr<uint8_t>(y);
    const uint8_t* b = bg.ptr<uint8_t>(y);
    for (int x = 0; x < grey.cols; ++x) {
      if (!b[x]) continue;
      sat.push_back(s[x]);
      light_blue += hue_row[x] >= kLightBlueHue[0] && hue_row[x] <= kLightBlueHue[1] &&
                    s[x] >= kLightBlueSaturation[0] && s[x] <= kLightBlueSaturation[1];
    }
  }
  if (!sat.empty()) {
    std::nth_element(sat.begin(), sat.begin() + sat.size() / 2, sat.end());
    m.saturation = sat[sat.size() / 2];
    m.light_blue_fraction = static_cast<double>(light_blue) / sat.size();
  }

  // Glare: clipped, colourless pixels in blobs (single specks are print).
  cv::Mat glare = (ch[2] >= 250) & (ch[1] <= 12);
  cv::morphologyEx(glare, glare, cv::MORPH_OPEN,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(7, 7)));
  m.glare_fraction = static_cast<double>(cv::countNonZero(glare)) / glare.total();
  return m;
}

v1::ImageQualities JudgeQuality(const QualityMetrics& m, const CardLocation& loc,
                                const KtpTextEvidence& text) {
  const Thresholds& t = kQualityThresholds;
  v1::ImageQualities q;
  const bool blurred = m.sharpness < t.blurred_below_sharpness;
  const bool card_shaped =
      std::abs(std::log(std::max(loc.aspect, 1e-3) / layout::kAspect)) < t.ktp_aspect_tolerance;
  // KTP evidence short of a readable card (see image_quality.h). The weaker
  // kinds need a card outline: the full-image fallback is only card-shaped by
  // the photo's own aspect.
  const bool outline = loc.found && card_shaped;
  const int header = text.province_header ? 1 : 0;
  const int text_clues =
      header + (text.valid_nik ? 1 : 0) + (text.labels_found - header >= t.ktp_clue_min_labels ? 1 : 0);
  const bool light_blue = outline && m.light_blue_fraction >= t.ktp_min_light_blue;
  q.set_ktp(card_shaped && (text.labels_found >= t.ktp_min_labels ||
                            (outline && text_clues >= t.ktp_min_text_clues) ||
                            (light_blue && (text_clues >= 1 || blurred))));
  // The pixel flags describe a KTP, or a KTP candidate that failed the
  // verdict; on a scene, a page or an unrelated card they stay off.
  const bool candidate = q.ktp() || text.labels_found >= t.card_min_labels ||
                         (loc.found && (text_clues >= 1 || light_blue));
  q.set_blurred(candidate && blurred);
  q.set_dark(candidate && m.median_luma < t.dark_below_luma);
  q.set_bright(candidate && m.mean_luma > t.bright_above_luma &&
               m.luma_stddev < t.bright_below_stddev);
  // Colourless is only "a copy" for a card known to be a KTP (other cards and
  // pages are white anyway).
  q.set_copy((q.ktp() || text.labels_found >= t.card_min_labels) && !q.bright() &&
             m.saturation < t.copy_below_saturation);
  q.set_flash(candidate && m.glare_fraction > t.flash_min_glare &&
              m.glare_fraction < t.flash_max_glare);
  q.set_rotated(candidate && loc.found && std::abs(loc.angle_deg) > t.rotated_above_deg);
  q.set_cropped(candidate && loc.found && loc.cropped);
  // A photographed screen (moiré, pixel grid, refresh banding) cannot be told
  // reliably from a photo of the card with these measurements: never claimed.
  q.set_taken_from_screen(false);
  return q;
}

}  // namespace ktp::reader
