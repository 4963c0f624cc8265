// Prometheus metrics end to end: GatewayMetrics observing a real gateway (gRPC
// stubs → in-process server → libcurl → fake upstream over loopback), exposed by
// a real prometheus::Exposer on a loopback port and scraped over HTTP. Asserts
// exact series values, that the exposition passes `promtool check metrics`, that
// no label carries request ids, file names or card data, and that serving calls
// adds no series (every bounded child exists from the start). Also the label
// vocabularies, the tenant table, and server connection age.
#include <httplib.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "telemetry/metrics.h"
#include "tests/integration/gateway_harness.h"

namespace ktp::testing {
namespace {

using ::testing::HasSubstr;
using telemetry::GatewayMetrics;

constexpr char kPromtool[] = "/usr/bin/promtool";

// One sample line of the text exposition.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Parses the Prometheus text format (comments skipped, label escapes undone).
std::vector<Sample> ParseExposition(const std::string& text) {
  std::vector<Sample> samples;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    Sample s;
    size_t i = line.find_first_of("{ ");
    s.name = line.substr(0, i);
    if (i != std::string::npos && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const size_t eq = line.find('=', i);
        const std::string key = line.substr(i, eq - i);
        std::string value;
        size_t j = eq + 2;  // past ="
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\' && j + 1 < line.size()) {
            ++j;
            value.push_back(line[j] == 'n' ? '\n' : line[j]);
          } else {
            value.push_back(line[j]);
          }
        }
        s.labels[key] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      ++i;  // past }
    }
    std::string value_text = line.substr(line.find_first_not_of(' ', i));
    value_text = value_text.substr(0, value_text.find(' '));  // drop a timestamp
    if (value_text == "+Inf") {
      s.value = HUGE_VAL;
    } else if (!absl::SimpleAtod(value_text, &s.value)) {
      ADD_FAILURE() << "unparseable sample: " << line;
    }
    samples.push_back(std::move(s));
  }
  return samples;
}

struct Scrape {
  std::string text;
  std::vector<Sample> samples;

  // Sum of every series of `name` whose labels include `labels`.
  double Sum(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    double total = 0;
    for (const Sample& s : samples) {
      if (s.name != name) continue;
      bool match = true;
      for (const auto& [k, v] : labels) {
        auto it = s.labels.find(k);
        if (it == s.labels.end() || it->second != v) match = false;
      }
      if (match) total += s.value;
    }
    return total;
  }
  // The value of the one series of `name` with exactly these labels (fails otherwise).
  double Value(const std::string& name, const std::map<std::string, std::string>& labels) const {
    const Sample* found = nullptr;
    for (const Sample& s : samples) {
      if (s.name != name || s.labels != labels) continue;
      EXPECT_EQ(found, nullptr) << "duplicate series " << name;
      found = &s;
    }
    EXPECT_NE(found, nullptr) << "no series " << name << " with the given labels";
    return found ? found->value : -1;
  }
  size_t Count(const std::string& name) const {
    size_t n = 0;
    for (const Sample& s : samples) n += s.name == name;
    return n;
  }
};

Scrape Parse(std::string text) {
  Scrape scrape;
  scrape.samples = ParseExposition(text);
  scrape.text = std::move(text);
  return scrape;
}

// Renders a registry as /metrics would, without HTTP (for the unit-level tests).
Scrape Render(const GatewayMetrics& metrics) {
  return Parse(prometheus::TextSerializer().Serialize(metrics.registry()->Collect()));
}

std::string SamplePng() {
  static const std::string* png = new std::string(ReadRepoFile("samples/ktp-synthetic.png"));
  return *png;
}

UploadSpec Upload(std::string image, const std::string& file_name = "ktp-synthetic.png") {
  UploadSpec spec;
  spec.image = std::move(image);
  spec.metadata.set_file_name(file_name);
  return spec;
}

// Messages an upload sends: metadata plus one per chunk.
double MessagesOf(const UploadSpec& spec) {
  return 1 + static_cast<double>((spec.image.size() + spec.chunk_size - 1) / spec.chunk_size);
}

const std::map<std::string, std::string> kReadLabels = {
    {"grpc_service", "ktp.v1.KtpOcr"}, {"grpc_method", "Read"}, {"grpc_type", "client_stream"}};

