// Upstream credentials (username, password, api key): where they come from and how
// they are held. They are secrets: never logged, never in errors, zeroed on release.
#ifndef KTP_UPSTREAM_CREDENTIALS_H_
#define KTP_UPSTREAM_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ktp::upstream {

// One credential set, with the two request headers pre-built so the serving path
// never re-encodes them. Zeroes every copy of the secrets when destroyed.
class Credentials {
 public:
  Credentials(std::string username, std::string password, std::string api_key);
  ~Credentials();
  Credentials(const Credentials&) = delete;
  Credentials& operator=(const Credentials&) = delete;

  // "Authorization: Basic base64(username:password)"
  const std::string& authorization_header() const { return authorization_header_; }
  // "x-api-key: <api key>"
  const std::string& api_key_header() const { return api_key_header_; }
  const std::string& username() const { return username_; }

 private:
  std::string username_;
  std::string password_;
  std::string api_key_;
  std::string authorization_header_;
  std::string api_key_header_;
};

// Supplies the credential set to use for a call. Implementations may rotate it.
class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // The current version of the named set ("" = the default set), or UNAVAILABLE
  // (reason CREDENTIALS_UNAVAILABLE) when none is loaded. Callers hold the returned
  // pointer for the whole upstream call, so a rotation never mixes two versions.
  virtual absl::StatusOr<std::shared_ptr<const Credentials>> Current(
      absl::string_view set_name) const = 0;
};

// A source holding one fixed set (or none).
class StaticCredentialSource : public CredentialSource {
 public:
  explicit StaticCredentialSource(std::shared_ptr<const Credentials> credentials)
      : credentials_(std::move(credentials)) {}
  // Serves its one set under every name.
  absl::StatusOr<std::shared_ptr<const Credentials>> Current(absl::string_view set_name) const override;

 private:
  std::shared_ptr<const Credentials> credentials_;
};

// Reads files `username`, `password` and `api_key` from `dir` (the layout of a
// Kubernetes Secret volume; a trailing newline is stripped). Errors name the
// file, never its content.
absl::StatusOr<std::shared_ptr<const Credentials>> LoadCredentialsFromDir(absl::string_view dir);

// The validation behind LoadCredentialsFromDir, for one set directory (also used by
// CredentialVault). The directory is opened once and the three files are read
// relative to it, so a set never mixes files from two versions of a directory
// that is swapped by renaming a symlink to it. Every temporary read buffer is
// zeroed. UNAVAILABLE / CREDENTIALS_UNAVAILABLE names the file, never its content.
absl::StatusOr<std::shared_ptr<const Credentials>> LoadCredentialSet(absl::string_view dir);

// Reads KTP_UPSTREAM_USERNAME, KTP_UPSTREAM_PASSWORD and KTP_UPSTREAM_API_KEY.
absl::StatusOr<std::shared_ptr<const Credentials>> LoadCredentialsFromEnv();

}  // namespace ktp::upstream

#endif  // KTP_UPSTREAM_CREDENTIALS_H_
