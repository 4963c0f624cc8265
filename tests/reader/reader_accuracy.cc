// MeasureLocalReader: ktp-synth samples → LocalOcrBackend → tallies.
// MeasureCorpusDirectory: manifest.json + images → the same path → tallies.
#include "tests/reader/reader_accuracy.h"

#include <rapidjson/document.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "synth/identity.h"
#include "synth/synth_set.h"
#include "reader/local_ocr_backend.h"

extern char** environ;

namespace ktp::accuracy {
namespace {

// One image to read and what it should give, from either corpus.
struct Case {
  std::string group;  // clean, moderate, hard, flags, non_ktp
  std::string file_name;
  std::string mime_type;
  std::string encoded;
  bool is_ktp = true;
  std::string kind;  // flags: the defect; non_ktp: the document kind
  std::map<std::string, std::string> fields;
  std::map<std::string, bool> qualities;
};

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
absl::StatusOr<backend::OcrResult> ReadOnce(backend::OcrBackend& backend, const Case& sample, double* seconds) {
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
  const std::vector<std::string> level_names = {"clean", "moderate", "hard", "photo", "flags"};
  std::string out = "| field |";
  std::string rule = "| --- |";
  for (const auto& level : level_names) {
    if (!levels.count(level)) continue;
    absl::StrAppend(&out, " ", level == "flags" ? "one-defect set" : level, " (", levels.at(level).cards, ") |");
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
  if (!flag_set_recall.empty()) {
    absl::StrAppend(&out, "\n| one-defect set: defect | images | its flag raised |\n| --- | ---: | ---: |\n");
    for (const auto& [defect, t] : flag_set_recall) {
      absl::StrAppend(&out,
                      absl::StrFormat("| %s | %d | %d (%.0f%%) |\n", defect, t.total, t.correct, 100 * t.ratio()));
    }
  }
  if (!non_ktp_refused.empty()) {
    absl::StrAppend(&out, "\n| non-KTP document | images | refused (ktp=false) |\n| --- | ---: | ---: |\n");
    for (const auto& [kind, t] : non_ktp_refused) {
      absl::StrAppend(&out, absl::StrFormat("| %s | %d | %d |\n", kind, t.total, t.correct));
    }
  }
  absl::StrAppend(&out, absl::StrFormat("\nseconds per image (one worker, %d images): p50 %.3f, p95 %.3f, max %.3f\n",
                                        seconds.size(), Percentile(0.5), Percentile(0.95), Percentile(1.0)));
  return out;
}

namespace {

// Reads cases one at a time and tallies them into one report.
class Measurer {
 public:
  explicit Measurer(const AccuracyOptions& options) : options_(options) {
    for (const std::string& flag : MeasuredFlags()) report_.flags[flag];
  }

  absl::Status Start() {
    reader::LocalEngineOptions engine_options;
    engine_options.workers = options_.workers;
    auto backend = reader::LocalOcrBackend::Create(engine_options);
    if (!backend.ok()) return backend.status();
    backend_ = *std::move(backend);
    return absl::OkStatus();
  }

  void Measure(const Case& sample) {
    double seconds = 0;
    absl::StatusOr<backend::OcrResult> result = ReadOnce(*backend_, sample, &seconds);
    report_.seconds.push_back(seconds);
    if (sample.is_ktp) TallyFields(sample, result);
    TallyFlags(sample, result);
    const bool ktp_said = result.ok() && result->has_qualities && FlagValue(result->qualities, "ktp");
    if (sample.group == "flags" && (sample.kind == "none" || sample.kind == synth::kNuisanceControl)) {
      // A control: right when no defect flag was raised.
      Tally& t = report_.flag_set_recall[sample.kind + " (no flag raised)"];
      ++t.total;
      bool any = false;
      for (const std::string& flag : MeasuredFlags()) {
        any |= flag != "ktp" && result.ok() && result->has_qualities && FlagValue(result->qualities, flag);
      }
      t.correct += !any;
    } else if (sample.group == "flags") {
      Tally& t = report_.flag_set_recall[sample.kind];
      ++t.total;
      t.correct += result.ok() && result->has_qualities && FlagValue(result->qualities, sample.kind);
    } else if (sample.group == "non_ktp" && !sample.kind.empty()) {
      Tally& t = report_.non_ktp_refused[sample.kind];
      ++t.total;
      t.correct += !ktp_said;
    }
  }

  AccuracyReport Finish() { return std::move(report_); }

 private:
  void TallyFields(const Case& sample, const absl::StatusOr<backend::OcrResult>& result) {
    LevelReport& level_report = report_.levels[sample.group];
    ++level_report.cards;
    if (!result.ok()) {
      ++level_report.failed_reads;
      if (options_.verbose) std::cerr << sample.file_name << ": read failed: " << result.status() << "\n";
    }
    for (const auto& [name, expected] : sample.fields) {
      const std::string got = result.ok() ? FieldValue(result->card, name) : "";
      const bool ok = got == expected;
      Tally& t = level_report.fields[name];
      ++t.total;
      ++level_report.all_fields.total;
      if (ok) {
        ++t.correct;
        ++level_report.all_fields.correct;
      } else if (options_.verbose) {
        std::cerr << sample.file_name << " [" << sample.group << "] " << name << ": expected '" << expected
                  << "' read '" << got << "'\n";
      }
      if (name == "nik") {
        ++level_report.nik.total;
        level_report.nik.correct += ok;
      }
    }
  }

  void TallyFlags(const Case& sample, const absl::StatusOr<backend::OcrResult>& result) {
    for (const std::string& flag : MeasuredFlags()) {
      auto expected_it = sample.qualities.find(flag);
      const bool expected = expected_it != sample.qualities.end() && expected_it->second;
      // A failed read judged nothing: it counts as "no flag raised".
      const bool predicted = result.ok() && result->has_qualities && FlagValue(result->qualities, flag);
      FlagReport& f = report_.flags[flag];
      if (expected && predicted) ++f.true_positive;
      if (!expected && predicted) ++f.false_positive;
      if (expected && !predicted) ++f.false_negative;
      if (!expected && !predicted) ++f.true_negative;
      if (options_.verbose && expected != predicted) {
        std::cerr << sample.file_name << ": flag " << flag << " expected " << expected << " read " << predicted
                  << "\n";
      }
    }
  }

  const AccuracyOptions& options_;
  std::unique_ptr<backend::OcrBackend> backend_;
  AccuracyReport report_;
};

Case FromSynth(synth::Sample sample, const std::string& group) {
  Case c;
  c.group = group;
  c.file_name = std::move(sample.file_name);
  c.mime_type = std::move(sample.mime_type);
  c.encoded = std::move(sample.encoded);
  c.is_ktp = sample.is_ktp;
  c.fields = std::move(sample.fields);
  c.qualities = std::move(sample.qualities);
  return c;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream out;
  out << in.rdbuf();
  if (!in.good() && !in.eof()) return absl::DataLossError(absl::StrCat("cannot read ", path));
  return out.str();
}

absl::StatusOr<rapidjson::Document> ReadManifest(const std::string& dir) {
  auto text = ReadWholeFile(dir + "/manifest.json");
  if (!text.ok()) return text.status();
  rapidjson::Document doc;
  doc.Parse(text->data(), text->size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("items") || !doc["items"].IsArray()) {
    return absl::InvalidArgumentError(absl::StrCat(dir, "/manifest.json is not a corpus manifest"));
  }
  return doc;
}

std::string StringMember(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                      : std::string();
}

// Where CMake found Python 3 and the generator (tests/reader/CMakeLists.txt).
#ifndef KTP_PYTHON3_EXECUTABLE
#define KTP_PYTHON3_EXECUTABLE "python3"
#endif
#ifndef KTP_INDEPENDENT_CORPUS_SCRIPT
#define KTP_INDEPENDENT_CORPUS_SCRIPT "tests/corpus/independent/make_corpus.py"
#endif
#ifndef KTP_DIAGNOSTIC_CORPUS_SCRIPT
#define KTP_DIAGNOSTIC_CORPUS_SCRIPT "tests/corpus/diagnostic/make_diag.py"
#endif

absl::Status Run(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ);
  if (rc != 0) return absl::InternalError(absl::StrCat("cannot start ", args[0], ": ", std::strerror(rc)));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return absl::InternalError(absl::StrCat("waitpid: ", std::strerror(errno)));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat(
        args[0], " ", args[1], " failed (exit status ", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
        "); it needs python3-pil, python3-numpy and the fonts listed in scripts/install-deps.sh"));
  }
  return absl::OkStatus();
}

// Both generators take the same arguments.
absl::Status RunCorpusScript(const char* script, const IndependentCorpusOptions& corpus, const std::string& dir) {
  return Run({KTP_PYTHON3_EXECUTABLE, script, "--out", dir, "--quiet", "--seed", std::to_string(corpus.seed),
              "--clean", std::to_string(corpus.clean), "--moderate", std::to_string(corpus.moderate), "--hard",
              std::to_string(corpus.hard), "--non-ktp", std::to_string(corpus.non_ktp), "--flags",
              std::to_string(corpus.flags_per_kind)});
}

}  // namespace

