// ktp-synth: determinism, identity consistency with the region table and the
// NIK rules, vocabularies, decodable images, quality labels and ground-truth JSON.
#include <leptonica/allheaders.h>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "synth/card_renderer.h"
#include "synth/identity.h"
#include "synth/synth_set.h"
#include "identity/region_directory.h"

namespace ktp::synth {
namespace {

using identity::RegionDirectory;

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

Sample MustCard(uint64_t seed, int index, Level level) {
  absl::StatusOr<Sample> s = MakeCard(seed, index, level);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : Sample{};
}

TEST(SynthTest, SameSeedSameBytesDifferentSeedDifferentBytes) {
  for (Level level : {Level::kClean, Level::kModerate, Level::kHard, Level::kPhoto}) {
    const Sample a = MustCard(42, 3, level);
    const Sample b = MustCard(42, 3, level);
    const Sample c = MustCard(43, 3, level);
    EXPECT_EQ(a.encoded, b.encoded) << LevelName(level);
    EXPECT_EQ(a.ground_truth_json, b.ground_truth_json);
    EXPECT_NE(a.encoded, c.encoded);
    EXPECT_NE(a.fields.at("nik"), c.fields.at("nik"));
  }
  absl::StatusOr<Sample> x = MakeNonKtp(5, 1), y = MakeNonKtp(5, 1), z = MakeNonKtp(5, 2);
  ASSERT_TRUE(x.ok() && y.ok() && z.ok());
  EXPECT_EQ(x->encoded, y->encoded);
  EXPECT_NE(x->encoded, z->encoded);
}

void CheckIdentity(const std::map<std::string, std::string>& f) {
  const RegionDirectory& dir = RegionDirectory::Embedded();
  ASSERT_EQ(f.size(), 17u);
  for (const std::string& name : FieldNames()) {
    ASSERT_TRUE(f.count(name)) << name;
    EXPECT_FALSE(f.at(name).empty()) << name;
    for (char c : f.at(name))
      EXPECT_FALSE(std::islower(static_cast<unsigned char>(c))) << f.at(name);
  }
  const std::string& nik = f.at("nik");
  ASSERT_EQ(nik.size(), 16u);
  EXPECT_TRUE(std::all_of(nik.begin(), nik.end(), [](char c) { return c >= '0' && c <= '9'; }));

  const std::string district_code = RegionDirectory::DistrictCodeOfNik(nik);
  const identity::Region* district = dir.Find(district_code);
  ASSERT_NE(district, nullptr) << nik;
  EXPECT_EQ(district->level, 3);
  EXPECT_EQ(district->ktp_name, f.at("district"));
  const identity::Region* regency = dir.Find(district_code.substr(0, 5));
  const identity::Region* province = dir.Find(district_code.substr(0, 2));
  ASSERT_TRUE(regency != nullptr && province != nullptr);
  EXPECT_EQ(regency->ktp_name, f.at("city_regency"));
  EXPECT_EQ(province->ktp_name, f.at("province"));

  bool village_found = false;
  for (const identity::Region* v : dir.Children(district_code)) {
    village_found |= v->level == 4 && v->ktp_name == f.at("village");
  }
  EXPECT_TRUE(village_found) << f.at("village") << " not in " << district_code;

  // DDMMYY with DD + 40 for women; serial 0001–9999.
  const std::string& bd = f.at("birth_date");  // DD-MM-YYYY
  ASSERT_EQ(bd.size(), 10u);
  const int day = std::stoi(bd.substr(0, 2));
  const bool female = f.at("sex") == "PEREMPUAN";
  EXPECT_EQ(std::stoi(nik.substr(6, 2)), day + (female ? 40 : 0));
  EXPECT_EQ(nik.substr(8, 2), bd.substr(3, 2));
  EXPECT_EQ(nik.substr(10, 2), bd.substr(8, 2));
  const int year = std::stoi(bd.substr(6, 4));
  EXPECT_GE(year, 1950);
  EXPECT_LE(year, 2007);
  EXPECT_NE(nik.substr(12, 4), "0000");

  EXPECT_TRUE(Contains(Sexes(), f.at("sex")));
  EXPECT_TRUE(Contains(Religions(), f.at("religion")));
  EXPECT_TRUE(Contains(MaritalStatuses(), f.at("marital_status")));
  EXPECT_TRUE(Contains(BloodTypes(), f.at("blood_type")));
  EXPECT_TRUE(Contains(Occupations(), f.at("occupation")));
  EXPECT_EQ(f.at("nationality"), "WNI");
  EXPECT_TRUE(f.at("valid_until") == "SEUMUR HIDUP" || f.at("valid_until").size() == 10);
  const std::string& rt_rw = f.at("rt_rw");
  EXPECT_TRUE(rt_rw.size() == 7 && rt_rw[3] == '/') << rt_rw;
  for (char c : f.at("name")) EXPECT_TRUE((c >= 'A' && c <= 'Z') || c == ' ' || c == '\'');
  // Everything printed in the value column fits without condensing.
  for (const char* key : {"name", "address", "village", "district", "occupation", "valid_until"}) {
    EXPECT_TRUE(TextFits("value", f.at(key))) << f.at(key);
  }
  EXPECT_TRUE(TextFits("value", f.at("birth_place") + ", " + bd));
}

TEST(SynthTest, IdentitiesAreConsistentWithRegionsAndNikRules) {
  for (int i = 0; i < 300; ++i) {
    Rng rng(99, static_cast<uint64_t>(i), 1);
    absl::StatusOr<Identity> id = MakeIdentity(rng, RegionDirectory::Embedded(), TextFits);
    ASSERT_TRUE(id.ok()) << id.status();
    CheckIdentity(id->Fields());
    EXPECT_TRUE(TextFits("issue", id->issue_place));
  }
  for (int i = 0; i < 4; ++i) CheckIdentity(MustCard(7, i, Level::kClean).fields);
}

TEST(SynthTest, EveryTypefaceIsInstalledAndDrawn) {
  ASSERT_TRUE(TypefacesInstalled().ok()) << TypefacesInstalled();
  // A face fontconfig does not have is refused, not silently replaced.
  const absl::Status missing = TypefaceInstalled("No Such Face KTP");
  EXPECT_EQ(missing.code(), absl::StatusCode::kFailedPrecondition) << missing;
  std::set<std::string> drawn;
  for (int i = 0; i < 60; ++i) {
    Rng rng(11, static_cast<uint64_t>(i), 1);
    drawn.insert(DrawGeometry(rng).font);
  }
  // The ground truth says which face a card was drawn in.
  EXPECT_NE(MustCard(11, 0, Level::kClean).ground_truth_json.find("\"font\":\""), std::string::npos);
  EXPECT_EQ(drawn, (std::set<std::string>{"Liberation Sans", "Liberation Sans Narrow", "Roboto",
                                           "Roboto Condensed", "Open Sans", "Carlito"}));
}

TEST(SynthTest, VocabulariesFitTheValueColumn) {
  for (const auto* list : {&Religions(), &MaritalStatuses(), &Occupations(), &BloodTypes()}) {
    for (const std::string& v : *list) EXPECT_TRUE(TextFits("value", v)) << v;
  }
  EXPECT_EQ(Religions().size(), 6u);
  EXPECT_EQ(MaritalStatuses().size(), 4u);
  EXPECT_EQ(BloodTypes().size(), 5u);
  EXPECT_GE(Occupations().size(), 25u);
}

TEST(SynthTest, ImagesDecodeToPlausibleSizes) {
  for (Level level : {Level::kClean, Level::kModerate, Level::kHard}) {
    for (int i = 0; i < 3; ++i) {
      const Sample s = MustCard(11, i, level);
      PIX* pix = pixReadMem(reinterpret_cast<const l_uint8*>(s.encoded.data()), s.encoded.size());
      ASSERT_NE(pix, nullptr) << s.file_name;
      EXPECT_GE(pixGetWidth(pix), 1012 * 0.85 * 1.2);
      EXPECT_LE(pixGetWidth(pix), 1012 * 1.15 * 1.6 + 800);
      EXPECT_GE(pixGetHeight(pix), 638 * 0.85 * 1.2);
      const bool jpeg = s.mime_type == "image/jpeg";
      EXPECT_EQ(pixGetInputFormat(pix), jpeg ? IFF_JFIF_JPEG : IFF_PNG);
      EXPECT_EQ(s.file_name.substr(s.file_name.size() - 4), jpeg ? ".jpg" : ".png");
      pixDestroy(&pix);
    }
  }
}

TEST(SynthTest, QualityLabelsMatchRecordedDefects) {
  std::set<std::string> seen;
  for (int i = 0; i < 24; ++i) {
    const Sample s = MustCard(3, i, Level::kHard);
    rapidjson::Document doc;
    ASSERT_FALSE(doc.Parse(s.ground_truth_json.c_str()).HasParseError());
    std::set<std::string> defects;
    for (const auto& d : doc["augment"]["defects"].GetArray()) defects.insert(d.GetString());
    EXPECT_GE(defects.size(), 1u);
    EXPECT_LE(defects.size(), 2u);
    ASSERT_EQ(s.qualities.size(), 9u);
    for (const auto& [key, value] : s.qualities) {
      if (key == "ktp") {
        EXPECT_TRUE(value);
      } else if (key == "taken_from_screen") {
        EXPECT_FALSE(value);
      } else {
        EXPECT_EQ(value, defects.count(key) == 1) << key << " in " << s.file_name;
      }
      EXPECT_EQ(doc["qualities"][key.c_str()].GetBool(), value);
    }
    seen.insert(defects.begin(), defects.end());
    const double rot = std::abs(doc["augment"]["rotation_deg"].GetDouble());
    EXPECT_EQ(rot >= 12.0, defects.count("rotated") == 1) << rot;
  }
  EXPECT_GE(seen.size(), 6u);  // 24 draws cover (nearly) every defect
  for (Level level : {Level::kClean, Level::kModerate}) {
    for (int i = 0; i < 5; ++i) {
      const Sample s = MustCard(3, i, level);
      for (const auto& [key, value] : s.qualities) EXPECT_EQ(value, key == "ktp") << key;
    }
  }
}

TEST(SynthTest, NonKtpHasNoFieldsAndKtpFalse) {
  for (int i = 0; i < 6; ++i) {
    absl::StatusOr<Sample> s = MakeNonKtp(9, i);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_FALSE(s->is_ktp);
    EXPECT_TRUE(s->fields.empty());
    EXPECT_FALSE(s->qualities.at("ktp"));
    EXPECT_EQ(s->file_name.rfind("other-", 0), 0u);
    rapidjson::Document doc;
    ASSERT_FALSE(doc.Parse(s->ground_truth_json.c_str()).HasParseError());
    EXPECT_FALSE(doc["is_ktp"].GetBool());
    EXPECT_EQ(doc["fields"].MemberCount(), 0u);
    PIX* pix = pixReadMem(reinterpret_cast<const l_uint8*>(s->encoded.data()), s->encoded.size());
    ASSERT_NE(pix, nullptr);
    pixDestroy(&pix);
  }
}

TEST(SynthTest, GroundTruthJsonHasEverythingTheBenchmarkNeeds) {
  const Sample s = MustCard(1, 17, Level::kModerate);
  EXPECT_EQ(s.file_name, "card-000017.jpg");
  EXPECT_EQ(JsonFileName(s), "card-000017.json");
  rapidjson::Document doc;
  ASSERT_FALSE(doc.Parse(s.ground_truth_json.c_str()).HasParseError());
  EXPECT_STREQ(doc["image"].GetString(), "card-000017.jpg");
  EXPECT_EQ(doc["seed"].GetUint64(), 1u);
  EXPECT_EQ(doc["index"].GetInt(), 17);
  EXPECT_STREQ(doc["level"].GetString(), "moderate");
  EXPECT_STREQ(doc["mime_type"].GetString(), "image/jpeg");
  EXPECT_TRUE(doc["is_ktp"].GetBool());
  ASSERT_TRUE(doc["fields"].IsObject());
  EXPECT_EQ(doc["fields"].MemberCount(), 17u);
  for (const std::string& name : FieldNames()) {
    ASSERT_TRUE(doc["fields"].HasMember(name.c_str())) << name;
    EXPECT_EQ(s.fields.at(name), doc["fields"][name.c_str()].GetString());
  }
  EXPECT_TRUE(doc["issue_place"].IsString());
  EXPECT_TRUE(doc["issue_date"].IsString());
  ASSERT_TRUE(doc["card_quad"].IsArray());
  EXPECT_EQ(doc["card_quad"].Size(), 4u);
  const int q = doc["augment"]["jpeg_quality"].GetInt();
  EXPECT_GE(q, 60);
  EXPECT_LE(q, 90);
}

}  // namespace
}  // namespace ktp::synth

