// Placement and degradation (see augment.h). Geometry first (homography onto
// a desk canvas), then photometry in float: copy → brightness → glare → blur
// → noise, so e.g. glare stays saturated on a darkened photo.
#include "synth/augment.h"

#include <leptonica/allheaders.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <string>

#include "absl/status/status.h"

namespace ktp::synth {
namespace {

constexpr double kPi = 3.14159265358979323846;

bool Has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Desk-like backgrounds that contrast with the light blue card.
cv::Mat MakeBackground(Rng& rng, int w, int h) {
  cv::Mat bg(h, w, CV_32FC3);
  const int kind = rng.Int(0, 2);
  cv::Vec3f base;
  if (kind == 0) {  // wood
    base = cv::Vec3f(static_cast<float>(rng.Real(100, 160)), static_cast<float>(rng.Real(60, 100)),
                     static_cast<float>(rng.Real(30, 60)));
  } else if (kind == 1) {  // grey table
    const float g = static_cast<float>(rng.Real(60, 140));
    base = cv::Vec3f(g, g, g * static_cast<float>(rng.Real(0.95, 1.05)));
  } else {  // dark cloth
    base = cv::Vec3f(static_cast<float>(rng.Real(20, 70)), static_cast<float>(rng.Real(20, 70)),
                     static_cast<float>(rng.Real(20, 70)));
  }
  const double period = rng.Real(8, 20), wobble = rng.Real(5, 25), ph = rng.Real(0, 2 * kPi);
  const double fx = rng.Real(80, 250);
  for (int y = 0; y < h; ++y) {
    cv::Vec3f* row = bg.ptr<cv::Vec3f>(y);
    for (int x = 0; x < w; ++x) {
      float v = 0;
      if (kind == 0) {
        v = static_cast<float>(14 *
                               std::sin((y + wobble * std::sin(x / fx + ph)) * 2 * kPi / period));
      }
      row[x] = base + cv::Vec3f(v, v * 0.7f, v * 0.4f);
    }
  }
  // Uneven lighting: a coarse random field scaled up smoothly.
  cv::Mat light(4, 5, CV_32F);
  for (int i = 0; i < light.rows; ++i) {
    for (int j = 0; j < light.cols; ++j)
      light.at<float>(i, j) = static_cast<float>(rng.Real(0.8, 1.15));
  }
  cv::resize(light, light, bg.size(), 0, 0, cv::INTER_CUBIC);
  cv::Mat light3;
  cv::merge(std::vector<cv::Mat>{light, light, light}, light3);
  bg = bg.mul(light3);
  cv::Mat grain(h, w, CV_32FC3);
  cv::RNG cvrng(rng.Next());
  cvrng.fill(grain, cv::RNG::NORMAL, 0, 6);
  cv::GaussianBlur(grain, grain, cv::Size(0, 0), 1.2);
  bg += grain;
  return bg;
}

// Saturated elliptical glare in document coordinates (0..1 mask).
cv::Mat GlareMask(Rng& rng, cv::Size size, int blobs, double coverage) {
  cv::Mat core = cv::Mat::zeros(size, CV_32F);
  cv::Mat halo = cv::Mat::zeros(size, CV_32F);
  const double area_each = coverage * size.area() / blobs;
  for (int i = 0; i < blobs; ++i) {
    const double ratio = rng.Real(1.0, 2.2);  // a/b
    const double b = std::sqrt(area_each / (kPi * ratio));
    const double a = b * ratio;
    const cv::Point centre(static_cast<int>(rng.Real(0.2, 0.8) * size.width),
                           static_cast<int>(rng.Real(0.2, 0.8) * size.height));
    const double angle = rng.Real(0, 180);
    cv::ellipse(core, centre, cv::Size(static_cast<int>(a), static_cast<int>(b)), angle, 0, 360,
                cv::Scalar(1.0), cv::FILLED, cv::LINE_AA);
    cv::ellipse(halo, centre, cv::Size(static_cast<int>(a * 1.8), static_cast<int>(b * 1.8)), angle,
                0, 360, cv::Scalar(0.55), cv::FILLED, cv::LINE_AA);
  }
  cv::GaussianBlur(halo, halo, cv::Size(0, 0), std::max(3.0, std::sqrt(area_each) * 0.25));
  // Soft-edged but still saturated in the middle, like a real flash spot.
  cv::GaussianBlur(core, core, cv::Size(0, 0), std::max(2.0, 0.12 * std::sqrt(area_each / kPi)));
  cv::threshold(core * 1.4, core, 1.0, 1.0, cv::THRESH_TRUNC);
  return cv::max(core, halo);
}

}  // namespace

const char* LevelName(Level level) {
  switch (level) {
    case Level::kClean:
      return "clean";
    case Level::kModerate:
      return "moderate";
    case Level::kHard:
      return "hard";
    case Level::kPhoto:
      return "photo";
  }
  return "unknown";
}

AugmentParams ChooseAugment(Rng& rng, Level level, bool allow_png) {
  if (level == Level::kPhoto) return ChoosePhoto(rng);
  AugmentParams p;
  p.canvas_factor = rng.Real(1.25, 1.5);
  if (level == Level::kClean) {
    p.rotation_deg = rng.Real(-1.0, 1.0);
    p.scale = rng.Real(0.97, 1.03);
    p.jpeg_quality = allow_png && rng.Chance(0.5) ? 0 : rng.Int(90, 97);
    return p;
  }
  p.scale = rng.Real(0.85, 1.15);
  p.jpeg_quality = rng.Int(60, 90);
  if (level == Level::kModerate) {
    p.rotation_deg = rng.Real(-5.0, 5.0);
    p.perspective = rng.Real(0.0, 0.03);
    p.blur_sigma = rng.Real(0.0, 1.0);
    p.noise_sigma = rng.Real(0.0, 4.0);
    p.brightness = rng.Real(0.7, 1.3);
    return p;
  }
  // Hard: a tamer base (so the defects are the only out-of-range knobs), then
  // one or two defects with clear gaps from the moderate ranges.
  p.rotation_deg = rng.Real(-4.0, 4.0);
  p.perspective = rng.Real(0.0, 0.02);
  p.blur_sigma = rng.Real(0.0, 0.8);
  p.noise_sigma = rng.Real(1.0, 4.0);
  p.brightness = rng.Real(0.85, 1.15);
  const int count = rng.Chance(0.6) ? 1 : 2;
  while (static_cast<int>(p.defects.size()) < count) {
    const std::string d = kDefectNames[rng.Int(0, 6)];
    if (Has(p.defects, d)) continue;
    // Mutually exclusive looks: photometric opposites, and glare on a copy.
    const bool clash =
        (d == "dark" && Has(p.defects, "bright")) || (d == "bright" && Has(p.defects, "dark")) ||
        (d == "copy" &&
         (Has(p.defects, "flash") || Has(p.defects, "dark") || Has(p.defects, "bright"))) ||
        ((d == "flash" || d == "dark" || d == "bright") && Has(p.defects, "copy"));
    if (clash) continue;
    p.defects.push_back(d);
  }
  for (const std::string& d : p.defects) {
    if (d == "blurred") {
      // Varied strength: from clearly soft text that may still read (σ 1.8)
      // to unreadable; moderate stays ≤ 1.
      p.blur_sigma = rng.Real(1.8, 4.0);
    } else if (d == "dark") {
      p.brightness = rng.Real(0.25, 0.45);
    } else if (d == "bright") {
      p.brightness = rng.Real(1.6, 2.0);
      p.lift = rng.Real(30, 70);
    } else if (d == "rotated") {
      p.rotation_deg = rng.SignedReal(12.0, 30.0);
      // Half of them are turned by a quarter, half or three quarters instead
      // (a phone held sideways or upside down), with a small tilt.
      if (rng.Chance(0.5)) p.rotation_deg = 90.0 * rng.Int(1, 3) + rng.Real(-4.0, 4.0);
    } else if (d == "cropped") {
      p.crop_fraction = rng.Real(0.06, 0.28);
      p.crop_side = rng.Int(0, 3);
    } else if (d == "copy") {
      p.copy = true;
      p.noise_sigma = rng.Real(5.0, 9.0);
      // Varied strength: a mild to harsh contrast gain, some copies keeping a
      // trace of the card's colour (a low-saturation colour copy).
      p.copy_contrast = rng.Real(1.15, 1.8);
      p.copy_colour = rng.Chance(0.4) ? rng.Real(0.05, 0.2) : 0.0;
    } else if (d == "flash") {
      p.flashes = rng.Int(1, 2);
      p.flash_coverage = rng.Real(0.03, 0.10);
    }
  }
  std::sort(p.defects.begin(), p.defects.end());
  return p;
}

// The single-defect set. Each image is a moderate-quality photo with one
// defect (or none). Where a defect starts — "would you ask for another
// photo?" — and the gap left below it (nuisances on every image stay under
// it) are:
//   blurred: blur as wide as a Gaussian of σ ≥ 1.8 px on the 1012-px card
//            (text visibly soft; motion blur of length L counts as σ = L/√12,
//            a defocus disc of radius r as σ = r/2); nuisance σ ≤ 0.9
//            (motion ≤ 3 px).
//   dark:    exposure ×0.55 or less at the card's centre (uniform, or with a
//            light gradient or vignette darkening one side or the corners
//            further); nuisance ×0.8–1.1 with mild uneven light, ≤ ×1.2 at
//            the brightest side.
//   bright:  over-exposed until the card's background clips (×1.45 and more,
//            or a highlight-compressing curve) or washed out towards white by
//            ≥ 35 %; nuisance as for dark (nothing clips), no lift.
//   rotated: turned by 90°/180°/270° (± 5°) or tilted by ≥ 10°; nuisance ≤ 5°.
//   cropped: ≥ 3 % of the card's extent beyond the border on one side, two
//            adjacent sides (a corner) or two opposite sides; otherwise the
//            whole card is in the picture with a margin.
//   copy:    a greyscale or low-colour (≤ 20 % kept) reproduction, possibly
//            tinted, of any contrast; nuisance: colour casts (R and B ×0.9–1.1)
//            and photos with 60–100 % of their saturation.
//   flash:   saturated glare on 2–15 % of the card in 1–3 spots.
// The "nuisance" controls (hard negatives, no defect label) add to the control
// photo, each with probability ½ and at least one: JPEG 35–60; moiré of
// amplitude 4–9 and period 2.5–8 px; perspective 0.05–0.10; the card small in
// the frame (0.4–0.65 of its rendered size, ≥ 400 px across); the picture
// taken at 0.6–0.85 of its resolution and upscaled; uneven light of ±25–40 %
// (the brightest side still ≤ ×1.2, the card's centre ≥ ×0.8); strokes one
// px bolder or thinner (a share 0.5–1 of it); tight framing (the canvas
// 1.02–1.12 × the card, its margin ≥ 3 %); casts of R and B ×0.85–1.15.
// None of these blurs an edge beyond what its resolution allows, clips the
// card, or cuts it.
AugmentParams ChooseSingleDefect(Rng& rng, const std::string& defect) {
  AugmentParams p;
  p.canvas_factor = rng.Real(1.2, 1.5);
  p.scale = rng.Real(0.75, 1.25);
  p.rotation_deg = rng.Real(-5.0, 5.0);
  p.perspective = rng.Real(0.0, 0.05);
  p.jpeg_quality = rng.Int(50, 90);
  p.noise_sigma = rng.Real(0.0, 5.0);
  p.brightness = rng.Real(0.8, 1.1);
  const int blur_kind = rng.Int(0, 3);
  if (blur_kind <= 1) {
    p.blur_sigma = rng.Real(0.0, 0.9);
  } else if (blur_kind == 2) {
    p.motion_length = rng.Real(1.0, 3.0);
    p.motion_angle_deg = rng.Real(0, 180);
  }
  if (rng.Chance(0.5)) {
    // The brightest side stays at ×1.2 or less: a moderate photo does not clip.
    p.light_gradient = std::min(rng.Real(0.05, 0.25), 1.2 / p.brightness - 1);
    p.light_angle_deg = rng.Real(0, 360);
  }
  if (rng.Chance(0.4)) p.vignette = rng.Real(0.1, 0.3);
  if (rng.Chance(0.5)) p.cast = {rng.Real(0.9, 1.1), 1.0, rng.Real(0.9, 1.1)};
  if (rng.Chance(0.3)) p.saturation = rng.Real(0.6, 1.0);
  if (rng.Chance(0.15)) {
    p.moire = rng.Real(2.0, 5.0);
    p.moire_period = rng.Real(3.0, 8.0);
  }
  if (defect == "none") return p;
  if (defect == kNuisanceControl) {
    // Drawn after the control's own draws: a "none" image plus nuisances.
    bool any = false;
    while (!any) {
      if (rng.Chance(0.5)) {
        p.jpeg_quality = rng.Int(35, 60);
        any = true;
      }
      if (rng.Chance(0.5)) {
        p.moire = rng.Real(4.0, 9.0);
        p.moire_period = rng.Real(2.5, 8.0);
        any = true;
      }
      if (rng.Chance(0.5)) {
        p.perspective = rng.Real(0.05, 0.10);
        any = true;
      }
      if (rng.Chance(0.5)) {
        p.scale = rng.Real(0.4, 0.65);
        any = true;
      } else if (rng.Chance(0.5)) {
        p.resample = rng.Real(0.6, 0.85);
        any = true;
      }
      if (rng.Chance(0.5)) {
        p.brightness = rng.Real(0.8, 0.85);
        p.light_gradient = std::min(rng.Real(0.25, 0.4), 1.2 / p.brightness - 1);
        p.light_angle_deg = rng.Real(0, 360);
        any = true;
      }
      if (rng.Chance(0.5)) {
        p.stroke = rng.SignedReal(0.5, 1.0);
        any = true;
      }
      if (rng.Chance(0.3)) {
        p.canvas_factor = rng.Real(1.02, 1.12);
        any = true;
      }
      if (rng.Chance(0.3)) {
        p.cast = {rng.Real(0.85, 1.15), 1.0, rng.Real(0.85, 1.15)};
        any = true;
      }
    }
    return p;
  }
  p.defects = {defect};
  if (defect == "blurred") {
    p.blur_sigma = 0;
    p.motion_length = 0;
    const int kind = rng.Int(0, 2);
    if (kind == 0) {
      p.blur_sigma = rng.Real(1.8, 4.5);
    } else if (kind == 1) {
      p.motion_length = rng.Real(6.3, 20.0);  // σ 1.8–5.8
      p.motion_angle_deg = rng.Real(0, 180);
    } else {
      p.defocus_radius = rng.Real(3.6, 9.0);
    }
  } else if (defect == "dark") {
    p.noise_sigma = rng.Real(2.0, 9.0);  // under-exposed photos are noisy
    if (rng.Chance(0.5)) {
      p.brightness = rng.Real(0.2, 0.55);
    } else {
      p.brightness = rng.Real(0.3, 0.55);
      if (rng.Chance(0.5)) {
        p.light_gradient = rng.Real(0.3, 0.5);
        p.light_angle_deg = rng.Real(0, 360);
      } else {
        p.vignette = rng.Real(0.4, 0.6);
      }
    }
  } else if (defect == "bright") {
    p.vignette = 0;
    const int kind = rng.Int(0, 2);
    if (kind == 0) {
      p.brightness = rng.Real(1.45, 2.0);
      p.lift = rng.Real(0.0, 50.0);
    } else if (kind == 1) {
      p.brightness = rng.Real(1.0, 1.15);
      p.wash = rng.Real(0.35, 0.7);
    } else {
      p.brightness = rng.Real(1.1, 1.3);
      p.exposure_curve = rng.Real(2.5, 5.0);
    }
  } else if (defect == "rotated") {
    p.rotation_deg = rng.Chance(0.5) ? 90.0 * rng.Int(1, 3) + rng.Real(-5.0, 5.0) : rng.SignedReal(10.0, 40.0);
  } else if (defect == "cropped") {
    const double r = rng.Unit();
    const int side = rng.Int(0, 3);
    if (r < 0.55) {
      p.crop_cut[side] = rng.Real(0.03, 0.3);
    } else if (r < 0.85) {
      // A corner: one horizontal and one vertical side.
      p.crop_cut[rng.Int(0, 1)] = rng.Real(0.03, 0.25);
      p.crop_cut[2 + rng.Int(0, 1)] = rng.Real(0.03, 0.25);
    } else {
      // Zoomed in: two opposite sides.
      const int axis = side < 2 ? 0 : 2;
      p.crop_cut[axis] = rng.Real(0.03, 0.15);
      p.crop_cut[axis + 1] = rng.Real(0.03, 0.15);
    }
  } else if (defect == "copy") {
    p.copy = true;
    p.copy_card_only = rng.Chance(0.5);
    p.copy_contrast = rng.Real(0.9, 1.8);
    p.copy_colour = rng.Chance(0.4) ? rng.Real(0.05, 0.2) : 0.0;
    if (rng.Chance(0.35)) p.copy_tint = {rng.Real(0.95, 1.06), 1.0, rng.Real(0.92, 1.05)};
    p.noise_sigma = rng.Real(3.0, 9.0);
    p.saturation = 1;
  } else if (defect == "flash") {
    p.flashes = rng.Int(1, 3);
    p.flash_coverage = rng.Real(0.02, 0.15);
  }
  return p;
}

// The photo level. The held-out corpus's moderate photos carry these
// nuisances together; the moderate level has none of them beyond Gaussian
// blur, noise and brightness, so it overstates accuracy on real photos.
// Strengths stay at the single-defect set's nuisance ceilings: blur σ ≤ 0.9
// (motion ≤ 3 px), brightest side ≤ ×1.2, casts R/B ×0.88–1.12.
AugmentParams ChoosePhoto(Rng& rng) {
  AugmentParams p;
  p.canvas_factor = rng.Real(1.2, 1.5);
  p.scale = rng.Real(0.8, 1.2);
  p.rotation_deg = rng.Real(-5.0, 5.0);
  p.perspective = rng.Real(0.01, 0.05);
  p.jpeg_quality = rng.Int(50, 70);
  p.noise_sigma = rng.Real(1.0, 5.0);
  p.brightness = rng.Real(0.8, 1.1);
  // Hand-held: mostly a little shake, otherwise slight defocus.
  if (rng.Chance(0.6)) {
    p.motion_length = rng.Real(1.5, 3.0);
    p.motion_angle_deg = rng.Real(0, 180);
    p.blur_sigma = rng.Real(0.0, 0.4);
  } else {
    p.blur_sigma = rng.Real(0.3, 0.9);
  }
  if (rng.Chance(0.7)) {
    p.light_gradient = std::min(rng.Real(0.1, 0.3), 1.2 / p.brightness - 1);
    p.light_angle_deg = rng.Real(0, 360);
  }
  if (rng.Chance(0.4)) p.vignette = rng.Real(0.1, 0.3);
  if (rng.Chance(0.6)) p.cast = {rng.Real(0.88, 1.12), 1.0, rng.Real(0.88, 1.12)};
  if (rng.Chance(0.3)) p.saturation = rng.Real(0.6, 1.0);
  if (rng.Chance(0.4)) {
    p.moire = rng.Real(2.0, 6.0);
    p.moire_period = rng.Real(3.0, 8.0);
  }
  return p;
}

namespace {

// Grey (or nearly) with the copier's contrast and tint; RGB float.
cv::Mat CopyLook(const cv::Mat& rgb, const AugmentParams& p) {
  cv::Mat grey, grey3;
  cv::cvtColor(rgb, grey, cv::COLOR_RGB2GRAY);
  cv::cvtColor(grey, grey3, cv::COLOR_GRAY2RGB);
  if (p.copy_colour > 0) grey3 = grey3 * (1 - p.copy_colour) + rgb * p.copy_colour;
  cv::Mat out = (grey3 - cv::Scalar::all(128.0)) * p.copy_contrast + cv::Scalar::all(165.0);
  if (p.copy_tint != std::array<double, 3>{1, 1, 1}) {
    out = out.mul(cv::Scalar(p.copy_tint[0], p.copy_tint[1], p.copy_tint[2]));
  }
  return out;
}

// A normalised kernel: a line of `length` px at `angle_deg` (motion) or a
// disc of `radius` px (defocus), with sub-pixel coverage.
cv::Mat BlurKernel(double length, double angle_deg, double radius) {
  const double extent = std::max(length / 2, radius);
  const int half = static_cast<int>(std::ceil(extent)) + 1;
  const int size = 2 * half + 1;
  cv::Mat k = cv::Mat::zeros(size, size, CV_32F);
  if (radius > 0) {
    constexpr int kSub = 8;  // samples per pixel and axis
    for (int y = 0; y < size; ++y) {
      for (int x = 0; x < size; ++x) {
        int in = 0;
        for (int sy = 0; sy < kSub; ++sy) {
          for (int sx = 0; sx < kSub; ++sx) {
            const double dx = x - half + (sx + 0.5) / kSub - 0.5, dy = y - half + (sy + 0.5) / kSub - 0.5;
            in += dx * dx + dy * dy <= radius * radius;
          }
        }
        k.at<float>(y, x) = static_cast<float>(in);
      }
    }
  } else {
    // Points along the path, each splatted bilinearly.
    const double a = angle_deg * kPi / 180.0;
    const int steps = std::max(2, static_cast<int>(std::ceil(length * 8)));
    for (int i = 0; i <= steps; ++i) {
      const double t = (static_cast<double>(i) / steps - 0.5) * length;
      const double px = half + t * std::cos(a), py = half + t * std::sin(a);
      const int x0 = static_cast<int>(std::floor(px)), y0 = static_cast<int>(std::floor(py));
      const double fx = px - x0, fy = py - y0;
      k.at<float>(y0, x0) += static_cast<float>((1 - fx) * (1 - fy));
      k.at<float>(y0, x0 + 1) += static_cast<float>(fx * (1 - fy));
      k.at<float>(y0 + 1, x0) += static_cast<float>((1 - fx) * fy);
      k.at<float>(y0 + 1, x0 + 1) += static_cast<float>(fx * fy);
    }
  }
  return k / std::max(cv::sum(k)[0], 1e-9);
}

}  // namespace

Augmented Apply(const cv::Mat& doc_rgba, const AugmentParams& p, Rng& rng) {
  const double w = doc_rgba.cols, h = doc_rgba.rows;
  const double sw = w * p.scale, sh = h * p.scale;

  // Corners around the origin: scaled, jittered (perspective), rotated.
  const double th = -p.rotation_deg * kPi / 180.0;  // image y points down
  const double c = std::cos(th), s = std::sin(th);
  std::array<cv::Point2d, 4> quad;
  const double corners[4][2] = {
      {-sw / 2, -sh / 2}, {sw / 2, -sh / 2}, {sw / 2, sh / 2}, {-sw / 2, sh / 2}};
  for (int i = 0; i < 4; ++i) {
    const double jx = corners[i][0] + rng.Real(-1, 1) * p.perspective * sw;
    const double jy = corners[i][1] + rng.Real(-1, 1) * p.perspective * sw;
    quad[i] = cv::Point2d(c * jx - s * jy, s * jx + c * jy);
  }
  double minx = 1e9, maxx = -1e9, miny = 1e9, maxy = -1e9;
  for (const auto& q : quad) {
    minx = std::min(minx, q.x);
    maxx = std::max(maxx, q.x);
    miny = std::min(miny, q.y);
    maxy = std::max(maxy, q.y);
  }

  int cw, ch;
  double tx, ty;
  if (p.full_frame) {
    cw = static_cast<int>(std::lround(sw));
    ch = static_cast<int>(std::lround(sh));
    tx = sw / 2;
    ty = sh / 2;
    quad = {cv::Point2d(-sw / 2, -sh / 2), cv::Point2d(sw / 2, -sh / 2),
            cv::Point2d(sw / 2, sh / 2), cv::Point2d(-sw / 2, sh / 2)};
  } else {
    const double margin = 0.03 * std::max(sw, sh);
    cw = static_cast<int>(std::ceil(std::max(sw * p.canvas_factor, maxx - minx + 2 * margin)));
    ch = static_cast<int>(std::ceil(std::max(sh * p.canvas_factor, maxy - miny + 2 * margin)));
    tx = rng.Real(margin - minx, cw - margin - maxx);
    ty = rng.Real(margin - miny, ch - margin - maxy);
    const double cut_l = p.crop_cut[0] * (maxx - minx), cut_r = p.crop_cut[1] * (maxx - minx);
    const double cut_t = p.crop_cut[2] * (maxy - miny), cut_b = p.crop_cut[3] * (maxy - miny);
    if (cut_l > 0 && cut_r > 0) cw = static_cast<int>(std::lround(maxx - minx - cut_l - cut_r));
    if (cut_t > 0 && cut_b > 0) ch = static_cast<int>(std::lround(maxy - miny - cut_t - cut_b));
    if (cut_l > 0) tx = -cut_l - minx;
    if (cut_l <= 0 && cut_r > 0) tx = cw + cut_r - maxx;
    if (cut_t > 0) ty = -cut_t - miny;
    if (cut_t <= 0 && cut_b > 0) ty = ch + cut_b - maxy;
    if (p.crop_fraction > 0) {
      // Push one side of the card past the image border.
      const double cut = p.crop_fraction * (p.crop_side < 2 ? sw : sh);
      if (p.crop_side == 0) tx = -cut - minx;
      if (p.crop_side == 1) tx = cw + cut - maxx;
      if (p.crop_side == 2) ty = -cut - miny;
      if (p.crop_side == 3) ty = ch + cut - maxy;
    }
  }
  for (auto& q : quad) q += cv::Point2d(tx, ty);

  const cv::Point2f src[4] = {{0, 0},
                              {static_cast<float>(w), 0},
                              {static_cast<float>(w), static_cast<float>(h)},
                              {0, static_cast<float>(h)}};
  cv::Point2f dst[4];
  for (int i = 0; i < 4; ++i)
    dst[i] = cv::Point2f(static_cast<float>(quad[i].x), static_cast<float>(quad[i].y));
  const cv::Mat hom = cv::getPerspectiveTransform(src, dst);

  cv::Mat doc = doc_rgba;
  if (p.stroke != 0) {
    // Bolder ink (the darker neighbour, a min filter) or thinner (a max
    // filter), blended by the share of a px; the alpha stays.
    cv::Mat rgb, a, spread;
    cv::cvtColor(doc_rgba, rgb, cv::COLOR_RGBA2RGB);
    cv::extractChannel(doc_rgba, a, 3);
    const cv::Mat k = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2, 2));
    if (p.stroke > 0) {
      cv::erode(rgb, spread, k);
    } else {
      cv::dilate(rgb, spread, k);
    }
    const double share = std::min(1.0, std::abs(p.stroke));
    cv::addWeighted(spread, share, rgb, 1 - share, 0, rgb);
    std::vector<cv::Mat> ch4;
    cv::split(rgb, ch4);
    ch4.push_back(a);
    cv::merge(ch4, doc);
  }
  if (p.copy && p.copy_card_only) {
    // A copy on a desk: only the card loses its colour.
    cv::Mat rgb, a, f;
    cv::cvtColor(doc, rgb, cv::COLOR_RGBA2RGB);
    cv::extractChannel(doc, a, 3);
    rgb.convertTo(f, CV_32FC3);
    CopyLook(f, p).convertTo(rgb, CV_8UC3);
    std::vector<cv::Mat> ch4;
    cv::split(rgb, ch4);
    ch4.push_back(a);
    cv::merge(ch4, doc);
  }
  cv::Mat warped;
  cv::warpPerspective(doc, warped, hom, cv::Size(cw, ch), cv::INTER_LINEAR,
                      cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0, 0));
  cv::Mat bg =
      p.full_frame ? cv::Mat(ch, cw, CV_32FC3, cv::Scalar(0, 0, 0)) : MakeBackground(rng, cw, ch);
  cv::Mat img(ch, cw, CV_32FC3);
  for (int y = 0; y < ch; ++y) {
    const cv::Vec4b* d = warped.ptr<cv::Vec4b>(y);
    const cv::Vec3f* b = bg.ptr<cv::Vec3f>(y);
    cv::Vec3f* o = img.ptr<cv::Vec3f>(y);
    for (int x = 0; x < cw; ++x) {
      const float a = d[x][3] / 255.0f;
      o[x] = b[x] * (1 - a) + cv::Vec3f(d[x][0], d[x][1], d[x][2]) * a;
    }
  }

  if (p.copy && !p.copy_card_only) {
    // Photocopy: grey (or nearly), steeper contrast, paper-white background.
    img = CopyLook(img, p);
  }
  if (p.saturation != 1) {
    cv::Mat grey, grey3;
    cv::cvtColor(img, grey, cv::COLOR_RGB2GRAY);
    cv::cvtColor(grey, grey3, cv::COLOR_GRAY2RGB);
    img = grey3 + (img - grey3) * p.saturation;
  }
  if (p.cast != std::array<double, 3>{1, 1, 1}) img = img.mul(cv::Scalar(p.cast[0], p.cast[1], p.cast[2]));
  img = img * p.brightness + cv::Scalar::all(p.lift);
  if (p.exposure_curve > 0) {
    // Highlights compressed towards white, shadows lifted: over-exposure.
    cv::Mat f = cv::max(img, 0.0) * (-p.exposure_curve / 255.0);
    cv::exp(f, f);
    img = (cv::Scalar::all(1.0) - f) * (255.0 / (1.0 - std::exp(-p.exposure_curve)));
  }
  if (p.wash > 0) img = img * (1 - p.wash) + cv::Scalar::all(255.0 * p.wash);
  if (p.light_gradient > 0 || p.vignette > 0) {
    // Uneven light over the whole picture: a linear gradient and a vignette.
    cv::Mat light(ch, cw, CV_32F);
    const double a = p.light_angle_deg * kPi / 180.0;
    const double half_diag = 0.5 * std::hypot(cw, ch);
    for (int y = 0; y < ch; ++y) {
      float* row = light.ptr<float>(y);
      for (int x = 0; x < cw; ++x) {
        const double dx = x - cw / 2.0, dy = y - ch / 2.0;
        const double along = (dx * std::cos(a) + dy * std::sin(a)) / half_diag;
        const double r2 = (dx * dx + dy * dy) / (half_diag * half_diag);
        row[x] = static_cast<float>((1 + p.light_gradient * along) * (1 - p.vignette * r2));
      }
    }
    cv::Mat light3;
    cv::merge(std::vector<cv::Mat>{light, light, light}, light3);
    img = img.mul(light3);
  }
  if (p.flashes > 0) {
    cv::Mat glare = GlareMask(rng, doc_rgba.size(), p.flashes, p.flash_coverage);
    cv::Mat warped_glare;
    cv::warpPerspective(glare, warped_glare, hom, cv::Size(cw, ch), cv::INTER_LINEAR,
                        cv::BORDER_CONSTANT, cv::Scalar(0));
    for (int y = 0; y < ch; ++y) {
      const float* g = warped_glare.ptr<float>(y);
      cv::Vec3f* o = img.ptr<cv::Vec3f>(y);
      for (int x = 0; x < cw; ++x) o[x] = o[x] * (1 - g[x]) + cv::Vec3f(255, 255, 252) * g[x];
    }
  }
  if (p.blur_sigma > 0.05) {
    cv::GaussianBlur(img, img, cv::Size(0, 0), p.blur_sigma * p.scale);
  }
  if (p.motion_length > 0.05 || p.defocus_radius > 0.05) {
    const cv::Mat k =
        BlurKernel(p.motion_length * p.scale, p.motion_angle_deg, p.defocus_radius * p.scale);
    cv::filter2D(img, img, -1, k, cv::Point(-1, -1), 0, cv::BORDER_REFLECT);
  }
  if (p.moire > 0) {
    // A faint beat pattern, as from a printed or displayed halftone.
    const double a = p.moire_period * 0.7;
    for (int y = 0; y < ch; ++y) {
      cv::Vec3f* row = img.ptr<cv::Vec3f>(y);
      for (int x = 0; x < cw; ++x) {
        const double t = (x * std::cos(a) + y * std::sin(a)) / p.moire_period;
        const float v = static_cast<float>(p.moire * std::sin(2 * kPi * t + 2.0 * std::sin(y * 0.01)));
        row[x] += cv::Vec3f(v, v, v);
      }
    }
  }
  if (p.noise_sigma > 0) {
    cv::RNG cvrng(rng.Next());
    if (p.copy) {
      cv::Mat n(ch, cw, CV_32F);
      cvrng.fill(n, cv::RNG::NORMAL, 0, p.noise_sigma);
      cv::Mat n3;
      cv::cvtColor(n, n3, cv::COLOR_GRAY2RGB);
      img += n3;
    } else {
      cv::Mat n(ch, cw, CV_32FC3);
      cvrng.fill(n, cv::RNG::NORMAL, 0, p.noise_sigma);
      img += n;
    }
  }
  Augmented out;
  img.convertTo(out.rgb, CV_8UC3);  // saturating
  if (p.resample < 1) {
    // A lower-resolution camera, its picture upscaled to the canvas.
    cv::Mat low;
    cv::resize(out.rgb, low, cv::Size(), p.resample, p.resample, cv::INTER_AREA);
    cv::resize(low, out.rgb, out.rgb.size(), 0, 0, cv::INTER_LINEAR);
  }
  out.quad = quad;
  return out;
}

