// End-to-end behaviour of the gateway: real gRPC stubs → in-process gateway on a
// loopback port → real HTTP to the fake upstream on loopback. Covers the happy
// path and what the upstream receives, request ids, every upload limit, the
// upstream status mapping as the caller sees it, deadlines and cancellation,
// health and reflection, and the drain on shutdown.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "telemetry/log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/request_id.h"
#include "tests/integration/gateway_harness.h"

namespace ktp::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string SamplePng() {
  static const std::string* png = new std::string(ReadRepoFile("samples/ktp-synthetic.png"));
  return *png;
}

UploadSpec SampleUpload(const std::string& file_name = "ktp-synthetic.png") {
  UploadSpec spec;
  spec.image = SamplePng();
  spec.metadata.set_file_name(file_name);
  return spec;
}

std::string Header(const RecordedRequest& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : it->second;
}

bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return condition();
}

// A streaming call whose messages are raw bytes (grpc::GenericStub): for what
// no typed stub would send, or a service without generated client code here.
// Each step waits for its own completion; the destructor finishes the call if
// the test did not, and drains the queue.
class RawCall {
 public:
  RawCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method)
      : stub_(channel), call_(stub_.PrepareCall(&context_, method, &cq_)) {
    call_->StartCall(Tag(kStart));
    started_ = Await(kStart);
  }
  ~RawCall() {
    if (!finished_) {
      context_.TryCancel();
      Finish();
    }
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
    }
  }
  bool started() const { return started_; }
  // False when the server already ended the call.
  bool Write(const std::string& bytes) {
    grpc::Slice slice(bytes);
    grpc::ByteBuffer buffer(&slice, 1);
    call_->Write(buffer, Tag(kWrite));
    return Await(kWrite);
  }
  std::optional<std::string> Read() {
    grpc::ByteBuffer buffer;
    call_->Read(&buffer, Tag(kRead));
    std::vector<grpc::Slice> slices;
    if (!Await(kRead) || !buffer.Dump(&slices).ok()) return std::nullopt;
    std::string bytes;
    for (const grpc::Slice& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    return bytes;
  }
  void Cancel() { context_.TryCancel(); }
  grpc::Status Finish() {
    finished_ = true;
    call_->Finish(&status_, Tag(kFinish));
    Await(kFinish);
    return status_;
  }

 private:
  enum Step : intptr_t { kStart = 1, kWrite, kRead, kFinish };
  static void* Tag(Step step) { return reinterpret_cast<void*>(step); }
  // Waits for `step`'s completion (others that come first are skipped).
  bool Await(Step step) {
    void* tag;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
      if (tag == Tag(step)) return ok;
    }
    return false;
  }

  grpc::GenericStub stub_;
  grpc::ClientContext context_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
  grpc::Status status_;
  bool started_ = false;
  bool finished_ = false;
};

class GatewayTest : public ::testing::Test {
 protected:
  GatewayHarness h_;
};