namespace ktp::synth {
namespace {

TEST(SynthTest, SingleDefectSetCarriesExactlyItsDefect) {
  for (const char* kind : kSingleDefectKinds) {
    for (int i = 0; i < 2; ++i) {
      absl::StatusOr<Sample> s = MakeSingleDefect(9, i, kind);
      ASSERT_TRUE(s.ok()) << s.status();
      EXPECT_EQ(s->single_defect, kind);
      EXPECT_EQ(s->file_name.rfind("single-", 0), 0u) << s->file_name;
      EXPECT_EQ(s->fields.size(), 17u);
      for (const auto& [key, value] : s->qualities) {
        if (key == "ktp") {
          EXPECT_TRUE(value);
        } else {
          EXPECT_EQ(value, key == kind) << key << " on a '" << kind << "' image";
        }
      }
      rapidjson::Document doc;
      ASSERT_FALSE(doc.Parse(s->ground_truth_json.c_str()).HasParseError());
      EXPECT_STREQ(doc["level"].GetString(), "single");
      EXPECT_TRUE(doc["augment"].HasMember("motion_length"));
      // Deterministic, and a different seed gives another picture.
      absl::StatusOr<Sample> again = MakeSingleDefect(9, i, kind);
      ASSERT_TRUE(again.ok());
      EXPECT_EQ(s->encoded, again->encoded);
      absl::StatusOr<Sample> other = MakeSingleDefect(10, i, kind);
      ASSERT_TRUE(other.ok());
      EXPECT_NE(s->encoded, other->encoded);
    }
  }
  EXPECT_FALSE(MakeSingleDefect(9, 0, "smudged").ok());
}

TEST(SynthTest, SingleDefectStrengthsStayOnTheirSideOfTheLabel) {
  // The documented thresholds (ChooseSingleDefect): controls below, defects above.
  for (int i = 0; i < 200; ++i) {
    Rng none_rng(5, i, 1), blurred_rng(5, i, 2), dark_rng(5, i, 3), rotated_rng(5, i, 4), cropped_rng(5, i, 5);
    const AugmentParams n = ChooseSingleDefect(none_rng, "none");
    EXPECT_TRUE(n.defects.empty());
    EXPECT_LE(std::max(n.blur_sigma, n.motion_length / std::sqrt(12.0)), 0.9);
    EXPECT_LE(std::abs(n.rotation_deg), 5.0);
    EXPECT_GE(n.brightness, 0.8);
    EXPECT_LE(n.brightness * (1 + n.light_gradient), 1.2 + 1e-9);
    EXPECT_FALSE(n.copy);
    EXPECT_EQ(n.flashes, 0);
    const AugmentParams b = ChooseSingleDefect(blurred_rng, "blurred");
    EXPECT_GE(std::max({b.blur_sigma, b.motion_length / std::sqrt(12.0), b.defocus_radius / 2}), 1.8);
    EXPECT_LE(ChooseSingleDefect(dark_rng, "dark").brightness, 0.55);
    const double rot = ChooseSingleDefect(rotated_rng, "rotated").rotation_deg;
    const double tilt = std::abs(rot - 90.0 * std::round(rot / 90.0));
    EXPECT_TRUE(std::abs(rot) >= 10.0 || (std::abs(rot) >= 85.0 && tilt <= 5.0)) << rot;
    const AugmentParams c = ChooseSingleDefect(cropped_rng, "cropped");
    EXPECT_GE(*std::max_element(c.crop_cut.begin(), c.crop_cut.end()), 0.03);
  }
}

TEST(SynthTest, NuisanceControlsAreSharpUncutUnclippedControls) {
  // The hard negatives: the control's own draws first (same rng → same base
  // photo), then at least one strong nuisance, and nothing that crosses a
  // label's threshold (ChooseSingleDefect).
  int jpeg = 0, moire = 0, perspective = 0, small = 0, resampled = 0, light = 0, stroke = 0, tight = 0;
  for (int i = 0; i < 300; ++i) {
    Rng none_rng(6, i, 1), nuisance_rng(6, i, 1);
    const AugmentParams n = ChooseSingleDefect(none_rng, "none");
    const AugmentParams p = ChooseSingleDefect(nuisance_rng, kNuisanceControl);
    EXPECT_EQ(p.rotation_deg, n.rotation_deg);
    EXPECT_EQ(p.blur_sigma, n.blur_sigma);
    EXPECT_EQ(p.motion_length, n.motion_length);
    EXPECT_TRUE(p.defects.empty());
    EXPECT_LE(std::max(p.blur_sigma, p.motion_length / std::sqrt(12.0)), 0.9);
    EXPECT_LE(std::abs(p.rotation_deg), 5.0);
    EXPECT_GE(p.brightness, 0.8);
    EXPECT_LE(p.brightness * (1 + p.light_gradient), 1.2 + 1e-9);
    EXPECT_FALSE(p.copy);
    EXPECT_EQ(p.flashes, 0);
    EXPECT_EQ(*std::max_element(p.crop_cut.begin(), p.crop_cut.end()), 0.0);
    EXPECT_EQ(p.wash, 0.0);
    EXPECT_EQ(p.lift, 0.0);
    EXPECT_GE(p.canvas_factor, 1.02);
    EXPECT_GE(p.scale * 1012, 400.0);
    EXPECT_GE(p.resample, 0.6);
    const bool any[] = {p.jpeg_quality <= 60, p.moire >= 4, p.perspective >= 0.05, p.scale <= 0.65, p.resample < 1,
                        p.light_gradient >= 0.25, p.stroke != 0, p.canvas_factor <= 1.12};
    jpeg += any[0];
    moire += any[1];
    perspective += any[2];
    small += any[3];
    resampled += any[4];
    light += any[5];
    stroke += any[6];
    tight += any[7];
    EXPECT_TRUE(std::count(std::begin(any), std::end(any), true) >= 1 || p.cast != n.cast) << i;
  }
  for (int count : {jpeg, moire, perspective, small, resampled, light, stroke, tight}) EXPECT_GE(count, 30);
}

TEST(SynthTest, NuisanceControlSamplesAreLabelledCleanAndReproducible) {
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<Sample> s = MakeNuisanceControl(9, i);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->single_defect, kNuisanceControl);
    EXPECT_EQ(s->file_name.rfind("nuisance-", 0), 0u) << s->file_name;
    for (const auto& [key, value] : s->qualities) EXPECT_EQ(value, key == "ktp") << key;
    rapidjson::Document doc;
    ASSERT_FALSE(doc.Parse(s->ground_truth_json.c_str()).HasParseError());
    EXPECT_TRUE(doc["augment"].HasMember("stroke"));
    EXPECT_TRUE(doc["augment"].HasMember("resample"));
    absl::StatusOr<Sample> again = MakeNuisanceControl(9, i);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(s->encoded, again->encoded);
    // Its own indices: not the single-defect set's picture at the same index.
    absl::StatusOr<Sample> control = MakeSingleDefect(9, i, "none");
    ASSERT_TRUE(control.ok());
    EXPECT_NE(s->encoded, control->encoded);
  }
  EXPECT_FALSE(MakeNuisanceControl(9, -1).ok());
}

