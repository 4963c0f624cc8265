// Fake GLAIR Vision KTP OCR upstream for tests: an HTTP server on loopback that speaks the
// vendor contract (auth, multipart `image` part, magic-byte type check, camelCase SUCCESS body,
// query flags, Request-Id header), records every request exactly as it arrived, and can be
// scripted per test with queued responses and delays. Owns: FakeUpstream, SyntheticIdentity,
// RecordedRequest, ScriptedResponse and the success-body builder. Synthetic data only.
#ifndef KTP_TESTS_SUPPORT_FAKE_UPSTREAM_H_
#define KTP_TESTS_SUPPORT_FAKE_UPSTREAM_H_

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace ktp::testing {

// One request exactly as the fake received it.
struct RecordedRequest {
  std::string method;
  std::string path;  // without the query string
  std::multimap<std::string, std::string> headers;  // names lower-cased, values verbatim
  std::map<std::string, std::string> query;          // first value of each query parameter
  std::string content_type;                          // the request's Content-Type header
  size_t body_bytes = 0;  // Content-Length as sent (0 when absent, e.g. chunked)
  bool has_image = false;  // a multipart part named "image" arrived
  std::string image_filename;
  std::string image_content_type;
  std::string image_content;  // exact bytes of the first "image" part
  std::vector<std::string> part_names;  // every multipart part name (sorted; httplib keys by name)
  // What the fake answered, so tests can correlate without racing on last_request_id_sent().
  int response_status = 0;
  std::string response_request_id;  // empty when the response carried no Request-Id
};

// A response that replaces the default contract behaviour for one request (FIFO).
struct ScriptedResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0};  // slept in the handler thread before answering
  bool omit_request_id = false;        // drop the Request-Id response header
};

// The 17 `read` values of an invented person (never a real one). The default NIK is
// structurally plausible: region 31.71.03 (DKI Jakarta / Jakarta Pusat / Kemayoran), birth date
// 15-04-1990 as DDMMYY (male, so no +40), serial 0012.
struct SyntheticIdentity {
  std::string agama;
  std::string alamat;
  std::string berlaku_hingga;
  std::string golongan_darah;
  std::string jenis_kelamin;
  std::string kecamatan;
  std::string kelurahan_desa;
  std::string kewarganegaraan;
  std::string kota_kabupaten;
  std::string nama;
  std::string nik;
  std::string pekerjaan;
  std::string provinsi;
  std::string rt_rw;
  std::string status_perkawinan;
  std::string tanggal_lahir;
  std::string tempat_lahir;

  static SyntheticIdentity Default();

  // The vendor's camelCase `read` keys, in the vendor's (alphabetical) order.
  static const std::array<const char*, 17>& FieldKeys();
  // Member for a camelCase key ("berlakuHingga"); nullptr for an unknown key.
  std::string* MutableField(absl::string_view camel_key);
  const std::string* Field(absl::string_view camel_key) const;
};

// Optional per-field keys, from the query flags withRawText / withConfidenceField / withPolygon.
struct ReadFlags {
  bool raw_text = false;
  bool confidence_field = false;
  bool polygon = false;
};

// The vendor's SUCCESS body (camelCase `read`, `images.photo`/`images.sign`, and a `qualities`
// block when with_qualities). Exposed so tests can script variants such as
// "File successfully read. Some fields are invalid.".
std::string BuildSuccessBody(const SyntheticIdentity& identity, bool with_qualities,
                             ReadFlags flags = {},
                             absl::string_view status = "SUCCESS",
                             absl::string_view reason = "File Successfully Read");

// Raw bytes of the small valid JPEGs the fake returns base64-encoded as images.photo / .sign.
// Also handy as a valid upload in tests.
const std::string& FakePhotoJpeg();
const std::string& FakeSignJpeg();

class FakeUpstream {
 public:
  struct Options {
    std::string username = "test-user";
    std::string password = "test-pass";
    std::string api_key = "test-api-key";
    std::string host = "127.0.0.1";
    int port = 0;  // 0: any free port
    int threads = 16;
    // Delay applied to every default-contract response (scripted ones use their own).
    std::chrono::milliseconds default_delay{0};
    // How many recent requests requests() keeps; request_count() counts all. The standalone
    // binary sets 0 so a long-running fake does not hoard image bytes.
    size_t max_recorded = std::numeric_limits<size_t>::max();
    // Called after each response is decided (from a handler thread); e.g. for access logs.
    std::function<void(const RecordedRequest&)> on_request;
  };

  // Two constructors rather than `Options options = {}`: GCC rejects a default argument of a
  // nested type with member initializers inside the enclosing class.
  FakeUpstream();
  explicit FakeUpstream(Options options);
  ~FakeUpstream();
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  // Binds host:port (port 0 picks a free one) and serves on a background thread.
  absl::Status Start();
  // Stops serving and joins the thread; idempotent.
  void Stop();

  int port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT"

  // FIFO: the next requests (any method and path) get these instead of the contract behaviour.
  void Enqueue(ScriptedResponse r);
  void SetIdentity(SyntheticIdentity identity);
  SyntheticIdentity identity() const;

  std::vector<RecordedRequest> requests() const;
  size_t request_count() const;
  bool WaitForRequests(size_t n, std::chrono::milliseconds timeout) const;
  std::string last_request_id_sent() const;  // the Request-Id it generated last
  int in_flight() const;

 private:
  struct Decided {
    int status = 200;
    std::string body;
    std::string content_type;
    std::vector<std::pair<std::string, std::string>> headers;
    std::chrono::milliseconds delay{0};
    std::string request_id;  // empty: omit the header
  };

  void Handle(const httplib::Request& req, httplib::Response& res);
  Decided DefaultContract(const httplib::Request& req, const RecordedRequest& rec);
  std::string NewRequestId();

  const Options options_;
  const std::string expected_authorization_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;

  mutable absl::Mutex mu_;
  int port_ ABSL_GUARDED_BY(mu_) = 0;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  SyntheticIdentity identity_ ABSL_GUARDED_BY(mu_);
  std::deque<ScriptedResponse> scripted_ ABSL_GUARDED_BY(mu_);
  std::deque<RecordedRequest> recorded_ ABSL_GUARDED_BY(mu_);
  size_t request_count_ ABSL_GUARDED_BY(mu_) = 0;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  std::string last_request_id_ ABSL_GUARDED_BY(mu_);
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ktp::testing

#endif  // KTP_TESTS_SUPPORT_FAKE_UPSTREAM_H_
