// Invented KTP identities (see identity.h). Names are free combinations of
// common Indonesian given and family names; addresses are generic templates.
#include "synth/identity.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace ktp::synth {
namespace {

using Strings = std::vector<std::string>;

const Strings& MaleGivenNames() {
  static const Strings* v = new Strings{
      "AHMAD",  "BUDI",    "AGUS",   "RUDI",   "DEDI",  "HENDRA",  "IWAN",      "JOKO",
      "EKO",    "BAMBANG", "SURYA",  "ADI",    "ARIF",  "BAYU",    "DIMAS",     "FAJAR",
      "GILANG", "HADI",    "IRFAN",  "YOGA",   "RIZKY", "TAUFIK",  "WAHYU",     "YUSUF",
      "ANDI",   "RAHMAT",  "SLAMET", "SUGENG", "TEGUH", "ILHAM",   "KURNIAWAN", "MUHAMMAD",
      "NUR",    "PUTU",    "MADE",   "KETUT",  "WAYAN", "GEDE",    "ASEP",      "UJANG",
      "DENI",   "FIRMAN",  "HERU",   "LUKMAN", "RAMA",  "SATRIO",  "TRI",       "YUDI",
      "ZAINAL", "RIDWAN",  "FAISAL", "HASAN",  "IMAM",  "KHOIRUL", "SYAIFUL",   "DANANG"};
  return *v;
}

const Strings& FemaleGivenNames() {
  static const Strings* v = new Strings{
      "SITI",  "DEWI",   "SRI",    "RINA",    "YULI",   "ANI",    "LESTARI", "WULAN", "PUTRI",
      "INDAH", "AYU",    "FITRI",  "NURUL",   "RATNA",  "DIAN",   "MEGA",    "NOVI",  "RATIH",
      "SARI",  "TUTI",   "WATI",   "YANTI",   "ENDANG", "LINDA",  "MAYA",    "NINA",  "RISKA",
      "SINTA", "TIARA",  "UMI",    "VINA",    "WIDYA",  "ZAHRA",  "ANISA",   "DINDA", "ELSA",
      "FARAH", "HANA",   "INTAN",  "KARTIKA", "LAILA",  "MELATI", "NADIA",   "RAHMA", "SALSA",
      "NENG",  "NI LUH", "KOMANG", "EVI",     "TITIN"};
  return *v;
}

// Rare names with an apostrophe, as they appear on real cards.
const Strings& ApostropheNames() {
  static const Strings* v = new Strings{"MA'RUF", "NU'MAN", "JA'FAR", "SA'ADAH", "MU'TI"};
  return *v;
}

const Strings& FamilyNames() {
  static const Strings* v =
      new Strings{"SANTOSO",   "WIJAYA",    "SETIAWAN",    "PRASETYO",    "HIDAYAT",   "SAPUTRA",
                  "NUGROHO",   "KUSUMA",    "PERMANA",     "GUNAWAN",     "SIREGAR",   "NASUTION",
                  "LUBIS",     "HARAHAP",   "SIMANJUNTAK", "PANJAITAN",   "SITORUS",   "TAMBUNAN",
                  "WAHYUDI",   "SUSANTO",   "HARTONO",     "PURNAMA",     "RAMADHAN",  "FIRMANSYAH",
                  "HAKIM",     "UTAMI",     "LESTARI",     "WULANDARI",   "RAHAYU",    "PRATIWI",
                  "MAHARANI",  "ANGGRAINI", "SUSANTI",     "HANDAYANI",   "KURNIASIH", "MARDIANA",
                  "SULISTYO",  "SYAHPUTRA", "EFENDI",      "SIHOMBING",   "TARIGAN",   "GINTING",
                  "SEMBIRING", "MANURUNG",  "PANGARIBUAN", "LATUHARHARY", "MANOPPO",   "PONTOH",
                  "RUMBIAK",   "DAENG"};
  return *v;
}

const Strings& StreetNames() {
  static const Strings* v =
      new Strings{"MERDEKA",          "SUDIRMAN",     "DIPONEGORO",  "GATOT SUBROTO", "AHMAD YANI",
                  "PEMUDA",           "MAWAR",        "MELATI",      "ANGGREK",       "KENANGA",
                  "PAHLAWAN",         "PASAR BARU",   "CEMPAKA",     "FLAMBOYAN",     "KARTINI",
                  "SISINGAMANGARAJA", "GAJAH MADA",   "HAYAM WURUK", "IMAM BONJOL",   "TERATAI",
                  "CENDRAWASIH",      "RAJAWALI",     "MANGGA",      "RAMBUTAN",      "NANGKA",
                  "KELAPA GADING",    "SIMPANG LIMA", "RAYA TIMUR",  "RAYA BARAT",    "BHAYANGKARA",
                  "SILIWANGI",        "VETERAN",      "CENDANA",     "PELITA"};
  return *v;
}

const Strings& PlaceWords() {
  static const Strings* v =
      new Strings{"KRAJAN",      "SUKAMAJU",     "SUKAMULYA",  "MEKARSARI",     "TANJUNG",
                  "SUMBER REJO", "KARANG ANYAR", "WONOSARI",   "CIKUPA",        "MARGAHAYU",
                  "SIDOMULYO",   "BATU AMPAR",   "SUKARAME",   "KEBON JERUK",   "PASIR PUTIH",
                  "BUKIT INDAH", "GRIYA ASRI",   "TAMAN SARI", "PERMATA HIJAU", "BUMI ASRI"};
  return *v;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int DaysIn(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}
std::string Date(int d, int m, int y) { return absl::StrFormat("%02d-%02d-%04d", d, m, y); }

std::string MakeName(Rng& rng, bool female) {
  const Strings& given = female ? FemaleGivenNames() : MaleGivenNames();
  // Balinese: "I" (men) / "NI" (women), a birth-order name, one or two more.
  if (rng.Chance(0.05)) {
    static const Strings* order = new Strings{"WAYAN", "MADE", "NYOMAN", "KETUT", "PUTU", "GEDE"};
    std::string name = absl::StrCat(female ? "NI " : "I ", rng.Pick(*order), " ", rng.Pick(given));
    if (rng.Chance(0.4)) absl::StrAppend(&name, " ", rng.Pick(given));
    return name;
  }
  const int words = static_cast<int>(rng.Weighted({0.15, 0.55, 0.30})) + 1;
  std::string first = rng.Chance(0.03) ? rng.Pick(ApostropheNames()) : rng.Pick(given);
  if (words == 1) return first;
  if (words == 2) {
    return absl::StrCat(first, " ", rng.Chance(0.6) ? rng.Pick(FamilyNames()) : rng.Pick(given));
  }
  std::string second = rng.Pick(given);
  if (second == first) second = rng.Pick(given);
  return absl::StrCat(first, " ", second, " ", rng.Pick(FamilyNames()));
}

std::string MakeAddress(Rng& rng) {
  switch (rng.Weighted({0.40, 0.15, 0.15, 0.10, 0.10, 0.10})) {
    case 0:
      return absl::StrCat("JL. ", rng.Pick(StreetNames()), " NO. ", rng.Int(1, 150));
    case 1:
      return absl::StrCat("DUSUN ", rng.Pick(PlaceWords()));
    case 2: {
      const char block = static_cast<char>('A' + rng.Int(0, 7));
      return absl::StrCat("PERUM ", rng.Pick(PlaceWords()), " BLOK ", std::string(1, block),
                          rng.Int(1, 12), " NO. ", rng.Int(1, 40));
    }
    case 3:
      return absl::StrCat("KOMP. ", rng.Pick(PlaceWords()), " NO. ", rng.Int(1, 80));
    case 4:
      return absl::StrCat("GG. ", rng.Pick(StreetNames()), " NO. ", rng.Int(1, 60));
    default:
      return absl::StrCat("KP. ", rng.Pick(PlaceWords()));
  }
}

}  // namespace

std::map<std::string, std::string> Identity::Fields() const {
  return {{"nik", nik},
          {"name", name},
          {"birth_place", birth_place},
          {"birth_date", birth_date},
          {"sex", sex},
          {"blood_type", blood_type},
          {"address", address},
          {"rt_rw", rt_rw},
          {"village", village},
          {"district", district},
          {"religion", religion},
          {"marital_status", marital_status},
          {"occupation", occupation},
          {"nationality", nationality},
          {"valid_until", valid_until},
          {"province", province},
          {"city_regency", city_regency}};
}

const std::vector<std::string>& FieldNames() {
  static const Strings* v = new Strings{
      "nik",        "name",        "birth_place", "birth_date", "sex",         "blood_type",
      "address",    "rt_rw",       "village",     "district",   "religion",    "marital_status",
      "occupation", "nationality", "valid_until", "province",   "city_regency"};
  return *v;
}

const std::vector<std::string>& Religions() {
  static const Strings* v =
      new Strings{"ISLAM", "KRISTEN", "KATOLIK", "HINDU", "BUDDHA", "KONGHUCU"};
  return *v;
}
const std::vector<std::string>& MaritalStatuses() {
  static const Strings* v = new Strings{"BELUM KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI"};
  return *v;
}
const std::vector<std::string>& BloodTypes() {
  static const Strings* v = new Strings{"A", "B", "AB", "O", "-"};
  return *v;
}
const std::vector<std::string>& Sexes() {
  static const Strings* v = new Strings{"LAKI-LAKI", "PEREMPUAN"};
  return *v;
}
const std::vector<std::string>& Occupations() {
  static const Strings* v = new Strings{"BELUM/TIDAK BEKERJA",
                                        "MENGURUS RUMAH TANGGA",
                                        "PELAJAR/MAHASISWA",
                                        "PENSIUNAN",
                                        "PEGAWAI NEGERI SIPIL",
                                        "TENTARA NASIONAL INDONESIA",
                                        "KEPOLISIAN RI",
                                        "PERDAGANGAN",
                                        "PETANI/PEKEBUN",
                                        "PETERNAK",
                                        "NELAYAN/PERIKANAN",
                                        "INDUSTRI",
                                        "KONSTRUKSI",
                                        "TRANSPORTASI",
                                        "KARYAWAN SWASTA",
                                        "KARYAWAN BUMN",
                                        "KARYAWAN HONORER",
                                        "BURUH HARIAN LEPAS",
                                        "BURUH TANI/PERKEBUNAN",
                                        "PEMBANTU RUMAH TANGGA",
                                        "TUKANG BATU",
                                        "TUKANG KAYU",
                                        "SOPIR",
                                        "GURU",
                                        "DOSEN",
                                        "DOKTER",
                                        "BIDAN",
                                        "PERAWAT",
                                        "PEDAGANG",
                                        "WIRASWASTA",
                                        "PERANGKAT DESA",
                                        "SENIMAN",
                                        "MEKANIK"};
  return *v;
}

absl::StatusOr<Identity> MakeIdentity(Rng& rng, const identity::RegionDirectory& regions,
                                      const FitsFn& fits) {
  const auto& districts = regions.Level(3);
  if (districts.empty()) return absl::FailedPreconditionError("region table has no districts");
  Identity id;

  // Region chain; redraw when a name does not fit its line or a level is missing.
  bool found = false;
  for (int attempt = 0; attempt < 200 && !found; ++attempt) {
    const identity::Region* district = rng.Pick(districts);
    const std::string& dc = district->code;  // "32.04.12"
    if (dc.size() != 8) continue;
    const identity::Region* province = regions.Find(dc.substr(0, 2));
    const identity::Region* regency = regions.Find(dc.substr(0, 5));
    const auto& villages = regions.Children(dc);
    if (province == nullptr || regency == nullptr || villages.empty()) continue;
    const std::string header2 =
        absl::StrCat(regency->is_city ? "KOTA " : "KABUPATEN ", regency->ktp_name);
    if (!fits("header", "PROVINSI " + province->ktp_name) || !fits("header", header2) ||
        !fits("value", district->ktp_name) || !fits("issue", regency->ktp_name)) {
      continue;
    }
    const identity::Region* village = nullptr;
    for (int v = 0; v < 10; ++v) {
      const identity::Region* cand = rng.Pick(villages);
      if (fits("value", cand->ktp_name)) {
        village = cand;
        break;
      }
    }
    if (village == nullptr) continue;
    id.province = province->ktp_name;
    id.city_regency = regency->ktp_name;
    id.is_city = regency->is_city;
    id.district = district->ktp_name;
    id.district_code = dc;
    id.village = village->ktp_name;
    id.village_code = village->code;
    found = true;
  }
  if (!found) return absl::FailedPreconditionError("no usable region chain in the table");

  const bool female = rng.Chance(0.5);
  id.sex = female ? "PEREMPUAN" : "LAKI-LAKI";
  const int by = rng.Int(1950, 2007);
  const int bm = rng.Int(1, 12);
  const int bd = rng.Int(1, DaysIn(by, bm));
  id.birth_date = Date(bd, bm, by);
  const int age = 2025 - by;

  // Birth place: mostly the card's own regency, else any regency/city.
  const auto& level2 = regions.Level(2);
  id.birth_place = id.city_regency;
  if (rng.Chance(0.35) && !level2.empty()) {
    for (int a = 0; a < 20; ++a) {
      const std::string& cand = rng.Pick(level2)->ktp_name;
      if (fits("value", absl::StrCat(cand, ", ", id.birth_date))) {
        id.birth_place = cand;
        break;
      }
    }
  }
  if (!fits("value", absl::StrCat(id.birth_place, ", ", id.birth_date))) {
    // The own regency is too long with the date: take a short neighbour.
    for (int a = 0; a < 200; ++a) {
      const std::string& cand = rng.Pick(level2)->ktp_name;
      if (fits("value", absl::StrCat(cand, ", ", id.birth_date))) {
        id.birth_place = cand;
        break;
      }
    }
  }

  id.nik = absl::StrCat(absl::StrReplaceAll(id.district_code, {{".", ""}}),
                        absl::StrFormat("%02d%02d%02d", bd + (female ? 40 : 0), bm, by % 100),
                        absl::StrFormat("%04d", rng.Int(1, 9999)));

  for (int a = 0; a < 20; ++a) {
    id.name = MakeName(rng, female);
    if (fits("value", id.name)) break;
  }
  if (!fits("value", id.name)) id.name = female ? "SITI" : "BUDI";
  for (int a = 0; a < 20; ++a) {
    id.address = MakeAddress(rng);
    if (fits("value", id.address)) break;
  }
  if (!fits("value", id.address)) id.address = "JL. MERDEKA NO. 1";
  id.rt_rw = absl::StrFormat("%03d/%03d", rng.Int(1, 20), rng.Int(1, 15));
  id.blood_type = rng.Pick(BloodTypes());
  id.religion = Religions()[rng.Weighted({0.80, 0.08, 0.04, 0.04, 0.03, 0.01})];

  if (age < 22) {
    id.marital_status = rng.Chance(0.85) ? "BELUM KAWIN" : "KAWIN";
  } else {
    id.marital_status = MaritalStatuses()[rng.Weighted({0.2, 0.65, 0.08, age > 55 ? 0.15 : 0.03})];
  }
  if (age < 24 && rng.Chance(0.6)) {
    id.occupation = "PELAJAR/MAHASISWA";
  } else if (age > 60 && rng.Chance(0.4)) {
    id.occupation = "PENSIUNAN";
  } else {
    id.occupation = rng.Pick(Occupations());
  }
  id.nationality = "WNI";

  // Issued on or after the 17th birthday, in the e-KTP era.
  const int iy = rng.Int(std::max(2012, by + 17), 2024);
  const int im = rng.Int(1, 12);
  id.issue_date = Date(rng.Int(1, DaysIn(iy, im)), im, iy);
  id.issue_place = id.city_regency;
  // Early e-KTPs expired five years after issue, on the birthday.
  if (rng.Chance(0.12)) {
    const int vy = iy + 5;
    id.valid_until = Date(std::min(bd, DaysIn(vy, bm)), bm, vy);
  } else {
    id.valid_until = "SEUMUR HIDUP";
  }
  return id;
}

}  // namespace ktp::synth
