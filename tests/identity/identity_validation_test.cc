// identity/identity_validation: NIK decoding, every check and its edges, and
// the normalized values. Identities are invented; region codes are the real
// Kemendagri ones from the embedded table.
#include "identity/identity_validation.h"

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace ktp {
namespace {

using identity::ValidateCard;

const absl::CivilDay kToday(2026, 11, 27);

// An invented card that agrees with itself: Kota Bandar Lampung / Kedaton,
// born 09-07-1993, male (the shape of the API reference's example).
v1::KtpCard GoodCard() {
  v1::KtpCard c;
  c.mutable_nik()->set_value("1871010907930009");
  c.mutable_name()->set_value("BUDI CONTOH");
  c.mutable_birth_place()->set_value("BANDAR LAMPUNG");
  c.mutable_birth_date()->set_value("09-07-1993");
  c.mutable_sex()->set_value("LAKI-LAKI");
  c.mutable_blood_type()->set_value("-");
  c.mutable_village()->set_value("KEDATON");
  c.mutable_district()->set_value("KEDATON");
  c.mutable_religion()->set_value("ISLAM");
  c.mutable_marital_status()->set_value("BELUM KAWIN");
  c.mutable_nationality()->set_value("WNI");
  c.mutable_valid_until()->set_value("SEUMUR HIDUP");
  c.mutable_province()->set_value("LAMPUNG");
  c.mutable_city_regency()->set_value("KOTA BANDAR LAMPUNG");
  return c;
}

const v1::IdentityCheck& CheckOf(const v1::IdentityValidation& v, v1::CheckKind kind) {
  for (const auto& c : v.checks()) {
    if (c.kind() == kind) return c;
  }
  static const v1::IdentityCheck none;
  ADD_FAILURE() << "no check of kind " << v1::CheckKind_Name(kind);
  return none;
}

// "outcome/detail" of one check, for compact assertions.
std::string Result(const v1::KtpCard& card, v1::CheckKind kind, absl::CivilDay today = kToday) {
  const v1::IdentityValidation v = ValidateCard(card, today);
  const v1::IdentityCheck& c = CheckOf(v, kind);
  return std::string(identity::CheckOutcomeLabel(c.outcome())) + "/" + c.detail();
}

TEST(IdentityValidationTest, ConsistentCardPassesEveryCheckInKindOrder) {
  const v1::IdentityValidation v = ValidateCard(GoodCard(), kToday);
  ASSERT_EQ(v.checks_size(), 8);
  for (int i = 0; i < v.checks_size(); ++i) {
    EXPECT_EQ(v.checks(i).kind(), i + 1);
    EXPECT_EQ(v.checks(i).outcome(), v1::CHECK_OUTCOME_PASS) << v1::CheckKind_Name(v.checks(i).kind()) << " "
                                                             << v.checks(i).detail();
  }
  EXPECT_TRUE(v.consistent());
  EXPECT_EQ(v.nik().province().code(), "18");
  EXPECT_EQ(v.nik().province().name(), "LAMPUNG");
  EXPECT_EQ(v.nik().city_regency().code(), "18.71");
  EXPECT_EQ(v.nik().city_regency().name(), "KOTA BANDAR LAMPUNG");
  EXPECT_EQ(v.nik().district().code(), "18.71.01");
  EXPECT_EQ(v.nik().district().name(), "KEDATON");
  EXPECT_EQ(v.nik().birth_date().year(), 1993);
  EXPECT_EQ(v.nik().birth_date().month(), 7);
  EXPECT_EQ(v.nik().birth_date().day(), 9);
  EXPECT_EQ(v.nik().sex(), v1::SEX_MALE);
  EXPECT_EQ(v.nik().serial(), "0009");
}

TEST(IdentityValidationTest, NikOf15Or17DigitsOrWithLettersFailsFormatAndSkipsTheRest) {
  for (const char* nik : {"187101090793000", "18710109079300091", "18710109O7930009"}) {
    v1::KtpCard c = GoodCard();
    c.mutable_nik()->set_value(nik);
    const v1::IdentityValidation v = ValidateCard(c, kToday);
    EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_FORMAT), "fail/not_16_digits") << nik;
    EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_REGION), "not_checked/invalid_nik");
    EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_BIRTH_DATE), "not_checked/invalid_nik");
    EXPECT_EQ(Result(c, v1::CHECK_KIND_REGION_NAMES), "not_checked/invalid_nik");
    EXPECT_FALSE(v.has_nik());
    EXPECT_FALSE(v.consistent());
  }
}

