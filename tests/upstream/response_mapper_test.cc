// Unit tests of upstream/response_mapper: status table, date parsing, number
// handling, polygons, images, errors (and that they never echo a value), depth
// guard and ExtractStatusString. Whole-response shapes live in tests/upstream/golden.
// All identity values here are synthetic (NIK province code 99 does not exist).
#include "upstream/response_mapper.h"

#include <cfloat>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/error_details.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace ktp::upstream {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSyntheticNik[] = "9901011507900001";
constexpr char kSyntheticName[] = "ANDI CONTOH PRATAMA";
constexpr char kPhotoBase64[] = "/9j/4AAQSkZJRgABAQAAAQABAAD/2Q==";
// The 22 bytes kPhotoBase64 encodes: SOI, a JFIF APP0 segment, EOI.
const std::string kPhotoBytes(
    "\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xFF\xD9", 22);

// `{"read":{<key>:<field_json>}}`, mapped; the test fails on an error.
backend::OcrResult MapOneField(const std::string& key, const std::string& field_json) {
  absl::StatusOr<backend::OcrResult> result =
      MapResponseBody(absl::StrCat(R"({"status":"SUCCESS","read":{")", key, R"(":)", field_json, "}}"));
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *std::move(result) : backend::OcrResult();
}

// `{"images":{"photo":<json>}}`, mapped.
absl::StatusOr<backend::OcrResult> MapPhoto(const std::string& photo_json) {
  return MapResponseBody(absl::StrCat(R"({"images":{"photo":)", photo_json, "}}"));
}

void ExpectBadResponse(const absl::Status& status) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_EQ(ErrorReason(status), "UPSTREAM_BAD_RESPONSE") << status;
  const auto info = GetErrorInfo(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->domain(), "ktp-gateway");
}

// --- Document status -------------------------------------------------------

TEST(MapDocumentStatusTest, KnownStatuses) {
  EXPECT_EQ(MapDocumentStatus("SUCCESS"), v1::READ_STATUS_SUCCESS);
  EXPECT_EQ(MapDocumentStatus("NO_FILE"), v1::READ_STATUS_NO_FILE);
  EXPECT_EQ(MapDocumentStatus("FILE_INVALID_FORMAT"), v1::READ_STATUS_FILE_INVALID_FORMAT);
  EXPECT_EQ(MapDocumentStatus("FAILED"), v1::READ_STATUS_FAILED);
  EXPECT_EQ(MapDocumentStatus("UNRECOGNIZED_DOCUMENT_TYPE"),
            v1::READ_STATUS_UNRECOGNIZED_DOCUMENT_TYPE);
  EXPECT_EQ(MapDocumentStatus("MULTIPLE_DOCUMENTS_DETECTED"),
            v1::READ_STATUS_MULTIPLE_DOCUMENTS_DETECTED);
}

TEST(MapDocumentStatusTest, CaseInsensitiveAndTrimmed) {
  EXPECT_EQ(MapDocumentStatus("success"), v1::READ_STATUS_SUCCESS);
  EXPECT_EQ(MapDocumentStatus("Failed"), v1::READ_STATUS_FAILED);
  EXPECT_EQ(MapDocumentStatus("multiple_documents_detected"),
            v1::READ_STATUS_MULTIPLE_DOCUMENTS_DETECTED);
  EXPECT_EQ(MapDocumentStatus(" NO_FILE\n"), v1::READ_STATUS_NO_FILE);
}

TEST(MapDocumentStatusTest, UnknownIsUnspecified) {
  EXPECT_EQ(MapDocumentStatus(""), v1::READ_STATUS_UNKNOWN);
  EXPECT_EQ(MapDocumentStatus("OK"), v1::READ_STATUS_UNKNOWN);
  EXPECT_EQ(MapDocumentStatus("SUCCESSFUL"), v1::READ_STATUS_UNKNOWN);
  EXPECT_EQ(MapDocumentStatus("SUCCES"), v1::READ_STATUS_UNKNOWN);
  EXPECT_EQ(MapDocumentStatus("READ_STATUS_SUCCESS"), v1::READ_STATUS_UNKNOWN);
  EXPECT_EQ(MapDocumentStatus(absl::string_view("SUCCESS\0", 8)), v1::READ_STATUS_UNKNOWN);
}

TEST(MapResponseBodyTest, StatusAndReason) {
  auto result = MapResponseBody(R"({"status":"FAILED","reason":"Could not read"})");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->status, v1::READ_STATUS_FAILED);
  EXPECT_EQ(result->reason, "Could not read");
  EXPECT_FALSE(result->has_qualities);
  EXPECT_EQ(result->upstream_request_id, "");

  result = MapResponseBody(R"({"status":7,"reason":["x"]})");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->status, v1::READ_STATUS_UNKNOWN);
  EXPECT_EQ(result->reason, "");
}