TEST_F(GatewayTest, ReadReturnsTypedFieldsFromTheUpstream) {
  grpc::ClientContext context;
  v1::ReadResponse response;
  grpc::Status status = UploadRead(h_.stub(), context, SampleUpload(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  const SyntheticIdentity id = SyntheticIdentity::Default();
  EXPECT_EQ(response.status(), v1::READ_STATUS_SUCCESS);
  EXPECT_EQ(response.reason(), "File Successfully Read");
  EXPECT_EQ(response.document(), v1::DOCUMENT_VERDICT_KTP);
  EXPECT_EQ(response.card().nik().value(), id.nik);
  EXPECT_EQ(response.card().name().value(), id.nama);
  EXPECT_EQ(response.card().birth_date().value(), id.tanggal_lahir);
  EXPECT_EQ(response.card().birth_place().value(), id.tempat_lahir);
  EXPECT_EQ(response.card().address().value(), id.alamat);
  EXPECT_EQ(response.card().rt_rw().value(), id.rt_rw);
  EXPECT_EQ(response.card().village().value(), id.kelurahan_desa);
  EXPECT_EQ(response.card().district().value(), id.kecamatan);
  EXPECT_EQ(response.card().city_regency().value(), id.kota_kabupaten);
  EXPECT_EQ(response.card().province().value(), id.provinsi);
  EXPECT_EQ(response.card().religion().value(), id.agama);
  EXPECT_EQ(response.card().marital_status().value(), id.status_perkawinan);
  EXPECT_EQ(response.card().occupation().value(), id.pekerjaan);
  EXPECT_EQ(response.card().nationality().value(), id.kewarganegaraan);
  EXPECT_EQ(response.card().valid_until().value(), id.berlaku_hingga);
  EXPECT_EQ(response.card().sex().value(), id.jenis_kelamin);
  EXPECT_EQ(response.card().blood_type().value(), id.golongan_darah);
  EXPECT_GT(response.card().nik().confidence(), 0);
  // Extras were not asked for, so they are absent.
  EXPECT_FALSE(response.card().nik().has_raw_text());
  EXPECT_FALSE(response.card().nik().has_confidence_field());
  EXPECT_EQ(response.card().nik().polygons_size(), 0);
  // Images arrive decoded, byte for byte.
  EXPECT_EQ(response.images().photo(), FakePhotoJpeg());
  EXPECT_EQ(response.images().signature(), FakeSignJpeg());
}

TEST_F(GatewayTest, UpstreamReceivesTheContractedMultipartRequest) {
  grpc::ClientContext context;
  context.AddMetadata("x-request-id", "caller-id-123");
  v1::ReadResponse response;
  ASSERT_TRUE(UploadRead(h_.stub(), context, SampleUpload("dir/ktp-synthetic.png"), &response).ok());

  ASSERT_EQ(h_.fake().request_count(), 1u);
  const RecordedRequest r = h_.fake().requests().back();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/ocr/v1/ktp");
  EXPECT_THAT(r.content_type, HasSubstr("multipart/form-data"));
  EXPECT_EQ(r.part_names, std::vector<std::string>{"image"});
  ASSERT_TRUE(r.has_image);
  EXPECT_EQ(r.image_filename, "ktp-synthetic.png");  // directory stripped
  EXPECT_EQ(r.image_content_type, "image/png");
  EXPECT_EQ(r.image_content, SamplePng());  // exact bytes
  EXPECT_EQ(Header(r, "authorization"), "Basic " + absl::Base64Escape("test-user:test-pass"));
  EXPECT_EQ(Header(r, "x-api-key"), "test-api-key");
  EXPECT_EQ(Header(r, "x-request-id"), "caller-id-123");
  EXPECT_EQ(Header(r, "expect"), "");  // no 100-continue stall
  EXPECT_EQ(r.query.at("withRawText"), "false");
  EXPECT_EQ(r.query.at("withConfidenceField"), "false");
  EXPECT_EQ(r.query.at("withPolygon"), "false");
}

TEST_F(GatewayTest, ANonKtpOnReadIsATypedVerdictNotJustASentence) {
  // GLAIR's Read says "not a KTP" only in prose: the gateway types it once.
  ScriptedResponse not_ktp;
  not_ktp.body = R"({"status":"SUCCESS","reason":"File successfully read. Some fields are invalid.","read":{}})";
  h_.fake().Enqueue(not_ktp);
  grpc::ClientContext context;
  v1::ReadResponse response;
  ASSERT_TRUE(UploadRead(h_.stub(), context, SampleUpload(), &response).ok());
  EXPECT_EQ(response.status(), v1::READ_STATUS_SUCCESS);
  EXPECT_EQ(response.document(), v1::DOCUMENT_VERDICT_NOT_KTP);
}

TEST_F(GatewayTest, ReadWithQualitiesHonoursEveryOption) {
  grpc::ClientContext context;
  UploadSpec spec = SampleUpload();
  spec.metadata.mutable_options()->set_with_raw_text(true);
  spec.metadata.mutable_options()->set_with_confidence_field(true);
  spec.metadata.mutable_options()->set_with_polygon(true);
  v1::ReadWithQualitiesResponse response;
  grpc::Status status = UploadReadWithQualities(h_.stub(), context, spec, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  const RecordedRequest r = h_.fake().requests().back();
  EXPECT_EQ(r.path, "/ocr/v1/ktp/qualities");
  EXPECT_EQ(r.query.at("withRawText"), "true");
  EXPECT_EQ(r.query.at("withConfidenceField"), "true");
  EXPECT_EQ(r.query.at("withPolygon"), "true");

  ASSERT_TRUE(response.has_qualities());
  EXPECT_TRUE(response.qualities().ktp());
  EXPECT_EQ(response.document(), v1::DOCUMENT_VERDICT_KTP);
  EXPECT_FALSE(response.qualities().blurred());
  const v1::KtpField& nik = response.card().nik();
  EXPECT_TRUE(nik.has_raw_text());
  EXPECT_TRUE(nik.has_confidence_field());
  ASSERT_GE(nik.polygons_size(), 1);
  EXPECT_EQ(nik.polygons(0).vertices_size(), 4);
}

TEST_F(GatewayTest, RequestIdsFlowBothWays) {
  grpc::ClientContext context;
  context.AddMetadata("x-request-id", "trace-abc.123");
  v1::ReadResponse response;
  ASSERT_TRUE(UploadRead(h_.stub(), context, SampleUpload(), &response).ok());
  EXPECT_EQ(response.request_id(), "trace-abc.123");
  EXPECT_EQ(InitialMetadata(context, "x-request-id"), "trace-abc.123");
  const RecordedRequest r = h_.fake().requests().back();
  ASSERT_FALSE(r.response_request_id.empty());
  EXPECT_EQ(response.upstream_request_id(), r.response_request_id);
  EXPECT_EQ(InitialMetadata(context, "x-upstream-request-id"), r.response_request_id);
}

TEST_F(GatewayTest, InvalidCallerRequestIdIsReplaced) {
  grpc::ClientContext context;
  context.AddMetadata("x-request-id", "has spaces and {braces}");
  v1::ReadResponse response;
  ASSERT_TRUE(UploadRead(h_.stub(), context, SampleUpload(), &response).ok());
  EXPECT_NE(response.request_id(), "has spaces and {braces}");
  EXPECT_TRUE(service::IsValidRequestId(response.request_id()));
  EXPECT_EQ(Header(h_.fake().requests().back(), "x-request-id"), response.request_id());
}

TEST_F(GatewayTest, GeneratesARequestIdWhenTheCallerSendsNone) {
  grpc::ClientContext context;
  v1::ReadResponse response;
  ASSERT_TRUE(UploadRead(h_.stub(), context, SampleUpload(), &response).ok());
  EXPECT_EQ(response.request_id().size(), 36u);
  EXPECT_EQ(Header(h_.fake().requests().back(), "x-request-id"), response.request_id());
}

TEST_F(GatewayTest, TraceContextIsForwardedUnchanged) {
  grpc::ClientContext context;
  const std::string traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  context.AddMetadata("traceparent", traceparent);
  context.AddMetadata("tracestate", "vendor=opaque");
  v1::ReadResponse response;
  ASSERT_TRUE(UploadRead(h_.stub(), context, SampleUpload(), &response).ok());
  const RecordedRequest r = h_.fake().requests().back();
  EXPECT_EQ(Header(r, "traceparent"), traceparent);
  EXPECT_EQ(Header(r, "tracestate"), "vendor=opaque");
}

TEST_F(GatewayTest, TinyChunksAreReassembledExactly) {
  grpc::ClientContext context;
  UploadSpec spec = SampleUpload();
  spec.chunk_size = 1000;  // 125 messages, magic bytes inside the first
  v1::ReadResponse response;
  ASSERT_TRUE(UploadRead(h_.stub(), context, spec, &response).ok());
  EXPECT_EQ(h_.fake().requests().back().image_content, SamplePng());
}

// ---- Bad uploads: typed errors, and the upstream is never called. ----

void ExpectRejected(GatewayHarness& h, const UploadSpec& spec, grpc::StatusCode code,
                    const std::string& reason) {
  grpc::ClientContext context;
  v1::ReadResponse response;
  grpc::Status status = UploadRead(h.stub(), context, spec, &response);
  EXPECT_EQ(status.error_code(), code) << status.error_message();
  auto info = ErrorInfoOf(status);
  ASSERT_TRUE(info.has_value()) << "no ErrorInfo in " << status.error_message();
  EXPECT_EQ(info->reason(), reason);
  EXPECT_EQ(info->domain(), "ktp-gateway");
  EXPECT_EQ(h.fake().request_count(), 0u) << "the upstream must not be called";
  EXPECT_FALSE(InitialMetadata(context, "x-request-id").empty());
}

TEST_F(GatewayTest, EmptyUploadIsNoFile) {
  UploadSpec spec = SampleUpload();
  spec.image.clear();
  ExpectRejected(h_, spec, grpc::StatusCode::INVALID_ARGUMENT, "NO_FILE");
}

TEST_F(GatewayTest, NonImageIsFileInvalidFormat) {
  UploadSpec spec = SampleUpload("notes.txt");
  spec.image = ReadRepoFile("samples/not-an-image.txt");
  ASSERT_FALSE(spec.image.empty());
  ExpectRejected(h_, spec, grpc::StatusCode::INVALID_ARGUMENT, "FILE_INVALID_FORMAT");
}

TEST_F(GatewayTest, DeclaredTypeThatContradictsTheContentIsRejected) {
  UploadSpec spec = SampleUpload();
  spec.metadata.set_mime_type("application/pdf");
  ExpectRejected(h_, spec, grpc::StatusCode::INVALID_ARGUMENT, "FILE_INVALID_FORMAT");
}

TEST_F(GatewayTest, ChunkBeforeMetadataIsAProtocolViolation) {
  UploadSpec spec = SampleUpload();
  spec.send_metadata = false;
  ExpectRejected(h_, spec, grpc::StatusCode::INVALID_ARGUMENT, "UPLOAD_PROTOCOL_VIOLATION");
}

TEST_F(GatewayTest, MetadataTwiceIsAProtocolViolation) {
  grpc::ClientContext context;
  v1::ReadResponse response;
  auto writer = h_.stub().Read(&context, &response);
  v1::ReadRequest request;
  request.mutable_metadata()->set_file_name("a.png");
  ASSERT_TRUE(writer->Write(request));
  writer->Write(request);
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "UPLOAD_PROTOCOL_VIOLATION");
  auto bad = BadRequestOf(status);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->field_violations(0).field(), "metadata");
  EXPECT_EQ(h_.fake().request_count(), 0u);
}

// A message that is not a ReadRequest at all (the RPCs are raw methods that
// decode the wire format themselves) is a typed protocol error, not a broken stream.
TEST_F(GatewayTest, MessageThatIsNotAReadRequestIsAProtocolViolation) {
  RawCall call(h_.channel(), "/ktp.v1.KtpOcr/Read");
  ASSERT_TRUE(call.started());
  v1::ReadRequest metadata;
  metadata.mutable_metadata()->set_file_name("ktp.png");
  ASSERT_TRUE(call.Write(metadata.SerializeAsString()));
  // A chunk field that says 100 bytes and carries 5 (the server may already
  // have ended the call when the write completes).
  call.Write(std::string("\x12\x64short", 7));
  const grpc::Status status = call.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  ASSERT_TRUE(ErrorInfoOf(status).has_value());
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "UPLOAD_PROTOCOL_VIOLATION");
  auto bad = BadRequestOf(status);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->field_violations(0).field(), "payload");
  EXPECT_EQ(h_.fake().request_count(), 0u);
  // The gateway goes on serving.
  grpc::ClientContext next_context;
  v1::ReadResponse response;
  ASSERT_TRUE(UploadRead(h_.stub(), next_context, SampleUpload(), &response).ok());
  EXPECT_EQ(response.status(), v1::READ_STATUS_SUCCESS);
}

