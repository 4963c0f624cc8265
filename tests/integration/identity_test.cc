// Validated identity through the production wiring (Gateway::Build): the
// upstream's answer leaves with `validation` and `card.normalized`, the golden
// shape of both, the per-tenant reject_inconsistent policy as callers see it
// (FAILED_PRECONDITION + details, never a value), the day of the read from the
// gateway's clock, and ktp_gateway_identity_checks_total moving on /metrics.
// The local engine's answer is checked the same way in local_backend_test.
#include <string>

#include "absl/time/civil_time.h"
#include "common/error_details.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_harness.h"
#include "tests/support/fake_clock.h"

namespace ktp::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The harness's day: 27-11-2026, 10:00 in Jakarta.
absl::Time ReadDay() {
  return absl::FromCivil(absl::CivilSecond(2026, 11, 27, 3, 0, 0), absl::UTCTimeZone());
}

grpc::Status Read(GatewayHarness& h, v1::ReadResponse* response) {
  UploadSpec spec;
  spec.image = FakePhotoJpeg();
  spec.metadata.set_file_name("ktp.jpg");
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return UploadRead(h.stub(), context, spec, response);
}

// The fake's invented person (see SyntheticIdentity::Default): Kemayoran,
// Kota Adm. Jakarta Pusat, born 15-04-1990, male, married.
constexpr char kGoldenValidation[] = R"pb(
  nik {
    province { code: "31" name: "DAERAH KHUSUS IBUKOTA JAKARTA" }
    city_regency { code: "31.71" name: "KOTA ADMINISTRASI JAKARTA PUSAT" }
    district { code: "31.71.03" name: "KEMAYORAN" }
    birth_date { year: 1990 month: 4 day: 15 }
    sex: SEX_MALE
    serial: "0012"
  }
  checks { kind: CHECK_KIND_NIK_FORMAT outcome: CHECK_OUTCOME_PASS detail: "ok" }
  checks { kind: CHECK_KIND_NIK_REGION outcome: CHECK_OUTCOME_PASS detail: "ok" }
  checks { kind: CHECK_KIND_NIK_BIRTH_DATE outcome: CHECK_OUTCOME_PASS detail: "ok" }
  checks { kind: CHECK_KIND_NIK_SEX outcome: CHECK_OUTCOME_PASS detail: "ok" }
  checks { kind: CHECK_KIND_REGION_NAMES outcome: CHECK_OUTCOME_PASS detail: "ok" }
  checks { kind: CHECK_KIND_VILLAGE outcome: CHECK_OUTCOME_PASS detail: "ok" }
  checks { kind: CHECK_KIND_VALID_UNTIL outcome: CHECK_OUTCOME_PASS detail: "for_life" }
  checks { kind: CHECK_KIND_AGE outcome: CHECK_OUTCOME_PASS detail: "ok" }
  consistent: true
)pb";

constexpr char kGoldenNormalized[] = R"pb(
  sex: SEX_MALE
  religion: RELIGION_ISLAM
  marital_status: MARITAL_STATUS_MARRIED
  blood_type: BLOOD_TYPE_O
  nationality: NATIONALITY_INDONESIAN
  valid_for_life: true
)pb";

template <typename Message>
Message Parse(const char* text) {
  Message m;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &m));
  return m;
}

class IdentityTest : public ::testing::Test {
 protected:
  IdentityTest() : clock_(ReadDay()) {}
  HarnessOptions Options() {
    HarnessOptions options;
    options.clock = &clock_;
    return options;
  }
  FakeClock clock_;
};

TEST_F(IdentityTest, UpstreamAnswerCarriesTheGoldenValidationAndNormalizedValues) {
  GatewayHarness h(Options());
  v1::ReadResponse response;
  ASSERT_TRUE(Read(h, &response).ok());
  EXPECT_EQ(response.engine(), v1::ENGINE_UPSTREAM);
  std::string diff;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differ.Compare(Parse<v1::IdentityValidation>(kGoldenValidation), response.validation())) << diff;
  EXPECT_TRUE(differ.Compare(Parse<v1::NormalizedValues>(kGoldenNormalized), response.card().normalized())) << diff;
  // The printed values are untouched.
  EXPECT_EQ(response.card().sex().value(), "LAKI-LAKI");
  EXPECT_EQ(response.card().marital_status().value(), "KAWIN");

  // ReadWithQualities shares field 10.
  UploadSpec spec;
  spec.image = FakePhotoJpeg();
  spec.metadata.set_file_name("ktp.jpg");
  grpc::ClientContext context;
  v1::ReadWithQualitiesResponse q;
  ASSERT_TRUE(UploadReadWithQualities(h.stub(), context, spec, &q).ok());
  EXPECT_TRUE(differ.Compare(Parse<v1::IdentityValidation>(kGoldenValidation), q.validation())) << diff;
}

TEST_F(IdentityTest, TheDayOfTheReadComesFromTheGatewaysClock) {
  GatewayHarness h(Options());
  SyntheticIdentity id = SyntheticIdentity::Default();
  id.berlaku_hingga = "27-11-2026";
  h.fake().SetIdentity(id);
  v1::ReadResponse response;
  ASSERT_TRUE(Read(h, &response).ok());
  EXPECT_EQ(response.validation().checks(6).detail(), "not_expired");
  EXPECT_TRUE(response.validation().consistent());
  clock_.Advance(absl::Hours(24));  // the 28th in Jakarta
  ASSERT_TRUE(Read(h, &response).ok());
  EXPECT_EQ(response.validation().checks(6).kind(), v1::CHECK_KIND_VALID_UNTIL);
  EXPECT_EQ(response.validation().checks(6).outcome(), v1::CHECK_OUTCOME_FAIL);
  EXPECT_EQ(response.validation().checks(6).detail(), "expired");
  EXPECT_FALSE(response.validation().consistent());
}

