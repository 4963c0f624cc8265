// One synthetic sample from (seed, index, level): an invented identity, the
// clean card, its placement and degradation, the encoded image and the
// ground truth (fields, quality flags, JSON). The accuracy benchmark and
// tests use this in memory; ktp-synth writes it to disk.
#ifndef KTP_SYNTH_SYNTH_SET_H_
#define KTP_SYNTH_SYNTH_SET_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "synth/augment.h"  // Level, LevelName

namespace ktp::synth {

enum class Format { kAuto, kPng, kJpeg };

struct Sample {
  std::string file_name;  // "card-000017.jpg"
  std::string mime_type;  // "image/png" | "image/jpeg"
  std::string encoded;    // the image file bytes
  bool is_ktp = true;
  // The 17 KtpCard proto field names → expected value (empty for non-KTP).
  std::map<std::string, std::string> fields;
  // Expected flags, keys as in ktp.v1.ImageQualities (all nine).
  std::map<std::string, bool> qualities;
  std::string ground_truth_json;
  // MakeSingleDefect only: the defect applied, "none" for a control.
  std::string single_defect;
};

// Deterministic: the same (seed, index, level, format) always gives the same
// bytes. kAuto: clean cards are PNG or JPEG (q ≥ 90), others JPEG.
absl::StatusOr<Sample> MakeCard(uint64_t seed, int index, Level level,
                                Format format = Format::kAuto);
// A document that is not a KTP (page of text, another card, a scene);
// qualities.ktp is false and fields is empty.
absl::StatusOr<Sample> MakeNonKtp(uint64_t seed, int index, Format format = Format::kAuto);

// The single-defect set (flag tuning): a KTP photo of moderate quality with
// realistic nuisances carrying exactly `defect` (kSingleDefectKinds: "none"
// or a kDefectNames entry) at a strength from borderline to strong; see
// ChooseSingleDefect for where each label starts. Deterministic like MakeCard,
// on its own stream ("single-NNNNNN").
absl::StatusOr<Sample> MakeSingleDefect(uint64_t seed, int index, const std::string& defect,
                                        Format format = Format::kAuto);

// The single-defect set's hard negatives (kNuisanceControl): a sharp KTP photo
// with no defect and strong nuisances. Deterministic, on the single-defect
// stream at indices from kNuisanceIndexStart, so it shares no picture with
// MakeSingleDefect's kinds; file names "nuisance-NNNNNN".
inline constexpr int kNuisanceIndexStart = 1000000;
absl::StatusOr<Sample> MakeNuisanceControl(uint64_t seed, int index, Format format = Format::kAuto);

// The file name without extension ("card-000017") + ".json".
std::string JsonFileName(const Sample& sample);

}  // namespace ktp::synth

#endif  // KTP_SYNTH_SYNTH_SET_H_