TEST_F(GatewayTest, UnsupportedDeclaredMimeTypeIsRejectedUpFront) {
  UploadSpec spec = SampleUpload();
  spec.metadata.set_mime_type("image/gif");
  ExpectRejected(h_, spec, grpc::StatusCode::INVALID_ARGUMENT, "FILE_INVALID_FORMAT");
}

class LimitedGatewayTest : public ::testing::Test {
 protected:
  static HarnessOptions Limits() {
    HarnessOptions options;
    options.config.max_image_bytes = 100 * 1024;
    options.config.max_chunk_bytes = 16 * 1024;
    return options;
  }
  GatewayHarness h_{Limits()};
};

TEST_F(LimitedGatewayTest, OversizedUploadIsRejectedWithTheLimit) {
  UploadSpec spec = SampleUpload();  // ~125 KB > 100 KiB
  spec.chunk_size = 8 * 1024;
  ExpectRejected(h_, spec, grpc::StatusCode::INVALID_ARGUMENT, "IMAGE_TOO_LARGE");
  grpc::ClientContext context;
  v1::ReadResponse response;
  grpc::Status status = UploadRead(h_.stub(), context, spec, &response);
  EXPECT_EQ(ErrorInfoOf(status)->metadata().at("limitBytes"), "102400");
}

