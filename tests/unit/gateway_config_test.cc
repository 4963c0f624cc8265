// Unit tests of service/gateway_config: the defaults, environment variables,
// the command line winning over the environment, the `--flag=value` and
// `--flag value` forms, duration and byte-count parsing, every rejection
// (INVALID_ARGUMENT naming the flag or variable), --help, and GatewayUsage()
// documenting every flag and variable. The environment is always the injected
// EnvLookup, never the process environment.
#include "service/gateway_config.h"

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ktp::service {
namespace {

using ::testing::HasSubstr;

// Every flag with its variable and a valid, non-default value.
struct FlagCase {
  const char* flag;
  const char* env;
};
const FlagCase kAllFlags[] = {
    {"listen", "KTP_LISTEN"},
    {"upstream-url", "KTP_UPSTREAM_URL"},
    {"credentials-dir", "KTP_CREDENTIALS_DIR"},
    {"upstream-ca-file", "KTP_UPSTREAM_CA_FILE"},
    {"max-image-bytes", "KTP_MAX_IMAGE_BYTES"},
    {"max-chunk-bytes", "KTP_MAX_CHUNK_BYTES"},
    {"upstream-timeout", "KTP_UPSTREAM_TIMEOUT"},
    {"connect-timeout", "KTP_CONNECT_TIMEOUT"},
    {"max-upstream-response-bytes", "KTP_MAX_UPSTREAM_RESPONSE_BYTES"},
    {"shutdown-grace", "KTP_SHUTDOWN_GRACE"},
    {"log-level", "KTP_LOG_LEVEL"},
};

// An EnvLookup over a fixed map (the map must outlive the returned lookup).
EnvLookup FakeEnv(const std::map<std::string, std::string>& vars) {
  return [&vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

const std::map<std::string, std::string> kNoEnv;

absl::StatusOr<GatewayConfig> Parse(const std::vector<std::string>& args,
                                    const std::map<std::string, std::string>& env = kNoEnv) {
  return ParseGatewayConfig(args, FakeEnv(env));
}

void ExpectInvalid(const absl::StatusOr<GatewayConfig>& r, const std::string& names) {
  ASSERT_FALSE(r.ok()) << "expected an error naming " << names;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(names));
}

// ---------------------------------------------------------------------------
// Defaults.

TEST(GatewayConfigTest, DefaultsWithNoArgsAndNoEnv) {
  absl::StatusOr<GatewayConfig> c = Parse({});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "0.0.0.0:50051");
  EXPECT_EQ(c->upstream_url, "https://api.vision.glair.ai");
  EXPECT_EQ(c->credentials_dir, "");
  EXPECT_EQ(c->upstream_ca_file, "");
  EXPECT_EQ(c->max_image_bytes, 10 * 1024 * 1024);
  EXPECT_EQ(c->max_chunk_bytes, 4 * 1024 * 1024);
  EXPECT_EQ(c->upstream_timeout, absl::Seconds(60));
  EXPECT_EQ(c->connect_timeout, absl::Seconds(5));
  EXPECT_EQ(c->max_upstream_response_bytes, 16 * 1024 * 1024);
  EXPECT_EQ(c->shutdown_grace, absl::Seconds(25));
  EXPECT_EQ(c->log_level, "info");
  EXPECT_FALSE(c->help);
}

TEST(GatewayConfigTest, NullEnvLookupMeansDefaults) {
  absl::StatusOr<GatewayConfig> c = ParseGatewayConfig({}, EnvLookup());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "0.0.0.0:50051");
}

TEST(GatewayConfigTest, EnvLookupIsAskedOnlyForKtpVariables) {
  std::vector<std::string> asked;
  EnvLookup env = [&asked](const char* name) -> const char* {
    asked.push_back(name);
    return nullptr;
  };
  ASSERT_TRUE(ParseGatewayConfig({}, env).ok());
  ASSERT_FALSE(asked.empty());
  for (const std::string& name : asked) EXPECT_EQ(name.rfind("KTP_", 0), 0u) << name;
}

// ---------------------------------------------------------------------------
// Environment.

TEST(GatewayConfigTest, EveryVariableApplies) {
  const std::map<std::string, std::string> env = {
      {"KTP_LISTEN", "127.0.0.1:6000"},
      {"KTP_UPSTREAM_URL", "http://127.0.0.1:8080"},
      {"KTP_CREDENTIALS_DIR", "/var/run/secrets/ktp"},
      {"KTP_UPSTREAM_CA_FILE", "/etc/ssl/extra.pem"},
      {"KTP_MAX_IMAGE_BYTES", "2048"},
      {"KTP_MAX_CHUNK_BYTES", "1024"},
      {"KTP_UPSTREAM_TIMEOUT", "30s"},
      {"KTP_CONNECT_TIMEOUT", "2s"},
      {"KTP_MAX_UPSTREAM_RESPONSE_BYTES", "4096"},
      {"KTP_SHUTDOWN_GRACE", "10s"},
      {"KTP_LOG_LEVEL", "debug"},
  };
  absl::StatusOr<GatewayConfig> c = Parse({}, env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "127.0.0.1:6000");
  EXPECT_EQ(c->upstream_url, "http://127.0.0.1:8080");
  EXPECT_EQ(c->credentials_dir, "/var/run/secrets/ktp");
  EXPECT_EQ(c->upstream_ca_file, "/etc/ssl/extra.pem");
  EXPECT_EQ(c->max_image_bytes, 2048);
  EXPECT_EQ(c->max_chunk_bytes, 1024);
  EXPECT_EQ(c->upstream_timeout, absl::Seconds(30));
  EXPECT_EQ(c->connect_timeout, absl::Seconds(2));
  EXPECT_EQ(c->max_upstream_response_bytes, 4096);
  EXPECT_EQ(c->shutdown_grace, absl::Seconds(10));
  EXPECT_EQ(c->log_level, "debug");
}

TEST(GatewayConfigTest, EmptyVariableIsIgnored) {
  const std::map<std::string, std::string> env = {{"KTP_LISTEN", ""}, {"KTP_MAX_IMAGE_BYTES", ""}};
  absl::StatusOr<GatewayConfig> c = Parse({}, env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "0.0.0.0:50051");
  EXPECT_EQ(c->max_image_bytes, 10 << 20);
}

TEST(GatewayConfigTest, UnrelatedVariablesAreIgnored) {
  const std::map<std::string, std::string> env = {{"LISTEN", "1.2.3.4:1"}, {"ktp_listen", "1.2.3.4:2"}};
  absl::StatusOr<GatewayConfig> c = Parse({}, env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "0.0.0.0:50051");
}

TEST(GatewayConfigTest, BadVariableIsNamedInTheError) {
  ExpectInvalid(Parse({}, {{"KTP_MAX_IMAGE_BYTES", "1k"}}), "KTP_MAX_IMAGE_BYTES");
  ExpectInvalid(Parse({}, {{"KTP_UPSTREAM_TIMEOUT", "abc"}}), "KTP_UPSTREAM_TIMEOUT");
  ExpectInvalid(Parse({}, {{"KTP_LOG_LEVEL", "verbose"}}), "KTP_LOG_LEVEL");
  ExpectInvalid(Parse({}, {{"KTP_SHUTDOWN_GRACE", "-1s"}}), "KTP_SHUTDOWN_GRACE");
}

// ---------------------------------------------------------------------------
// Command line.

TEST(GatewayConfigTest, CommandLineWinsOverEnvironment) {
  const std::map<std::string, std::string> env = {
      {"KTP_LISTEN", "127.0.0.1:6000"},
      {"KTP_MAX_IMAGE_BYTES", "2048"},
      {"KTP_SHUTDOWN_GRACE", "10s"},
      {"KTP_LOG_LEVEL", "debug"},
  };
  absl::StatusOr<GatewayConfig> c =
      Parse({"--listen=127.0.0.1:7000", "--max-image-bytes", "4096", "--log-level=error"}, env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "127.0.0.1:7000");
  EXPECT_EQ(c->max_image_bytes, 4096);
  EXPECT_EQ(c->log_level, "error");
  // Not on the command line: the environment still applies.
  EXPECT_EQ(c->shutdown_grace, absl::Seconds(10));
}

TEST(GatewayConfigTest, EqualsAndSpaceFormsAreEquivalentForEveryFlag) {
  const std::map<std::string, std::string> values = {
      {"listen", "[::1]:5000"},
      {"upstream-url", "https://ocr.example.test"},
      {"credentials-dir", "/secrets"},
      {"upstream-ca-file", "/ca.pem"},
      {"max-image-bytes", "12345"},
      {"max-chunk-bytes", "2345"},
      {"upstream-timeout", "45s"},
      {"connect-timeout", "3s"},
      {"max-upstream-response-bytes", "99999"},
      {"shutdown-grace", "7s"},
      {"log-level", "warn"},
  };
  std::vector<std::string> eq_args, space_args;
  for (const FlagCase& f : kAllFlags) {
    const std::string& v = values.at(f.flag);
    eq_args.push_back(std::string("--") + f.flag + "=" + v);
    space_args.push_back(std::string("--") + f.flag);
    space_args.push_back(v);
  }
  for (const auto* args : {&eq_args, &space_args}) {
    absl::StatusOr<GatewayConfig> c = Parse(*args);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->listen, "[::1]:5000");
    EXPECT_EQ(c->upstream_url, "https://ocr.example.test");
    EXPECT_EQ(c->credentials_dir, "/secrets");
    EXPECT_EQ(c->upstream_ca_file, "/ca.pem");
    EXPECT_EQ(c->max_image_bytes, 12345);
    EXPECT_EQ(c->max_chunk_bytes, 2345);
    EXPECT_EQ(c->upstream_timeout, absl::Seconds(45));
    EXPECT_EQ(c->connect_timeout, absl::Seconds(3));
    EXPECT_EQ(c->max_upstream_response_bytes, 99999);
    EXPECT_EQ(c->shutdown_grace, absl::Seconds(7));
    EXPECT_EQ(c->log_level, "warn");
    EXPECT_FALSE(c->help);
  }
}

