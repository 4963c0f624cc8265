// Unit tests of upstream/credentials: LoadCredentialsFromDir (the Kubernetes
// Secret volume layout: files username, password, api_key; trailing newline
// stripped; missing/empty/oversized files, control characters, ':' in the
// username), LoadCredentialsFromEnv, StaticCredentialSource, the exact
// pre-rendered Authorization and x-api-key headers, and REDACTION: no error ever
// carries a secret value in its message or any payload. All values are synthetic.
#include "upstream/credentials.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "common/error_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ktp::upstream {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUser[] = "ktp-user-7f2";
constexpr char kPass[] = "s3cr3t-Pw-91d";
constexpr char kKey[] = "ak-5c0ffee-syn";
// base64("ktp-user-7f2:s3cr3t-Pw-91d")
constexpr char kBasic[] = "a3RwLXVzZXItN2YyOnMzY3IzdC1Qdy05MWQ=";

// Asserts the error is UNAVAILABLE / CREDENTIALS_UNAVAILABLE and that none of
// `secrets` appears in the message, the rendered google.rpc.Status or any raw payload.
void ExpectRedactedCredentialsError(const absl::Status& s, const std::vector<std::string>& secrets) {
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(ErrorReason(s), "CREDENTIALS_UNAVAILABLE") << s;
  const std::string rpc = ToRpcStatus(s).DebugString();
  for (const std::string& secret : secrets) {
    ASSERT_FALSE(secret.empty());
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr(secret)));
    EXPECT_THAT(rpc, Not(HasSubstr(secret)));
    s.ForEachPayload([&](absl::string_view type_url, const absl::Cord& payload) {
      EXPECT_THAT(std::string(payload), Not(HasSubstr(secret))) << type_url;
    });
  }
}

class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TEST_TMPDIR");
    std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/ktp_creds_XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    const char* made = mkdtemp(buf.data());
    if (made == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
    } else {
      path_ = made;
    }
  }
  ~TempDir() {
    for (const char* f : {"username", "password", "api_key"}) unlink((path_ + "/" + f).c_str());
    rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }
  void Write(const std::string& name, const std::string& content) const {
    std::ofstream out(path_ + "/" + name, std::ios::binary | std::ios::trunc);
    out << content;
    ASSERT_TRUE(out.good());
  }
  void Remove(const std::string& name) const { unlink((path_ + "/" + name).c_str()); }
  // Writes the three files (each with a trailing newline, as `kubectl create secret` from files often has).
  void WriteAll(const std::string& user, const std::string& pass, const std::string& key) const {
    Write("username", user + "\n");
    Write("password", pass + "\n");
    Write("api_key", key + "\n");
  }

 private:
  std::string path_;
};

// ---------------------------------------------------------------------------
// Credentials and its headers.

TEST(CredentialsTest, HeadersAreRenderedExactly) {
  const Credentials c(kUser, kPass, kKey);
  EXPECT_EQ(c.authorization_header(), std::string("Authorization: Basic ") + kBasic);
  EXPECT_EQ(c.api_key_header(), std::string("x-api-key: ") + kKey);
  EXPECT_EQ(c.username(), kUser);
}

TEST(CredentialsTest, PasswordMayContainColons) {
  const Credentials c(kUser, "pa:ss:Wd-3e1", kKey);
  // base64("ktp-user-7f2:pa:ss:Wd-3e1")
  EXPECT_EQ(c.authorization_header(), "Authorization: Basic a3RwLXVzZXItN2YyOnBhOnNzOldkLTNlMQ==");
}

// ---------------------------------------------------------------------------
// LoadCredentialsFromDir: success.

TEST(LoadCredentialsFromDirTest, LoadsTheThreeFilesAndStripsTrailingNewline) {
  TempDir dir;
  dir.WriteAll(kUser, kPass, kKey);
  auto creds = LoadCredentialsFromDir(dir.path());
  ASSERT_TRUE(creds.ok()) << creds.status();
  ASSERT_NE(*creds, nullptr);
  EXPECT_EQ((*creds)->username(), kUser);
  EXPECT_EQ((*creds)->authorization_header(), std::string("Authorization: Basic ") + kBasic);
  EXPECT_EQ((*creds)->api_key_header(), std::string("x-api-key: ") + kKey);
}