std::map<std::string, std::string> With(std::map<std::string, std::string> labels,
                                        const std::map<std::string, std::string>& more) {
  labels.insert(more.begin(), more.end());
  return labels;
}

// The production gateway (Gateway::Build) with its own /metrics endpoint on a
// loopback port, scraped over HTTP.
class MetricsTest : public ::testing::Test {
 protected:
  int metrics_port() { return harness_.gateway().metrics_port(); }

  // GET /metrics over real HTTP.
  Scrape ScrapeHttp() {
    httplib::Client client("127.0.0.1", metrics_port());
    client.set_connection_timeout(5);
    client.set_read_timeout(5);
    httplib::Result result = client.Get("/metrics");
    if (!result) {
      ADD_FAILURE() << "scrape failed: " << httplib::to_string(result.error());
      return Scrape();
    }
    EXPECT_EQ(result->status, 200);
    EXPECT_THAT(result->get_header_value("Content-Type"), HasSubstr("text/plain"));
    return Parse(result->body);
  }

  grpc::Status Read(const UploadSpec& spec, const std::string& request_id = "") {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    if (!request_id.empty()) context.AddMetadata("x-request-id", request_id);
    v1::ReadResponse response;
    return UploadRead(harness_.stub(), context, spec, &response);
  }

  // The three calls most tests make: OK, a rejected upload, an upstream 503.
  void MakeTypicalCalls() {
    ASSERT_TRUE(Read(Upload(SamplePng())).ok());
    const grpc::Status bad = Read(Upload(ReadRepoFile("samples/not-an-image.txt")));
    ASSERT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad.error_message();
    ScriptedResponse unavailable;
    unavailable.status = 503;
    unavailable.body = R"({"status":"FAILED","reason":"maintenance"})";
    harness_.fake().Enqueue(unavailable);
    const grpc::Status down = Read(Upload(SamplePng()));
    ASSERT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE) << down.error_message();
  }

  GatewayHarness harness_;
  GatewayMetrics& metrics_ = harness_.metrics();
};

TEST_F(MetricsTest, MetricsListenOnTheirOwnLoopbackPort) {
  // --metrics-listen=127.0.0.1:0: a port of its own, not the gRPC one, that
  // answers /metrics with the gateway's series before any call was made.
  ASSERT_GT(metrics_port(), 0);
  EXPECT_NE(metrics_port(), harness_.server().port());
  const Scrape s = ScrapeHttp();
  EXPECT_EQ(s.Count("ktp_gateway_build_info"), 1u);
  EXPECT_EQ(s.Value("ktp_gateway_inflight_calls", {}), 0);
  // Nothing but /metrics is served there.
  httplib::Client client("127.0.0.1", metrics_port());
  auto other = client.Get("/");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
}

