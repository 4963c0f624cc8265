// The local reader end to end with real Tesseract: the sample card is read
// (fields, photo, qualities, polygons in upload pixels), and the call
// contract holds — busy pool → RESOURCE_EXHAUSTED with RetryInfo, Cancel →
// CANCELLED exactly once, expired deadline, undecodable bytes answered like
// the upstream's 415. No timing assertions.
#include "reader/local_ocr_backend.h"

#include <atomic>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/error_details.h"
#include "gtest/gtest.h"
#include "reader/image_decoder.h"
#include "reader/tesseract_pool.h"

namespace ktp::reader {
namespace {

using backend::Endpoint;
using backend::OcrRequest;
using backend::OcrResult;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string SamplePng() { return ReadFile(std::string(KTP_SAMPLES_DIR) + "/ktp-synthetic.png"); }

// Collects one call's completions (and counts them: exactly once).
struct Outcome {
  absl::Mutex mu;
  int calls = 0;
  std::optional<absl::StatusOr<OcrResult>> result;
  absl::Notification done;

  backend::OcrCallback Callback() {
    return [this](absl::StatusOr<OcrResult> r) {
      bool first;
      {
        absl::MutexLock lock(&mu);
        first = ++calls == 1;
        if (first) result = std::move(r);
      }
      // Outside the lock: the waiter may destroy this Outcome (and `mu`) as
      // soon as it wakes.
      if (first) done.Notify();
    };
  }
  int count() {
    absl::MutexLock lock(&mu);
    return calls;
  }
};

OcrRequest Request(const std::string& bytes, Endpoint endpoint = Endpoint::kRead) {
  OcrRequest r;
  r.endpoint = endpoint;
  r.image = absl::Cord(bytes);
  r.file_name = "card.png";
  r.mime_type = "image/png";
  r.deadline = absl::Now() + absl::Minutes(2);
  return r;
}

std::unique_ptr<reader::LocalOcrBackend> MakeBackend(int workers, int max_queued) {
  reader::LocalEngineOptions options;
  options.workers = workers;
  options.max_queued = max_queued;
  absl::StatusOr<std::unique_ptr<reader::LocalOcrBackend>> backend = reader::LocalOcrBackend::Create(options);
  EXPECT_TRUE(backend.ok()) << backend.status();
  return backend.ok() ? std::move(*backend) : nullptr;
}

TEST(LocalOcrBackendTest, ReadsTheSampleCard) {
  auto backend = MakeBackend(1, 1);
  ASSERT_NE(backend, nullptr);
  const std::string png = SamplePng();
  ASSERT_FALSE(png.empty());
  OcrRequest request = Request(png, Endpoint::kReadWithQualities);
  request.options.set_with_polygon(true);
  Outcome out;
  backend->Start(std::move(request), out.Callback());
  out.done.WaitForNotification();
  ASSERT_TRUE(out.result->ok()) << out.result->status();
  const OcrResult& r = **out.result;
  EXPECT_EQ(r.status, v1::READ_STATUS_SUCCESS);
  EXPECT_EQ(r.reason, "File Successfully Read");
  EXPECT_EQ(r.engine, v1::ENGINE_LOCAL);
  EXPECT_EQ(r.card.nik().value(), "3174034508920003");
  EXPECT_EQ(r.card.name().value(), "SITI RAHAYU CONTOH");
  EXPECT_EQ(r.card.sex().value(), "PEREMPUAN");
  EXPECT_EQ(r.card.religion().value(), "ISLAM");
  EXPECT_EQ(r.card.rt_rw().value(), "004/009");
  // Only what was asked for.
  EXPECT_FALSE(r.card.nik().has_raw_text());
  EXPECT_FALSE(r.card.nik().has_confidence_field());
  // The NIK's polygon is in upload pixels: the value sits right of centre,
  // about a fifth down (see the sample image).
  ASSERT_GT(r.card.nik().polygons_size(), 0);
  for (const v1::Vertex& v : r.card.nik().polygons(0).vertices()) {
    EXPECT_GE(v.x(), 200);
    EXPECT_LE(v.x(), 700);
    EXPECT_GE(v.y(), 90);
    EXPECT_LE(v.y(), 170);
  }
  ASSERT_TRUE(r.has_qualities);
  EXPECT_TRUE(r.qualities.ktp());
  EXPECT_FALSE(r.qualities.blurred());
  EXPECT_FALSE(r.qualities.dark());
  EXPECT_FALSE(r.qualities.bright());
  EXPECT_FALSE(r.qualities.copy());
  EXPECT_FALSE(r.qualities.rotated());
  EXPECT_FALSE(r.qualities.cropped());
  EXPECT_FALSE(r.qualities.flash());
  EXPECT_FALSE(r.qualities.taken_from_screen());
  // Photo and signature as JPEG.
  ASSERT_GT(r.images.photo().size(), 100u);
  EXPECT_EQ(static_cast<unsigned char>(r.images.photo()[0]), 0xFF);
  EXPECT_EQ(static_cast<unsigned char>(r.images.photo()[1]), 0xD8);
  ASSERT_GT(r.images.signature().size(), 100u);
  EXPECT_EQ(out.count(), 1);
}

// Reads `bgr` (JPEG-encoded) with qualities.
absl::StatusOr<OcrResult> ReadImage(reader::LocalOcrBackend& backend, const cv::Mat& bgr) {
  absl::StatusOr<std::string> jpeg = reader::EncodeJpeg(bgr, 90);
  if (!jpeg.ok()) return jpeg.status();
  OcrRequest request = Request(*jpeg, Endpoint::kReadWithQualities);
  request.mime_type = "image/jpeg";
  Outcome out;
  backend.Start(std::move(request), out.Callback());
  out.done.WaitForNotification();
  return *out.result;
}

TEST(LocalOcrBackendTest, SampleTooBlurredToReadIsStillAKtp) {
  auto backend = MakeBackend(1, 1);
  ASSERT_NE(backend, nullptr);
  absl::StatusOr<cv::Mat> sample = reader::DecodeImage(SamplePng(), 40'000'000);
  ASSERT_TRUE(sample.ok()) << sample.status();
  // Photographed on a dark table (the card's outline must be found), then blurred.
  cv::Mat photo(sample->rows * 3 / 2, sample->cols * 3 / 2, CV_8UC3, cv::Scalar(50, 60, 70));
  sample->copyTo(photo(cv::Rect(sample->cols / 4, sample->rows / 4, sample->cols, sample->rows)));
  cv::GaussianBlur(photo, photo, cv::Size(), 4.0);
  absl::StatusOr<OcrResult> r = ReadImage(*backend, photo);
  ASSERT_TRUE(r.ok()) << r.status();
  // The light-blue ID-1 card is judged a KTP even when no text reads, and says why it reads badly.
  EXPECT_TRUE(r->qualities.ktp()) << r->qualities.ShortDebugString();
  EXPECT_TRUE(r->qualities.blurred());
  EXPECT_EQ(r->reason, "File Successfully Read");
}

TEST(LocalOcrBackendTest, ASceneIsNotAKtpAndGetsNoOtherFlag) {
  auto backend = MakeBackend(1, 1);
  ASSERT_NE(backend, nullptr);
  // A blurred, dim scene: a gradient with an orange card-sized blob cut by the border.
  cv::Mat scene(600, 800, CV_8UC3);
  for (int y = 0; y < scene.rows; ++y) {
    scene.row(y).setTo(cv::Scalar(40 + y / 8, 60, 120 - y / 8));
  }
  cv::rectangle(scene, cv::Rect(500, 150, 400, 250), cv::Scalar(40, 120, 200), cv::FILLED);
  cv::GaussianBlur(scene, scene, cv::Size(), 4.0);
  absl::StatusOr<OcrResult> r = ReadImage(*backend, scene);
  ASSERT_TRUE(r.ok()) << r.status();
  const v1::ImageQualities& q = r->qualities;
  EXPECT_FALSE(q.ktp());
  EXPECT_FALSE(q.blurred() || q.dark() || q.bright() || q.copy() || q.rotated() || q.cropped() ||
               q.flash() || q.taken_from_screen())
      << q.ShortDebugString();
  EXPECT_EQ(r->reason, "File successfully read. Some fields are invalid.");
}

TEST(LocalOcrBackendTest, ReadWithoutQualitiesOmitsThemAndPolygons) {
  auto backend = MakeBackend(1, 1);
  ASSERT_NE(backend, nullptr);
  OcrRequest request = Request(SamplePng());
  request.options.set_with_raw_text(true);
  Outcome out;
  backend->Start(std::move(request), out.Callback());
  out.done.WaitForNotification();
  ASSERT_TRUE(out.result->ok()) << out.result->status();
  EXPECT_FALSE((*out.result)->has_qualities);
  EXPECT_EQ((*out.result)->card.nik().polygons_size(), 0);
  EXPECT_TRUE((*out.result)->card.nik().has_raw_text());
}

TEST(LocalOcrBackendTest, GarbageIsAnsweredLikeTheUpstreams415) {
  auto backend = MakeBackend(1, 1);
  ASSERT_NE(backend, nullptr);
  Outcome out;
  backend->Start(Request("this is not an image"), out.Callback());
  out.done.WaitForNotification();
  ASSERT_FALSE(out.result->ok());
  EXPECT_EQ(out.result->status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(out.result->status()), "FILE_INVALID_FORMAT");
  EXPECT_TRUE(GetBadRequest(out.result->status()).has_value());
}

TEST(LocalOcrBackendTest, FullPoolAnswersResourceExhausted) {
  // One worker, one waiting place: the third read has nowhere to go.
  auto backend = MakeBackend(1, 1);
  ASSERT_NE(backend, nullptr);
  const std::string png = SamplePng();
  Outcome outs[3];
  for (Outcome& o : outs) backend->Start(Request(png), o.Callback());
  // The refusal is immediate (inline), before any read can finish.
  ASSERT_TRUE(outs[2].done.HasBeenNotified());
  const absl::Status& busy = outs[2].result->status();
  EXPECT_EQ(busy.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReason(busy), "LOCAL_ENGINE_BUSY");
  ASSERT_TRUE(GetRetryInfo(busy).has_value());
  EXPECT_GE(GetRetryInfo(busy)->retry_delay().seconds(), 1);
  for (int i = 0; i < 2; ++i) {
    outs[i].done.WaitForNotification();
    EXPECT_TRUE(outs[i].result->ok()) << outs[i].result->status();
  }
  // Capacity is back: another read is accepted.
  Outcome again;
  backend->Start(Request(png), again.Callback());
  again.done.WaitForNotification();
  EXPECT_TRUE(again.result->ok()) << again.result->status();
}

TEST(LocalOcrBackendTest, CancelBeforeStartCompletesOnceWithCancelled) {
  auto backend = MakeBackend(1, 1);
  ASSERT_NE(backend, nullptr);
  const std::string png = SamplePng();
  Outcome running, queued;
  backend->Start(Request(png), running.Callback());
  std::shared_ptr<backend::OcrCall> call = backend->Start(Request(png), queued.Callback());
  call->Cancel();
  ASSERT_TRUE(queued.done.HasBeenNotified());
  EXPECT_EQ(queued.result->status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(ErrorReason(queued.result->status()), "CANCELLED");
  call->Cancel();  // idempotent
  running.done.WaitForNotification();
  // Let the worker reach (and skip) the cancelled job: destroying the backend
  // drains it.
  backend.reset();
  EXPECT_EQ(queued.count(), 1);
  EXPECT_EQ(running.count(), 1);
}

TEST(LocalOcrBackendTest, CancelWhileRunningCompletesOnce) {
  auto backend = MakeBackend(1, 1);
  ASSERT_NE(backend, nullptr);
  Outcome out;
  std::shared_ptr<backend::OcrCall> call = backend->Start(Request(SamplePng()), out.Callback());
  call->Cancel();
  ASSERT_TRUE(out.done.HasBeenNotified());
  EXPECT_EQ(out.result->status().code(), absl::StatusCode::kCancelled);
  backend.reset();  // waits for the worker; it must not complete the call again
  EXPECT_EQ(out.count(), 1);
}

TEST(LocalOcrBackendTest, ExpiredDeadlineIsNotStarted) {
  auto backend = MakeBackend(1, 1);
  ASSERT_NE(backend, nullptr);
  OcrRequest request = Request(SamplePng());
  request.deadline = absl::Now() - absl::Seconds(1);
  Outcome out;
  backend->Start(std::move(request), out.Callback());
  ASSERT_TRUE(out.done.HasBeenNotified());
  EXPECT_EQ(out.result->status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(LocalOcrBackendTest, MissingLanguageFailsCreateWithAHint) {
  reader::LocalEngineOptions options;
  options.workers = 1;
  options.language = "xx_no_such_language";
  absl::StatusOr<std::unique_ptr<reader::LocalOcrBackend>> backend = reader::LocalOcrBackend::Create(options);
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(backend.status().message().find("tesseract-ocr-xx_no_such_language"), std::string::npos);
}

// The pool on its own, with jobs that block until released.
class BlockingJob final : public reader::PoolJob {
 public:
  BlockingJob(absl::Notification* release, std::atomic<int>* ran, std::atomic<int>* dropped)
      : release_(release), ran_(ran), dropped_(dropped) {}
  void Run(tesseract::TessBaseAPI&) override {
    release_->WaitForNotification();
    ++*ran_;
  }
  void Drop() override { ++*dropped_; }

 private:
  absl::Notification* release_;
  std::atomic<int>* ran_;
  std::atomic<int>* dropped_;
};

TEST(TesseractPoolTest, BoundedQueueAndShutdownDropsWaitingJobs) {
  reader::TesseractPoolOptions options;
  options.workers = 1;
  options.max_queued = 1;
  absl::StatusOr<std::unique_ptr<reader::TesseractPool>> pool = reader::TesseractPool::Create(options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  EXPECT_EQ((*pool)->capacity(), 2);
  absl::Notification release;
  std::atomic<int> ran{0}, dropped{0};
  EXPECT_TRUE((*pool)->TrySubmit(std::make_unique<BlockingJob>(&release, &ran, &dropped)));
  EXPECT_TRUE((*pool)->TrySubmit(std::make_unique<BlockingJob>(&release, &ran, &dropped)));
  EXPECT_FALSE((*pool)->TrySubmit(std::make_unique<BlockingJob>(&release, &ran, &dropped)));
  release.Notify();
  pool->reset();
  // Each admitted job either ran or was dropped, once.
  EXPECT_EQ(ran + dropped, 2);
}

}  // namespace
}  // namespace ktp::reader
