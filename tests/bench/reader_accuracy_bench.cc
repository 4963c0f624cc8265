// The local reader's accuracy and speed benchmark, on two corpora one after
// the other: ktp-synth (synth/, the corpus the reader is tuned on) and the
// independent corpus (tests/corpus/independent/make_corpus.py, held out: never
// tune on it). For each: per-field exact-match accuracy by level, NIK
// accuracy, quality-flag precision/recall and seconds per image on one worker.
// --corpus diagnostic measures only ktp-diag (tests/corpus/diagnostic/make_diag.py,
// a third renderer: the corpus to diagnose and tune on besides ktp-synth);
// "both" stays ktp-synth + independent.
//   reader_accuracy_bench [--corpus both|synth|independent|diagnostic]
//       [--seed N] [--per-level N] [--clean N] [--moderate N] [--hard N]
//       [--photo N] [--non-ktp N]                                   (ktp-synth)
//       [--flags-per-kind N] [--flags-non-ktp N]     (ktp-synth single-defect set)
//       [--independent-dir DIR] [--independent-seed N]             (independent)
//       [--independent-per-level N] [--independent-non-ktp N] [--independent-flags N]
//       [--diagnostic-dir DIR] [--diagnostic-seed N]                  (diagnostic)
//       [--diagnostic-per-level N] [--diagnostic-non-ktp N] [--diagnostic-flags N]
//       [--verbose]
// --independent-dir reads DIR/manifest.json when it exists, else generates the
// corpus into DIR and keeps it; without it the corpus goes to a temporary
// directory that is removed at exit; --diagnostic-dir likewise. The ktp-synth section ends with the
// single-defect set (synth::MakeSingleDefect; 0 per kind skips it): one
// defect per image at varied strength plus clean controls, for the flags.
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>

#include "tests/reader/reader_accuracy.h"

namespace {

constexpr char kUsage[] =
    "usage: reader_accuracy_bench [--corpus both|synth|independent|diagnostic] [--seed N] [--per-level N]\n"
    "         [--clean N] [--moderate N] [--hard N] [--photo N] [--non-ktp N]\n"
    "         [--flags-per-kind N] [--flags-non-ktp N]\n"
    "         [--independent-dir DIR] [--independent-seed N] [--independent-per-level N]\n"
    "         [--independent-non-ktp N] [--independent-flags N]\n"
    "         [--diagnostic-dir DIR] [--diagnostic-seed N] [--diagnostic-per-level N]\n"
    "         [--diagnostic-non-ktp N] [--diagnostic-flags N] [--verbose]\n";

int RunSynthLevels(const ktp::accuracy::AccuracyOptions& options);

int RunSynth(const ktp::accuracy::AccuracyOptions& options, int flags_per_kind, int flags_non_ktp) {
  if (options.clean + options.moderate + options.hard + options.photo + options.non_ktp > 0 && RunSynthLevels(options) != 0) return 1;
  if (flags_per_kind <= 0) return 0;
  std::cout << "\n### ktp-synth single-defect set: seed " << options.seed << ", " << flags_per_kind
            << " images of each defect and of clean controls, " << flags_non_ktp << " non-KTP images\n\n";
  auto report = ktp::accuracy::MeasureSingleDefectSet(options, flags_per_kind, flags_non_ktp);
  if (!report.ok()) {
    std::cerr << "ktp-synth single-defect benchmark failed: " << report.status() << "\n";
    return 1;
  }
  std::cout << report->Format() << std::flush;
  return 0;
}

int RunSynthLevels(const ktp::accuracy::AccuracyOptions& options) {
  std::cout << "## ktp-synth (tuning corpus): seed " << options.seed << ", " << options.clean << " clean + "
            << options.moderate << " moderate + " << options.hard << " hard + " << options.photo << " photo cards, " << options.non_ktp
            << " non-KTP images, 1 worker\n\n";
  auto report = ktp::accuracy::MeasureLocalReader(options);
  if (!report.ok()) {
    std::cerr << "ktp-synth benchmark failed: " << report.status() << "\n";
    return 1;
  }
  std::cout << report->Format() << std::flush;
  return 0;
}

// One corpus written by a Python generator: `generate` fills a directory that
// has no manifest yet; `title` heads the table.
template <typename Generate>
int RunCorpusDirectory(const ktp::accuracy::AccuracyOptions& options, const std::string& name, const std::string& title,
                       const std::string& keep_dir, Generate generate) {
  ktp::accuracy::TempDir temp;
  std::string dir = keep_dir;
  if (dir.empty()) {
    if (temp.path().empty()) {
      std::cerr << "cannot create a temporary directory\n";
      return 1;
    }
    dir = temp.path();
  }
  if (!std::filesystem::exists(dir + "/manifest.json")) {
    std::cerr << "generating the " << name << " corpus in " << dir << " ...\n";
    if (auto s = generate(dir); !s.ok()) {
      std::cerr << name << " corpus: " << s << "\n";
      return 1;
    }
  }
  auto description = ktp::accuracy::DescribeCorpusDirectory(dir);
  if (!description.ok()) {
    std::cerr << name << " corpus: " << description.status() << "\n";
    return 1;
  }
  std::cout << "## " << title << ": " << *description << " (" << dir << (keep_dir.empty() ? ", temporary" : "")
            << "), 1 worker\n\n";
  auto report = ktp::accuracy::MeasureCorpusDirectory(dir, options);
  if (!report.ok()) {
    std::cerr << name << " benchmark failed: " << report.status() << "\n";
    return 1;
  }
  std::cout << report->Format() << std::flush;
  return 0;
}

int RunIndependent(const ktp::accuracy::AccuracyOptions& options,
                   const ktp::accuracy::IndependentCorpusOptions& corpus, const std::string& keep_dir) {
  return RunCorpusDirectory(options, "independent", "independent corpus (held out, never tuned on)", keep_dir,
                            [&](const std::string& dir) { return ktp::accuracy::GenerateIndependentCorpus(corpus, dir); });
}

int RunDiagnostic(const ktp::accuracy::AccuracyOptions& options,
                  const ktp::accuracy::DiagnosticCorpusOptions& corpus, const std::string& keep_dir) {
  return RunCorpusDirectory(options, "diagnostic", "ktp-diag diagnostic corpus (diagnosis and tuning allowed)",
                            keep_dir,
                            [&](const std::string& dir) { return ktp::accuracy::GenerateDiagnosticCorpus(corpus, dir); });
}

}  // namespace

