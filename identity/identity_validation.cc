// The NIK decoder, the consistency checks and the normalizer (see
// identity_validation.h).
#include "identity/identity_validation.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <initializer_list>
#include <utility>
#include <vector>

#include "identity/ktp_vocabulary.h"

namespace ktp::identity {
namespace {

int Digits(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// A calendar day, or nullopt when (y, m, d) is not one (absl::CivilDay would
// quietly normalise 30-02 into 02-03).
std::optional<absl::CivilDay> CalendarDay(int year, int month, int day) {
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  const absl::CivilDay d(year, month, day);
  if (d.year() != year || d.month() != month || d.day() != day) return std::nullopt;
  return d;
}

// Upper case, every run of non-alphanumerics one space, trimmed: "Kab.  Bandung" → "KAB BANDUNG".
std::string Words(std::string_view text) {
  std::string out;
  bool gap = false;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 && u < 0x80) {
      if (gap && !out.empty()) out.push_back(' ');
      out.push_back(static_cast<char>(std::toupper(u)));
      gap = false;
    } else {
      gap = true;
    }
  }
  return out;
}

bool StartsWithWord(const std::string& words, std::string_view prefix) {
  return words.size() > prefix.size() && words.compare(0, prefix.size(), prefix) == 0 &&
         words[prefix.size()] == ' ';
}

// Folded keys equal, or within 20 % edit distance on keys of 5+ characters.
bool NamesClose(std::string_view a, std::string_view b) {
  const std::string ka = FoldedKey(a);
  const std::string kb = FoldedKey(b);
  if (ka.empty() || kb.empty()) return false;
  if (ka == kb) return true;
  if (std::min(ka.size(), kb.size()) < 5) return false;
  const int distance = EditDistance(ka, kb);
  return static_cast<double>(distance) <= 0.2 * static_cast<double>(std::max(ka.size(), kb.size()));
}

// Names the table no longer uses but cards issued before the change still
// print (Kemendagri renames), by regency/city code.
const std::vector<std::pair<std::string_view, std::string_view>>& FormerNames() {
  static const std::vector<std::pair<std::string_view, std::string_view>> names = {
      {"12.12", "TOBA SAMOSIR"},  // renamed Toba, 2020
      {"76.01", "MAMUJU UTARA"},  // renamed Pasangkayu, 2017
      {"73.01", "SELAYAR"},       // renamed Kepulauan Selayar, 2008
      {"82.72", "TIDORE"},        // renamed Tidore Kepulauan, 2003
  };
  return names;
}

// The forms the two special provinces are printed in, by code.
std::vector<std::string_view> ProvinceAliases(std::string_view code) {
  if (code == "31") {
    return {"DKI JAKARTA", "DAERAH KHUSUS IBUKOTA JAKARTA", "DAERAH KHUSUS JAKARTA", "DKJ", "JAKARTA"};
  }
  if (code == "34") return {"DI YOGYAKARTA", "DIY", "DAERAH ISTIMEWA YOGYAKARTA", "YOGYAKARTA"};
  return {};
}

enum class Prefix { kNone, kRegency, kCity };

// Splits a printed level-2 name into its prefix kind and the rest.
std::pair<Prefix, std::string> SplitRegencyPrefix(const std::string& words) {
  struct Form {
    std::string_view text;
    Prefix kind;
  };
  static constexpr std::array<Form, 7> kForms = {{
      {"KABUPATEN ADMINISTRASI", Prefix::kRegency},
      {"KAB ADM", Prefix::kRegency},
      {"KABUPATEN", Prefix::kRegency},
      {"KAB", Prefix::kRegency},
      {"KOTA ADMINISTRASI", Prefix::kCity},
      {"KOTA ADM", Prefix::kCity},
      {"KOTA", Prefix::kCity},
  }};
  for (const Form& f : kForms) {
    if (StartsWithWord(words, f.text)) return {f.kind, words.substr(f.text.size() + 1)};
  }
  return {Prefix::kNone, words};
}

// `ktp_name` is the name without its level prefix ("KABUPATEN BANDUNG" → "BANDUNG").
bool MatchesBareName(std::string_view printed_rest, const Region& region) {
  if (NamesClose(printed_rest, region.ktp_name)) return true;
  for (const auto& [code, former] : FormerNames()) {
    if (code == region.code && NamesClose(printed_rest, former)) return true;
  }
  return false;
}

// Provinces whose codes were reassigned after NIKs were issued under them:
// Kalimantan Utara (65) was split from Kalimantan Timur (64) in 2012, and the
// Papua provinces were renumbered in 2022 (91–96). A NIK issued before keeps
// its old code, which the current table may not hold or may give to another
// region: there the table cannot tell a misread from an old code.
bool SupersededProvince(std::string_view province_code) {
  static constexpr std::array<std::string_view, 8> kCodes = {"64", "65", "91", "92", "93", "94", "95", "96"};
  return std::find(kCodes.begin(), kCodes.end(), province_code) != kCodes.end();
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The official name in upper case, trimmed ("Kota Administrasi Jakarta Utara " → "KOTA ADMINISTRASI JAKARTA UTARA").
std::string OfficialName(const Region* region) {
  if (region == nullptr) return "";
  std::string name = Upper(region->name);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  while (!name.empty() && name.front() == ' ') name.erase(0, 1);
  return name;
}

void SetDate(absl::CivilDay d, google::type::Date* out) {
  out->set_year(static_cast<int32_t>(d.year()));
  out->set_month(d.month());
  out->set_day(d.day());
}

class Checks {
 public:
  void Add(v1::CheckKind kind, v1::CheckOutcome outcome, std::string_view detail) {
    v1::IdentityCheck* check = out_.add_checks();
    check->set_kind(kind);
    check->set_outcome(outcome);
    check->set_detail(std::string(detail));
    if (outcome == v1::CHECK_OUTCOME_FAIL) failed_ = true;
  }
  void Pass(v1::CheckKind kind, std::string_view detail = "ok") { Add(kind, v1::CHECK_OUTCOME_PASS, detail); }
  void Fail(v1::CheckKind kind, std::string_view detail) { Add(kind, v1::CHECK_OUTCOME_FAIL, detail); }
  void Skip(v1::CheckKind kind, std::string_view detail) { Add(kind, v1::CHECK_OUTCOME_NOT_CHECKED, detail); }
  v1::IdentityValidation& out() { return out_; }
  v1::IdentityValidation Finish() {
    out_.set_consistent(!failed_);
    return std::move(out_);
  }

 private:
  v1::IdentityValidation out_;
  bool failed_ = false;
};

bool Present(const v1::KtpCard& card, const v1::KtpField& (v1::KtpCard::*field)() const,
             bool (v1::KtpCard::*has)() const) {
  return (card.*has)() && !Words((card.*field)().value()).empty();
}

// The printed birth date: the engine's parsed date when it set one, else the value parsed here.
std::optional<absl::CivilDay> PrintedBirthDate(const v1::KtpCard& card) {
  if (!card.has_birth_date()) return std::nullopt;
  return ParsePrintedDate(card.birth_date().value());
}

// Age in whole years on `today`; a 29 February birthday falls on 1 March in
// other years (absl::CivilDay's normalisation, as Indonesian practice counts it).
int64_t AgeOn(absl::CivilDay birth, absl::CivilDay today) {
  int64_t age = today.year() - birth.year();
  const absl::CivilDay birthday_this_year(today.year(), birth.month(), birth.day());
  if (today < birthday_this_year) --age;
  return age;
}

// The printed province, city/regency and district names against the regions
// a NIK names, per level: 0 not compared (nothing printed, or no such region),
// 1 agrees, -1 disagrees.
std::array<int, 3> CompareRegionNames(const std::array<std::string_view, 3>& printed,
                                      const std::array<const Region*, 3>& regions) {
  std::array<int, 3> out{};
  for (size_t i = 0; i < 3; ++i) {
    if (printed[i].empty() || regions[i] == nullptr) continue;
    out[i] = RegionNameMatches(printed[i], *regions[i]) ? 1 : -1;
  }
  return out;
}

void CheckRegionNames(const v1::KtpCard& card, const Region* province, const Region* city, const Region* district,
                      bool superseded, Checks& checks) {
  const auto printed = [&card](const v1::KtpField& (v1::KtpCard::*field)() const,
                               bool (v1::KtpCard::*has)() const) -> std::string_view {
    return Present(card, field, has) ? std::string_view((card.*field)().value()) : std::string_view();
  };
  const std::array<int, 3> compared_levels = CompareRegionNames(
      {printed(&v1::KtpCard::province, &v1::KtpCard::has_province),
       printed(&v1::KtpCard::city_regency, &v1::KtpCard::has_city_regency),
       printed(&v1::KtpCard::district, &v1::KtpCard::has_district)},
      {province, city, district});
  static constexpr std::array<std::string_view, 3> kMismatch = {"province_mismatch", "city_regency_mismatch",
                                                                "district_mismatch"};
  std::string mismatches;
  int compared = 0;
  for (size_t i = 0; i < 3; ++i) {
    if (compared_levels[i] == 0) continue;
    ++compared;
    if (compared_levels[i] < 0) {
      if (!mismatches.empty()) mismatches += ',';
      mismatches += kMismatch[i];
    }
  }
  if (compared == 0) {
    checks.Skip(v1::CHECK_KIND_REGION_NAMES, "missing_regions");
  } else if (!mismatches.empty()) {
    if (superseded) {
      checks.Skip(v1::CHECK_KIND_REGION_NAMES, "superseded_code");
    } else {
      checks.Fail(v1::CHECK_KIND_REGION_NAMES, mismatches);
    }
  } else {
    checks.Pass(v1::CHECK_KIND_REGION_NAMES, compared == 3 ? "ok" : "ok_partial");
  }
}

void CheckVillage(const v1::KtpCard& card, const Region* district, bool superseded, const RegionDirectory& regions,
                  Checks& checks) {
  if (!Present(card, &v1::KtpCard::village, &v1::KtpCard::has_village)) {
    checks.Skip(v1::CHECK_KIND_VILLAGE, "missing_village");
    return;
  }
  const auto& villages = regions.Children(district->code);
  if (villages.empty()) {
    checks.Skip(v1::CHECK_KIND_VILLAGE, "no_village_list");
    return;
  }
  for (const Region* village : villages) {
    if (RegionNameMatches(card.village().value(), *village)) {
      checks.Pass(v1::CHECK_KIND_VILLAGE);
      return;
    }
  }
  if (superseded) {
    checks.Skip(v1::CHECK_KIND_VILLAGE, "superseded_code");
  } else {
    checks.Fail(v1::CHECK_KIND_VILLAGE, "not_in_district");
  }
}

void CheckValidUntil(const v1::KtpCard& card, absl::CivilDay today, Checks& checks) {
  if (!Present(card, &v1::KtpCard::valid_until, &v1::KtpCard::has_valid_until)) {
    checks.Skip(v1::CHECK_KIND_VALID_UNTIL, "missing_valid_until");
  } else if (IsForLife(card.valid_until().value())) {
    checks.Pass(v1::CHECK_KIND_VALID_UNTIL, "for_life");
  } else if (const auto until = ParsePrintedDate(card.valid_until().value())) {
    if (*until < today) {
      checks.Fail(v1::CHECK_KIND_VALID_UNTIL, "expired");
    } else {
      checks.Pass(v1::CHECK_KIND_VALID_UNTIL, "not_expired");
    }
  } else {
    checks.Fail(v1::CHECK_KIND_VALID_UNTIL, "not_a_date");
  }
}

// KTP eligibility (UU 24/2013 art. 63): 17 years old, or married (or once
// married) at any age. The printed birth date is the card's claim; the NIK's
// is used only when none was printed.
void CheckAge(const v1::KtpCard& card, std::optional<absl::CivilDay> birth, absl::CivilDay today, Checks& checks) {
  if (!birth) {
    checks.Skip(v1::CHECK_KIND_AGE, "missing_birth_date");
    return;
  }
  if (*birth > today) {
    checks.Fail(v1::CHECK_KIND_AGE, "born_after_read");
    return;
  }
  if (AgeOn(*birth, today) >= 17) {
    checks.Pass(v1::CHECK_KIND_AGE);
    return;
  }
  const v1::MaritalStatus marital = MaritalStatusOf(card.marital_status().value());
  if (marital == v1::MARITAL_STATUS_MARRIED || marital == v1::MARITAL_STATUS_DIVORCED ||
      marital == v1::MARITAL_STATUS_WIDOWED) {
    checks.Pass(v1::CHECK_KIND_AGE, "under_17_married");
  } else {
    checks.Fail(v1::CHECK_KIND_AGE, "under_17");
  }
}

}  // namespace

std::optional<NikParts> SplitNik(std::string_view nik) {
  if (nik.size() != 16) return std::nullopt;
  for (char c : nik) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  NikParts p;
  p.district_code = RegionDirectory::DistrictCodeOfNik(nik);
  p.day = Digits(nik.substr(6, 2));
  p.month = Digits(nik.substr(8, 2));
  p.two_digit_year = Digits(nik.substr(10, 2));
  p.serial = std::string(nik.substr(12, 4));
  return p;
}

std::optional<absl::CivilDay> NikBirthDay(const NikParts& nik, std::optional<absl::CivilDay> printed,
                                          absl::CivilDay today) {
  if (!nik.day_valid()) return std::nullopt;
  // The printed year's century is taken as is (even a future one: the age
  // check reports that); a guessed century must not put the birth after today.
  if (printed && printed->year() % 100 == nik.two_digit_year) {
    if (auto day = CalendarDay(static_cast<int>(printed->year()), nik.month, nik.birth_day())) return day;
  }
  for (int century : {2000, 1900}) {
    const auto day = CalendarDay(century + nik.two_digit_year, nik.month, nik.birth_day());
    if (day && *day <= today) return day;
  }
  return std::nullopt;
}

std::optional<absl::CivilDay> ParsePrintedDate(std::string_view text) {
  std::string digits[3];
  int part = 0;
  bool in_number = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      if (!in_number && !digits[part].empty()) {
        if (++part == 3) return std::nullopt;
      }
      digits[part].push_back(c);
      in_number = true;
    } else if (c == '-' || c == '/' || c == '.' || c == ' ') {
      in_number = false;
    } else {
      return std::nullopt;
    }
  }
  if (part != 2 || digits[0].size() > 2 || digits[1].size() > 2 || digits[2].size() != 4 || digits[0].empty() ||
      digits[1].empty()) {
    return std::nullopt;
  }
  return CalendarDay(Digits(digits[2]), Digits(digits[1]), Digits(digits[0]));
}

