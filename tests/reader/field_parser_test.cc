// Unit tests of reader/field_parser (and the ktp_vocabulary helpers it
// snaps with): the clean synthetic card; every kind of OCR noise the reader
// meets (missing/doubled colons, label typos, stray characters, case,
// split and merged lines, Gol. Darah placement, digit confusions in the NIK,
// header variants); NIK repair and rejection; vocabulary snapping; region
// snapping via the NIK and without; place/date splitting; date_value;
// valid_until forms; multi-line address; polygons and confidence ranges;
// positional fallback; and garbage input (random bytes, huge lines).
#include "reader/field_parser.h"

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "identity/ktp_vocabulary.h"

namespace ktp::reader {
namespace {

constexpr char kRegionsTsv[] =
    "32\tJawa Barat\n"
    "32.04\tKabupaten Bandung\n"
    "32.04.12\tCibiru\n"
    "32.04.13\tCileunyi\n"
    "32.73\tKota Bandung\n"
    "32.73.01\tSukasari\n"
    "32.01\tKabupaten Bogor\n"
    "32.01.01\tCibinong\n"
    "33\tJawa Tengah\n"
    "33.74\tKota Semarang\n"
    "33.74.01\tSemarang Tengah\n"
    "31\tDaerah Khusus Ibukota Jakarta\n"
    "31.74\tKota Administrasi Jakarta Selatan\n"
    "31.74.01\tTebet\n"
    "35\tJawa Timur\n"
    "35.16\tKabupaten Mojokerto\n"
    "35.16.07\tPuri\n"
    "63\tKalimantan Selatan\n"
    "63.02\tKabupaten Kotabaru\n"
    "52\tNusa Tenggara Barat\n"
    "52.04\tKabupaten Sumbawa\n"
    "52.04.12\tLape\n";
constexpr char kVillagesTsv[] =
    "32.04.12.2001\tSukamaju\n"
    "32.04.12.2002\tCibiru Wetan\n"
    "32.04.12.2003\tCinunuk\n"
    "32.04.13.2001\tCimekar\n"
    "33.74.01.1001\tKembangsari\n"
    "31.74.01.1001\tTebet Barat\n";

const identity::RegionDirectory& TestRegions() {
  static const identity::RegionDirectory* const dir = [] {
    auto parsed = identity::RegionDirectory::Parse(kRegionsTsv, kVillagesTsv);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return new identity::RegionDirectory(*std::move(parsed));
  }();
  return *dir;
}

// One OCR line: words split on spaces, 10 px per character, 40 px per line.
reader::OcrLine MakeLine(const std::string& text, int row, float confidence = 90) {
  reader::OcrLine line;
  line.text = text;
  line.confidence = confidence;
  line.box = {10, 10 + 40 * row, static_cast<int>(text.size()) * 10, 30};
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && text[pos] == ' ') ++pos;
    if (pos >= text.size()) break;
    size_t end = text.find(' ', pos);
    if (end == std::string::npos) end = text.size();
    reader::OcrWord w;
    w.text = text.substr(pos, end - pos);
    w.confidence = confidence;
    w.box = {10 + static_cast<int>(pos) * 10, 10 + 40 * row, static_cast<int>(end - pos) * 10, 30};
    line.words.push_back(w);
    pos = end;
  }
  return line;
}

std::vector<reader::OcrLine> MakeLines(const std::vector<std::string>& texts) {
  std::vector<reader::OcrLine> lines;
  for (size_t i = 0; i < texts.size(); ++i) lines.push_back(MakeLine(texts[i], static_cast<int>(i)));
  return lines;
}

std::vector<std::string> CleanCard() {
  return {
      "PROVINSI JAWA BARAT",
      "KABUPATEN BANDUNG",
      "NIK : 3204124708850003",
      "Nama : SITI NURHALIZA",
      "Tempat/Tgl Lahir : BANDUNG, 07-08-1985",
      "Jenis Kelamin : PEREMPUAN Gol. Darah : O",
      "Alamat : JL. MERDEKA NO. 10",
      "RT/RW : 001/002",
      "Kel/Desa : SUKAMAJU",
      "Kecamatan : CIBIRU",
      "Agama : ISLAM",
      "Status Perkawinan : KAWIN",
      "Pekerjaan : KARYAWAN SWASTA",
      "Kewarganegaraan : WNI",
      "Berlaku Hingga : SEUMUR HIDUP",
  };
}

reader::ParsedCard Parse(const std::vector<std::string>& texts) { return reader::ParseKtpText(MakeLines(texts), TestRegions()); }

// The clean card with one line replaced.
std::vector<std::string> CardWith(size_t index, const std::string& text) {
  std::vector<std::string> card = CleanCard();
  card[index] = text;
  return card;
}

void ExpectCleanValues(const v1::KtpCard& c) {
  EXPECT_EQ(c.province().value(), "JAWA BARAT");
  EXPECT_EQ(c.city_regency().value(), "BANDUNG");
  EXPECT_EQ(c.nik().value(), "3204124708850003");
  EXPECT_EQ(c.name().value(), "SITI NURHALIZA");
  EXPECT_EQ(c.birth_place().value(), "BANDUNG");
  EXPECT_EQ(c.birth_date().value(), "07-08-1985");
  EXPECT_EQ(c.sex().value(), "PEREMPUAN");
  EXPECT_EQ(c.blood_type().value(), "O");
  EXPECT_EQ(c.address().value(), "JL. MERDEKA NO. 10");
  EXPECT_EQ(c.rt_rw().value(), "001/002");
  EXPECT_EQ(c.village().value(), "SUKAMAJU");
  EXPECT_EQ(c.district().value(), "CIBIRU");
  EXPECT_EQ(c.religion().value(), "ISLAM");
  EXPECT_EQ(c.marital_status().value(), "KAWIN");
  EXPECT_EQ(c.occupation().value(), "KARYAWAN SWASTA");
  EXPECT_EQ(c.nationality().value(), "WNI");
  EXPECT_EQ(c.valid_until().value(), "SEUMUR HIDUP");
}

// ---------------------------------------------------------------------------
// Vocabulary helpers

TEST(KtpVocabularyTest, FoldedKeyMergesConfusions) {
  EXPECT_EQ(identity::FoldedKey("Narna"), "nama");
  EXPECT_EQ(identity::FoldedKey("Kel/ Desa"), "keidesa");
  EXPECT_EQ(identity::FoldedKey("Jenis Kelamln"), identity::FoldedKey("Jenis Kelamin"));
  EXPECT_EQ(identity::FoldedKey("VVNI"), "wni");
  EXPECT_EQ(identity::FoldedKey(""), "");
  EXPECT_EQ(identity::FoldedKey("::--"), "");
}

TEST(KtpVocabularyTest, EditDistance) {
  EXPECT_EQ(identity::EditDistance("", ""), 0);
  EXPECT_EQ(identity::EditDistance("abc", ""), 3);
  EXPECT_EQ(identity::EditDistance("kitten", "sitting"), 3);
  EXPECT_DOUBLE_EQ(identity::KeyDistance("ISLAM", "ISLAM"), 0);
  EXPECT_DOUBLE_EQ(identity::KeyDistance("", "ISLAM"), 1);
}

TEST(KtpVocabularyTest, NearestPrefersFirstOnTies) {
  EXPECT_EQ(identity::NearestInVocabulary("WNX", identity::NationalityVocabulary()).value, "WNI");
  EXPECT_EQ(identity::NearestInVocabulary("BELUM KAWlN", identity::MaritalStatusVocabulary()).value, "BELUM KAWIN");
  EXPECT_EQ(identity::NearestInVocabulary("anything", {}).value, "");
}

TEST(KtpVocabularyTest, OccupationListIsBroadAndUpperCase) {
  const auto& v = identity::OccupationVocabulary();
  EXPECT_GE(v.size(), 85u);
  for (const char* expected : {"PELAJAR/MAHASISWA", "KARYAWAN SWASTA", "WIRASWASTA", "PEGAWAI NEGERI SIPIL",
                               "MENGURUS RUMAH TANGGA", "PETANI/PEKEBUN", "BELUM/TIDAK BEKERJA", "GURU",
                               "PEDAGANG", "BURUH HARIAN LEPAS", "NELAYAN/PERIKANAN", "SOPIR", "PENSIUNAN",
                               "DOKTER", "PERAWAT", "TENTARA NASIONAL INDONESIA", "KEPOLISIAN RI", "BIDAN",
                               "DOSEN", "WARTAWAN", "PENDETA", "USTADZ/MUBALIGH", "TUKANG JAHIT", "MEKANIK",
                               "KARYAWAN BUMN", "KARYAWAN HONORER", "PETERNAK", "SENIMAN", "PERANGKAT DESA",
                               "ARSITEK"}) {
    EXPECT_THAT(v, ::testing::Contains(std::string_view(expected))) << expected;
  }
  for (std::string_view o : v) {
    for (char c : o) EXPECT_FALSE(c >= 'a' && c <= 'z') << o;
  }
}

// ---------------------------------------------------------------------------
// The clean card

TEST(FieldParserTest, CleanCardReadsEveryField) {
  const reader::ParsedCard p = Parse(CleanCard());
  ExpectCleanValues(p.card);
  EXPECT_EQ(p.labels_found, 15);
  EXPECT_EQ(p.ktp_only_labels_found, 7);
}

// A student card's labels are a KTP's too, but none of those only a KTP
// prints: what tells a light-blue student card from a KTP.
TEST(FieldParserTest, AStudentCardReadsNoLabelOnlyAKtpPrints) {
  const reader::ParsedCard p = Parse({"KARTU TANDA MAHASISWA", "Nomor : 2209112233", "Nama : DEWI LESTARI",
                                      "Tempat/Tgl Lahir : BANDUNG, 12-03-2001", "Alamat : JL. MAWAR NO. 5",
                                      "Unit : TEKNIK SIPIL", "Berlaku : 01-09-2027"});
  EXPECT_GE(p.labels_found, 3);
  EXPECT_EQ(p.ktp_only_labels_found, 0);
}

// Balinese names whose narrow space after "I" / "NI" Tesseract lost.
TEST(FieldParserTest, BalineseNamePrefixGetsItsSpaceBack) {
  const size_t row = [] {
    const std::vector<std::string> card = CleanCard();
    for (size_t i = 0; i < card.size(); ++i) {
      if (card[i].rfind("Nama", 0) == 0) return i;
    }
    return size_t{0};
  }();
  EXPECT_EQ(Parse(CardWith(row, "Nama : IWAYAN SUDARTA")).card.name().value(), "I WAYAN SUDARTA");
  EXPECT_EQ(Parse(CardWith(row, "Nama : NILUH PUTU AYU")).card.name().value(), "NI LUH PUTU AYU");
  EXPECT_EQ(Parse(CardWith(row, "Nama : I MADE WIRA")).card.name().value(), "I MADE WIRA");
  // Not a prefix: an ordinary name starting with I.
  EXPECT_EQ(Parse(CardWith(row, "Nama : IMAM SATRIO")).card.name().value(), "IMAM SATRIO");
}

TEST(FieldParserTest, CleanCardMetadata) {
  const reader::ParsedCard p = Parse(CleanCard());
  const v1::KtpField& name = p.card.name();
  EXPECT_FLOAT_EQ(name.confidence(), 90);
  EXPECT_FLOAT_EQ(name.confidence_field(), 100);
  EXPECT_EQ(name.raw_text(), "SITI NURHALIZA");
  ASSERT_EQ(name.polygons_size(), 1);
  ASSERT_EQ(name.polygons(0).vertices_size(), 4);
  // "Nama : SITI NURHALIZA" on row 3: value from char 7 to 21.
  const auto& v = name.polygons(0).vertices();
  EXPECT_EQ(v[0].x(), 80);
  EXPECT_EQ(v[0].y(), 130);
  EXPECT_EQ(v[1].x(), 220);
  EXPECT_EQ(v[1].y(), 130);
  EXPECT_EQ(v[2].x(), 220);
  EXPECT_EQ(v[2].y(), 160);
  EXPECT_EQ(v[3].x(), 80);
  EXPECT_EQ(v[3].y(), 160);
  EXPECT_FALSE(name.has_date_value());

  ASSERT_TRUE(p.card.birth_date().has_date_value());
  EXPECT_EQ(p.card.birth_date().date_value().day(), 7);
  EXPECT_EQ(p.card.birth_date().date_value().month(), 8);
  EXPECT_EQ(p.card.birth_date().date_value().year(), 1985);
  EXPECT_FALSE(p.card.valid_until().has_date_value());
}