absl::StatusOr<AccuracyReport> MeasureLocalReader(const AccuracyOptions& options) {
  Measurer measurer(options);
  if (absl::Status s = measurer.Start(); !s.ok()) return s;
  const std::pair<synth::Level, int> plan[] = {{synth::Level::kClean, options.clean},
                                               {synth::Level::kModerate, options.moderate},
                                               {synth::Level::kHard, options.hard}};
  int index = 0;
  for (const auto& [level, count] : plan) {
    for (int i = 0; i < count; ++i, ++index) {
      auto sample = synth::MakeCard(options.seed, index, level);
      if (!sample.ok()) return sample.status();
      measurer.Measure(FromSynth(*std::move(sample), synth::LevelName(level)));
    }
  }
  for (int i = 0; i < options.non_ktp; ++i, ++index) {
    auto sample = synth::MakeNonKtp(options.seed, index);
    if (!sample.ok()) return sample.status();
    measurer.Measure(FromSynth(*std::move(sample), "non_ktp"));
  }
  for (int i = 0; i < options.photo; ++i, ++index) {
    auto sample = synth::MakeCard(options.seed, index, synth::Level::kPhoto);
    if (!sample.ok()) return sample.status();
    measurer.Measure(FromSynth(*std::move(sample), synth::LevelName(synth::Level::kPhoto)));
  }
  return measurer.Finish();
}

