// Fake GLAIR Vision KTP OCR upstream: request recording, scripted responses and the default
// contract behaviour (auth → NO_FILE → FILE_INVALID_FORMAT → SUCCESS). See fake_upstream.h.
#include "tests/support/fake_upstream.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace ktp::testing {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr absl::string_view kReadPath = "/ocr/v1/ktp";
constexpr absl::string_view kQualitiesPath = "/ocr/v1/ktp/qualities";

// 8x8 grey JPEGs made with `convert -size 8x8 xc:gray -strip -quality 50 jpg:-` and
// `convert -size 8x8 gradient:white-black -strip -quality 50 jpg:-`, so clients that decode
// images.photo / images.sign get real JPEGs.
constexpr unsigned char kPhotoJpeg[] = {
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x10, 0x0b, 0x0c, 0x0e, 0x0c,
    0x0a, 0x10, 0x0e, 0x0d, 0x0e, 0x12, 0x11, 0x10, 0x13, 0x18, 0x28, 0x1a, 0x18, 0x16, 0x16,
    0x18, 0x31, 0x23, 0x25, 0x1d, 0x28, 0x3a, 0x33, 0x3d, 0x3c, 0x39, 0x33, 0x38, 0x37, 0x40,
    0x48, 0x5c, 0x4e, 0x40, 0x44, 0x57, 0x45, 0x37, 0x38, 0x50, 0x6d, 0x51, 0x57, 0x5f, 0x62,
    0x67, 0x68, 0x67, 0x3e, 0x4d, 0x71, 0x79, 0x70, 0x64, 0x78, 0x5c, 0x65, 0x67, 0x63, 0xff,
    0xc0, 0x00, 0x0b, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00, 0xff, 0xc4, 0x00,
    0x14, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0xff, 0xc4, 0x00, 0x14, 0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xda, 0x00, 0x08,
    0x01, 0x01, 0x00, 0x00, 0x3f, 0x00, 0x1f, 0xff, 0xd9};
constexpr unsigned char kSignJpeg[] = {
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x10, 0x0b, 0x0c, 0x0e, 0x0c,
    0x0a, 0x10, 0x0e, 0x0d, 0x0e, 0x12, 0x11, 0x10, 0x13, 0x18, 0x28, 0x1a, 0x18, 0x16, 0x16,
    0x18, 0x31, 0x23, 0x25, 0x1d, 0x28, 0x3a, 0x33, 0x3d, 0x3c, 0x39, 0x33, 0x38, 0x37, 0x40,
    0x48, 0x5c, 0x4e, 0x40, 0x44, 0x57, 0x45, 0x37, 0x38, 0x50, 0x6d, 0x51, 0x57, 0x5f, 0x62,
    0x67, 0x68, 0x67, 0x3e, 0x4d, 0x71, 0x79, 0x70, 0x64, 0x78, 0x5c, 0x65, 0x67, 0x63, 0xff,
    0xc0, 0x00, 0x0b, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00, 0xff, 0xc4, 0x00,
    0x14, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xc4, 0x00, 0x17, 0x10, 0x00, 0x03, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x16, 0x63, 0xa1, 0xff,
    0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00, 0x3b, 0xd7, 0x4f, 0xff, 0xd9};

// The 17 `read` fields: vendor key, member, and the confidence the vendor's sample shows.
struct FieldDef {
  const char* key;
  std::string SyntheticIdentity::*member;
  int confidence;
};
const FieldDef kFields[17] = {
    {"agama", &SyntheticIdentity::agama, 98},
    {"alamat", &SyntheticIdentity::alamat, 87},
    {"berlakuHingga", &SyntheticIdentity::berlaku_hingga, 97},
    {"golonganDarah", &SyntheticIdentity::golongan_darah, 90},
    {"jenisKelamin", &SyntheticIdentity::jenis_kelamin, 93},
    {"kecamatan", &SyntheticIdentity::kecamatan, 99},
    {"kelurahanDesa", &SyntheticIdentity::kelurahan_desa, 99},
    {"kewarganegaraan", &SyntheticIdentity::kewarganegaraan, 99},
    {"kotaKabupaten", &SyntheticIdentity::kota_kabupaten, 97},
    {"nama", &SyntheticIdentity::nama, 97},
    {"nik", &SyntheticIdentity::nik, 99},
    {"pekerjaan", &SyntheticIdentity::pekerjaan, 95},
    {"provinsi", &SyntheticIdentity::provinsi, 99},
    {"rtRw", &SyntheticIdentity::rt_rw, 88},
    {"statusPerkawinan", &SyntheticIdentity::status_perkawinan, 98},
    {"tanggalLahir", &SyntheticIdentity::tanggal_lahir, 97},
    {"tempatLahir", &SyntheticIdentity::tempat_lahir, 97},
};