TEST(FieldParserTest, EveryFieldHasConfidenceInRangeAndOnePolygon) {
  const reader::ParsedCard p = Parse(CleanCard());
  const auto* desc = p.card.GetDescriptor();
  const auto* refl = p.card.GetReflection();
  int present = 0;
  for (int i = 0; i < desc->field_count(); ++i) {
    if (!refl->HasField(p.card, desc->field(i))) continue;
    ++present;
    const auto& f = static_cast<const v1::KtpField&>(refl->GetMessage(p.card, desc->field(i)));
    EXPECT_GT(f.confidence(), 0) << desc->field(i)->name();
    EXPECT_LE(f.confidence(), 100) << desc->field(i)->name();
    EXPECT_TRUE(f.has_confidence_field());
    EXPECT_GE(f.confidence_field(), 0);
    EXPECT_LE(f.confidence_field(), 100);
    EXPECT_TRUE(f.has_raw_text());
    ASSERT_EQ(f.polygons_size(), 1) << desc->field(i)->name();
    const auto& v = f.polygons(0).vertices();
    ASSERT_EQ(v.size(), 4);
    EXPECT_LT(v[0].x(), v[1].x());
    EXPECT_LT(v[1].y(), v[2].y());
  }
  EXPECT_EQ(present, 17);
}

TEST(FieldParserTest, ConfidenceFollowsWordConfidence) {
  std::vector<reader::OcrLine> lines = MakeLines(CleanCard());
  lines[3].words[2].confidence = 50;  // SITI
  lines[3].words[3].confidence = 70;  // NURHALIZA
  const reader::ParsedCard p = reader::ParseKtpText(lines, TestRegions());
  EXPECT_FLOAT_EQ(p.card.name().confidence(), 60);
}

TEST(FieldParserTest, LinesWithoutWordsUseLineBox) {
  std::vector<reader::OcrLine> lines = MakeLines(CleanCard());
  for (reader::OcrLine& l : lines) l.words.clear();
  const reader::ParsedCard p = reader::ParseKtpText(lines, TestRegions());
  ExpectCleanValues(p.card);
  ASSERT_EQ(p.card.name().polygons_size(), 1);
  EXPECT_EQ(p.card.name().polygons(0).vertices(0).y(), 130);
}

// ---------------------------------------------------------------------------
// Separators and label typos

TEST(FieldParserTest, SeparatorVariants) {
  for (const char* line : {"Nama BUDI SANTOSO", "Nama :: BUDI SANTOSO", "Nama ; BUDI SANTOSO", "Nama . BUDI SANTOSO",
                           "Nama:BUDI SANTOSO", "Nama: BUDI SANTOSO", "Nama = BUDI SANTOSO"}) {
    const reader::ParsedCard p = Parse(CardWith(3, line));
    EXPECT_EQ(p.card.name().value(), "BUDI SANTOSO") << line;
    EXPECT_EQ(p.labels_found, 15) << line;
  }
}

TEST(FieldParserTest, LabelTypos) {
  struct Case {
    size_t index;
    const char* line;
  };
  for (const Case& c : std::vector<Case>{
           {3, "Narna : SITI NURHALIZA"},
           {4, "Tempat/TglLahir : BANDUNG, 07-08-1985"},
           {4, "Ternpat/Tgl Lahlr : BANDUNG, 07-08-1985"},
           {5, "Jenis Kelamln : PEREMPUAN Gol. Darah : O"},
           {8, "KelDesa : SUKAMAJU"},
           {8, "Kel/ Desa : SUKAMAJU"},
           {9, "Kecarnatan : CIBIRU"},
           {11, "Status Perkawlnan : KAWIN"},
           {13, "Kewarganeqaraan : WNI"},
           {14, "Berlaku Hinqga : SEUMUR HIDUP"},
           {2, "NlK : 3204124708850003"},
           {7, "RT/RVV : 001/002"},
           {12, "Pekerjaarn : KARYAWAN SWASTA"},
           {10, "Aqama : ISLAM"},
           {6, "Alarnat : JL. MERDEKA NO. 10"},
       }) {
    const reader::ParsedCard p = Parse(CardWith(c.index, c.line));
    ExpectCleanValues(p.card);
    EXPECT_EQ(p.labels_found, 15) << c.line;
  }
}

TEST(FieldParserTest, LabelTypoLowersLabelConfidence) {
  const reader::ParsedCard p = Parse(CardWith(9, "Kecarnatan : CIBIRU"));
  EXPECT_FLOAT_EQ(p.card.district().confidence_field(), 100);  // rn→m folds exactly
  const reader::ParsedCard q = Parse(CardWith(9, "Kecamatam : CIBIRU"));
  EXPECT_EQ(q.card.district().value(), "CIBIRU");
  EXPECT_LT(q.card.district().confidence_field(), 100);
  EXPECT_GT(q.card.district().confidence_field(), 50);
}

TEST(FieldParserTest, StrayCharactersAtLineEnds) {
  EXPECT_EQ(Parse(CardWith(3, "| Nama : SITI NURHALIZA")).card.name().value(), "SITI NURHALIZA");
  EXPECT_EQ(Parse(CardWith(3, "Nama : SITI NURHALIZA ~")).card.name().value(), "SITI NURHALIZA");
  EXPECT_EQ(Parse(CardWith(3, "l Nama : SITI NURHALIZA |")).card.name().value(), "SITI NURHALIZA");
  EXPECT_EQ(Parse(CardWith(3, "Nama : , SITI NURHALIZA _")).card.name().value(), "SITI NURHALIZA");
  EXPECT_EQ(Parse(CardWith(3, "Nama : SITI ~ NURHALIZA")).card.name().value(), "SITI NURHALIZA");
  const reader::ParsedCard p = Parse(CardWith(13, "~ Kewarganegaraan : WNI '"));
  EXPECT_EQ(p.card.nationality().value(), "WNI");
  // The stray word is not part of the value's box.
  const reader::ParsedCard q = Parse(CardWith(3, "Nama : SITI NURHALIZA ~"));
  EXPECT_EQ(q.card.name().polygons(0).vertices(1).x(), 220);
  EXPECT_EQ(q.card.name().raw_text(), "SITI NURHALIZA ~");
}