absl::StatusOr<AccuracyReport> MeasureSingleDefectSet(const AccuracyOptions& options, int per_kind, int non_ktp) {
  Measurer measurer(options);
  if (absl::Status s = measurer.Start(); !s.ok()) return s;
  const int kinds = static_cast<int>(std::size(synth::kSingleDefectKinds));
  for (int i = 0; i < per_kind * kinds; ++i) {
    const std::string kind = synth::kSingleDefectKinds[i % kinds];
    auto sample = synth::MakeSingleDefect(options.seed, i, kind);
    if (!sample.ok()) return sample.status();
    Case c = FromSynth(*sample, "flags");
    c.kind = kind;
    measurer.Measure(c);
  }
  // The hard negatives, as many as of each kind.
  for (int i = 0; i < per_kind; ++i) {
    auto sample = synth::MakeNuisanceControl(options.seed, i);
    if (!sample.ok()) return sample.status();
    Case c = FromSynth(*sample, "flags");
    c.kind = synth::kNuisanceControl;
    measurer.Measure(c);
  }
  // Other indices than MeasureLocalReader's negatives.
  constexpr int kNonKtpStart = 500000;
  for (int i = 0; i < non_ktp; ++i) {
    auto sample = synth::MakeNonKtp(options.seed, kNonKtpStart + i);
    if (!sample.ok()) return sample.status();
    measurer.Measure(FromSynth(*std::move(sample), "non_ktp"));
  }
  return measurer.Finish();
}