TEST_F(MetricsTest, CountsCallsByMethodCodeAndDocumentStatus) {
  MakeTypicalCalls();
  const Scrape s = ScrapeHttp();
  const UploadSpec png = Upload(SamplePng());
  const double png_messages = MessagesOf(png);
  const double bad_bytes = static_cast<double>(ReadRepoFile("samples/not-an-image.txt").size());

  // go-grpc-prometheus series.
  EXPECT_EQ(s.Value("grpc_server_started_total", kReadLabels), 3);
  EXPECT_EQ(s.Value("grpc_server_handled_total", With(kReadLabels, {{"grpc_code", "OK"}})), 1);
  EXPECT_EQ(s.Value("grpc_server_handled_total", With(kReadLabels, {{"grpc_code", "INVALID_ARGUMENT"}})), 1);
  EXPECT_EQ(s.Value("grpc_server_handled_total", With(kReadLabels, {{"grpc_code", "UNAVAILABLE"}})), 1);
  EXPECT_EQ(s.Sum("grpc_server_handled_total", kReadLabels), 3);
  // Metadata + chunks for the two image uploads; metadata + one chunk for the text file.
  EXPECT_EQ(s.Value("grpc_server_msg_received_total", kReadLabels), 2 * png_messages + 2);
  EXPECT_EQ(s.Value("grpc_server_msg_sent_total", kReadLabels), 1);
  EXPECT_EQ(s.Value("grpc_server_handling_seconds_count", kReadLabels), 3);
  EXPECT_EQ(s.Value("grpc_server_handling_seconds_bucket", With(kReadLabels, {{"le", "+Inf"}})), 3);
  EXPECT_GT(s.Value("grpc_server_handling_seconds_sum", kReadLabels), 0);
  // Nothing went to the other method, yet its series exist (at zero).
  std::map<std::string, std::string> rwq_labels = kReadLabels;
  rwq_labels["grpc_method"] = "ReadWithQualities";
  EXPECT_EQ(s.Value("grpc_server_started_total", rwq_labels), 0);
  EXPECT_EQ(s.Sum("grpc_server_handled_total", rwq_labels), 0);
  EXPECT_EQ(s.Count("grpc_server_handled_total"), 2u * 17u);

  // Document status: only the OK call has one.
  EXPECT_EQ(s.Value("ktp_gateway_document_status_total",
                    {{"grpc_method", "Read"}, {"status", "READ_STATUS_SUCCESS"}}),
            1);
  EXPECT_EQ(s.Sum("ktp_gateway_document_status_total"), 1);

  // Upstream: the rejected upload never left the gateway.
  EXPECT_EQ(s.Value("ktp_gateway_upstream_request_duration_seconds_count",
                    {{"endpoint", "read"}, {"http_status", "200"}}),
            1);
  EXPECT_EQ(s.Value("ktp_gateway_upstream_request_duration_seconds_count",
                    {{"endpoint", "read"}, {"http_status", "503"}}),
            1);
  EXPECT_EQ(s.Sum("ktp_gateway_upstream_request_duration_seconds_count"), 2);
  EXPECT_EQ(s.Value("ktp_gateway_upstream_failures_total", {{"endpoint", "read"}, {"cause", "http_5xx"}}), 1);
  EXPECT_EQ(s.Sum("ktp_gateway_upstream_failures_total"), 1);
  EXPECT_EQ(s.Sum("ktp_gateway_upstream_retries_total"), 0);

  // Image sizes: every call received bytes.
  EXPECT_EQ(s.Value("ktp_gateway_image_bytes_count", {{"grpc_method", "Read"}}), 3);
  EXPECT_EQ(s.Value("ktp_gateway_image_bytes_sum", {{"grpc_method", "Read"}}),
            2 * static_cast<double>(png.image.size()) + bad_bytes);
  EXPECT_EQ(s.Value("ktp_gateway_image_bytes_bucket", {{"grpc_method", "Read"}, {"le", "16384"}}),
            bad_bytes <= 16384 ? 1 : 0);

  EXPECT_EQ(s.Value("ktp_gateway_inflight_calls", {}), 0);
  EXPECT_EQ(s.Sum("ktp_gateway_build_info"), 1);
}

TEST_F(MetricsTest, ReadWithQualitiesIsItsOwnMethodAndEndpoint) {
  grpc::ClientContext context;
  v1::ReadWithQualitiesResponse response;
  ASSERT_TRUE(UploadReadWithQualities(harness_.stub(), context, Upload(SamplePng()), &response).ok());
  const Scrape s = ScrapeHttp();
  std::map<std::string, std::string> labels = kReadLabels;
  labels["grpc_method"] = "ReadWithQualities";
  EXPECT_EQ(s.Value("grpc_server_handled_total", With(labels, {{"grpc_code", "OK"}})), 1);
  EXPECT_EQ(s.Value("grpc_server_started_total", kReadLabels), 0);
  EXPECT_EQ(s.Value("ktp_gateway_upstream_request_duration_seconds_count",
                    {{"endpoint", "read_with_qualities"}, {"http_status", "200"}}),
            1);
  EXPECT_EQ(s.Value("ktp_gateway_document_status_total",
                    {{"grpc_method", "ReadWithQualities"}, {"status", "READ_STATUS_SUCCESS"}}),
            1);
}