TEST(FieldParserTest, LowerAndMixedCase) {
  std::vector<std::string> card = CleanCard();
  for (std::string& line : card) {
    for (char& c : line) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  ExpectCleanValues(Parse(card).card);
  EXPECT_EQ(Parse(CardWith(3, "NAMA : Siti NurHaliza")).card.name().value(), "SITI NURHALIZA");
}

TEST(FieldParserTest, InnerPunctuationKept) {
  EXPECT_EQ(Parse(CardWith(3, "Nama : SITI NUR'AINI")).card.name().value(), "SITI NUR'AINI");
  EXPECT_EQ(Parse(CardWith(3, "Nama : ANAK AGUNG GDE-PUTRA")).card.name().value(), "ANAK AGUNG GDE-PUTRA");
  EXPECT_EQ(Parse(CardWith(6, "Alamat : JL.  MERDEKA   NO. 10/B")).card.address().value(), "JL. MERDEKA NO. 10/B");
  EXPECT_EQ(Parse(CardWith(3, "Nama : S1TI NURHAL1ZA")).card.name().value(), "SITI NURHALIZA");
}

// ---------------------------------------------------------------------------
// Split and merged lines

TEST(FieldParserTest, ValueOnTheNextLine) {
  std::vector<std::string> card = CleanCard();
  card[3] = "Nama :";
  card.insert(card.begin() + 4, "SITI NURHALIZA");
  const reader::ParsedCard p = Parse(card);
  ExpectCleanValues(p.card);
  EXPECT_EQ(p.card.name().polygons(0).vertices(0).y(), 10 + 40 * 4);
}

TEST(FieldParserTest, NikValueOnTheNextLine) {
  std::vector<std::string> card = CleanCard();
  card[2] = "NIK";
  card.insert(card.begin() + 3, "3204124708850003");
  ExpectCleanValues(Parse(card).card);
}

TEST(FieldParserTest, MergedLines) {
  std::vector<std::string> card = CleanCard();
  card[8] = "Kel/Desa : SUKAMAJU Kecamatan : CIBIRU";
  card.erase(card.begin() + 9);
  reader::ParsedCard p = Parse(card);
  ExpectCleanValues(p.card);
  EXPECT_EQ(p.labels_found, 15);

  card = CleanCard();
  card[10] = "Agama : ISLAM Status Perkawinan : KAWIN";
  card.erase(card.begin() + 11);
  p = Parse(card);
  ExpectCleanValues(p.card);
  // Each field's box covers only its own words.
  EXPECT_LT(p.card.religion().polygons(0).vertices(1).x(), p.card.marital_status().polygons(0).vertices(0).x());
}

TEST(FieldParserTest, BloodTypeOnItsOwnLine) {
  std::vector<std::string> card = CleanCard();
  card[5] = "Jenis Kelamin : PEREMPUAN";
  card.insert(card.begin() + 6, "Gol. Darah : O");
  const reader::ParsedCard p = Parse(card);
  ExpectCleanValues(p.card);
  EXPECT_EQ(p.labels_found, 15);
}

TEST(FieldParserTest, BloodTypeMissing) {
  const reader::ParsedCard p = Parse(CardWith(5, "Jenis Kelamin : PEREMPUAN"));
  EXPECT_EQ(p.card.sex().value(), "PEREMPUAN");
  EXPECT_FALSE(p.card.has_blood_type());
  EXPECT_EQ(p.labels_found, 14);
  // Label read, value not: the card's "-" (not known), a thin stroke
  // Tesseract drops, trusted little.
  const reader::ParsedCard q = Parse(CardWith(5, "Jenis Kelamin : PEREMPUAN Gol. Darah :"));
  EXPECT_EQ(q.card.sex().value(), "PEREMPUAN");
  EXPECT_EQ(q.card.blood_type().value(), "-");
  EXPECT_LT(q.card.blood_type().confidence(),
            Parse(CardWith(5, "Jenis Kelamin : PEREMPUAN Gol. Darah : -")).card.blood_type().confidence() * 0.6);
}

TEST(FieldParserTest, BloodTypeVariants) {
  struct Case {
    const char* line;
    const char* blood;
  };
  for (const Case& c : std::vector<Case>{
           {"Jenis Kelamin : PEREMPUAN Gol. Darah : 0", "O"},
           {"Jenis Kelamin : PEREMPUAN Gol. Darah : AB", "AB"},
           {"Jenis Kelamin : PEREMPUAN Gol. Darah : A", "A"},
           {"Jenis Kelamin : PEREMPUAN Gol. Darah : B", "B"},
           {"Jenis Kelamin : PEREMPUAN Gol. Darah : -", "-"},
           {"Jenis Kelamin : PEREMPUAN Gol Darah O", "O"},
           {"Jenis Kelamin : PEREMPUAN Gol. Darah: o ~", "O"},
           {"Jenis Kelamin PEREMPUAN Gol. Darah : A8", "AB"},
           {"Jenis Kelamin : PEREMPUAN Gol. Darah : B8", "B"},
       }) {
    const reader::ParsedCard p = Parse(CardWith(5, c.line));
    EXPECT_EQ(p.card.sex().value(), "PEREMPUAN") << c.line;
    EXPECT_EQ(p.card.blood_type().value(), c.blood) << c.line;
  }
  const reader::ParsedCard p = Parse(CardWith(5, "Jenis Kelamin : PEREMPUAN Gol. Darah : 0"));
  EXPECT_LT(p.card.blood_type().confidence(), 90);
  EXPECT_EQ(p.card.blood_type().raw_text(), "0");
}

// ---------------------------------------------------------------------------
// NIK

TEST(FieldParserTest, NikLetterConfusionsRepaired) {
  struct Case {
    const char* line;
    const char* nik;
  };
  for (const Case& c : std::vector<Case>{
           {"NIK : 32O4124708850003", "3204124708850003"},
           {"NIK : 32o4l24708850OO3", "3204124708850003"},
           {"NIK : 3204 1247 0885 0003", "3204124708850003"},
           {"NIK : 32D4I247O885OOO3", "3204124708850003"},
           {"NIK : 3Z04124708850003", "3204124708850003"},
           {"NIK : 32041247O8B5OOO3", "3204124708850003"},
           {"NIK : 32041247O885000S", "3204124708850005"},
           {"NIK : 3204124708850003 l", "3204124708850003"},
           {"NIK : 3204|2470885000!", "3204124708850001"},
           // G is 6 or 0: only 0 makes DDMMYY a date (07-08-85, the printed one).
           {"NIK : 3204l2A7G885Tq03", "3204124708857903"},
           {"NIK 3204124708850003", "3204124708850003"},
           {"NIK :: 3204124708850003 ~", "3204124708850003"},
       }) {
    const reader::ParsedCard p = Parse(CardWith(2, c.line));
    EXPECT_EQ(p.card.nik().value(), c.nik) << c.line;
  }
}

TEST(FieldParserTest, NikRepairLowersConfidence) {
  const float clean = Parse(CleanCard()).card.nik().confidence();
  const float repaired = Parse(CardWith(2, "NIK : 32O4124708850003")).card.nik().confidence();
  EXPECT_FLOAT_EQ(clean, 90);
  EXPECT_LT(repaired, clean);
  EXPECT_GT(repaired, 50);
  EXPECT_EQ(Parse(CardWith(2, "NIK : 32O4124708850003")).card.nik().raw_text(), "32O4124708850003");
}

TEST(FieldParserTest, NikDigitConfusionsResolvedByTheCardsStructure) {
  // 8 for 0 in the region digits: 32.84 does not exist, 32.04.12 does and its
  // names are printed on the card.
  EXPECT_EQ(Parse(CardWith(2, "NIK : 3284124708850003")).card.nik().value(), "3204124708850003");
  // 8 for 0 in a date part that is no date as read (month 88): the only
  // confusable that makes it one agrees with the printed 07-08-1985.
  EXPECT_EQ(Parse(CardWith(2, "NIK : 3204124788850003")).card.nik().value(), "3204124708850003");
  // A date part that is a date (07-08-1935) but disagrees with the printed one
  // could be either misread: kept as read, with less confidence.
  const reader::ParsedCard p = Parse(CardWith(2, "NIK : 3204124708350003"));
  EXPECT_EQ(p.card.nik().value(), "3204124708350003");
  EXPECT_LT(p.card.nik().confidence(), Parse(CleanCard()).card.nik().confidence());
  // 9 for 5 in the province digits (no province 39; other faces' 5 reads as 9)
  // on a card from Puri, Mojokerto.
  std::vector<std::string> east_java = CardWith(2, "NIK : 3916074708850003");
  east_java[0] = "PROVINSI JAWA TIMUR";
  east_java[1] = "KABUPATEN MOJOKERTO";
  east_java[9] = "Kecamatan : PURI";
  EXPECT_EQ(Parse(east_java).card.nik().value(), "3516074708850003");
  // The serial is never touched (nothing checks it).
  EXPECT_EQ(Parse(CardWith(2, "NIK : 3204124708850008")).card.nik().value(), "3204124708850008");
}

TEST(FieldParserTest, NikNoCardCanCarryIsNotReturned) {
  // Month 00 (and day 99 / month 99) with no clear correction: no NIK has such
  // a date, so the value is empty and the digits stay in raw_text.
  for (const char* line : {"NIK : 3204129900850003", "NIK : 3204129999990003", "NIK : 1820201200490070"}) {
    const ParsedCard p = Parse(CardWith(2, line));
    EXPECT_EQ(p.card.nik().value(), "") << line;
    EXPECT_EQ(p.card.nik().raw_text(), std::string(line).substr(6)) << line;
  }
  // A district missing from the table may be a retired code on an old card:
  // kept as read, but trusted far less than a NIK the card vouches for.
  const ParsedCard unknown = Parse(CardWith(2, "NIK : 9999994708850003"));
  EXPECT_EQ(unknown.card.nik().value(), "9999994708850003");
  EXPECT_LE(unknown.card.nik().confidence(), Parse(CleanCard()).card.nik().confidence() / 2);
}

TEST(FieldParserTest, NikDigitTesseractDoubtedIsTheOneCorrected) {
  // 07-08-1935 reads as a date but disagrees with the printed 07-08-1985. With
  // every digit as sure as the others, either could be the misread one: kept.
  std::vector<reader::OcrLine> lines = MakeLines(CardWith(2, "NIK : 3204124708350003"));
  EXPECT_EQ(reader::ParseKtpText(lines, TestRegions()).card.nik().value(), "3204124708350003");
  // Tesseract doubted the "3" of "35" (its symbol confidence far below the
  // NIK's other digits): that digit is the misread one.
  reader::OcrWord& nik_word = lines[2].words.back();
  ASSERT_EQ(nik_word.text, "3204124708350003");
  nik_word.symbol_confidence.assign(nik_word.text.size(), 80);
  nik_word.symbol_confidence[10] = 25;
  EXPECT_EQ(reader::ParseKtpText(lines, TestRegions()).card.nik().value(), "3204124708850003");
  // A doubted serial digit is still never touched: nothing checks it.
  nik_word.symbol_confidence.assign(nik_word.text.size(), 80);
  nik_word.symbol_confidence[15] = 25;
  EXPECT_EQ(reader::ParseKtpText(lines, TestRegions()).card.nik().value(), "3204124708350003");
}

// Gives `word` one symbol per byte, each `width` pixels wide and next to the
// one before it, starting at x = 300.
void PlaceSymbolsSideBySide(reader::OcrWord& word, int width) {
  word.symbol_confidence.assign(word.text.size(), 98);
  word.symbol_span.clear();
  for (size_t i = 0; i < word.text.size(); ++i) {
    const int x0 = 300 + static_cast<int>(i) * (width + 2);
    word.symbol_span.push_back({x0, x0 + width});
  }
}

TEST(FieldParserTest, NikDigitSqueezedBetweenItsNeighboursIsTheStrayOne) {
  // Tesseract reads the final bold "8" of 3204124708850008 as "38": the "3"
  // is half a digit wide and sits across the 9's right and the 8's left edge.
  std::vector<reader::OcrLine> lines = MakeLines(CardWith(2, "NIK : 32041247088500038"));
  reader::OcrWord& nik_word = lines[2].words.back();
  ASSERT_EQ(nik_word.text, "32041247088500038");
  // Without extents the card cannot tell the stray: dropping the final "8"
  // or the "3" before it leaves the same region and date. No value.
  EXPECT_EQ(reader::ParseKtpText(lines, TestRegions()).card.nik().value(), "");
  EXPECT_EQ(reader::ParseKtpText(lines, TestRegions()).card.nik().raw_text(), "32041247088500038");
  PlaceSymbolsSideBySide(nik_word, 31);
  nik_word.symbol_span[15] = {nik_word.symbol_span[14].x1 - 8, nik_word.symbol_span[14].x1 + 10};
  nik_word.symbol_span[16].x0 = nik_word.symbol_span[15].x1 - 6;
  nik_word.symbol_span[16].x1 = nik_word.symbol_span[16].x0 + 31;
  EXPECT_EQ(reader::ParseKtpText(lines, TestRegions()).card.nik().value(), "3204124708850008");
  // Digits side by side, none squeezed: the extents change nothing.
  PlaceSymbolsSideBySide(nik_word, 31);
  EXPECT_EQ(reader::ParseKtpText(lines, TestRegions()).card.nik().value(), "");
  // A narrow digit ("1" in a proportional face) that overlaps nothing is no stray.
  nik_word.symbol_span[15].x1 = nik_word.symbol_span[15].x0 + 12;
  EXPECT_EQ(reader::ParseKtpText(lines, TestRegions()).card.nik().value(), "");
}

TEST(FieldParserTest, NikEightReadAsANarrowEightAndAThreeIsTheEight) {
  // Tesseract reads the final bold "8" of 3204124708850008 as "83": a narrow
  // "8" over the glyph's left loop, then a full-width "3", the 8's right half.
  std::vector<reader::OcrLine> lines = MakeLines(CardWith(2, "NIK : 32041247088500083"));
  reader::OcrWord& nik_word = lines[2].words.back();
  ASSERT_EQ(nik_word.text, "32041247088500083");
  PlaceSymbolsSideBySide(nik_word, 31);
  const int edge = nik_word.symbol_span[14].x1;
  nik_word.symbol_span[15] = {edge + 2, edge + 14};
  nik_word.symbol_span[16] = {edge + 6, edge + 37};
  EXPECT_EQ(reader::ParseKtpText(lines, TestRegions()).card.nik().value(), "3204124708850008");
  // A narrow 8 squeezed against any other digit is still the stray one.
  nik_word.text = "32041247088500086";
  lines[2].text = "NIK : " + nik_word.text;
  EXPECT_EQ(reader::ParseKtpText(lines, TestRegions()).card.nik().value(), "3204124708850006");
}

TEST(FieldParserTest, NikRegionDigitsEveryPrintedRegionContradictsAreCorrected) {
  // "5204…" read for 3204…: 52.04.12 exists (Lape, in Sumbawa), but the
  // printed province, regency and district all name 32.04.12; the printed
  // birth date was misread a digit off, so it vouches for neither reading
  // (their date digits are the same) and the region names decide.
  std::vector<std::string> card = CardWith(2, "NIK : 5204124708850003");
  card[4] = "Tempat/Tgl Lahir : BANDUNG, 07-09-1985";
  reader::ParsedCard p = Parse(card);
  EXPECT_EQ(p.card.nik().value(), "3204124708850003");
  EXPECT_LT(p.card.nik().confidence(), 90);
  // With the header unread only the district contradicts: not enough to
  // rewrite a NIK whose district exists.
  card[0] = "~";
  card[1] = "~";
  EXPECT_EQ(Parse(card).card.nik().value(), "5204124708850003");
}

TEST(FieldParserTest, NikDigitLostInTheRegionIsPutBackWhenThePrintedRegionsNameIt) {
  // The leading 3 run into the colon: 15 digits read. The printed province,
  // regency and district name 32.04.12 and the printed birth date agrees.
  std::vector<std::string> card = CardWith(2, "NIK : 204124708850003");
  reader::ParsedCard p = Parse(card);
  EXPECT_EQ(p.card.nik().value(), "3204124708850003");
  EXPECT_LT(p.card.nik().confidence(), 90);
  EXPECT_FALSE(p.nik_settled);
  // Lost in the date: put back too.
  EXPECT_EQ(Parse(CardWith(2, "NIK : 320412408850003")).card.nik().value(), "3204124708850003");
  // With the header unread only the district names it: one of ten guesses
  // may well make some district, so nothing is put back.
  card[0] = "~";
  card[1] = "~";
  p = Parse(card);
  EXPECT_EQ(p.card.nik().value(), "");
  EXPECT_EQ(p.card.nik().raw_text(), "204124708850003");
}

TEST(FieldParserTest, NikIsNeverAValueThatIsNotSixteenDigits) {
  // 15 digits: nothing to choose from; the digits stay in raw_text only.
  reader::ParsedCard p = Parse(CardWith(2, "NIK : 320412470885000"));
  EXPECT_TRUE(p.card.has_nik());
  EXPECT_EQ(p.card.nik().value(), "");
  EXPECT_EQ(p.card.nik().raw_text(), "320412470885000");
  EXPECT_EQ(p.card.nik().confidence(), 0);
  // 17 and 18 digits: the stray ones dropped where the card's structure agrees.
  p = Parse(CardWith(2, "NIK : 32041247098850003"));  // a 9 inside the date
  EXPECT_EQ(p.card.nik().value(), "3204124708850003");
  EXPECT_LT(p.card.nik().confidence(), 90);
  p = Parse(CardWith(2, "NIK :13204124708850003"));  // the colon read as a 1
  EXPECT_EQ(p.card.nik().value(), "3204124708850003");
  p = Parse(CardWith(2, "NIK 1320412470885000371"));
  EXPECT_EQ(p.card.nik().value(), "");  // 19 digits: not a reading we can trust
  p = Parse(CardWith(2, "NIK : 132041247098850003"));
  EXPECT_EQ(p.card.nik().value(), "3204124708850003");
  // Nothing numeric read: unset.
  p = Parse(CardWith(2, "NIK : ~ ~"));
  EXPECT_FALSE(p.card.has_nik());
  EXPECT_EQ(p.labels_found, 15);
}

reader::NikVote Vote(const std::string& digits, float confidence = 90) {
  return reader::NikVote{digits, std::vector<float>(digits.size(), confidence)};
}

TEST(FieldParserTest, NikStrayDigitTheCardCannotPlaceIsNotGuessed) {
  // A stray "5" read inside the serial or at its end: either drop leaves
  // the region, date and sex the card checks, and the serials differ. Only
  // the edit costs would choose (a drop at the end is cheaper): no value,
  // the digits in raw_text.
  for (const char* line : {"NIK : 32041247088500053", "NIK : 32041247088505003"}) {
    const reader::ParsedCard p = Parse(CardWith(2, line));
    EXPECT_EQ(p.card.nik().value(), "") << line;
    EXPECT_EQ(p.card.nik().raw_text(), std::string(line).substr(6)) << line;
  }
  // A second reading of all 16 that agrees with the cheaper drop settles it
  // (one that agrees with the dearer one only evens them: still none).
  const std::vector<reader::OcrLine> lines = MakeLines(CardWith(2, "NIK : 32041247088500053"));
  EXPECT_EQ(reader::ParseKtpText(lines, TestRegions(), {Vote("3204124708850005")}).card.nik().value(),
            "3204124708850005");
  EXPECT_EQ(reader::ParseKtpText(lines, TestRegions(), {Vote("3204124708850003")}).card.nik().value(), "");
}

TEST(FieldParserTest, NikVotesJoinTheConstrainedSearch) {
  const std::vector<reader::OcrLine> dropped = MakeLines(CardWith(2, "NIK : 320412470885000"));
  // 15 digits read: nothing to choose from...
  EXPECT_EQ(reader::ParseKtpText(dropped, TestRegions()).card.nik().value(), "");
  // ... but a digits-only pass that read all 16, and the card vouches for them.
  reader::ParsedCard p = reader::ParseKtpText(dropped, TestRegions(), {Vote("3204124708850003")});
  EXPECT_EQ(p.card.nik().value(), "3204124708850003");
  EXPECT_FALSE(p.nik_settled);
  // A wrong district digit not among the confusables (32.24 does not exist; a 2 is never read for a 0): the
  // vote that reads 32.04 with the printed date wins.
  const std::vector<reader::OcrLine> district = MakeLines(CardWith(2, "NIK : 3224124708850003"));
  EXPECT_EQ(reader::ParseKtpText(district, TestRegions()).card.nik().value(), "3224124708850003");
  EXPECT_EQ(reader::ParseKtpText(district, TestRegions(), {Vote("3204124708850003")}).card.nik().value(),
            "3204124708850003");
  // The first pass's digits as read still win a tie: a vote differing in the
  // serial (which nothing checks) changes nothing.
  const std::vector<reader::OcrLine> clean = MakeLines(CleanCard());
  p = reader::ParseKtpText(clean, TestRegions(), {Vote("3204124708850008")});
  EXPECT_EQ(p.card.nik().value(), "3204124708850003");
  EXPECT_TRUE(p.nik_settled);
  ASSERT_TRUE(p.nik_box.has_value());
  EXPECT_GT(p.nik_box->w, 0);
  // A vote the card does not vouch for cannot replace a reading it does.
  EXPECT_EQ(reader::ParseKtpText(clean, TestRegions(), {Vote("9999124708850003")}).card.nik().value(),
            "3204124708850003");
}

TEST(FieldParserTest, NikWhoseOnlyFaultIsTheColonIsSettled) {
  // The colon read as a leading 1, the rest vouched for by the card: as
  // settled as 16 digits read cleanly, so no second reading is asked for (one
  // differing in the serial, which nothing checks, would only make a tie).
  const reader::ParsedCard p = Parse(CardWith(2, "NIK :13204124708850003"));
  EXPECT_EQ(p.card.nik().value(), "3204124708850003");
  EXPECT_TRUE(p.nik_settled);
  // Not when the printed birth date does not vouch for it.
  std::vector<std::string> card = CardWith(2, "NIK :13204124708850003");
  card[4] = "Tempat/Tgl Lahir : BANDUNG, 07-08-1965";
  EXPECT_FALSE(Parse(card).nik_settled);
  // A stray digit inside is a correction the card must confirm with a vote.
  EXPECT_FALSE(reader::ParseKtpText(MakeLines(CardWith(2, "NIK : 32041247088500031")), TestRegions()).nik_settled);
}

TEST(FieldParserTest, NikTwoReadingsAgreeOnOutweighAPrintedDateOneDigitOff) {
  // 1985 on the NIK, "1965" read from the print: one digit misread, on one
  // side or the other.
  std::vector<std::string> card = CardWith(2, "NIK :13204124708850003");
  card[4] = "Tempat/Tgl Lahir : BANDUNG, 07-08-1965";
  const std::vector<reader::OcrLine> lines = MakeLines(card);
  // One reading alone is not enough to overrule the printed date...
  EXPECT_EQ(reader::ParseKtpText(lines, TestRegions()).card.nik().value(), "");
  // ... a second that agrees, with the printed regions naming the NIK's, is.
  reader::ParsedCard p = reader::ParseKtpText(lines, TestRegions(), {Vote("3204124708850003")});
  EXPECT_EQ(p.card.nik().value(), "3204124708850003");
  EXPECT_LT(p.card.nik().confidence(), 90);
  // Two digits off: the readings do not outweigh the print.
  card[4] = "Tempat/Tgl Lahir : BANDUNG, 07-06-1965";
  EXPECT_EQ(reader::ParseKtpText(MakeLines(card), TestRegions(), {Vote("3204124708850003")}).card.nik().value(), "");
}

TEST(FieldParserTest, NikDisagreeingWithBirthDateLowersConfidence) {
  const reader::ParsedCard clean = Parse(CleanCard());
  // Three digits off the NIK's 07-08-85: beyond mending (see
  // BirthDateADigitOrTwoOffTheNikIsTheNiks), both kept as read.
  const reader::ParsedCard p = Parse(CardWith(4, "Tempat/Tgl Lahir : BANDUNG, 07-09-1976"));
  EXPECT_EQ(p.card.nik().value(), "3204124708850003");  // not rewritten
  EXPECT_EQ(p.card.birth_date().value(), "07-09-1976");
  EXPECT_LT(p.card.nik().confidence(), clean.card.nik().confidence());
  EXPECT_LT(p.card.birth_date().confidence(), clean.card.birth_date().confidence());
  // NIK day 47 = a woman born on the 7th; a man reading disagrees.
  const reader::ParsedCard q = Parse(CardWith(5, "Jenis Kelamin : LAKI-LAKI Gol. Darah : O"));
  EXPECT_EQ(q.card.sex().value(), "LAKI-LAKI");
  EXPECT_LT(q.card.sex().confidence(), clean.card.sex().confidence());
}

TEST(FieldParserTest, BirthDateADigitOrTwoOffTheNikIsTheNiks) {
  // The clean card's NIK (3204124708850003: a woman born 07-08-85, in a
  // district that exists, sex printed PEREMPUAN) against a date read a digit
  // or two off it: the NIK's date, trusted less, the print kept as raw text.
  const reader::ParsedCard clean = Parse(CleanCard());
  for (const char* printed : {"07-08-1983", "07-03-1985", "01-08-1985", "07-08-1835", "87-08-1985",
                              "07-08-1585", "97-03-1985", "07081983"}) {
    const reader::ParsedCard p = Parse(CardWith(4, std::string("Tempat/Tgl Lahir : BANDUNG, ") + printed));
    EXPECT_EQ(p.card.birth_date().value(), "07-08-1985") << printed;
    ASSERT_TRUE(p.card.birth_date().has_date_value()) << printed;
    EXPECT_EQ(p.card.birth_date().date_value().year(), 1985) << printed;
    EXPECT_NE(p.card.birth_date().raw_text().find(printed), std::string::npos) << printed;
    EXPECT_LT(p.card.birth_date().confidence(), clean.card.birth_date().confidence()) << printed;
    // The NIK itself as read; trusted less where the print was a real day
    // that disagreed with it.
    EXPECT_EQ(p.card.nik().value(), "3204124708850003") << printed;
    EXPECT_LE(p.card.nik().confidence(), clean.card.nik().confidence()) << printed;
  }
  // Three digits off, a century that is as near 20 as 19, a year read in
  // the 2000s: as read.
  for (const char* printed : {"07-09-1976", "17-03-1984", "07-08-1085", "07-08-2083"}) {
    const reader::ParsedCard p = Parse(CardWith(4, std::string("Tempat/Tgl Lahir : BANDUNG, ") + printed));
    EXPECT_EQ(p.card.birth_date().value(), printed);
  }
  // Not from a NIK the card does not vouch for: the sex printed disagrees.
  std::vector<std::string> man = CardWith(4, "Tempat/Tgl Lahir : BANDUNG, 07-08-1983");
  man[5] = "Jenis Kelamin : LAKI-LAKI Gol. Darah : O";
  EXPECT_EQ(Parse(man).card.birth_date().value(), "07-08-1983");
  // Nor from a NIK whose district does not exist.
  std::vector<std::string> nowhere = CardWith(4, "Tempat/Tgl Lahir : BANDUNG, 07-08-1983");
  nowhere[2] = "NIK : 9999994708850003";
  EXPECT_EQ(Parse(nowhere).card.birth_date().value(), "07-08-1983");
}

TEST(FieldParserTest, NikWithoutReadableLabelFoundByPosition) {
  const reader::ParsedCard p = Parse(CardWith(2, "MIK? 3204124708850003"));
  EXPECT_EQ(p.card.nik().value(), "3204124708850003");
  EXPECT_LT(p.card.nik().confidence_field(), 50);
  EXPECT_EQ(p.labels_found, 14);
}

TEST(FieldParserTest, CardCutOnTheLabelSideIsReadByPositionUnderTheHeader) {
  // The frame cut the label column off: the header, then the colons and values.
  std::vector<std::string> card = {
      "PROVINSI JAWA BARAT",
      "KABUPATEN BANDUNG",
      ": 3204124708850003",
      ": SITI NURHALIZA",
      ": BANDUNG, 07-08-1985",
      ": PEREMPUAN Gol. Darah : O",
      ": JL. MERDEKA NO. 10",
      ": 001/002",
      "esa : SUKAMAJU",
      ": CIBIRU",
      ": ISLAM",
      ": KAWIN",
      "an : KARYAWAN SWASTA",
      ": WNI",
      ": SEUMUR HIDUP",
  };
  const reader::ParsedCard p = Parse(card);
  EXPECT_EQ(p.card.nik().value(), "3204124708850003");
  EXPECT_EQ(p.card.name().value(), "SITI NURHALIZA");
  EXPECT_EQ(p.card.birth_date().value(), "07-08-1985");
  EXPECT_EQ(p.card.sex().value(), "PEREMPUAN");
  EXPECT_EQ(p.card.blood_type().value(), "O");
  EXPECT_EQ(p.card.address().value(), "JL. MERDEKA NO. 10");
  EXPECT_EQ(p.card.rt_rw().value(), "001/002");
  EXPECT_EQ(p.card.village().value(), "SUKAMAJU");
  EXPECT_EQ(p.card.district().value(), "CIBIRU");
  EXPECT_EQ(p.card.occupation().value(), "KARYAWAN SWASTA");
  EXPECT_EQ(p.card.valid_until().value(), "SEUMUR HIDUP");
  EXPECT_LT(p.card.name().confidence_field(), 50);  // placed, not read
  // One value line too few for the missing labels: nothing is guessed.
  card.erase(card.begin() + 10);
  const reader::ParsedCard q = Parse(card);
  EXPECT_FALSE(q.card.has_name());
  EXPECT_FALSE(q.card.has_religion());
  // No header above the values: no anchor, nothing placed.
  card = {": SITI NURHALIZA", ": BANDUNG, 07-08-1985", ": PEREMPUAN"};
  EXPECT_FALSE(Parse(card).card.has_name());
}

// ---------------------------------------------------------------------------
// Vocabulary snapping

TEST(FieldParserTest, ClosedVocabularySnapping) {
  struct Case {
    size_t index;
    const char* line;
    std::string (*get)(const v1::KtpCard&);
    const char* expected;
  };
  const auto religion = [](const v1::KtpCard& c) { return c.religion().value(); };
  const auto marital = [](const v1::KtpCard& c) { return c.marital_status().value(); };
  const auto sex = [](const v1::KtpCard& c) { return c.sex().value(); };
  const auto nationality = [](const v1::KtpCard& c) { return c.nationality().value(); };
  const auto occupation = [](const v1::KtpCard& c) { return c.occupation().value(); };
  const auto valid = [](const v1::KtpCard& c) { return c.valid_until().value(); };
  for (const Case& c : std::vector<Case>{
           {10, "Agama : ISLAN", religion, "ISLAM"},
           {10, "Agama : lSLAM", religion, "ISLAM"},
           {10, "Agama : KRISTEM", religion, "KRISTEN"},
           {10, "Agama : KATHOLIK", religion, "KATOLIK"},
           {10, "Agama : BUDHA", religion, "BUDDHA"},
           {10, "Agama : KONGHUCHU", religion, "KONGHUCU"},
           {10, "Agama : HlNDU", religion, "HINDU"},
           {10, "Agama : KEPERCAYAAN TERHADAP TUHAN YME", religion, "KEPERCAYAAN TERHADAP TUHAN YME"},
           {11, "Status Perkawinan : KAWlN", marital, "KAWIN"},
           {11, "Status Perkawinan : BELUM KAWlN", marital, "BELUM KAWIN"},
           {11, "Status Perkawinan : BELUMKAWIN", marital, "BELUM KAWIN"},
           {11, "Status Perkawinan : CERAl HIDUP", marital, "CERAI HIDUP"},
           {11, "Status Perkawinan : CERAI MATl", marital, "CERAI MATI"},
           {5, "Jenis Kelamin : PEREMPUAM Gol. Darah : O", sex, "PEREMPUAN"},
           {5, "Jenis Kelamin : LAKI LAKI Gol. Darah : O", sex, "LAKI-LAKI"},
           {5, "Jenis Kelamin : LAKI-LAK1 Gol. Darah : O", sex, "LAKI-LAKI"},
           {5, "Jenis Kelamin : LAKl-LAKl", sex, "LAKI-LAKI"},
           {13, "Kewarganegaraan : WNl", nationality, "WNI"},
           {13, "Kewarganegaraan : VVNI", nationality, "WNI"},
           {13, "Kewarganegaraan : WNA", nationality, "WNA"},
           {12, "Pekerjaan : KARYAWAN SWASTA", occupation, "KARYAWAN SWASTA"},
           {12, "Pekerjaan : KARYAWAM SWASTA", occupation, "KARYAWAN SWASTA"},
           {12, "Pekerjaan : PELAJAR/MAHASlSWA", occupation, "PELAJAR/MAHASISWA"},
           {12, "Pekerjaan : PELAJAR / MAHASISWA", occupation, "PELAJAR/MAHASISWA"},
           {12, "Pekerjaan : WlRASWASTA", occupation, "WIRASWASTA"},
           {12, "Pekerjaan : MENGURUS RUMAH TANGGA", occupation, "MENGURUS RUMAH TANGGA"},
           {12, "Pekerjaan : BELUM/TIDAK BEKERJA", occupation, "BELUM/TIDAK BEKERJA"},
           {12, "Pekerjaan : PEGAWAl NEGERI SIPIL", occupation, "PEGAWAI NEGERI SIPIL"},
           {12, "Pekerjaan : GURU", occupation, "GURU"},
           {12, "Pekerjaan : PETANl/PEKEBUN", occupation, "PETANI/PEKEBUN"},
           // Not on the list: kept as read.
           {12, "Pekerjaan : PENJAHIT KEBAYA", occupation, "PENJAHIT KEBAYA"},
           {14, "Berlaku Hingga : SEUMUR HlDUP", valid, "SEUMUR HIDUP"},
           {14, "Berlaku Hingga : SEUMURHIDUP", valid, "SEUMUR HIDUP"},
       }) {
    const reader::ParsedCard p = Parse(CardWith(c.index, c.line));
    EXPECT_EQ(c.get(p.card), c.expected) << c.line;
  }
}

TEST(FieldParserTest, SnappingLowersConfidenceAndKeepsRawText) {
  const reader::ParsedCard p = Parse(CardWith(10, "Agama : ISLAN"));
  EXPECT_EQ(p.card.religion().value(), "ISLAM");
  EXPECT_EQ(p.card.religion().raw_text(), "ISLAN");
  EXPECT_LT(p.card.religion().confidence(), 90);
  EXPECT_GT(p.card.religion().confidence(), 60);
}

TEST(FieldParserTest, UnknownClosedValueKeptWithLowConfidence) {
  const reader::ParsedCard p = Parse(CardWith(10, "Agama : XYZZY QWERTY"));
  EXPECT_EQ(p.card.religion().value(), "XYZZY QWERTY");
  EXPECT_LT(p.card.religion().confidence(), 60);
}

// ---------------------------------------------------------------------------
// Place and date of birth

TEST(FieldParserTest, PlaceDateSplit) {
  struct Case {
    const char* line;
    const char* place;
    const char* date;
  };
  for (const Case& c : std::vector<Case>{
           {"Tempat/Tgl Lahir : BANDUNG,07-08-1985", "BANDUNG", "07-08-1985"},
           {"Tempat/Tgl Lahir : BANDUNG 07-08-1985", "BANDUNG", "07-08-1985"},
           {"Tempat/Tgl Lahir : KAB. BANDUNG, 07 - 08 - 1985", "BANDUNG", "07-08-1985"},
           {"Tempat/Tgl Lahir : BANDUNG, 7-8-1985", "BANDUNG", "07-08-1985"},
           {"Tempat/Tgl Lahir : BANDUNG, 07081985", "BANDUNG", "07-08-1985"},
           {"Tempat/Tgl Lahir : BANDUNG, O7-08-l985", "BANDUNG", "07-08-1985"},
           {"Tempat/Tgl Lahir : BANDUNG , 07/08/1985", "BANDUNG", "07-08-1985"},
           {"Tempat/Tgl Lahir : BANDUNQ, 07-08-1985", "BANDUNG", "07-08-1985"},
           {"Tempat/Tgl Lahir : TANJUNG BALAI KARIMUN, 31-12-2000", "TANJUNG BALAI KARIMUN", "31-12-2000"},
           {"Tempat/Tgl Lahir : KOTA BANDUNG, 07-08-1985", "BANDUNG", "07-08-1985"},
           {"Tempat/Tgl Lahir : KOTABARU, 29-02-2000", "KOTABARU", "29-02-2000"},
       }) {
    const reader::ParsedCard p = Parse(CardWith(4, c.line));
    EXPECT_EQ(p.card.birth_place().value(), c.place) << c.line;
    EXPECT_EQ(p.card.birth_date().value(), c.date) << c.line;
    EXPECT_TRUE(p.card.birth_date().has_date_value()) << c.line;
  }
}

TEST(FieldParserTest, PlaceAndDateHaveSeparateBoxes) {
  const reader::ParsedCard p = Parse(CardWith(4, "Tempat/Tgl Lahir : BANDUNG, 07-08-1985"));
  ASSERT_EQ(p.card.birth_place().polygons_size(), 1);
  ASSERT_EQ(p.card.birth_date().polygons_size(), 1);
  EXPECT_LT(p.card.birth_place().polygons(0).vertices(1).x(), p.card.birth_date().polygons(0).vertices(0).x());
  EXPECT_EQ(p.card.birth_place().raw_text(), "BANDUNG,");
  EXPECT_EQ(p.card.birth_date().raw_text(), "07-08-1985");
}

TEST(FieldParserTest, InvalidBirthDateKeptWithoutDateValue) {
  reader::ParsedCard p = Parse(CardWith(4, "Tempat/Tgl Lahir : BANDUNG, 31-02-1985"));
  EXPECT_EQ(p.card.birth_place().value(), "BANDUNG");
  EXPECT_EQ(p.card.birth_date().value(), "31-02-1985");
  EXPECT_FALSE(p.card.birth_date().has_date_value());
  EXPECT_LT(p.card.birth_date().confidence(), 50);
  // Only a place: no date field.
  p = Parse(CardWith(4, "Tempat/Tgl Lahir : BANDUNG"));
  EXPECT_EQ(p.card.birth_place().value(), "BANDUNG");
  EXPECT_FALSE(p.card.has_birth_date());
}

TEST(FieldParserTest, BirthDateReadInPartIsCompletedFromTheNik) {
  // The NIK (3204124708850003: a woman born 07-08-85) vouches for the year's
  // lost digits when everything read of the date agrees with it.
  const reader::ParsedCard clean = Parse(CleanCard());
  for (const char* line : {"Tempat/Tgl Lahir : BANDUNG, 07-08-198:", "Tempat/Tgl Lahir : BANDUNG, 7-8-198",
                           "Tempat/Tgl Lahir : BANDUNG, O7-08-198'", "Tempat/Tgl Lahir : BANDUNG, 07-08-19",
                           "Tempat/Tgl Lahir : BANDUNG, 07-08-19t", "Tempat/Tgl Lahir : BANDUNG, 07-08-1"}) {
    const reader::ParsedCard p = Parse(CardWith(4, line));
    EXPECT_EQ(p.card.birth_place().value(), "BANDUNG") << line;
    EXPECT_EQ(p.card.birth_date().value(), "07-08-1985") << line;
    EXPECT_EQ(p.card.birth_date().date_value().year(), 1985) << line;
    EXPECT_LT(p.card.birth_date().confidence(), clean.card.birth_date().confidence()) << line;
  }
  // Not when what was read disagrees with the NIK (month, decade), or says
  // too little of the year without today's date ("20" would make 2085 of the
  // NIK's 85; no year at all): kept as read, no date value.
  for (const char* line : {"Tempat/Tgl Lahir : BANDUNG, 07-09-198:", "Tempat/Tgl Lahir : BANDUNG, 07-08-197:",
                           "Tempat/Tgl Lahir : BANDUNG, 07-08-20", "Tempat/Tgl Lahir : BANDUNG, 07-08"}) {
    const reader::ParsedCard p = Parse(CardWith(4, line));
    EXPECT_EQ(p.card.birth_place().value(), "BANDUNG") << line;
    EXPECT_NE(p.card.birth_date().value(), "07-08-1985") << line;
    EXPECT_FALSE(p.card.birth_date().has_date_value()) << line;
  }
  // With today's date, a year lost whole or read as "20" takes the NIK's
  // century as DecodedNik does (the latest year not after today): 85 is
  // 1985, 04 is 2004; "20" against 85 still disagrees.
  const absl::CivilDay today(2026, 11, 29);
  auto parse_on = [&](const std::vector<std::string>& texts) {
    return reader::ParseKtpText(MakeLines(texts), TestRegions(), {}, today);
  };
  EXPECT_EQ(parse_on(CardWith(4, "Tempat/Tgl Lahir : BANDUNG, 07-08")).card.birth_date().value(), "07-08-1985");
  EXPECT_EQ(parse_on(CardWith(4, "Tempat/Tgl Lahir : BANDUNG, 07-08-20")).card.birth_date().value(), "07-08-20");
  std::vector<std::string> young = CardWith(4, "Tempat/Tgl Lahir : BANDUNG, 07-08-20");
  young[2] = "NIK : 3204124708040003";
  EXPECT_EQ(parse_on(young).card.birth_date().value(), "07-08-2004");
  EXPECT_EQ(parse_on(young).card.birth_date().date_value().year(), 2004);
  EXPECT_EQ(Parse(young).card.birth_date().value(), "07-08-20");  // no clock: as read
  young[4] = "Tempat/Tgl Lahir : BANDUNG, 07-08";
  EXPECT_EQ(parse_on(young).card.birth_date().value(), "07-08-2004");
  // Nor without a NIK to complete it from.
  std::vector<std::string> card = CardWith(4, "Tempat/Tgl Lahir : BANDUNG, 07-08-198:");
  card[2] = "NIK : 32041247";
  const reader::ParsedCard p = Parse(card);
  EXPECT_EQ(p.card.nik().value(), "");
  EXPECT_EQ(p.card.birth_date().value(), "07-08-198");
  EXPECT_FALSE(p.card.birth_date().has_date_value());
}

TEST(FieldParserTest, ValidUntilOneDigitOffTheBirthdayIsTheBirthday) {
  // A card valid until a date is valid until its holder's birthday (the
  // clean card: born 07-08-1985, which its NIK vouches for).
  for (const char* line : {"Berlaku Hingga : 01-08-2017", "Berlaku Hingga : 07-09-2017", "Berlaku Hingga : 07-98-2017"}) {
    const reader::ParsedCard p = Parse(CardWith(14, line));
    EXPECT_EQ(p.card.valid_until().value(), "07-08-2017") << line;
    EXPECT_EQ(p.card.valid_until().date_value().day(), 7) << line;
    EXPECT_LT(p.card.valid_until().confidence(), Parse(CardWith(14, "Berlaku Hingga : 07-08-2017")).card.valid_until().confidence()) << line;
  }
  // Two digits off, the year alone, for life: as read.
  EXPECT_EQ(Parse(CardWith(14, "Berlaku Hingga : 12-09-2017")).card.valid_until().value(), "12-09-2017");
  EXPECT_EQ(Parse(CardWith(14, "Berlaku Hingga : 07-08-2017")).card.valid_until().value(), "07-08-2017");
  EXPECT_EQ(Parse(CardWith(14, "Berlaku Hingga : SEUMUR HIDUP")).card.valid_until().value(), "SEUMUR HIDUP");
  // Not when the NIK does not vouch for the birth date (NIK day 47 = the 7th
  // for a woman; a printed 17-09-1986 disagrees beyond mending).
  std::vector<std::string> card = CardWith(14, "Berlaku Hingga : 01-08-2017");
  card[4] = "Tempat/Tgl Lahir : BANDUNG, 17-09-1986";
  EXPECT_EQ(Parse(card).card.valid_until().value(), "01-08-2017");
}

TEST(FieldParserTest, ValidUntilDate) {
  // (Not the holder's birthday, 07-08: see ValidUntilOneDigitOffTheBirthdayIsTheBirthday.)
  const reader::ParsedCard p = Parse(CardWith(14, "Berlaku Hingga : 27-10-2027"));
  EXPECT_EQ(p.card.valid_until().value(), "27-10-2027");
  ASSERT_TRUE(p.card.valid_until().has_date_value());
  EXPECT_EQ(p.card.valid_until().date_value().year(), 2027);
  EXPECT_EQ(p.card.valid_until().date_value().month(), 10);
  EXPECT_EQ(p.card.valid_until().date_value().day(), 27);
  const reader::ParsedCard q = Parse(CardWith(14, "Berlaku Hingga : 27 - 1O - 2027"));
  EXPECT_EQ(q.card.valid_until().value(), "27-10-2027");
  EXPECT_TRUE(q.card.valid_until().has_date_value());
}

TEST(FieldParserTest, ValidUntilColonReadAsAOneBeforeTheDay) {
  const reader::ParsedCard p = Parse(CardWith(14, "Berlaku Hingga 118-09-2017"));
  EXPECT_EQ(p.card.valid_until().value(), "18-09-2017");
  EXPECT_TRUE(p.card.valid_until().has_date_value());
  // Another digit before the day is no colon: not a date.
  EXPECT_FALSE(Parse(CardWith(14, "Berlaku Hingga : 218-09-2017")).card.valid_until().has_date_value());
}

// ---------------------------------------------------------------------------
// RT/RW and address

TEST(FieldParserTest, RtRwForms) {
  for (const char* line : {"RT/RW : 001/002", "RT/RW : 001 / 002", "RT/RW : 1/2", "RT/RW : 0O1/0O2", "RT/RW 001002",
                           "RTRW : 001/002", "RT/RW : 001/002 ~"}) {
    EXPECT_EQ(Parse(CardWith(7, line)).card.rt_rw().value(), "001/002") << line;
  }
  EXPECT_EQ(Parse(CardWith(7, "RT/RW : 014/000")).card.rt_rw().value(), "014/000");
  // The slash read as a 1 or a 7 between two groups of three.
  EXPECT_EQ(Parse(CardWith(7, "RT/RW : 0201004")).card.rt_rw().value(), "020/004");
  EXPECT_EQ(Parse(CardWith(7, "RT/RW : 0077003")).card.rt_rw().value(), "007/003");
  // Seven digits with another digit in the middle: left as read.
  EXPECT_EQ(Parse(CardWith(7, "RT/RW : 0205004")).card.rt_rw().value(), "0205004");
  // The colon glued before and the slash read as a 1: eight digits.
  EXPECT_EQ(Parse(CardWith(7, "RT/RW : 10111014")).card.rt_rw().value(), "011/014");
  EXPECT_EQ(Parse(CardWith(7, "RT/RW 10227015")).card.rt_rw().value(), "022/015");
  EXPECT_EQ(Parse(CardWith(7, "RT/RW : 20111014")).card.rt_rw().value(), "20111014");
}

TEST(FieldParserTest, RtRwColonReadAsAOneBeforeIt) {
  EXPECT_EQ(Parse(CardWith(7, "RT/RW : 1018/007")).card.rt_rw().value(), "018/007");
  EXPECT_EQ(Parse(CardWith(7, "RT/RW 1018/007")).card.rt_rw().value(), "018/007");
  EXPECT_EQ(Parse(CardWith(7, "RT/RW : 1. 014/011")).card.rt_rw().value(), "014/011");
  // The slash read as "/1" before the RW, with or without the colon's 1.
  EXPECT_EQ(Parse(CardWith(7, "RT/RW : 002/1013")).card.rt_rw().value(), "002/013");
  EXPECT_EQ(Parse(CardWith(7, "RT/RW : 1002/1013")).card.rt_rw().value(), "002/013");
  EXPECT_EQ(Parse(CardWith(7, "RT/RW : 002/2013")).card.rt_rw().value(), "002/2013");
  // ... or as "1/" after the RT, or its foot as a 9 before the RW.
  EXPECT_EQ(Parse(CardWith(7, "RT/RW : 0081/013")).card.rt_rw().value(), "008/013");
  EXPECT_EQ(Parse(CardWith(7, "RT/RW : 0082/013")).card.rt_rw().value(), "0082/013");
  EXPECT_EQ(Parse(CardWith(7, "RT/RW : 003/9003")).card.rt_rw().value(), "003/003");
  EXPECT_EQ(Parse(CardWith(7, "RT/RW : 1011/9006")).card.rt_rw().value(), "011/006");
  EXPECT_EQ(Parse(CardWith(7, "RT/RW : 003/8003")).card.rt_rw().value(), "003/8003");
  // The colon's 1 and the two groups with the slash lost.
  EXPECT_EQ(Parse(CardWith(7, "RT/RW : 1016011")).card.rt_rw().value(), "016/011");
  EXPECT_EQ(Parse(CardWith(7, "RT/RW : 2016011")).card.rt_rw().value(), "2016011");
  // Not a 1, or not beyond three digits: as before.
  EXPECT_EQ(Parse(CardWith(7, "RT/RW : 2018/007")).card.rt_rw().value(), "2018/007");
  EXPECT_EQ(Parse(CardWith(7, "RT/RW : 101/007")).card.rt_rw().value(), "101/007");
}

TEST(FieldParserTest, AddressAbbreviationStopReadAsACommaAndStrayColons) {
  EXPECT_EQ(Parse(CardWith(6, "Alamat : KP, BATU AMPAR")).card.address().value(), "KP. BATU AMPAR");
  EXPECT_EQ(Parse(CardWith(6, "Alamat : LINGK, PELITA")).card.address().value(), "LINGK. PELITA");
  EXPECT_EQ(Parse(CardWith(6, "Alamat : JL.MAWAR NO, 5")).card.address().value(), "JL.MAWAR NO. 5");
  EXPECT_EQ(Parse(CardWith(6, "Alamat : PERUM:BUMI ASRI")).card.address().value(), "PERUM BUMI ASRI");
  EXPECT_EQ(Parse(CardWith(6, "Alamat : JL. MAWAR : NO. 5")).card.address().value(), "JL. MAWAR NO. 5");
  // Spacing and missing stops are left as read (cards print both forms), and
  // so are commas that follow no street abbreviation.
  EXPECT_EQ(Parse(CardWith(6, "Alamat : JL TERATAI NO.55")).card.address().value(), "JL TERATAI NO.55");
  EXPECT_EQ(Parse(CardWith(6, "Alamat : BLOK C, NO. 3")).card.address().value(), "BLOK C, NO. 3");
}

TEST(FieldParserTest, AddressInTitleCaseHasItsStreetAbbreviationBack) {
  // "Jl." and "Jln." printed in title case: Tesseract reads the l as an i.
  EXPECT_EQ(Parse(CardWith(6, "Alamat : Jin. Mawar No. 5")).card.address().value(), "JLN. MAWAR NO. 5");
  EXPECT_EQ(Parse(CardWith(6, "Alamat : Ji. Pelita No. 124")).card.address().value(), "JL. PELITA NO. 124");
  EXPECT_EQ(Parse(CardWith(6, "Alamat : Perum Asri Blok B2 No. 4 Jin. Melati")).card.address().value(),
            "PERUM ASRI BLOK B2 NO. 4 JLN. MELATI");
  // Without the stop it is a word, left as read.
  EXPECT_EQ(Parse(CardWith(6, "Alamat : GG. JIN NO. 5")).card.address().value(), "GG. JIN NO. 5");
}

TEST(FieldParserTest, AddressAbbreviationWithItsStopHasItsMisreadLettersBack) {
  for (const auto& [line, address] : std::vector<std::pair<std::string, std::string>>{
           {"Alamat : JUN. SIDOMULYO", "JLN. SIDOMULYO"},
           {"Alamat : 1 UNGK. KEBON KOPI", "LINGK. KEBON KOPI"},
           {"Alamat : 1JL. RAYA TIMUR NO. 74", "JL. RAYA TIMUR NO. 74"},
           {"Alamat : 6G. MAWAR NO. 43", "GG. MAWAR NO. 43"},
           {"Alamat : G6, MAWAR NO. 142", "GG. MAWAR NO. 142"},
           {"Alamat : PERUM ASRI BLOK AS NO. 38 JUN. CIPTA KARYA", "PERUM ASRI BLOK A5 NO. 38 JLN. CIPTA KARYA"},
           {"Alamat : PERUM ASRI BLOK HIS NO. 3", "PERUM ASRI BLOK H15 NO. 3"},
           // Without the stop a word; a block of two letters; a 1 before a
           // word that is no abbreviation: as read.
           {"Alamat : DUSUN JUN", "DUSUN JUN"},
           {"Alamat : PERUM ASRI BLOK AA NO. 3", "PERUM ASRI BLOK AA NO. 3"},
           {"Alamat : PERUM ASRI BLOK AT NO. 3", "PERUM ASRI BLOK AT NO. 3"},
           {"Alamat : PERUM ASRI BLOK C NO. 3", "PERUM ASRI BLOK C NO. 3"},
           {"Alamat : 1 MAWAR NO. 5", "1 MAWAR NO. 5"},
       }) {
    EXPECT_EQ(Parse(CardWith(6, line)).card.address().value(), address) << line;
  }
}

TEST(FieldParserTest, AddressStopReadTwiceAndHouseNumberDigitReadAsALetter) {
  EXPECT_EQ(Parse(CardWith(6, "Alamat : KOMP., PERMATA HIJAU NO. 14")).card.address().value(),
            "KOMP. PERMATA HIJAU NO. 14");
  EXPECT_EQ(Parse(CardWith(6, "Alamat : JL. RAJAWALI NO. S1")).card.address().value(), "JL. RAJAWALI NO. 51");
  EXPECT_EQ(Parse(CardWith(6, "Alamat : JL. RAJAWALI NO.l5")).card.address().value(), "JL. RAJAWALI NO.15");
  // A letter suffix, a word after NO., a lone letter: as read.
  EXPECT_EQ(Parse(CardWith(6, "Alamat : JL. MAWAR NO. 12A")).card.address().value(), "JL. MAWAR NO. 12A");
  EXPECT_EQ(Parse(CardWith(6, "Alamat : JL. MAWAR NO. SATU")).card.address().value(), "JL. MAWAR NO. SATU");
  EXPECT_EQ(Parse(CardWith(6, "Alamat : JL. MAWAR NO. B")).card.address().value(), "JL. MAWAR NO. B");
}

TEST(FieldParserTest, MultiLineAddress) {
  std::vector<std::string> card = CleanCard();
  card[6] = "Alamat : JL. MERDEKA NO. 10";
  card.insert(card.begin() + 7, "KOMPLEK GRIYA INDAH BLOK C");
  const reader::ParsedCard p = Parse(card);
  EXPECT_EQ(p.card.address().value(), "JL. MERDEKA NO. 10 KOMPLEK GRIYA INDAH BLOK C");
  ASSERT_EQ(p.card.address().polygons_size(), 1);
  const auto& v = p.card.address().polygons(0).vertices();
  EXPECT_EQ(v[0].y(), 10 + 40 * 6);
  EXPECT_EQ(v[2].y(), 10 + 40 * 7 + 30);
  EXPECT_EQ(p.card.rt_rw().value(), "001/002");
  EXPECT_EQ(p.card.village().value(), "SUKAMAJU");
}

TEST(FieldParserTest, AddressSkipsSpecksAndKeepsRtRwSeparate) {
  std::vector<std::string> card = CleanCard();
  card.insert(card.begin() + 7, "i .");
  const reader::ParsedCard p = Parse(card);
  EXPECT_EQ(p.card.address().value(), "JL. MERDEKA NO. 10");
  // RT/RW label unreadable: its numbers are not taken into the address.
  const reader::ParsedCard q = Parse(CardWith(7, "XX/YY 001/002"));
  EXPECT_EQ(q.card.address().value(), "JL. MERDEKA NO. 10");
  EXPECT_EQ(q.card.rt_rw().value(), "001/002");
  EXPECT_LT(q.card.rt_rw().confidence_field(), 50);
}

TEST(FieldParserTest, ClosedValueSplitOntoNextLine) {
  std::vector<std::string> card = CleanCard();
  card[11] = "Status Perkawinan :";
  card.insert(card.begin() + 12, "BELUM KAWIN");
  const reader::ParsedCard p = Parse(card);
  EXPECT_EQ(p.card.marital_status().value(), "BELUM KAWIN");
  EXPECT_EQ(p.card.occupation().value(), "KARYAWAN SWASTA");
}

// ---------------------------------------------------------------------------
// Header and regions

TEST(FieldParserTest, HeaderVariants) {
  struct Case {
    const char* province_line;
    const char* city_line;
    const char* province;
    const char* city;
  };
  for (const Case& c : std::vector<Case>{
           {"PROVlNSI JAWA BARAT", "KABUPATEN BANDUNG", "JAWA BARAT", "BANDUNG"},
           {"PROVINSI JAWA BARAT", "KAB. BANDUNG", "JAWA BARAT", "BANDUNG"},
           {"PROVINSI JAWA BARAT", "KAB.BANDUNG", "JAWA BARAT", "BANDUNG"},
           {"PROVINSI JAWA BARAT", "KABUPATEM BANDUNG", "JAWA BARAT", "BANDUNG"},
           {"PR0VINSI JAVVA BARAT", "KABUPATEN BANDUNQ", "JAWA BARAT", "BANDUNG"},
           {"| PROVINSI JAWA BARAT ~", "KABUPATEN BANDUNG .", "JAWA BARAT", "BANDUNG"},
       }) {
    std::vector<std::string> card = CleanCard();
    card[0] = c.province_line;
    card[1] = c.city_line;
    const reader::ParsedCard p = Parse(card);
    EXPECT_EQ(p.card.province().value(), c.province) << c.province_line;
    EXPECT_EQ(p.card.city_regency().value(), c.city) << c.city_line;
    EXPECT_EQ(p.labels_found, 15);
  }
}

TEST(FieldParserTest, JakartaHeaderWithoutKotaPrefix) {
  std::vector<std::string> card = CleanCard();
  card[0] = "PROVINSI DKI JAKARTA";
  card[1] = "JAKARTA SELATAN";
  card[2] = "NIK : 3174014708850003";
  card[8] = "Kel/Desa : TEBET BARAT";
  card[9] = "Kecamatan : TEBET";
  const reader::ParsedCard p = Parse(card);
  EXPECT_EQ(p.card.province().value(), "DKI JAKARTA");
  EXPECT_EQ(p.card.city_regency().value(), "JAKARTA SELATAN");
  EXPECT_EQ(p.card.district().value(), "TEBET");
  EXPECT_EQ(p.card.village().value(), "TEBET BARAT");
  EXPECT_EQ(p.card.nik().value(), "3174014708850003");
}

TEST(FieldParserTest, KotaHeader) {
  std::vector<std::string> card = CleanCard();
  card[0] = "PROVINSI JAWA TENGAH";
  card[1] = "KOTA SEMARANG";
  card[2] = "NIK : 3374014708850003";
  card[8] = "Kel/Desa : KEMBANGSAR1";
  card[9] = "Kecamatan : SEMARANG TENGAH";
  const reader::ParsedCard p = Parse(card);
  EXPECT_EQ(p.card.province().value(), "JAWA TENGAH");
  EXPECT_EQ(p.card.city_regency().value(), "SEMARANG");
  EXPECT_EQ(p.card.district().value(), "SEMARANG TENGAH");
  EXPECT_EQ(p.card.village().value(), "KEMBANGSARI");
}

TEST(FieldParserTest, RegionSnappingViaNik) {
  std::vector<std::string> card = CleanCard();
  card[0] = "PROVINSI JAWA BARAK";
  card[1] = "KABUPATEN BANDUMG";
  card[8] = "Kel/Desa : SUKAMAJO";
  card[9] = "Kecamatan : CIBIRI";
  const reader::ParsedCard p = Parse(card);
  ExpectCleanValues(p.card);
  EXPECT_EQ(p.card.village().raw_text(), "SUKAMAJO");
  EXPECT_LT(p.card.village().confidence(), 90);
  // A village of the district, misread more heavily.
  EXPECT_EQ(Parse(CardWith(8, "Kel/Desa : CIBIRU WETAM")).card.village().value(), "CIBIRU WETAN");
  EXPECT_EQ(Parse(CardWith(8, "Kel/Desa : CINUMUK")).card.village().value(), "CINUNUK");
}

TEST(FieldParserTest, RegionSnappingWithoutNik) {
  std::vector<std::string> card = CleanCard();
  card[0] = "PROVINSI JAWA BARAK";
  card[1] = "KABUPATEN BANDUMG";
  card[2] = "NIK : ~";
  card[8] = "Kel/Desa : SUKAMAJO";
  card[9] = "Kecamatan : CIBIRI";
  const reader::ParsedCard p = Parse(card);
  EXPECT_FALSE(p.card.has_nik());
  EXPECT_EQ(p.card.province().value(), "JAWA BARAT");
  EXPECT_EQ(p.card.city_regency().value(), "BANDUNG");
  EXPECT_EQ(p.card.district().value(), "CIBIRU");
  EXPECT_EQ(p.card.village().value(), "SUKAMAJU");
}

TEST(FieldParserTest, TextNamingAnotherRegionIsTrusted) {
  // The NIK says Kabupaten Bandung, the header says Jawa Tengah / Semarang.
  std::vector<std::string> card = CleanCard();
  card[0] = "PROVINSI JAWA TENGAH";
  card[1] = "KOTA SEMARANG";
  card[9] = "Kecamatan : SEMARANG TENGAH";
  const reader::ParsedCard p = Parse(card);
  EXPECT_EQ(p.card.province().value(), "JAWA TENGAH");
  EXPECT_EQ(p.card.city_regency().value(), "SEMARANG");
  EXPECT_EQ(p.card.district().value(), "SEMARANG TENGAH");
}

TEST(FieldParserTest, UnknownRegionTextKept) {
  std::vector<std::string> card = CleanCard();
  card[9] = "Kecamatan : ANTAH BERANTAH";
  card[8] = "Kel/Desa : ENTAH DIMANA";
  const reader::ParsedCard p = Parse(card);
  EXPECT_EQ(p.card.district().value(), "ANTAH BERANTAH");
  EXPECT_EQ(p.card.village().value(), "ENTAH DIMANA");
  EXPECT_FLOAT_EQ(p.card.district().confidence(), 90);
}

TEST(FieldParserTest, EmptyDirectoryStillParses) {
  auto empty = identity::RegionDirectory::Parse("", "");
  ASSERT_TRUE(empty.ok());
  const reader::ParsedCard p = reader::ParseKtpText(MakeLines(CleanCard()), *empty);
  ExpectCleanValues(p.card);
}

TEST(FieldParserTest, EmbeddedDirectory) {
  std::vector<std::string> card = CleanCard();
  card[1] = "KABUPATEN BANDUMG";
  card[9] = "Kecamatan : CILEUNYl";
  card[2] = "NIK : 3204054708850003";
  const reader::ParsedCard p = reader::ParseKtpText(MakeLines(card), identity::RegionDirectory::Embedded());
  EXPECT_EQ(p.card.province().value(), "JAWA BARAT");
  EXPECT_EQ(p.card.city_regency().value(), "BANDUNG");
  EXPECT_EQ(p.card.birth_place().value(), "BANDUNG");
  EXPECT_EQ(p.card.district().value(), "CILEUNYI");
  const reader::ParsedCard q = reader::ParseKtpText(MakeLines(CleanCard()), identity::RegionDirectory::Embedded());
  EXPECT_EQ(q.card.name().value(), "SITI NURHALIZA");
  EXPECT_EQ(q.labels_found, 15);
}

TEST(FieldParserTest, EmbeddedDirectoryJakarta) {
  std::vector<std::string> card = CleanCard();
  card[0] = "PROVINSI DKI JAKARTA";
  card[1] = "JAKARTA SELATAN";
  card[2] = "NIK : 3174014708850003";
  card[8] = "Kel/Desa : TEBET BARAT";
  card[9] = "Kecamatan : TEBET";
  const reader::ParsedCard p = reader::ParseKtpText(MakeLines(card), identity::RegionDirectory::Embedded());
  EXPECT_EQ(p.card.city_regency().value(), "JAKARTA SELATAN");
  EXPECT_EQ(p.card.district().value(), "TEBET");
  EXPECT_EQ(p.card.village().value(), "TEBET BARAT");
}

// ---------------------------------------------------------------------------
// Positional fallback

TEST(FieldParserTest, UnreadableLabelFallsBackToPosition) {
  const reader::ParsedCard p = Parse(CardWith(9, "Xyzqwv : CIBIRU"));
  EXPECT_EQ(p.card.district().value(), "CIBIRU");
  EXPECT_LT(p.card.district().confidence_field(), 50);
  EXPECT_EQ(p.labels_found, 14);
  const reader::ParsedCard q = Parse(CardWith(10, "Xgxmq ISLAM"));
  EXPECT_EQ(q.card.religion().value(), "ISLAM");
}

TEST(FieldParserTest, MissingLinesLeaveFieldsUnset) {
  std::vector<std::string> card = CleanCard();
  card.erase(card.begin() + 9);  // no Kecamatan line at all
  const reader::ParsedCard p = Parse(card);
  EXPECT_FALSE(p.card.has_district());
  EXPECT_EQ(p.card.village().value(), "SUKAMAJU");
  EXPECT_EQ(p.card.religion().value(), "ISLAM");
  EXPECT_EQ(p.labels_found, 14);
}

// ---------------------------------------------------------------------------
// Garbage

TEST(FieldParserTest, EmptyInput) {
  const reader::ParsedCard p = reader::ParseKtpText({}, TestRegions());
  EXPECT_EQ(p.labels_found, 0);
  EXPECT_EQ(p.card.ByteSizeLong(), 0u);
  const reader::ParsedCard q = Parse({"", "   ", "~ ~ |", ""});
  EXPECT_EQ(q.labels_found, 0);
  EXPECT_EQ(q.card.ByteSizeLong(), 0u);
}

TEST(FieldParserTest, NoLabels) {
  const reader::ParsedCard p = Parse({"THE QUICK BROWN FOX", "JUMPS OVER", "THE LAZY DOG 12345"});
  EXPECT_EQ(p.labels_found, 0);
  EXPECT_FALSE(p.card.has_name());
  EXPECT_FALSE(p.card.has_nik());
}

TEST(FieldParserTest, NonUtf8BytesAreDropped) {
  std::vector<std::string> card = CleanCard();
  card[3] = "Nama : SITI \xff\xfe NURHAL\xc3\x28IZA";
  const reader::ParsedCard p = Parse(card);
  EXPECT_EQ(p.card.name().value(), "SITI NURHAL(IZA");
  std::string serialised;
  EXPECT_TRUE(p.card.SerializeToString(&serialised));
}

TEST(FieldParserTest, HugeLines) {
  std::vector<std::string> card = CleanCard();
  card[6] = "Alamat : " + std::string(200000, 'A');
  card.push_back(std::string(100000, ':'));
  std::string words;
  for (int i = 0; i < 20000; ++i) words += "Nama ";
  card.push_back(words);
  const reader::ParsedCard p = Parse(card);
  EXPECT_EQ(p.card.name().value(), "SITI NURHALIZA");
  EXPECT_LE(p.card.address().value().size(), 1024u);
}

TEST(FieldParserTest, ManyLines) {
  std::vector<std::string> card;
  for (int i = 0; i < 5000; ++i) card.push_back("Nama : X");
  const reader::ParsedCard p = Parse(card);
  EXPECT_EQ(p.card.name().value(), "X");
}

TEST(FieldParserTest, RandomBytesNeverCrash) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> len(0, 120);
  std::uniform_int_distribution<int> count(0, 25);
  const std::vector<std::string> clean = CleanCard();
  for (int iter = 0; iter < 400; ++iter) {
    std::vector<reader::OcrLine> lines;
    const int n = count(rng);
    for (int i = 0; i < n; ++i) {
      std::string text;
      // Half the time, a real line with random damage; else pure noise.
      if (iter % 2 == 0) {
        text = clean[static_cast<size_t>(i) % clean.size()];
        for (int k = 0; k < 5 && !text.empty(); ++k) text[static_cast<size_t>(byte(rng)) % text.size()] = static_cast<char>(byte(rng));
      } else {
        const int l = len(rng);
        for (int k = 0; k < l; ++k) text.push_back(static_cast<char>(byte(rng)));
      }
      reader::OcrLine line = MakeLine(text, i, static_cast<float>(byte(rng)) - 50);
      if (iter % 3 == 0) line.words.clear();
      if (iter % 5 == 0 && !line.words.empty()) line.words[0].box = {-5, -5, -10, -10};
      lines.push_back(line);
    }
    const reader::ParsedCard p = reader::ParseKtpText(lines, TestRegions());
    EXPECT_GE(p.labels_found, 0);
    EXPECT_LE(p.labels_found, 15);
    std::string serialised;
    EXPECT_TRUE(p.card.SerializeToString(&serialised));
    const auto* desc = p.card.GetDescriptor();
    const auto* refl = p.card.GetReflection();
    for (int i = 0; i < desc->field_count(); ++i) {
      if (!refl->HasField(p.card, desc->field(i))) continue;
      if (desc->field(i)->message_type() != v1::KtpField::descriptor()) continue;
      const auto& f = static_cast<const v1::KtpField&>(refl->GetMessage(p.card, desc->field(i)));
      EXPECT_GE(f.confidence(), 0);
      EXPECT_LE(f.confidence(), 100);
      if (desc->field(i)->name() == "nik" && f.value().empty()) {
        EXPECT_EQ(f.confidence(), 0);  // an untrusted NIK: reported empty, its digits in raw_text
        continue;
      }
      EXPECT_FALSE(f.value().empty());
    }
  }
}

}  // namespace
}  // namespace ktp::reader