TEST_F(IdentityTest, InconsistentCardIsAnnotatedByDefaultAndCounted) {
  GatewayHarness h(Options());
  SyntheticIdentity id = SyntheticIdentity::Default();
  id.jenis_kelamin = "PEREMPUAN";  // the NIK's day (15) says male
  id.kelurahan_desa = "MENTENG";   // a village of another district
  h.fake().SetIdentity(id);
  v1::ReadResponse response;
  ASSERT_TRUE(Read(h, &response).ok());
  EXPECT_EQ(response.status(), v1::READ_STATUS_SUCCESS);
  EXPECT_FALSE(response.validation().consistent());
  EXPECT_EQ(response.validation().checks(3).outcome(), v1::CHECK_OUTCOME_FAIL);
  EXPECT_EQ(response.validation().checks(3).detail(), "sex_mismatch");
  EXPECT_EQ(response.validation().checks(5).detail(), "not_in_district");
  EXPECT_EQ(response.card().normalized().sex(), v1::SEX_FEMALE);  // what is printed

  const std::string metrics = h.ScrapeMetrics();
  EXPECT_EQ(SeriesValue(metrics, R"(ktp_gateway_identity_checks_total{kind="nik_sex",outcome="fail"})"), 1);
  EXPECT_EQ(SeriesValue(metrics, R"(ktp_gateway_identity_checks_total{kind="village",outcome="fail"})"), 1);
  EXPECT_EQ(SeriesValue(metrics, R"(ktp_gateway_identity_checks_total{kind="nik_format",outcome="pass"})"), 1);
  EXPECT_EQ(SeriesValue(metrics, R"(ktp_gateway_identity_checks_total{kind="age",outcome="not_checked"})"), 0);
}

TEST_F(IdentityTest, TenantWithRejectInconsistentGetsFailedPreconditionNamingTheChecks) {
  TempDir dir;
  dir.Write("policy.json", R"({"tenants":[{"name":"kyc","rejectInconsistent":true}],
                               "auth":{"allowAnonymous":true,"anonymousTenant":"kyc"}})");
  HarnessOptions options = Options();
  options.config.allow_anonymous = false;
  options.config.config_file = dir.path() + "/policy.json";
  GatewayHarness h(options);

  // A consistent card is answered as usual.
  v1::ReadResponse response;
  ASSERT_TRUE(Read(h, &response).ok());
  EXPECT_TRUE(response.validation().consistent());

  SyntheticIdentity id = SyntheticIdentity::Default();
  id.tanggal_lahir = "16-04-1990";  // the NIK says the 15th
  h.fake().SetIdentity(id);
  const grpc::Status status = Read(h, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  const auto info = ErrorInfoOf(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "IDENTITY_INCONSISTENT");
  EXPECT_EQ(info->domain(), "ktp-gateway");
  EXPECT_EQ(info->metadata().at("failedChecks"), "CHECK_KIND_NIK_BIRTH_DATE");
  EXPECT_EQ(info->metadata().at("engine"), "ENGINE_UPSTREAM");
  google::rpc::PreconditionFailure failure;
  bool found = false;
  const google::rpc::Status rpc_status = RpcStatusOf(status);
  for (const auto& any : rpc_status.details()) {
    if (any.UnpackTo(&failure)) found = true;
  }
  ASSERT_TRUE(found);
  ASSERT_EQ(failure.violations_size(), 1);
  EXPECT_EQ(failure.violations(0).type(), "CHECK_KIND_NIK_BIRTH_DATE");
  EXPECT_EQ(failure.violations(0).description(), "date_mismatch");
  // No personal value anywhere in what the caller (or a log of it) sees.
  const std::string everything = status.error_message() + rpc_status.DebugString();
  for (const char* value : {"3171031504900012", "1504", "16-04-1990", "BUDI", "KEMAYORAN"}) {
    EXPECT_THAT(everything, Not(HasSubstr(value)));
  }
  EXPECT_EQ(SeriesValue(h.ScrapeMetrics(),
                        R"(ktp_gateway_identity_checks_total{kind="nik_birth_date",outcome="fail"})"),
            1);
}

TEST_F(IdentityTest, NoValidationWithoutASuccessfulRead) {
  GatewayHarness h(Options());
  ScriptedResponse not_ktp;
  not_ktp.status = 200;
  not_ktp.body = R"({"status":"UNRECOGNIZED_DOCUMENT_TYPE","reason":"Not a KTP"})";
  h.fake().Enqueue(not_ktp);
  v1::ReadResponse response;
  ASSERT_TRUE(Read(h, &response).ok());
  EXPECT_NE(response.status(), v1::READ_STATUS_SUCCESS);
  EXPECT_FALSE(response.has_validation());
  EXPECT_FALSE(response.card().has_normalized());
  EXPECT_EQ(SeriesValue(h.ScrapeMetrics(), R"(ktp_gateway_identity_checks_total{kind="nik_format",outcome="pass"})"),
            0);
}

}  // namespace
}  // namespace ktp::testing