bool NikDateIsValid(const NikParts& nik) {
  return nik.day_valid() && (CalendarDay(2000 + nik.two_digit_year, nik.month, nik.birth_day()) ||
                             CalendarDay(1900 + nik.two_digit_year, nik.month, nik.birth_day()));
}

bool NikDateAgrees(const NikParts& nik, absl::CivilDay printed) {
  return nik.day_valid() && nik.birth_day() == printed.day() && nik.month == printed.month() &&
         nik.two_digit_year == printed.year() % 100;
}

NikScore ScoreNik(const NikParts& nik, const NikEvidence& evidence, const RegionDirectory& regions) {
  NikScore score;
  const Region* district = regions.Find(nik.district_code);
  score.district_exists = district != nullptr;
  if (district != nullptr) {
    for (int level : CompareRegionNames({evidence.province, evidence.city_regency, evidence.district},
                                        {regions.Find(nik.district_code.substr(0, 2)),
                                         regions.Find(nik.district_code.substr(0, 5)), district})) {
      score.regions_agreeing += level > 0;
      score.regions_disagreeing += level < 0;
    }
  }
  score.date_valid = NikDateIsValid(nik);
  if (evidence.birth_date) {
    score.date_agrees = NikDateAgrees(nik, *evidence.birth_date);
    score.date_disagrees = !score.date_agrees;
    if (score.date_disagrees && nik.day_valid()) {
      const absl::CivilDay printed = *evidence.birth_date;
      const int on_nik[3] = {nik.birth_day(), nik.month, nik.two_digit_year};
      const int on_card[3] = {printed.day(), printed.month(), static_cast<int>(printed.year() % 100)};
      int differing = 0;
      for (int i = 0; i < 3; ++i) differing += (on_nik[i] / 10 != on_card[i] / 10) + (on_nik[i] % 10 != on_card[i] % 10);
      score.date_one_digit_off = differing == 1;
    }
  }
  if (evidence.sex != v1::SEX_UNSPECIFIED && nik.day_valid()) {
    score.sex_agrees = (evidence.sex == v1::SEX_FEMALE) == nik.female();
    score.sex_disagrees = !score.sex_agrees;
  }
  return score;
}

