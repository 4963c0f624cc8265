// Unit tests of upstream/credential_vault: real Kubernetes Secret volume layouts
// built in a temp dir (timestamped dir + `..data` symlink + per-entry symlinks,
// swapped atomically the way the kubelet's AtomicWriter does), plain directories
// rewritten in place (Vault Agent style), named sets and the single-set layout,
// hot rotation, generations, in-flight pointers keeping old values, half-written
// and invalid sets keeping the last good version, readiness (has_any/Subscribe),
// removal, the periodic fallback without inotify, readers never seeing a mixed
// set, and REDACTION: no secret value in any log line or error. Synthetic values.
#include "upstream/credential_vault.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/error_details.h"
#include "telemetry/log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ktp::upstream {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Every secret a test writes is built here and remembered, so the fixture can
// prove at the end that none of them (nor their Basic encodings) leaked.
struct Secrets {
  std::string username, password, api_key;
};

class SecretRegistry {
 public:
  Secrets Make(const std::string& tag) {
    Secrets s{"user-" + tag + "-q7", "Pw-" + tag + "-z9x4", "ak-" + tag + "-5c0ffee"};
    Remember(s);
    return s;
  }
  void Remember(const Secrets& s) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string* v : {&s.username, &s.password, &s.api_key}) all_.insert(*v);
    all_.insert(absl::Base64Escape(s.username + ":" + s.password));
  }
  std::set<std::string> all() const {
    std::lock_guard<std::mutex> lock(mu_);
    return all_;
  }

 private:
  mutable std::mutex mu_;
  std::set<std::string> all_;
};

std::string Basic(const Secrets& s) {
  return "Authorization: Basic " + absl::Base64Escape(s.username + ":" + s.password);
}
std::string KeyHeader(const Secrets& s) { return "x-api-key: " + s.api_key; }

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

std::string MakeTempDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/ktp_vault_XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  const char* made = mkdtemp(buf.data());
  EXPECT_NE(made, nullptr);
  return made == nullptr ? "" : made;
}

// A directory laid out like a Kubernetes Secret volume:
//   root/..2024_01_01_00_00_00.N/<paths>   (the data, one dir per version)
//   root/..data -> ..2024_01_01_00_00_00.N (swapped atomically by rename)
//   root/<first path component> -> ..data/<first path component>
class SecretVolume {
 public:
  SecretVolume() : root_(MakeTempDir()) {}
  ~SecretVolume() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  const std::string& root() const { return root_; }

  // Publishes a new version holding exactly `files` (relative path → content),
  // in the kubelet's order: write the new ts dir, link ..data_tmp, rename it over
  // ..data, add/remove user-visible links, delete the old ts dir.
  void Publish(const std::map<std::string, std::string>& files) {
    const std::string ts = absl::StrCat("..2024_01_01_00_00_00.", ++version_);
    for (const auto& [path, content] : files) WriteFile(fs::path(root_) / ts / path, content);
    const fs::path tmp = fs::path(root_) / "..data_tmp";
    ASSERT_EQ(symlink(ts.c_str(), tmp.c_str()), 0);
    ASSERT_EQ(rename(tmp.c_str(), (fs::path(root_) / "..data").c_str()), 0);
    std::set<std::string> top;
    for (const auto& [path, content] : files) top.insert(path.substr(0, path.find('/')));
    for (const std::string& name : top) {
      const fs::path link = fs::path(root_) / name;
      if (!fs::is_symlink(fs::symlink_status(link))) {
        ASSERT_EQ(symlink(("..data/" + name).c_str(), link.c_str()), 0);
      }
    }
    for (const std::string& name : visible_) {
      if (top.count(name) == 0) unlink((fs::path(root_) / name).c_str());
    }
    visible_ = top;
    if (!previous_ts_.empty()) {
      std::error_code ec;
      fs::remove_all(fs::path(root_) / previous_ts_, ec);
    }
    previous_ts_ = ts;
  }

  // Files of one set at `prefix` ("" for the single-set layout).
  static void AddSet(std::map<std::string, std::string>& files, const std::string& prefix, const Secrets& s,
                     bool with_api_key = true) {
    const std::string p = prefix.empty() ? "" : prefix + "/";
    files[p + "username"] = s.username + "\n";
    files[p + "password"] = s.password + "\n";
    if (with_api_key) files[p + "api_key"] = s.api_key + "\n";
  }

 private:
  std::string root_;
  int version_ = 0;
  std::string previous_ts_;
  std::set<std::string> visible_;
};

