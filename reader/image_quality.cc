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
  // Edge blur (QualityMetrics::edge_blur_px): blurred when the card's edges
  // are as wide as a Gaussian blur of σ ≈ 1.6 px on the 1012-px card — text
  // visibly soft, still readable at the low end. ktp-synth: clean 0.69–0.74,
  // moderate (σ ≤ 1) ≤ 0.99, other defects ≤ 1.25; blurred (σ 1.8–4) ≥ 1.5
  // except on an over-exposed card (clipping sharpens edges: 0.8–1.4).
  double blurred_above_edge_px = 1.35;
  // Median card luminance: hard dark ≤ 90, moderate ≥ 140, clean ≈ 190.
  double dark_below_luma = 115;
  // Washed out: bright AND low contrast (a photocopy is bright but contrasty).
  // Hard "washed out" (×1.6–2, lifted) clips the background: mean ≥ 237; a
  // light cream or grey card at moderate ×1.2–1.3 reaches ≈ 231.
  double bright_above_luma = 234;
  double bright_below_stddev = 50;
  // ... or the background clipped white (median ≥ 250) with the print lifted
  // (contrast < 50): hard bright ×1.6–2 has median 255, sd 24–48; moderate
  // ×1.3 reaches median 250 but keeps sd ≥ 57; a copy is clipped too but
  // contrasty (sd ≥ 55).
  double bright_above_median_luma = 250;
  // Median background saturation: the light-blue card ≥ 15 even when bright,
  // a greyscale copy ≈ 0. Not judged on a washed-out card (its colour is gone).
  double copy_below_saturation = 8;
  // Glare blobs: a flash covers a few % (5–10 % in ktp-synth); a card with
  // most of its surface clipped is bright or a copy, not flashed.
  double flash_min_glare = 0.02;
  double flash_max_glare = 0.16;
  // Tilt (what is left after whole quarter turns): hard rotations are ≥ 12°,
  // moderate ≤ 5°; the measured angle runs ~1.5° low under perspective. A card
  // turned by 90°, 180° or 270° is rotated whatever its tilt.
  double rotated_above_deg = 8.5;
  // A readable KTP shows 11–15 of the 15 labels; other cards and pages ≤ 2.
  int ktp_min_labels = 6;
  // Degraded cards: two agreeing clues among the PROVINSI header, a valid
  // NIK and ≥ 1 other label (other cards print "Nama" and "Alamat" only: one clue).
  int ktp_clue_min_labels = 1;
  int ktp_min_text_clues = 2;
  // Share of the card's background in the e-KTP's light blue: 0.87–1 on the
  // blue card even dark or blurred (clipping at ×1.3 brightness drops it to
  // ≈ 0.35, but such cards read), ≤ 0.33 on other cards and scenes.
  double ktp_min_light_blue = 0.6;
  double ktp_aspect_tolerance = 0.18;  // |log(aspect / ID-1 aspect)|
  // Judged from pixels alone (no text read) the outline must be ID-1 within
  // 1.45–1.73: an A4 page (1.41) is not a card.
  double ktp_strict_aspect_tolerance = 0.09;
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

// The edge-blur measure (QualityMetrics::edge_blur_px): the card is smoothed
// by kPreBlurSigma (noise and JPEG ringing would otherwise read as sharp
// detail), then blurred again by kReblurSigma; at the strongest edges the
// gradient peak falls by σ / √(σ² + s²).
constexpr double kPreBlurSigma = 1.0;
constexpr double kReblurSigma = 3.0;
// Edges measured: the strongest this share of pixels, chosen on the re-blurred
// gradient (noise-free) among its local maxima.
constexpr double kStrongEdgeShare = 0.015;

cv::Mat GradientMagnitude(const cv::Mat& f) {
  cv::Mat gx, gy, mag;
  cv::Sobel(f, gx, CV_32F, 1, 0, 3);
  cv::Sobel(f, gy, CV_32F, 0, 1, 3);
  cv::magnitude(gx, gy, mag);
  return mag;
}