// --- Dates ----------------------------------------------------------------

struct DateCase {
  const char* text;
  bool valid;
  int year, month, day;
};

class DateTest : public testing::TestWithParam<DateCase> {};

TEST_P(DateTest, BirthDateAndValidUntil) {
  const DateCase& c = GetParam();
  for (const char* key : {"tanggalLahir", "tanggal_lahir", "berlakuHingga", "berlaku_hingga"}) {
    SCOPED_TRACE(key);
    const backend::OcrResult result =
        MapOneField(key, absl::StrCat(R"({"value":")", c.text, R"(","confidence":90})"));
    const bool birth = absl::string_view(key).substr(0, 7) == "tanggal";
    const v1::KtpField& field = birth ? result.card.birth_date() : result.card.valid_until();
    EXPECT_EQ(field.value(), c.text);  // the text is always kept as read
    ASSERT_EQ(field.has_date_value(), c.valid);
    if (c.valid) {
      EXPECT_EQ(field.date_value().year(), c.year);
      EXPECT_EQ(field.date_value().month(), c.month);
      EXPECT_EQ(field.date_value().day(), c.day);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Dates, DateTest,
    testing::Values(DateCase{"09-07-1993", true, 1993, 7, 9},
                    DateCase{"29-02-2000", true, 2000, 2, 29},  // divisible by 400: leap
                    DateCase{"29-02-1900", false, 0, 0, 0},              // divisible by 100: not leap
                    DateCase{"29-02-2024", true, 2024, 2, 29},
                    DateCase{"29-02-2023", false, 0, 0, 0},
                    DateCase{"28-02-2023", true, 2023, 2, 28},
                    DateCase{"31-04-2020", false, 0, 0, 0},              // April has 30 days
                    DateCase{"30-04-2020", true, 2020, 4, 30},
                    DateCase{"31-12-9999", true, 9999, 12, 31},
                    DateCase{"01-01-0001", true, 1, 1, 1},
                    DateCase{"01-01-0000", false, 0, 0, 0},              // google.type.Date has no year 0
                    DateCase{"00-01-2000", false, 0, 0, 0},
                    DateCase{"32-01-2000", false, 0, 0, 0},
                    DateCase{"01-00-2000", false, 0, 0, 0},
                    DateCase{"01-13-2000", false, 0, 0, 0},
                    DateCase{"15/08/1945", true, 1945, 8, 15},  // slashes accepted
                    DateCase{"15-08/1945", false, 0, 0, 0},              // mixed separators
                    DateCase{"15.08.1945", false, 0, 0, 0},
                    DateCase{"1-8-1945", false, 0, 0, 0},
                    DateCase{"1945-08-15", false, 0, 0, 0},
                    DateCase{"15-08-45", false, 0, 0, 0},
                    DateCase{"+5-08-1945", false, 0, 0, 0},
                    DateCase{"15-08-1945X", false, 0, 0, 0},
                    DateCase{" 15-08-1945 ", true, 1945, 8, 15},  // surrounding blanks
                    DateCase{"SEUMUR HIDUP", false, 0, 0, 0},
                    DateCase{"", false, 0, 0, 0}));

TEST(DateFieldsTest, OnlyBirthDateAndValidUntilGetDates) {
  const backend::OcrResult result = MapOneField("nama", R"({"value":"09-07-1993"})");
  EXPECT_EQ(result.card.name().value(), "09-07-1993");
  EXPECT_FALSE(result.card.name().has_date_value());
}

// --- Values and numbers ----------------------------------------------------

TEST(ValueTest, NikKeepsLeadingZeros) {
  const backend::OcrResult result = MapOneField("nik", R"({"value":"0012345678901234","confidence":99})");
  EXPECT_EQ(result.card.nik().value(), "0012345678901234");
}

TEST(ValueTest, SyntheticNikAndNameCopiedVerbatim) {
  absl::StatusOr<backend::OcrResult> result = MapResponseBody(
      absl::StrCat(R"({"read":{"nik":{"value":")", kSyntheticNik, R"("},"nama":{"value":")",
                   kSyntheticName, R"("}}})"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->card.nik().value(), kSyntheticNik);
  EXPECT_EQ(result->card.name().value(), kSyntheticName);
}

