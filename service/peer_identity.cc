// The peer's URI SANs as gRPC's TLS stack lists them in the auth context
// (peer_uri), with our own rule on top (exactly one spiffe:// URI); only when
// gRPC lists none is the verified certificate itself (x509_pem_cert) parsed
// with OpenSSL, so a gRPC build without that property still works. Parsing
// the PEM on every call was the costly part of an mTLS call's admission.
#include "service/peer_identity.h"

#include <grpc/grpc_security_constants.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <memory>
#include <vector>

#include "absl/strings/match.h"

namespace ktp::service {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct NamesFree {
  void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};

}  // namespace

std::string SpiffeIdFromUris(const std::vector<absl::string_view>& uris) {
  std::string found;
  for (absl::string_view uri : uris) {
    if (!absl::StartsWith(uri, "spiffe://")) continue;
    if (!found.empty()) return "";  // a SPIFFE SVID carries exactly one
    found = std::string(uri);
  }
  return found;
}

std::string SpiffeIdFromPem(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return "";
  std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return "";
  std::unique_ptr<GENERAL_NAMES, NamesFree> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return "";
  std::vector<absl::string_view> uris;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    uris.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                      static_cast<size_t>(ASN1_STRING_length(uri)));
  }
  return SpiffeIdFromUris(uris);
}

std::string PeerSpiffeId(const grpc::AuthContext& auth) {
  if (!auth.IsPeerAuthenticated()) return "";
  const std::vector<grpc::string_ref> listed = auth.FindPropertyValues(GRPC_PEER_URI_PROPERTY_NAME);
  if (!listed.empty()) {
    std::vector<absl::string_view> uris;
    uris.reserve(listed.size());
    for (const grpc::string_ref& uri : listed) uris.emplace_back(uri.data(), uri.size());
    return SpiffeIdFromUris(uris);
  }
  const std::vector<grpc::string_ref> pems = auth.FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pems.size() != 1) return "";
  return SpiffeIdFromPem(std::string(pems[0].data(), pems[0].size()));
}

}  // namespace ktp::service
