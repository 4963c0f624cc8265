// Self-test of the fake GLAIR KTP upstream: it must speak the vendor contract exactly (auth,
// NO_FILE, FILE_INVALID_FORMAT, SUCCESS body shape, query flags, Request-Id) and record what
// arrived byte-for-byte, because every integration test trusts it. Synthetic data only.
#include "tests/support/fake_upstream.h"

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "rapidjson/document.h"

namespace ktp::testing {
namespace {

using std::chrono::milliseconds;

constexpr char kReadPath[] = "/ocr/v1/ktp";
constexpr char kQualitiesPath[] = "/ocr/v1/ktp/qualities";

std::string BasicAuth(const std::string& user, const std::string& pass) {
  return absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(user, ":", pass)));
}

httplib::Headers GoodHeaders() {
  return {{"Authorization", BasicAuth("test-user", "test-pass")},
          {"x-api-key", "test-api-key"}};
}

// Magic bytes of each accepted type, padded with a little binary noise.
std::string WithMagic(const std::string& magic) {
  return magic + std::string("\x00\x01\x02\r\n--not-a-boundary\r\n\xff", 23);
}

rapidjson::Document ParseJson(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  return doc;
}

class FakeUpstreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.Start().ok());
    client_ = std::make_unique<httplib::Client>(fake_.base_url());
    client_->set_read_timeout(10, 0);
  }

  httplib::Result PostImage(const std::string& path, const std::string& content,
                            httplib::Headers headers = GoodHeaders(),
                            const std::string& part_name = "image") {
    httplib::MultipartFormDataItems items = {{part_name, content, "ktp.jpg", "image/jpeg"}};
    return client_->Post(path, headers, items);
  }

  FakeUpstream fake_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(FakeUpstreamTest, BaseUrlIsLoopbackWithBoundPort) {
  EXPECT_GT(fake_.port(), 0);
  EXPECT_EQ(fake_.base_url(), absl::StrCat("http://127.0.0.1:", fake_.port()));
}

TEST_F(FakeUpstreamTest, RejectsBadAuthWith401) {
  const std::string jpeg = FakePhotoJpeg();
  const std::vector<httplib::Headers> bad = {
      {},
      {{"Authorization", BasicAuth("test-user", "wrong")}, {"x-api-key", "test-api-key"}},
      {{"Authorization", BasicAuth("test-user", "test-pass")}},
      {{"Authorization", BasicAuth("test-user", "test-pass")}, {"x-api-key", "other-key"}},
      {{"x-api-key", "test-api-key"}},
  };
  for (const auto& headers : bad) {
    auto res = PostImage(kReadPath, jpeg, headers);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401);
    EXPECT_EQ(res->body, R"({"message":"Unauthorized"})");
    EXPECT_FALSE(res->get_header_value("Request-Id").empty());
  }
}

TEST_F(FakeUpstreamTest, NoImagePartIs400NoFile) {
  auto res = PostImage(kReadPath, FakePhotoJpeg(), GoodHeaders(), "file");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(res->body, R"({"status":"NO_FILE","reason":"No file in request body"})");
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");

  // A non-multipart body is also "no file".
  res = client_->Post(kReadPath, GoodHeaders(), FakePhotoJpeg(), "image/jpeg");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
}

TEST_F(FakeUpstreamTest, TextFileIs415) {
  auto res = PostImage(kReadPath, "just some text, not an image\n");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);
  EXPECT_EQ(res->body,
            R"({"status":"FILE_INVALID_FORMAT","reason":"Failed to process invalid request"})");
  // Empty content has no magic either.
  res = PostImage(kReadPath, "");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);
}

TEST_F(FakeUpstreamTest, AcceptsEveryDocumentedTypeByMagic) {
  for (const std::string& magic : {std::string("\x89PNG\r\n\x1a\n", 8), std::string("\xff\xd8\xff"),
                                  std::string("%PDF-1.7"), std::string("II*\0", 4),
                                  std::string("MM\0*", 4)}) {
    auto res = PostImage(kReadPath, WithMagic(magic));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << absl::CEscape(magic);
  }
}