TEST(ValueTest, NumbersBecomeText) {
  EXPECT_EQ(MapOneField("rtRw", R"({"value":14})").card.rt_rw().value(), "14");
  EXPECT_EQ(MapOneField("rtRw", R"({"value":-7})").card.rt_rw().value(), "-7");
  EXPECT_EQ(MapOneField("rtRw", R"({"value":1.5})").card.rt_rw().value(), "1.5");
  EXPECT_EQ(MapOneField("rtRw", R"({"value":98.0})").card.rt_rw().value(), "98");
  EXPECT_EQ(MapOneField("rtRw", R"({"value":0.1})").card.rt_rw().value(), "0.1");
  EXPECT_EQ(MapOneField("nik", R"({"value":9901011507900001})").card.nik().value(),
            "9901011507900001");  // an integer stays exact (no double rounding)
  EXPECT_EQ(MapOneField("nik", R"({"value":18446744073709551615})").card.nik().value(),
            "18446744073709551615");
}

TEST(ValueTest, OtherTypesLeaveValueEmpty) {
  for (const char* json : {R"({"value":true})", R"({"value":null})", R"({"value":[1]})",
                           R"({"value":{"a":"b"}})"}) {
    SCOPED_TRACE(json);
    const backend::OcrResult result = MapOneField("agama", json);
    EXPECT_TRUE(result.card.has_religion());
    EXPECT_EQ(result.card.religion().value(), "");
  }
}

TEST(ConfidenceTest, IntAndFloat) {
  EXPECT_FLOAT_EQ(MapOneField("nik", R"({"confidence":98})").card.nik().confidence(), 98.0f);
  EXPECT_FLOAT_EQ(MapOneField("nik", R"({"confidence":97.5})").card.nik().confidence(), 97.5f);
  EXPECT_FLOAT_EQ(MapOneField("nik", R"({"confidence":9.75e1})").card.nik().confidence(), 97.5f);
  EXPECT_FLOAT_EQ(MapOneField("nik", R"({"confidence":0})").card.nik().confidence(), 0.0f);
}

TEST(ConfidenceTest, OutOfFloatRangeIsClamped) {
  EXPECT_EQ(MapOneField("nik", R"({"confidence":1e300})").card.nik().confidence(), FLT_MAX);
  EXPECT_EQ(MapOneField("nik", R"({"confidence":-1e300})").card.nik().confidence(), -FLT_MAX);
}

TEST(ConfidenceTest, NonNumbersIgnored) {
  const backend::OcrResult result = MapOneField("nik", R"({"confidence":"98","confidence_field":"90"})");
  EXPECT_EQ(result.card.nik().confidence(), 0.0f);
  EXPECT_FALSE(result.card.nik().has_confidence_field());
}

TEST(OptionalMembersTest, SetOnlyWhenPresent) {
  backend::OcrResult result = MapOneField("nik", R"({"value":"1","confidence":99})");
  EXPECT_FALSE(result.card.nik().has_confidence_field());
  EXPECT_FALSE(result.card.nik().has_raw_text());
  EXPECT_EQ(result.card.nik().polygons_size(), 0);

  result = MapOneField("nik", R"({"value":"1","confidence_field":0,"raw_text":""})");
  ASSERT_TRUE(result.card.nik().has_confidence_field());
  EXPECT_EQ(result.card.nik().confidence_field(), 0.0f);
  ASSERT_TRUE(result.card.nik().has_raw_text());
  EXPECT_EQ(result.card.nik().raw_text(), "");

  result = MapOneField("nik", R"({"value":"1","confidence_field":90,"raw_text":"NIK 1"})");
  EXPECT_FLOAT_EQ(result.card.nik().confidence_field(), 90.0f);
  EXPECT_EQ(result.card.nik().raw_text(), "NIK 1");
}

TEST(FieldKeysTest, AllSeventeenFieldsBothSpellings) {
  struct KeyCase {
    const char* camel;
    const char* snake;
    const v1::KtpField& (v1::KtpCard::*get)() const;
  };
  const KeyCase cases[] = {
      {"agama", "agama", &v1::KtpCard::religion},
      {"alamat", "alamat", &v1::KtpCard::address},
      {"berlakuHingga", "berlaku_hingga", &v1::KtpCard::valid_until},
      {"golonganDarah", "golongan_darah", &v1::KtpCard::blood_type},
      {"jenisKelamin", "jenis_kelamin", &v1::KtpCard::sex},
      {"kecamatan", "kecamatan", &v1::KtpCard::district},
      {"kelurahanDesa", "kelurahan_desa", &v1::KtpCard::village},
      {"kewarganegaraan", "kewarganegaraan", &v1::KtpCard::nationality},
      {"kotaKabupaten", "kota_kabupaten", &v1::KtpCard::city_regency},
      {"nama", "nama", &v1::KtpCard::name},
      {"nik", "nik", &v1::KtpCard::nik},
      {"pekerjaan", "pekerjaan", &v1::KtpCard::occupation},
      {"provinsi", "provinsi", &v1::KtpCard::province},
      {"rtRw", "rt_rw", &v1::KtpCard::rt_rw},
      {"statusPerkawinan", "status_perkawinan", &v1::KtpCard::marital_status},
      {"tanggalLahir", "tanggal_lahir", &v1::KtpCard::birth_date},
      {"tempatLahir", "tempat_lahir", &v1::KtpCard::birth_place},
  };
  for (const KeyCase& c : cases) {
    for (const char* key : {c.camel, c.snake}) {
      SCOPED_TRACE(key);
      const backend::OcrResult result = MapOneField(key, R"({"value":"X","confidence":1})");
      EXPECT_EQ((result.card.*c.get)().value(), "X");
      // Exactly one field of the card is set.
      std::vector<const google::protobuf::FieldDescriptor*> set;
      result.card.GetReflection()->ListFields(result.card, &set);
      EXPECT_EQ(set.size(), 1u);
    }
  }
}

