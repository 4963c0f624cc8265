// The peer's SPIFFE ID (service/peer_identity): one rule over the URI SANs,
// read from gRPC's peer_uri property, the certificate parsed only when gRPC
// lists no URI. The certificate below is a throwaway self-signed test
// certificate (no key kept), made with:
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
//     -subj "/CN=test-worker" -days 36500 \
//     -addext "subjectAltName=URI:https://example.test/x,URI:spiffe://test.local/ns/pay/sa/worker"
#include "service/peer_identity.h"

#include <grpc/grpc_security_constants.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace ktp::service {
namespace {

constexpr char kWorker[] = "spiffe://test.local/ns/pay/sa/worker";
constexpr char kWorkerPem[] = R"(-----BEGIN CERTIFICATE-----
MIIBzjCCAXSgAwIBAgIUevWg2WtprxJQUq1vjr6Swks9ln4wCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLdGVzdC13b3JrZXIwIBcNMjYxMTI3MTg0NzAxWhgPMjEyNjEx
MDMxODQ3MDFaMBYxFDASBgNVBAMMC3Rlc3Qtd29ya2VyMFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEulAZlszgyql1i/TuI32003uYcVE+rV2pdg3eulAUzMqcyhbO
wqk1njE4nufKEWRLYYit/Pufo8pLsBhpMBZPS6OBnTCBmjAdBgNVHQ4EFgQUuf9R
A7wV0W/ChfYM6VjvAwHi1ckwHwYDVR0jBBgwFoAUuf9RA7wV0W/ChfYM6VjvAwHi
1ckwDwYDVR0TAQH/BAUwAwEB/zBHBgNVHREEQDA+hhZodHRwczovL2V4YW1wbGUu
dGVzdC94hiRzcGlmZmU6Ly90ZXN0LmxvY2FsL25zL3BheS9zYS93b3JrZXIwCgYI
KoZIzj0EAwIDSAAwRQIgHOo5jQ/m6ixa/z75bQ5NGKfNRFnewDI5Oj5DkPSULvEC
IQC/uso9jt5eiVdqS9da9r+1Nmcg8GKe7SEd4LxMW1kE+w==
-----END CERTIFICATE-----
)";

// gRPC's iterator can only be made by a subclass; PeerSpiffeId never iterates.
struct NoProperties : grpc::AuthPropertyIterator {};

// An auth context with the properties a test gives it.
class FakeAuthContext final : public grpc::AuthContext {
 public:
  explicit FakeAuthContext(bool authenticated) : authenticated_(authenticated) {}
  bool IsPeerAuthenticated() const override { return authenticated_; }
  std::vector<grpc::string_ref> GetPeerIdentity() const override { return {}; }
  std::string GetPeerIdentityPropertyName() const override { return ""; }
  std::vector<grpc::string_ref> FindPropertyValues(const std::string& name) const override {
    std::vector<grpc::string_ref> out;
    for (const auto& [key, value] : properties_) {
      if (key == name) out.emplace_back(value);
    }
    return out;
  }
  grpc::AuthPropertyIterator begin() const override { return NoProperties(); }
  grpc::AuthPropertyIterator end() const override { return NoProperties(); }
  void AddProperty(const std::string& key, const grpc::string_ref& value) override {
    properties_.emplace(key, std::string(value.data(), value.size()));
  }
  bool SetPeerIdentityPropertyName(const std::string&) override { return true; }

 private:
  const bool authenticated_;
  std::multimap<std::string, std::string> properties_;
};

TEST(PeerIdentityTest, OneSpiffeUriAmongTheUrisIsTheIdentity) {
  EXPECT_EQ(SpiffeIdFromUris({"https://example.test/x", kWorker}), kWorker);
  EXPECT_EQ(SpiffeIdFromUris({}), "");
  EXPECT_EQ(SpiffeIdFromUris({"https://example.test/x"}), "");
  // Two SPIFFE IDs are ambiguous: neither is believed.
  EXPECT_EQ(SpiffeIdFromUris({kWorker, "spiffe://test.local/ns/x/sa/other"}), "");
  EXPECT_EQ(SpiffeIdFromUris({"SPIFFE://test.local/ns/pay/sa/worker"}), "");
}

TEST(PeerIdentityTest, TheCertificateAndGrpcsUriListGiveTheSameIdentity) {
  EXPECT_EQ(SpiffeIdFromPem(kWorkerPem), kWorker);
  EXPECT_EQ(SpiffeIdFromPem("not a certificate"), "");
}

TEST(PeerIdentityTest, GrpcsUriListIsReadWithoutParsingTheCertificate) {
  // peer_uri names another identity than the certificate: the list wins, so
  // the certificate was not parsed.
  FakeAuthContext auth(/*authenticated=*/true);
  auth.AddProperty(GRPC_PEER_URI_PROPERTY_NAME, "spiffe://test.local/ns/x/sa/listed");
  auth.AddProperty(GRPC_X509_PEM_CERT_PROPERTY_NAME, kWorkerPem);
  EXPECT_EQ(PeerSpiffeId(auth), "spiffe://test.local/ns/x/sa/listed");
}

TEST(PeerIdentityTest, WithoutAUriListTheVerifiedCertificateIsRead) {
  FakeAuthContext auth(/*authenticated=*/true);
  auth.AddProperty(GRPC_X509_PEM_CERT_PROPERTY_NAME, kWorkerPem);
  EXPECT_EQ(PeerSpiffeId(auth), kWorker);
}

TEST(PeerIdentityTest, AnUnauthenticatedPeerHasNoIdentity) {
  FakeAuthContext auth(/*authenticated=*/false);
  auth.AddProperty(GRPC_PEER_URI_PROPERTY_NAME, kWorker);
  auth.AddProperty(GRPC_X509_PEM_CERT_PROPERTY_NAME, kWorkerPem);
  EXPECT_EQ(PeerSpiffeId(auth), "");
}

}  // namespace
}  // namespace ktp::service