namespace ktp::reader {
namespace {

TEST(FieldParserCorroborationTest, NikAgreeingWithBirthDateSexAndRegionIsTrustedDespiteLowOcrConfidence) {
  std::vector<reader::OcrLine> lines = MakeLines(CleanCard());
  lines[2] = MakeLine(CleanCard()[2], 2, /*confidence=*/45);  // the NIK line, read hesitantly
  reader::ParsedCard p = reader::ParseKtpText(lines, TestRegions());
  EXPECT_FLOAT_EQ(p.card.nik().confidence(), 90);

  // The same hesitant NIK with a birth date that disagrees keeps its low confidence.
  std::vector<std::string> texts = CleanCard();
  for (auto& t : texts) {
    if (t.rfind("Tempat", 0) == 0) t = "Tempat/Tgl Lahir : BANDUNG, 08-07-1985";
  }
  lines = MakeLines(texts);
  lines[2] = MakeLine(texts[2], 2, 45);
  p = reader::ParseKtpText(lines, TestRegions());
  EXPECT_LT(p.card.nik().confidence(), 45);
}

}  // namespace
}  // namespace ktp::reader

// ---------------------------------------------------------------------------
// Calendar: a date gets a date_value only when it is a real day (month
// lengths, Gregorian leap years, the years a KTP prints); otherwise it is kept
// as read, without one.