TEST(FieldKeysTest, KeysAreCaseSensitiveAndUnknownIgnored) {
  absl::StatusOr<backend::OcrResult> result =
      MapResponseBody(R"({"read":{"NIK":{"value":"1"},"Nama":{"value":"2"},"nik ":{"value":"3"}}})");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->card.ByteSizeLong(), 0u);
}

// --- Polygons --------------------------------------------------------------

TEST(PolygonTest, IntegersCopied) {
  const backend::OcrResult result =
      MapOneField("nik", R"({"polygon":[[[107,59],[333,59],[333,79],[107,79]]]})");
  ASSERT_EQ(result.card.nik().polygons_size(), 1);
  const v1::Polygon& p = result.card.nik().polygons(0);
  ASSERT_EQ(p.vertices_size(), 4);
  EXPECT_EQ(p.vertices(1).x(), 333);
  EXPECT_EQ(p.vertices(2).y(), 79);
}

TEST(PolygonTest, FloatsRoundHalfAwayFromZero) {
  const backend::OcrResult result = MapOneField(
      "nik", R"({"polygon":[[[10.4,10.5],[-10.5,-10.4],[0.49999,2.5000001],[1e-300,-0.5]]]})");
  ASSERT_EQ(result.card.nik().polygons_size(), 1);
  const v1::Polygon& p = result.card.nik().polygons(0);
  ASSERT_EQ(p.vertices_size(), 4);
  EXPECT_EQ(p.vertices(0).x(), 10);
  EXPECT_EQ(p.vertices(0).y(), 11);
  EXPECT_EQ(p.vertices(1).x(), -11);
  EXPECT_EQ(p.vertices(1).y(), -10);
  EXPECT_EQ(p.vertices(2).x(), 0);
  EXPECT_EQ(p.vertices(2).y(), 3);
  EXPECT_EQ(p.vertices(3).x(), 0);
  EXPECT_EQ(p.vertices(3).y(), -1);
}

TEST(PolygonTest, OutOfRangeClampsToInt32) {
  const backend::OcrResult result = MapOneField(
      "nik",
      R"({"polygon":[[[2147483647,-2147483648],[2147483648,-2147483649],[1e300,-1e300],)"
      R"([9223372036854775807,-9223372036854775808],[18446744073709551615,2147483647.6]]]})");
  ASSERT_EQ(result.card.nik().polygons_size(), 1);
  const v1::Polygon& p = result.card.nik().polygons(0);
  ASSERT_EQ(p.vertices_size(), 5);
  for (const v1::Vertex& v : p.vertices()) EXPECT_EQ(v.x(), INT32_MAX);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(p.vertices(i).y(), INT32_MIN) << i;
  EXPECT_EQ(p.vertices(4).y(), INT32_MAX);
}

TEST(PolygonTest, MalformedEntriesSkipped) {
  const backend::OcrResult result = MapOneField(
      "nik", R"({"polygon":[1,"a",null,{},[],[[1]],[[1,2,3]],[["1",2]],[[1,2],[null,3],[4,5]]]})");
  ASSERT_EQ(result.card.nik().polygons_size(), 1);
  const v1::Polygon& p = result.card.nik().polygons(0);
  ASSERT_EQ(p.vertices_size(), 2);
  EXPECT_EQ(p.vertices(1).x(), 4);
  EXPECT_EQ(p.vertices(1).y(), 5);

  for (const char* json : {R"({"polygon":"x"})", R"({"polygon":{}})", R"({"polygon":7})"}) {
    EXPECT_EQ(MapOneField("nik", json).card.nik().polygons_size(), 0) << json;
  }
}

// --- Qualities -------------------------------------------------------------

