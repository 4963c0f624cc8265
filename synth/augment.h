// Placement and degradation of a rendered document: it is warped onto a
// larger desk-like canvas (so a reader must find it), then blurred, lit,
// glared, noised and encoded according to a difficulty level. Every parameter
// is drawn from the caller's Rng, so results are reproducible.
#ifndef KTP_SYNTH_AUGMENT_H_
#define KTP_SYNTH_AUGMENT_H_

#include <array>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "synth/random.h"

namespace ktp::synth {

// kPhoto: moderate-strength phone photos (see ChoosePhoto); kept apart so the
// first three levels draw what they always drew.
enum class Level { kClean, kModerate, kHard, kPhoto };
// "clean", "moderate", "hard", "photo".
const char* LevelName(Level level);

// Hard-level defects; the names double as ImageQualities keys.
inline constexpr const char* kDefectNames[] = {"blurred", "dark", "bright", "rotated",
                                               "cropped", "copy", "flash"};

struct AugmentParams {
  double rotation_deg = 0;           // counter-clockwise positive (hard: up to 270 + tilt)
  double scale = 1;                  // card pixels in the output per rendered pixel
  double perspective = 0;            // max corner jitter, fraction of the card width
  double canvas_factor = 1.3;        // canvas size relative to the scaled card
  double blur_sigma = 0;             // at card scale (1012 px wide)
  double brightness = 1;             // multiplier
  double lift = 0;                   // additive, 0–255 (washes out "bright" images)
  double noise_sigma = 0;            // grey levels
  double crop_fraction = 0;          // of the card's width/height cut off by the border
  int crop_side = 0;                 // 0 left, 1 right, 2 top, 3 bottom
  bool copy = false;                 // grey photocopy look
  double copy_contrast = 1.6;        // the copy's contrast gain (varied strength)
  double copy_colour = 0;            // colour kept by the copy, 0 (grey) – 1
  int flashes = 0;                   // glare blobs
  double flash_coverage = 0;         // fraction of the card under saturated glare
  bool full_frame = false;           // the document is the whole image (no desk)
  int jpeg_quality = 0;              // 0: PNG
  std::vector<std::string> defects;  // applied hard-level defects, kDefectNames

  // Photo nuisances and defect variants of the single-defect set
  // (ChooseSingleDefect); the defaults leave the levels' images unchanged.
  double motion_length = 0;          // linear motion blur, px at card scale
  double motion_angle_deg = 0;       // its direction
  double defocus_radius = 0;         // disc (defocus) blur radius, px at card scale
  double light_gradient = 0;         // uneven light: ×(1 ± this) across the image
  double light_angle_deg = 0;        // ... towards the brighter side
  double vignette = 0;               // corners darkened by ×(1 − this)
  std::array<double, 3> cast = {1, 1, 1};  // white-balance gains R G B
  double saturation = 1;             // chroma kept (1 = as rendered)
  bool copy_card_only = false;       // copy look on the card only (a copy photographed on a desk)
  std::array<double, 3> copy_tint = {1, 1, 1};  // the copy's paper/toner tint, gains R G B
  double wash = 0;                   // blend towards white, 0–1 (haze, wash-out)
  double exposure_curve = 0;         // > 0: x → (1 − e^(−k·x)) / (1 − e^(−k)), over-exposure
  std::array<double, 4> crop_cut = {0, 0, 0, 0};  // card cut per side (left, right, top, bottom), fraction
  double moire = 0;                  // amplitude of a faint interference pattern, grey levels
  double moire_period = 5;           // its period, px
  // Hard-negative nuisances ("nuisance" controls of the single-defect set).
  double stroke = 0;                 // ink weight: > 0 bolder, < 0 thinner (a share of a px spread)
  double resample = 1;               // < 1: the picture is taken at this resolution, then upscaled
};

// The single-defect set: a moderate-quality photo (tilt ≤ 5°, perspective,
// mild Gaussian or motion blur, noise, uneven light, vignetting, colour cast,
// lower saturation, JPEG 50–90, sometimes moiré) carrying exactly `defect`
// (one of kDefectNames, at a strength from borderline to strong) or none
// ("none": a control). Where the labels' thresholds lie is in augment.cc.
inline constexpr const char* kSingleDefectKinds[] = {"none",    "blurred", "dark", "bright",
                                                     "rotated", "cropped", "copy", "flash"};
//
// "nuisance" is a control too, a hard negative: a sharp card with no defect
// but strong variation that another camera or renderer brings (heavy JPEG,
// moiré, strong perspective, the card small in the frame or the picture
// upscaled, uneven light, bold or thin strokes, tight framing, colour casts).
// It is drawn on other indices than the kSingleDefectKinds (see
// MakeSingleDefect), so adding it changed none of their images.
inline constexpr const char* kNuisanceControl = "nuisance";
AugmentParams ChooseSingleDefect(Rng& rng, const std::string& defect);

// The photo level: a moderate-quality phone photo with no defect flag but
// several realistic nuisances at once — perspective (always some), tilt
// ≤ 5°, JPEG 50–70, mild motion or Gaussian blur, uneven light and
// vignetting, colour cast, lower saturation, moiré — each below the
// single-defect set's label thresholds (ChooseSingleDefect).
AugmentParams ChoosePhoto(Rng& rng);

// Draws parameters for a KTP card at `level`. `allow_png` lets clean cards be PNG.
AugmentParams ChooseAugment(Rng& rng, Level level, bool allow_png);

struct Augmented {
  cv::Mat rgb;  // CV_8UC3, R G B
  // Where the document's corners landed: top-left, top-right, bottom-right,
  // bottom-left (may lie outside the image when cropped).
  std::array<cv::Point2d, 4> quad;
};

// Places `doc_rgba` (CV_8UC4, R G B A) on a canvas and degrades it.
Augmented Apply(const cv::Mat& doc_rgba, const AugmentParams& params, Rng& rng);

// Encodes RGB (grey images as 8-bit grey) to JPEG (quality > 0) or PNG.
absl::StatusOr<std::string> Encode(const cv::Mat& rgb, int jpeg_quality);

}  // namespace ktp::synth

#endif  // KTP_SYNTH_AUGMENT_H_