TEST(IdentityValidationTest, MissingNikIsNotCheckedAndStillConsistent) {
  v1::KtpCard c = GoodCard();
  c.clear_nik();
  const v1::IdentityValidation v = ValidateCard(c, kToday);
  EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_FORMAT), "not_checked/missing_nik");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_SEX), "not_checked/missing_nik");
  EXPECT_TRUE(v.consistent());  // nothing contradicts; callers see NOT_CHECKED
}

TEST(IdentityValidationTest, UntrustedNikReportedEmptyIsUnreadable) {
  v1::KtpCard c = GoodCard();
  c.mutable_nik()->set_value("");  // the engine read something it could not trust
  EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_FORMAT), "not_checked/unreadable_nik");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_BIRTH_DATE), "not_checked/unreadable_nik");
  EXPECT_FALSE(ValidateCard(c, kToday).has_nik());
}

TEST(IdentityValidationTest, ScoreNikWeighsTheRestOfTheCard) {
  identity::NikEvidence e;
  e.birth_date = absl::CivilDay(1993, 7, 9);
  e.sex = v1::SEX_MALE;
  e.province = "LAMPUNG";
  e.city_regency = "KOTA BANDAR LAMPUNG";
  e.district = "KEDATON";
  identity::NikScore s = identity::ScoreNik(*identity::SplitNik("1871010907930009"), e);
  EXPECT_TRUE(s.district_exists && s.date_valid && s.date_agrees && s.sex_agrees);
  EXPECT_EQ(s.regions_agreeing, 3);
  s = identity::ScoreNik(*identity::SplitNik("1371014907930009"), e);  // 13.71.01, a woman born the 9th
  EXPECT_TRUE(s.date_agrees);  // day + 40 is still the 9th
  EXPECT_TRUE(s.sex_disagrees);
  EXPECT_GE(s.regions_disagreeing, 2);
  EXPECT_FALSE(s.date_one_digit_off);
  // One of the six DDMMYY digits differs (1993 printed, 1998 encoded): a misread on one side.
  s = identity::ScoreNik(*identity::SplitNik("1871010907980009"), e);
  EXPECT_TRUE(s.date_disagrees);
  EXPECT_TRUE(s.date_one_digit_off);
  // Two differ: no longer one misread digit.
  s = identity::ScoreNik(*identity::SplitNik("1871011907980009"), e);
  EXPECT_TRUE(s.date_disagrees);
  EXPECT_FALSE(s.date_one_digit_off);
}

TEST(IdentityValidationTest, UnknownDistrictCodeFails) {
  v1::KtpCard c = GoodCard();
  c.mutable_nik()->set_value("1871990907930009");  // 18.71.99 does not exist
  EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_REGION), "fail/unknown_district");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_REGION_NAMES), "not_checked/unknown_district");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_VILLAGE), "not_checked/unknown_district");
  const v1::IdentityValidation v = ValidateCard(c, kToday);
  EXPECT_EQ(v.nik().district().code(), "18.71.99");
  EXPECT_EQ(v.nik().district().name(), "");
  EXPECT_EQ(v.nik().province().name(), "LAMPUNG");
}

TEST(IdentityValidationTest, WomenCarryDayPlus40From41To71) {
  v1::KtpCard c = GoodCard();
  c.mutable_sex()->set_value("PEREMPUAN");
  c.mutable_nik()->set_value("1871014107930009");  // 01 + 40
  c.mutable_birth_date()->set_value("01-07-1993");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_BIRTH_DATE), "pass/ok");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_SEX), "pass/ok");
  c.mutable_nik()->set_value("1871017107930009");  // 31 + 40
  c.mutable_birth_date()->set_value("31-07-1993");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_BIRTH_DATE), "pass/ok");
  EXPECT_EQ(ValidateCard(c, kToday).nik().sex(), v1::SEX_FEMALE);
  // The printed sex disagrees with the NIK's.
  c.mutable_sex()->set_value("LAKI-LAKI");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_SEX), "fail/sex_mismatch");
  EXPECT_FALSE(ValidateCard(c, kToday).consistent());
  // 32–40 and 72+ encode no day at all.
  for (const char* nik : {"1871013607930009", "1871014007930009", "1871017207930009", "1871010007930009"}) {
    c.mutable_nik()->set_value(nik);
    EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_BIRTH_DATE), "fail/invalid_nik_date") << nik;
    EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_SEX), "not_checked/invalid_nik_date") << nik;
  }
}

