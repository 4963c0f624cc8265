// Sample assembly and ground-truth JSON (see synth_set.h). The JSON is
// written by hand: flat, small, and with a fixed key order for stable diffs.
#include "synth/synth_set.h"

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "synth/card_renderer.h"
#include "synth/identity.h"
#include "identity/region_directory.h"

namespace ktp::synth {
namespace {

// Salts keep the card and non-KTP streams (and the levels) independent.
constexpr uint64_t kNonKtpSalt = 0x6f74686572ULL;
constexpr uint64_t kGeometrySalt = 0x67656f6dULL;
constexpr uint64_t kSingleDefectSalt = 0x73696e676c65ULL;

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::map<std::string, bool> Qualities(bool is_ktp, const std::vector<std::string>& defects) {
  std::map<std::string, bool> q;
  for (const char* name : kDefectNames) q[name] = false;
  for (const std::string& d : defects) q[d] = true;
  q["ktp"] = is_ktp;
  q["taken_from_screen"] = false;
  return q;
}

void FinishEncoding(const AugmentParams& params, const std::string& stem, Sample* sample) {
  sample->mime_type = params.jpeg_quality > 0 ? "image/jpeg" : "image/png";
  sample->file_name = stem + (params.jpeg_quality > 0 ? ".jpg" : ".png");
}

void ApplyFormat(Format format, AugmentParams* p) {
  if (format == Format::kPng) p->jpeg_quality = 0;
  if (format == Format::kJpeg && p->jpeg_quality == 0) p->jpeg_quality = 92;
}

std::string Json(const Sample& s, uint64_t seed, int index, const char* level,
                 const AugmentParams& p, const Augmented& a, const Identity* id,
                 const CardGeometry* g, const std::string& document) {
  std::string j = "{";
  absl::StrAppend(&j, "\"image\":", JsonString(s.file_name), ",\"seed\":", seed,
                  ",\"index\":", index, ",\"level\":", JsonString(level),
                  ",\"mime_type\":", JsonString(s.mime_type),
                  ",\"is_ktp\":", s.is_ktp ? "true" : "false",
                  ",\"document\":", JsonString(document), ",\"fields\":{");
  bool first = true;
  if (id != nullptr) {
    for (const std::string& name : FieldNames()) {
      absl::StrAppend(&j, first ? "" : ",", JsonString(name), ":", JsonString(s.fields.at(name)));
      first = false;
    }
  }
  j += "}";
  if (id != nullptr) {
    absl::StrAppend(&j, ",\"issue_place\":", JsonString(id->issue_place),
                    ",\"issue_date\":", JsonString(id->issue_date));
  }
  if (g != nullptr) {
    absl::StrAppend(&j, absl::StrFormat(",\"layout\":{\"label_x\":%.4f,\"colon_x\":%.4f,"
                                        "\"value_x\":%.4f,\"first_row_y\":%.4f,\"row_pitch\":%.4f,"
                                        "\"photo\":[%.4f,%.4f,%.4f,%.4f],\"font\":",
                                        g->label_x, g->colon_x, g->value_x, g->first_row_y,
                                        g->row_pitch, g->photo_x0, g->photo_y0, g->photo_x1,
                                        g->photo_y1),
                    JsonString(g->font), "}");
  }
  j += ",\"qualities\":{";
  first = true;
  for (const auto& [k, v] : s.qualities) {
    absl::StrAppend(&j, first ? "" : ",", JsonString(k), ":", v ? "true" : "false");
    first = false;
  }
  absl::StrAppend(
      &j, "},\"augment\":{",
      absl::StrFormat("\"rotation_deg\":%.3f,\"scale\":%.4f,\"perspective\":%.4f,"
                      "\"blur_sigma\":%.3f,\"brightness\":%.3f,\"lift\":%.1f,"
                      "\"noise_sigma\":%.2f,\"crop_fraction\":%.3f,\"flash_coverage\":%.3f,"
                      "\"jpeg_quality\":%d,\"width\":%d,\"height\":%d",
                      p.rotation_deg, p.scale, p.perspective, p.blur_sigma, p.brightness, p.lift,
                      p.noise_sigma, p.crop_fraction, p.flash_coverage, p.jpeg_quality, a.rgb.cols,
                      a.rgb.rows),
      ",\"defects\":[");
  for (size_t i = 0; i < p.defects.size(); ++i) {
    absl::StrAppend(&j, i ? "," : "", JsonString(p.defects[i]));
  }
  j += "]";
  if (std::string(level) == "single" || std::string(level) == "photo") {
    // The single-defect set's and photo level's knobs (see AugmentParams).
    absl::StrAppend(
        &j, absl::StrFormat(",\"motion_length\":%.2f,\"motion_angle_deg\":%.1f,\"defocus_radius\":%.2f,"
                            "\"light_gradient\":%.3f,\"vignette\":%.3f,\"cast\":[%.3f,%.3f,%.3f],"
                            "\"saturation\":%.3f,\"wash\":%.3f,\"exposure_curve\":%.2f,"
                            "\"crop_cut\":[%.3f,%.3f,%.3f,%.3f],\"copy_contrast\":%.3f,"
                            "\"copy_colour\":%.3f,\"moire\":%.2f,\"stroke\":%.2f,\"resample\":%.3f",
                            p.motion_length, p.motion_angle_deg, p.defocus_radius, p.light_gradient, p.vignette,
                            p.cast[0], p.cast[1], p.cast[2], p.saturation, p.wash, p.exposure_curve, p.crop_cut[0],
                            p.crop_cut[1], p.crop_cut[2], p.crop_cut[3], p.copy_contrast, p.copy_colour, p.moire,
                            p.stroke, p.resample));
  }
  j += "},\"";
  j += id != nullptr ? "card_quad" : "document_quad";
  j += "\":[";
  for (int i = 0; i < 4; ++i) {
    absl::StrAppend(&j, i ? "," : "", absl::StrFormat("[%.1f,%.1f]", a.quad[i].x, a.quad[i].y));
  }
  j += "]}\n";
  return j;
}

// A KTP card: an identity drawn from `rng` on the geometry `geometry_rng`
// draws, degraded as `choose` says (drawing from `rng`), encoded as `format`.
// The draws happen in the same order for every set, so a seed's cards stay.
absl::StatusOr<Sample> MakeKtp(uint64_t seed, int index, Rng& rng, Rng& geometry_rng,
                               absl::FunctionRef<AugmentParams(Rng&)> choose, Format format,
                               const char* stem, const char* level_name,
                               const std::string& single_defect) {
  static const absl::Status* const typefaces = new absl::Status(TypefacesInstalled());
  if (!typefaces->ok()) return *typefaces;
  const CardGeometry geometry = DrawGeometry(geometry_rng);
  absl::StatusOr<Identity> id = MakeIdentity(
      rng, identity::RegionDirectory::Embedded(),
      [&geometry](const std::string& slot, const std::string& text) {
        return TextFitsOn(geometry, slot, text);
      });
  if (!id.ok()) return id.status();
  const cv::Mat card = RenderCard(*id, geometry, rng);
  AugmentParams params = choose(rng);
  ApplyFormat(format, &params);
  const Augmented aug = Apply(card, params, rng);

  Sample s;
  s.is_ktp = true;
  s.single_defect = single_defect;
  FinishEncoding(params, absl::StrFormat("%s-%06d", stem, index), &s);
  absl::StatusOr<std::string> bytes = Encode(aug.rgb, params.jpeg_quality);
  if (!bytes.ok()) return bytes.status();
  s.encoded = *std::move(bytes);
  s.fields = id->Fields();
  s.qualities = Qualities(true, params.defects);
  s.ground_truth_json = Json(s, seed, index, level_name, params, aug, &*id, &geometry, "ktp");
  return s;
}

}  // namespace

absl::StatusOr<Sample> MakeCard(uint64_t seed, int index, Level level, Format format) {
  Rng rng(seed, static_cast<uint64_t>(index), static_cast<uint64_t>(level) + 1);
  // The geometry has its own stream, so it does not shift the other draws.
  Rng geometry_rng(seed, static_cast<uint64_t>(index), kGeometrySalt + static_cast<uint64_t>(level));
  return MakeKtp(
      seed, index, rng, geometry_rng,
      [level](Rng& r) { return ChooseAugment(r, level, /*allow_png=*/true); }, format, "card",
      LevelName(level), "");
}

absl::StatusOr<Sample> MakeSingleDefect(uint64_t seed, int index, const std::string& defect, Format format) {
  bool known = false;
  for (const char* k : kSingleDefectKinds) known |= defect == k;
  if (!known) return absl::InvalidArgumentError("unknown defect '" + defect + "'");
  Rng rng(seed, static_cast<uint64_t>(index), kSingleDefectSalt);
  Rng geometry_rng(seed, static_cast<uint64_t>(index), kSingleDefectSalt + kGeometrySalt);
  return MakeKtp(
      seed, index, rng, geometry_rng, [&defect](Rng& r) { return ChooseSingleDefect(r, defect); },
      format, "single", "single", defect);
}

absl::StatusOr<Sample> MakeNuisanceControl(uint64_t seed, int index, Format format) {
  if (index < 0 || index >= kNuisanceIndexStart) return absl::InvalidArgumentError("nuisance index out of range");
  const uint64_t at = static_cast<uint64_t>(kNuisanceIndexStart) + static_cast<uint64_t>(index);
  Rng rng(seed, at, kSingleDefectSalt);
  Rng geometry_rng(seed, at, kSingleDefectSalt + kGeometrySalt);
  absl::StatusOr<Sample> s = MakeKtp(
      seed, index, rng, geometry_rng, [](Rng& r) { return ChooseSingleDefect(r, kNuisanceControl); }, format,
      "nuisance", "single", kNuisanceControl);
  return s;
}

absl::StatusOr<Sample> MakeNonKtp(uint64_t seed, int index, Format format) {
  Rng rng(seed, static_cast<uint64_t>(index), kNonKtpSalt);
  std::string kind;
  const cv::Mat doc = RenderOtherDocument(rng, &kind);
  AugmentParams params = ChooseAugment(rng, Level::kModerate, /*allow_png=*/false);
  if (kind == "scene") {
    params.full_frame = true;
    params.scale = 1.0;
    params.rotation_deg = 0;
    params.perspective = 0;
  } else if (kind == "page") {
    params.scale *= 0.9;
  }
  ApplyFormat(format, &params);
  const Augmented aug = Apply(doc, params, rng);

  Sample s;
  s.is_ktp = false;
  FinishEncoding(params, absl::StrFormat("other-%06d", index), &s);
  absl::StatusOr<std::string> bytes = Encode(aug.rgb, params.jpeg_quality);
  if (!bytes.ok()) return bytes.status();
  s.encoded = *std::move(bytes);
  s.qualities = Qualities(false, {});
  s.ground_truth_json = Json(s, seed, index, "non-ktp", params, aug, nullptr, nullptr, kind);
  return s;
}

std::string JsonFileName(const Sample& sample) {
  const size_t dot = sample.file_name.rfind('.');
  return sample.file_name.substr(0, dot) + ".json";
}

}  // namespace ktp::synth