// Mean grey level of a synthetic document (white with black bars 3 px wide)
// drawn by Apply with `p` as the whole frame, and the strongest horizontal
// step in it.
std::pair<double, double> BarMeanAndStep(const AugmentParams& p) {
  cv::Mat doc(200, 320, CV_8UC4, cv::Scalar(255, 255, 255, 255));
  for (int x = 100; x < 300; x += 12) cv::rectangle(doc, cv::Rect(x, 40, 3, 120), cv::Scalar(0, 0, 0, 255), cv::FILLED);
  Rng rng(1, 2, 3);
  const Augmented a = Apply(doc, p, rng);
  cv::Mat grey, dx;
  cv::cvtColor(a.rgb, grey, cv::COLOR_RGB2GRAY);
  cv::Sobel(grey, dx, CV_32F, 1, 0, 1);
  double lo, hi;
  cv::minMaxLoc(cv::abs(dx), &lo, &hi);
  return {cv::mean(grey)[0], hi};
}

TEST(SynthTest, StrokeWeightAndResampleChangeThePicture) {
  AugmentParams p;
  p.full_frame = true;
  const auto [plain_mean, plain_step] = BarMeanAndStep(p);
  p.stroke = 1;
  EXPECT_LT(BarMeanAndStep(p).first, plain_mean - 3);  // bolder ink: darker
  p.stroke = -1;
  EXPECT_GT(BarMeanAndStep(p).first, plain_mean + 3);  // thinner: lighter
  p.stroke = 0;
  p.resample = 0.5;
  EXPECT_LT(BarMeanAndStep(p).second, 0.8 * plain_step);  // upscaled: softer steps
}