TEST_F(FakeUpstreamTest, SuccessHasAll17FieldsFromIdentity) {
  auto res = PostImage(kReadPath, FakePhotoJpeg());
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  rapidjson::Document doc = ParseJson(res->body);
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_STREQ(doc["status"].GetString(), "SUCCESS");
  EXPECT_STREQ(doc["reason"].GetString(), "File Successfully Read");
  EXPECT_FALSE(doc.HasMember("qualities"));  // only from /qualities

  std::string photo;
  std::string sign;
  ASSERT_TRUE(absl::Base64Unescape(doc["images"]["photo"].GetString(), &photo));
  ASSERT_TRUE(absl::Base64Unescape(doc["images"]["sign"].GetString(), &sign));
  EXPECT_EQ(photo, FakePhotoJpeg());
  EXPECT_EQ(sign, FakeSignJpeg());
  EXPECT_EQ(photo.substr(0, 3), "\xff\xd8\xff");

  const auto& read = doc["read"];
  ASSERT_TRUE(read.IsObject());
  EXPECT_EQ(read.MemberCount(), 17u);
  const SyntheticIdentity id = SyntheticIdentity::Default();
  for (const char* key : SyntheticIdentity::FieldKeys()) {
    ASSERT_TRUE(read.HasMember(key)) << key;
    const auto& field = read[key];
    EXPECT_EQ(field.MemberCount(), 2u) << key;  // confidence + value only, no flags set
    EXPECT_TRUE(field["confidence"].IsInt()) << key;
    EXPECT_EQ(std::string(field["value"].GetString()), *id.Field(key)) << key;
  }
  EXPECT_STREQ(read["nik"]["value"].GetString(), "3171031504900012");
  EXPECT_STREQ(read["berlakuHingga"]["value"].GetString(), "SEUMUR HIDUP");
}

TEST_F(FakeUpstreamTest, QualitiesEndpointAddsNineBooleans) {
  auto res = PostImage(kQualitiesPath, FakePhotoJpeg());
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  rapidjson::Document doc = ParseJson(res->body);
  ASSERT_TRUE(doc.HasMember("qualities"));
  const auto& q = doc["qualities"];
  EXPECT_EQ(q.MemberCount(), 9u);
  for (const char* key : {"is_blurred", "is_bright", "is_copy", "is_cropped", "is_dark",
                          "is_flash", "is_ktp", "is_rotated", "is_taken_from_screen"}) {
    ASSERT_TRUE(q.HasMember(key)) << key;
    ASSERT_TRUE(q[key].IsBool()) << key;
    EXPECT_EQ(q[key].GetBool(), std::string(key) == "is_ktp") << key;
  }
  EXPECT_EQ(doc["read"].MemberCount(), 17u);
}

