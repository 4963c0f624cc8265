// ValidatingBackend: what every engine's answer leaves with (validation,
// normalized values), what it leaves alone (errors, non-success statuses), the
// per-request reject_inconsistent and the observer hook.
#include "backend/validating_backend.h"

#include <vector>

#include "absl/time/civil_time.h"
#include "common/error_details.h"
#include "gtest/gtest.h"
#include "tests/support/fake_clock.h"
#include "tests/support/scripted_backend.h"

namespace ktp {
namespace {

// An invented person: Kota Bandar Lampung / Kedaton, born 09-07-1993, male.
backend::OcrResult Success(const char* sex = "LAKI-LAKI") {
  backend::OcrResult r;
  r.status = v1::READ_STATUS_SUCCESS;
  r.engine = v1::ENGINE_LOCAL;
  r.card.mutable_nik()->set_value("1871010907930009");
  r.card.mutable_birth_date()->set_value("09-07-1993");
  r.card.mutable_sex()->set_value(sex);
  r.card.mutable_province()->set_value("LAMPUNG");
  r.card.mutable_religion()->set_value("KATHOLIK");
  return r;
}

struct Fixture {
  Fixture()
      : clock(absl::FromCivil(absl::CivilSecond(2026, 11, 27, 3, 0, 0), absl::UTCTimeZone())),
        validating(&engine, &clock, [this](const v1::IdentityValidation& v) { seen.push_back(v); }) {}
  absl::StatusOr<backend::OcrResult> Run(bool reject = false) {
    backend::OcrRequest request;
    request.reject_inconsistent = reject;
    absl::StatusOr<backend::OcrResult> out = absl::UnknownError("not called");
    validating.Start(std::move(request), [&out](absl::StatusOr<backend::OcrResult> r) { out = std::move(r); });
    return out;
  }
  testing::ScriptedBackend engine;
  testing::FakeClock clock;
  backend::ValidatingBackend validating;
  std::vector<v1::IdentityValidation> seen;
};

TEST(ValidatingBackendTest, SuccessLeavesWithValidationAndNormalizedValues) {
  Fixture f;
  f.engine.result = Success();
  auto r = f.Run();
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_validation);
  EXPECT_EQ(r->validation.checks_size(), 8);
  EXPECT_TRUE(r->validation.consistent());
  EXPECT_EQ(r->validation.nik().district().code(), "18.71.01");
  EXPECT_EQ(r->card.normalized().sex(), v1::SEX_MALE);
  EXPECT_EQ(r->card.normalized().religion(), v1::RELIGION_CATHOLIC);
  EXPECT_EQ(r->card.religion().value(), "KATHOLIK");  // printed value untouched
  ASSERT_EQ(f.seen.size(), 1u);
}

TEST(ValidatingBackendTest, InconsistentCardIsAnnotatedUnlessTheRequestRejects) {
  Fixture f;
  f.engine.result = Success("PEREMPUAN");
  auto annotated = f.Run(/*reject=*/false);
  ASSERT_TRUE(annotated.ok());
  EXPECT_FALSE(annotated->validation.consistent());

  auto rejected = f.Run(/*reject=*/true);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(rejected.status()), "IDENTITY_INCONSISTENT");
  const auto info = GetErrorInfo(rejected.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->metadata().at("failedChecks"), "CHECK_KIND_NIK_SEX");
  EXPECT_EQ(info->metadata().at("engine"), "ENGINE_LOCAL");
  const auto failure = GetPreconditionFailure(rejected.status());
  ASSERT_TRUE(failure.has_value());
  ASSERT_EQ(failure->violations_size(), 1);
  EXPECT_EQ(failure->violations(0).type(), "CHECK_KIND_NIK_SEX");
  EXPECT_EQ(failure->violations(0).description(), "sex_mismatch");
  EXPECT_EQ(f.seen.size(), 2u);  // counted either way

  // A consistent card passes a rejecting tenant.
  f.engine.result = Success();
  EXPECT_TRUE(f.Run(/*reject=*/true).ok());
}

TEST(ValidatingBackendTest, ErrorsAndNonSuccessStatusesPassThroughUntouched) {
  Fixture f;
  f.engine.result = absl::UnavailableError("down");
  auto error = f.Run(true);
  EXPECT_EQ(error.status().code(), absl::StatusCode::kUnavailable);

  backend::OcrResult not_ktp;
  not_ktp.status = v1::READ_STATUS_UNRECOGNIZED_DOCUMENT_TYPE;
  f.engine.result = not_ktp;
  auto r = f.Run(true);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_validation);
  EXPECT_FALSE(r->card.has_normalized());
  EXPECT_TRUE(f.seen.empty());
}

TEST(ValidatingBackendTest, TheDayOfTheReadIsTheClocksInJakarta) {
  Fixture f;
  backend::OcrResult r = Success();
  r.card.mutable_valid_until()->set_value("27-11-2026");
  f.engine.result = r;
  EXPECT_EQ(f.Run()->validation.checks(6).detail(), "not_expired");
  f.clock.Advance(absl::Hours(13));  // 16:00 UTC: 23:00 on the 27th in Jakarta
  EXPECT_EQ(f.Run()->validation.checks(6).detail(), "not_expired");
  f.clock.Advance(absl::Hours(1));  // 00:00 on the 28th in Jakarta, still the 27th in UTC
  EXPECT_EQ(f.Run()->validation.checks(6).detail(), "expired");
}

}  // namespace
}  // namespace ktp