struct Reload {
  bool ok;
  std::string set;
  int64_t generation;
  bool operator==(const Reload& o) const { return std::tie(ok, set, generation) == std::tie(o.ok, o.set, o.generation); }
};
std::ostream& operator<<(std::ostream& os, const Reload& r) {
  return os << "{" << (r.ok ? "ok" : "fail") << "," << r.set << "," << r.generation << "}";
}

class CredentialVaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::SetLevel(log::Level::kDebug);
    log::SetSinkForTesting([this](absl::string_view line) {
      std::lock_guard<std::mutex> lock(mu_);
      log_lines_.emplace_back(line);
    });
  }

  // REDACTION: nothing any test wrote as a secret shows up in a log line or in
  // an error the vault produced (message or any payload).
  void TearDown() override {
    vault_.reset();
    log::SetSinkForTesting(nullptr);
    log::SetLevel(log::Level::kInfo);
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_FALSE(log_lines_.empty());
    for (const std::string& secret : secrets_.all()) {
      for (const std::string& line : log_lines_) EXPECT_THAT(line, Not(HasSubstr(secret)));
      for (const std::string& error : errors_) EXPECT_THAT(error, Not(HasSubstr(secret)));
    }
  }

  CredentialVaultOptions Options(const std::string& root) {
    CredentialVaultOptions options;
    options.root = root;
    options.on_reload = [this](bool ok, const std::string& set, int64_t generation) {
      std::lock_guard<std::mutex> lock(mu_);
      reloads_.push_back({ok, set, generation});
    };
    return options;
  }

  void Start(CredentialVaultOptions options) {
    auto vault = CredentialVault::Create(std::move(options));
    ASSERT_TRUE(vault.ok()) << vault.status();
    vault_ = *std::move(vault);
  }

  // Current(set), remembering any error for the redaction check.
  absl::StatusOr<std::shared_ptr<const Credentials>> Get(const std::string& set) {
    auto result = vault_->Current(set);
    if (!result.ok()) Record(result.status());
    return result;
  }
  void Record(const absl::Status& status) {
    std::lock_guard<std::mutex> lock(mu_);
    errors_.emplace_back(status.message());
    errors_.push_back(ToRpcStatus(status).DebugString());
    status.ForEachPayload([&](absl::string_view, const absl::Cord& payload) { errors_.emplace_back(payload); });
  }

  // Polls `condition` for up to 2 s (rotation must be picked up within that).
  static bool Eventually(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < deadline) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return condition();
  }
  bool HasKey(const std::string& set, const Secrets& s) {
    auto c = Get(set);
    return c.ok() && (*c)->api_key_header() == KeyHeader(s) && (*c)->authorization_header() == Basic(s);
  }

  std::vector<Reload> reloads() {
    std::lock_guard<std::mutex> lock(mu_);
    return reloads_;
  }
  std::vector<std::string> log_lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return log_lines_;
  }

  SecretRegistry secrets_;
  std::shared_ptr<CredentialVault> vault_;
  std::mutex mu_;
  std::vector<std::string> log_lines_;
  std::vector<std::string> errors_;
  std::vector<Reload> reloads_;
};

void ExpectUnavailable(const absl::Status& s) {
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(ErrorReason(s), "CREDENTIALS_UNAVAILABLE") << s;
}

TEST_F(CredentialVaultTest, SingleSetLayoutLoadsAsDefault) {
  SecretVolume volume;
  const Secrets a = secrets_.Make("a");
  std::map<std::string, std::string> files;
  SecretVolume::AddSet(files, "", a);
  volume.Publish(files);
  Start(Options(volume.root()));

  EXPECT_TRUE(vault_->has_any());
  EXPECT_THAT(vault_->set_names(), ElementsAre("default"));
  EXPECT_EQ(vault_->generation("default"), 1);
  EXPECT_TRUE(HasKey("", a));
  EXPECT_TRUE(HasKey("default", a));
  EXPECT_THAT(reloads(), ElementsAre(Reload{true, "default", 1}));
  ExpectUnavailable(Get("other").status());
}

TEST_F(CredentialVaultTest, NamedSetsOnePerSubdirectory) {
  SecretVolume volume;
  const Secrets alpha = secrets_.Make("alpha"), beta = secrets_.Make("beta");
  std::map<std::string, std::string> files;
  SecretVolume::AddSet(files, "alpha", alpha);
  SecretVolume::AddSet(files, "beta", beta);
  volume.Publish(files);
  Start(Options(volume.root()));

  EXPECT_THAT(vault_->set_names(), ElementsAre("alpha", "beta"));
  EXPECT_TRUE(HasKey("alpha", alpha));
  EXPECT_TRUE(HasKey("beta", beta));
  // Two sets and none called "default": "" has no answer.
  ExpectUnavailable(Get("").status());
  // An unknown set names no set at all (the error reaches the caller): not
  // the one asked for, nor the sets that exist.
  auto unknown = Get("gamma");
  ExpectUnavailable(unknown.status());
  EXPECT_THAT(std::string(unknown.status().message()), Not(HasSubstr("gamma")));
  EXPECT_THAT(std::string(unknown.status().message()), Not(HasSubstr("alpha")));
  EXPECT_THAT(std::string(unknown.status().message()), Not(HasSubstr("beta")));
}

