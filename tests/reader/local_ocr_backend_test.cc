// The local reader end to end with real Tesseract: the sample card is read
// (fields, photo, qualities, polygons in upload pixels), ktp-synth cards whose
// colon column and photo sit far from the nominal layout are read right, the call
// contract holds — busy pool → RESOURCE_EXHAUSTED with RetryInfo, Cancel →
// CANCELLED exactly once on a reader thread (a queued read at once, not after
// the running one), destruction → UNAVAILABLE / GATEWAY_SHUTTING_DOWN,
// expired deadline, undecodable bytes answered like the upstream's 415, and
// engine failures of any kind typed LOCAL_ENGINE_ERROR. No timing assertions.
#include "reader/local_ocr_backend.h"

#include <tesseract/baseapi.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <new>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/error_details.h"
#include "common/error_reasons.h"
#include "gtest/gtest.h"
#include "reader/engine_guard.h"
#include "reader/image_decoder.h"
#include "reader/tesseract_pool.h"
#include "synth/augment.h"
#include "synth/card_renderer.h"
#include "synth/identity.h"
#include "synth/random.h"
#include "identity/region_directory.h"
#include "tests/reader/exif_test_util.h"

namespace ktp::reader {
namespace {

using backend::Endpoint;
using backend::OcrRequest;
using backend::OcrResult;
using identity::RegionDirectory;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string SamplePng() { return ReadFile(std::string(KTP_SAMPLES_DIR) + "/ktp-synthetic.png"); }

// The order in which several calls completed (by tag).
struct CompletionOrder {
  absl::Mutex mu;
  std::vector<std::string> tags;
  std::vector<std::string> Get() {
    absl::MutexLock lock(&mu);
    return tags;
  }
};

// Collects one call's completions (and counts them: exactly once), and the
// thread the first one ran on.
struct Outcome {
  absl::Mutex mu;
  int calls = 0;
  std::optional<absl::StatusOr<OcrResult>> result;
  std::thread::id thread;
  absl::Notification done;
  CompletionOrder* order = nullptr;
  std::string tag;