TEST(LoadCredentialsFromDirTest, FilesWithoutTrailingNewlineAreUsedAsIs) {
  TempDir dir;
  dir.Write("username", kUser);
  dir.Write("password", kPass);
  dir.Write("api_key", kKey);
  auto creds = LoadCredentialsFromDir(dir.path());
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ((*creds)->authorization_header(), std::string("Authorization: Basic ") + kBasic);
  EXPECT_EQ((*creds)->api_key_header(), std::string("x-api-key: ") + kKey);
}

TEST(LoadCredentialsFromDirTest, CrLfLineEndingIsStripped) {
  TempDir dir;
  dir.Write("username", std::string(kUser) + "\r\n");
  dir.Write("password", std::string(kPass) + "\r\n");
  dir.Write("api_key", std::string(kKey) + "\r\n");
  auto creds = LoadCredentialsFromDir(dir.path());
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ((*creds)->authorization_header(), std::string("Authorization: Basic ") + kBasic);
  EXPECT_EQ((*creds)->api_key_header(), std::string("x-api-key: ") + kKey);
}

TEST(LoadCredentialsFromDirTest, InnerSpacesArePartOfTheSecret) {
  TempDir dir;
  dir.WriteAll(kUser, "s3cr3t Pw 91d", kKey);
  auto creds = LoadCredentialsFromDir(dir.path());
  ASSERT_TRUE(creds.ok()) << creds.status();
  // base64("ktp-user-7f2:s3cr3t Pw 91d")
  EXPECT_EQ((*creds)->authorization_header(), "Authorization: Basic a3RwLXVzZXItN2YyOnMzY3IzdCBQdyA5MWQ=");
}

TEST(LoadCredentialsFromDirTest, SecretOfExactly4096BytesIsAccepted) {
  TempDir dir;
  const std::string long_key(4096, 'K');
  dir.Write("username", kUser);
  dir.Write("password", kPass);
  dir.Write("api_key", long_key);
  auto creds = LoadCredentialsFromDir(dir.path());
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ((*creds)->api_key_header(), "x-api-key: " + long_key);
}

// ---------------------------------------------------------------------------
// LoadCredentialsFromDir: errors (each also checks redaction).

TEST(LoadCredentialsFromDirTest, MissingDirectory) {
  auto creds = LoadCredentialsFromDir("/nonexistent/ktp-test-creds-dir");
  ASSERT_FALSE(creds.ok());
  ExpectRedactedCredentialsError(creds.status(), {kUser, kPass, kKey});
}

TEST(LoadCredentialsFromDirTest, EachMissingFileIsNamed) {
  for (const char* missing : {"username", "password", "api_key"}) {
    TempDir dir;
    dir.WriteAll(kUser, kPass, kKey);
    dir.Remove(missing);
    auto creds = LoadCredentialsFromDir(dir.path());
    ASSERT_FALSE(creds.ok()) << missing;
    EXPECT_THAT(std::string(creds.status().message()), HasSubstr(std::string("'") + missing + "'"));
    ExpectRedactedCredentialsError(creds.status(), {kUser, kPass, kKey});
  }
}

TEST(LoadCredentialsFromDirTest, EachEmptyFileIsNamed) {
  for (const char* empty : {"username", "password", "api_key"}) {
    for (const char* content : {"", "\n", "\r\n\n"}) {
      TempDir dir;
      dir.WriteAll(kUser, kPass, kKey);
      dir.Write(empty, content);
      auto creds = LoadCredentialsFromDir(dir.path());
      ASSERT_FALSE(creds.ok()) << empty;
      EXPECT_THAT(std::string(creds.status().message()), HasSubstr(std::string("'") + empty + "'"));
      EXPECT_THAT(std::string(creds.status().message()), HasSubstr("empty"));
      ExpectRedactedCredentialsError(creds.status(), {kUser, kPass, kKey});
    }
  }
}