TEST_F(CredentialVaultTest, EmptyNameMeansDefaultOrTheOnlySet) {
  SecretVolume only;
  const Secrets a = secrets_.Make("only");
  std::map<std::string, std::string> files;
  SecretVolume::AddSet(files, "tenant-x", a);
  only.Publish(files);
  Start(Options(only.root()));
  EXPECT_TRUE(HasKey("", a));
  vault_.reset();

  SecretVolume several;
  const Secrets d = secrets_.Make("dflt"), o = secrets_.Make("other");
  files.clear();
  SecretVolume::AddSet(files, "default", d);
  SecretVolume::AddSet(files, "other", o);
  several.Publish(files);
  Start(Options(several.root()));
  EXPECT_TRUE(HasKey("", d));
  EXPECT_TRUE(HasKey("other", o));
}

TEST_F(CredentialVaultTest, RotationIsPickedUpWithoutRestartAndInFlightPointersKeepOldValues) {
  SecretVolume volume;
  const Secrets v1 = secrets_.Make("v1"), v2 = secrets_.Make("v2");
  std::map<std::string, std::string> files;
  SecretVolume::AddSet(files, "", v1);
  volume.Publish(files);
  Start(Options(volume.root()));
  auto in_flight = Get("");
  ASSERT_TRUE(in_flight.ok());

  files.clear();
  SecretVolume::AddSet(files, "", v2);
  volume.Publish(files);
  ASSERT_TRUE(Eventually([&] { return HasKey("", v2); }));
  EXPECT_EQ(vault_->generation("default"), 2);
  EXPECT_THAT(reloads(), ElementsAre(Reload{true, "default", 1}, Reload{true, "default", 2}));
  // A call that took its pointer before the rotation still sends the old values, whole.
  EXPECT_EQ((*in_flight)->authorization_header(), Basic(v1));
  EXPECT_EQ((*in_flight)->api_key_header(), KeyHeader(v1));
  const std::vector<std::string> lines = log_lines();
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("credential set rotated") != std::string::npos && l.find("\"generation\":2") != std::string::npos;
  }));
}

TEST_F(CredentialVaultTest, UnchangedContentKeepsGenerationAndPointer) {
  SecretVolume volume;
  const Secrets a = secrets_.Make("same"), b = secrets_.Make("marker");
  std::map<std::string, std::string> files;
  SecretVolume::AddSet(files, "a", a);
  volume.Publish(files);
  Start(Options(volume.root()));
  auto before = Get("a");
  ASSERT_TRUE(before.ok());

  // Same content for "a" in a new version, plus a new set "b" so we know when it was read.
  SecretVolume::AddSet(files, "b", b);
  volume.Publish(files);
  ASSERT_TRUE(Eventually([&] { return HasKey("b", b); }));
  vault_->ReloadNow();
  EXPECT_EQ(vault_->generation("a"), 1);
  auto after = Get("a");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(before->get(), after->get());
  EXPECT_THAT(reloads(), ElementsAre(Reload{true, "a", 1}, Reload{true, "b", 1}));
}

TEST_F(CredentialVaultTest, HalfWrittenSetKeepsTheLastGoodVersionAndIsReported) {
  SecretVolume volume;
  const Secrets a1 = secrets_.Make("a1"), a2 = secrets_.Make("a2"), b1 = secrets_.Make("b1"),
                b2 = secrets_.Make("b2");
  std::map<std::string, std::string> files;
  SecretVolume::AddSet(files, "a", a1);
  SecretVolume::AddSet(files, "b", b1);
  volume.Publish(files);
  Start(Options(volume.root()));

  // "a" loses its api_key (half-written); "b" rotates so we know the reload ran.
  files.clear();
  SecretVolume::AddSet(files, "a", a2, /*with_api_key=*/false);
  SecretVolume::AddSet(files, "b", b2);
  volume.Publish(files);
  ASSERT_TRUE(Eventually([&] { return HasKey("b", b2); }));
  EXPECT_TRUE(HasKey("a", a1));
  EXPECT_EQ(vault_->generation("a"), 1);
  const std::vector<Reload> r = reloads();
  EXPECT_NE(std::find(r.begin(), r.end(), Reload{false, "a", 1}), r.end());
  const std::vector<std::string> lines = log_lines();
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("\"level\":\"warn\"") != std::string::npos && l.find("\"set\":\"a\"") != std::string::npos &&
           l.find("api_key") != std::string::npos && l.find("keeping the last good version") != std::string::npos;
  })) << ::testing::PrintToString(lines);

  // Completed: now "a" rotates.
  files.clear();
  SecretVolume::AddSet(files, "a", a2);
  SecretVolume::AddSet(files, "b", b2);
  volume.Publish(files);
  ASSERT_TRUE(Eventually([&] { return HasKey("a", a2); }));
  EXPECT_EQ(vault_->generation("a"), 2);
}