TEST(QualitiesTest, AllNineFlags) {
  const char* const keys[] = {"is_blurred", "is_bright", "is_copy",
                              "is_cropped", "is_dark",   "is_flash",
                              "is_ktp",     "is_rotated", "is_taken_from_screen"};
  bool (v1::ImageQualities::*const getters[])() const = {
      &v1::ImageQualities::blurred, &v1::ImageQualities::bright,  &v1::ImageQualities::copy,
      &v1::ImageQualities::cropped, &v1::ImageQualities::dark,    &v1::ImageQualities::flash,
      &v1::ImageQualities::ktp,     &v1::ImageQualities::rotated,
      &v1::ImageQualities::taken_from_screen};
  for (int i = 0; i < 9; ++i) {
    for (const char* block : {"qualities", "condition"}) {
      SCOPED_TRACE(absl::StrCat(block, ".", keys[i]));
      auto result = MapResponseBody(absl::StrCat(R"({")", block, R"(":{")", keys[i], R"(":true}})"));
      ASSERT_TRUE(result.ok()) << result.status();
      EXPECT_TRUE(result->has_qualities);
      for (int j = 0; j < 9; ++j) EXPECT_EQ((result->qualities.*getters[j])(), i == j) << j;
    }
  }
}

TEST(QualitiesTest, TolerantFlagEncodings) {
  auto flag = [](const std::string& json) {
    auto result = MapResponseBody(absl::StrCat(R"({"qualities":{"is_ktp":)", json, "}}"));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() && result->qualities.ktp();
  };
  EXPECT_TRUE(flag("true"));
  EXPECT_TRUE(flag("1"));
  EXPECT_TRUE(flag("1.0"));
  EXPECT_TRUE(flag(R"("true")"));
  EXPECT_TRUE(flag(R"("TRUE")"));
  EXPECT_FALSE(flag("false"));
  EXPECT_FALSE(flag("0"));
  EXPECT_FALSE(flag(R"("false")"));
  EXPECT_FALSE(flag("2"));
  EXPECT_FALSE(flag("-1"));
  EXPECT_FALSE(flag(R"("yes")"));
  EXPECT_FALSE(flag("null"));
  EXPECT_FALSE(flag("[true]"));
}

TEST(QualitiesTest, AbsentNullOrNotObjectMeansNoQualities) {
  for (const char* json : {R"({})", R"({"qualities":null})", R"({"qualities":true})",
                           R"({"condition":[]})"}) {
    auto result = MapResponseBody(json);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_FALSE(result->has_qualities) << json;
  }
  auto result = MapResponseBody(R"({"qualities":{}})");
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->has_qualities);
}

// --- Images ----------------------------------------------------------------

TEST(ImagesTest, PlainBase64) {
  auto result = MapPhoto(absl::StrCat("\"", kPhotoBase64, "\""));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->images.photo(), kPhotoBytes);
  EXPECT_EQ(result->images.signature(), "");
}

TEST(ImagesTest, DataUriPrefix) {
  for (const char* prefix : {"data:image/jpeg;base64,", "DATA:image/png;base64,", "  data:;base64,"}) {
    SCOPED_TRACE(prefix);
    auto result = MapPhoto(absl::StrCat("\"", prefix, kPhotoBase64, "\""));
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->images.photo(), kPhotoBytes);
  }
}

TEST(ImagesTest, WhitespaceUnpaddedAndUrlSafe) {
  const std::string url_safe = absl::StrReplaceAll(kPhotoBase64, {{"/", "_"}, {"+", "-"}});
  for (const std::string& encoded :
       {std::string("/9j/4AAQSkZJ\\nRgABAQAAAQAB\\r\\nAAD/2Q==\\n"),
        std::string(" /9j/4AAQSkZJRgABAQAAAQABAAD/2Q "), url_safe,
        std::string("_9j_4AAQSkZJRgABAQAAAQABAAD_2Q")}) {
    SCOPED_TRACE(encoded);
    auto result = MapPhoto(absl::StrCat("\"", encoded, "\""));
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->images.photo(), kPhotoBytes);
  }
}

TEST(ImagesTest, NullOrEmptyLeftEmpty) {
  for (const char* json : {"null", R"("")", R"("   ")", R"("data:image/jpeg;base64,")"}) {
    auto result = MapPhoto(json);
    ASSERT_TRUE(result.ok()) << json << ": " << result.status();
    EXPECT_EQ(result->images.photo(), "") << json;
  }
}

TEST(ImagesTest, NewerKeys) {
  auto result = MapResponseBody(
      absl::StrCat(R"({"images":{"foto":")", kPhotoBase64, R"(","tanda_tangan":")", kPhotoBase64,
                   R"("}})"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->images.photo(), kPhotoBytes);
  EXPECT_EQ(result->images.signature(), kPhotoBytes);
}