namespace ktp::reader {
namespace {

struct DateCase {
  const char* printed;  // DD-MM-YYYY
  int day, month, year;  // the expected date_value; day 0 = none (not a real day)
};

void ExpectBirthDate(const DateCase& c) {
  // No NIK: the date as printed, not as a NIK would mend it.
  std::vector<std::string> card = CardWith(4, std::string("Tempat/Tgl Lahir : BANDUNG, ") + c.printed);
  card[2] = "NIK :";
  const reader::ParsedCard p = Parse(card);
  EXPECT_EQ(p.card.birth_date().value(), c.printed);
  if (c.day == 0) {
    EXPECT_FALSE(p.card.birth_date().has_date_value()) << c.printed;
    return;
  }
  ASSERT_TRUE(p.card.birth_date().has_date_value()) << c.printed;
  EXPECT_EQ(p.card.birth_date().date_value().year(), c.year) << c.printed;
  EXPECT_EQ(p.card.birth_date().date_value().month(), c.month) << c.printed;
  EXPECT_EQ(p.card.birth_date().date_value().day(), c.day) << c.printed;
}

TEST(FieldParserCalendarTest, TwentyNinthOfFebruaryOnlyInLeapYears) {
  for (const DateCase& c : std::vector<DateCase>{
           {"29-02-2000", 29, 2, 2000},  // divisible by 400: leap
           {"29-02-1996", 29, 2, 1996},
           {"29-02-2004", 29, 2, 2004},
           {"29-02-1904", 29, 2, 1904},
           {"28-02-1985", 28, 2, 1985},
           {"29-02-1985", 0, 0, 0},
           {"29-02-2001", 0, 0, 0},
           {"29-02-1900", 0, 0, 0},  // divisible by 100 but not 400: not leap
           {"29-02-2100", 0, 0, 0},
           {"30-02-2000", 0, 0, 0},
       }) {
    ExpectBirthDate(c);
  }
  // The same rule for the validity date.
  reader::ParsedCard p = Parse(CardWith(14, "Berlaku Hingga : 29-02-2028"));
  ASSERT_TRUE(p.card.valid_until().has_date_value());
  EXPECT_EQ(p.card.valid_until().date_value().day(), 29);
  EXPECT_EQ(p.card.valid_until().date_value().month(), 2);
  p = Parse(CardWith(14, "Berlaku Hingga : 29-02-2027"));
  EXPECT_EQ(p.card.valid_until().value(), "29-02-2027");
  EXPECT_FALSE(p.card.valid_until().has_date_value());
}

TEST(FieldParserCalendarTest, EveryMonthEndsOnItsLastDay) {
  // 1985: not a leap year; 1988: one.
  const int kLength[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (int month = 1; month <= 12; ++month) {
    for (int year : {1985, 1988}) {
      const int last = kLength[month - 1] + (month == 2 && year == 1988 ? 1 : 0);
      char printed[32];
      std::snprintf(printed, sizeof printed, "%02d-%02d-%04d", last, month, year);
      ExpectBirthDate({printed, last, month, year});
      std::snprintf(printed, sizeof printed, "%02d-%02d-%04d", last + 1, month, year);
      ExpectBirthDate({printed, 0, 0, 0});
    }
  }
  // No day or month zero, no thirteenth month.
  for (const char* printed : {"00-05-1985", "15-00-1985", "15-13-1985"}) ExpectBirthDate({printed, 0, 0, 0});
}

TEST(FieldParserCalendarTest, OnlyTheYearsAKtpPrints) {
  ExpectBirthDate({"01-01-1900", 1, 1, 1900});
  ExpectBirthDate({"31-12-1899", 0, 0, 0});
  const reader::ParsedCard p = Parse(CardWith(14, "Berlaku Hingga : 31-12-2200"));
  EXPECT_TRUE(p.card.valid_until().has_date_value());
  const reader::ParsedCard q = Parse(CardWith(14, "Berlaku Hingga : 01-01-2201"));
  EXPECT_FALSE(q.card.valid_until().has_date_value());
}

}  // namespace
}  // namespace ktp::reader
