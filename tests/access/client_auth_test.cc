// Access policy parsing/validation, client authentication (bearer keys, SPIFFE
// via x-forwarded-client-cert, anonymous) and the errors callers see.
#include "access/client_auth.h"

#include <fstream>

#include "absl/strings/match.h"
#include "common/error_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ktp::access {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kKey[] = "ktp_synthetic-test-key-for-payments-team-000000";
constexpr char kOtherKey[] = "ktp_synthetic-test-key-for-onboarding-0000000000";

std::string PolicyJson(bool allow_anonymous = false, bool trust_mesh = false) {
  return std::string(R"({
    "tenants": [
      {"name": "payments", "credentialSet": "glair-a", "rateLimit": {"requestsPerSecond": 5, "burst": 10}},
      {"name": "onboarding", "allowedMethods": ["Read"]},
      {"name": "public"}
    ],
    "clients": [
      {"id": "payments-api", "tenant": "payments", "apiKeySha256": ")") +
         access::Sha256Hex(kKey) + R"("},
      {"id": "onboarding-web", "tenant": "onboarding", "apiKeySha256": ")" + access::Sha256Hex(kOtherKey) +
         R"(", "disabled": false},
      {"id": "mesh-worker", "tenant": "payments", "spiffeId": "spiffe://cluster.local/ns/pay/sa/worker"},
      {"id": "revoked", "tenant": "payments", "apiKeySha256": ")" + access::Sha256Hex("ktp_revoked") +
         R"(", "disabled": true}
    ],
    "auth": {"allowAnonymous": )" + (allow_anonymous ? "true" : "false") +
         R"(, "anonymousTenant": "public", "trustForwardedClientCert": )" + (trust_mesh ? "true" : "false") +
         "}}";
}

std::shared_ptr<const access::AccessPolicy> Policy(bool allow_anonymous = false, bool trust_mesh = false) {
  auto policy = access::AccessPolicy::Parse(PolicyJson(allow_anonymous, trust_mesh));
  EXPECT_TRUE(policy.ok()) << policy.status();
  return *policy;
}

// The pod's own sidecar connects from loopback.
constexpr char kSidecarPeer[] = "ipv4:127.0.0.1:40000";

absl::StatusOr<access::AuthenticatedCaller> Auth(const access::AccessPolicy& p, absl::string_view authorization,
                                         absl::string_view xfcc = "", service::Method m = service::Method::kRead,
                                         absl::string_view peer = kSidecarPeer, absl::string_view peer_spiffe_id = "") {
  access::PresentedCredentials c;
  c.authorization = authorization;
  c.forwarded_client_cert = xfcc;
  c.peer = peer;
  c.peer_spiffe_id = peer_spiffe_id;
  return access::Authenticate(p, c, m);
}

std::shared_ptr<const access::AccessPolicy> PolicyWithProxies(const std::string& cidrs_json) {
  std::string json = PolicyJson(false, true);
  json.insert(json.rfind('}', json.size() - 2), R"(, "trustedProxyCidrs": )" + cidrs_json);
  auto policy = access::AccessPolicy::Parse(json);
  EXPECT_TRUE(policy.ok()) << policy.status() << json;
  return policy.ok() ? *policy : nullptr;
}

constexpr char kWorkerXfcc[] = "By=spiffe://cluster.local/ns/ktp/sa/gateway;URI=spiffe://cluster.local/ns/pay/sa/worker";

TEST(ClientAuthTest, ValidBearerKeyIdentifiesClientAndTenant) {
  auto p = Policy();
  auto caller = Auth(*p, std::string("Bearer ") + kKey);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->client_id, "payments-api");
  EXPECT_EQ(caller->tenant->name(), "payments");
  EXPECT_EQ(caller->tenant->credential_set(), "glair-a");
  EXPECT_TRUE(Auth(*p, std::string("bearer   ") + kKey + "  ").ok());  // scheme case, spaces
}

