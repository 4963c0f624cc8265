// Access policy parsing, validation and reloading.
#include "access/access_policy.h"

#include <openssl/sha.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "telemetry/log.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"

namespace ktp::access {
namespace {

bool ValidName(absl::string_view s, bool allow_upper_dot) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    const bool ok = absl::ascii_islower(static_cast<unsigned char>(c)) ||
                    absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-' ||
                    (allow_upper_dot && (absl::ascii_isupper(static_cast<unsigned char>(c)) ||
                                         c == '.' || c == '_'));
    if (!ok) return false;
  }
  return true;
}

absl::Status ValidateLimit(const config::v1::RateLimit& limit, absl::string_view where) {
  if (!(limit.requests_per_second() > 0) || limit.requests_per_second() > 1e9) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".requests_per_second must be > 0"));
  }
  if (limit.burst() < 0 || limit.burst() > 1e9) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".burst must be >= 0"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

std::string Sha256(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

std::string Sha256Hex(absl::string_view data) { return absl::BytesToHexString(Sha256(data)); }

absl::StatusOr<std::shared_ptr<const AccessPolicy>> AccessPolicy::Parse(absl::string_view text) {
  std::shared_ptr<AccessPolicy> policy(new AccessPolicy());
  const absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(text);
  if (absl::StartsWith(trimmed, "{")) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;  // a typo must not silently drop a limit
    auto status = google::protobuf::util::JsonStringToMessage(std::string(text), &policy->config_, options);
    if (!status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("config JSON: ", status.message().as_string()));
    }
  } else {
    // TextFormat reports errors to stderr only; catch them to return a message.
    struct Collector : google::protobuf::io::ErrorCollector {
      std::string first;
      void AddError(int line, int column, const std::string& message) override {
        if (first.empty()) first = absl::StrCat("line ", line + 1, ":", column + 1, ": ", message);
      }
    } collector;
    google::protobuf::TextFormat::Parser parser;
    parser.RecordErrorsTo(&collector);
    if (!parser.ParseFromString(std::string(text), &policy->config_)) {
      return absl::InvalidArgumentError(absl::StrCat("config textproto: ", collector.first));
    }
  }
  if (absl::Status s = policy->Index(); !s.ok()) return s;
  return std::shared_ptr<const AccessPolicy>(std::move(policy));
}

bool AccessPolicy::IsTrustedProxy(absl::string_view grpc_peer) const {
  if (!config_.auth().trust_forwarded_client_cert()) return false;
  const std::optional<IpAddress> address = PeerAddress(grpc_peer);
  if (!address) return false;
  for (const Cidr& network : trusted_proxies_) {
    if (network.Contains(*address)) return true;
  }
  return false;
}

absl::Status AccessPolicy::Index() {
  for (const std::string& text : config_.auth().trusted_proxy_cidrs()) {
    absl::StatusOr<Cidr> network = ParseCidr(text);
    if (!network.ok()) return absl::InvalidArgumentError(absl::StrCat("auth.trusted_proxy_cidrs: ", network.status().message()));
    trusted_proxies_.push_back(*network);
  }
  if (trusted_proxies_.empty()) trusted_proxies_ = LoopbackNetworks();
  for (const auto& tenant : config_.tenants()) {
    if (tenant.max_concurrent_calls() < 0) {
      return absl::InvalidArgumentError(absl::StrCat("tenant '", tenant.name(), "': max_concurrent_calls must be >= 0"));
    }
    if (!ValidName(tenant.name(), false)) {
      return absl::InvalidArgumentError(
          absl::StrCat("tenant name '", tenant.name(), "' must match [a-z0-9-]{1,63}"));
    }
    if (!tenants_.emplace(tenant.name(), &tenant).second) {
      return absl::InvalidArgumentError(absl::StrCat("tenant '", tenant.name(), "' is defined twice"));
    }
    if (tenant.has_rate_limit()) {
      if (absl::Status s = ValidateLimit(tenant.rate_limit(), absl::StrCat("tenant ", tenant.name(), " rate_limit"));
          !s.ok()) {
        return s;
      }
    }
    for (const auto& method : tenant.allowed_methods()) {
      if (method != "Read" && method != "ReadWithQualities") {
        return absl::InvalidArgumentError(
            absl::StrCat("tenant '", tenant.name(), "': unknown method '", method, "'"));
      }
    }
  }
  absl::flat_hash_map<std::string, bool> ids;
  for (const auto& client : config_.clients()) {
    if (!ValidName(client.id(), true)) {
      return absl::InvalidArgumentError("a client id must match [A-Za-z0-9._-]{1,63}");
    }
    if (!ids.emplace(client.id(), true).second) {
      return absl::InvalidArgumentError(absl::StrCat("client '", client.id(), "' is defined twice"));
    }
    if (tenants_.find(client.tenant()) == tenants_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("client '", client.id(), "' names unknown tenant '", client.tenant(), "'"));
    }
    switch (client.identity_case()) {
      case config::v1::Client::kApiKeySha256: {
        const std::string hex = absl::AsciiStrToLower(client.api_key_sha256());
        const bool is_hex = hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
                              return absl::ascii_isxdigit(static_cast<unsigned char>(c));
                            });
        if (!is_hex) {
          return absl::InvalidArgumentError(
              absl::StrCat("client '", client.id(), "': api_key_sha256 must be 64 hex characters"));
        }
        if (!by_digest_.emplace(absl::HexStringToBytes(hex), &client).second) {
          return absl::InvalidArgumentError(
              absl::StrCat("client '", client.id(), "' reuses another client's key"));
        }
        break;
      }
      case config::v1::Client::kSpiffeId:
        if (!absl::StartsWith(client.spiffe_id(), "spiffe://")) {
          return absl::InvalidArgumentError(
              absl::StrCat("client '", client.id(), "': spiffe_id must start with spiffe://"));
        }
        if (!by_spiffe_.emplace(client.spiffe_id(), &client).second) {
          return absl::InvalidArgumentError(
              absl::StrCat("client '", client.id(), "' reuses another client's SPIFFE ID"));
        }
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("client '", client.id(), "' needs api_key_sha256 or spiffe_id"));
    }
  }
  const auto& auth = config_.auth();
  if (auth.allow_anonymous() && tenants_.find(auth.anonymous_tenant()) == tenants_.end()) {
    return absl::InvalidArgumentError("auth.allow_anonymous needs an existing auth.anonymous_tenant");
  }
  const auto& global = config_.global_limits();
  if (global.has_upstream_rate_limit()) {
    if (absl::Status s = ValidateLimit(global.upstream_rate_limit(), "global_limits.upstream_rate_limit");
        !s.ok()) {
      return s;
    }
  }
  if (global.max_concurrent_calls() < 0) {
    return absl::InvalidArgumentError("global_limits.max_concurrent_calls must be >= 0");
  }
  if (global.over_limit().max_wait().seconds() < 0 || global.over_limit().max_wait().nanos() < 0) {
    return absl::InvalidArgumentError("global_limits.over_limit.max_wait must be >= 0");
  }
  return absl::OkStatus();
}