  backend::OcrCallback Callback() {
    return [this](absl::StatusOr<OcrResult> r) {
      bool first;
      {
        absl::MutexLock lock(&mu);
        first = ++calls == 1;
        if (first) {
          result = std::move(r);
          thread = std::this_thread::get_id();
        }
      }
      if (first && order != nullptr) {
        absl::MutexLock lock(&order->mu);
        order->tags.push_back(tag);
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
  std::thread::id completed_on() {
    absl::MutexLock lock(&mu);
    return thread;
  }
};

// Long enough for any read of the sample on a loaded machine; a wait that
// long means the completion never came.
constexpr absl::Duration kNeverCame = absl::Seconds(60);

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

// Reads JPEG bytes with qualities.
absl::StatusOr<OcrResult> ReadBytes(reader::LocalOcrBackend& backend, const std::string& jpeg) {
  OcrRequest request = Request(jpeg, Endpoint::kReadWithQualities);
  request.mime_type = "image/jpeg";
  Outcome out;
  backend.Start(std::move(request), out.Callback());
  out.done.WaitForNotification();
  return *out.result;
}

// Reads `bgr` (JPEG-encoded) with qualities.
absl::StatusOr<OcrResult> ReadImage(reader::LocalOcrBackend& backend, const cv::Mat& bgr) {
  absl::StatusOr<std::string> jpeg = reader::EncodeJpeg(bgr, 90);
  if (!jpeg.ok()) return jpeg.status();
  return ReadBytes(backend, *jpeg);
}

// The sample card photographed on a dark table (so its outline is found).
cv::Mat SampleOnATable() {
  absl::StatusOr<cv::Mat> sample = reader::DecodeImage(SamplePng(), 40'000'000);
  EXPECT_TRUE(sample.ok()) << sample.status();
  if (!sample.ok()) return cv::Mat();
  cv::Mat photo(sample->rows * 3 / 2, sample->cols * 3 / 2, CV_8UC3, cv::Scalar(50, 60, 70));
  sample->copyTo(photo(cv::Rect(sample->cols / 4, sample->rows / 4, sample->cols, sample->rows)));
  return photo;
}

// A clean ktp-synth card drawn on `g`, placed upright on a desk, as PNG: the
// identity is drawn to fit g, its name replaced by `name`.
absl::StatusOr<std::string> SynthCardOn(const synth::CardGeometry& g, uint64_t seed,
                                        const std::string& name, synth::Identity* id) {
  synth::Rng rng(seed);
  absl::StatusOr<synth::Identity> drawn = synth::MakeIdentity(
      rng, RegionDirectory::Embedded(),
      [&g](const std::string& slot, const std::string& text) { return synth::TextFitsOn(g, slot, text); });
  if (!drawn.ok()) return drawn.status();
  *id = *std::move(drawn);
  id->name = name;
  synth::AugmentParams clean;
  clean.canvas_factor = 1.2;
  const synth::Augmented placed = synth::Apply(synth::RenderCard(*id, g, rng), clean, rng);
  return synth::Encode(placed.rgb, /*jpeg_quality=*/0);
}

// Real cards do not share one layout: the colon column and the photo move by
// several per cent of the width. The reader finds both on each card, so a
// colon far right of the nominal column is not read as a leading "1" of the
// value, the Balinese name prefix "I" right after a colon far left is not
// taken for the colon, and a photo starting well left of the nominal text
// column is not read into the values.
TEST(LocalOcrBackendTest, ColonColumnAndPhotoAreFoundOnEachCard) {
  auto backend = MakeBackend(1, 1);
  ASSERT_NE(backend, nullptr);
  synth::CardGeometry right = synth::NominalGeometry();
  right.colon_x = 0.293;
  right.value_x = 0.308;
  right.blood_label_x = 0.50;
  right.photo_x0 = 0.688;
  right.photo_x1 = 0.900;
  right.value_right = 0.672;
  synth::CardGeometry left = synth::NominalGeometry();
  left.label_x = 0.024;
  left.indented_label_x = 0.050;
  left.colon_x = 0.228;
  left.value_x = 0.242;
  left.blood_label_x = 0.43;
  left.photo_x0 = 0.752;
  left.photo_x1 = 0.962;
  left.value_right = 0.735;
  struct Case {
    const char* what;
    const synth::CardGeometry* g;
    uint64_t seed;
    const char* name;
  };
  for (const Case& c : {Case{"colon right, photo left", &right, 11, "I WAYAN SUDARTA"},
                        Case{"colon left, photo right", &left, 12, "I KETUT WIRAWAN"}}) {
    SCOPED_TRACE(c.what);
    synth::Identity id;
    absl::StatusOr<std::string> png = SynthCardOn(*c.g, c.seed, c.name, &id);
    ASSERT_TRUE(png.ok()) << png.status();
    Outcome out;
    backend->Start(Request(*png), out.Callback());
    out.done.WaitForNotification();
    ASSERT_TRUE(out.result->ok()) << out.result->status();
    const v1::KtpCard& card = (*out.result)->card;
    const google::protobuf::Descriptor* d = card.GetDescriptor();
    for (const auto& [field, expected] : id.Fields()) {
      const google::protobuf::FieldDescriptor* f = d->FindFieldByName(field);
      ASSERT_NE(f, nullptr) << field;
      const auto& value =
          static_cast<const v1::KtpField&>(card.GetReflection()->GetMessage(card, f));
      EXPECT_EQ(value.value(), expected) << field;
    }
    // The photo crop starts at the photo found on this card, not at the
    // nominal box: its left strip is the photo's backdrop, not card paper.
    absl::StatusOr<cv::Mat> crop =
        reader::DecodeImage((*out.result)->images.photo(), 10'000'000, "image/jpeg");
    ASSERT_TRUE(crop.ok()) << crop.status();
    ASSERT_GT(crop->cols, 50);
    cv::Mat hsv;
    cv::cvtColor((*crop)(cv::Rect(0, 0, crop->cols / 30, crop->rows)), hsv, cv::COLOR_BGR2HSV);
    int photo_pixels = 0;
    for (int y = 0; y < hsv.rows; ++y) {
      for (int x = 0; x < hsv.cols; ++x) {
        const cv::Vec3b& p = hsv.at<cv::Vec3b>(y, x);
        photo_pixels += (p[1] > 100 || p[2] < 150) ? 1 : 0;  // backdrop: vivid or dark; paper: neither
      }
    }
    EXPECT_GT(photo_pixels, hsv.rows * hsv.cols / 2);
  }
}

TEST(LocalOcrBackendTest, SampleTooBlurredToReadIsStillAKtp) {
  auto backend = MakeBackend(1, 1);
  ASSERT_NE(backend, nullptr);
  // Photographed on a dark table (the card's outline must be found), then blurred.
  cv::Mat photo = SampleOnATable();
  ASSERT_FALSE(photo.empty());
  cv::GaussianBlur(photo, photo, cv::Size(), 4.0);
  absl::StatusOr<OcrResult> r = ReadImage(*backend, photo);
  ASSERT_TRUE(r.ok()) << r.status();
  // The light-blue ID-1 card is judged a KTP even when no text reads, and says why it reads badly.
  EXPECT_TRUE(r->qualities.ktp()) << r->qualities.ShortDebugString();
  EXPECT_TRUE(r->qualities.blurred());
  EXPECT_EQ(r->reason, "File Successfully Read");
}


TEST(LocalOcrBackendTest, CardTurnedByAQuarterOrAHalfIsReadUprightAndFlaggedRotated) {
  auto backend = MakeBackend(1, 1);
  ASSERT_NE(backend, nullptr);
  const cv::Mat photo = SampleOnATable();
  ASSERT_FALSE(photo.empty());
  for (cv::RotateFlags turn : {cv::ROTATE_90_CLOCKWISE, cv::ROTATE_180, cv::ROTATE_90_COUNTERCLOCKWISE}) {
    SCOPED_TRACE(static_cast<int>(turn));
    cv::Mat turned;
    cv::rotate(photo, turned, turn);
    absl::StatusOr<OcrResult> r = ReadImage(*backend, turned);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->card.nik().value(), "3174034508920003");
    EXPECT_EQ(r->card.name().value(), "SITI RAHAYU CONTOH");
    EXPECT_TRUE(r->qualities.ktp());
    EXPECT_TRUE(r->qualities.rotated()) << r->qualities.ShortDebugString();
    EXPECT_FALSE(r->qualities.cropped() || r->qualities.blurred() || r->qualities.dark());
  }
  // Upright: not rotated.
  absl::StatusOr<OcrResult> upright = ReadImage(*backend, photo);
  ASSERT_TRUE(upright.ok()) << upright.status();
  EXPECT_EQ(upright->card.nik().value(), "3174034508920003");
  EXPECT_FALSE(upright->qualities.rotated());
}

TEST(LocalOcrBackendTest, APhotocopyOnItsSheetIsReadAsAWholeCardAndFlaggedCopy) {
  auto backend = MakeBackend(1, 1);
  ASSERT_NE(backend, nullptr);
  absl::StatusOr<cv::Mat> sample = reader::DecodeImage(SamplePng(), 40'000'000);
  ASSERT_TRUE(sample.ok()) << sample.status();
  // The card photocopied (grey, its edge a grey line) in the middle of a
  // sheet cut to 1.25, the sheet on a desk, photographed large.
  cv::Mat grey, copy;
  cv::cvtColor(*sample, grey, cv::COLOR_BGR2GRAY);
  cv::resize(grey, grey, cv::Size(), 1.5, 1.5, cv::INTER_CUBIC);
  cv::cvtColor(grey, copy, cv::COLOR_GRAY2BGR);
  cv::rectangle(copy, cv::Rect(0, 0, copy.cols, copy.rows), cv::Scalar(120, 120, 120), 4);
  const int sheet_w = 2200, sheet_h = 1760;
  cv::Mat photo(sheet_h + 300, sheet_w + 300, CV_8UC3, cv::Scalar(45, 50, 60));
  photo(cv::Rect(150, 150, sheet_w, sheet_h)).setTo(cv::Scalar(240, 240, 240));
  copy.copyTo(photo(cv::Rect(150 + (sheet_w - copy.cols) / 2, 150 + (sheet_h - copy.rows) / 2, copy.cols,
                             copy.rows)));
  absl::StatusOr<OcrResult> r = ReadImage(*backend, photo);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->card.nik().value(), "3174034508920003");
  EXPECT_EQ(r->card.name().value(), "SITI RAHAYU CONTOH");
  EXPECT_TRUE(r->qualities.ktp());
  EXPECT_TRUE(r->qualities.copy()) << r->qualities.ShortDebugString();
  // Measured on the card, not on the sheet: its print is as sharp as the copy's.
  EXPECT_FALSE(r->qualities.blurred() || r->qualities.cropped() || r->qualities.rotated() ||
               r->qualities.bright() || r->qualities.dark())
      << r->qualities.ShortDebugString();
}

TEST(LocalOcrBackendTest, ExifOrientedJpegIsTurnedAtDecodeAndNotFlaggedRotated) {
  auto backend = MakeBackend(1, 1);
  ASSERT_NE(backend, nullptr);
  const cv::Mat photo = SampleOnATable();
  ASSERT_FALSE(photo.empty());
  // The sensor's pixels are sideways; the tag says "turn 90° clockwise to view" (6)
  // or "turn 90° counter-clockwise" (8), as a phone held sideways writes.
  for (int orientation : {6, 8, 3}) {
    SCOPED_TRACE(orientation);
    cv::Mat stored;
    cv::rotate(photo, stored,
               orientation == 6   ? cv::ROTATE_90_COUNTERCLOCKWISE
               : orientation == 8 ? cv::ROTATE_90_CLOCKWISE
                                  : cv::ROTATE_180);
    absl::StatusOr<std::string> jpeg = reader::EncodeJpeg(stored, 90);
    ASSERT_TRUE(jpeg.ok());
    absl::StatusOr<OcrResult> r = ReadBytes(*backend, testing::WithExifOrientation(*jpeg, orientation));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->card.nik().value(), "3174034508920003");
    EXPECT_TRUE(r->qualities.ktp());
    EXPECT_FALSE(r->qualities.rotated()) << r->qualities.ShortDebugString();
  }
}

// How many of the card's 17 fields came back non-empty.
int FieldsRead(const v1::KtpCard& card) {
  int n = 0;
  for (const auto& f : {card.nik(), card.name(), card.birth_place(), card.birth_date(), card.sex(),
                        card.blood_type(), card.address(), card.rt_rw(), card.village(),
                        card.district(), card.religion(), card.marital_status(), card.occupation(),
                        card.nationality(), card.valid_until(), card.province(), card.city_regency()}) {
    n += f.value().empty() ? 0 : 1;
  }
  return n;
}

TEST(LocalOcrBackendTest, BlurredCardIsReadAgainDeconvolved) {
  auto backend = MakeBackend(1, 1);
  ASSERT_NE(backend, nullptr);
  cv::Mat photo = SampleOnATable();
  ASSERT_FALSE(photo.empty());
  // Read as photographed, 4 and 3 of the 17 fields come back at these blurs.
  for (const auto& [sigma, at_least] : {std::pair{2.5, 15}, std::pair{3.0, 9}}) {
    cv::Mat soft;
    cv::GaussianBlur(photo, soft, cv::Size(), sigma);
    absl::StatusOr<OcrResult> r = ReadImage(*backend, soft);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_GE(FieldsRead(r->card), at_least) << "blur " << sigma;
    EXPECT_EQ(r->card.nik().value(), "3174034508920003") << "blur " << sigma;
    // The flags judge the card as photographed, not as sharpened.
    EXPECT_TRUE(r->qualities.blurred()) << "blur " << sigma;
  }
}

TEST(LocalOcrBackendTest, BlurredDarkAndCroppedCardsSayWhy) {
  auto backend = MakeBackend(1, 1);
  ASSERT_NE(backend, nullptr);
  const cv::Mat photo = SampleOnATable();
  ASSERT_FALSE(photo.empty());
  {
    // Clearly soft (σ 2): flagged, whether or not it still reads.
    cv::Mat soft;
    cv::GaussianBlur(photo, soft, cv::Size(), 2.0);
    absl::StatusOr<OcrResult> r = ReadImage(*backend, soft);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->qualities.ktp());
    EXPECT_TRUE(r->qualities.blurred()) << r->qualities.ShortDebugString();
  }
  {
    absl::StatusOr<OcrResult> r = ReadImage(*backend, photo * 0.3);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->qualities.ktp());
    EXPECT_TRUE(r->qualities.dark()) << r->qualities.ShortDebugString();
    EXPECT_FALSE(r->qualities.blurred());
  }
  {
    // The right fifth of the card cut off by the frame.
    const int card_left = photo.cols / 6, card_width = photo.cols * 2 / 3;
    const int cut = card_left + card_width * 4 / 5;
    absl::StatusOr<OcrResult> r = ReadImage(*backend, photo(cv::Rect(0, 0, cut, photo.rows)).clone());
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->qualities.ktp());
    EXPECT_TRUE(r->qualities.cropped()) << r->qualities.ShortDebugString();
  }
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