TEST_F(FakeUpstreamTest, QueryFlagsAddKeysToEveryField) {
  struct Case {
    std::string query;
    bool raw_text, confidence_field, polygon;
  };
  const std::vector<Case> cases = {
      {"?withRawText=true", true, false, false},
      {"?withConfidenceField=true", false, true, false},
      {"?withPolygon=true", false, false, true},
      {"?withRawText=true&withConfidenceField=true&withPolygon=true", true, true, true},
      {"?withRawText=false&withConfidenceField=false&withPolygon=false", false, false, false},
  };
  for (const Case& c : cases) {
    auto res = PostImage(absl::StrCat(kReadPath, c.query), FakePhotoJpeg());
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << c.query;
    rapidjson::Document doc = ParseJson(res->body);
    for (const char* key : SyntheticIdentity::FieldKeys()) {
      const auto& f = doc["read"][key];
      EXPECT_EQ(f.HasMember("raw_text"), c.raw_text) << c.query << " " << key;
      EXPECT_EQ(f.HasMember("confidence_field"), c.confidence_field) << c.query << " " << key;
      EXPECT_EQ(f.HasMember("polygon"), c.polygon) << c.query << " " << key;
      if (c.raw_text) {
        EXPECT_STREQ(f["raw_text"].GetString(), f["value"].GetString());
      }
      if (c.confidence_field) {
        EXPECT_TRUE(f["confidence_field"].IsInt());
      }
      if (c.polygon) {
        // [[[x,y],[x,y],[x,y],[x,y]]]
        const auto& poly = f["polygon"];
        ASSERT_TRUE(poly.IsArray());
        ASSERT_EQ(poly.Size(), 1u);
        ASSERT_EQ(poly[0].Size(), 4u);
        for (const auto& pt : poly[0].GetArray()) {
          ASSERT_EQ(pt.Size(), 2u);
          EXPECT_TRUE(pt[0].IsInt());
          EXPECT_TRUE(pt[1].IsInt());
        }
      }
    }
  }
}

TEST_F(FakeUpstreamTest, EveryResponseCarriesAFreshRequestId) {
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  auto a = PostImage(kReadPath, FakePhotoJpeg());
  ASSERT_TRUE(a);
  const std::string id_a = a->get_header_value("Request-Id");
  EXPECT_TRUE(std::regex_match(id_a, uuid)) << id_a;
  EXPECT_EQ(fake_.last_request_id_sent(), id_a);

  auto b = PostImage(kReadPath, "not an image");
  ASSERT_TRUE(b);
  const std::string id_b = b->get_header_value("Request-Id");
  EXPECT_TRUE(std::regex_match(id_b, uuid)) << id_b;
  EXPECT_NE(id_a, id_b);
  EXPECT_EQ(fake_.last_request_id_sent(), id_b);

  const auto recorded = fake_.requests();
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_EQ(recorded[0].response_request_id, id_a);
  EXPECT_EQ(recorded[0].response_status, 200);
  EXPECT_EQ(recorded[1].response_request_id, id_b);
  EXPECT_EQ(recorded[1].response_status, 415);
}

TEST_F(FakeUpstreamTest, UnknownPathsAndMethodsAre404) {
  auto get = client_->Get(kReadPath, GoodHeaders());
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 404);
  EXPECT_FALSE(get->get_header_value("Request-Id").empty());
  auto other = PostImage("/ocr/v1/npwp", FakePhotoJpeg());
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
  auto trailing = PostImage("/ocr/v1/ktp/", FakePhotoJpeg());
  ASSERT_TRUE(trailing);
  EXPECT_EQ(trailing->status, 404);
}

TEST_F(FakeUpstreamTest, ScriptedResponsesOverrideInFifoOrder) {
  fake_.Enqueue({503, "upstream down", "text/plain", {{"Retry-After", "1"}}, milliseconds(0),
                 false});
  ScriptedResponse quota;
  quota.status = 429;
  quota.omit_request_id = true;
  fake_.Enqueue(quota);

  // Scripts apply even to requests the contract would reject.
  auto first = PostImage(kReadPath, "text", {});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 503);
  EXPECT_EQ(first->body, "upstream down");
  EXPECT_EQ(first->get_header_value("Content-Type"), "text/plain");
  EXPECT_EQ(first->get_header_value("Retry-After"), "1");
  EXPECT_FALSE(first->get_header_value("Request-Id").empty());

  auto second = PostImage(kReadPath, FakePhotoJpeg());
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 429);
  EXPECT_FALSE(second->has_header("Request-Id"));

  auto third = PostImage(kReadPath, FakePhotoJpeg());
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, 200);  // queue drained: contract behaviour again
  EXPECT_EQ(fake_.request_count(), 3u);
}