// Pseudo-headers httplib injects into Request::headers; not part of what the client sent.
bool IsHttplibPseudoHeader(const std::string& name) {
  return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
         name == "LOCAL_PORT";
}

void WriteString(JsonWriter& w, absl::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

std::string StatusReasonBody(absl::string_view status, absl::string_view reason) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("status");
  WriteString(w, status);
  w.Key("reason");
  WriteString(w, reason);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

std::string MessageBody(absl::string_view message) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("message");
  WriteString(w, message);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

bool StartsWith(const std::string& s, const char* magic, size_t n) {
  return s.size() >= n && std::memcmp(s.data(), magic, n) == 0;
}

// The vendor accepts png, jpg/jpeg, pdf and tiff; the fake decides by magic bytes, not by the
// declared content type or filename, so a mislabelled upload is caught the same way.
bool IsAcceptedImage(const std::string& content) {
  return StartsWith(content, "\x89PNG\r\n\x1a\n", 8) || StartsWith(content, "\xff\xd8\xff", 3) ||
         StartsWith(content, "%PDF-", 5) || StartsWith(content, "II*\0", 4) ||
         StartsWith(content, "MM\0*", 4);
}

bool QueryFlag(const RecordedRequest& rec, const char* name) {
  auto it = rec.query.find(name);
  return it != rec.query.end() && absl::AsciiStrToLower(it->second) == "true";
}

std::string BracketIfV6(const std::string& host) {
  return host.find(':') != std::string::npos ? absl::StrCat("[", host, "]") : host;
}

}  // namespace

SyntheticIdentity SyntheticIdentity::Default() {
  // An invented person. NIK = region 317103 (31.71.03 Kemayoran, Kota Adm. Jakarta Pusat,
  // DKI Jakarta) + 150490 (15-04-1990, male) + serial 0012.
  SyntheticIdentity id;
  id.agama = "ISLAM";
  id.alamat = "JL. CONTOH RAYA NO. 12";
  id.berlaku_hingga = "SEUMUR HIDUP";
  id.golongan_darah = "O";
  id.jenis_kelamin = "LAKI-LAKI";
  id.kecamatan = "KEMAYORAN";
  id.kelurahan_desa = "KEBON KOSONG";
  id.kewarganegaraan = "WNI";
  id.kota_kabupaten = "JAKARTA PUSAT";
  id.nama = "BUDI SANTOSO CONTOH";
  id.nik = "3171031504900012";
  id.pekerjaan = "KARYAWAN SWASTA";
  id.provinsi = "DKI JAKARTA";
  id.rt_rw = "005/003";
  id.status_perkawinan = "KAWIN";
  id.tanggal_lahir = "15-04-1990";
  id.tempat_lahir = "JAKARTA";
  return id;
}

const std::array<const char*, 17>& SyntheticIdentity::FieldKeys() {
  static const std::array<const char*, 17> keys = [] {
    std::array<const char*, 17> k{};
    for (size_t i = 0; i < k.size(); ++i) k[i] = kFields[i].key;
    return k;
  }();
  return keys;
}

std::string* SyntheticIdentity::MutableField(absl::string_view camel_key) {
  for (const FieldDef& f : kFields) {
    if (camel_key == f.key) return &(this->*f.member);
  }
  return nullptr;
}