TEST_F(LimitedGatewayTest, DeclaredSizeOverTheLimitIsRejectedBeforeStreaming) {
  UploadSpec spec = SampleUpload();
  spec.image = spec.image.substr(0, 1024);
  spec.metadata.set_size_bytes(200 * 1024);
  ExpectRejected(h_, spec, grpc::StatusCode::INVALID_ARGUMENT, "IMAGE_TOO_LARGE");
}

TEST_F(LimitedGatewayTest, ChunkOverTheLimitIsRejected) {
  UploadSpec spec = SampleUpload();
  spec.image = spec.image.substr(0, 40 * 1024);
  spec.chunk_size = 20 * 1024;  // over the 16 KiB chunk limit, under gRPC's message cap
  ExpectRejected(h_, spec, grpc::StatusCode::INVALID_ARGUMENT, "IMAGE_TOO_LARGE");
}

TEST_F(LimitedGatewayTest, UploadExactlyAtTheLimitIsAccepted) {
  UploadSpec spec = SampleUpload();
  spec.image = spec.image.substr(0, 100 * 1024);  // a truncated png still sniffs as png
  spec.chunk_size = 16 * 1024;
  grpc::ClientContext context;
  v1::ReadResponse response;
  grpc::Status status = UploadRead(h_.stub(), context, spec, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(h_.fake().requests().back().image_content.size(), 100u * 1024);
}

TEST_F(LimitedGatewayTest, MessagesFarOverTheChunkLimitAreRefusedByGrpc) {
  UploadSpec spec = SampleUpload();  // one 125 KB message > chunk limit + framing room
  spec.chunk_size = spec.image.size();
  grpc::ClientContext context;
  v1::ReadResponse response;
  grpc::Status status = UploadRead(h_.stub(), context, spec, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(h_.fake().request_count(), 0u);
}

// ---- Upstream outcomes as the caller sees them. ----

grpc::Status ReadWithScripted(GatewayHarness& h, ScriptedResponse scripted) {
  h.fake().Enqueue(std::move(scripted));
  grpc::ClientContext context;
  v1::ReadResponse response;
  return UploadRead(h.stub(), context, SampleUpload(), &response);
}

TEST_F(GatewayTest, UpstreamDocumentOutcomesAreOkAnswers) {
  struct Case {
    const char* status;
    v1::ReadStatus expected;
  };
  for (const Case& c : {Case{"FAILED", v1::READ_STATUS_FAILED},
                        Case{"UNRECOGNIZED_DOCUMENT_TYPE", v1::READ_STATUS_UNRECOGNIZED_DOCUMENT_TYPE},
                        Case{"MULTIPLE_DOCUMENTS_DETECTED", v1::READ_STATUS_MULTIPLE_DOCUMENTS_DETECTED}}) {
    ScriptedResponse scripted;
    scripted.body = std::string("{\"status\":\"") + c.status + "\",\"reason\":\"why\"}";
    h_.fake().Enqueue(scripted);
    grpc::ClientContext context;
    v1::ReadWithQualitiesResponse response;
    grpc::Status status = UploadReadWithQualities(h_.stub(), context, SampleUpload(), &response);
    ASSERT_TRUE(status.ok()) << c.status << ": " << status.error_message();
    EXPECT_EQ(response.status(), c.expected);
    EXPECT_EQ(response.reason(), "why");
  }
}

TEST_F(GatewayTest, Upstream401IsNotBlamedOnTheCallerAndLeaksNothing) {
  ScriptedResponse scripted;
  scripted.status = 401;
  scripted.body = R"({"message":"bad key test-api-key for account test-user"})";
  grpc::Status status = ReadWithScripted(h_, scripted);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "UPSTREAM_AUTHENTICATION_FAILED");
  const std::string everything = status.error_message() + RpcStatusOf(status).DebugString();
  for (const char* secret : {"test-api-key", "test-pass", "test-user", "account"}) {
    EXPECT_THAT(everything, Not(HasSubstr(secret)));
  }
}

TEST_F(GatewayTest, Upstream403IsAccessDenied) {
  ScriptedResponse scripted;
  scripted.status = 403;
  scripted.body = R"({"error": "Access to this API has been disallowed"})";
  grpc::Status status = ReadWithScripted(h_, scripted);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "UPSTREAM_ACCESS_DENIED");
  EXPECT_THAT(status.error_message(), Not(HasSubstr("disallowed")));
}