TEST(IdentityValidationTest, BirthDateMismatchAndUnreadablePrintedDate) {
  v1::KtpCard c = GoodCard();
  c.mutable_birth_date()->set_value("09-07-1994");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_BIRTH_DATE), "fail/date_mismatch");
  c.mutable_birth_date()->set_value("19-07-1993");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_BIRTH_DATE), "fail/date_mismatch");
  c.mutable_birth_date()->set_value("09-7?-1993");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_BIRTH_DATE), "not_checked/unreadable_birth_date");
  c.clear_birth_date();
  EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_BIRTH_DATE), "not_checked/missing_birth_date");
}

TEST(IdentityValidationTest, TwentyNinthOfFebruaryOnlyInLeapYears) {
  v1::KtpCard c = GoodCard();
  c.mutable_nik()->set_value("1871012902000009");  // 29-02-(20)00: 2000 is leap
  c.mutable_birth_date()->set_value("29-02-2000");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_BIRTH_DATE), "pass/ok");
  EXPECT_EQ(ValidateCard(c, kToday).nik().birth_date().year(), 2000);
  c.mutable_nik()->set_value("1871012902010009");  // 29-02-2001 and 1901: neither leap
  c.mutable_birth_date()->set_value("29-02-2001");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_BIRTH_DATE), "fail/invalid_nik_date");
  // 29-02-1900 does not exist (1900 is not leap) but 2000 does: the century follows.
  c.mutable_nik()->set_value("1871012902000009");
  c.clear_birth_date();
  EXPECT_EQ(ValidateCard(c, kToday).nik().birth_date().year(), 2000);
}

TEST(IdentityValidationTest, CenturyComesFromThePrintedYearElseTheLatestPastOne) {
  v1::KtpCard c = GoodCard();
  c.mutable_nik()->set_value("1871010907050009");
  c.mutable_birth_date()->set_value("09-07-2005");
  EXPECT_EQ(ValidateCard(c, kToday).nik().birth_date().year(), 2005);
  c.mutable_birth_date()->set_value("09-07-1905");
  EXPECT_EQ(ValidateCard(c, kToday).nik().birth_date().year(), 1905);
  c.clear_birth_date();
  EXPECT_EQ(ValidateCard(c, kToday).nik().birth_date().year(), 2005);
  c.mutable_nik()->set_value("1871010907300009");  // 2030 is in the future: 1930
  EXPECT_EQ(ValidateCard(c, kToday).nik().birth_date().year(), 1930);
}

TEST(IdentityValidationTest, AgeRuleAroundSeventeenWithTwoDigitYearsAround2000) {
  v1::KtpCard c = GoodCard();
  c.mutable_nik()->set_value("1871012711090009");  // 27-11-2009: 17 today
  c.mutable_birth_date()->set_value("27-11-2009");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_AGE), "pass/ok");
  c.mutable_nik()->set_value("1871012811090009");  // 28-11-2009: 17 tomorrow
  c.mutable_birth_date()->set_value("28-11-2009");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_AGE), "fail/under_17");
  EXPECT_FALSE(ValidateCard(c, kToday).consistent());
  // Married (or once married) holders may have a KTP younger.
  for (const char* status : {"KAWIN", "CERAI HIDUP", "CERAI MATI"}) {
    c.mutable_marital_status()->set_value(status);
    EXPECT_EQ(Result(c, v1::CHECK_KIND_AGE), "pass/under_17_married") << status;
  }
  // 29 February: the 17th birthday falls on 1 March in a common year.
  c.mutable_marital_status()->set_value("BELUM KAWIN");
  c.mutable_nik()->set_value("1871012902080009");
  c.mutable_birth_date()->set_value("29-02-2008");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_AGE, absl::CivilDay(2025, 2, 28)), "fail/under_17");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_AGE, absl::CivilDay(2025, 3, 1)), "pass/ok");
  // A birth date after the read.
  c.mutable_birth_date()->set_value("01-01-2027");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_AGE), "fail/born_after_read");
  // No printed date: the NIK's is used.
  c.clear_birth_date();
  c.mutable_nik()->set_value("1871010907930009");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_AGE), "pass/ok");
  c.clear_nik();
  EXPECT_EQ(Result(c, v1::CHECK_KIND_AGE), "not_checked/missing_birth_date");
}

