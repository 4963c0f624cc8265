// Measures the local reader against ktp-synth ground truth: generates a set
// from a seed (clean / moderate / hard cards and non-KTP images), reads each
// image through LocalOcrBackend exactly as the gateway would (one read at a
// time, so seconds per image are one core's), and tallies exact-match field
// accuracy per level, NIK accuracy, quality-flag precision / recall and
// latency. Shared by the accuracy benchmark (prints the table) and the CTest
// floor (asserts on a small set).
#ifndef KTP_TESTS_READER_READER_ACCURACY_H_
#define KTP_TESTS_READER_READER_ACCURACY_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ktp::accuracy {

struct AccuracyOptions {
  uint64_t seed = 20261126;
  int clean = 100;
  int moderate = 100;
  int hard = 100;
  int non_ktp = 30;
  // Worker threads of the reader (1 = one core: the per-image latency target's unit).
  int workers = 1;
  // Print each mismatch (expected vs read) to stderr: synthetic data only.
  bool verbose = false;
};

struct Tally {
  int correct = 0;
  int total = 0;
  double ratio() const { return total == 0 ? 0 : static_cast<double>(correct) / total; }
};

struct LevelReport {
  int cards = 0;
  int failed_reads = 0;                 // calls that ended in an error
  std::map<std::string, Tally> fields;  // proto field name → exact matches
  Tally all_fields;
  Tally nik;
};

struct FlagReport {
  int true_positive = 0;
  int false_positive = 0;
  int false_negative = 0;
  int true_negative = 0;
  double precision() const;
  double recall() const;
};

struct AccuracyReport {
  std::map<std::string, LevelReport> levels;  // "clean", "moderate", "hard"
  std::map<std::string, FlagReport> flags;    // blurred, dark, bright, rotated, cropped, ktp, copy, flash
  std::vector<double> seconds;                // per image, all images
  double Percentile(double p) const;
  // Markdown tables (fields by level, flags, latency) for the README and notes.
  std::string Format() const;
};

// The quality flags measured (taken_from_screen is never judged: always false).
const std::vector<std::string>& MeasuredFlags();

absl::StatusOr<AccuracyReport> MeasureLocalReader(const AccuracyOptions& options);

}  // namespace ktp::accuracy

#endif  // KTP_TESTS_READER_READER_ACCURACY_H_
