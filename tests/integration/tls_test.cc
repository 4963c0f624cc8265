// TLS and mTLS on the listener of a real ktp-gateway process, with
// certificates this test makes with OpenSSL (Debian's openssl binary): TLS
// calls, mTLS identity from the verified certificate's SPIFFE ID, refusal of
// clients without a certificate or with one from another CA, a forged
// x-forwarded-client-cert from an untrusted address, and a certificate rotated
// on disk being served without a restart and without failing calls.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_harness.h"
#include "tests/support/process.h"

namespace ktp::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kWorker[] = "spiffe://test.local/ns/pay/sa/worker";

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A scratch directory of keys and certificates.
class Pki {
 public:
  Pki() {
    char pattern[] = "/tmp/ktp-tls-XXXXXX";
    dir_ = mkdtemp(pattern);
  }
  ~Pki() { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // Runs openssl in the directory; false when it fails.
  bool Run(const std::string& args) const {
    return std::system(("cd '" + dir_ + "' && openssl " + args + " >/dev/null 2>&1").c_str()) == 0;
  }
  // A self-signed CA `name`.{key,pem}.
  bool MakeCa(const std::string& name) const {
    return Run("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=" + name +
               " -keyout " + name + ".key -out " + name + ".pem");
  }
  // A leaf `name`.{key,pem} signed by `ca`, with the given subjectAltName.
  bool MakeLeaf(const std::string& name, const std::string& ca, const std::string& san) const {
    std::ofstream(Path(name + ".ext")) << "subjectAltName=" << san << "\n";
    return Run("req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=" + name + " -keyout " + name +
               ".key -out " + name + ".csr") &&
           Run("x509 -req -in " + name + ".csr -CA " + ca + ".pem -CAkey " + ca + ".key -CAcreateserial -days 1" +
               " -extfile " + name + ".ext -out " + name + ".pem");
  }

 private:
  std::string dir_;
};

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(std::system("openssl version >/dev/null 2>&1"), 0) << "openssl is needed (Debian package openssl)";
    ASSERT_TRUE(fake_.Start().ok());
    ASSERT_TRUE(pki_.MakeCa("ca"));
    ASSERT_TRUE(pki_.MakeCa("rogue-ca"));
    ASSERT_TRUE(pki_.MakeLeaf("server", "ca", "DNS:localhost,IP:127.0.0.1"));
    ASSERT_TRUE(pki_.MakeLeaf("worker", "ca", std::string("URI:") + kWorker));
    ASSERT_TRUE(pki_.MakeLeaf("stranger", "ca", "URI:spiffe://test.local/ns/x/sa/stranger"));
    ASSERT_TRUE(pki_.MakeLeaf("impostor", "rogue-ca", std::string("URI:") + kWorker));
    // Who may call: the worker (by SPIFFE ID) and, through a sidecar, the same
    // identity in x-forwarded-client-cert — but only from 10.0.0.0/8.
    std::ofstream(pki_.Path("policy.json")) << R"({
      "tenants": [{"name": "payments"}],
      "clients": [{"id": "pay-worker", "tenant": "payments", "spiffeId": ")" << kWorker << R"("}],
      "auth": {"trustForwardedClientCert": true, "trustedProxyCidrs": ["10.0.0.0/8"]}})";
  }
  void TearDown() override { fake_.Stop(); }

  int StartGateway(bool mtls, std::unique_ptr<Process>& gateway) {
    std::vector<std::string> argv = {KTP_GATEWAY_BIN,
                                     "--listen=127.0.0.1:0",
                                     "--metrics-listen=",
                                     "--upstream-url=" + fake_.base_url(),
                                     "--tls-cert-file=" + pki_.Path("server.pem"),
                                     "--tls-key-file=" + pki_.Path("server.key"),
                                     "--tls-reload-interval=1s"};
    if (mtls) {
      argv.push_back("--tls-client-ca-file=" + pki_.Path("ca.pem"));
      argv.push_back("--config-file=" + pki_.Path("policy.json"));
    } else {
      argv.push_back("--allow-anonymous");
    }
    gateway = std::make_unique<Process>(
        argv, std::vector<std::string>{"KTP_UPSTREAM_USERNAME=test-user", "KTP_UPSTREAM_PASSWORD=test-pass",
                                       "KTP_UPSTREAM_API_KEY=test-api-key"});
    return gateway->WaitForGatewayPort();
  }

  // A TLS channel trusting `ca`, presenting `client` (a leaf name) when not empty.
  std::shared_ptr<grpc::Channel> Channel(int port, const std::string& ca, const std::string& client = "") {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = Slurp(pki_.Path(ca + ".pem"));
    if (!client.empty()) {
      options.pem_cert_chain = Slurp(pki_.Path(client + ".pem"));
      options.pem_private_key = Slurp(pki_.Path(client + ".key"));
    }
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), grpc::SslCredentials(options), args);
  }

  grpc::Status Read(const std::shared_ptr<grpc::Channel>& channel, const std::string& xfcc = "") {
    auto stub = v1::KtpOcr::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!xfcc.empty()) context.AddMetadata("x-forwarded-client-cert", xfcc);
    UploadSpec spec;
    spec.image = ReadRepoFile("samples/ktp-synthetic.png");
    spec.metadata.set_file_name("ktp.png");
    v1::ReadResponse response;
    return UploadRead(*stub, context, spec, &response);
  }

  // The SHA-256 fingerprint of the certificate the listener presents now.
  std::string ServedFingerprint(int port) {
    const std::string out = pki_.Path("served.txt");
    std::system(("echo | openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                 " -servername localhost 2>/dev/null | openssl x509 -noout -fingerprint -sha256 > " + out)
                    .c_str());
    return Slurp(out);
  }
  std::string FileFingerprint(const std::string& leaf) {
    const std::string out = pki_.Path("file.txt");
    std::system(("openssl x509 -noout -fingerprint -sha256 -in " + pki_.Path(leaf + ".pem") + " > " + out).c_str());
    return Slurp(out);
  }

  FakeUpstream fake_;
  Pki pki_;
};

