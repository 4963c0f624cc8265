// Unit tests of service/request_id: which caller-supplied `x-request-id` values
// are echoed (length 1..128, [A-Za-z0-9] and "-_.:/+=@"), the UUIDv4 format of
// generated ids (layout, version and variant nibbles, uniqueness) and
// ResolveRequestId (keep valid, replace invalid and report it, generate when absent).
#include "service/request_id.h"

#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ktp::service {
namespace {

using ::testing::MatchesRegex;

// Lower-case hex, 8-4-4-4-12, version 4, variant 10xx (8, 9, a or b).
constexpr char kUuidV4Pattern[] =
    "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

TEST(IsValidRequestIdTest, AcceptsTypicalIds) {
  EXPECT_TRUE(IsValidRequestId("a"));
  EXPECT_TRUE(IsValidRequestId("req-123"));
  EXPECT_TRUE(IsValidRequestId("3f2b8c1e-9d4a-4e6f-8a7b-0c1d2e3f4a5b"));
  EXPECT_TRUE(IsValidRequestId("Trace_ID.v1"));
}

TEST(IsValidRequestIdTest, AcceptsEveryAllowedPunctuationCharacter) {
  for (char c : std::string("-_.:/+=@")) {
    EXPECT_TRUE(IsValidRequestId(std::string("id") + c + "x")) << "char '" << c << "'";
  }
  EXPECT_TRUE(IsValidRequestId("svc/abc+def==@host:1.2_3-4"));
}

TEST(IsValidRequestIdTest, AcceptsAllAlphanumerics) {
  EXPECT_TRUE(IsValidRequestId("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"));
}

TEST(IsValidRequestIdTest, RejectsEmpty) { EXPECT_FALSE(IsValidRequestId("")); }

TEST(IsValidRequestIdTest, AcceptsExactly128Characters) {
  EXPECT_TRUE(IsValidRequestId(std::string(kMaxRequestIdLength, 'a')));
  EXPECT_EQ(kMaxRequestIdLength, 128u);
}

TEST(IsValidRequestIdTest, Rejects129Characters) {
  EXPECT_FALSE(IsValidRequestId(std::string(kMaxRequestIdLength + 1, 'a')));
}

TEST(IsValidRequestIdTest, RejectsCharactersThatCouldBreakLogsOrHeaders) {
  const char* const kBad[] = {
      "with space", "tab\there",  "new\nline", "cr\rlf",   "quote\"d", "single'q",
      "back\\slash", "semi;colon", "comma,id",  "json{}",   "angle<>",  "percent%20",
      "hash#tag",    "star*",      "qmark?",    "bang!",    "amp&",     "pipe|",
      "tilde~",      "caret^",     "paren(1)",  "brack[1]", "dollar$",  "grave`",
  };
  for (const char* id : kBad) EXPECT_FALSE(IsValidRequestId(id)) << id;
}

TEST(IsValidRequestIdTest, RejectsNulAndDelAndNonAscii) {
  EXPECT_FALSE(IsValidRequestId(std::string("ab\0cd", 5)));
  EXPECT_FALSE(IsValidRequestId("ab\x7f"));
  EXPECT_FALSE(IsValidRequestId("caf\xc3\xa9"));  // "café" in UTF-8
  EXPECT_FALSE(IsValidRequestId("\xff"));
}

TEST(GenerateRequestIdTest, IsLowerCaseUuidV4) {
  for (int i = 0; i < 1000; ++i) {
    const std::string id = GenerateRequestId();
    ASSERT_EQ(id.size(), 36u) << id;
    ASSERT_THAT(id, MatchesRegex(kUuidV4Pattern));
  }
}

TEST(GenerateRequestIdTest, VersionAndVariantNibbles) {
  for (int i = 0; i < 1000; ++i) {
    const std::string id = GenerateRequestId();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[8], '-');
    EXPECT_EQ(id[13], '-');
    EXPECT_EQ(id[18], '-');
    EXPECT_EQ(id[23], '-');
    EXPECT_EQ(id[14], '4') << id;  // version
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b') << id;  // variant
  }
}