TEST_F(GatewayTest, Upstream429CarriesRetryInfoFromRetryAfter) {
  ScriptedResponse scripted;
  scripted.status = 429;
  scripted.headers = {{"Retry-After", "3"}};
  grpc::Status status = ReadWithScripted(h_, scripted);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "UPSTREAM_QUOTA_EXCEEDED");
  auto retry = RetryInfoOf(status);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->retry_delay().seconds(), 3);
}

TEST_F(GatewayTest, Upstream5xxIsUnavailableWithTheUpstreamId) {
  ScriptedResponse scripted;
  scripted.status = 503;
  scripted.body = "<html>down</html>";
  scripted.content_type = "text/html";
  grpc::ClientContext context;
  v1::ReadResponse response;
  h_.fake().Enqueue(scripted);
  grpc::Status status = UploadRead(h_.stub(), context, SampleUpload(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  auto info = ErrorInfoOf(status);
  EXPECT_EQ(info->reason(), "UPSTREAM_UNAVAILABLE");
  EXPECT_EQ(info->metadata().at("httpStatus"), "503");
  EXPECT_EQ(info->metadata().at("upstreamRequestId"), h_.fake().requests().back().response_request_id);
  EXPECT_EQ(InitialMetadata(context, "x-upstream-request-id"),
            h_.fake().requests().back().response_request_id);
}

TEST_F(GatewayTest, Upstream415IsInvalidArgument) {
  ScriptedResponse scripted;
  scripted.status = 415;
  scripted.body = R"({"status":"FILE_INVALID_FORMAT","reason":"Failed to process invalid request"})";
  grpc::Status status = ReadWithScripted(h_, scripted);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "FILE_INVALID_FORMAT");
}

TEST_F(GatewayTest, MalformedUpstreamJsonIsInternalAndTheGatewayKeepsServing) {
  ScriptedResponse scripted;
  scripted.body = R"({"status":"SUCCESS","read":{"nik":)";
  grpc::Status status = ReadWithScripted(h_, scripted);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "UPSTREAM_BAD_RESPONSE");
  // The next call is served normally.
  grpc::ClientContext context;
  v1::ReadResponse response;
  EXPECT_TRUE(UploadRead(h_.stub(), context, SampleUpload(), &response).ok());
}