const std::string* SyntheticIdentity::Field(absl::string_view camel_key) const {
  for (const FieldDef& f : kFields) {
    if (camel_key == f.key) return &(this->*f.member);
  }
  return nullptr;
}

const std::string& FakePhotoJpeg() {
  static const std::string* bytes =
      new std::string(reinterpret_cast<const char*>(kPhotoJpeg), sizeof(kPhotoJpeg));
  return *bytes;
}

const std::string& FakeSignJpeg() {
  static const std::string* bytes =
      new std::string(reinterpret_cast<const char*>(kSignJpeg), sizeof(kSignJpeg));
  return *bytes;
}

std::string BuildSuccessBody(const SyntheticIdentity& identity, bool with_qualities,
                             ReadFlags flags, absl::string_view status,
                             absl::string_view reason) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("status");
  WriteString(w, status);
  w.Key("reason");
  WriteString(w, reason);
  if (with_qualities) {
    w.Key("qualities");
    w.StartObject();
    for (const char* q : {"is_blurred", "is_bright", "is_copy", "is_cropped", "is_dark",
                          "is_flash", "is_ktp", "is_rotated", "is_taken_from_screen"}) {
      w.Key(q);
      w.Bool(std::strcmp(q, "is_ktp") == 0);
    }
    w.EndObject();
  }
  w.Key("images");
  w.StartObject();
  w.Key("photo");
  WriteString(w, absl::Base64Escape(FakePhotoJpeg()));
  w.Key("sign");
  WriteString(w, absl::Base64Escape(FakeSignJpeg()));
  w.EndObject();
  w.Key("read");
  w.StartObject();
  int row = 0;
  for (const FieldDef& f : kFields) {
    const std::string& value = identity.*f.member;
    w.Key(f.key);
    // Keys in the vendor sample's order: confidence, confidence_field, polygon, raw_text, value.
    w.StartObject();
    w.Key("confidence");
    w.Int(f.confidence);
    if (flags.confidence_field) {
      w.Key("confidence_field");
      w.Int(90);
    }
    if (flags.polygon) {
      // One quadrilateral per field, laid out as successive text rows on the card.
      const int x0 = 107;
      const int y0 = 20 + row * 15;
      const int x1 = x0 + 10 * static_cast<int>(std::max<size_t>(value.size(), 1));
      const int y1 = y0 + 13;
      w.Key("polygon");
      w.StartArray();
      w.StartArray();
      const int corners[4][2] = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}};
      for (const auto& pt : corners) {
        w.StartArray();
        w.Int(pt[0]);
        w.Int(pt[1]);
        w.EndArray();
      }
      w.EndArray();
      w.EndArray();
    }
    if (flags.raw_text) {
      w.Key("raw_text");
      WriteString(w, value);
    }
    w.Key("value");
    WriteString(w, value);
    w.EndObject();
    ++row;
  }
  w.EndObject();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

FakeUpstream::FakeUpstream() : FakeUpstream(Options()) {}

FakeUpstream::FakeUpstream(Options options)
    : options_(std::move(options)),
      expected_authorization_(
          absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(options_.username, ":",
                                                                 options_.password)))),
      identity_(SyntheticIdentity::Default()),
      rng_(std::random_device{}()) {}

FakeUpstream::~FakeUpstream() { Stop(); }