// See QualityMetrics::edge_blur_px. `grey` at canonical card size.
double EdgeBlur(const cv::Mat& grey) {
  cv::Mat f;
  grey.convertTo(f, CV_32F);
  cv::GaussianBlur(f, f, cv::Size(), kPreBlurSigma);
  cv::Mat g0 = GradientMagnitude(f);
  cv::Mat reblurred;
  cv::GaussianBlur(f, reblurred, cv::Size(), kReblurSigma);
  const cv::Mat g1 = GradientMagnitude(reblurred);
  // The edge's own peak may sit a pixel off the re-blurred one.
  cv::dilate(g0, g0, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3)));
  cv::Mat g1_max;
  cv::dilate(g1, g1_max, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3)));
  constexpr float kMinGradient = 4.0f;  // flat card: nothing to measure
  auto is_peak = [&](int y, int x) {
    const float v = g1.at<float>(y, x);
    return v > kMinGradient && v >= g1_max.at<float>(y, x);
  };
  std::vector<float> peaks;
  peaks.reserve(g1.total() / 8);
  for (int y = 1; y + 1 < g1.rows; ++y) {
    for (int x = 1; x + 1 < g1.cols; ++x) {
      if (is_peak(y, x)) peaks.push_back(g1.at<float>(y, x));
    }
  }
  if (peaks.size() < 50) return 0;
  const size_t keep = std::max<size_t>(50, static_cast<size_t>(kStrongEdgeShare * g1.total()));
  const size_t cut = peaks.size() > keep ? peaks.size() - keep : 0;
  std::nth_element(peaks.begin(), peaks.begin() + cut, peaks.end());
  const float threshold = peaks[cut];
  std::vector<float> ratios;
  ratios.reserve(peaks.size() - cut + 1);
  for (int y = 1; y + 1 < g1.rows; ++y) {
    for (int x = 1; x + 1 < g1.cols; ++x) {
      if (g1.at<float>(y, x) >= threshold && is_peak(y, x)) {
        ratios.push_back(std::min(g1.at<float>(y, x) / std::max(g0.at<float>(y, x), 1e-3f), 0.995f));
      }
    }
  }
  if (ratios.empty()) return 0;
  // The mean, not the median: thin strokes and wide step edges give two
  // clusters of ratios, and a median jumps between them.
  double sum = 0;
  for (float r : ratios) sum += r;
  const double r = std::min(sum / ratios.size(), 0.995);
  return kReblurSigma * r / std::sqrt(1.0 - r * r);
}

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
  {
    // Edge blur at the canonical card size (inset like the rest).
    cv::Mat canon, grey;
    if (card.cols == layout::kCardWidth && card.rows == layout::kCardHeight) {
      canon = card;
    } else {
      cv::resize(card, canon, cv::Size(layout::kCardWidth, layout::kCardHeight), 0, 0,
                 card.cols > layout::kCardWidth ? cv::INTER_AREA : cv::INTER_LINEAR);
    }
    const cv::Rect in(layout::kCardWidth / 40, layout::kCardHeight / 40,
                      layout::kCardWidth - layout::kCardWidth / 20, layout::kCardHeight - layout::kCardHeight / 20);
    cv::cvtColor(canon(in), grey, cv::COLOR_BGR2GRAY);
    m.edge_blur_px = EdgeBlur(grey);
  }
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
  const bool blurred = m.edge_blur_px > t.blurred_above_edge_px;
  const bool dark = m.median_luma < t.dark_below_luma;
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
  // Text that cannot be read says nothing against a KTP: a blurred ID-1 card
  // that is the e-KTP's blue, or colourless (a blurred copy, or so over-exposed
  // that its colour clipped away), is judged from its shape and colour alone.
  const bool id1_outline =
      loc.found && std::abs(std::log(std::max(loc.aspect, 1e-3) / layout::kAspect)) < t.ktp_strict_aspect_tolerance;
  const bool colourless = m.saturation < t.copy_below_saturation;
  q.set_ktp(card_shaped && (text.labels_found >= t.ktp_min_labels ||
                            (outline && text_clues >= t.ktp_min_text_clues) ||
                            (light_blue && (text_clues >= 1 || blurred || dark)) ||
                            (id1_outline && blurred && colourless)));
  // The pixel flags describe a KTP: on anything judged not a KTP (a scene, a
  // page, another card, or a KTP candidate whose readable text did not make
  // it one) every other flag stays off.
  if (!q.ktp()) return q;
  q.set_blurred(blurred);
  q.set_dark(dark);
  q.set_bright(m.luma_stddev < t.bright_below_stddev &&
               (m.mean_luma > t.bright_above_luma || m.median_luma >= t.bright_above_median_luma));
  q.set_copy(!q.bright() && colourless);
  q.set_flash(m.glare_fraction > t.flash_min_glare && m.glare_fraction < t.flash_max_glare);
  q.set_rotated(loc.quarter_turns != 0 || (loc.found && std::abs(loc.tilt_deg) > t.rotated_above_deg));
  q.set_cropped(loc.found && loc.cropped);
  // A photographed screen (moiré, pixel grid, refresh banding) cannot be told
  // reliably from a photo of the card with these measurements: never claimed.
  q.set_taken_from_screen(false);
  return q;
}

}  // namespace ktp::reader
