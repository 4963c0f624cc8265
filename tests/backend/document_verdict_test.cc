// DocumentVerdictOf: the typed "is this a KTP" every response carries, from
// either engine's answer, so no caller has to parse GLAIR's reason sentence.
#include "backend/ocr_backend.h"

#include "gtest/gtest.h"

namespace ktp::backend {
namespace {

OcrResult Answer(v1::ReadStatus status, std::string reason) {
  OcrResult r;
  r.status = status;
  r.reason = std::move(reason);
  return r;
}

TEST(DocumentVerdictTest, ReadSaysItOnlyInItsReasonSentence) {
  EXPECT_EQ(DocumentVerdictOf(Answer(v1::READ_STATUS_SUCCESS, "File Successfully Read")), v1::DOCUMENT_VERDICT_KTP);
  EXPECT_EQ(DocumentVerdictOf(Answer(v1::READ_STATUS_SUCCESS, " file successfully read. ")),
            v1::DOCUMENT_VERDICT_KTP);
  EXPECT_EQ(DocumentVerdictOf(Answer(v1::READ_STATUS_SUCCESS, "File successfully read. Some fields are invalid.")),
            v1::DOCUMENT_VERDICT_NOT_KTP);
  // A wording this version does not know: not determined rather than guessed.
  EXPECT_EQ(DocumentVerdictOf(Answer(v1::READ_STATUS_SUCCESS, "Done")), v1::DOCUMENT_VERDICT_UNSPECIFIED);
}

TEST(DocumentVerdictTest, TheQualityCheckDecidesWhenItRan) {
  OcrResult r = Answer(v1::READ_STATUS_SUCCESS, "File Successfully Read");
  r.has_qualities = true;
  r.qualities.set_ktp(false);
  EXPECT_EQ(DocumentVerdictOf(r), v1::DOCUMENT_VERDICT_NOT_KTP);
  r.qualities.set_ktp(true);
  r.reason = "anything";
  EXPECT_EQ(DocumentVerdictOf(r), v1::DOCUMENT_VERDICT_KTP);
}

TEST(DocumentVerdictTest, DocumentStatusesMapToTheirVerdicts) {
  EXPECT_EQ(DocumentVerdictOf(Answer(v1::READ_STATUS_UNRECOGNIZED_DOCUMENT_TYPE, "")), v1::DOCUMENT_VERDICT_NOT_KTP);
  EXPECT_EQ(DocumentVerdictOf(Answer(v1::READ_STATUS_MULTIPLE_DOCUMENTS_DETECTED, "")),
            v1::DOCUMENT_VERDICT_MULTIPLE_DOCUMENTS);
  for (v1::ReadStatus s : {v1::READ_STATUS_FAILED, v1::READ_STATUS_UNKNOWN, v1::READ_STATUS_NO_FILE}) {
    EXPECT_EQ(DocumentVerdictOf(Answer(s, "File Successfully Read")), v1::DOCUMENT_VERDICT_UNSPECIFIED) << s;
  }
}

}  // namespace
}  // namespace ktp::backend