TEST_F(GatewayTest, UpstreamAnswerOverTheSizeCapIsRefused) {
  HarnessOptions options;
  options.config.max_upstream_response_bytes = 4096;
  GatewayHarness small(options);
  ScriptedResponse scripted;
  scripted.body = "{\"status\":\"SUCCESS\",\"reason\":\"" + std::string(10000, 'x') + "\"}";
  grpc::Status status = ReadWithScripted(small, scripted);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "UPSTREAM_RESPONSE_TOO_LARGE");
}

TEST(GatewayUnreachableUpstreamTest, ConnectionRefusedIsUnavailable) {
  HarnessOptions options;
  options.config.upstream_url = "http://127.0.0.1:1";  // nothing listens on port 1
  GatewayHarness h(options);
  grpc::ClientContext context;
  v1::ReadResponse response;
  grpc::Status status = UploadRead(h.stub(), context, SampleUpload(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "UPSTREAM_CONNECT_FAILED");
}

// ---- Time: deadlines and cancellation reach the upstream request. ----

TEST_F(GatewayTest, CallerDeadlineBoundsTheUpstreamCall) {
  ScriptedResponse slow;
  slow.delay = std::chrono::milliseconds(3000);
  slow.body = BuildSuccessBody(SyntheticIdentity::Default(), false);
  h_.fake().Enqueue(slow);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(400));
  v1::ReadResponse response;
  const absl::Time start = absl::Now();
  grpc::Status status = UploadRead(h_.stub(), context, SampleUpload(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(2000));
  // The gateway abandons its upstream request too, long before the fake answers.
  EXPECT_TRUE(WaitUntil([&] { return h_.backend().in_flight() == 0; }, absl::Milliseconds(1500)));
  EXPECT_TRUE(WaitUntil([&] { return h_.server().active_calls() == 0; }, absl::Milliseconds(1500)));
}

TEST_F(GatewayTest, CancelledCallCancelsItsUpstreamRequest) {
  ScriptedResponse slow;
  slow.delay = std::chrono::milliseconds(5000);
  slow.body = BuildSuccessBody(SyntheticIdentity::Default(), false);
  h_.fake().Enqueue(slow);
  grpc::ClientContext context;
  grpc::Status status;
  std::thread caller([&] {
    v1::ReadResponse response;
    status = UploadRead(h_.stub(), context, SampleUpload(), &response);
  });
  ASSERT_TRUE(h_.fake().WaitForRequests(1, std::chrono::milliseconds(3000)) ||
              WaitUntil([&] { return h_.fake().in_flight() == 1; }, absl::Seconds(3)));
  ASSERT_TRUE(WaitUntil([&] { return h_.backend().in_flight() == 1; }, absl::Seconds(3)));
  const absl::Time cancelled_at = absl::Now();
  context.TryCancel();
  caller.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(WaitUntil([&] { return h_.backend().in_flight() == 0; }, absl::Milliseconds(1000)));
  EXPECT_LT(absl::Now() - cancelled_at, absl::Milliseconds(1500));
  EXPECT_TRUE(WaitUntil([&] { return h_.server().active_calls() == 0; }, absl::Milliseconds(1000)));
}

// ---- Health, reflection, drain. ----

TEST_F(GatewayTest, HealthServiceReportsServing) {
  EXPECT_EQ(HealthStatus(h_.channel(), ""), 1);
  EXPECT_EQ(HealthStatus(h_.channel(), "ktp.v1.KtpOcr"), 1);
}

TEST_F(GatewayTest, ReflectionListsTheService) {
  RawCall call(h_.channel(), "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo");
  ASSERT_TRUE(call.started());
  // ServerReflectionRequest{list_services: ""}: field 7, empty string.
  ASSERT_TRUE(call.Write(std::string("\x3a\x00", 2)));
  const std::optional<std::string> answer = call.Read();
  ASSERT_TRUE(answer.has_value());
  EXPECT_THAT(*answer, HasSubstr("ktp.v1.KtpOcr"));
}

TEST_F(GatewayTest, ShutdownDrainsCallsInFlight) {
  ScriptedResponse slow;
  slow.delay = std::chrono::milliseconds(800);
  slow.body = BuildSuccessBody(SyntheticIdentity::Default(), false);
  h_.fake().Enqueue(slow);
  grpc::Status status;
  v1::ReadResponse response;
  std::thread caller([&] {
    grpc::ClientContext context;
    status = UploadRead(h_.stub(), context, SampleUpload(), &response);
  });
  ASSERT_TRUE(WaitUntil([&] { return h_.backend().in_flight() == 1; }, absl::Seconds(3)));
  h_.Shutdown(absl::Seconds(10));
  caller.join();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.status(), v1::READ_STATUS_SUCCESS);
}