TEST(GenerateRequestIdTest, GeneratedIdsAreValidRequestIds) {
  // A generated id must survive being echoed by the next hop.
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(IsValidRequestId(GenerateRequestId()));
}

TEST(GenerateRequestIdTest, TenThousandIdsAreUnique) {
  std::unordered_set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    const std::string id = GenerateRequestId();
    ASSERT_TRUE(seen.insert(id).second) << "duplicate id " << id << " after " << i;
  }
}

TEST(GenerateRequestIdTest, RandomNibblesVary) {
  // Every hex position other than the fixed version nibble takes more than one
  // value over many ids (a stuck byte in the generator would show up here).
  constexpr int kIds = 2000;
  std::string first = GenerateRequestId();
  std::vector<bool> varied(36, false);
  for (int i = 0; i < kIds; ++i) {
    const std::string id = GenerateRequestId();
    for (size_t p = 0; p < id.size(); ++p) {
      if (id[p] != first[p]) varied[p] = true;
    }
  }
  for (size_t p = 0; p < 36; ++p) {
    if (p == 8 || p == 13 || p == 18 || p == 23 || p == 14) continue;
    EXPECT_TRUE(varied[p]) << "position " << p << " never changed";
  }
}

TEST(ResolveRequestIdTest, KeepsValidIncomingId) {
  bool replaced = true;
  EXPECT_EQ(ResolveRequestId(absl::string_view("client-req-42"), &replaced), "client-req-42");
  EXPECT_FALSE(replaced);
}

TEST(ResolveRequestIdTest, KeepsValidIncomingIdOfMaximumLength) {
  const std::string id(128, 'Z');
  bool replaced = true;
  EXPECT_EQ(ResolveRequestId(absl::string_view(id), &replaced), id);
  EXPECT_FALSE(replaced);
}

TEST(ResolveRequestIdTest, ReplacesInvalidIdAndReportsIt) {
  bool replaced = false;
  const std::string id = ResolveRequestId(absl::string_view("bad id\nwith newline"), &replaced);
  EXPECT_TRUE(replaced);
  EXPECT_THAT(id, MatchesRegex(kUuidV4Pattern));
}

TEST(ResolveRequestIdTest, ReplacesTooLongId) {
  const std::string id(129, 'a');
  bool replaced = false;
  const std::string resolved = ResolveRequestId(absl::string_view(id), &replaced);
  EXPECT_TRUE(replaced);
  EXPECT_NE(resolved, id);
  EXPECT_THAT(resolved, MatchesRegex(kUuidV4Pattern));
}

TEST(ResolveRequestIdTest, ReplacesEmptyIdAndReportsIt) {
  // A header that is present but empty is an invalid id, not an absent one.
  bool replaced = false;
  const std::string id = ResolveRequestId(absl::string_view(""), &replaced);
  EXPECT_TRUE(replaced);
  EXPECT_THAT(id, MatchesRegex(kUuidV4Pattern));
}

TEST(ResolveRequestIdTest, GeneratesWhenAbsentWithoutReportingReplacement) {
  bool replaced = true;
  const std::string id = ResolveRequestId(std::nullopt, &replaced);
  EXPECT_FALSE(replaced);
  EXPECT_THAT(id, MatchesRegex(kUuidV4Pattern));
}

TEST(ResolveRequestIdTest, GeneratesFreshIdEachTime) {
  EXPECT_NE(ResolveRequestId(std::nullopt, nullptr), ResolveRequestId(std::nullopt, nullptr));
}

TEST(ResolveRequestIdTest, NullReplacedPointerIsAllowed) {
  EXPECT_EQ(ResolveRequestId(absl::string_view("ok-id"), nullptr), "ok-id");
  EXPECT_THAT(ResolveRequestId(absl::string_view("not ok"), nullptr), MatchesRegex(kUuidV4Pattern));
  EXPECT_THAT(ResolveRequestId(std::nullopt, nullptr), MatchesRegex(kUuidV4Pattern));
}

}  // namespace
}  // namespace ktp::service