TEST_F(MetricsTest, UpstreamAnswersAreClassified) {
  struct Case {
    int status;
    const char* label;
    const char* cause;
  };
  const Case cases[] = {{401, "401", "auth"}, {403, "403", "auth"}, {429, "429", "http_429"},
                        {400, "400", "http_4xx"}, {404, "other", "http_4xx"}, {502, "502", "http_5xx"}};
  for (const Case& c : cases) {
    ScriptedResponse r;
    r.status = c.status;
    r.body = R"({"status":"FAILED","reason":"scripted"})";
    harness_.fake().Enqueue(r);
    EXPECT_FALSE(Read(Upload(SamplePng())).ok()) << c.status;
  }
  // A 200 whose body is not JSON: the upstream answered, but unusably.
  ScriptedResponse garbage;
  garbage.body = "<html>oops</html>";
  garbage.content_type = "text/html";
  harness_.fake().Enqueue(garbage);
  EXPECT_FALSE(Read(Upload(SamplePng())).ok());

  const Scrape s = ScrapeHttp();
  for (const Case& c : cases) {
    EXPECT_GE(s.Value("ktp_gateway_upstream_request_duration_seconds_count",
                      {{"endpoint", "read"}, {"http_status", c.label}}),
              1)
        << c.status;
  }
  EXPECT_EQ(s.Value("ktp_gateway_upstream_failures_total", {{"endpoint", "read"}, {"cause", "auth"}}), 2);
  EXPECT_EQ(s.Value("ktp_gateway_upstream_failures_total", {{"endpoint", "read"}, {"cause", "http_429"}}), 1);
  EXPECT_EQ(s.Value("ktp_gateway_upstream_failures_total", {{"endpoint", "read"}, {"cause", "http_4xx"}}), 2);
  EXPECT_EQ(s.Value("ktp_gateway_upstream_failures_total", {{"endpoint", "read"}, {"cause", "http_5xx"}}), 1);
  EXPECT_EQ(s.Value("ktp_gateway_upstream_failures_total", {{"endpoint", "read"}, {"cause", "bad_response"}}),
            1);
  EXPECT_EQ(s.Value("ktp_gateway_upstream_request_duration_seconds_count",
                    {{"endpoint", "read"}, {"http_status", "200"}}),
            1);
  EXPECT_EQ(s.Sum("ktp_gateway_upstream_failures_total"), 7);
}

TEST_F(MetricsTest, ScrapePassesPromtool) {
  ASSERT_EQ(::access(kPromtool, X_OK), 0)
      << kPromtool << " is missing: scripts/install-deps.sh installs it (Debian package prometheus)";
  MakeTypicalCalls();
  // The families that grow with configuration too.
  metrics_.RegisterTenants({"team-a"});
  metrics_.OnRateLimitDecision("team-b", "rejected");
  metrics_.OnCredentialReload(true);
  metrics_.OnCredentialReload(false);
  metrics_.SetCredentialGeneration("", 3);
  metrics_.SetCredentialGeneration("partner", 1);
  metrics_.OnUpstreamRetry(backend::Endpoint::kRead, "connect");
  const Scrape s = ScrapeHttp();

  char path[] = "/tmp/ktp-metrics-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << s.text;
  const std::string out_path = std::string(path) + ".out";
  const std::string command =
      absl::StrCat(kPromtool, " check metrics < ", path, " > ", out_path, " 2>&1");
  const int rc = std::system(command.c_str());
  std::stringstream out;
  out << std::ifstream(out_path).rdbuf();
  unlink(path);
  unlink(out_path.c_str());
  EXPECT_EQ(rc, 0) << "promtool check metrics:\n" << out.str();
}

TEST_F(MetricsTest, NoLabelCarriesRequestIdsFileNamesOrCardData) {
  const std::string request_id = "trace-7f3a9c1e-unique-request-id";
  const std::string file_name = "siti-rahayu-ktp-scan-0001.png";
  ASSERT_TRUE(Read(Upload(SamplePng(), file_name), request_id).ok());
  ScriptedResponse unavailable;
  unavailable.status = 503;
  unavailable.body = R"({"status":"FAILED","reason":"maintenance"})";
  harness_.fake().Enqueue(unavailable);
  EXPECT_FALSE(Read(Upload(SamplePng(), file_name), request_id + "-2").ok());
  EXPECT_FALSE(Read(Upload("not an image at all", file_name), request_id + "-3").ok());
  const std::string upstream_id = harness_.fake().last_request_id_sent();
  ASSERT_FALSE(upstream_id.empty());

  const Scrape s = ScrapeHttp();
  ASSERT_GT(s.samples.size(), 0u);
  const SyntheticIdentity id = SyntheticIdentity::Default();
  for (const std::string& secret :
       {request_id, file_name, std::string("siti-rahayu"), upstream_id, id.nik, id.nama, id.alamat,
        std::string("test-api-key"), std::string("test-pass")}) {
    EXPECT_THAT(s.text, ::testing::Not(HasSubstr(secret))) << secret;
  }
  // Every label value belongs to a known, bounded vocabulary shape.
  for (const Sample& sample : s.samples) {
    for (const auto& [key, value] : sample.labels) {
      EXPECT_LE(value.size(), 64u) << key << "=" << value;
    }
  }
}