TEST(IdentityValidationTest, ValidUntilForLifeOrADateThatMayHavePassed) {
  v1::KtpCard c = GoodCard();
  EXPECT_EQ(Result(c, v1::CHECK_KIND_VALID_UNTIL), "pass/for_life");
  c.mutable_valid_until()->set_value("SEUMUR HIOUP");  // OCR noise
  EXPECT_EQ(Result(c, v1::CHECK_KIND_VALID_UNTIL), "pass/for_life");
  c.mutable_valid_until()->set_value("27-11-2026");  // today: still valid
  EXPECT_EQ(Result(c, v1::CHECK_KIND_VALID_UNTIL), "pass/not_expired");
  c.mutable_valid_until()->set_value("26-11-2026");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_VALID_UNTIL), "fail/expired");
  c.mutable_valid_until()->set_value("31-02-2030");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_VALID_UNTIL), "fail/not_a_date");
  c.clear_valid_until();
  EXPECT_EQ(Result(c, v1::CHECK_KIND_VALID_UNTIL), "not_checked/missing_valid_until");
}

TEST(IdentityValidationTest, RegionNamesTolerateForms) {
  v1::KtpCard c = GoodCard();
  for (const char* city : {"BANDAR LAMPUNG", "KOTA BANDAR LAMPUNG", "Kota  Bandar-Lampung", "BANDARLAMPUNG",
                           "BANDAR LAMPUMG"}) {
    c.mutable_city_regency()->set_value(city);
    EXPECT_EQ(Result(c, v1::CHECK_KIND_REGION_NAMES), "pass/ok") << city;
  }
  c.mutable_city_regency()->set_value("KABUPATEN BANDAR LAMPUNG");  // a city printed as a regency
  EXPECT_EQ(Result(c, v1::CHECK_KIND_REGION_NAMES), "fail/city_regency_mismatch");
  c.mutable_city_regency()->set_value("BANDAR LAMPUNG");
  c.mutable_province()->set_value("PROVINSI LAMPUNG");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_REGION_NAMES), "pass/ok");
  c.mutable_province()->set_value("JAWA BARAT");
  c.mutable_district()->set_value("SUKARAME");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_REGION_NAMES), "fail/province_mismatch,district_mismatch");
  c.clear_province();
  c.clear_district();
  EXPECT_EQ(Result(c, v1::CHECK_KIND_REGION_NAMES), "pass/ok_partial");
  c.clear_city_regency();
  EXPECT_EQ(Result(c, v1::CHECK_KIND_REGION_NAMES), "not_checked/missing_regions");
}

TEST(IdentityValidationTest, KotaVersusKabupatenOfTheSameName) {
  v1::KtpCard c = GoodCard();
  c.mutable_nik()->set_value("3204120907930009");  // Kabupaten Bandung / Dayeuhkolot
  c.mutable_province()->set_value("JAWA BARAT");
  c.mutable_district()->set_value("DAYEUHKOLOT");
  c.clear_village();
  c.mutable_city_regency()->set_value("KABUPATEN BANDUNG");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_REGION_NAMES), "pass/ok");
  c.mutable_city_regency()->set_value("KAB. BANDUNG");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_REGION_NAMES), "pass/ok");
  c.mutable_city_regency()->set_value("BANDUNG");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_REGION_NAMES), "pass/ok");
  c.mutable_city_regency()->set_value("KOTA BANDUNG");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_REGION_NAMES), "fail/city_regency_mismatch");
}