TEST(ClientAuthTest, UnknownOrMalformedCredentialsAreUnauthenticatedWithoutHints) {
  auto p = Policy();
  for (const std::string& header : {std::string("Bearer ktp_wrong"), std::string("Basic abc"),
                                    std::string("Bearer ") + kKey + "x", std::string("Bearer ")}) {
    auto caller = Auth(*p, header);
    ASSERT_FALSE(caller.ok()) << header;
    EXPECT_EQ(caller.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(ErrorReason(caller.status()), "UNAUTHENTICATED");
    const std::string all = ToRpcStatus(caller.status()).DebugString();
    EXPECT_THAT(all, Not(HasSubstr("payments")));
    EXPECT_THAT(all, Not(HasSubstr("ktp_")));
  }
}

TEST(ClientAuthTest, AnonymousIsRefusedByDefaultAndAllowedWhenConfigured) {
  auto closed = Auth(*Policy(), "");
  EXPECT_EQ(closed.status().code(), absl::StatusCode::kUnauthenticated);
  auto open_policy = Policy(/*allow_anonymous=*/true);  // the caller points into it
  auto open = Auth(*open_policy, "");
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->client_id, "anonymous");
  EXPECT_EQ(open->tenant->name(), "public");
  // A wrong key is still refused even when anonymous calls are allowed.
  EXPECT_FALSE(Auth(*Policy(true), "Bearer ktp_wrong").ok());
}

TEST(ClientAuthTest, DisabledClientIsPermissionDenied) {
  auto caller = Auth(*Policy(), "Bearer ktp_revoked");
  EXPECT_EQ(caller.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorReason(caller.status()), "CLIENT_DISABLED");
}

TEST(ClientAuthTest, TenantMethodRestrictionIsPermissionDenied) {
  auto p = Policy();
  EXPECT_TRUE(Auth(*p, std::string("Bearer ") + kOtherKey, "", service::Method::kRead).ok());
  auto caller = Auth(*p, std::string("Bearer ") + kOtherKey, "", service::Method::kReadWithQualities);
  EXPECT_EQ(caller.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorReason(caller.status()), "METHOD_NOT_ALLOWED");
}

TEST(ClientAuthTest, SpiffeIdFromTheMeshOnlyWhenTrusted) {
  const std::string xfcc =
      "By=spiffe://cluster.local/ns/ktp/sa/gateway;Hash=abc;Subject=\"CN=a, O=b;c\";"
      "URI=spiffe://cluster.local/ns/pay/sa/worker";
  EXPECT_EQ(Auth(*Policy(), "", xfcc).status().code(), absl::StatusCode::kUnauthenticated);
  auto mesh_policy = Policy(false, /*trust_mesh=*/true);
  auto caller = Auth(*mesh_policy, "", xfcc);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->client_id, "mesh-worker");
  auto unknown = Auth(*Policy(false, true), "", "URI=spiffe://cluster.local/ns/x/sa/y");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(ClientAuthTest, AForgedXfccFromAnUntrustedAddressIsUnauthenticated) {
  // Trust is on, the SPIFFE ID is a known client, but the header comes straight
  // from another pod, not through the sidecar: it proves nothing.
  auto mesh_policy = Policy(false, /*trust_mesh=*/true);
  for (const char* peer : {"ipv4:10.1.2.3:5000", "ipv6:[fd00::7]:5000", "unix:/tmp/sock", ""}) {
    auto forged = Auth(*mesh_policy, "", kWorkerXfcc, service::Method::kRead, peer);
    EXPECT_EQ(forged.status().code(), absl::StatusCode::kUnauthenticated) << peer;
  }
  // Loopback (IPv4 and IPv6) is where a sidecar connects from: trusted by default.
  for (const char* peer : {"ipv4:127.0.0.1:5000", "ipv6:[::1]:5000", "ipv6:[::ffff:127.0.0.1]:5000"}) {
    auto sidecar = Auth(*mesh_policy, "", kWorkerXfcc, service::Method::kRead, peer);
    ASSERT_TRUE(sidecar.ok()) << peer << ": " << sidecar.status();
    EXPECT_EQ(sidecar->client_id, "mesh-worker");
  }
}