namespace {
// The entry whose folded key equals the text's, or is within `tolerance`
// (KeyDistance) of it; nullptr otherwise.
template <typename Enum>
Enum Lookup(std::string_view printed, std::initializer_list<std::pair<std::string_view, Enum>> table,
            double tolerance, Enum none) {
  Enum best = none;
  double best_distance = 2;
  for (const auto& [text, value] : table) {
    const double d = KeyDistance(printed, text);
    if (d < best_distance) {
      best_distance = d;
      best = value;
    }
  }
  return best_distance <= tolerance ? best : none;
}
}  // namespace

v1::Sex SexOf(std::string_view printed) {
  return Lookup<v1::Sex>(printed, {{"LAKI-LAKI", v1::SEX_MALE}, {"LAKI LAKI", v1::SEX_MALE},
                                   {"PEREMPUAN", v1::SEX_FEMALE}, {"WANITA", v1::SEX_FEMALE},
                                   {"PRIA", v1::SEX_MALE}},
                         0.2, v1::SEX_UNSPECIFIED);
}

v1::Religion ReligionOf(std::string_view printed) {
  return Lookup<v1::Religion>(printed,
                              {{"ISLAM", v1::RELIGION_ISLAM},
                               {"KRISTEN", v1::RELIGION_PROTESTANT},
                               {"KRISTEN PROTESTAN", v1::RELIGION_PROTESTANT},
                               {"PROTESTAN", v1::RELIGION_PROTESTANT},
                               {"KATOLIK", v1::RELIGION_CATHOLIC},
                               {"KATHOLIK", v1::RELIGION_CATHOLIC},
                               {"KRISTEN KATOLIK", v1::RELIGION_CATHOLIC},
                               {"HINDU", v1::RELIGION_HINDU},
                               {"BUDDHA", v1::RELIGION_BUDDHIST},
                               {"BUDHA", v1::RELIGION_BUDDHIST},
                               {"KONGHUCU", v1::RELIGION_CONFUCIAN},
                               {"KHONGHUCU", v1::RELIGION_CONFUCIAN},
                               {"KEPERCAYAAN TERHADAP TUHAN YME", v1::RELIGION_BELIEF},
                               {"KEPERCAYAAN TERHADAP TUHAN YANG MAHA ESA", v1::RELIGION_BELIEF},
                               {"KEPERCAYAAN", v1::RELIGION_BELIEF}},
                              0.2, v1::RELIGION_UNSPECIFIED);
}

