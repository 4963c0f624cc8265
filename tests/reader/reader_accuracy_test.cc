// CTest floor on the local reader's accuracy: a small ktp-synth set (fixed
// seed) read through LocalOcrBackend must stay above the floors below, so an
// OCR, parser or locator regression fails CI. The floors sit under the
// measured values (README, "Local reader accuracy") with room for the few
// cards a small set makes noisy; the benchmark measures the real numbers.
#include <gtest/gtest.h>

#include "tests/reader/reader_accuracy.h"

namespace ktp::accuracy {
namespace {

TEST(ReaderAccuracyTest, SmallSyntheticSetStaysAboveTheFloors) {
  AccuracyOptions options;
  options.seed = 7;
  options.clean = 8;
  options.moderate = 8;
  options.hard = 8;
  options.non_ktp = 4;
  auto report = MeasureLocalReader(options);
  ASSERT_TRUE(report.ok()) << report.status();
  std::cout << report->Format();
  const LevelReport& clean = report->levels.at("clean");
  const LevelReport& moderate = report->levels.at("moderate");
  EXPECT_EQ(clean.failed_reads, 0);
  EXPECT_EQ(moderate.failed_reads, 0);
  EXPECT_GE(clean.all_fields.ratio(), 0.97);
  EXPECT_GE(clean.nik.ratio(), 7.0 / 8);
  EXPECT_GE(moderate.all_fields.ratio(), 0.90);
  // Not a KTP must be told apart from a KTP.
  const FlagReport& ktp = report->flags.at("ktp");
  EXPECT_GE(ktp.precision(), 0.9);
  EXPECT_GE(ktp.recall(), 0.9);
}

}  // namespace
}  // namespace ktp::accuracy