TEST_F(TlsTest, TlsListenerServesTlsClientsAndRefusesPlaintext) {
  std::unique_ptr<Process> gateway;
  const int port = StartGateway(/*mtls=*/false, gateway);
  ASSERT_GT(port, 0) << gateway->Output();
  EXPECT_THAT(gateway->Output(), HasSubstr("\"transport\":\"tls\""));
  const grpc::Status ok = Read(Channel(port, "ca"));
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  auto plain = grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  EXPECT_EQ(Read(plain).error_code(), grpc::StatusCode::UNAVAILABLE);
  // TLS 1.2 or later only (what a handshake negotiated, from s_client's report).
  const std::string probe = "echo | openssl s_client -alpn h2 -connect 127.0.0.1:" + std::to_string(port) +
                            " -servername localhost";
  const std::string report = pki_.Path("s_client.txt");
  std::system((probe + " -tls1_2 > " + report + " 2>&1").c_str());
  EXPECT_THAT(Slurp(report), HasSubstr("Protocol  : TLSv1.2"));
  EXPECT_THAT(Slurp(report), ::testing::Not(HasSubstr("no peer certificate available")));
  std::system((probe + " -tls1_1 -cipher DEFAULT@SECLEVEL=0 > " + report + " 2>&1").c_str());
  EXPECT_THAT(Slurp(report), HasSubstr("no peer certificate available"));  // no handshake
  EXPECT_THAT(Slurp(report), HasSubstr("Cipher is (NONE)"));
}

TEST_F(TlsTest, MtlsIdentityIsTheVerifiedCertificatesSpiffeId) {
  std::unique_ptr<Process> gateway;
  const int port = StartGateway(/*mtls=*/true, gateway);
  ASSERT_GT(port, 0) << gateway->Output();
  EXPECT_THAT(gateway->Output(), HasSubstr("\"transport\":\"mtls\""));
  // The worker's certificate names a client of the policy: admitted, no header.
  const grpc::Status worker = Read(Channel(port, "ca", "worker"));
  EXPECT_TRUE(worker.ok()) << worker.error_message();
  EXPECT_THAT(gateway->Output(), HasSubstr("\"client_id\":\"pay-worker\""));
  // A valid certificate of an identity the policy does not know.
  const grpc::Status stranger = Read(Channel(port, "ca", "stranger"));
  EXPECT_EQ(stranger.error_code(), grpc::StatusCode::UNAUTHENTICATED) << stranger.error_message();
  // No certificate, or one from another CA claiming the worker's identity: no handshake.
  EXPECT_EQ(Read(Channel(port, "ca")).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Read(Channel(port, "ca", "impostor")).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, ForgedForwardedCertFromAnUntrustedAddressIsUnauthenticated) {
  std::unique_ptr<Process> gateway;
  const int port = StartGateway(/*mtls=*/true, gateway);
  ASSERT_GT(port, 0) << gateway->Output();
  // A stranger with a valid certificate claims to be the worker through the
  // header; it connects from 127.0.0.1, which this policy does not trust.
  const grpc::Status forged = Read(Channel(port, "ca", "stranger"), std::string("URI=") + kWorker);
  EXPECT_EQ(forged.error_code(), grpc::StatusCode::UNAUTHENTICATED) << forged.error_message();
  EXPECT_THAT(gateway->Output(), ::testing::Not(HasSubstr("\"client_id\":\"pay-worker\"")));
}

TEST_F(TlsTest, RenewedCertificateIsServedWithoutARestart) {
  std::unique_ptr<Process> gateway;
  const int port = StartGateway(/*mtls=*/false, gateway);
  ASSERT_GT(port, 0) << gateway->Output();
  const std::string before = FileFingerprint("server");
  ASSERT_FALSE(before.empty());
  EXPECT_EQ(ServedFingerprint(port), before);
  auto channel = Channel(port, "ca");
  ASSERT_TRUE(Read(channel).ok());

  // cert-manager renews the Secret: new key and certificate, same names.
  ASSERT_TRUE(pki_.MakeLeaf("server", "ca", "DNS:localhost,IP:127.0.0.1"));
  const std::string after = FileFingerprint("server");
  ASSERT_NE(after, before);
  const absl::Time end = absl::Now() + absl::Seconds(15);
  while (ServedFingerprint(port) != after && absl::Now() < end) absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(ServedFingerprint(port), after);
  // The same process, still serving; the existing channel keeps working.
  const grpc::Status again = Read(channel);
  EXPECT_TRUE(again.ok()) << again.error_message();
  EXPECT_TRUE(Read(Channel(port, "ca")).ok());
}

}  // namespace
}  // namespace ktp::testing