absl::Status FakeUpstream::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_) return absl::FailedPreconditionError("fake upstream already started");
  }
  server_ = std::make_unique<httplib::Server>();
  const size_t threads = static_cast<size_t>(std::max(1, options_.threads));
  // httplib's default pool is small; concurrency and cancellation tests need more workers.
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // httplib closes a keep-alive connection after 5 requests by default; a real upstream does
  // not, and the churn would distort connection-reuse tests and benchmarks.
  server_->set_keep_alive_max_count(1000);
  const auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    Handle(req, res);
  };
  // One catch-all per method so scripted responses and recording cover every request.
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Put(".*", handler);
  server_->Patch(".*", handler);
  server_->Delete(".*", handler);
  server_->Options(".*", handler);

  // httplib listens with a backlog of 5 (compiled in); a burst of concurrent connects then
  // overflows it and the kernel drops SYNs, stalling clients ~1 s on retransmit. Capture the
  // listening socket and re-listen() with a real backlog after bind (Linux updates it).
  socket_t listen_fd = INVALID_SOCKET;
  server_->set_socket_options([&listen_fd](socket_t sock) {
    httplib::default_socket_options(sock);
    listen_fd = sock;
  });

  int bound = options_.port;
  if (options_.port == 0) {
    bound = server_->bind_to_any_port(options_.host);
    if (bound < 0) {
      server_.reset();
      return absl::UnavailableError(absl::StrCat("cannot bind ", options_.host, ":0"));
    }
  } else if (!server_->bind_to_port(options_.host, options_.port)) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat("cannot bind ", options_.host, ":", options_.port));
  }
  server_->set_socket_options(httplib::default_socket_options);  // drop the &listen_fd capture
  if (listen_fd != INVALID_SOCKET) ::listen(listen_fd, 1024);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib::Server::stop() is a no-op until the accept loop is running, so wait for it;
  // otherwise an early Stop() would leave the thread accepting forever.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server_->is_running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::DeadlineExceededError("fake upstream did not start listening");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  absl::MutexLock lock(&mu_);
  port_ = bound;
  started_ = true;
  return absl::OkStatus();
}

void FakeUpstream::Stop() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
  absl::MutexLock lock(&mu_);
  started_ = false;
}

int FakeUpstream::port() const {
  absl::MutexLock lock(&mu_);
  return port_;
}

std::string FakeUpstream::base_url() const {
  return absl::StrCat("http://", BracketIfV6(options_.host), ":", port());
}

void FakeUpstream::Enqueue(ScriptedResponse r) {
  absl::MutexLock lock(&mu_);
  scripted_.push_back(std::move(r));
}

void FakeUpstream::SetIdentity(SyntheticIdentity identity) {
  absl::MutexLock lock(&mu_);
  identity_ = std::move(identity);
}

SyntheticIdentity FakeUpstream::identity() const {
  absl::MutexLock lock(&mu_);
  return identity_;
}

std::vector<RecordedRequest> FakeUpstream::requests() const {
  absl::MutexLock lock(&mu_);
  return std::vector<RecordedRequest>(recorded_.begin(), recorded_.end());
}

size_t FakeUpstream::request_count() const {
  absl::MutexLock lock(&mu_);
  return request_count_;
}

bool FakeUpstream::WaitForRequests(size_t n, std::chrono::milliseconds timeout) const {
  absl::MutexLock lock(&mu_);
  const auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return request_count_ >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Milliseconds(timeout.count()));
}

std::string FakeUpstream::last_request_id_sent() const {
  absl::MutexLock lock(&mu_);
  return last_request_id_;
}

int FakeUpstream::in_flight() const {
  absl::MutexLock lock(&mu_);
  return in_flight_;
}

std::string FakeUpstream::NewRequestId() {
  uint64_t hi = 0;
  uint64_t lo = 0;
  {
    absl::MutexLock lock(&mu_);
    hi = rng_();
    lo = rng_();
  }
  // UUID v4 layout, so ids look like what a real service would hand out.
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 32; ++i) {
    const uint64_t word = i < 16 ? hi : lo;
    const int shift = 60 - 4 * (i % 16);
    out.push_back(kHex[(word >> shift) & 0xf]);
    if (i == 7 || i == 11 || i == 15 || i == 19) out.push_back('-');
  }
  return out;
}

