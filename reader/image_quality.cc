// Image-quality flags from pixels. See image_quality.h.
#include "reader/image_quality.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "reader/card_colour.h"
#include "reader/card_layout.h"

namespace ktp::reader {
namespace {

// Tuned on ktp-synth: clean / moderate must stay unflagged, hard levels
// flagged, and on its single-defect set (synth::ChooseSingleDefect, seed
// 20261126) each defect flagged from its borderline strength up while
// controls with realistic nuisances stay unflagged.
struct Thresholds {
  // Edge blur (QualityMetrics::print_blur_px, the widest orientation):
  // blurred when the card's edges are as wide as a Gaussian blur of σ ≈ 1.6
  // px on the 1012-px card or a shake of ≈ 5–6 px — text visibly soft, still
  // readable at the low end. ktp-synth single-defect set: controls and other
  // defects (σ ≤ 0.9, shake ≤ 3 px, JPEG 50–90, 0.75–1.25× resolution)
  // ≤ 1.15; blurred (σ ≥ 1.8, shake ≥ 6.3 px, defocus r ≥ 3.6) ≥ 1.69. The
  // drawn test card's thin anti-aliased strokes read 1.24 at σ = 1.0 and
  // 1.56 at σ = 1.5.
  double blurred_above_edge_px = 1.35;
  // ... times CardUpscale^this (a sharp card photographed 400–650 px across
  // reads ≈ 0.95 px per canonical px of upscaling).
  double blurred_upscale_power = 1.0;
  // Median card luminance: hard dark ≤ 90, moderate ≥ 140, clean ≈ 190.
  double dark_below_luma = 115;
  // Over-exposed: ≥ 30 % of the card clipped white (controls and every
  // other defect but copies: ≤ 15 %, a flash) on a card plainly in colour
  // (chroma spread ≥ 0.48), or not grey with the contrast compressed (σ < 50;
  // a copy keeping a trace of colour is contrasty, σ ≥ 68) or the darkest ink
  // lifted to ≥ 55; or, grey, with the ink lifted to ≥ 90 (a copy's ink stays
  // black: ≤ 45). Washed out: the darkest 0.5 % of the card (hair, NIK) at
  // ≥ 88 (black blended towards white by ≥ 35 %: ≥ 95; sharp cards ≤ 50 but
  // up to 81 on ktp-synth, blurred ≤ 40 but a drawn test card ≈ 100) on a
  // light card (median ≥ 200): midway, as thin or small print lifts the ink.
  double bright_min_white = 0.3;
  double bright_clipped_below_stddev = 50;
  double bright_clipped_min_dark_level = 55;
  double bright_grey_clipped_min_dark_level = 90;
  double bright_washed_min_dark_level = 88;
  double bright_washed_min_median = 200;
  // ... but a card with this share of it still light blue beside its
  // clipped patches was clipped by a flash, not over-exposed (a close flash
  // on ktp-diag clips a third to half of the card and leaves 0.24–0.44 of it
  // light blue; over-exposed cards leave ≤ 0.05, ktp-synth's ≤ 0.19).
  double bright_max_unclipped_light_blue = 0.2;
  // Chroma spread (QualityMetrics::chroma_spread): a grey copy, tinted or
  // not, < 0.15; one keeping ≤ 20 % of its colour ≤ 0.4; colour cards ≥ 0.48
  // (desaturated to 60 %, colour cast) but over-exposed ones from 0.25. One
  // hue across the whole card (< 0.08: ink, paper and photo alike) is a copy
  // however tinted its paper (but a saturated one is a coloured blob); up to 0.2 the background must be of little
  // colour (< 30: a colour card whose only colour is its background reads
  // ≈ 0.17 with saturation ≥ 45), up to 0.48 nearly colourless (< 20; colour
  // cards ≥ 22 unless over-exposed, and those are bright, not copies).
  double copy_one_hue_below_spread = 0.08;
  double copy_one_hue_below_saturation = 60;  // a tinted paper, not a coloured one
  double copy_below_spread = 0.2;
  double copy_below_saturation = 30;  // a cast copy's paper ≤ 26
  double copy_faint_below_spread = 0.48;
  double copy_faint_below_saturation = 20;
  // Glare blobs: a flash covers a few % (2–15 % in ktp-synth's single-defect
  // set), a close flash on ktp-diag up to a third of the card (17–28 %
  // clipped, the rest of the card normally exposed); a card with most of its
  // surface clipped is bright or a copy, not flashed. Bright ktp-synth cards
  // with 16–45 % clipped have a median ≥ 241 and are mostly bright already.
  double flash_min_glare = 0.018;
  double flash_max_glare = 0.45;
  // ... on a card whose median stays below this: a spot stands out from the
  // card. A card near clipping all over (median ≥ 246 on ktp-synth's brightest
  // moderate cards, ×1.24) clips in patches of its background, which are
  // over-exposure, not a flash (flashed cards ≤ 241).
  double flash_max_median = 244;
  // ... and whose largest clipped blob is solid (its area / its convex
  // hull's): a flash's core wipes out the print under it (ktp-synth ≥ 0.89,
  // ktp-diag's flashes mostly ≥ 0.78), while light clipping a bright card's
  // background leaves ragged patches between the print (ktp-diag moderate
  // cards 0.50–0.78, most below 0.7).
  double flash_min_solidity = 0.75;
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
  // Judged from its colour alone (too blurred or dark to read, no clue read)
  // the card must also be pale: the e-KTP's blue is (background saturation
  // 12–71 on ktp-diag's KTPs judged so, through cast, blur and darkness; up
  // to 81 on ktp-synth's), a bank card's saturated blue is not (91–118 on
  // ktp-diag's taken for KTPs). Midway.
  double ktp_pale_max_saturation = 86;
  double ktp_aspect_tolerance = 0.18;  // |log(aspect / ID-1 aspect)|
  // Judged from pixels alone (no text read) the outline must be ID-1 within
  // 1.45–1.73: an A4 page (1.41) is not a card.
  double ktp_strict_aspect_tolerance = 0.09;
};
constexpr Thresholds kQualityThresholds;

// Sharpness is measured at this card width: native resolution varies, and a
// fixed scale keeps the measure comparable (downscaling hides only mild blur).
constexpr int kMeasureWidth = 640;

// The background's colour is measured away from clipped pixels when at least
// this share of the card is not clipped: a flash spot is a minority of it;
// where most of the card is clipped white, that white is its background (a
// copy's paper, an over-exposed card).
constexpr double kMinUnclippedForColour = 0.5;

// The edge-blur measure (QualityMetrics::edge_blur_px): the card is smoothed
// by kPreBlurSigma (noise and JPEG ringing would otherwise read as sharp
// detail), then blurred again by kReblurSigma; at the strongest edges the
// gradient peak falls by σ / √(σ² + s²).
constexpr double kPreBlurSigma = 1.0;
constexpr double kReblurSigma = 3.0;
// Glare rims left out of the edge-blur measure: up to this share of the card
// under glare, within this many px (diameter) of it.
constexpr double kGlareEdgeMaxShare = 0.25;
constexpr int kGlareEdgeMargin = 25;
// ... and within this many times a spot's extent of its centre (ktp-synth's
// flash halo spans 1.8× the spot, softened further).
constexpr double kGlareHaloReach = 2.2;
// Edges measured: the strongest this share of pixels, chosen on the re-blurred
// gradient (noise-free) among its local maxima.
constexpr double kStrongEdgeShare = 0.015;

// QualityMetrics::unclipped_light_blue, at kMeasureWidth: clipped patches are
// closed over the print they hold (text lines ≈ 12 px tall here) and widened
// by a margin; the background counted is at least this light.
constexpr int kClippedCloseSize = 25;
constexpr int kClippedMarginSize = 21;
constexpr int kLightBackgroundMinLuma = 150;

// The black level (QualityMetrics::dark_level): the ink is a few % of a card.
constexpr double kDarkLevelQuantile = 0.005;

// Chroma spread (QualityMetrics::chroma_spread): measured on means of
// kChromaBlock² pixels (noise, doubled on a dark photo, would otherwise pass
// for colour), leaving out blocks darker in all channels than half the card's
// median brightest channel, within [kChromaMinLevel, kChromaMaxLevel]: a
// fixed level of 40 left a dark card's photo backdrop out (colour cards
// measured as copies), or every pixel (nothing measured, taken for grey).
// The spread is this quantile of the distances (a photo's backdrop is ≈ 3–5 %
// of a card).
constexpr int kChromaBlock = 4;
constexpr double kChromaLevelOfMedian = 0.5;
constexpr double kChromaMinLevel = 8;
constexpr double kChromaMaxLevel = 40;
constexpr double kChromaSpreadQuantile = 0.97;

// See QualityMetrics::edge_blur_px. `grey` at canonical card size. Edges are
// binned by orientation (4 bins of 45°) and the widest bin counts: motion blur
// widens only the edges across its direction, and a mean over all edges
// would dilute it with the sharp ones along it.
double EdgeBlur(const cv::Mat& grey, const cv::Mat& skip) {
  cv::Mat f;
  grey.convertTo(f, CV_32F);
  cv::GaussianBlur(f, f, cv::Size(), kPreBlurSigma);
  cv::Mat gx0, gy0;
  cv::Sobel(f, gx0, CV_32F, 1, 0, 3);
  cv::Sobel(f, gy0, CV_32F, 0, 1, 3);
  cv::Mat reblurred;
  cv::GaussianBlur(f, reblurred, cv::Size(), kReblurSigma);
  cv::Mat gx1, gy1, g1;
  cv::Sobel(reblurred, gx1, CV_32F, 1, 0, 3);
  cv::Sobel(reblurred, gy1, CV_32F, 0, 1, 3);
  cv::magnitude(gx1, gy1, g1);
  cv::Mat g1_max;
  cv::dilate(g1, g1_max, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3)));
  constexpr float kMinGradient = 4.0f;  // flat card: nothing to measure
  auto is_peak = [&](int y, int x) {
    const float v = g1.at<float>(y, x);
    return v > kMinGradient && v >= g1_max.at<float>(y, x) && (skip.empty() || !skip.at<uint8_t>(y, x));
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
  constexpr int kBins = 4;
  double sum[kBins] = {0}, all_sum = 0;
  int count[kBins] = {0}, all_count = 0;
  for (int y = 1; y + 1 < g1.rows; ++y) {
    for (int x = 1; x + 1 < g1.cols; ++x) {
      if (g1.at<float>(y, x) < threshold || !is_peak(y, x)) continue;
      // The edge's own gradient before re-blurring, along the re-blurred
      // gradient's direction, within a pixel (its peak may sit a pixel off):
      // not the magnitude, or a sharp stroke beside a smeared edge (motion
      // blur in text) would lend its gradient to the smeared one.
      const float c = gx1.at<float>(y, x) / g1.at<float>(y, x), s = gy1.at<float>(y, x) / g1.at<float>(y, x);
      float g0 = 0;
      for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) {
          g0 = std::max(g0, std::abs(gx0.at<float>(y + dy, x + dx) * c + gy0.at<float>(y + dy, x + dx) * s));
        }
      }
      const double r = std::min(g1.at<float>(y, x) / std::max(g0, 1e-3f), 0.995f);
      double angle = std::atan2(gy1.at<float>(y, x), gx1.at<float>(y, x));  // -π … π
      if (angle < 0) angle += CV_PI;
      const int bin = static_cast<int>(std::lround(angle / (CV_PI / kBins))) % kBins;
      sum[bin] += r;
      ++count[bin];
      all_sum += r;
      ++all_count;
    }
  }
  if (all_count == 0) return 0;
  // The mean, not the median: thin strokes and wide step edges give two
  // clusters of ratios, and a median jumps between them.
  double r = all_sum / all_count;
  // A bin needs enough edges to be trusted (diagonals are rarer in print).
  const int min_bin = std::max(40, all_count / 20);
  for (int b = 0; b < kBins; ++b) {
    if (count[b] >= min_bin) r = std::max(r, sum[b] / count[b]);
  }
  r = std::min(r, 0.995);
  return kReblurSigma * r / std::sqrt(1.0 - r * r);
}