TEST(IdentityValidationTest, JakartaAndYogyakartaPrintedForms) {
  v1::KtpCard c = GoodCard();
  c.mutable_nik()->set_value("3174010907930009");  // Kota Adm. Jakarta Selatan / Tebet
  c.mutable_district()->set_value("TEBET");
  c.mutable_village()->set_value("TEBET TIMUR");
  for (const char* province : {"DKI JAKARTA", "D.K.I. JAKARTA", "DAERAH KHUSUS IBUKOTA JAKARTA",
                               "PROVINSI DKI JAKARTA"}) {
    for (const char* city : {"JAKARTA SELATAN", "KOTA ADM. JAKARTA SELATAN", "KOTA ADMINISTRASI JAKARTA SELATAN"}) {
      c.mutable_province()->set_value(province);
      c.mutable_city_regency()->set_value(city);
      EXPECT_EQ(Result(c, v1::CHECK_KIND_REGION_NAMES), "pass/ok") << province << " / " << city;
    }
  }
  EXPECT_EQ(Result(c, v1::CHECK_KIND_VILLAGE), "pass/ok");
  c.mutable_nik()->set_value("3471010907930009");  // Kota Yogyakarta / Tegalrejo
  c.mutable_city_regency()->set_value("KOTA YOGYAKARTA");
  c.mutable_district()->set_value("TEGALREJO");
  c.mutable_village()->set_value("KRICAK");
  for (const char* province : {"DI YOGYAKARTA", "D.I. YOGYAKARTA", "DAERAH ISTIMEWA YOGYAKARTA"}) {
    c.mutable_province()->set_value(province);
    EXPECT_EQ(Result(c, v1::CHECK_KIND_REGION_NAMES), "pass/ok") << province;
  }
  EXPECT_EQ(Result(c, v1::CHECK_KIND_VILLAGE), "pass/ok");
}

TEST(IdentityValidationTest, RegencyWhoseNameChangedMatchesEitherName) {
  v1::KtpCard c = GoodCard();
  c.mutable_nik()->set_value("1212010907930009");  // Kabupaten Toba (Toba Samosir until 2020) / Balige
  c.mutable_province()->set_value("SUMATERA UTARA");
  c.mutable_district()->set_value("BALIGE");
  c.mutable_village()->set_value("PARDEDE ONAN");
  c.mutable_city_regency()->set_value("TOBA");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_REGION_NAMES), "pass/ok");
  c.mutable_city_regency()->set_value("TOBA SAMOSIR");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_REGION_NAMES), "pass/ok");
  c.mutable_city_regency()->set_value("SAMOSIR");  // a different regency
  EXPECT_EQ(Result(c, v1::CHECK_KIND_REGION_NAMES), "fail/city_regency_mismatch");
}

TEST(IdentityValidationTest, ProvincesCreatedIn2022) {
  struct Case {
    const char* nik;
    const char* province;
    const char* city;
    const char* district;
  };
  for (const Case& k : {Case{"9301010907930009", "PAPUA SELATAN", "MERAUKE", "MERAUKE"},
                        Case{"9401010907930009", "PAPUA TENGAH", "NABIRE", ""},
                        Case{"9501010907930009", "PAPUA PEGUNUNGAN", "JAYAWIJAYA", ""},
                        Case{"9671010907930009", "PAPUA BARAT DAYA", "KOTA SORONG", "SORONG"}}) {
    v1::KtpCard c = GoodCard();
    c.mutable_nik()->set_value(k.nik);
    c.mutable_province()->set_value(k.province);
    c.mutable_city_regency()->set_value(k.city);
    if (*k.district != '\0') {
      c.mutable_district()->set_value(k.district);
    } else {
      c.clear_district();
    }
    c.clear_village();
    EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_REGION), "pass/ok") << k.nik;
    EXPECT_EQ(Result(c, v1::CHECK_KIND_REGION_NAMES).substr(0, 7), "pass/ok") << k.nik;
    EXPECT_EQ(ValidateCard(c, kToday).nik().province().name(), k.province);
  }
}