TEST_F(FakeUpstreamTest, ScriptedBodyIsVerbatim) {
  const std::string drifted =
      R"({"status":"SUCCESS","reason":"x","read":{"tanggal_lahir":{"confidence":97.5,"value":"01-02-1990"}}})";
  fake_.Enqueue({200, drifted, "application/json", {}, milliseconds(0), false});
  auto res = PostImage(kReadPath, FakePhotoJpeg());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, drifted);
}

TEST_F(FakeUpstreamTest, ScriptedDelayHoldsTheRequestInFlight) {
  ScriptedResponse slow;
  slow.body = "{}";
  slow.delay = milliseconds(400);
  fake_.Enqueue(slow);

  const auto start = std::chrono::steady_clock::now();
  int status = 0;
  std::thread caller([&] {
    httplib::Client c(fake_.base_url());
    auto res = c.Post(kReadPath, GoodHeaders(), "", "text/plain");
    status = res ? res->status : -1;
  });
  // Recorded as soon as it arrives, before the delay elapses.
  ASSERT_TRUE(fake_.WaitForRequests(1, milliseconds(2000)));
  EXPECT_EQ(fake_.in_flight(), 1);
  caller.join();
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(400));
  EXPECT_EQ(status, 200);
  EXPECT_EQ(fake_.in_flight(), 0);
}

TEST_F(FakeUpstreamTest, WaitForRequestsTimesOut) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(fake_.WaitForRequests(1, milliseconds(50)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(50));
}

TEST_F(FakeUpstreamTest, RecordsExactMultipartBytesAndHeaders) {
  // Binary content with NULs, CRLFs and dashes: the recorded image must be byte-identical.
  std::string image("\xff\xd8\xff\xe0", 4);
  for (int i = 0; i < 512; ++i) image.push_back(static_cast<char>(i & 0xff));
  image += "\r\n--\r\n--BOUNDARX\r\n";
  image.push_back('\0');

  const std::string boundary = "----ktpFakeBoundary7MA4YWxkTrZu0gW";
  std::string body;
  absl::StrAppend(&body, "--", boundary, "\r\n",
                  "Content-Disposition: form-data; name=\"image\"; filename=\"ktp scan.jpg\"\r\n",
                  "Content-Type: image/jpeg\r\n\r\n", image, "\r\n");
  absl::StrAppend(&body, "--", boundary, "\r\n",
                  "Content-Disposition: form-data; name=\"note\"\r\n\r\n", "hello\r\n");
  absl::StrAppend(&body, "--", boundary, "--\r\n");

  httplib::Headers headers = GoodHeaders();
  headers.emplace("X-Request-Id", "req-0001");
  headers.emplace("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  auto res = client_->Post(absl::StrCat(kReadPath, "?withRawText=true&withPolygon=false"),
                           headers, body, absl::StrCat("multipart/form-data; boundary=", boundary));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);

  const auto recorded = fake_.requests();
  ASSERT_EQ(recorded.size(), 1u);
  const RecordedRequest& r = recorded[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, kReadPath);
  EXPECT_EQ(r.query, (std::map<std::string, std::string>{{"withPolygon", "false"},
                                                           {"withRawText", "true"}}));
  EXPECT_EQ(r.content_type, absl::StrCat("multipart/form-data; boundary=", boundary));
  EXPECT_EQ(r.body_bytes, body.size());
  ASSERT_TRUE(r.has_image);
  EXPECT_EQ(r.image_filename, "ktp scan.jpg");
  EXPECT_EQ(r.image_content_type, "image/jpeg");
  EXPECT_EQ(r.image_content, image);
  EXPECT_EQ(r.part_names, (std::vector<std::string>{"image", "note"}));

  const auto header = [&r](const std::string& name) {
    auto it = r.headers.find(name);
    return it == r.headers.end() ? std::string("<absent>") : it->second;
  };
  EXPECT_EQ(header("authorization"), BasicAuth("test-user", "test-pass"));
  EXPECT_EQ(header("x-api-key"), "test-api-key");
  EXPECT_EQ(header("x-request-id"), "req-0001");
  EXPECT_EQ(header("traceparent"), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(r.headers.count("expect"), 0u);
  EXPECT_EQ(r.headers.count("remote_addr"), 0u);  // httplib pseudo-headers are filtered
  for (const auto& [name, value] : r.headers) {
    EXPECT_EQ(name, absl::AsciiStrToLower(name));
  }
}