int main(int argc, char** argv) {
  ktp::accuracy::AccuracyOptions options;
  ktp::accuracy::IndependentCorpusOptions corpus;
  ktp::accuracy::DiagnosticCorpusOptions diagnostic;
  std::string diagnostic_dir;
  std::string which = "both";
  std::string independent_dir;
  int flags_per_kind = 24, flags_non_ktp = 12;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::cerr << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--corpus") {
      which = next();
      if (which != "both" && which != "synth" && which != "independent" && which != "diagnostic") {
        std::cerr << kUsage;
        return 2;
      }
    } else if (arg == "--seed") {
      options.seed = std::strtoull(next(), nullptr, 10);
    } else if (arg == "--per-level") {
      options.clean = options.moderate = options.hard = options.photo = std::atoi(next());
    } else if (arg == "--photo") {
      options.photo = std::atoi(next());
    } else if (arg == "--clean") {
      options.clean = std::atoi(next());
    } else if (arg == "--moderate") {
      options.moderate = std::atoi(next());
    } else if (arg == "--hard") {
      options.hard = std::atoi(next());
    } else if (arg == "--non-ktp") {
      options.non_ktp = std::atoi(next());
    } else if (arg == "--flags-per-kind") {
      flags_per_kind = std::atoi(next());
    } else if (arg == "--flags-non-ktp") {
      flags_non_ktp = std::atoi(next());
    } else if (arg == "--independent-dir") {
      independent_dir = next();
    } else if (arg == "--independent-seed") {
      corpus.seed = std::strtoull(next(), nullptr, 10);
    } else if (arg == "--independent-per-level") {
      corpus.clean = corpus.moderate = corpus.hard = std::atoi(next());
    } else if (arg == "--independent-non-ktp") {
      corpus.non_ktp = std::atoi(next());
    } else if (arg == "--independent-flags") {
      corpus.flags_per_kind = std::atoi(next());
    } else if (arg == "--diagnostic-dir") {
      diagnostic_dir = next();
    } else if (arg == "--diagnostic-seed") {
      diagnostic.seed = std::strtoull(next(), nullptr, 10);
    } else if (arg == "--diagnostic-per-level") {
      diagnostic.clean = diagnostic.moderate = diagnostic.hard = std::atoi(next());
    } else if (arg == "--diagnostic-non-ktp") {
      diagnostic.non_ktp = std::atoi(next());
    } else if (arg == "--diagnostic-flags") {
      diagnostic.flags_per_kind = std::atoi(next());
    } else if (arg == "--verbose") {
      options.verbose = true;
    } else {
      std::cerr << kUsage;
      return 2;
    }
  }
  if (which == "diagnostic") return RunDiagnostic(options, diagnostic, diagnostic_dir);
  int rc = 0;
  if (which != "independent") rc |= RunSynth(options, flags_per_kind, flags_non_ktp);
  if (which == "both") std::cout << "\n";
  if (which != "synth") rc |= RunIndependent(options, corpus, independent_dir);
  return rc;
}