TEST_F(MetricsTest, ServingCallsAddsNoSeries) {
  // Every bounded child exists before the first call: the hot path never adds one.
  const size_t before = ScrapeHttp().samples.size();
  MakeTypicalCalls();
  EXPECT_EQ(ScrapeHttp().samples.size(), before);
}

TEST_F(MetricsTest, InflightGaugeFollowsCallsInProgress) {
  ScriptedResponse slow;
  slow.body = BuildSuccessBody(SyntheticIdentity::Default(), false);
  slow.delay = std::chrono::milliseconds(800);
  harness_.fake().Enqueue(slow);
  std::thread call([this] { EXPECT_TRUE(Read(Upload(SamplePng())).ok()); });
  ASSERT_TRUE(harness_.fake().WaitForRequests(1, std::chrono::seconds(5)));
  EXPECT_EQ(ScrapeHttp().Value("ktp_gateway_inflight_calls", {}), 1);
  call.join();
  EXPECT_EQ(ScrapeHttp().Value("ktp_gateway_inflight_calls", {}), 0);
}

// A client that gives up before sending anything (h2load does it to the streams
// open at the end of a run) reset its stream: the call counts as CANCELLED, never
// as the client's protocol error, even when gRPC reports the failed read before
// the cancellation.
TEST_F(MetricsTest, StreamsResetBeforeTheirFirstMessageCountAsCancelled) {
  // Several clients at once, resetting at slightly different moments: the
  // order in which gRPC reports the failed read and the cancel varies.
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([this, t] {
      for (int i = 0; i < 100; ++i) {
        grpc::ClientContext context;
        v1::ReadResponse response;
        std::unique_ptr<grpc::ClientWriter<v1::ReadRequest>> writer = harness_.stub().Read(&context, &response);
        if ((i + t) % 3 != 0) absl::SleepFor(absl::Microseconds(100 * ((i * 7 + t) % 5)));
        context.TryCancel();
        EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
      }
    });
  }
  for (std::thread& c : clients) c.join();
  // Every call the server saw has ended (some resets never reach a reactor).
  Scrape s = ScrapeHttp();
  for (int i = 0; i < 100 && s.Sum("grpc_server_handled_total", kReadLabels) <
                                 s.Value("grpc_server_started_total", kReadLabels);
       ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    s = ScrapeHttp();
  }
  EXPECT_EQ(s.Sum("grpc_server_handled_total", kReadLabels), s.Value("grpc_server_started_total", kReadLabels));
  EXPECT_EQ(s.Sum("grpc_server_handled_total", With(kReadLabels, {{"grpc_code", "INVALID_ARGUMENT"}})), 0);
  EXPECT_EQ(s.Sum("grpc_server_handled_total", With(kReadLabels, {{"grpc_code", "CANCELLED"}})),
            s.Value("grpc_server_started_total", kReadLabels));
}

// The same empty stream, half-closed instead of reset, is the client's error
// and is counted as one (once the call is over: see the test above).
TEST_F(MetricsTest, AnUploadWithNoMessagesCountsAsInvalidArgument) {
  grpc::ClientContext context;
  v1::ReadResponse response;
  std::unique_ptr<grpc::ClientWriter<v1::ReadRequest>> writer = harness_.stub().Read(&context, &response);
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "UPLOAD_PROTOCOL_VIOLATION");
  Scrape s = ScrapeHttp();
  for (int i = 0; i < 100 && s.Sum("grpc_server_handled_total", kReadLabels) < 1; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    s = ScrapeHttp();
  }
  EXPECT_EQ(s.Value("grpc_server_handled_total", With(kReadLabels, {{"grpc_code", "INVALID_ARGUMENT"}})), 1);
  EXPECT_EQ(s.Sum("grpc_server_handled_total", kReadLabels), 1);
}