absl::StatusOr<std::string> Encode(const cv::Mat& rgb, int jpeg_quality) {
  if (rgb.type() != CV_8UC3 || rgb.empty())
    return absl::InvalidArgumentError("Encode wants CV_8UC3");
  bool grey = true;
  for (int y = 0; y < rgb.rows && grey; ++y) {
    const cv::Vec3b* r = rgb.ptr<cv::Vec3b>(y);
    for (int x = 0; x < rgb.cols; ++x) {
      if (r[x][0] != r[x][1] || r[x][1] != r[x][2]) {
        grey = false;
        break;
      }
    }
  }
  PIX* pix = pixCreate(rgb.cols, rgb.rows, grey ? 8 : 32);
  if (pix == nullptr) return absl::ResourceExhaustedError("pixCreate failed");
  pixSetResolution(pix, 300, 300);
  l_uint32* data = pixGetData(pix);
  const int wpl = pixGetWpl(pix);
  for (int y = 0; y < rgb.rows; ++y) {
    const cv::Vec3b* r = rgb.ptr<cv::Vec3b>(y);
    l_uint32* line = data + static_cast<ptrdiff_t>(y) * wpl;
    for (int x = 0; x < rgb.cols; ++x) {
      if (grey) {
        SET_DATA_BYTE(line, x, r[x][0]);
      } else {
        line[x] = (static_cast<l_uint32>(r[x][0]) << L_RED_SHIFT) |
                  (static_cast<l_uint32>(r[x][1]) << L_GREEN_SHIFT) |
                  (static_cast<l_uint32>(r[x][2]) << L_BLUE_SHIFT);
      }
    }
  }
  l_uint8* bytes = nullptr;
  size_t size = 0;
  const l_int32 rc = jpeg_quality > 0 ? pixWriteMemJpeg(&bytes, &size, pix, jpeg_quality, 0)
                                      : pixWriteMemPng(&bytes, &size, pix, 0.0f);
  pixDestroy(&pix);
  if (rc != 0 || bytes == nullptr) return absl::InternalError("image encoding failed");
  std::string out(reinterpret_cast<const char*>(bytes), size);
  lept_free(bytes);
  return out;
}

}  // namespace ktp::synth