TEST(ImagesTest, InvalidBase64NamesThePath) {
  struct Case {
    const char* images_json;
    const char* path;
  };
  for (const Case& c : {Case{R"({"photo":"@@@@"})", "images.photo"},
                        Case{R"({"sign":"ab$d"})", "images.sign"},
                        Case{R"({"foto":"a"})", "images.foto"},
                        Case{R"({"tanda_tangan":"/9j/+_ab"})", "images.tanda_tangan"},
                        Case{R"({"photo":"data:image/jpeg;base64"})", "images.photo"}}) {
    SCOPED_TRACE(c.images_json);
    auto result = MapResponseBody(absl::StrCat(R"({"images":)", c.images_json, "}"));
    ASSERT_FALSE(result.ok());
    ExpectBadResponse(result.status());
    EXPECT_EQ(result.status().message(), absl::StrCat(c.path, " is not valid base64"));
  }
}

TEST(ImagesTest, NonStringIsAnError) {
  for (const char* json : {"1", "true", "[]", "{}"}) {
    auto result = MapPhoto(json);
    ASSERT_FALSE(result.ok()) << json;
    ExpectBadResponse(result.status());
    EXPECT_EQ(result.status().message(), "images.photo is not a string");
  }
}

// --- Errors ----------------------------------------------------------------

TEST(ErrorsTest, NotAnObject) {
  for (const char* json : {"[]", "[{}]", R"("SUCCESS")", "42", "true", "null"}) {
    auto result = MapResponseBody(json);
    ASSERT_FALSE(result.ok()) << json;
    ExpectBadResponse(result.status());
    EXPECT_EQ(result.status().message(), "response body is not a JSON object");
  }
}

TEST(ErrorsTest, MalformedJson) {
  for (const char* json : {"", " ", "{", R"({"status":)", R"({"status":"SUCCESS",})",
                           R"({'status':'SUCCESS'})", R"({"a":1}{"b":2})", "{\"a\":NaN}",
                           "{\"a\":1e999}", "<html></html>"}) {
    SCOPED_TRACE(json);
    auto result = MapResponseBody(json);
    ASSERT_FALSE(result.ok());
    ExpectBadResponse(result.status());
    EXPECT_THAT(result.status().message(), HasSubstr("response body is not valid JSON"));
  }
}

TEST(ErrorsTest, InvalidUtf8IsRejected) {
  auto result = MapResponseBody("{\"reason\":\"\xC3\x28\"}");
  ASSERT_FALSE(result.ok());
  ExpectBadResponse(result.status());
}

