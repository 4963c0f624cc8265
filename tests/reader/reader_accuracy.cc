// MeasureLocalReader: ktp-synth samples → LocalOcrBackend → tallies.
#include "tests/reader/reader_accuracy.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "synth/identity.h"
#include "synth/synth_set.h"
#include "reader/local_ocr_backend.h"

namespace ktp::accuracy {
namespace {

// The value of one KtpCard field by its proto name ("" when unset).
std::string FieldValue(const v1::KtpCard& card, const std::string& name) {
  const google::protobuf::FieldDescriptor* field = card.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr || !card.GetReflection()->HasField(card, field)) return "";
  const auto& ktp_field = static_cast<const v1::KtpField&>(card.GetReflection()->GetMessage(card, field));
  return ktp_field.value();
}

bool FlagValue(const v1::ImageQualities& q, const std::string& name) {
  const google::protobuf::FieldDescriptor* field = q.GetDescriptor()->FindFieldByName(name);
  return field != nullptr && q.GetReflection()->GetBool(q, field);
}

// One read, start to callback, on the backend's worker.
absl::StatusOr<backend::OcrResult> ReadOnce(backend::OcrBackend& backend, const synth::Sample& sample,
                                             double* seconds) {
  backend::OcrRequest request;
  request.endpoint = backend::Endpoint::kReadWithQualities;
  request.image = absl::Cord(sample.encoded);
  request.file_name = sample.file_name;
  request.mime_type = sample.mime_type;
  request.deadline = absl::Now() + absl::Seconds(120);
  absl::Notification done;
  absl::StatusOr<backend::OcrResult> result;
  const auto start = std::chrono::steady_clock::now();
  auto call = backend.Start(std::move(request), [&](absl::StatusOr<backend::OcrResult> r) {
    result = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace

const std::vector<std::string>& MeasuredFlags() {
  static const auto* flags =
      new std::vector<std::string>{"blurred", "dark", "bright", "rotated", "cropped", "ktp", "copy", "flash"};
  return *flags;
}

double FlagReport::precision() const {
  const int predicted = true_positive + false_positive;
  return predicted == 0 ? 1.0 : static_cast<double>(true_positive) / predicted;
}

double FlagReport::recall() const {
  const int actual = true_positive + false_negative;
  return actual == 0 ? 1.0 : static_cast<double>(true_positive) / actual;
}

double AccuracyReport::Percentile(double p) const {
  if (seconds.empty()) return 0;
  std::vector<double> sorted = seconds;
  std::sort(sorted.begin(), sorted.end());
  const size_t index = std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())));
  return sorted[index];
}

std::string AccuracyReport::Format() const {
  const std::vector<std::string> level_names = {"clean", "moderate", "hard"};
  std::string out = "| field |";
  std::string rule = "| --- |";
  for (const auto& level : level_names) {
    if (!levels.count(level)) continue;
    absl::StrAppend(&out, " ", level, " (", levels.at(level).cards, ") |");
    rule += " ---: |";
  }
  absl::StrAppend(&out, "\n", rule, "\n");
  auto row = [&](const std::string& label, auto get) {
    absl::StrAppend(&out, "| ", label, " |");
    for (const auto& level : level_names) {
      if (!levels.count(level)) continue;
      const Tally t = get(levels.at(level));
      absl::StrAppend(&out, absl::StrFormat(" %.1f%% |", 100 * t.ratio()));
    }
    absl::StrAppend(&out, "\n");
  };
  for (const std::string& field : synth::FieldNames()) {
    row(field, [&](const LevelReport& l) {
      auto it = l.fields.find(field);
      return it == l.fields.end() ? Tally{} : it->second;
    });
  }
  row("**all fields**", [](const LevelReport& l) { return l.all_fields; });
  row("**NIK exact**", [](const LevelReport& l) { return l.nik; });
  absl::StrAppend(&out, "| reads failed |");
  for (const auto& level : level_names) {
    if (levels.count(level)) absl::StrAppend(&out, " ", levels.at(level).failed_reads, " |");
  }
  absl::StrAppend(&out, "\n\n| flag | precision | recall | TP | FP | FN |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
  for (const std::string& flag : MeasuredFlags()) {
    auto it = flags.find(flag);
    if (it == flags.end()) continue;
    const FlagReport& f = it->second;
    absl::StrAppend(&out, absl::StrFormat("| %s | %.2f | %.2f | %d | %d | %d |\n", flag, f.precision(), f.recall(),
                                          f.true_positive, f.false_positive, f.false_negative));
  }
  absl::StrAppend(&out, absl::StrFormat("\nseconds per image (one worker, %d images): p50 %.3f, p95 %.3f, max %.3f\n",
                                        seconds.size(), Percentile(0.5), Percentile(0.95), Percentile(1.0)));
  return out;
}

absl::StatusOr<AccuracyReport> MeasureLocalReader(const AccuracyOptions& options) {
  reader::LocalEngineOptions engine_options;
  engine_options.workers = options.workers;
  auto backend = reader::LocalOcrBackend::Create(engine_options);
  if (!backend.ok()) return backend.status();

  AccuracyReport report;
  for (const std::string& flag : MeasuredFlags()) report.flags[flag];
  auto tally_flags = [&](const synth::Sample& sample, const absl::StatusOr<backend::OcrResult>& result) {
    for (const std::string& flag : MeasuredFlags()) {
      auto expected_it = sample.qualities.find(flag);
      const bool expected = expected_it != sample.qualities.end() && expected_it->second;
      // A failed read judged nothing: it counts as "no flag raised".
      const bool predicted = result.ok() && result->has_qualities && FlagValue(result->qualities, flag);
      FlagReport& f = report.flags[flag];
      if (expected && predicted) ++f.true_positive;
      if (!expected && predicted) ++f.false_positive;
      if (expected && !predicted) ++f.false_negative;
      if (!expected && !predicted) ++f.true_negative;
      if (options.verbose && expected != predicted) {
        std::cerr << sample.file_name << ": flag " << flag << " expected " << expected << " read " << predicted
                  << "\n";
      }
    }
  };

  const std::pair<synth::Level, int> plan[] = {{synth::Level::kClean, options.clean},
                                               {synth::Level::kModerate, options.moderate},
                                               {synth::Level::kHard, options.hard}};
  int index = 0;
  for (const auto& [level, count] : plan) {
    if (count <= 0) continue;
    LevelReport& level_report = report.levels[synth::LevelName(level)];
    for (int i = 0; i < count; ++i, ++index) {
      auto sample = synth::MakeCard(options.seed, index, level);
      if (!sample.ok()) return sample.status();
      double seconds = 0;
      absl::StatusOr<backend::OcrResult> result = ReadOnce(**backend, *sample, &seconds);
      report.seconds.push_back(seconds);
      ++level_report.cards;
      if (!result.ok()) {
        ++level_report.failed_reads;
        if (options.verbose) std::cerr << sample->file_name << ": read failed: " << result.status() << "\n";
      }
      for (const auto& [name, expected] : sample->fields) {
        const std::string got = result.ok() ? FieldValue(result->card, name) : "";
        const bool ok = got == expected;
        Tally& t = level_report.fields[name];
        ++t.total;
        ++level_report.all_fields.total;
        if (ok) {
          ++t.correct;
          ++level_report.all_fields.correct;
        } else if (options.verbose) {
          std::cerr << sample->file_name << " [" << synth::LevelName(level) << "] " << name << ": expected '"
                    << expected << "' read '" << got << "'\n";
        }
        if (name == "nik") {
          ++level_report.nik.total;
          level_report.nik.correct += ok;
        }
      }
      tally_flags(*sample, result);
    }
  }
  for (int i = 0; i < options.non_ktp; ++i, ++index) {
    auto sample = synth::MakeNonKtp(options.seed, index);
    if (!sample.ok()) return sample.status();
    double seconds = 0;
    absl::StatusOr<backend::OcrResult> result = ReadOnce(**backend, *sample, &seconds);
    report.seconds.push_back(seconds);
    tally_flags(*sample, result);
  }
  return report;
}

}  // namespace ktp::accuracy