v1::MaritalStatus MaritalStatusOf(std::string_view printed) {
  // Tight: "KAWIN" and "BELUM KAWIN" differ by a word, never by noise.
  return Lookup<v1::MaritalStatus>(printed,
                                   {{"BELUM KAWIN", v1::MARITAL_STATUS_SINGLE},
                                    {"KAWIN", v1::MARITAL_STATUS_MARRIED},
                                    {"CERAI HIDUP", v1::MARITAL_STATUS_DIVORCED},
                                    {"CERAI MATI", v1::MARITAL_STATUS_WIDOWED}},
                                   0.2, v1::MARITAL_STATUS_UNSPECIFIED);
}

v1::BloodType BloodTypeOf(std::string_view printed) {
  std::string w;
  for (char c : printed) {
    if (c != ' ' && c != '\t') w.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  if (w == "-" || w == "--" || w == "TIDAKTAHU") return v1::BLOOD_TYPE_NOT_RECORDED;
  if (!w.empty() && (w.back() == '+' || w.back() == '-')) w.pop_back();
  if (w == "A") return v1::BLOOD_TYPE_A;
  if (w == "B") return v1::BLOOD_TYPE_B;
  if (w == "AB") return v1::BLOOD_TYPE_AB;
  if (w == "O" || w == "0") return v1::BLOOD_TYPE_O;
  return v1::BLOOD_TYPE_UNSPECIFIED;
}

v1::Rhesus RhesusOf(std::string_view printed) {
  std::string w;
  for (char c : printed) {
    if (c != ' ' && c != '\t') w.push_back(c);
  }
  if (w.size() < 2 || BloodTypeOf(w) == v1::BLOOD_TYPE_UNSPECIFIED || BloodTypeOf(w) == v1::BLOOD_TYPE_NOT_RECORDED) {
    return v1::RHESUS_UNSPECIFIED;
  }
  if (w.back() == '+') return v1::RHESUS_POSITIVE;
  if (w.back() == '-') return v1::RHESUS_NEGATIVE;
  return v1::RHESUS_UNSPECIFIED;
}

v1::Nationality NationalityOf(std::string_view printed) {
  // Exact folded keys: "WNI" and "WNA" differ in one letter.
  const std::string key = FoldedKey(printed);
  for (std::string_view wni : {"WNI", "INDONESIA", "WARGA NEGARA INDONESIA"}) {
    if (key == FoldedKey(wni)) return v1::NATIONALITY_INDONESIAN;
  }
  for (std::string_view wna : {"WNA", "WARGA NEGARA ASING"}) {
    if (key == FoldedKey(wna)) return v1::NATIONALITY_FOREIGN;
  }
  return v1::NATIONALITY_UNSPECIFIED;
}

bool IsForLife(std::string_view printed_valid_until) {
  return NamesClose(printed_valid_until, "SEUMUR HIDUP");
}

v1::NormalizedValues Normalize(const v1::KtpCard& card) {
  v1::NormalizedValues n;
  if (card.has_sex()) n.set_sex(SexOf(card.sex().value()));
  if (card.has_religion()) n.set_religion(ReligionOf(card.religion().value()));
  if (card.has_marital_status()) n.set_marital_status(MaritalStatusOf(card.marital_status().value()));
  if (card.has_blood_type()) {
    n.set_blood_type(BloodTypeOf(card.blood_type().value()));
    n.set_rhesus(RhesusOf(card.blood_type().value()));
  }
  if (card.has_nationality()) n.set_nationality(NationalityOf(card.nationality().value()));
  if (card.has_valid_until()) n.set_valid_for_life(IsForLife(card.valid_until().value()));
  return n;
}

bool RegionNameMatches(std::string_view printed, const Region& region) {
  std::string words = Words(printed);
  if (words.empty()) return false;
  switch (region.level) {
    case 1: {
      if (StartsWithWord(words, "PROVINSI")) words = words.substr(9);
      if (NamesClose(words, region.ktp_name)) return true;
      for (std::string_view alias : ProvinceAliases(region.code)) {
        if (FoldedKey(words) == FoldedKey(alias)) return true;
      }
      return false;
    }
    case 2: {
      // "KOTABARU" is a regency's whole name, not KOTA + BARU: try the text whole first.
      if (MatchesBareName(words, region)) return true;
      const auto [prefix, rest] = SplitRegencyPrefix(words);
      if (prefix == Prefix::kNone) return false;
      if ((prefix == Prefix::kCity) != region.is_city) return false;
      return MatchesBareName(rest, region);
    }
    default:
      if (region.level == 3 && StartsWithWord(words, "KECAMATAN")) words = words.substr(10);
      if (region.level == 4) {
        for (std::string_view p : {"KELURAHAN", "DESA", "KEL"}) {
          if (StartsWithWord(words, p)) {
            words = words.substr(p.size() + 1);
            break;
          }
        }
      }
      return NamesClose(words, region.ktp_name);
  }
}

absl::CivilDay IndonesianDay(absl::Time now) {
  static const absl::TimeZone wib = absl::FixedTimeZone(7 * 60 * 60);
  return absl::ToCivilDay(now, wib);
}

v1::IdentityValidation ValidateCard(const v1::KtpCard& card, absl::CivilDay today, const RegionDirectory& regions) {
  Checks checks;
  const bool has_nik = Present(card, &v1::KtpCard::nik, &v1::KtpCard::has_nik);
  // An engine that read a NIK it cannot trust returns the field with an empty value.
  const bool unreadable_nik = !has_nik && card.has_nik();
  const std::optional<NikParts> nik = has_nik ? SplitNik(card.nik().value()) : std::nullopt;
  const std::optional<absl::CivilDay> printed_birth = PrintedBirthDate(card);
  const std::string_view no_nik = has_nik ? "invalid_nik" : (unreadable_nik ? "unreadable_nik" : "missing_nik");

  // NIK format.
  if (!has_nik) {
    checks.Skip(v1::CHECK_KIND_NIK_FORMAT, no_nik);
  } else if (!nik) {
    checks.Fail(v1::CHECK_KIND_NIK_FORMAT, "not_16_digits");
  } else {
    checks.Pass(v1::CHECK_KIND_NIK_FORMAT);
  }

  // NIK region, and the decoded NIK.
  const Region* province = nullptr;
  const Region* city = nullptr;
  const Region* district = nullptr;
  bool superseded = false;
  std::optional<absl::CivilDay> nik_birth;
  if (nik) {
    district = regions.Find(nik->district_code);
    city = regions.Find(nik->district_code.substr(0, 5));
    province = regions.Find(nik->district_code.substr(0, 2));
    superseded = SupersededProvince(nik->district_code.substr(0, 2));
    v1::DecodedNik* decoded = checks.out().mutable_nik();
    decoded->mutable_province()->set_code(nik->district_code.substr(0, 2));
    decoded->mutable_province()->set_name(OfficialName(province));
    decoded->mutable_city_regency()->set_code(nik->district_code.substr(0, 5));
    decoded->mutable_city_regency()->set_name(OfficialName(city));
    decoded->mutable_district()->set_code(nik->district_code);
    decoded->mutable_district()->set_name(OfficialName(district));
    nik_birth = NikBirthDay(*nik, printed_birth, today);
    if (nik_birth) SetDate(*nik_birth, decoded->mutable_birth_date());
    if (nik->day_valid()) decoded->set_sex(nik->female() ? v1::SEX_FEMALE : v1::SEX_MALE);
    decoded->set_serial(nik->serial);
    if (district != nullptr) {
      checks.Pass(v1::CHECK_KIND_NIK_REGION);
    } else if (superseded) {
      checks.Skip(v1::CHECK_KIND_NIK_REGION, "superseded_code");
    } else {
      checks.Fail(v1::CHECK_KIND_NIK_REGION, "unknown_district");
    }
  } else {
    checks.Skip(v1::CHECK_KIND_NIK_REGION, no_nik);
  }

  // NIK birth date.
  if (!nik) {
    checks.Skip(v1::CHECK_KIND_NIK_BIRTH_DATE, no_nik);
  } else if (!nik_birth) {
    checks.Fail(v1::CHECK_KIND_NIK_BIRTH_DATE, "invalid_nik_date");
  } else if (!card.has_birth_date() || Words(card.birth_date().value()).empty()) {
    checks.Skip(v1::CHECK_KIND_NIK_BIRTH_DATE, "missing_birth_date");
  } else if (!printed_birth) {
    checks.Skip(v1::CHECK_KIND_NIK_BIRTH_DATE, "unreadable_birth_date");
  } else if (NikDateAgrees(*nik, *printed_birth)) {
    checks.Pass(v1::CHECK_KIND_NIK_BIRTH_DATE);
  } else {
    checks.Fail(v1::CHECK_KIND_NIK_BIRTH_DATE, "date_mismatch");
  }

  // NIK sex.
  const v1::Sex printed_sex = card.has_sex() ? SexOf(card.sex().value()) : v1::SEX_UNSPECIFIED;
  if (!nik) {
    checks.Skip(v1::CHECK_KIND_NIK_SEX, no_nik);
  } else if (!nik->day_valid()) {
    checks.Skip(v1::CHECK_KIND_NIK_SEX, "invalid_nik_date");
  } else if (!Present(card, &v1::KtpCard::sex, &v1::KtpCard::has_sex)) {
    checks.Skip(v1::CHECK_KIND_NIK_SEX, "missing_sex");
  } else if (printed_sex == v1::SEX_UNSPECIFIED) {
    checks.Skip(v1::CHECK_KIND_NIK_SEX, "unreadable_sex");
  } else if ((printed_sex == v1::SEX_FEMALE) == nik->female()) {
    checks.Pass(v1::CHECK_KIND_NIK_SEX);
  } else {
    checks.Fail(v1::CHECK_KIND_NIK_SEX, "sex_mismatch");
  }

  // Printed regions and village against the NIK's district.
  if (district != nullptr) {
    CheckRegionNames(card, province, city, district, superseded, checks);
    CheckVillage(card, district, superseded, regions, checks);
  } else {
    const std::string_view why = !nik ? no_nik : (superseded ? "superseded_code" : "unknown_district");
    checks.Skip(v1::CHECK_KIND_REGION_NAMES, why);
    checks.Skip(v1::CHECK_KIND_VILLAGE, why);
  }

  CheckValidUntil(card, today, checks);
  CheckAge(card, printed_birth ? printed_birth : nik_birth, today, checks);
  return checks.Finish();
}

const char* CheckKindLabel(v1::CheckKind kind) {
  switch (kind) {
    case v1::CHECK_KIND_NIK_FORMAT: return "nik_format";
    case v1::CHECK_KIND_NIK_REGION: return "nik_region";
    case v1::CHECK_KIND_NIK_BIRTH_DATE: return "nik_birth_date";
    case v1::CHECK_KIND_NIK_SEX: return "nik_sex";
    case v1::CHECK_KIND_REGION_NAMES: return "region_names";
    case v1::CHECK_KIND_VILLAGE: return "village";
    case v1::CHECK_KIND_VALID_UNTIL: return "valid_until";
    case v1::CHECK_KIND_AGE: return "age";
    default: return "unspecified";
  }
}

const char* CheckOutcomeLabel(v1::CheckOutcome outcome) {
  switch (outcome) {
    case v1::CHECK_OUTCOME_PASS: return "pass";
    case v1::CHECK_OUTCOME_FAIL: return "fail";
    case v1::CHECK_OUTCOME_NOT_CHECKED: return "not_checked";
    default: return "unspecified";
  }
}

}  // namespace ktp::identity