TEST(LoadCredentialsFromDirTest, OversizedFileIsRejectedWithoutEchoingIt) {
  for (const char* big : {"username", "password", "api_key"}) {
    TempDir dir;
    dir.WriteAll(kUser, kPass, kKey);
    const std::string content(4097, 'Q');
    dir.Write(big, content);
    auto creds = LoadCredentialsFromDir(dir.path());
    ASSERT_FALSE(creds.ok()) << big;
    EXPECT_THAT(std::string(creds.status().message()), HasSubstr(std::string("'") + big + "'"));
    ExpectRedactedCredentialsError(creds.status(), {kUser, kPass, kKey, std::string(16, 'Q')});
  }
}

TEST(LoadCredentialsFromDirTest, MuchLargerFileIsRejected) {
  TempDir dir;
  dir.WriteAll(kUser, kPass, kKey);
  dir.Write("password", std::string(1 << 20, 'Z'));
  auto creds = LoadCredentialsFromDir(dir.path());
  ASSERT_FALSE(creds.ok());
  ExpectRedactedCredentialsError(creds.status(), {kUser, kKey, std::string(16, 'Z')});
}

TEST(LoadCredentialsFromDirTest, ControlCharactersInAnyValueAreRejected) {
  const std::string kBadUser = "ktp-user\tTAB-4a";
  const std::string kBadPass = "s3cr3t\nX-Injected-9b";  // would split the header
  const std::string kBadKey = std::string("ak-5c0ffee\x7f") + "DEL-syn";
  struct Case {
    std::string user, pass, key;
  };
  const Case cases[] = {{kBadUser, kPass, kKey}, {kUser, kBadPass, kKey}, {kUser, kPass, kBadKey}};
  for (const Case& c : cases) {
    TempDir dir;
    // Written without the trailing newline so the control character stays inside.
    dir.Write("username", c.user);
    dir.Write("password", c.pass);
    dir.Write("api_key", c.key);
    auto creds = LoadCredentialsFromDir(dir.path());
    ASSERT_FALSE(creds.ok()) << c.user << " / " << c.key;
    ExpectRedactedCredentialsError(
        creds.status(), {c.user, c.pass, c.key, "TAB-4a", "X-Injected-9b", "DEL-syn", "ktp-user",
                         "s3cr3t", "ak-5c0ffee"});
  }
}

TEST(LoadCredentialsFromDirTest, CarriageReturnInsideAValueIsRejected) {
  TempDir dir;
  dir.WriteAll(kUser, "s3cr3t\rInner-7c", kKey);
  auto creds = LoadCredentialsFromDir(dir.path());
  ASSERT_FALSE(creds.ok());
  ExpectRedactedCredentialsError(creds.status(), {kUser, kKey, "s3cr3t", "Inner-7c"});
}

TEST(LoadCredentialsFromDirTest, ColonInUsernameIsRejected) {
  TempDir dir;
  dir.WriteAll("ktp:user-c0l", kPass, kKey);
  auto creds = LoadCredentialsFromDir(dir.path());
  ASSERT_FALSE(creds.ok());
  ExpectRedactedCredentialsError(creds.status(), {"ktp:user-c0l", "user-c0l", kPass, kKey});
}

TEST(LoadCredentialsFromDirTest, ColonInPasswordIsAccepted) {
  TempDir dir;
  dir.WriteAll(kUser, "pa:ss:Wd-3e1", kKey);
  auto creds = LoadCredentialsFromDir(dir.path());
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ((*creds)->authorization_header(), "Authorization: Basic a3RwLXVzZXItN2YyOnBhOnNzOldkLTNlMQ==");
}

// ---------------------------------------------------------------------------
// LoadCredentialsFromEnv.

class LoadCredentialsFromEnvTest : public ::testing::Test {
 protected:
  static constexpr const char* kVars[] = {"KTP_UPSTREAM_USERNAME", "KTP_UPSTREAM_PASSWORD",
                                          "KTP_UPSTREAM_API_KEY"};
  void SetUp() override {
    for (const char* v : kVars) {
      const char* old = getenv(v);
      saved_.push_back(old ? std::optional<std::string>(old) : std::nullopt);
      unsetenv(v);
    }
  }
  void TearDown() override {
    for (size_t i = 0; i < saved_.size(); ++i) {
      if (saved_[i]) {
        setenv(kVars[i], saved_[i]->c_str(), 1);
      } else {
        unsetenv(kVars[i]);
      }
    }
  }
  static void SetAll(const std::string& user, const std::string& pass, const std::string& key) {
    setenv("KTP_UPSTREAM_USERNAME", user.c_str(), 1);
    setenv("KTP_UPSTREAM_PASSWORD", pass.c_str(), 1);
    setenv("KTP_UPSTREAM_API_KEY", key.c_str(), 1);
  }