// A gateway whose upstream port is closed: no HTTP answer at all.
TEST(MetricsTransportTest, ConnectFailureHasNoStatusAndCauseConnect) {
  HarnessOptions options;
  options.config.upstream_url = "http://127.0.0.1:1";
  GatewayHarness harness(options);
  grpc::ClientContext context;
  v1::ReadResponse response;
  const grpc::Status status = UploadRead(harness.stub(), context, Upload(SamplePng()), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  const Scrape s = Parse(harness.ScrapeMetrics());
  EXPECT_EQ(s.Value("ktp_gateway_upstream_request_duration_seconds_count",
                    {{"endpoint", "read"}, {"http_status", "none"}}),
            1);
  EXPECT_EQ(s.Value("ktp_gateway_upstream_failures_total", {{"endpoint", "read"}, {"cause", "connect"}}), 1);
  EXPECT_EQ(s.Sum("ktp_gateway_upstream_failures_total"), 1);
}

// ---------------------------------------------------------------------------
// Label vocabularies and the configuration-bounded families (no server).

TEST(MetricsLabelsTest, HttpStatusLabelIsBounded) {
  EXPECT_EQ(GatewayMetrics::HttpStatusLabel(0), "none");
  for (long code : {200, 400, 401, 403, 413, 415, 422, 429, 500, 502, 503, 504}) {
    EXPECT_EQ(GatewayMetrics::HttpStatusLabel(code), std::to_string(code));
  }
  for (long code : {100, 201, 204, 302, 404, 418, 501, 599, 999, -1}) {
    EXPECT_EQ(GatewayMetrics::HttpStatusLabel(code), "other") << code;
  }
}

TEST(MetricsLabelsTest, FailureCauses) {
  EXPECT_EQ(GatewayMetrics::FailureCause(200, ""), "");
  EXPECT_EQ(GatewayMetrics::FailureCause(200, "bad_response"), "bad_response");
  EXPECT_EQ(GatewayMetrics::FailureCause(401, ""), "auth");
  EXPECT_EQ(GatewayMetrics::FailureCause(403, ""), "auth");
  EXPECT_EQ(GatewayMetrics::FailureCause(429, ""), "http_429");
  EXPECT_EQ(GatewayMetrics::FailureCause(400, ""), "http_4xx");
  EXPECT_EQ(GatewayMetrics::FailureCause(413, ""), "http_4xx");
  EXPECT_EQ(GatewayMetrics::FailureCause(500, ""), "http_5xx");
  EXPECT_EQ(GatewayMetrics::FailureCause(504, ""), "http_5xx");
  EXPECT_EQ(GatewayMetrics::FailureCause(302, ""), "bad_response");
  EXPECT_EQ(GatewayMetrics::FailureCause(204, ""), "bad_response");
  for (const char* cause : {"connect", "timeout", "tls", "network", "response_too_large", "cancelled",
                            "internal"}) {
    EXPECT_EQ(GatewayMetrics::FailureCause(0, cause), cause);
  }
  EXPECT_EQ(GatewayMetrics::FailureCause(0, "made-up"), "internal");
  EXPECT_EQ(GatewayMetrics::FailureCause(0, ""), "internal");
}

TEST(MetricsLabelsTest, MetricNamesAreTheDocumentedOnes) {
  GatewayMetrics metrics;
  auto names = [&metrics] {
    std::vector<std::string> out;
    for (const prometheus::MetricFamily& family : metrics.registry()->Collect()) out.push_back(family.name);
    return out;
  };
  // Families whose labels come from configuration appear with their first series.
  EXPECT_THAT(names(), ::testing::Not(::testing::Contains("ktp_gateway_rate_limit_decisions_total")));
  EXPECT_THAT(names(), ::testing::Not(::testing::Contains("ktp_gateway_credential_generation")));
  EXPECT_THAT(names(), ::testing::Not(::testing::Contains("ktp_gateway_circuit_breaker_state")));
  metrics.RegisterTenants({"team-a"});
  metrics.SetCredentialGeneration("", 1);
  metrics.RegisterCircuitBreakers();
  EXPECT_THAT(names(), ::testing::UnorderedElementsAre(
                         "grpc_server_started_total", "grpc_server_handled_total",
                         "grpc_server_msg_received_total", "grpc_server_msg_sent_total",
                         "grpc_server_handling_seconds", "ktp_gateway_upstream_request_duration_seconds",
                         "ktp_gateway_local_fallbacks_total",
                         "ktp_gateway_upstream_failures_total", "ktp_gateway_upstream_retries_total",
                         "ktp_gateway_document_status_total", "ktp_gateway_image_bytes",
                         "ktp_gateway_inflight_calls", "ktp_gateway_rate_limit_decisions_total",
                         "ktp_gateway_credential_reloads_total", "ktp_gateway_credential_generation",
                         "ktp_gateway_policy_reloads_total", "ktp_gateway_circuit_breaker_state",
                         "ktp_gateway_identity_checks_total", "ktp_gateway_build_info"));
  const Scrape s = Render(metrics);
  // Histogram buckets as documented.
  EXPECT_EQ(s.Count("grpc_server_handling_seconds_bucket"), 2u * 13u);  // 12 bounds + Inf
  EXPECT_EQ(s.Count("ktp_gateway_image_bytes_bucket"), 2u * 12u);       // 16 KiB..16 MiB + Inf
  EXPECT_EQ(s.Value("ktp_gateway_image_bytes_bucket", {{"grpc_method", "Read"}, {"le", "16777216"}}), 0);
  EXPECT_EQ(s.Count("ktp_gateway_upstream_request_duration_seconds_count"), 2u * 14u);
  EXPECT_EQ(s.Count("ktp_gateway_upstream_failures_total"), 2u * 12u);
  EXPECT_EQ(s.Count("ktp_gateway_identity_checks_total"), 8u * 3u);  // every kind × outcome from the start
  EXPECT_THAT(s.text, HasSubstr("grpc_version=\""));
}

TEST(MetricsLabelsTest, RateLimitDecisionsByTenant) {
  GatewayMetrics metrics;
  metrics.RegisterTenants({"team-a", "team-b"});
  for (int i = 0; i < 3; ++i) metrics.OnRateLimitDecision("team-a", "allowed");
  metrics.OnRateLimitDecision("team-a", "rejected");
  metrics.OnRateLimitDecision("team-c", "fail_open");  // never registered: "other"
  metrics.OnRateLimitDecision("", "waited");
  metrics.OnRateLimitDecision("team-a", "not-an-outcome");  // ignored
  metrics.OnRateLimitDecision("bad tenant\n", "fail_closed");
  const Scrape s = Render(metrics);
  const std::string name = "ktp_gateway_rate_limit_decisions_total";
  EXPECT_EQ(s.Value(name, {{"tenant", "team-a"}, {"outcome", "allowed"}}), 3);
  EXPECT_EQ(s.Value(name, {{"tenant", "team-a"}, {"outcome", "rejected"}}), 1);
  EXPECT_EQ(s.Value(name, {{"tenant", "team-b"}, {"outcome", "allowed"}}), 0);  // pre-registered
  EXPECT_EQ(s.Value(name, {{"tenant", "other"}, {"outcome", "fail_open"}}), 1);
  EXPECT_EQ(s.Value(name, {{"tenant", "none"}, {"outcome", "waited"}}), 1);
  EXPECT_EQ(s.Value(name, {{"tenant", "other"}, {"outcome", "fail_closed"}}), 1);
  // A later registration (a policy reload) adds its tenants; counts stay.
  metrics.RegisterTenants({"team-c"});
  metrics.OnRateLimitDecision("team-c", "allowed");
  const Scrape after = Render(metrics);
  EXPECT_EQ(after.Value(name, {{"tenant", "team-c"}, {"outcome", "allowed"}}), 1);
  EXPECT_EQ(after.Value(name, {{"tenant", "team-a"}, {"outcome", "allowed"}}), 3);
  EXPECT_EQ(s.Sum(name), 7);
}

TEST(MetricsLabelsTest, TenantTableIsSafeUnderConcurrencyAndBounded) {
  GatewayMetrics metrics;
  constexpr int kThreads = 8;
  constexpr int kTenants = 300;  // more than kMaxTenants: the rest fold into "other"
  std::vector<std::string> names;
  for (int i = 0; i < kTenants; ++i) names.push_back(absl::StrCat("tenant-", i));
  metrics.RegisterTenants({names.begin(), names.begin() + 100});
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics, &names, t] {
      // One thread re-registers (a policy reload) while the others count.
      if (t == 0) metrics.RegisterTenants(names);
      for (int i = 0; i < kTenants; ++i) metrics.OnRateLimitDecision(names[i], "allowed");
    });
  }
  for (auto& thread : threads) thread.join();
  metrics.RegisterTenants(names);
  for (int i = 0; i < kTenants; ++i) metrics.OnRateLimitDecision(names[i], "allowed");
  const Scrape s = Render(metrics);
  const std::string name = "ktp_gateway_rate_limit_decisions_total";
  EXPECT_EQ(s.Sum(name), (kThreads + 1) * kTenants);
  // kMaxTenants labels plus "none" and "other", nothing more.
  EXPECT_EQ(s.Count(name), (GatewayMetrics::kMaxTenants + 2) * GatewayMetrics::kRateLimitOutcomes.size());
  // Registered from the start: every count is its own. Tenants past the bound
  // (and, during the reload, not yet registered ones) count as "other".
  EXPECT_EQ(s.Value(name, {{"tenant", "tenant-0"}, {"outcome", "allowed"}}), kThreads + 1);
  EXPECT_GE(s.Value(name, {{"tenant", "other"}, {"outcome", "allowed"}}),
            (kThreads + 1) * (kTenants - static_cast<double>(GatewayMetrics::kMaxTenants)));
}

