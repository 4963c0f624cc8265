// Loading and holding upstream credentials.
#include "upstream/credentials.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/error_details.h"

namespace ktp::upstream {
namespace {

void Wipe(std::string& s) {
  // explicit_bzero is not optimised away, unlike memset on a dying buffer.
  if (!s.empty()) explicit_bzero(s.data(), s.size());
  s.clear();
}

constexpr size_t kMaxSecretBytes = 4096;

absl::Status CredentialsError(absl::string_view message) {
  return MakeError(absl::StatusCode::kUnavailable, "CREDENTIALS_UNAVAILABLE", message);
}

// Reads `name` relative to the open directory `dir_fd` into `out` (which the
// caller zeroes). The buffer is sized once, so the secret never moves and no
// stale copy is left behind in a reallocated buffer.
absl::Status ReadSecretFile(int dir_fd, const char* name, std::string& out) {
  int fd = ::openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return CredentialsError(absl::StrCat("cannot open credential file '", name, "': ", strerror(errno)));
  }
  out.assign(kMaxSecretBytes + 1, '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      Wipe(out);
      return CredentialsError(absl::StrCat("cannot read credential file '", name, "': ", strerror(err)));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got > kMaxSecretBytes) {
    Wipe(out);
    return CredentialsError(absl::StrCat("credential file '", name, "' is larger than 4096 bytes"));
  }
  out.resize(got);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  if (out.empty()) {
    return CredentialsError(absl::StrCat("credential file '", name, "' is empty"));
  }
  return absl::OkStatus();
}

// A secret that is zeroed when it goes out of scope, whatever the path out.
struct ScopedSecret {
  ~ScopedSecret() { Wipe(value); }
  std::string value;
};

bool HasControlChars(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

absl::StatusOr<std::shared_ptr<const Credentials>> Build(std::string username, std::string password,
                                                          std::string api_key) {
  // A newline inside a secret would split the HTTP header it is sent in.
  if (HasControlChars(username) || HasControlChars(password) || HasControlChars(api_key)) {
    Wipe(username);
    Wipe(password);
    Wipe(api_key);
    return CredentialsError("a credential contains control characters");
  }
  if (username.find(':') != std::string::npos) {
    Wipe(username);
    Wipe(password);
    Wipe(api_key);
    return CredentialsError("the username contains ':', which Basic authentication cannot carry");
  }
  return std::make_shared<const Credentials>(std::move(username), std::move(password),
                                             std::move(api_key));
}

}  // namespace

Credentials::Credentials(std::string username, std::string password, std::string api_key)
    : username_(std::move(username)), password_(std::move(password)), api_key_(std::move(api_key)) {
  std::string pair = absl::StrCat(username_, ":", password_);
  std::string encoded = absl::Base64Escape(pair);
  authorization_header_ = absl::StrCat("Authorization: Basic ", encoded);
  Wipe(pair);
  Wipe(encoded);
  api_key_header_ = absl::StrCat("x-api-key: ", api_key_);
}

Credentials::~Credentials() {
  Wipe(username_);
  Wipe(password_);
  Wipe(api_key_);
  Wipe(authorization_header_);
  Wipe(api_key_header_);
}

absl::StatusOr<std::shared_ptr<const Credentials>> StaticCredentialSource::Current(
    absl::string_view /*set_name*/) const {
  if (!credentials_) return CredentialsError("no upstream credentials are configured");
  return credentials_;
}

absl::StatusOr<std::shared_ptr<const Credentials>> LoadCredentialsFromDir(absl::string_view dir) {
  return LoadCredentialSet(dir);
}

absl::StatusOr<std::shared_ptr<const Credentials>> LoadCredentialSet(absl::string_view dir) {
  // One open of the directory resolves its symlinks once: the three reads below
  // all see the same directory even if a `..data`-style link is swapped meanwhile.
  const std::string path(dir);
  int dir_fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    return CredentialsError(absl::StrCat("cannot open the credential directory: ", strerror(errno)));
  }
  ScopedSecret username, password, api_key;
  absl::Status status = ReadSecretFile(dir_fd, "username", username.value);
  if (status.ok()) status = ReadSecretFile(dir_fd, "password", password.value);
  if (status.ok()) status = ReadSecretFile(dir_fd, "api_key", api_key.value);
  ::close(dir_fd);
  if (!status.ok()) return status;
  // The buffers are heap-allocated (4 KiB), so these moves hand over the same
  // memory rather than copying; the moved-from strings hold nothing.
  return Build(std::move(username.value), std::move(password.value), std::move(api_key.value));
}

absl::StatusOr<std::shared_ptr<const Credentials>> LoadCredentialsFromEnv() {
  const char* username = std::getenv("KTP_UPSTREAM_USERNAME");
  const char* password = std::getenv("KTP_UPSTREAM_PASSWORD");
  const char* api_key = std::getenv("KTP_UPSTREAM_API_KEY");
  if (username == nullptr || password == nullptr || api_key == nullptr || *username == '\0' ||
      *password == '\0' || *api_key == '\0') {
    return CredentialsError(
        "KTP_UPSTREAM_USERNAME, KTP_UPSTREAM_PASSWORD and KTP_UPSTREAM_API_KEY must all be set");
  }
  return Build(username, password, api_key);
}

}  // namespace ktp::upstream