// libcurl (what the gateway uses) adds "Expect: 100-continue" to large bodies; the fake must
// record it when present and its absence when the client sends an empty "Expect:".
size_t DiscardBody(char*, size_t size, size_t n, void*) { return size * n; }

long CurlUpload(const std::string& url, const std::string& content, bool suppress_expect) {
  CURL* curl = curl_easy_init();
  curl_mime* mime = curl_mime_init(curl);
  curl_mimepart* part = curl_mime_addpart(mime);
  curl_mime_name(part, "image");
  curl_mime_filename(part, "big.jpg");
  curl_mime_type(part, "image/jpeg");
  curl_mime_data(part, content.data(), content.size());
  curl_slist* headers = nullptr;
  const std::string auth = absl::StrCat("Authorization: ", BasicAuth("test-user", "test-pass"));
  headers = curl_slist_append(headers, auth.c_str());
  headers = curl_slist_append(headers, "x-api-key: test-api-key");
  if (suppress_expect) headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, DiscardBody);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  long status = -1;
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  }
  curl_slist_free_all(headers);
  curl_mime_free(mime);
  curl_easy_cleanup(curl);
  return status;
}

TEST_F(FakeUpstreamTest, RecordsExpectHeaderFromLibcurl) {
  std::string big = FakePhotoJpeg();
  big.resize(3 * 1024 * 1024 / 2, '\x5a');  // 1.5 MiB, over libcurl's Expect threshold
  const std::string url = absl::StrCat(fake_.base_url(), kReadPath);

  ASSERT_EQ(CurlUpload(url, big, /*suppress_expect=*/false), 200);
  ASSERT_EQ(CurlUpload(url, big, /*suppress_expect=*/true), 200);
  const auto recorded = fake_.requests();
  ASSERT_EQ(recorded.size(), 2u);
  ASSERT_EQ(recorded[0].headers.count("expect"), 1u);
  EXPECT_EQ(recorded[0].headers.find("expect")->second, "100-continue");
  EXPECT_EQ(recorded[1].headers.count("expect"), 0u);
  for (const auto& r : recorded) {
    EXPECT_EQ(r.image_content, big);
    EXPECT_GT(r.body_bytes, big.size());
  }
}

TEST_F(FakeUpstreamTest, SetIdentityIsServedWithProperEscaping) {
  SyntheticIdentity id = SyntheticIdentity::Default();
  id.nama = "SITI \"CONTOH\" O'NEIL \\ \xC3\x89";  // quote, backslash, UTF-8
  id.alamat = "JL. BARIS\nKEDUA\t NO. 1";
  fake_.SetIdentity(id);
  auto res = PostImage(kReadPath, FakePhotoJpeg());
  ASSERT_TRUE(res);
  rapidjson::Document doc = ParseJson(res->body);
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_EQ(std::string(doc["read"]["nama"]["value"].GetString()), id.nama);
  EXPECT_EQ(std::string(doc["read"]["alamat"]["value"].GetString()), id.alamat);
}