// See QualityMetrics::glare_solidity.
double LargestBlobSolidity(const cv::Mat& mask) {
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
  int largest = 0;
  for (int i = 1; i < n; ++i) {
    if (largest == 0 || stats.at<int>(i, cv::CC_STAT_AREA) > stats.at<int>(largest, cv::CC_STAT_AREA)) largest = i;
  }
  if (largest == 0) return 0;
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(labels == largest, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  std::vector<cv::Point> points, hull;
  for (const auto& c : contours) points.insert(points.end(), c.begin(), c.end());
  if (points.size() < 3) return 0;
  cv::convexHull(points, hull);
  const double hull_area = cv::contourArea(hull);
  return hull_area > 0 ? std::min(1.0, stats.at<int>(largest, cv::CC_STAT_AREA) / hull_area) : 0;
}

double Percentile(const cv::Mat& grey, double q, const cv::Mat& mask = cv::Mat()) {
  int hist[256] = {0};
  size_t n = 0;
  for (int y = 0; y < grey.rows; ++y) {
    const uint8_t* p = grey.ptr<uint8_t>(y);
    const uint8_t* k = mask.empty() ? nullptr : mask.ptr<uint8_t>(y);
    for (int x = 0; x < grey.cols; ++x) {
      if (k && !k[x]) continue;
      ++hist[p[x]];
      ++n;
    }
  }
  const double target = q * n;
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
  // The luminance first: the edge blur below depends on the median.
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
  m.dark_level = Percentile(grey, kDarkLevelQuantile);
  {
    // Edge blur at the canonical card size (inset like the rest).
    cv::Mat canon, canon_grey;
    if (card.cols == layout::kCardWidth && card.rows == layout::kCardHeight) {
      canon = card;
    } else {
      cv::resize(card, canon, cv::Size(layout::kCardWidth, layout::kCardHeight), 0, 0,
                 card.cols > layout::kCardWidth ? cv::INTER_AREA : cv::INTER_LINEAR);
    }
    const cv::Rect in(layout::kCardWidth / 40, layout::kCardHeight / 40,
                      layout::kCardWidth - layout::kCardWidth / 20, layout::kCardHeight - layout::kCardHeight / 20);
    cv::cvtColor(canon(in), canon_grey, cv::COLOR_BGR2GRAY);
    // A glare spot's rim is as soft as its halo, not as the focus: its edges
    // are left out (unless most of the card is white: then the print's edges
    // against the white are all there is).
    cv::Mat hsv, glare;
    cv::cvtColor(canon(in), hsv, cv::COLOR_BGR2HSV);
    cv::inRange(hsv, cv::Scalar(0, 0, 250), cv::Scalar(180, 12, 255), glare);
    cv::morphologyEx(glare, glare, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(11, 11)));
    const double share = static_cast<double>(cv::countNonZero(glare)) / glare.total();
    if (share > 0.002 && share < kGlareEdgeMaxShare) {
      // edge_blur_px: the spots' rims left out, within the margin.
      cv::Mat rims;
      cv::dilate(glare, rims, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(kGlareEdgeMargin, kGlareEdgeMargin)));
      m.edge_blur_px = EdgeBlur(canon_grey, rims);
      if (m.median_luma >= kQualityThresholds.flash_max_median) {
        // A card near clipping all over (not flashed, see flash_max_median):
        // its clipped patches are background, and halos around them would
        // take out the print the blur is judged on.
        m.print_blur_px = EdgeBlur(canon_grey, cv::Mat());
      } else {
        // print_blur_px: their halos too, which reach out in proportion to the
        // spot (on a dark card its soft slope outshines the print): each spot's
        // box is widened by kGlareHaloReach, as an ellipse, plus the margin.
        cv::Mat labels, stats, centroids;
        const int n = cv::connectedComponentsWithStats(glare, labels, stats, centroids, 8, CV_32S);
        for (int i = 1; i < n; ++i) {
          const cv::Point centre(stats.at<int>(i, cv::CC_STAT_LEFT) + stats.at<int>(i, cv::CC_STAT_WIDTH) / 2,
                                 stats.at<int>(i, cv::CC_STAT_TOP) + stats.at<int>(i, cv::CC_STAT_HEIGHT) / 2);
          const cv::Size axes(
              static_cast<int>(kGlareHaloReach * stats.at<int>(i, cv::CC_STAT_WIDTH) / 2) + kGlareEdgeMargin / 2,
              static_cast<int>(kGlareHaloReach * stats.at<int>(i, cv::CC_STAT_HEIGHT) / 2) + kGlareEdgeMargin / 2);
          cv::ellipse(glare, centre, axes, 0, 0, 360, cv::Scalar(255), cv::FILLED);
        }
        cv::dilate(glare, glare, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(kGlareEdgeMargin, kGlareEdgeMargin)));
        m.print_blur_px = EdgeBlur(canon_grey, glare);
        // Halos over most of a soft card leave too few edges to measure
        // (0): that is no sign of sharpness; the rims-only measure stands.
        if (m.print_blur_px == 0) m.print_blur_px = m.edge_blur_px;
      }
    } else {
      m.edge_blur_px = m.print_blur_px = EdgeBlur(canon_grey, cv::Mat());
    }
  }
  {
    // Clipped white, and the colour variety (see QualityMetrics::chroma_spread).
    int white = 0;
    for (int y = 0; y < small.rows; ++y) {
      const cv::Vec3b* p = small.ptr<cv::Vec3b>(y);
      for (int x = 0; x < small.cols; ++x) {
        if (std::min({p[x][0], p[x][1], p[x][2]}) >= 245) ++white;
      }
    }
    m.white_fraction = static_cast<double>(white) / small.total();
    cv::Mat small_f, blocks;  // float: a dark block's mean keeps its fraction
    small.convertTo(small_f, CV_32FC3);
    cv::resize(small_f, blocks, cv::Size(small.cols / kChromaBlock, small.rows / kChromaBlock), 0, 0,
               cv::INTER_AREA);
    std::vector<float> brightest;
    brightest.reserve(blocks.total());
    for (int y = 0; y < blocks.rows; ++y) {
      const cv::Vec3f* p = blocks.ptr<cv::Vec3f>(y);
      for (int x = 0; x < blocks.cols; ++x) brightest.push_back(std::max({p[x][0], p[x][1], p[x][2]}));
    }
    std::nth_element(brightest.begin(), brightest.begin() + brightest.size() / 2, brightest.end());
    const double level = std::clamp(kChromaLevelOfMedian * brightest[brightest.size() / 2], kChromaMinLevel,
                                    kChromaMaxLevel);
    std::vector<float> us, vs;
    us.reserve(blocks.total());
    vs.reserve(blocks.total());
    for (int y = 0; y < blocks.rows; ++y) {
      const cv::Vec3f* p = blocks.ptr<cv::Vec3f>(y);
      for (int x = 0; x < blocks.cols; ++x) {
        const float b = p[x][0], g = p[x][1], r = p[x][2];
        // Dark blocks carry noise; white ones (all channels clipped) none.
        // A colour with one channel clipped still counts (an over-exposed
        // card's photo keeps its hue).
        if (std::max({b, g, r}) < level || std::min({b, g, r}) >= 245) continue;
        us.push_back(std::log((r + 1.0f) / (g + 1.0f)));
        vs.push_back(std::log((b + 1.0f) / (g + 1.0f)));
      }
    }
    if (us.size() >= 100) {
      auto median = [](std::vector<float> v) {
        std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
        return v[v.size() / 2];
      };
      const float mu = median(us), mv = median(vs);
      std::vector<float> d(us.size());
      for (size_t i = 0; i < us.size(); ++i) d[i] = std::hypot(us[i] - mu, vs[i] - mv);
      const size_t k = static_cast<size_t>(kChromaSpreadQuantile * (d.size() - 1));
      std::nth_element(d.begin(), d.begin() + k, d.end());
      m.chroma_spread = d[k];
    }
  }

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
  // Clipped, colourless pixels: white whatever the card's colour.
  const cv::Mat clipped = (ch[2] >= 250) & (ch[1] <= 12);
  // The card's background: the brighter half of the pixels (text, photo and
  // watermark are darker), its median saturation and its light-blue share.
  // Its colour is judged where light did not clip it: a flash spot or a
  // bright card's clipped patches are no colour, and would otherwise make a
  // blue card look colourless. A card clipped over most of it keeps them.
  cv::Mat bg;
  const cv::Mat unclipped = ~clipped;
  if (cv::countNonZero(unclipped) >= kMinUnclippedForColour * grey.total()) {
    bg = unclipped & (grey >= Percentile(grey, 0.5, unclipped));
  } else {
    bg = grey >= m.median_luma;
  }
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
      light_blue += IsLightBlue(hue_row[x], s[x]);
    }
  }
  if (!sat.empty()) {
    std::nth_element(sat.begin(), sat.begin() + sat.size() / 2, sat.end());
    m.saturation = sat[sat.size() / 2];
    m.light_blue_fraction = static_cast<double>(light_blue) / sat.size();
  }

  // Glare: clipped, colourless pixels in blobs (single specks are print).
  cv::Mat glare;
  cv::morphologyEx(clipped, glare, cv::MORPH_OPEN,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(7, 7)));
  m.glare_fraction = static_cast<double>(cv::countNonZero(glare)) / glare.total();
  m.glare_solidity = LargestBlobSolidity(glare);

  // Light blue left beside the clipped patches (QualityMetrics::unclipped_light_blue):
  // the patches closed over the print inside them, then widened by a margin
  // (their rims are lit too).
  cv::Mat lit;
  cv::morphologyEx(glare, lit, cv::MORPH_CLOSE,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(kClippedCloseSize, kClippedCloseSize)));
  cv::dilate(lit, lit,
             cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(kClippedMarginSize, kClippedMarginSize)));
  int unclipped_blue = 0;
  for (int y = 0; y < grey.rows; ++y) {
    const uint8_t* l = lit.ptr<uint8_t>(y);
    const uint8_t* g = grey.ptr<uint8_t>(y);
    const uint8_t* s = ch[1].ptr<uint8_t>(y);
    const uint8_t* hue_row = ch[0].ptr<uint8_t>(y);
    for (int x = 0; x < grey.cols; ++x) {
      unclipped_blue += !l[x] && g[x] >= kLightBackgroundMinLuma && IsLightBlue(hue_row[x], s[x]);
    }
  }
  m.unclipped_light_blue = static_cast<double>(unclipped_blue) / grey.total();
  return m;
}