TEST_F(CredentialVaultTest, InvalidValuesAreRejectedAndTheLastGoodKept) {
  SecretVolume volume;
  const Secrets good = secrets_.Make("good");
  std::map<std::string, std::string> files;
  SecretVolume::AddSet(files, "", good);
  volume.Publish(files);
  Start(Options(volume.root()));

  const Secrets bad = secrets_.Make("bad");
  const std::vector<std::pair<std::string, std::string>> broken = {
      {"password", ""},                                        // empty
      {"password", bad.password + "\nInjected: header\n"},     // control characters
      {"api_key", bad.api_key + std::string(4100, 'k')},       // > 4096 bytes
  };
  for (const auto& [file, content] : broken) {
    files.clear();
    SecretVolume::AddSet(files, "", bad);
    files[file] = content;
    volume.Publish(files);
    vault_->ReloadNow();
    EXPECT_TRUE(HasKey("", good)) << file;
    EXPECT_EQ(vault_->generation("default"), 1);
  }
  const std::vector<Reload> r = reloads();
  EXPECT_GE(std::count(r.begin(), r.end(), Reload{false, "default", 1}), 3);
}

TEST_F(CredentialVaultTest, NoValidSetAtStartThenOneAppears) {
  SecretVolume volume;  // empty
  Start(Options(volume.root()));
  EXPECT_FALSE(vault_->has_any());
  ExpectUnavailable(Get("").status());
  std::mutex mu;
  std::vector<bool> seen;
  const int id = vault_->Subscribe([&](bool any) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(any);
  });

  // First half-written (no api_key): still nothing served, failure reported.
  const Secrets s = secrets_.Make("late");
  std::map<std::string, std::string> files;
  SecretVolume::AddSet(files, "", s, /*with_api_key=*/false);
  volume.Publish(files);
  ASSERT_TRUE(Eventually([&] {
    const auto r = reloads();
    return std::find(r.begin(), r.end(), Reload{false, "default", 0}) != r.end();
  }));
  EXPECT_FALSE(vault_->has_any());

  SecretVolume::AddSet(files, "", s);
  volume.Publish(files);
  ASSERT_TRUE(Eventually([&] { return vault_->has_any(); }));
  EXPECT_TRUE(HasKey("", s));
  vault_->Unsubscribe(id);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_GE(seen.size(), 2u);
  EXPECT_FALSE(seen.front());
  EXPECT_TRUE(seen.back());
}

TEST_F(CredentialVaultTest, DeletingASetUnloadsIt) {
  SecretVolume volume;
  const Secrets a = secrets_.Make("del-a"), b = secrets_.Make("del-b");
  std::map<std::string, std::string> files;
  SecretVolume::AddSet(files, "a", a);
  SecretVolume::AddSet(files, "b", b);
  volume.Publish(files);
  Start(Options(volume.root()));
  ASSERT_TRUE(HasKey("a", a));

  files.clear();
  SecretVolume::AddSet(files, "b", b);
  volume.Publish(files);
  ASSERT_TRUE(Eventually([&] { return !Get("a").ok(); }));
  ExpectUnavailable(Get("a").status());
  EXPECT_TRUE(HasKey("b", b));
  EXPECT_EQ(vault_->generation("a"), 0);
  const std::vector<Reload> r = reloads();
  EXPECT_NE(std::find(r.begin(), r.end(), Reload{true, "a", 0}), r.end());
  // With only "b" left, it is also the answer for "".
  EXPECT_TRUE(HasKey("", b));
}