TEST(GatewayConfigTest, ValueMayContainEquals) {
  absl::StatusOr<GatewayConfig> c = Parse({"--upstream-url=https://h.test/p?a=b"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->upstream_url, "https://h.test/p?a=b");
}

TEST(GatewayConfigTest, LaterFlagWins) {
  absl::StatusOr<GatewayConfig> c = Parse({"--listen=a:1", "--listen", "b:2"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "b:2");
}

TEST(GatewayConfigTest, UnknownFlagIsNamed) {
  ExpectInvalid(Parse({"--no-such-flag=1"}), "--no-such-flag");
  ExpectInvalid(Parse({"--listen=a:1", "--bogus"}), "--bogus");
}

TEST(GatewayConfigTest, UnderscoreSpellingIsUnknown) {
  // Flags use dashes; the underscore form is not silently accepted.
  ExpectInvalid(Parse({"--max_image_bytes=10"}), "max_image_bytes");
}

TEST(GatewayConfigTest, PositionalArgumentIsRejected) {
  ExpectInvalid(Parse({"serve"}), "serve");
  ExpectInvalid(Parse({"-listen=a:1"}), "-listen=a:1");
}

TEST(GatewayConfigTest, MissingValueIsNamed) {
  ExpectInvalid(Parse({"--listen"}), "--listen");
  ExpectInvalid(Parse({"--log-level=debug", "--shutdown-grace"}), "--shutdown-grace");
}

// ---------------------------------------------------------------------------
// Durations.

TEST(GatewayConfigTest, DurationForms) {
  struct Case {
    const char* text;
    absl::Duration want;
  };
  const Case cases[] = {
      {"500ms", absl::Milliseconds(500)}, {"1m30s", absl::Seconds(90)}, {"25", absl::Seconds(25)},
      {"1.5", absl::Milliseconds(1500)},  {"2m", absl::Minutes(2)},     {"0", absl::ZeroDuration()},
      {"0s", absl::ZeroDuration()},       {"24h", absl::Hours(24)},     {"1h", absl::Hours(1)},
  };
  for (const Case& c : cases) {
    absl::StatusOr<GatewayConfig> r = Parse({std::string("--shutdown-grace=") + c.text});
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.status();
    EXPECT_EQ(r->shutdown_grace, c.want) << c.text;
  }
}

TEST(GatewayConfigTest, DurationsApplyToEveryDurationFlag) {
  absl::StatusOr<GatewayConfig> c =
      Parse({"--upstream-timeout=1m30s", "--connect-timeout=500ms", "--shutdown-grace=25"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->upstream_timeout, absl::Seconds(90));
  EXPECT_EQ(c->connect_timeout, absl::Milliseconds(500));
  EXPECT_EQ(c->shutdown_grace, absl::Seconds(25));
}

TEST(GatewayConfigTest, BadDurationsAreRejectedNamingTheFlag) {
  for (const char* flag : {"upstream-timeout", "connect-timeout", "shutdown-grace"}) {
    for (const char* bad : {"abc", "-1s", "-1", "25h", "24h1s", "86401", "", "10 s", "nan", "inf"}) {
      SCOPED_TRACE(std::string(flag) + "=" + bad);
      ExpectInvalid(Parse({std::string("--") + flag + "=" + bad}), std::string("--") + flag);
    }
  }
}

// ---------------------------------------------------------------------------
// Byte counts.

TEST(GatewayConfigTest, ByteCountsAccepted) {
  absl::StatusOr<GatewayConfig> c = Parse(
      {"--max-image-bytes=1", "--max-chunk-bytes=1073741824", "--max-upstream-response-bytes=65536"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->max_image_bytes, 1);
  EXPECT_EQ(c->max_chunk_bytes, int64_t{1} << 30);
  EXPECT_EQ(c->max_upstream_response_bytes, 65536);
}

TEST(GatewayConfigTest, MaxImageBytesUpperBound) {
  absl::StatusOr<GatewayConfig> ok = Parse({"--max-image-bytes=4294967296"});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->max_image_bytes, int64_t{1} << 32);
  ExpectInvalid(Parse({"--max-image-bytes=4294967297"}), "--max-image-bytes");
  ExpectInvalid(Parse({"--max-chunk-bytes=1073741825"}), "--max-chunk-bytes");
}

TEST(GatewayConfigTest, BadByteCountsAreRejectedNamingTheFlag) {
  for (const char* flag : {"max-image-bytes", "max-chunk-bytes", "max-upstream-response-bytes"}) {
    for (const char* bad : {"0", "-5", "1k", "10MB", "1.5", "abc", "", "99999999999999999999999"}) {
      SCOPED_TRACE(std::string(flag) + "=" + bad);
      ExpectInvalid(Parse({std::string("--") + flag + "=" + bad}), std::string("--") + flag);
    }
  }
}

// ---------------------------------------------------------------------------
// Log level.

TEST(GatewayConfigTest, LogLevels) {
  for (const char* level : {"debug", "info", "warn", "error"}) {
    absl::StatusOr<GatewayConfig> c = Parse({std::string("--log-level=") + level});
    ASSERT_TRUE(c.ok()) << level << ": " << c.status();
    EXPECT_EQ(c->log_level, level);
  }
}

TEST(GatewayConfigTest, BadLogLevelIsRejectedNamingTheFlag) {
  for (const char* bad : {"verbose", "trace", "", "infox"}) {
    ExpectInvalid(Parse({std::string("--log-level=") + bad}), "--log-level");
  }
}

// ---------------------------------------------------------------------------
// Help and usage.

TEST(GatewayConfigTest, HelpSetsHelp) {
  for (const char* arg : {"--help", "-h"}) {
    absl::StatusOr<GatewayConfig> c = Parse({arg});
    ASSERT_TRUE(c.ok()) << arg << ": " << c.status();
    EXPECT_TRUE(c->help) << arg;
  }
}

TEST(GatewayConfigTest, HelpAlongsideOtherFlagsStillParsesThem) {
  absl::StatusOr<GatewayConfig> c = Parse({"--listen=a:1", "--help"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->help);
  EXPECT_EQ(c->listen, "a:1");
}

TEST(GatewayUsageTest, MentionsEveryFlagAndVariable) {
  const std::string usage = GatewayUsage();
  for (const FlagCase& f : kAllFlags) {
    EXPECT_THAT(usage, HasSubstr(std::string("--") + f.flag)) << f.flag;
    EXPECT_THAT(usage, HasSubstr(f.env)) << f.env;
  }
  EXPECT_THAT(usage, HasSubstr("--help"));
}

TEST(GatewayUsageTest, EveryDocumentedFlagIsAccepted) {
  // The table in the usage text and the parser agree: each listed flag parses
  // (with a value valid for any flag type where needed).
  for (const FlagCase& f : kAllFlags) {
    std::string value = "1";
    if (std::string(f.flag) == "log-level") value = "info";
    absl::StatusOr<GatewayConfig> c = Parse({std::string("--") + f.flag, value});
    EXPECT_TRUE(c.ok()) << f.flag << ": " << c.status();
  }
}

TEST(GatewayUsageTest, MentionsDefaults) {
  const std::string usage = GatewayUsage();
  EXPECT_THAT(usage, HasSubstr("0.0.0.0:50051"));
  EXPECT_THAT(usage, HasSubstr("https://api.vision.glair.ai"));
  EXPECT_THAT(usage, HasSubstr("10485760"));
  EXPECT_THAT(usage, HasSubstr("25s"));
}

}  // namespace
}  // namespace ktp::service