double CardUpscale(const CardLocation& loc) {
  const double w = 0.5 * (cv::norm(loc.quad[1] - loc.quad[0]) + cv::norm(loc.quad[2] - loc.quad[3]));
  const double h = 0.5 * (cv::norm(loc.quad[3] - loc.quad[0]) + cv::norm(loc.quad[2] - loc.quad[1]));
  if (w < 1 || h < 1) return 1;  // no geometry: taken at the canonical size
  return std::sqrt(static_cast<double>(layout::kCardWidth) * layout::kCardHeight / (w * h));
}

double CardTilt(const CardLocation& loc) {
  // Each side's direction as the top edge's would be: top and bottom as they
  // are, left and right (running down the card) turned back by a quarter.
  // A cut card's hidden corners are extrapolated: its sides say less than
  // the locator's own measure.
  if (loc.cropped) return loc.tilt_deg;
  const auto& q = loc.quad;
  const cv::Point2f sides[4] = {q[1] - q[0], q[2] - q[3], q[3] - q[0], q[2] - q[1]};
  double x = 0, y = 0;
  for (int i = 0; i < 4; ++i) {
    const double n = std::hypot(sides[i].x, sides[i].y);
    if (n < 1) return loc.tilt_deg;  // no geometry
    const double dx = sides[i].x / n, dy = sides[i].y / n;
    x += i < 2 ? dx : dy;
    y += i < 2 ? dy : -dx;
  }
  double tilt = std::atan2(y, x) * 180.0 / CV_PI - 90.0 * loc.quarter_turns;
  tilt = std::remainder(tilt, 360.0);
  while (tilt > 45) tilt -= 90;
  while (tilt <= -45) tilt += 90;
  return tilt;
}