 private:
  std::vector<std::optional<std::string>> saved_;
};

TEST_F(LoadCredentialsFromEnvTest, LoadsTheThreeVariables) {
  SetAll("env-user-a1", "env-Pw-b2c3", "env-key-d4e5");
  auto creds = LoadCredentialsFromEnv();
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ((*creds)->username(), "env-user-a1");
  // base64("env-user-a1:env-Pw-b2c3")
  EXPECT_EQ((*creds)->authorization_header(), "Authorization: Basic ZW52LXVzZXItYTE6ZW52LVB3LWIyYzM=");
  EXPECT_EQ((*creds)->api_key_header(), "x-api-key: env-key-d4e5");
}

TEST_F(LoadCredentialsFromEnvTest, NoneSetIsUnavailable) {
  auto creds = LoadCredentialsFromEnv();
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReason(creds.status()), "CREDENTIALS_UNAVAILABLE");
}

TEST_F(LoadCredentialsFromEnvTest, EachMissingOrEmptyVariableIsUnavailableAndRedacted) {
  for (const char* var : kVars) {
    for (bool empty : {false, true}) {
      SetAll("env-user-a1", "env-Pw-b2c3", "env-key-d4e5");
      if (empty) {
        setenv(var, "", 1);
      } else {
        unsetenv(var);
      }
      auto creds = LoadCredentialsFromEnv();
      ASSERT_FALSE(creds.ok()) << var << (empty ? " empty" : " unset");
      ExpectRedactedCredentialsError(creds.status(), {"env-user-a1", "env-Pw-b2c3", "env-key-d4e5"});
    }
  }
}

TEST_F(LoadCredentialsFromEnvTest, ControlCharactersAreRejectedAndRedacted) {
  SetAll("env-user-a1", "env-Pw\nb2c3-NL", "env-key-d4e5");
  auto creds = LoadCredentialsFromEnv();
  ASSERT_FALSE(creds.ok());
  ExpectRedactedCredentialsError(creds.status(), {"env-user-a1", "env-Pw", "b2c3-NL", "env-key-d4e5"});
}

TEST_F(LoadCredentialsFromEnvTest, TrailingNewlineInVariableIsRejected) {
  // Unlike files, variables are not trimmed: a newline would split the header.
  SetAll("env-user-a1", "env-Pw-b2c3", "env-key-d4e5\n");
  auto creds = LoadCredentialsFromEnv();
  ASSERT_FALSE(creds.ok());
  ExpectRedactedCredentialsError(creds.status(), {"env-user-a1", "env-Pw-b2c3", "env-key-d4e5"});
}

TEST_F(LoadCredentialsFromEnvTest, ColonInUsernameIsRejectedAndRedacted) {
  SetAll("env:user-a1", "env-Pw-b2c3", "env-key-d4e5");
  auto creds = LoadCredentialsFromEnv();
  ASSERT_FALSE(creds.ok());
  ExpectRedactedCredentialsError(creds.status(), {"env:user-a1", "user-a1", "env-Pw-b2c3", "env-key-d4e5"});
}

// ---------------------------------------------------------------------------
// StaticCredentialSource.

TEST(StaticCredentialSourceTest, ReturnsTheHeldSet) {
  auto held = std::make_shared<const Credentials>(kUser, kPass, kKey);
  StaticCredentialSource source(held);
  auto current = source.Current("");
  ASSERT_TRUE(current.ok()) << current.status();
  EXPECT_EQ(current->get(), held.get());
}

TEST(StaticCredentialSourceTest, EmptySourceIsUnavailable) {
  StaticCredentialSource source(nullptr);
  auto current = source.Current("");
  ASSERT_FALSE(current.ok());
  EXPECT_EQ(current.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReason(current.status()), "CREDENTIALS_UNAVAILABLE");
}

}  // namespace
}  // namespace ktp::upstream