std::shared_ptr<const AccessPolicy> AccessPolicy::AllowAnonymous() {
  auto policy = Parse(R"({"tenants":[{"name":"default"}],
                          "auth":{"allowAnonymous":true,"anonymousTenant":"default"}})");
  return *policy;
}

const config::v1::Tenant* AccessPolicy::FindTenant(absl::string_view name) const {
  auto it = tenants_.find(name);
  return it == tenants_.end() ? nullptr : it->second;
}

const config::v1::Client* AccessPolicy::FindClientByKeyDigest(absl::string_view digest) const {
  auto it = by_digest_.find(digest);
  return it == by_digest_.end() ? nullptr : it->second;
}

const config::v1::Client* AccessPolicy::FindClientBySpiffeId(absl::string_view spiffe_id) const {
  auto it = by_spiffe_.find(spiffe_id);
  return it == by_spiffe_.end() ? nullptr : it->second;
}

absl::StatusOr<std::unique_ptr<AccessPolicyStore>> AccessPolicyStore::Open(std::string path,
                                                                           absl::Duration reload_interval,
                                                                           ReloadCallback on_reload) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  auto policy = AccessPolicy::Parse(*text);
  if (!policy.ok()) return policy.status();
  std::unique_ptr<AccessPolicyStore> store(new AccessPolicyStore());
  store->path_ = std::move(path);
  store->interval_ = reload_interval;
  store->on_reload_ = std::move(on_reload);
  store->last_digest_ = Sha256(*text);
  store->current_ = *std::move(policy);
  if (reload_interval > absl::ZeroDuration()) {
    store->thread_ = std::thread([s = store.get()] { s->Run(); });
  }
  return store;
}

AccessPolicyStore::AccessPolicyStore(std::shared_ptr<const AccessPolicy> fixed) : current_(std::move(fixed)) {}

AccessPolicyStore::~AccessPolicyStore() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const AccessPolicy> AccessPolicyStore::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

void AccessPolicyStore::ReloadNow() {
  if (path_.empty()) return;
  auto text = ReadFile(path_);
  if (!text.ok()) {
    // A ConfigMap swap can briefly hide the file: keep serving the last policy.
    log::Warn("config reload failed; keeping the last good config", {{"error", text.status().message()}});
    if (on_reload_) on_reload_(false, std::string(text.status().message()));
    return;
  }
  std::string digest = Sha256(*text);
  if (digest == last_digest_) return;
  auto policy = AccessPolicy::Parse(*text);
  if (!policy.ok()) {
    last_digest_ = std::move(digest);  // report a bad version once, not every tick
    log::Error("config file is invalid; keeping the last good config",
               {{"error", policy.status().message()}});
    if (on_reload_) on_reload_(false, std::string(policy.status().message()));
    return;
  }
  last_digest_ = std::move(digest);
  const int tenants = (*policy)->config().tenants_size();
  const int clients = (*policy)->config().clients_size();
  {
    absl::MutexLock lock(&mu_);
    current_ = *std::move(policy);
  }
  log::Info("config reloaded", {{"tenants", tenants}, {"clients", clients}});
  if (on_reload_) on_reload_(true, "");
}

void AccessPolicyStore::Run() {
  while (!stop_.WaitForNotificationWithTimeout(interval_)) ReloadNow();
}

}  // namespace ktp::access
