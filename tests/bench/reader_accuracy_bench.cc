// The local reader's accuracy and speed benchmark: prints per-field exact-match
// accuracy by augmentation level, NIK accuracy, quality-flag precision/recall
// and seconds per image on one worker, for a ktp-synth set from a seed.
//   reader_accuracy_bench [--seed N] [--per-level N] [--non-ktp N] [--verbose]
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "tests/reader/reader_accuracy.h"

int main(int argc, char** argv) {
  ktp::accuracy::AccuracyOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::cerr << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--seed") {
      options.seed = std::strtoull(next(), nullptr, 10);
    } else if (arg == "--per-level") {
      options.clean = options.moderate = options.hard = std::atoi(next());
    } else if (arg == "--non-ktp") {
      options.non_ktp = std::atoi(next());
    } else if (arg == "--verbose") {
      options.verbose = true;
    } else {
      std::cerr << "usage: reader_accuracy_bench [--seed N] [--per-level N] [--non-ktp N] [--verbose]\n";
      return 2;
    }
  }
  std::cout << "local reader accuracy: seed " << options.seed << ", " << options.clean << " clean + "
            << options.moderate << " moderate + " << options.hard << " hard cards, " << options.non_ktp
            << " non-KTP images, 1 worker\n\n";
  auto report = ktp::accuracy::MeasureLocalReader(options);
  if (!report.ok()) {
    std::cerr << "benchmark failed: " << report.status() << "\n";
    return 1;
  }
  std::cout << report->Format();
  return 0;
}