FakeUpstream::Decided FakeUpstream::DefaultContract(const httplib::Request& req,
                                                    const RecordedRequest& rec) {
  Decided d;
  d.content_type = "application/json";
  d.delay = options_.default_delay;
  d.request_id = NewRequestId();

  const bool is_read = req.path == kReadPath;
  const bool is_qualities = req.path == kQualitiesPath;
  if (req.method != "POST" || (!is_read && !is_qualities)) {
    d.status = 404;
    d.body = MessageBody("Not Found");
    return d;
  }
  // Exactly one of each credential header, byte-for-byte equal; anything else is 401.
  if (req.get_header_value_count("Authorization") != 1 ||
      req.get_header_value("Authorization") != expected_authorization_ ||
      req.get_header_value_count("x-api-key") != 1 ||
      req.get_header_value("x-api-key") != options_.api_key) {
    d.status = 401;
    d.body = MessageBody("Unauthorized");
    return d;
  }
  if (!rec.has_image) {
    d.status = 400;
    d.body = StatusReasonBody("NO_FILE", "No file in request body");
    return d;
  }
  if (!IsAcceptedImage(rec.image_content)) {
    d.status = 415;
    d.body = StatusReasonBody("FILE_INVALID_FORMAT", "Failed to process invalid request");
    return d;
  }
  ReadFlags flags;
  flags.raw_text = QueryFlag(rec, "withRawText");
  flags.confidence_field = QueryFlag(rec, "withConfidenceField");
  flags.polygon = QueryFlag(rec, "withPolygon");
  d.status = 200;
  d.body = BuildSuccessBody(identity(), is_qualities, flags);
  return d;
}

void FakeUpstream::Handle(const httplib::Request& req, httplib::Response& res) {
  RecordedRequest rec;
  rec.method = req.method;
  rec.path = req.path;
  for (const auto& [name, value] : req.headers) {
    if (IsHttplibPseudoHeader(name)) continue;
    rec.headers.emplace(absl::AsciiStrToLower(name), value);
  }
  for (const auto& [name, value] : req.params) rec.query.emplace(name, value);  // first wins
  rec.content_type = req.get_header_value("Content-Type");
  if (!absl::SimpleAtoi(req.get_header_value("Content-Length"), &rec.body_bytes)) {
    rec.body_bytes = 0;
  }
  for (const auto& [name, part] : req.files) {
    rec.part_names.push_back(name);
    if (name == "image" && !rec.has_image) {
      rec.has_image = true;
      rec.image_filename = part.filename;
      rec.image_content_type = part.content_type;
      rec.image_content = part.content;
    }
  }

  bool scripted = false;
  ScriptedResponse script;
  {
    absl::MutexLock lock(&mu_);
    ++in_flight_;
    if (!scripted_.empty()) {
      scripted = true;
      script = std::move(scripted_.front());
      scripted_.pop_front();
    }
  }

  Decided d;
  if (scripted) {
    d.status = script.status;
    d.body = std::move(script.body);
    d.content_type = std::move(script.content_type);
    d.headers = std::move(script.headers);
    d.delay = script.delay;
    if (!script.omit_request_id) d.request_id = NewRequestId();
  } else {
    d = DefaultContract(req, rec);
  }
  rec.response_status = d.status;
  rec.response_request_id = d.request_id;

  if (options_.on_request) options_.on_request(rec);
  {
    // Record before the delay so tests can observe a request that is still being "processed".
    absl::MutexLock lock(&mu_);
    ++request_count_;
    if (!d.request_id.empty()) last_request_id_ = d.request_id;
    if (options_.max_recorded > 0) {
      recorded_.push_back(std::move(rec));
      while (recorded_.size() > options_.max_recorded) recorded_.pop_front();
    }
  }

  if (d.delay.count() > 0) std::this_thread::sleep_for(d.delay);

  res.status = d.status;
  bool has_content_type = false;
  for (auto& [name, value] : d.headers) {
    has_content_type = has_content_type || absl::EqualsIgnoreCase(name, "Content-Type");
    res.headers.emplace(name, value);
  }
  if (!d.request_id.empty()) res.headers.emplace("Request-Id", d.request_id);
  res.body = std::move(d.body);
  if (!has_content_type && !d.content_type.empty()) {
    res.set_header("Content-Type", d.content_type);
  }

  absl::MutexLock lock(&mu_);
  --in_flight_;
}

}  // namespace ktp::testing
