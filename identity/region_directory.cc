// Parses the Kemendagri region table (see region_directory.h).
#include "identity/region_directory.h"

#include <cctype>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ktp::identity {

std::string_view EmbeddedRegionsTsv();   // wilayah_data.cc
std::string_view EmbeddedVillagesTsv();  // wilayah_data.cc

namespace {

// Debian's Abseil has its own string_view type; the API takes std's.
absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

int LevelOf(absl::string_view code) {
  int dots = 0;
  for (char c : code) dots += c == '.';
  return dots + 1;
}

bool ValidCode(absl::string_view code) {
  if (code.empty() || code.front() == '.' || code.back() == '.') return false;
  for (char c : code) {
    if (!(absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '.')) return false;
  }
  return LevelOf(code) <= 4;
}

std::string ParentOf(absl::string_view code) {
  size_t dot = code.rfind('.');
  return dot == absl::string_view::npos ? std::string() : std::string(code.substr(0, dot));
}

// The name as a KTP prints it: upper case; regencies and cities lose their
// prefix ("Kabupaten Bandung" → "BANDUNG", "Kota Administrasi Jakarta Selatan" →
// "JAKARTA SELATAN").
std::string KtpName(absl::string_view name, int level) {
  std::string upper = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(name));
  // The two special provinces are printed abbreviated, as on the cards.
  if (level == 1 && upper == "DAERAH KHUSUS IBUKOTA JAKARTA") return "DKI JAKARTA";
  if (level == 1 && upper == "DAERAH ISTIMEWA YOGYAKARTA") return "DI YOGYAKARTA";
  if (level == 2) {
    for (absl::string_view prefix : {"KABUPATEN ADMINISTRASI ", "KOTA ADMINISTRASI ", "KABUPATEN ", "KOTA "}) {
      if (absl::StartsWith(upper, prefix)) return upper.substr(prefix.size());
    }
  }
  return upper;
}

}  // namespace

const RegionDirectory& RegionDirectory::Embedded() {
  static const RegionDirectory* const directory = [] {
    auto parsed = Parse(EmbeddedRegionsTsv(), EmbeddedVillagesTsv());
    // The table is part of the build: a parse failure is a build defect.
    if (!parsed.ok()) __builtin_trap();
    return new RegionDirectory(*std::move(parsed));
  }();
  return *directory;
}

absl::StatusOr<RegionDirectory> RegionDirectory::Parse(std::string_view regions_tsv,
                                                       std::string_view villages_tsv) {
  RegionDirectory dir;
  for (absl::string_view tsv : {Absl(regions_tsv), Absl(villages_tsv)}) {
    int line_no = 0;
    for (absl::string_view line : absl::StrSplit(tsv, '\n')) {
      ++line_no;
      line = absl::StripTrailingAsciiWhitespace(line);
      if (line.empty()) continue;
      std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, absl::MaxSplits('\t', 1));
      absl::string_view code = absl::StripAsciiWhitespace(kv.first);
      absl::string_view name = absl::StripAsciiWhitespace(kv.second);
      if (!ValidCode(code) || name.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("region table line ", line_no, ": expected code<TAB>name"));
      }
      Region r;
      r.code = std::string(code);
      r.level = LevelOf(code);
      r.name = std::string(name);
      r.ktp_name = KtpName(name, r.level);
      if (r.level == 2) {
        // Regency codes 01–69 are kabupaten, 71–99 kota.
        r.is_city = code.size() >= 5 && code[3] >= '7';
      }
      dir.regions_.push_back(std::move(r));
    }
  }
  // Index only once the vector no longer grows, so the pointers stay valid
  // (moving the directory moves the vector's buffer, not its elements).
  for (size_t i = 0; i < dir.regions_.size(); ++i) {
    const Region& r = dir.regions_[i];
    if (!dir.by_code_.emplace(r.code, i).second) {
      return absl::InvalidArgumentError(absl::StrCat("region table: duplicate code ", r.code));
    }
    dir.children_[ParentOf(r.code)].push_back(&r);
    dir.levels_[r.level].push_back(&r);
  }
  return dir;
}

const Region* RegionDirectory::Find(std::string_view dotted_code) const {
  auto it = by_code_.find(Absl(dotted_code));
  return it == by_code_.end() ? nullptr : &regions_[it->second];
}

const std::vector<const Region*>& RegionDirectory::Children(std::string_view dotted_code) const {
  auto it = children_.find(Absl(dotted_code));
  return it == children_.end() ? empty_ : it->second;
}

const std::vector<const Region*>& RegionDirectory::Level(int level) const {
  return level >= 1 && level <= 4 ? levels_[level] : empty_;
}

std::string RegionDirectory::DistrictCodeOfNik(std::string_view nik) {
  if (nik.size() < 6) return "";
  for (int i = 0; i < 6; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(nik[i]))) return "";
  }
  return absl::StrCat(Absl(nik.substr(0, 2)), ".", Absl(nik.substr(2, 2)), ".", Absl(nik.substr(4, 2)));
}

}  // namespace ktp::identity
