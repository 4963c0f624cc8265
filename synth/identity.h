// Invented KTP identities: a consistent region chain (province → regency/city →
// district → village from the embedded Kemendagri table), a NIK built from it
// and the birth date, and personal fields from built-in vocabularies. Every
// value is upper case and exactly what the API returns. No real person's data.
#ifndef KTP_SYNTH_IDENTITY_H_
#define KTP_SYNTH_IDENTITY_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "synth/random.h"
#include "identity/region_directory.h"

namespace ktp::synth {

struct Identity {
  // The 17 KtpCard fields (proto field names).
  std::string nik, name, birth_place, birth_date, sex, blood_type, address, rt_rw, village,
      district, religion, marital_status, occupation, nationality, valid_until, province,
      city_regency;
  // Printed under the photo; not KtpCard fields.
  std::string issue_place, issue_date;
  // Header line 2 is "KOTA <city_regency>" when true, else "KABUPATEN ...".
  bool is_city = false;
  std::string district_code;  // dotted, "32.04.12"
  std::string village_code;   // dotted, "32.04.12.2001"

  // proto field name → value, all 17 keys.
  std::map<std::string, std::string> Fields() const;
};

// The 17 KtpCard field names in proto order.
const std::vector<std::string>& FieldNames();

// Vocabularies as printed on cards (shared with the field parser's author).
const std::vector<std::string>& Religions();
const std::vector<std::string>& MaritalStatuses();
const std::vector<std::string>& BloodTypes();  // includes "-"
const std::vector<std::string>& Occupations();
const std::vector<std::string>& Sexes();  // "LAKI-LAKI", "PEREMPUAN"

// Says whether a printed line fits; which line is named by `slot`:
// "header" (a centred header line), "value" (the value column),
// "issue" (under the photo).
using FitsFn = std::function<bool(const std::string& slot, const std::string& text)>;

// Draws one identity. Region or value strings that do not fit are redrawn.
// Fails only when the region table is empty or unusable.
absl::StatusOr<Identity> MakeIdentity(Rng& rng, const identity::RegionDirectory& regions,
                                      const FitsFn& fits);

}  // namespace ktp::synth

#endif  // KTP_SYNTH_IDENTITY_H_