// The photo level: moderate phone photos carrying several nuisances at once,
// none of them a defect, in every typeface.
TEST(SynthTest, PhotoLevelCombinesMildPhotoNuisancesInEveryTypeface) {
  std::set<std::string> fonts;
  int motion = 0, uneven = 0, moire = 0, cast = 0, several = 0;
  constexpr int kCards = 36;
  for (int i = 0; i < kCards; ++i) {
    const Sample s = MustCard(21, i, Level::kPhoto);
    EXPECT_EQ(s.mime_type, "image/jpeg");
    for (const auto& [key, value] : s.qualities) EXPECT_EQ(value, key == "ktp") << key;
    rapidjson::Document doc;
    ASSERT_FALSE(doc.Parse(s.ground_truth_json.c_str()).HasParseError());
    EXPECT_STREQ(doc["level"].GetString(), "photo");
    fonts.insert(doc["layout"]["font"].GetString());
    const auto& a = doc["augment"];
    EXPECT_EQ(a["defects"].Size(), 0u);
    EXPECT_GE(a["jpeg_quality"].GetInt(), 50);
    EXPECT_LE(a["jpeg_quality"].GetInt(), 70);
    EXPECT_GE(a["perspective"].GetDouble(), 0.01);
    EXPECT_LE(std::abs(a["rotation_deg"].GetDouble()), 5.0);
    // Below the blurred / dark / bright labels of the single-defect set.
    const double sigma = std::hypot(a["blur_sigma"].GetDouble(), a["motion_length"].GetDouble() / std::sqrt(12.0));
    EXPECT_LE(sigma, 1.0);
    EXPECT_GE(a["brightness"].GetDouble(), 0.8);
    EXPECT_LE(a["brightness"].GetDouble() * (1 + a["light_gradient"].GetDouble()), 1.2 + 1e-3);
    const bool m = a["motion_length"].GetDouble() > 0, u = a["light_gradient"].GetDouble() > 0,
               o = a["moire"].GetDouble() > 0,
               c = a["cast"][0].GetDouble() != 1.0 || a["cast"][2].GetDouble() != 1.0;
    motion += m;
    uneven += u;
    moire += o;
    cast += c;
    several += m + u + o + c >= 2;
  }
  EXPECT_EQ(fonts, (std::set<std::string>{"Liberation Sans", "Liberation Sans Narrow", "Roboto",
                                           "Roboto Condensed", "Open Sans", "Carlito"}));
  EXPECT_GE(motion, kCards / 3);
  EXPECT_GE(uneven, kCards / 2);
  EXPECT_GE(moire, kCards / 5);
  EXPECT_GE(cast, kCards / 3);
  EXPECT_GE(several, kCards / 2);
  // The moderate level still draws none of these (its numbers stay comparable).
  for (int i = 0; i < 6; ++i) {
    Rng rng(21, static_cast<uint64_t>(i), 2);
    const AugmentParams p = ChooseAugment(rng, Level::kModerate, true);
    EXPECT_EQ(p.motion_length, 0);
    EXPECT_EQ(p.light_gradient, 0);
    EXPECT_EQ(p.moire, 0);
  }
  EXPECT_STREQ(LevelName(Level::kPhoto), "photo");
}

}  // namespace
}  // namespace ktp::synth