TEST_F(GatewayTest, ShutdownCancelsCallsThatOutliveTheGrace) {
  ScriptedResponse slow;
  slow.delay = std::chrono::milliseconds(4000);
  slow.body = BuildSuccessBody(SyntheticIdentity::Default(), false);
  h_.fake().Enqueue(slow);
  grpc::Status status;
  std::thread caller([&] {
    grpc::ClientContext context;
    v1::ReadResponse response;
    status = UploadRead(h_.stub(), context, SampleUpload(), &response);
  });
  ASSERT_TRUE(WaitUntil([&] { return h_.backend().in_flight() == 1; }, absl::Seconds(3)));
  const absl::Time start = absl::Now();
  h_.Shutdown(absl::Milliseconds(300));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(2500));
  caller.join();
  EXPECT_FALSE(status.ok());
}

// ---- Personal data never reaches the logs. ----

TEST_F(GatewayTest, LogsCarryNoPersonalDataOrSecrets) {
  std::vector<std::string> lines;
  std::mutex mu;
  log::SetSinkForTesting([&](absl::string_view line) {
    std::lock_guard<std::mutex> lock(mu);
    lines.emplace_back(line);
  });
  log::SetLevel(log::Level::kDebug);
  {
    grpc::ClientContext context;
    v1::ReadWithQualitiesResponse response;
    UploadSpec spec = SampleUpload("SITI-RAHAYU-ktp.png");
    spec.metadata.mutable_options()->set_with_raw_text(true);
    ASSERT_TRUE(UploadReadWithQualities(h_.stub(), context, spec, &response).ok());
    ScriptedResponse unauthorized;
    unauthorized.status = 401;
    h_.fake().Enqueue(unauthorized);
    grpc::ClientContext context2;
    v1::ReadResponse response2;
    UploadRead(h_.stub(), context2, SampleUpload(), &response2);
  }
  log::SetSinkForTesting(nullptr);
  log::SetLevel(log::Level::kInfo);
  ASSERT_FALSE(lines.empty());
  const SyntheticIdentity id = SyntheticIdentity::Default();
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  for (const std::string& forbidden :
       {id.nik, id.nama, id.alamat, id.tanggal_lahir, std::string("SITI-RAHAYU"), std::string("test-pass"),
        std::string("test-api-key"), absl::Base64Escape("test-user:test-pass"),
        absl::Base64Escape(FakePhotoJpeg()).substr(0, 16)}) {
    EXPECT_THAT(all, Not(HasSubstr(forbidden)));
  }
  EXPECT_THAT(all, HasSubstr("\"grpc_code\":\"OK\""));
}

}  // namespace
}  // namespace ktp::testing