TEST_F(FakeUpstreamTest, ConcurrentRequestsAreServedInParallel) {
  fake_.Stop();
  FakeUpstream::Options options;
  // Longer than the pool needs to accept everything, shorter than a SYN retransmit (1 s): if
  // connects were dropped (httplib's listen backlog is 5) the stragglers would arrive after the
  // first ones finished and the peak below would never reach kCalls.
  options.default_delay = milliseconds(800);
  FakeUpstream slow(options);
  ASSERT_TRUE(slow.Start().ok());
  constexpr int kCalls = 16;  // == pool size
  std::atomic<int> ok{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < kCalls; ++i) {
    callers.emplace_back([&] {
      httplib::Client c(slow.base_url());
      httplib::MultipartFormDataItems items = {{"image", FakePhotoJpeg(), "a.jpg", "image/jpeg"}};
      auto res = c.Post(kReadPath, GoodHeaders(), items);
      if (res && res->status == 200) ++ok;
    });
  }
  int peak = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (peak < kCalls && std::chrono::steady_clock::now() < deadline) {
    peak = std::max(peak, slow.in_flight());
    std::this_thread::sleep_for(milliseconds(2));
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(peak, kCalls);
  EXPECT_EQ(ok.load(), kCalls);
  EXPECT_EQ(slow.request_count(), static_cast<size_t>(kCalls));
  EXPECT_EQ(slow.in_flight(), 0);
}

TEST(FakeUpstreamOptionsTest, CustomCredentialsAndRecordingCap) {
  FakeUpstream::Options options;
  options.username = "alice";
  options.password = "s3cr:t";  // a colon in the password is legal in Basic auth
  options.api_key = "k-123";
  options.max_recorded = 1;
  FakeUpstream fake(options);
  ASSERT_TRUE(fake.Start().ok());
  httplib::Client c(fake.base_url());
  httplib::MultipartFormDataItems items = {{"image", FakePhotoJpeg(), "a.jpg", "image/jpeg"}};
  auto bad = c.Post(kReadPath, GoodHeaders(), items);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 401);
  auto good = c.Post(kReadPath,
                     {{"Authorization", BasicAuth("alice", "s3cr:t")}, {"x-api-key", "k-123"}},
                     items);
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 200);
  EXPECT_EQ(fake.request_count(), 2u);
  ASSERT_EQ(fake.requests().size(), 1u);  // only the most recent is kept
  EXPECT_EQ(fake.requests()[0].response_status, 200);
  fake.Stop();
  fake.Stop();  // idempotent
}

TEST(SyntheticIdentityTest, DefaultNikIsStructurallyPlausible) {
  const SyntheticIdentity id = SyntheticIdentity::Default();
  ASSERT_EQ(id.nik.size(), 16u);
  for (char ch : id.nik) EXPECT_TRUE(ch >= '0' && ch <= '9');
  EXPECT_EQ(id.nik.substr(0, 6), "317103");  // 31.71.03 Kemayoran, Jakarta Pusat
  // DDMMYY of tanggalLahir (DD-MM-YYYY), +40 on the day for women.
  int day = std::stoi(id.tanggal_lahir.substr(0, 2));
  if (id.jenis_kelamin == "PEREMPUAN") day += 40;
  char ddmmyy[7];
  std::snprintf(ddmmyy, sizeof(ddmmyy), "%02d%s%s", day, id.tanggal_lahir.substr(3, 2).c_str(),
                id.tanggal_lahir.substr(8, 2).c_str());
  EXPECT_EQ(id.nik.substr(6, 6), ddmmyy);
}

TEST(SyntheticIdentityTest, FieldKeysMapToMembers) {
  SyntheticIdentity id = SyntheticIdentity::Default();
  EXPECT_EQ(SyntheticIdentity::FieldKeys().size(), 17u);
  for (const char* key : SyntheticIdentity::FieldKeys()) {
    ASSERT_NE(id.MutableField(key), nullptr) << key;
    EXPECT_FALSE(id.Field(key)->empty()) << key;
  }
  *id.MutableField("berlakuHingga") = "01-01-2030";
  EXPECT_EQ(id.berlaku_hingga, "01-01-2030");
  EXPECT_EQ(id.MutableField("berlaku_hingga"), nullptr);
  EXPECT_EQ(id.Field("unknown"), nullptr);
}

}  // namespace
}  // namespace ktp::testing