TEST(MetricsLabelsTest, CredentialReloadsAndGenerations) {
  GatewayMetrics metrics;
  metrics.OnCredentialReload(true);
  metrics.OnCredentialReload(true);
  metrics.OnCredentialReload(false);
  metrics.SetCredentialGeneration("", 1);
  metrics.SetCredentialGeneration("", 2);
  metrics.SetCredentialGeneration("partner", 7);
  const Scrape s = Render(metrics);
  EXPECT_EQ(s.Value("ktp_gateway_credential_reloads_total", {{"result", "success"}}), 2);
  EXPECT_EQ(s.Value("ktp_gateway_credential_reloads_total", {{"result", "failure"}}), 1);
  EXPECT_EQ(s.Value("ktp_gateway_credential_generation", {{"set", "default"}}), 2);
  EXPECT_EQ(s.Value("ktp_gateway_credential_generation", {{"set", "partner"}}), 7);
}

TEST(MetricsLabelsTest, UnknownStatusCodeCountsAsUnknown) {
  GatewayMetrics metrics;
  service::CallSummary summary;
  summary.code = static_cast<absl::StatusCode>(42);
  metrics.OnCallStarted(service::Method::kRead);
  metrics.OnCallFinished(summary);
  const Scrape s = Render(metrics);
  EXPECT_EQ(s.Value("grpc_server_handled_total", With(kReadLabels, {{"grpc_code", "UNKNOWN"}})), 1);
  EXPECT_EQ(s.Value("ktp_gateway_inflight_calls", {}), 0);
}