TEST(IdentityValidationTest, RenumberedPapuaCodesAreNotCheckedRatherThanFailed) {
  // A NIK issued in Merauke before 2022 keeps Papua's old code 94.01, which
  // the current table gives to Nabire (Papua Tengah): the table cannot tell.
  v1::KtpCard c = GoodCard();
  c.mutable_nik()->set_value("9401010907930009");
  c.mutable_province()->set_value("PAPUA SELATAN");
  c.mutable_city_regency()->set_value("MERAUKE");
  c.clear_district();
  c.clear_village();
  EXPECT_EQ(Result(c, v1::CHECK_KIND_REGION_NAMES), "not_checked/superseded_code");
  // And an old code that no longer exists at all.
  c.mutable_nik()->set_value("9471990907930009");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_NIK_REGION), "not_checked/superseded_code");
  EXPECT_TRUE(ValidateCard(c, kToday).consistent());
  // Elsewhere a mismatch is a failure.
  c = GoodCard();
  c.mutable_province()->set_value("PAPUA SELATAN");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_REGION_NAMES), "fail/province_mismatch");
}

TEST(IdentityValidationTest, VillageMustLieInTheNiksDistrict) {
  v1::KtpCard c = GoodCard();
  c.mutable_village()->set_value("SIDODADI");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_VILLAGE), "pass/ok");
  c.mutable_village()->set_value("KEL. SUKAMENANTI");
  EXPECT_EQ(Result(c, v1::CHECK_KIND_VILLAGE), "pass/ok");
  c.mutable_village()->set_value("WAY DADI");  // a village of Sukarame, the next district
  EXPECT_EQ(Result(c, v1::CHECK_KIND_VILLAGE), "fail/not_in_district");
  EXPECT_FALSE(ValidateCard(c, kToday).consistent());
  c.clear_village();
  EXPECT_EQ(Result(c, v1::CHECK_KIND_VILLAGE), "not_checked/missing_village");
}

TEST(IdentityValidationTest, DetailsNeverCarryPersonalValues) {
  v1::KtpCard c = GoodCard();
  c.mutable_birth_date()->set_value("10-07-1993");
  c.mutable_village()->set_value("WAY DADI");
  c.mutable_city_regency()->set_value("KOTA METRO");
  const v1::IdentityValidation v = ValidateCard(c, kToday);
  for (const auto& check : v.checks()) {
    for (const char* value : {"1871", "1993", "WAY", "METRO", "KEDATON", "BUDI"}) {
      EXPECT_EQ(check.detail().find(value), std::string::npos) << check.detail();
    }
    for (char ch : check.detail()) EXPECT_TRUE((ch >= 'a' && ch <= 'z') || ch == '_' || ch == ',') << check.detail();
  }
}