TEST(Utf8Test, TextFieldsMustBeUtf8) {
  struct Case {
    std::string body;
    const char* message;
  };
  const Case cases[] = {
      {"{\"reason\":\"ok \xFF\"}", "reason is not valid UTF-8"},
      {"{\"read\":{\"nama\":{\"value\":\"A\xC3\"}}}", "read.nama.value is not valid UTF-8"},
      {"{\"read\":{\"tempat_lahir\":{\"raw_text\":\"\xE2\x82\"}}}",
       "read.tempat_lahir.raw_text is not valid UTF-8"},
      {"{\"read\":{\"nik\":{\"value\":\"\xC0\xAF\"}}}", "read.nik.value is not valid UTF-8"},
      {"{\"read\":{\"nik\":{\"value\":\"\xED\xA0\x80\"}}}", "read.nik.value is not valid UTF-8"},
      {"{\"read\":{\"nik\":{\"value\":\"\xF4\x90\x80\x80\"}}}", "read.nik.value is not valid UTF-8"},
      {"{\"read\":{\"nik\":{\"value\":\"\xF8\x88\x80\x80\x80\"}}}",
       "read.nik.value is not valid UTF-8"},
      // A lone low surrogate escape decodes to bytes that are not UTF-8.
      {R"({"read":{"nik":{"value":"\udc00"}}})", "read.nik.value is not valid UTF-8"},
      {R"({"read":{"nik":{"value":"a\udfffb"}}})", "read.nik.value is not valid UTF-8"},
      // Overlong 3- and 4-byte forms, a stray continuation byte, a sequence cut
      // short by the end of the string, bytes that never occur in UTF-8.
      {"{\"read\":{\"nik\":{\"value\":\"\xE0\x9F\xBF\"}}}", "read.nik.value is not valid UTF-8"},
      {"{\"read\":{\"nik\":{\"value\":\"\xF0\x8F\xBF\xBF\"}}}", "read.nik.value is not valid UTF-8"},
      {"{\"read\":{\"nik\":{\"value\":\"\x80\"}}}", "read.nik.value is not valid UTF-8"},
      {"{\"read\":{\"nik\":{\"value\":\"\xF0\x9D\x84\"}}}", "read.nik.value is not valid UTF-8"},
      {"{\"read\":{\"nik\":{\"value\":\"\xC1\xBF\"}}}", "read.nik.value is not valid UTF-8"},
      {"{\"read\":{\"nik\":{\"value\":\"\xFE\xFF\"}}}", "read.nik.value is not valid UTF-8"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    auto result = MapResponseBody(c.body);
    ASSERT_FALSE(result.ok());
    ExpectBadResponse(result.status());
    EXPECT_EQ(result.status().message(), c.message);
  }
}

TEST(Utf8Test, ValidMultiByteKept) {
  const backend::OcrResult result = MapOneField(
      "alamat", "{\"value\":\"\xC3\x89 \xE2\x82\xAC \xF0\x9D\x84\x9E\",\"raw_text\":\"\\u00c9 \\ud834\\udd1e\"}");
  EXPECT_EQ(result.card.address().value(), "\xC3\x89 \xE2\x82\xAC \xF0\x9D\x84\x9E");
  EXPECT_EQ(result.card.address().raw_text(), "\xC3\x89 \xF0\x9D\x84\x9E");
}

TEST(Utf8Test, BoundaryCodePointsKept) {
  // U+0080, U+07FF, U+0800, U+D7FF (last before the surrogates), U+E000 (first
  // after), U+FFFF, U+10000, U+10FFFF; and an escaped NUL, which is UTF-8 too.
  const std::string text =
      "\xC2\x80 \xDF\xBF \xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80 \xEF\xBF\xBF "
      "\xF0\x90\x80\x80 \xF4\x8F\xBF\xBF";
  const backend::OcrResult result = MapOneField(
      "alamat", absl::StrCat("{\"value\":\"", text, "\",\"raw_text\":\"a\\u0000b\"}"));
  EXPECT_EQ(result.card.address().value(), text);
  EXPECT_EQ(result.card.address().raw_text(), std::string("a\0b", 3));
}

TEST(Utf8Test, IgnoredTextIsNotChecked) {
  // Only text that reaches the result must be UTF-8; ignored keys may hold anything.
  auto result = MapResponseBody(
      "{\"status\":\"SUCCESS\",\"x\":\"\xFF\",\"read\":{\"nama_lain\":{\"value\":\"\xFF\"},"
      "\"nama\":{\"value\":\"A\",\"value_original\":\"\xFF\"}}}");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->card.name().value(), "A");
  EXPECT_EQ(ExtractStatusString("{\"status\":\"NO_FILE\xFF\"}"), "");
}

// The body is parsed in a padded copy with 16-byte SIMD loads: every length
// and alignment of the final string must stay inside it (ASan checks this).
TEST(ParseBufferTest, AllShortLengths) {
  for (int n = 0; n < 80; ++n) {
    const std::string reason(n, 'x');
    auto result = MapResponseBody(absl::StrCat(R"({"reason":")", reason, "\"}"));
    ASSERT_TRUE(result.ok()) << n << ": " << result.status();
    EXPECT_EQ(result->reason, reason);
    const std::string spaces = absl::StrCat("{}", std::string(n, ' '));
    EXPECT_TRUE(MapResponseBody(spaces).ok()) << n;
    EXPECT_FALSE(MapResponseBody(absl::StrCat(R"({"reason":")", reason)).ok()) << n;
  }
}

TEST(ParseBufferTest, InputIsNotModified) {
  const std::string body = R"({"reason":"a\tb","read":{"nama":{"value":"\u00c9"}}})";
  const std::string copy = body;
  ASSERT_TRUE(MapResponseBody(body).ok());
  EXPECT_EQ(body, copy);
}

TEST(ErrorsTest, OversizedBodyRefusedBeforeParsing) {
  const std::string body = absl::StrCat(R"({"reason":")", std::string(64 << 20, 'x'), "\"}");
  auto result = MapResponseBody(body);
  ASSERT_FALSE(result.ok());
  ExpectBadResponse(result.status());
  EXPECT_EQ(result.status().message(), "response body is larger than 67108864 bytes");
  EXPECT_EQ(ExtractStatusString(body), "");
}

TEST(ErrorsTest, ByteOrderMarkTolerated) {
  auto result = MapResponseBody("\xEF\xBB\xBF{\"status\":\"SUCCESS\"}");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->status, v1::READ_STATUS_SUCCESS);
}

TEST(ErrorsTest, EmbeddedNulByteIsNotTheEnd) {
  // The body is taken by length: bytes after a NUL are not silently ignored.
  auto result = MapResponseBody(absl::string_view("{\"status\":\"SUCCESS\"}\0garbage", 28));
  ASSERT_FALSE(result.ok());
  ExpectBadResponse(result.status());
}

