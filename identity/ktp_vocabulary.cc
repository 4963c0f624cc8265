// KTP closed vocabularies and the folded-key comparison (see ktp_vocabulary.h).
#include "identity/ktp_vocabulary.h"

#include <algorithm>

namespace ktp::identity {
namespace {

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

char FoldOne(char c) {
  switch (c) {
    case 'l':
    case '1':
      return 'i';
    case '0':
      return 'o';
    case 'q':
      return 'g';
    case '5':
      return 's';
    case '8':
      return 'b';
    default:
      return c;
  }
}

}  // namespace

void AppendFoldedKey(std::string_view text, std::string* key, std::vector<size_t>* source_end) {
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = Lower(text[i]);
    if (!IsAsciiAlnum(c)) continue;
    // Two-glyph confusions: "rn" reads like m, "vv" like w.
    if (i + 1 < text.size()) {
      const char next = Lower(text[i + 1]);
      if ((c == 'r' && next == 'n') || (c == 'v' && next == 'v')) {
        key->push_back(c == 'r' ? 'm' : 'w');
        if (source_end) source_end->push_back(i + 2);
        ++i;
        continue;
      }
    }
    key->push_back(FoldOne(c));
    if (source_end) source_end->push_back(i + 1);
  }
}

std::string FoldedKey(std::string_view text) {
  std::string key;
  AppendFoldedKey(text, &key);
  return key;
}

int EditDistance(std::string_view a, std::string_view b) {
  if (a.size() < b.size()) std::swap(a, b);
  std::vector<int> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int diagonal = row[0];
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      const int up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

double KeyDistance(std::string_view a, std::string_view b) {
  const std::string ka = FoldedKey(a);
  const std::string kb = FoldedKey(b);
  if (ka.empty() || kb.empty()) return 1.0;
  return static_cast<double>(EditDistance(ka, kb)) / static_cast<double>(std::max(ka.size(), kb.size()));
}

VocabularyMatch NearestInVocabulary(std::string_view text, const std::vector<std::string_view>& vocabulary) {
  VocabularyMatch best;
  for (std::string_view entry : vocabulary) {
    const double d = KeyDistance(text, entry);
    if (best.value.empty() || d < best.distance) best = {entry, d};
  }
  return best;
}

const std::vector<std::string_view>& SexVocabulary() {
  static const std::vector<std::string_view> v = {"LAKI-LAKI", "PEREMPUAN"};
  return v;
}

const std::vector<std::string_view>& ReligionVocabulary() {
  static const std::vector<std::string_view> v = {"ISLAM",    "KRISTEN",  "KATOLIK",
                                                  "HINDU",    "BUDDHA",   "KONGHUCU",
                                                  "KEPERCAYAAN TERHADAP TUHAN YME"};
  return v;
}

const std::vector<std::string_view>& MaritalStatusVocabulary() {
  static const std::vector<std::string_view> v = {"KAWIN", "BELUM KAWIN", "CERAI HIDUP", "CERAI MATI"};
  return v;
}

const std::vector<std::string_view>& NationalityVocabulary() {
  // WNI first: it wins ties, being by far the commoner.
  static const std::vector<std::string_view> v = {"WNI", "WNA"};
  return v;
}

const std::vector<std::string_view>& OccupationVocabulary() {
  // Dukcapil's "jenis pekerjaan" codes 1–89, commonest first.
  static const std::vector<std::string_view> v = {
      "KARYAWAN SWASTA",
      "WIRASWASTA",
      "PELAJAR/MAHASISWA",
      "MENGURUS RUMAH TANGGA",
      "BELUM/TIDAK BEKERJA",
      "PETANI/PEKEBUN",
      "PEGAWAI NEGERI SIPIL",
      "BURUH HARIAN LEPAS",
      "PEDAGANG",
      "GURU",
      "PENSIUNAN",
      "NELAYAN/PERIKANAN",
      "SOPIR",
      "TENTARA NASIONAL INDONESIA",
      "KEPOLISIAN RI",
      "PERDAGANGAN",
      "PETERNAK",
      "INDUSTRI",
      "KONSTRUKSI",
      "TRANSPORTASI",
      "KARYAWAN BUMN",
      "KARYAWAN BUMD",
      "KARYAWAN HONORER",
      "BURUH TANI/PERKEBUNAN",
      "BURUH NELAYAN/PERIKANAN",
      "BURUH PETERNAKAN",
      "PEMBANTU RUMAH TANGGA",
      "TUKANG CUKUR",
      "TUKANG LISTRIK",
      "TUKANG BATU",
      "TUKANG KAYU",
      "TUKANG SOL SEPATU",
      "TUKANG LAS/PANDAI BESI",
      "TUKANG JAHIT",
      "TUKANG GIGI",
      "PENATA RIAS",
      "PENATA BUSANA",
      "PENATA RAMBUT",
      "MEKANIK",
      "SENIMAN",
      "TABIB",
      "PARAJI",
      "PERANCANG BUSANA",
      "PENTERJEMAH",
      "IMAM MASJID",
      "PENDETA",
      "PASTOR",
      "WARTAWAN",
      "USTADZ/MUBALIGH",
      "JURU MASAK",
      "PROMOTOR ACARA",
      "ANGGOTA DPR-RI",
      "ANGGOTA DPD",
      "ANGGOTA BPK",
      "PRESIDEN",
      "WAKIL PRESIDEN",
      "ANGGOTA MAHKAMAH KONSTITUSI",
      "ANGGOTA KABINET/KEMENTERIAN",
      "DUTA BESAR",
      "GUBERNUR",
      "WAKIL GUBERNUR",
      "BUPATI",
      "WAKIL BUPATI",
      "WALIKOTA",
      "WAKIL WALIKOTA",
      "ANGGOTA DPRD PROVINSI",
      "ANGGOTA DPRD KABUPATEN/KOTA",
      "DOSEN",
      "PILOT",
      "PENGACARA",
      "NOTARIS",
      "ARSITEK",
      "AKUNTAN",
      "KONSULTAN",
      "DOKTER",
      "BIDAN",
      "PERAWAT",
      "APOTEKER",
      "PSIKIATER/PSIKOLOG",
      "PENYIAR TELEVISI",
      "PENYIAR RADIO",
      "PELAUT",
      "PENELITI",
      "PIALANG",
      "PARANORMAL",
      "PERANGKAT DESA",
      "KEPALA DESA",
      "BIARAWATI",
      "LAINNYA",
  };
  return v;
}

}  // namespace ktp::identity