TEST(IdentityValidationTest, IndonesianDayIsUtcPlusSeven) {
  const absl::Time evening_utc = absl::FromCivil(absl::CivilSecond(2026, 11, 26, 20, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(identity::IndonesianDay(evening_utc), absl::CivilDay(2026, 11, 27));
  const absl::Time morning_utc = absl::FromCivil(absl::CivilSecond(2026, 11, 26, 16, 59, 0), absl::UTCTimeZone());
  EXPECT_EQ(identity::IndonesianDay(morning_utc), absl::CivilDay(2026, 11, 26));
}

TEST(NormalizeTest, TypedValuesBesideThePrintedOnes) {
  v1::KtpCard c = GoodCard();
  v1::NormalizedValues n = identity::Normalize(c);
  EXPECT_EQ(n.sex(), v1::SEX_MALE);
  EXPECT_EQ(n.religion(), v1::RELIGION_ISLAM);
  EXPECT_EQ(n.marital_status(), v1::MARITAL_STATUS_SINGLE);
  EXPECT_EQ(n.blood_type(), v1::BLOOD_TYPE_NOT_RECORDED);
  EXPECT_EQ(n.rhesus(), v1::RHESUS_UNSPECIFIED);
  EXPECT_EQ(n.nationality(), v1::NATIONALITY_INDONESIAN);
  EXPECT_TRUE(n.valid_for_life());
  c.clear_sex();
  c.mutable_blood_type()->set_value("AB+");
  c.mutable_valid_until()->set_value("09-07-2017");
  c.mutable_nationality()->set_value("WNA");
  n = identity::Normalize(c);
  EXPECT_EQ(n.sex(), v1::SEX_UNSPECIFIED);
  EXPECT_EQ(n.blood_type(), v1::BLOOD_TYPE_AB);
  EXPECT_EQ(n.rhesus(), v1::RHESUS_POSITIVE);
  EXPECT_EQ(n.nationality(), v1::NATIONALITY_FOREIGN);
  EXPECT_FALSE(n.valid_for_life());
}

TEST(NormalizeTest, VocabulariesWithSpellingVariantsAndNoGuesses) {
  EXPECT_EQ(identity::ReligionOf("KATHOLIK"), v1::RELIGION_CATHOLIC);
  EXPECT_EQ(identity::ReligionOf("KATOLIK"), v1::RELIGION_CATHOLIC);
  EXPECT_EQ(identity::ReligionOf("KRISTEN"), v1::RELIGION_PROTESTANT);
  EXPECT_EQ(identity::ReligionOf("BUDHA"), v1::RELIGION_BUDDHIST);
  EXPECT_EQ(identity::ReligionOf("KHONGHUCU"), v1::RELIGION_CONFUCIAN);
  EXPECT_EQ(identity::ReligionOf("KEPERCAYAAN TERHADAP TUHAN YME"), v1::RELIGION_BELIEF);
  EXPECT_EQ(identity::ReligionOf("ISLAN"), v1::RELIGION_ISLAM);
  EXPECT_EQ(identity::ReligionOf("JEDI"), v1::RELIGION_UNSPECIFIED);
  EXPECT_EQ(identity::MaritalStatusOf("KAWIN"), v1::MARITAL_STATUS_MARRIED);
  EXPECT_EQ(identity::MaritalStatusOf("BELUM KAWIN"), v1::MARITAL_STATUS_SINGLE);
  EXPECT_EQ(identity::MaritalStatusOf("CERAI HIDUP"), v1::MARITAL_STATUS_DIVORCED);
  EXPECT_EQ(identity::MaritalStatusOf("CERAI MATI"), v1::MARITAL_STATUS_WIDOWED);
  EXPECT_EQ(identity::MaritalStatusOf(""), v1::MARITAL_STATUS_UNSPECIFIED);
  EXPECT_EQ(identity::SexOf("LAKI - LAKI"), v1::SEX_MALE);
  EXPECT_EQ(identity::SexOf("PEREMPUAN"), v1::SEX_FEMALE);
  EXPECT_EQ(identity::SexOf("X"), v1::SEX_UNSPECIFIED);
  EXPECT_EQ(identity::BloodTypeOf("O"), v1::BLOOD_TYPE_O);
  EXPECT_EQ(identity::BloodTypeOf("A -"), v1::BLOOD_TYPE_A);
  EXPECT_EQ(identity::RhesusOf("A -"), v1::RHESUS_NEGATIVE);
  EXPECT_EQ(identity::BloodTypeOf("C"), v1::BLOOD_TYPE_UNSPECIFIED);
  EXPECT_EQ(identity::NationalityOf("W N I"), v1::NATIONALITY_INDONESIAN);
  EXPECT_EQ(identity::NationalityOf("JEPANG"), v1::NATIONALITY_UNSPECIFIED);
}

TEST(ParsePrintedDateTest, AcceptsThePrintedFormsOnly) {
  EXPECT_EQ(identity::ParsePrintedDate("09-07-1993"), absl::CivilDay(1993, 7, 9));
  EXPECT_EQ(identity::ParsePrintedDate("9/7/1993"), absl::CivilDay(1993, 7, 9));
  EXPECT_EQ(identity::ParsePrintedDate("09.07.1993"), absl::CivilDay(1993, 7, 9));
  EXPECT_FALSE(identity::ParsePrintedDate("30-02-1993"));
  EXPECT_FALSE(identity::ParsePrintedDate("09-07-93"));
  EXPECT_FALSE(identity::ParsePrintedDate("1993-07-09"));
  EXPECT_FALSE(identity::ParsePrintedDate("SEUMUR HIDUP"));
  EXPECT_FALSE(identity::ParsePrintedDate(""));
}

}  // namespace
}  // namespace ktp
