// Indonesia's administrative regions (Kemendagri codes, data/wilayah): the
// first six digits of every NIK name a province / regency-or-city / district.
// The local reader snaps OCR'd region names to this list and cross-checks them
// with the NIK; ktp-synth draws invented identities from it. The table is
// compiled into the binary (no data files to ship) and parsed once.
#ifndef KTP_IDENTITY_REGION_DIRECTORY_H_
#define KTP_IDENTITY_REGION_DIRECTORY_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace ktp::identity {

// One region. `code` is dotted ("32", "32.04", "32.04.12", "32.04.12.2001").
struct Region {
  std::string code;
  // As in the table: "Jawa Barat", "Kabupaten Bandung", "Kota Bandung", "Cibiru".
  std::string name;
  // As printed on a KTP and returned by the API: upper case, and for regencies
  // and cities without the "KABUPATEN " / "KOTA " prefix ("BANDUNG"); the two
  // special provinces abbreviated ("DKI JAKARTA", "DI YOGYAKARTA").
  std::string ktp_name;
  // 1 province, 2 regency/city, 3 district (kecamatan), 4 village (kelurahan/desa).
  int level = 0;
  // Level 2 only: true for a city (codes 71–99), false for a regency.
  bool is_city = false;
};

class RegionDirectory {
 public:
  // The table compiled into the binary, parsed on first use (thread-safe).
  static const RegionDirectory& Embedded();

  // Parses `code<TAB>name` lines (regions: levels 1–3, villages: level 4).
  static absl::StatusOr<RegionDirectory> Parse(std::string_view regions_tsv,
                                               std::string_view villages_tsv);

  // The region with this dotted code, or nullptr.
  const Region* Find(std::string_view dotted_code) const;
  // Direct children of a region ("32" → its regencies/cities), in table order.
  // An empty code lists the provinces.
  const std::vector<const Region*>& Children(std::string_view dotted_code) const;
  // Every region of one level, in table order.
  const std::vector<const Region*>& Level(int level) const;

  // "3204120101900001" → "32.04.12" (the district code); "" when the first six
  // characters are not digits.
  static std::string DistrictCodeOfNik(std::string_view nik);

 private:
  std::vector<Region> regions_;
  absl::flat_hash_map<std::string, size_t> by_code_;
  absl::flat_hash_map<std::string, std::vector<const Region*>> children_;
  std::vector<const Region*> levels_[5];
  std::vector<const Region*> empty_;
};

}  // namespace ktp::identity

#endif  // KTP_IDENTITY_REGION_DIRECTORY_H_