// Messages are for developers and logs: they must never carry a value.
TEST(ErrorsTest, MessagesNeverContainValues) {
  const std::string bodies[] = {
      // Invalid base64 made of the synthetic NIK and name.
      absl::StrCat(R"({"images":{"photo":")", kSyntheticNik, "!", kSyntheticName, R"("}})"),
      absl::StrCat(R"({"images":{"tanda_tangan":"data:)", kSyntheticNik, R"("}})"),
      // Malformed JSON right after the values.
      absl::StrCat(R"({"read":{"nik":{"value":")", kSyntheticNik, R"(" "nama":")",
                   kSyntheticName, R"("}}})"),
      absl::StrCat(R"({"read":{"nama":{"value":")", kSyntheticName, R"(",)"),
      absl::StrCat(R"({"read":{"nama":{"value":")", kSyntheticName, "\xFF\"}}}"),
      absl::StrCat("[\"", kSyntheticNik, "\",\"", kSyntheticName, "\"]"),
      absl::StrCat(R"({"x":)", std::string(100, '['), "\"", kSyntheticNik, "\"",
                   std::string(100, ']'), "}"),
  };
  for (const std::string& body : bodies) {
    auto result = MapResponseBody(body);
    ASSERT_FALSE(result.ok()) << "should fail";
    ExpectBadResponse(result.status());
    const std::string message(result.status().message());
    EXPECT_THAT(message, Not(HasSubstr(kSyntheticNik)));
    EXPECT_THAT(message, Not(HasSubstr("9901")));
    EXPECT_THAT(message, Not(HasSubstr(kSyntheticName)));
    EXPECT_THAT(message, Not(HasSubstr("CONTOH")));
    // Nor may any other detail payload carry them.
    const google::rpc::Status rpc = ToRpcStatus(result.status());
    EXPECT_THAT(rpc.DebugString(), Not(HasSubstr(kSyntheticNik)));
    EXPECT_THAT(rpc.DebugString(), Not(HasSubstr(kSyntheticName)));
  }
}

// --- Depth guard -----------------------------------------------------------

TEST(DepthTest, HugeNestingIsAnErrorNotACrash) {
  for (const std::string& body :
       {std::string(100000, '['), std::string(1000000, '['),
        absl::StrCat(std::string(100000, '['), std::string(100000, ']'))}) {
    auto result = MapResponseBody(body);
    ASSERT_FALSE(result.ok());
    ExpectBadResponse(result.status());
    EXPECT_EQ(result.status().message(), "response body nests deeper than 64 levels");
  }
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += R"({"a":)";
  auto result = MapResponseBody(objects);
  ASSERT_FALSE(result.ok());
  ExpectBadResponse(result.status());
  EXPECT_EQ(ExtractStatusString(objects), "");
}

TEST(DepthTest, LimitIsSixtyFourLevels) {
  auto nested = [](int depth) {  // an object holding depth-1 nested arrays
    return absl::StrCat(R"({"status":"FAILED","x":)", std::string(depth - 1, '['),
                        std::string(depth - 1, ']'), "}");
  };
  auto ok = MapResponseBody(nested(64));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->status, v1::READ_STATUS_FAILED);
  EXPECT_FALSE(MapResponseBody(nested(65)).ok());
}

// --- ExtractStatusString ---------------------------------------------------

TEST(ExtractStatusStringTest, BestEffort) {
  EXPECT_EQ(ExtractStatusString(R"({"status":"NO_FILE","reason":"No file in request body"})"),
            "NO_FILE");
  EXPECT_EQ(ExtractStatusString(R"({"status":"FILE_INVALID_FORMAT"})"), "FILE_INVALID_FORMAT");
  EXPECT_EQ(ExtractStatusString(R"({"status":"weird value"})"), "weird value");
  EXPECT_EQ(ExtractStatusString(R"({"error":"Access to this API has been disallowed"})"), "");
  EXPECT_EQ(ExtractStatusString(R"({"status":404})"), "");
  EXPECT_EQ(ExtractStatusString(R"({"status":null})"), "");
  EXPECT_EQ(ExtractStatusString(R"(["status","NO_FILE"])"), "");
  EXPECT_EQ(ExtractStatusString("<html><body>502 Bad Gateway</body></html>"), "");
  EXPECT_EQ(ExtractStatusString(""), "");
  EXPECT_EQ(ExtractStatusString(R"({"status":"NO_FILE")"), "");  // truncated
  EXPECT_EQ(ExtractStatusString(std::string(100000, '[')), "");
}

}  // namespace
}  // namespace ktp::upstream