v1::ImageQualities JudgeQuality(const QualityMetrics& m, const CardLocation& loc,
                                const KtpTextEvidence& text) {
  const Thresholds& t = kQualityThresholds;
  v1::ImageQualities q;
  // A card photographed small is upscaled to the canonical size, and even its
  // sharpest edges widen with it: the edge width is judged per image pixel.
  const double upscale = std::max(1.0, CardUpscale(loc));
  const bool blurred = m.print_blur_px > t.blurred_above_edge_px * std::pow(upscale, t.blurred_upscale_power);
  const bool dark = m.median_luma < t.dark_below_luma;
  const bool card_shaped =
      std::abs(std::log(std::max(loc.aspect, 1e-3) / layout::kAspect)) < t.ktp_aspect_tolerance;
  // A card cut on two sides by the border is read from the part in the
  // picture, which has no card shape to show; nor has a band of the frame
  // the card was read from.
  const bool cut_card = !loc.found && (loc.cropped || loc.in_band);
  // KTP evidence short of a readable card (see image_quality.h). The weaker
  // kinds need a card outline: the full-image fallback is only card-shaped by
  // the photo's own aspect.
  const bool outline = loc.found && card_shaped;
  const int header = text.province_header ? 1 : 0;
  const int header_and_nik = header + (text.valid_nik ? 1 : 0);
  const int text_clues = header_and_nik + (text.labels_found - header >= t.ktp_clue_min_labels ? 1 : 0);
  // All three clues read need no outline: a card washed out or flashed until
  // it merged with the desk has none, and no other document seen (270
  // ktp-diag non-KTP images) read a province header or a valid NIK at all.
  const bool every_text_clue = text_clues == 3;
  // Colour says KTP only of a card's own area: an outline or a card cut by
  // the frame. A band of the frame is mostly desk, its colour the desk's: it
  // is a KTP on its labels alone.
  const bool light_blue =
      (outline || (!loc.found && loc.cropped)) && m.light_blue_fraction >= t.ktp_min_light_blue;
  // On a light-blue card one clue suffices, so it must be one no other card
  // carries: a light-blue student or membership card reads Nama and Alamat.
  const int ktp_only_clues = header_and_nik + (text.ktp_only_labels >= 1 ? 1 : 0);
  // Colourless: no colour variety whatever the cast (a greyscale copy), or
  // little variety on a background of little colour (a copy that kept a trace
  // of colour). A colour card's photo backdrop keeps its spread ≥ 0.48 even
  // desaturated or over-exposed.
  const bool grey =
      (m.chroma_spread < t.copy_one_hue_below_spread && m.saturation < t.copy_one_hue_below_saturation) ||
      (m.chroma_spread < t.copy_below_spread && m.saturation < t.copy_below_saturation);
  const bool colourless =
      grey || (m.chroma_spread < t.copy_faint_below_spread && m.saturation < t.copy_faint_below_saturation);
  // Text that cannot be read says nothing against a KTP: a blurred ID-1 card
  // that is the e-KTP's blue, or colourless (a blurred copy, or so over-exposed
  // that its colour clipped away), is judged from its shape and colour alone.
  const bool id1_outline =
      loc.found && std::abs(std::log(std::max(loc.aspect, 1e-3) / layout::kAspect)) < t.ktp_strict_aspect_tolerance;
  q.set_ktp(((card_shaped || cut_card) && text.labels_found >= t.ktp_min_labels) || every_text_clue ||
            (light_blue &&
             (ktp_only_clues >= 1 || ((blurred || dark) && m.saturation <= t.ktp_pale_max_saturation))) ||
            (card_shaped && ((outline && text_clues >= t.ktp_min_text_clues) ||
                             (id1_outline && blurred && colourless))));
  // The pixel flags describe a KTP: on anything judged not a KTP (a scene, a
  // page, another card, or a KTP candidate whose readable text did not make
  // it one) every other flag stays off.
  if (!q.ktp()) return q;
  q.set_blurred(blurred);
  q.set_dark(dark);
  // Over-exposed: the background clipped white and the print lifted, or the
  // card plainly in colour. A copy's paper is white too but its ink stays
  // black, so on a grey card the ink must be lifted further. Washed out: the
  // blackest ink lifted on a light card — not by blur, which spreads ink into
  // the paper; a washed-out copy is bright rather than a copy.
  // A card still light blue beside its clipped patches was clipped by a
  // flash, however much of it.
  const bool clipped =
      m.white_fraction >= t.bright_min_white && m.unclipped_light_blue < t.bright_max_unclipped_light_blue &&
      (m.chroma_spread >= t.copy_faint_below_spread || m.dark_level >= t.bright_grey_clipped_min_dark_level ||
       (!grey && (m.luma_stddev < t.bright_clipped_below_stddev || m.dark_level >= t.bright_clipped_min_dark_level)));
  const bool washed = !blurred && m.dark_level >= t.bright_washed_min_dark_level &&
                      m.median_luma >= t.bright_washed_min_median;
  q.set_bright(clipped || washed);
  q.set_copy(!q.bright() && (grey || colourless));
  // Most of the card clipped, or a card near clipping all over, is
  // over-exposure; unless most of it is clipped and the rest is still light
  // blue (not bright, above): a close flash. Smaller patches on a card near
  // clipping stay over-exposure however blue the rest (ktp-synth's brightest
  // moderate cards: up to 35 % clipped, 0.29 light blue beside).
  const bool close_flash = m.glare_fraction >= t.flash_max_glare &&
                           m.unclipped_light_blue >= t.bright_max_unclipped_light_blue;
  q.set_flash(!q.bright() && !q.copy() && m.glare_fraction > t.flash_min_glare &&
              ((m.glare_fraction < t.flash_max_glare && m.median_luma < t.flash_max_median &&
                m.glare_solidity >= t.flash_min_solidity) ||
               close_flash));
  q.set_rotated(loc.quarter_turns != 0 || (loc.found && std::abs(CardTilt(loc)) > t.rotated_above_deg));
  q.set_cropped(loc.cropped);
  // A photographed screen (moiré, pixel grid, refresh banding) cannot be told
  // reliably from a photo of the card with these measurements: never claimed.
  q.set_taken_from_screen(false);
  return q;
}

}  // namespace ktp::reader