absl::Status GenerateIndependentCorpus(const IndependentCorpusOptions& corpus, const std::string& dir) {
  return RunCorpusScript(KTP_INDEPENDENT_CORPUS_SCRIPT, corpus, dir);
}

absl::Status GenerateDiagnosticCorpus(const DiagnosticCorpusOptions& corpus, const std::string& dir) {
  return RunCorpusScript(KTP_DIAGNOSTIC_CORPUS_SCRIPT, corpus, dir);
}

absl::StatusOr<std::string> DescribeCorpusDirectory(const std::string& dir) {
  auto doc = ReadManifest(dir);
  if (!doc.ok()) return doc.status();
  std::string out = absl::StrCat(StringMember(*doc, "generator"), ", seed ",
                                 doc->HasMember("seed") && (*doc)["seed"].IsInt64() ? (*doc)["seed"].GetInt64() : -1);
  std::map<std::string, int> counts;
  for (const auto& item : (*doc)["items"].GetArray()) ++counts[StringMember(item, "set")];
  for (const char* group : {"clean", "moderate", "hard", "flags", "non_ktp"}) {
    absl::StrAppend(&out, ", ", counts[group], " ", group);
  }
  return out;
}

absl::StatusOr<AccuracyReport> MeasureCorpusDirectory(const std::string& dir, const AccuracyOptions& options) {
  auto doc = ReadManifest(dir);
  if (!doc.ok()) return doc.status();
  Measurer measurer(options);
  if (absl::Status s = measurer.Start(); !s.ok()) return s;
  for (const auto& item : (*doc)["items"].GetArray()) {
    if (!item.IsObject()) return absl::InvalidArgumentError("manifest item is not an object");
    Case c;
    c.group = StringMember(item, "set");
    c.file_name = StringMember(item, "image");
    c.mime_type = StringMember(item, "mime_type");
    auto is_ktp = item.FindMember("is_ktp");
    c.is_ktp = is_ktp != item.MemberEnd() && is_ktp->value.IsBool() && is_ktp->value.GetBool();
    c.kind = StringMember(item, "document");
    auto defects = item.FindMember("defects");
    if (c.group == "flags" && defects != item.MemberEnd() && defects->value.IsArray() &&
        defects->value.Size() == 1 && defects->value[0].IsString()) {
      c.kind = defects->value[0].GetString();
    }
    auto fields = item.FindMember("fields");
    if (fields != item.MemberEnd() && fields->value.IsObject()) {
      for (const auto& f : fields->value.GetObject()) {
        if (f.value.IsString()) c.fields[f.name.GetString()] = f.value.GetString();
      }
    }
    auto qualities = item.FindMember("qualities");
    if (qualities != item.MemberEnd() && qualities->value.IsObject()) {
      for (const auto& q : qualities->value.GetObject()) {
        if (q.value.IsBool()) c.qualities[q.name.GetString()] = q.value.GetBool();
      }
    }
    if (c.group.empty() || c.file_name.empty() || (c.is_ktp && c.fields.size() != synth::FieldNames().size())) {
      return absl::InvalidArgumentError(absl::StrCat("manifest item '", c.file_name, "' is incomplete"));
    }
    auto bytes = ReadWholeFile(dir + "/" + c.file_name);
    if (!bytes.ok()) return bytes.status();
    c.encoded = *std::move(bytes);
    measurer.Measure(c);
  }
  return measurer.Finish();
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = absl::StrCat(base != nullptr && *base != '\0' ? base : "/tmp", "/ktp-corpus-XXXXXX");
  if (mkdtemp(templ.data()) != nullptr) path_ = templ;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace ktp::accuracy