// ---------------------------------------------------------------------------
// Connection age: aged connections get a GOAWAY, yet calls on them finish
// within the grace period, and clients reconnect transparently.

TEST(ConnectionAgeTest, AgedConnectionIsRecycledWithoutFailingCalls) {
  HarnessOptions options;
  options.config.max_connection_age = absl::Milliseconds(300);
  options.config.max_connection_age_grace = absl::Seconds(10);
  GatewayHarness harness(options);
  ScriptedResponse slow;
  slow.body = BuildSuccessBody(SyntheticIdentity::Default(), false);
  slow.delay = std::chrono::milliseconds(1000);  // outlives the connection's age
  harness.fake().Enqueue(slow);
  {
    grpc::ClientContext context;
    v1::ReadResponse response;
    const grpc::Status status = UploadRead(harness.stub(), context, Upload(SamplePng()), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  // The aged connection is closed: the channel leaves READY on its own.
  const absl::Time end = absl::Now() + absl::Seconds(5);
  bool left_ready = false;
  while (absl::Now() < end && !left_ready) {
    left_ready = harness.channel()->GetState(false) != GRPC_CHANNEL_READY;
    if (!left_ready) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(left_ready);
  // And the next call simply reconnects.
  grpc::ClientContext context;
  v1::ReadResponse response;
  EXPECT_TRUE(UploadRead(harness.stub(), context, Upload(SamplePng()), &response).ok());
}

}  // namespace
}  // namespace ktp::testing