TEST(LocalOcrBackendTest, CancelOfAQueuedReadCompletesOnAReaderThreadBeforeTheRunningRead) {
  auto backend = MakeBackend(1, 1);
  ASSERT_NE(backend, nullptr);
  const std::string png = SamplePng();
  CompletionOrder order;
  Outcome running, queued;
  running.order = queued.order = &order;
  running.tag = "running";
  queued.tag = "queued";
  backend->Start(Request(png), running.Callback());
  std::shared_ptr<backend::OcrCall> call = backend->Start(Request(png), queued.Callback());
  call->Cancel();
  // Cancel only signals: the completion comes from the reader, not from
  // inside Cancel on this (the caller's, a gRPC) thread...
  ASSERT_TRUE(queued.done.WaitForNotificationWithTimeout(kNeverCame));
  EXPECT_NE(queued.completed_on(), std::this_thread::get_id());
  EXPECT_EQ(queued.result->status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(ErrorReason(queued.result->status()), reasons::kCancelled);
  call->Cancel();  // idempotent
  ASSERT_TRUE(running.done.WaitForNotificationWithTimeout(kNeverCame));
  EXPECT_TRUE(running.result->ok()) << running.result->status();
  // ...and at once, not when the only worker is free again.
  EXPECT_EQ(order.Get(), (std::vector<std::string>{"queued", "running"}));
  backend.reset();
  EXPECT_EQ(queued.count(), 1);
  EXPECT_EQ(running.count(), 1);
}

TEST(LocalOcrBackendTest, CancelWhileRunningCompletesOnceOnAReaderThread) {
  auto backend = MakeBackend(1, 1);
  ASSERT_NE(backend, nullptr);
  Outcome out;
  std::shared_ptr<backend::OcrCall> call = backend->Start(Request(SamplePng()), out.Callback());
  call->Cancel();
  ASSERT_TRUE(out.done.WaitForNotificationWithTimeout(kNeverCame));
  EXPECT_NE(out.completed_on(), std::this_thread::get_id());
  EXPECT_EQ(out.result->status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(ErrorReason(out.result->status()), reasons::kCancelled);
  call->Cancel();
  backend.reset();  // waits for the worker; it must not complete the call again
  EXPECT_EQ(out.count(), 1);
}

TEST(LocalOcrBackendTest, DestroyingTheBackendFailsUnfinishedReadsWithShuttingDown) {
  auto backend = MakeBackend(1, 1);
  ASSERT_NE(backend, nullptr);
  const std::string png = SamplePng();
  // One read running (or about to), one waiting for the only worker; each
  // takes far longer than getting to the next line.
  Outcome first, second;
  backend->Start(Request(png), first.Callback());
  backend->Start(Request(png), second.Callback());
  backend.reset();
  for (Outcome* o : {&first, &second}) {
    ASSERT_TRUE(o->done.HasBeenNotified());
    // Like the REST client's: the gateway went away, not the caller.
    EXPECT_EQ(o->result->status().code(), absl::StatusCode::kUnavailable) << o->result->status();
    EXPECT_EQ(ErrorReason(o->result->status()), reasons::kGatewayShuttingDown);
    EXPECT_NE(o->completed_on(), std::this_thread::get_id());
    EXPECT_EQ(o->count(), 1);
  }
}

TEST(LocalOcrBackendTest, ReadCancelledWhileQueuedHearsCancelledEvenAtShutdown) {
  auto backend = MakeBackend(1, 2);
  ASSERT_NE(backend, nullptr);
  const std::string png = SamplePng();
  Outcome running, cancelled;
  backend->Start(Request(png), running.Callback());
  std::shared_ptr<backend::OcrCall> call = backend->Start(Request(png), cancelled.Callback());
  call->Cancel();
  backend.reset();
  ASSERT_TRUE(cancelled.done.HasBeenNotified());
  EXPECT_EQ(cancelled.result->status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(ErrorReason(cancelled.result->status()), reasons::kCancelled);
  EXPECT_EQ(cancelled.count(), 1);
  ASSERT_TRUE(running.done.HasBeenNotified());
  EXPECT_EQ(running.count(), 1);
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

// Engine failures: typed, whatever was thrown, and without the thrown text
// (which may quote the image's content).
TEST(LocalOcrBackendEngineGuardTest, AnyExceptionBecomesLocalEngineError) {
  const auto expect_engine_error = [](const absl::Status& s) {
    EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s;
    EXPECT_EQ(ErrorReason(s), reasons::kLocalEngineError) << s;
    EXPECT_EQ(s.message().find("3174034508920003"), absl::string_view::npos) << s;
  };
  expect_engine_error(reader::GuardEngine("decode", []() -> absl::Status {
    throw std::runtime_error("NIK 3174034508920003 did not fit");
  }));
  expect_engine_error(reader::GuardEngine("decode", []() -> absl::StatusOr<cv::Mat> {
    throw std::bad_alloc();
  }).status());
  // What OpenCV throws on misuse.
  expect_engine_error(reader::GuardEngine("rectify", []() -> absl::StatusOr<cv::Mat> {
    cv::Mat m(2, 2, CV_8UC3);
    cv::Mat grey;
    cv::cvtColor(m, grey, cv::COLOR_GRAY2BGR);  // 3 channels in, 1 expected: throws
    return grey;
  }).status());
  // Not a std::exception at all (a C++ library may throw anything).
  struct Opaque {};
  expect_engine_error(reader::GuardEngine("ocr", []() -> absl::Status { throw Opaque{}; }));
  expect_engine_error(reader::GuardEngine("ocr", []() -> absl::Status {
    throw "3174034508920003";
  }));
  // Nothing thrown: the result passes through untouched.
  absl::StatusOr<int> fine = reader::GuardEngine("ocr", []() -> absl::StatusOr<int> { return 7; });
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ(*fine, 7);
}

TEST(LocalOcrBackendEngineGuardTest, UntypedErrorsGetAnErrorInfoTypedOnesKeepTheirs) {
  const absl::Status bare =
      reader::TypedOrEngineError(absl::InternalError("rectification failed"), "rectify");
  EXPECT_EQ(bare.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorReason(bare), reasons::kLocalEngineError);
  const absl::Status typed = MakeError(absl::StatusCode::kInvalidArgument,
                                       reasons::kFileInvalidFormat, "not an image");
  EXPECT_EQ(reader::TypedOrEngineError(typed, "decode"), typed);
  EXPECT_TRUE(reader::TypedOrEngineError(absl::OkStatus(), "decode").ok());
}

TEST(LocalOcrBackendEngineGuardTest, TesseractFailureIsLocalEngineError) {
  tesseract::TessBaseAPI engine;
  ASSERT_EQ(engine.Init(nullptr, "ind", tesseract::OEM_LSTM_ONLY), 0);
  // Tesseract is handed something it cannot read (colour, not 8-bit grey).
  absl::StatusOr<std::vector<OcrLine>> lines = reader::ReadTextLines(
      engine, cv::Mat(40, 40, CV_8UC3, cv::Scalar(255, 255, 255)), 1.0, cv::Point(0, 0),
      [] { return false; });
  ASSERT_FALSE(lines.ok());
  EXPECT_EQ(lines.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorReason(lines.status()), reasons::kLocalEngineError);
  engine.End();
}

// White canvas with `text` in black, Hershey duplex, ~34 px high.
cv::Mat TextImage(const std::string& text) {
  cv::Mat grey(90, 40 + 32 * static_cast<int>(text.size()), CV_8UC1, cv::Scalar(255));
  cv::putText(grey, text, cv::Point(20, 62), cv::FONT_HERSHEY_DUPLEX, 1.3, cv::Scalar(0), 2, cv::LINE_AA);
  return grey;
}

TEST(ReadDigitLineTest, ReadsOnlyDigitsAndRestoresTheEngine) {
  tesseract::TessBaseAPI engine;
  ASSERT_EQ(engine.Init(nullptr, "ind", tesseract::OEM_LSTM_ONLY), 0);
  engine.SetPageSegMode(tesseract::PSM_SINGLE_BLOCK);
  // A NIK line with the label's colon before it; the box cuts off the label.
  const cv::Mat nik = TextImage("NIK : 3204124708850003");
  absl::StatusOr<DigitLine> digits =
      ReadDigitLine(engine, nik, cv::Rect(150, 0, nik.cols - 150, nik.rows), [] { return false; });
  ASSERT_TRUE(digits.ok()) << digits.status();
  EXPECT_NE(digits->digits.find("3204124708850003"), std::string::npos) << digits->digits;
  EXPECT_EQ(digits->confidence.size(), digits->digits.size());
  // The engine reads letters again, as a block.
  EXPECT_EQ(engine.GetPageSegMode(), tesseract::PSM_SINGLE_BLOCK);
  absl::StatusOr<std::vector<OcrLine>> words =
      ReadTextLines(engine, TextImage("KAWIN"), 1.0, cv::Point(0, 0), [] { return false; });
  ASSERT_TRUE(words.ok());
  ASSERT_FALSE(words->empty());
  EXPECT_EQ((*words)[0].text, "KAWIN");
  // Nothing to read: an error, and the engine is still restored.
  EXPECT_FALSE(ReadDigitLine(engine, nik, cv::Rect(-50, -50, 10, 10), [] { return false; }).ok());
  EXPECT_EQ(engine.GetPageSegMode(), tesseract::PSM_SINGLE_BLOCK);
  engine.End();
}

TEST(LocalOcrBackendEngineGuardTest, JpegEncoderFailureIsLocalEngineError) {
  absl::StatusOr<std::string> jpeg = reader::EncodeJpeg(cv::Mat(), 85);
  ASSERT_FALSE(jpeg.ok());
  EXPECT_EQ(jpeg.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorReason(jpeg.status()), reasons::kLocalEngineError);
}

// The pool on its own, with jobs that block until released.
struct JobLog {
  absl::Mutex mu;
  int ran = 0;
  std::vector<reader::SkipReason> skipped;
  std::vector<std::thread::id> skip_threads;
  absl::Notification running;  // the first job is on the worker
  int runs() {
    absl::MutexLock lock(&mu);
    return ran;
  }
  std::vector<reader::SkipReason> skips() {
    absl::MutexLock lock(&mu);
    return skipped;
  }
};

class BlockingJob final : public reader::PoolJob {
 public:
  // Runs until `release` is notified, or (`until_shutdown`) until the pool
  // says it is shutting down.
  BlockingJob(absl::Notification* release, JobLog* log, bool until_shutdown = false)
      : release_(release), log_(log), until_shutdown_(until_shutdown) {}
  void Run(tesseract::TessBaseAPI&, const std::atomic<bool>& shutting_down) override {
    if (!log_->running.HasBeenNotified()) log_->running.Notify();
    if (until_shutdown_) {
      while (!shutting_down.load()) absl::SleepFor(absl::Milliseconds(1));
    } else {
      release_->WaitForNotification();
    }
    absl::MutexLock lock(&log_->mu);
    ++log_->ran;
  }
  void Skip(reader::SkipReason why) override {
    absl::MutexLock lock(&log_->mu);
    log_->skipped.push_back(why);
    log_->skip_threads.push_back(std::this_thread::get_id());
  }
  bool Abandoned() const override { return abandoned.load(); }

  std::atomic<bool> abandoned{false};

 private:
  absl::Notification* release_;
  JobLog* log_;
  bool until_shutdown_;
};

std::unique_ptr<reader::TesseractPool> MakePool(int workers, int max_queued) {
  reader::TesseractPoolOptions options;
  options.workers = workers;
  options.max_queued = max_queued;
  absl::StatusOr<std::unique_ptr<reader::TesseractPool>> pool = reader::TesseractPool::Create(options);
  EXPECT_TRUE(pool.ok()) << pool.status();
  return pool.ok() ? std::move(*pool) : nullptr;
}

using Admission = reader::TesseractPool::Admission;

TEST(LocalOcrBackendPoolTest, BoundedQueueAndShutdownSkipsWaitingJobs) {
  auto pool = MakePool(1, 1);
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->capacity(), 2);
  absl::Notification release;
  JobLog log;
  EXPECT_EQ(pool->TrySubmit(std::make_unique<BlockingJob>(&release, &log)), Admission::kAdmitted);
  EXPECT_EQ(pool->TrySubmit(std::make_unique<BlockingJob>(&release, &log)), Admission::kAdmitted);
  // Full: told apart from shutting down (BUSY vs GATEWAY_SHUTTING_DOWN).
  EXPECT_EQ(pool->TrySubmit(std::make_unique<BlockingJob>(&release, &log)), Admission::kFull);
  log.running.WaitForNotification();
  release.Notify();
  pool.reset();
  // Each admitted job either ran or was skipped, once.
  EXPECT_EQ(log.runs() + static_cast<int>(log.skips().size()), 2);
  for (reader::SkipReason why : log.skips()) EXPECT_EQ(why, reader::SkipReason::kShuttingDown);
}

TEST(LocalOcrBackendPoolTest, AbandonedQueuedJobIsSkippedWhileTheWorkerIsBusy) {
  auto pool = MakePool(1, 1);
  ASSERT_NE(pool, nullptr);
  absl::Notification release;
  JobLog log;
  ASSERT_EQ(pool->TrySubmit(std::make_unique<BlockingJob>(&release, &log)), Admission::kAdmitted);
  log.running.WaitForNotification();
  auto queued = std::make_unique<BlockingJob>(&release, &log);
  BlockingJob* queued_job = queued.get();
  ASSERT_EQ(pool->TrySubmit(std::move(queued)), Admission::kAdmitted);
  queued_job->abandoned = true;
  pool->waker()->Wake();
  // Skipped by the pool's own thread while the only worker is still blocked
  // (release has not been notified): cancellation does not wait for it.
  for (int i = 0; i < 60'000 && log.skips().empty(); ++i) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_EQ(log.skips(), std::vector<reader::SkipReason>{reader::SkipReason::kAbandoned});
  EXPECT_EQ(log.runs(), 0);
  {
    absl::MutexLock lock(&log.mu);
    EXPECT_NE(log.skip_threads[0], std::this_thread::get_id());
  }
  // Its place is free again at once.
  EXPECT_EQ(pool->TrySubmit(std::make_unique<BlockingJob>(&release, &log)), Admission::kAdmitted);
  release.Notify();
  // Both remaining jobs run (the abandoned one never does).
  for (int i = 0; i < 60'000 && log.runs() < 2; ++i) absl::SleepFor(absl::Milliseconds(1));
  pool.reset();
  EXPECT_EQ(log.runs(), 2);
  EXPECT_EQ(log.skips().size(), 1u);
}

TEST(LocalOcrBackendPoolTest, ShutdownStopsRunningJobsAndRefusesNewOnes) {
  auto pool = MakePool(1, 1);
  ASSERT_NE(pool, nullptr);
  absl::Notification never;
  JobLog log;
  ASSERT_EQ(pool->TrySubmit(std::make_unique<BlockingJob>(&never, &log, /*until_shutdown=*/true)),
            Admission::kAdmitted);
  log.running.WaitForNotification();
  ASSERT_EQ(pool->TrySubmit(std::make_unique<BlockingJob>(&never, &log)), Admission::kAdmitted);
  // Returns only because the running job sees the flag and stops.
  pool->Shutdown();
  EXPECT_EQ(log.runs(), 1);
  EXPECT_EQ(log.skips(), std::vector<reader::SkipReason>{reader::SkipReason::kShuttingDown});
  // A read started now is told the gateway is going away, not that it is busy.
  EXPECT_EQ(pool->TrySubmit(std::make_unique<BlockingJob>(&never, &log)), Admission::kShuttingDown);
  pool->Shutdown();  // idempotent
  pool.reset();
  EXPECT_EQ(log.runs(), 1);
  EXPECT_EQ(log.skips().size(), 1u);
}

}  // namespace
}  // namespace ktp::reader
