// Validated identity: what a KTP reading says about itself. Decodes the NIK
// (district, birth date, sex, serial), runs the checks of
// ktp.v1.IdentityValidation against the printed fields, and derives the typed
// ktp.v1.NormalizedValues. Pure functions of the card, the day and the region
// table, shared by both engines (backend/validating_backend) and by the
// offline reader's own NIK cross-check and NIK candidate search.
// Nothing here logs, and no detail string ever carries a personal value.
#ifndef KTP_IDENTITY_IDENTITY_VALIDATION_H_
#define KTP_IDENTITY_IDENTITY_VALIDATION_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "identity/region_directory.h"
#include "ktp/v1/ktp_ocr.pb.h"

namespace ktp::identity {

// The parts of a 16-digit NIK: PP RR DD | DD MM YY | SSSS.
struct NikParts {
  std::string district_code;  // dotted, "32.04.12"
  int day = 0;                // as encoded, before removing the +40 for women
  int month = 0;
  int two_digit_year = 0;
  std::string serial;
  // Day code 41–71: female; 1–31: male; anything else: neither (day_valid false).
  bool female() const { return day > 40; }
  int birth_day() const { return female() ? day - 40 : day; }
  bool day_valid() const { return (day >= 1 && day <= 31) || (day >= 41 && day <= 71); }
};

// nullopt unless `nik` is exactly 16 ASCII digits.
std::optional<NikParts> SplitNik(std::string_view nik);

// The birth date a NIK encodes, its century chosen as documented on
// ktp.v1.DecodedNik.birth_date: the printed birth date's year when it ends in
// the NIK's two digits, else the latest such year not after `today`.
// nullopt when DDMMYY is not a calendar date (day 00, 32–40, > 71, month 13,
// 30 February, 29 February of a year that is not leap).
std::optional<absl::CivilDay> NikBirthDay(const NikParts& nik, std::optional<absl::CivilDay> printed,
                                          absl::CivilDay today);

// What the rest of a card says about its NIK, for choosing among candidate
// readings of the NIK (the offline reader's constrained search).
struct NikEvidence {
  std::optional<absl::CivilDay> birth_date;  // the printed one, when read
  v1::Sex sex = v1::SEX_UNSPECIFIED;         // the printed one
  std::string province;                      // printed names, "" when not read
  std::string city_regency;
  std::string district;
};

// How well a NIK agrees with itself, the region table and the evidence.
struct NikScore {
  bool district_exists = false;
  bool date_valid = false;    // DDMMYY is a calendar day (any century)
  bool date_agrees = false;   // … and equals the printed birth date
  bool date_disagrees = false;
  // Disagrees in exactly one of the six DDMMYY digits: one digit misread on
  // the NIK or in the printed date (which of the two, the date cannot say).
  bool date_one_digit_off = false;
  bool sex_agrees = false;
  bool sex_disagrees = false;
  int regions_agreeing = 0;   // printed names naming the NIK's region
  int regions_disagreeing = 0;
};
NikScore ScoreNik(const NikParts& nik, const NikEvidence& evidence,
                  const RegionDirectory& regions = RegionDirectory::Embedded());

// A printed date, DD-MM-YYYY (also '/', '.' or ' ' between the parts); nullopt
// when it is not a calendar date.
std::optional<absl::CivilDay> ParsePrintedDate(std::string_view text);

// Whether a NIK's DDMMYY is a calendar day in 19YY or 20YY.
bool NikDateIsValid(const NikParts& nik);

// Whether a NIK's DDMMYY equals `printed` (day, month, two-digit year).
bool NikDateAgrees(const NikParts& nik, absl::CivilDay printed);

// The typed form of a printed closed-vocabulary value; UNSPECIFIED when the
// text matches no entry (small OCR noise tolerated, never a guess).
v1::Sex SexOf(std::string_view printed);
v1::Religion ReligionOf(std::string_view printed);
v1::MaritalStatus MaritalStatusOf(std::string_view printed);
v1::BloodType BloodTypeOf(std::string_view printed);
v1::Rhesus RhesusOf(std::string_view printed);
v1::Nationality NationalityOf(std::string_view printed);
bool IsForLife(std::string_view printed_valid_until);

// Every typed value of `card` (ktp.v1.KtpCard.normalized).
v1::NormalizedValues Normalize(const v1::KtpCard& card);

// Whether a printed region name names `region` (any level). Tolerates case,
// spacing and punctuation, the KAB./KABUPATEN/KOTA (ADM.) prefixes, the long
// and short forms of DKI Jakarta and DI Yogyakarta, a regency's former name
// (Toba Samosir → Toba…) and small spelling noise (≤ 20 % of the letters on
// names of 5+ letters, exact below). A prefix that contradicts the region's
// kind ("KOTA BANDUNG" for Kabupaten Bandung) does not match.
bool RegionNameMatches(std::string_view printed, const Region& region);

// The day at `now` in Western Indonesia Time (UTC+7), the calendar the age and
// expiry checks use: a read at 20:00 UTC on the 16th is on the 17th in Jakarta.
absl::CivilDay IndonesianDay(absl::Time now);

// Runs every check on `card` as of `today` (see ktp.v1.IdentityValidation).
v1::IdentityValidation ValidateCard(const v1::KtpCard& card, absl::CivilDay today,
                                    const RegionDirectory& regions = RegionDirectory::Embedded());

// Bounded metric/log labels: "nik_format", "pass"…
const char* CheckKindLabel(v1::CheckKind kind);
const char* CheckOutcomeLabel(v1::CheckOutcome outcome);

}  // namespace ktp::identity

#endif  // KTP_IDENTITY_IDENTITY_VALIDATION_H_