TEST(ClientAuthTest, TrustedProxyCidrsReplaceLoopback) {
  auto policy = PolicyWithProxies(R"(["10.0.0.0/8", "fd00::/8"])");
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(Auth(*policy, "", kWorkerXfcc, service::Method::kRead, "ipv4:10.1.2.3:5000").ok());
  EXPECT_TRUE(Auth(*policy, "", kWorkerXfcc, service::Method::kRead, "ipv6:[fd00::7]:5000").ok());
  EXPECT_EQ(Auth(*policy, "", kWorkerXfcc, service::Method::kRead, "ipv4:127.0.0.1:5000").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Auth(*policy, "", kWorkerXfcc, service::Method::kRead, "ipv4:11.0.0.1:5000").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(ClientAuthTest, ATrustedProxyIsNobodyWhenTheMeshIsNotTrusted) {
  // trustForwardedClientCert off: the header is ignored even from loopback.
  EXPECT_EQ(Auth(*Policy(), "", kWorkerXfcc).status().code(), absl::StatusCode::kUnauthenticated);
  auto anonymous_ok = Policy(/*allow_anonymous=*/true, /*trust_mesh=*/false);
  auto caller = Auth(*anonymous_ok, "", kWorkerXfcc);
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->client_id, "anonymous");  // not mesh-worker
}

TEST(ClientAuthTest, TheVerifiedCertificatesSpiffeIdNeedsNoHeaderNorTrust) {
  // mTLS: the listener verified the certificate; no mesh trust is involved.
  auto p = Policy();
  auto caller = Auth(*p, "", "", service::Method::kRead, "ipv4:10.9.9.9:1", "spiffe://cluster.local/ns/pay/sa/worker");
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->client_id, "mesh-worker");
  EXPECT_EQ(caller->tenant->name(), "payments");
  auto unknown = Auth(*p, "", "", service::Method::kRead, "ipv4:10.9.9.9:1", "spiffe://cluster.local/ns/x/sa/y");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kUnauthenticated);
  // A bearer key, when sent, names the caller.
  auto keyed = Auth(*p, std::string("Bearer ") + kKey, "", service::Method::kRead, "ipv4:10.9.9.9:1",
                    "spiffe://cluster.local/ns/x/sa/y");
  ASSERT_TRUE(keyed.ok());
  EXPECT_EQ(keyed->client_id, "payments-api");
}

TEST(AccessPolicyTest, TrustedProxyCidrsMustBeNetworks) {
  for (const char* bad : {R"(["10.0.0.0/33"])", R"(["not-an-ip"])", R"(["::1/129"])"}) {
    std::string json = PolicyJson(false, true);
    json.insert(json.rfind('}', json.size() - 2), std::string(R"(, "trustedProxyCidrs": )") + bad);
    EXPECT_FALSE(access::AccessPolicy::Parse(json).ok()) << bad;
  }
}

TEST(ClientAuthTest, XfccParserTakesTheLastElementAndHandlesQuotes) {
  EXPECT_EQ(access::SpiffeIdFromXfcc("URI=spiffe://a/first,By=x;URI=spiffe://a/last"), "spiffe://a/last");
  EXPECT_EQ(access::SpiffeIdFromXfcc("Subject=\"CN=x,O=y\";URI=\"spiffe://a/q\""), "spiffe://a/q");
  EXPECT_FALSE(access::SpiffeIdFromXfcc("Hash=abc").has_value());
  EXPECT_FALSE(access::SpiffeIdFromXfcc("URI=https://not-spiffe").has_value());
  EXPECT_FALSE(access::SpiffeIdFromXfcc("").has_value());
}

