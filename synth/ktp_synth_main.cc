// ktp-synth: writes a reproducible set of synthetic KTP images (and non-KTP
// negatives) with ground-truth JSON beside each image.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "absl/strings/numbers.h"
#include "synth/synth_set.h"

namespace {

constexpr char kUsage[] =
    "Usage: ktp-synth --out DIR [--seed N] [--count N] [--start N]\n"
    "                 [--level clean|moderate|hard|photo|mixed|single|nuisance] [--non-ktp N]\n"
    "                 [--format png|jpeg|auto]\n"
    "\n"
    "Writes DIR/card-NNNNNN.{png,jpg} and DIR/other-NNNNNN.{png,jpg}, each with a\n"
    "ground-truth .json beside it. The same flags always give the same files.\n"
    "  --out DIR      output directory (created if missing)\n"
    "  --seed N       random seed (default 1)\n"
    "  --count N      number of KTP cards (default 10)\n"
    "  --start N      index of the first card/other image (default 0)\n"
    "  --level L      clean, moderate, hard, or mixed = a third of each (default mixed);\n"
    "                 photo = moderate phone photos (motion blur, uneven light, moiré,\n"
    "                 colour cast, JPEG 50-70, perspective; not in mixed);\n"
    "                 single = the single-defect set (single-NNNNNN: image i carries\n"
    "                 none, blurred, dark, bright, rotated, cropped, copy, flash by i mod 8)\n"
    "                 nuisance = its hard negatives (nuisance-NNNNNN: sharp cards, no\n"
    "                 defect, heavy JPEG, moiré, perspective, small card, uneven light...)\n"
    "  --non-ktp N    number of non-KTP images (default 0)\n"
    "  --format F     png, jpeg, or auto = clean PNG/JPEG, others JPEG (default auto)\n";

int Fail(const std::string& message) {
  std::fprintf(stderr, "ktp-synth: %s\n(run ktp-synth --help for usage)\n", message.c_str());
  return 2;
}

bool WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_dir, level_name = "mixed", format_name = "auto";
  uint64_t seed = 1;
  int count = 10, non_ktp = 0, start = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    std::string_view flag = arg, value;
    bool have_value = false;
    if (const size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string_view::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      have_value = true;
    }
    const bool known = flag == "--out" || flag == "--seed" || flag == "--count" ||
                       flag == "--level" || flag == "--non-ktp" || flag == "--format" ||
                       flag == "--start";
    if (!known) return Fail("unknown argument '" + std::string(arg) + "'");
    if (!have_value) {
      if (i + 1 >= argc) return Fail(std::string(flag) + " needs a value");
      value = argv[++i];
    }
    auto non_negative = [&](int* dst) {
      return absl::SimpleAtoi(std::string(value), dst) && *dst >= 0;
    };
    if (flag == "--out") {
      out_dir = std::string(value);
    } else if (flag == "--seed") {
      if (!absl::SimpleAtoi(std::string(value), &seed))
        return Fail("--seed wants an unsigned integer");
    } else if (flag == "--count") {
      if (!non_negative(&count)) return Fail("--count wants a non-negative integer");
    } else if (flag == "--start") {
      if (!non_negative(&start)) return Fail("--start wants a non-negative integer");
    } else if (flag == "--non-ktp") {
      if (!non_negative(&non_ktp)) return Fail("--non-ktp wants a non-negative integer");
    } else if (flag == "--level") {
      level_name = std::string(value);
      if (level_name != "clean" && level_name != "moderate" && level_name != "hard" && level_name != "photo" &&
          level_name != "mixed" && level_name != "single" && level_name != "nuisance") {
        return Fail("--level must be clean, moderate, hard, photo, mixed, single or nuisance");
      }
    } else if (flag == "--format") {
      format_name = std::string(value);
      if (format_name != "png" && format_name != "jpeg" && format_name != "auto") {
        return Fail("--format must be png, jpeg or auto");
      }
    }
  }
  if (out_dir.empty()) return Fail("--out DIR is required");
  if (start > 999999 - count || start > 999999 - non_ktp) return Fail("indices exceed 999999");

  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return Fail("cannot create " + out_dir + ": " + ec.message());

  using ktp::synth::Format;
  using ktp::synth::Level;
  const Format format = format_name == "png"    ? Format::kPng
                        : format_name == "jpeg" ? Format::kJpeg
                                                : Format::kAuto;
  int per_level[4] = {0, 0, 0, 0};
  const std::filesystem::path dir(out_dir);
  auto write = [&](const ktp::synth::Sample& s) {
    return WriteFile(dir / s.file_name, s.encoded) &&
           WriteFile(dir / ktp::synth::JsonFileName(s), s.ground_truth_json);
  };
  int single = 0;
  for (int i = start; i < start + count; ++i) {
    if (level_name == "nuisance") {
      absl::StatusOr<ktp::synth::Sample> s = ktp::synth::MakeNuisanceControl(seed, i, format);
      if (!s.ok())
        return Fail("card " + std::to_string(i) + ": " + std::string(s.status().message()));
      if (!write(*s)) return Fail("cannot write " + s->file_name + " in " + out_dir);
      ++single;
      continue;
    }
    if (level_name == "single") {
      const int kinds = static_cast<int>(std::size(ktp::synth::kSingleDefectKinds));
      absl::StatusOr<ktp::synth::Sample> s =
          ktp::synth::MakeSingleDefect(seed, i, ktp::synth::kSingleDefectKinds[i % kinds], format);
      if (!s.ok())
        return Fail("card " + std::to_string(i) + ": " + std::string(s.status().message()));
      if (!write(*s)) return Fail("cannot write " + s->file_name + " in " + out_dir);
      ++single;
      continue;
    }
    Level level = Level::kClean;
    if (level_name == "moderate") level = Level::kModerate;
    if (level_name == "hard") level = Level::kHard;
    if (level_name == "photo") level = Level::kPhoto;
    if (level_name == "mixed") level = static_cast<Level>(i % 3);
    absl::StatusOr<ktp::synth::Sample> s = ktp::synth::MakeCard(seed, i, level, format);
    if (!s.ok())
      return Fail("card " + std::to_string(i) + ": " + std::string(s.status().message()));
    if (!write(*s)) return Fail("cannot write " + s->file_name + " in " + out_dir);
    ++per_level[static_cast<int>(level)];
  }
  for (int i = start; i < start + non_ktp; ++i) {
    absl::StatusOr<ktp::synth::Sample> s = ktp::synth::MakeNonKtp(seed, i, format);
    if (!s.ok())
      return Fail("non-KTP " + std::to_string(i) + ": " + std::string(s.status().message()));
    if (!write(*s)) return Fail("cannot write " + s->file_name + " in " + out_dir);
  }
  std::printf(
      "ktp-synth: wrote %d cards (%d clean, %d moderate, %d hard, %d photo, %d single-defect) and %d non-KTP images "
      "to %s (seed %llu)\n",
      count, per_level[0], per_level[1], per_level[2], per_level[3], single, non_ktp, out_dir.c_str(),
      static_cast<unsigned long long>(seed));
  return 0;
}
