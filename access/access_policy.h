// The access policy: the validated, indexed form of the configuration file
// (config/proto/ktp/config/v1/gateway_config.proto) — tenants, clients and limits —
// and the store that reloads it when the file changes, keeping the last good
// policy when a new version is invalid.
#ifndef KTP_ACCESS_ACCESS_POLICY_H_
#define KTP_ACCESS_ACCESS_POLICY_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "access/cidr.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "ktp/config/v1/gateway_config.pb.h"

namespace ktp::access {

// An immutable, validated policy. Lookups are by exact key; pointers point into `config`.
class AccessPolicy {
 public:
  // Parses JSON (when `text` starts with '{') or textproto and validates it:
  // unique names and ids, known tenants, well-formed hashes and SPIFFE IDs,
  // positive rates. INVALID_ARGUMENT says what is wrong (never a key hash).
  static absl::StatusOr<std::shared_ptr<const AccessPolicy>> Parse(absl::string_view text);
  // A policy that admits everyone anonymously as tenant "default" (--allow-anonymous).
  static std::shared_ptr<const AccessPolicy> AllowAnonymous();

  const config::v1::GatewayConfig& config() const { return config_; }
  const config::v1::Tenant* FindTenant(absl::string_view name) const;
  // `digest` is the raw 32-byte SHA-256 of a presented key.
  const config::v1::Client* FindClientByKeyDigest(absl::string_view digest) const;
  const config::v1::Client* FindClientBySpiffeId(absl::string_view spiffe_id) const;
  // Whether a peer at `grpc_peer` (ServerContext::peer()) may vouch for callers
  // with x-forwarded-client-cert: trust is on and it is in trusted_proxy_cidrs.
  bool IsTrustedProxy(absl::string_view grpc_peer) const;

 private:
  AccessPolicy() = default;
  absl::Status Index();

  config::v1::GatewayConfig config_;
  std::vector<Cidr> trusted_proxies_;
  absl::flat_hash_map<std::string, const config::v1::Tenant*> tenants_;
  absl::flat_hash_map<std::string, const config::v1::Client*> by_digest_;
  absl::flat_hash_map<std::string, const config::v1::Client*> by_spiffe_;
};

// Holds the current policy of a file and re-reads it when its content changes
// (checked every `reload_interval`; content hash, so ConfigMap symlink swaps,
// editors' renames and in-place writes are all seen).
class AccessPolicyStore {
 public:
  // Called after every reload attempt that saw a change: ok, and the reason when not.
  using ReloadCallback = std::function<void(bool ok, const std::string& error)>;

  // Fails when the file cannot be read or is invalid at start.
  static absl::StatusOr<std::unique_ptr<AccessPolicyStore>> Open(std::string path,
                                                                 absl::Duration reload_interval,
                                                                 ReloadCallback on_reload = nullptr);
  // A store with a fixed policy (no file).
  explicit AccessPolicyStore(std::shared_ptr<const AccessPolicy> fixed);
  ~AccessPolicyStore();

  std::shared_ptr<const AccessPolicy> Current() const;
  // Checks the file now (tests; the background thread does it periodically).
  void ReloadNow();

 private:
  AccessPolicyStore() = default;
  void Run();

  std::string path_;
  absl::Duration interval_;
  ReloadCallback on_reload_;
  std::string last_digest_;  // reload thread only
  mutable absl::Mutex mu_;
  // Only a pointer copy happens under the lock: readers never wait on a parse.
  std::shared_ptr<const AccessPolicy> current_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread thread_;
};

// Hex SHA-256 of `data` (64 lowercase characters).
std::string Sha256Hex(absl::string_view data);
// Raw 32-byte SHA-256 of `data`.
std::string Sha256(absl::string_view data);

}  // namespace ktp::access

#endif  // KTP_ACCESS_ACCESS_POLICY_H_