TEST(ClientAuthTest, GeneratedKeysAreUniqueAndWellFormed) {
  const std::string a = access::GenerateClientKey(), b = access::GenerateClientKey();
  EXPECT_NE(a, b);
  EXPECT_TRUE(absl::StartsWith(a, "ktp_"));
  EXPECT_EQ(a.size(), 4u + 43u);
  EXPECT_EQ(access::Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(AccessPolicyTest, RejectsInvalidConfigurationsWithAReason) {
  struct Case {
    const char* json;
    const char* expect;
  };
  for (const Case& c : {
           Case{R"({"tenants":[{"name":"Bad Name"}]})", "tenant name"},
           Case{R"({"tenants":[{"name":"a"},{"name":"a"}]})", "defined twice"},
           Case{R"({"tenants":[{"name":"a"}],"clients":[{"id":"c","tenant":"b","apiKeySha256":"00"}]})",
                "unknown tenant"},
           Case{R"({"tenants":[{"name":"a"}],"clients":[{"id":"c","tenant":"a","apiKeySha256":"zz"}]})",
                "64 hex"},
           Case{R"({"tenants":[{"name":"a"}],"clients":[{"id":"c","tenant":"a"}]})", "needs api_key_sha256"},
           Case{R"({"tenants":[{"name":"a","rateLimit":{"requestsPerSecond":0}}]})", "must be > 0"},
           Case{R"({"tenants":[{"name":"a","allowedMethods":["Delete"]}]})", "unknown method"},
           Case{R"({"auth":{"allowAnonymous":true,"anonymousTenant":"none"}})", "anonymous_tenant"},
           Case{R"({"tenants":[{"name":"a","rateLimt":{}}]})", "config JSON"},
           Case{R"(tenants { name: "a" } bogus: 1)", "config textproto"},
       }) {
    auto policy = access::AccessPolicy::Parse(c.json);
    ASSERT_FALSE(policy.ok()) << c.json;
    EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(policy.status().message()), HasSubstr(c.expect)) << c.json;
  }
}

TEST(AccessPolicyTest, AcceptsTextproto) {
  auto policy = access::AccessPolicy::Parse(
      "tenants { name: \"a\" rate_limit { requests_per_second: 2 burst: 3 } }\n"
      "auth { allow_anonymous: true anonymous_tenant: \"a\" }\n");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ((*policy)->FindTenant("a")->rate_limit().burst(), 3);
}

TEST(AccessPolicyStoreTest, ReloadsOnChangeAndKeepsTheLastGoodPolicy) {
  char dir_template[] = "/tmp/ktp-policy-XXXXXX";
  const std::string path = std::string(mkdtemp(dir_template)) + "/config.json";
  std::ofstream(path) << PolicyJson();
  std::vector<std::pair<bool, std::string>> reloads;
  auto store = access::AccessPolicyStore::Open(path, absl::ZeroDuration(),
                                       [&](bool ok, const std::string& e) { reloads.emplace_back(ok, e); });
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_FALSE(Auth(*(*store)->Current(), "").ok());

  std::ofstream(path) << PolicyJson(/*allow_anonymous=*/true);
  (*store)->ReloadNow();
  EXPECT_TRUE(Auth(*(*store)->Current(), "").ok());
  ASSERT_EQ(reloads.size(), 1u);
  EXPECT_TRUE(reloads[0].first);

  std::ofstream(path) << "{ not json";
  (*store)->ReloadNow();
  EXPECT_TRUE(Auth(*(*store)->Current(), "").ok()) << "the last good policy stays";
  ASSERT_EQ(reloads.size(), 2u);
  EXPECT_FALSE(reloads[1].first);
  (*store)->ReloadNow();  // the same bad content is reported once
  EXPECT_EQ(reloads.size(), 2u);
  std::remove(path.c_str());
}

TEST(AccessPolicyStoreTest, BackgroundThreadPicksUpChanges) {
  char dir_template[] = "/tmp/ktp-policy-XXXXXX";
  const std::string path = std::string(mkdtemp(dir_template)) + "/config.json";
  std::ofstream(path) << PolicyJson();
  auto store = access::AccessPolicyStore::Open(path, absl::Milliseconds(20));
  ASSERT_TRUE(store.ok());
  std::ofstream(path + ".tmp") << PolicyJson(true);
  std::rename((path + ".tmp").c_str(), path.c_str());  // like an editor or a ConfigMap swap
  const absl::Time end = absl::Now() + absl::Seconds(3);
  while (!Auth(*(*store)->Current(), "").ok() && absl::Now() < end) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_TRUE(Auth(*(*store)->Current(), "").ok());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace ktp::access