TEST_F(CredentialVaultTest, PlainDirectoriesRewrittenInPlace) {
  // Vault Agent / hand-managed layout: real directories and files, no symlinks.
  const std::string root = MakeTempDir();
  const Secrets v1 = secrets_.Make("plain1"), v2 = secrets_.Make("plain2");
  WriteFile(root + "/svc/username", v1.username);
  WriteFile(root + "/svc/password", v1.password);
  WriteFile(root + "/svc/api_key", v1.api_key);
  Start(Options(root));
  ASSERT_TRUE(HasKey("svc", v1));
  WriteFile(root + "/svc/username", v2.username);
  WriteFile(root + "/svc/password", v2.password);
  WriteFile(root + "/svc/api_key", v2.api_key);
  EXPECT_TRUE(Eventually([&] { return HasKey("svc", v2); }));
  vault_.reset();
  std::error_code ec;
  fs::remove_all(root, ec);
}

TEST_F(CredentialVaultTest, PeriodicRereadWorksWithoutInotify) {
  SecretVolume volume;
  const Secrets v1 = secrets_.Make("p1"), v2 = secrets_.Make("p2");
  std::map<std::string, std::string> files;
  SecretVolume::AddSet(files, "", v1);
  volume.Publish(files);
  CredentialVaultOptions options = Options(volume.root());
  options.use_inotify = false;
  options.refresh_interval = absl::Milliseconds(200);
  Start(std::move(options));
  ASSERT_TRUE(HasKey("", v1));
  files.clear();
  SecretVolume::AddSet(files, "", v2);
  volume.Publish(files);
  EXPECT_TRUE(Eventually([&] { return HasKey("", v2); }));
  EXPECT_EQ(vault_->generation("default"), 2);
}

TEST_F(CredentialVaultTest, ReadersNeverSeeAMixedSetDuringRotations) {
  SecretVolume volume;
  std::vector<Secrets> versions;
  for (int i = 0; i < 400; ++i) versions.push_back(secrets_.Make(absl::StrCat("mix", i)));
  std::map<std::string, std::string> files;
  SecretVolume::AddSet(files, "", versions[0]);
  volume.Publish(files);
  CredentialVaultOptions options = Options(volume.root());
  options.debounce = absl::ZeroDuration();  // reload as eagerly as possible
  Start(std::move(options));

  // Whole-version lookup: authorization header → api key header.
  std::map<std::string, std::string> matching;
  for (const Secrets& s : versions) matching[Basic(s)] = KeyHeader(s);
  std::atomic<bool> stop{false};
  std::atomic<int> mixed{0}, reads{0};
  std::thread reader([&] {
    while (!stop.load()) {
      auto c = vault_->Current("");
      if (!c.ok()) continue;
      auto it = matching.find((*c)->authorization_header());
      if (it == matching.end() || it->second != (*c)->api_key_header()) mixed.fetch_add(1);
      reads.fetch_add(1);
    }
  });
  for (size_t i = 1; i < versions.size(); ++i) {
    files.clear();
    SecretVolume::AddSet(files, "", versions[i]);
    volume.Publish(files);
  }
  EXPECT_TRUE(Eventually([&] { return HasKey("", versions.back()); }));
  stop.store(true);
  reader.join();
  EXPECT_EQ(mixed.load(), 0);
  EXPECT_GT(reads.load(), 0);
}

TEST_F(CredentialVaultTest, MissingRootFailsAtCreateWithAHint) {
  auto vault = CredentialVault::Create(Options("/nonexistent-ktp-credentials"));
  ASSERT_FALSE(vault.ok());
  EXPECT_EQ(vault.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(vault.status().message()), HasSubstr("username"));
  EXPECT_EQ(CredentialVault::Create(Options("")).status().code(), absl::StatusCode::kInvalidArgument);
  log::Info("test marker");  // TearDown wants at least one captured line
}

TEST_F(CredentialVaultTest, CredentialsAreOnlyReadFromFiles) {
  // LoadCredentialSet is what the vault uses: its errors name files, never content.
  const std::string root = MakeTempDir();
  const Secrets s = secrets_.Make("direct");
  WriteFile(root + "/username", s.username);
  WriteFile(root + "/password", s.password + "\x01");
  WriteFile(root + "/api_key", s.api_key);
  auto loaded = LoadCredentialSet(root);
  ASSERT_FALSE(loaded.ok());
  Record(loaded.status());
  ExpectUnavailable(loaded.status());
  WriteFile(root + "/password", s.password);
  loaded = LoadCredentialSet(root);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->authorization_header(), Basic(s));
  EXPECT_EQ((*loaded)->api_key_header(), KeyHeader(s));
  std::error_code ec;
  fs::remove_all(root, ec);
  log::Info("test marker");
}

}  // namespace
}  // namespace ktp::upstream
