// CTest floor on the local reader's accuracy, on both corpora: a small
// ktp-synth set (fixed seed; the corpus the reader is tuned on) and a small
// independent set (tests/corpus/independent/make_corpus.py, generated into a
// temporary directory at test time; held out, never tuned on), each read
// through LocalOcrBackend, must stay above the floors below, so an OCR, parser
// or locator regression fails CI. The floors sit under the measured values
// with room for the few cards a small set makes noisy; the benchmark
// (reader_accuracy_bench) measures the real numbers on full sets.
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
  options.photo = 8;
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
  // Moderate phone photos (motion blur, uneven light, moiré, casts, JPEG
  // 50–70): 98.5 % of fields on this seed when the level was added.
  const LevelReport& photo = report->levels.at("photo");
  EXPECT_EQ(photo.failed_reads, 0);
  EXPECT_GE(photo.all_fields.ratio(), 0.90);
  // Not a KTP must be told apart from a KTP.
  const FlagReport& ktp = report->flags.at("ktp");
  EXPECT_GE(ktp.precision(), 0.9);
  EXPECT_GE(ktp.recall(), 0.9);
}

TEST(ReaderAccuracyTest, SmallIndependentSetStaysAboveTheFloors) {
  IndependentCorpusOptions corpus;
  corpus.seed = 7;
  corpus.clean = 8;
  corpus.moderate = 8;
  corpus.hard = 0;
  corpus.non_ktp = 4;
  corpus.flags_per_kind = 2;
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const absl::Status generated = GenerateIndependentCorpus(corpus, dir.path());
  ASSERT_TRUE(generated.ok()) << generated;
  AccuracyOptions options;
  auto report = MeasureCorpusDirectory(dir.path(), options);
  ASSERT_TRUE(report.ok()) << report.status();
  std::cout << report->Format();
  const LevelReport& clean = report->levels.at("clean");
  const LevelReport& moderate = report->levels.at("moderate");
  EXPECT_EQ(clean.failed_reads, 0);
  EXPECT_EQ(moderate.failed_reads, 0);
  // Measured on 2026-11-27 after the reader began finding the colon column
  // and the photo's edge per card (tuned on ktp-synth's varied geometry),
  // this seed: clean 96.3 % of fields, NIK 7/8; moderate 98.5 %, NIK 8/8;
  // ktp precision 1.00, recall 0.77 (23/30 KTP images, the one-defect set
  // included); the one-defect set's own flag raised on 9/14 images; 4/4
  // non-KTP refused. ~30 s on one core (generation + reads). The full set
  // (reader_accuracy_bench, 100 per level) gave clean 98.4 % / NIK 93 %,
  // moderate 93.5 % / NIK 90 % (before: 97.2 % / 94 %, 92.2 % / 90 %). One
  // card is 1/8 of a NIK ratio and ~0.7 % of the fields here: the floors
  // leave one or two cards of room. Raise them as the reader improves on
  // this corpus — never by tuning on it.
  EXPECT_GE(clean.all_fields.ratio(), 0.93);
  EXPECT_GE(clean.nik.ratio(), 6.0 / 8);
  EXPECT_GE(moderate.all_fields.ratio(), 0.95);
  EXPECT_GE(moderate.nik.ratio(), 7.0 / 8);
  // Not a KTP must not pass for one; most KTP photos must be recognised.
  const FlagReport& ktp = report->flags.at("ktp");
  EXPECT_GE(ktp.precision(), 0.9);
  EXPECT_GE(ktp.recall(), 0.6);
  for (const auto& [kind, refused] : report->non_ktp_refused) {
    EXPECT_EQ(refused.correct, refused.total) << kind << " read as a KTP";
  }
  // Each one-defect image should raise its own flag.
  Tally own_flag;
  for (const auto& [defect, t] : report->flag_set_recall) {
    own_flag.correct += t.correct;
    own_flag.total += t.total;
  }
  EXPECT_EQ(own_flag.total, 14);
  EXPECT_GE(own_flag.correct, 6);
}

}  // namespace
}  // namespace ktp::accuracy
