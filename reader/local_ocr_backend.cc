// The local (offline) reader's OcrBackend: request plumbing (admission, cancel,
// deadline, shutdown, exactly-once completion on a reader thread) and the
// per-read pipeline run on a pool worker: decode → locate/rectify → quality →
// OCR → parse → map back → crops, each engine stage behind GuardEngine and a
// stop check between stages. See local_ocr_backend.h.
#include "reader/local_ocr_backend.h"

#include <atomic>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/error_details.h"
#include "common/error_reasons.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "reader/card_layout.h"
#include "reader/card_locator.h"
#include "reader/engine_guard.h"
#include "reader/field_parser.h"
#include "reader/image_decoder.h"
#include "reader/image_quality.h"
#include "identity/region_directory.h"
#include "reader/tesseract_pool.h"

namespace ktp::reader {

using identity::RegionDirectory;
namespace {

using backend::Endpoint;
using backend::OcrCallback;
using backend::OcrRequest;
using backend::OcrResult;

// The text column is OCR'd at this multiple of the canonical card size: row
// text is ~23 px high at 1×, below what Tesseract's LSTM reads best.
constexpr double kOcrScale = 1.5;
constexpr int kCropJpegQuality = 85;
// Below this fraction of the card height only the text column is read; above
// it the two centred header lines, which may be wider.
constexpr double kHeaderBandBottom = 0.19;
// Where the label/value colons sit (fractions of the card width; the layout
// puts them at kColonX ≈ 0.265, values start at kValueX = 0.285).
constexpr double kColonColumn[2] = {0.240, 0.279};

// The upstream's documented reasons (see the upstream README's status table).
constexpr char kReasonRead[] = "File Successfully Read";
constexpr char kReasonNotKtp[] = "File successfully read. Some fields are invalid.";

absl::Status Cancelled() {
  return MakeError(absl::StatusCode::kCancelled, reasons::kCancelled, "the call was cancelled");
}

// As the REST client answers when the gateway stops under it: UNAVAILABLE, so
// a client retries elsewhere (another replica) rather than treating the read
// as abandoned by itself.
absl::Status ShuttingDown() {
  return MakeError(absl::StatusCode::kUnavailable, reasons::kGatewayShuttingDown,
                   "the gateway is shutting down");
}

absl::Status DeadlineExceeded() {
  return MakeError(absl::StatusCode::kDeadlineExceeded, reasons::kLocalEngineTimeout,
                   "the local OCR engine did not finish before the deadline");
}

absl::Status Busy(int capacity) {
  absl::Status s = MakeError(absl::StatusCode::kResourceExhausted, reasons::kLocalEngineBusy,
                             "every local OCR worker is busy; retry shortly",
                             {{"capacity", std::to_string(capacity)}});
  AddRetryInfo(s, absl::Seconds(1));
  return s;
}

// One read's handle and its exactly-once completion. Cancel only raises a
// flag and wakes the pool: the completion (CANCELLED) then runs on a reader
// thread — the pool's housekeeping thread for a queued read, the read's worker
// at its next stop check for a running one — never on the canceller's thread,
// as OcrBackend promises.
class LocalCall final : public backend::OcrCall {
 public:
  LocalCall(OcrCallback done, std::shared_ptr<PoolWaker> waker)
      : done_(std::move(done)), waker_(std::move(waker)) {}

  void Cancel() override {
    if (cancelled_.exchange(true, std::memory_order_acq_rel)) return;
    if (!completed()) waker_->Wake();
  }

  // Runs the callback unless it already ran; true when this call ran it.
  bool Complete(absl::StatusOr<OcrResult> result) {
    if (completed_.exchange(true, std::memory_order_acq_rel)) return false;
    OcrCallback done = std::move(done_);
    std::move(done)(std::move(result));
    return true;
  }

  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  bool completed() const { return completed_.load(std::memory_order_acquire); }

 private:
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> completed_{false};
  OcrCallback done_;  // touched only by the thread that wins `completed_`
  const std::shared_ptr<PoolWaker> waker_;
};

// Keeps only what the request asked for; maps polygons from canonical card
// pixels to the uploaded image's pixels.
void ShapeFields(v1::KtpCard& card, const v1::ReadOptions& options, const CardLocation& loc) {
  const google::protobuf::Descriptor* d = card.GetDescriptor();
  const google::protobuf::Reflection* r = card.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    if (f->message_type() != v1::KtpField::descriptor() || !r->HasField(card, f)) continue;
    auto* field = static_cast<v1::KtpField*>(r->MutableMessage(&card, f));
    if (!options.with_raw_text()) field->clear_raw_text();
    if (!options.with_confidence_field()) field->clear_confidence_field();
    if (!options.with_polygon()) {
      field->clear_polygons();
      continue;
    }
    for (v1::Polygon& poly : *field->mutable_polygons()) {
      for (v1::Vertex& v : *poly.mutable_vertices()) {
        const cv::Point2f p = CardToImage(loc, cv::Point2f(v.x(), v.y()));
        v.set_x(static_cast<int32_t>(std::lround(p.x)));
        v.set_y(static_cast<int32_t>(std::lround(p.y)));
      }
    }
  }
}

cv::Mat Crop(const cv::Mat& card, const layout::Rect& r) {
  const cv::Rect roi(cv::Point(static_cast<int>(r.x0 * card.cols), static_cast<int>(r.y0 * card.rows)),
                     cv::Point(static_cast<int>(r.x1 * card.cols), static_cast<int>(r.y1 * card.rows)));
  return card(roi & cv::Rect(0, 0, card.cols, card.rows));
}

// Grey, with uneven lighting divided out: the background (text removed by a
// closing on a 1/4-size copy) is estimated and the image divided by it, so a
// flash spot, a dark corner or a lifted level all become paper-white behind
// dark text before Tesseract's global threshold sees them.
cv::Mat PrepareForOcr(const cv::Mat& bgr) {
  cv::Mat grey;
  cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  cv::Mat small, bg;
  cv::resize(grey, small, cv::Size(), 0.25, 0.25, cv::INTER_AREA);
  cv::morphologyEx(small, bg, cv::MORPH_CLOSE,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(15, 15)));
  cv::GaussianBlur(bg, bg, cv::Size(0, 0), 3);
  cv::resize(bg, bg, grey.size(), 0, 0, cv::INTER_LINEAR);
  cv::Mat flat;
  cv::divide(grey, cv::max(bg, 1), flat, 255.0, CV_8U);
  return flat;
}

// What Tesseract sees: the header band across the whole width (long province
// names run past the text column), below it only the text column; the photo,
// signature and issue place/date are painted white rather than cropped so
// coordinates stay those of the card.
cv::Mat TextOnly(cv::Mat grey) {
  const int header_bottom = static_cast<int>(kHeaderBandBottom * grey.rows);
  const int x1 = static_cast<int>(layout::kTextArea.x1 * grey.cols);
  if (header_bottom < grey.rows && x1 < grey.cols) {
    grey(cv::Rect(x1, header_bottom, grey.cols - x1, grey.rows - header_bottom)).setTo(255);
  }
  return grey;
}

// Tesseract often reads the colon between label and value as "1", "I" or
// "|" ("Nama 1 YUDI"). A narrow glyph centred on the colon column is the
// colon, whatever it was read as.
void FixColonColumn(std::vector<OcrLine>& lines) {
  const double lo = kColonColumn[0] * layout::kCardWidth, hi = kColonColumn[1] * layout::kCardWidth;
  for (OcrLine& line : lines) {
    bool changed = false;
    for (OcrWord& w : line.words) {
      const double centre = w.box.x + w.box.w / 2.0;
      if (centre < lo || centre > hi || w.box.w > 0.025 * layout::kCardWidth) continue;
      if (w.text.empty() || w.text.size() > 2) continue;
      if (w.text.find_first_not_of("1Il|!i:;") != std::string::npos) continue;
      if (w.text != ":") {
        w.text = ":";
        changed = true;
      }
    }
    if (!changed) continue;
    line.text.clear();
    for (const OcrWord& w : line.words) {
      if (!line.text.empty()) line.text += ' ';
      line.text += w.text;
    }
  }
}

// What the parsed text says about the image being a KTP, for JudgeQuality: the
// label count, a PROVINSI header naming a real province, a NIK whose 16
// digits start with an existing district code.
KtpTextEvidence TextEvidence(const ParsedCard& parsed, const RegionDirectory& regions) {
  KtpTextEvidence e;
  e.labels_found = parsed.labels_found;
  const std::string& province = parsed.card.province().value();
  for (const Region* r : regions.Level(1)) {
    if (!province.empty() && r->ktp_name == province) e.province_header = true;
  }
  const std::string& nik = parsed.card.nik().value();
  e.valid_nik = nik.size() == 16 &&
                nik.find_first_not_of("0123456789") == std::string::npos &&
                regions.Find(RegionDirectory::DistrictCodeOfNik(nik)) != nullptr;
  return e;
}

class ReadJob final : public PoolJob {
 public:
  ReadJob(std::shared_ptr<LocalCall> call, OcrRequest request, std::string bytes, long max_pixels)
      : call_(std::move(call)),
        endpoint_(request.endpoint),
        options_(std::move(request.options)),
        deadline_(request.deadline),
        mime_type_(std::move(request.mime_type)),
        bytes_(std::move(bytes)),
        max_pixels_(max_pixels) {}

  void Run(tesseract::TessBaseAPI& engine, const std::atomic<bool>& shutting_down) override {
    shutting_down_ = &shutting_down;
    absl::StatusOr<OcrResult> result;
    if (absl::Status why = Interruption(); !why.ok()) {
      result = std::move(why);  // cancelled, shut down or expired while queued
    } else {
      // Each stage guards its own engine calls; this guard is for what lies
      // between them (protobuf reflection, allocations).
      result = GuardEngine("read", [&] { return Read(engine); });
    }
    if (!result.ok()) result = TypedOrEngineError(result.status(), "read");
    // A caller who cancelled before the read finished hears CANCELLED, as
    // OcrCall::Cancel promises, not whatever the read came to meanwhile.
    if (call_->cancelled()) result = Cancelled();
    // Outside the guard: the callback is the caller's code.
    call_->Complete(std::move(result));
  }

  void Skip(SkipReason why) override {
    // A caller who cancelled hears CANCELLED, whatever else happened since.
    if (call_->cancelled() || why == SkipReason::kAbandoned) {
      call_->Complete(Cancelled());
    } else {
      call_->Complete(ShuttingDown());
    }
  }

  bool Abandoned() const override { return call_->cancelled(); }

 private:
  // Why the read must stop now, if it must: checked before each stage and
  // polled by Tesseract while it recognises. Cancelled by the caller first
  // (they asked), then the gateway shutting down, then the deadline.
  absl::Status Interruption() const {
    if (call_->cancelled()) return Cancelled();
    if (PoolStopping()) return ShuttingDown();
    if (absl::Now() >= deadline_) return DeadlineExceeded();
    return absl::OkStatus();
  }
  // The same question without building the answer, for Tesseract's frequent polls.
  bool MustStop() const { return call_->cancelled() || PoolStopping() || absl::Now() >= deadline_; }
  bool PoolStopping() const {
    return shutting_down_ != nullptr && shutting_down_->load(std::memory_order_acquire);
  }

  absl::StatusOr<OcrResult> Read(tesseract::TessBaseAPI& engine) {
    absl::StatusOr<cv::Mat> image = DecodeImage(bytes_, max_pixels_, mime_type_);
    std::string().swap(bytes_);  // the upload is no longer needed
    if (!image.ok()) return image.status();
    if (absl::Status s = Interruption(); !s.ok()) return s;

    struct Rectified {
      CardLocation loc;
      cv::Mat card, ocr_grey;
    };
    absl::StatusOr<Rectified> rectified = GuardEngine("rectify", [&]() -> absl::StatusOr<Rectified> {
      Rectified r;
      r.loc = LocateCard(*image);
      r.card = RectifyCard(*image, r.loc, cv::Size(layout::kCardWidth, layout::kCardHeight));
      const cv::Mat ocr_card = RectifyCard(
          *image, r.loc,
          cv::Size(static_cast<int>(layout::kCardWidth * kOcrScale),
                   static_cast<int>(layout::kCardHeight * kOcrScale)));
      image->release();
      if (r.card.empty() || ocr_card.empty()) return EngineError("rectify");
      r.ocr_grey = TextOnly(PrepareForOcr(ocr_card));
      return r;
    });
    if (!rectified.ok()) return rectified.status();
    if (absl::Status s = Interruption(); !s.ok()) return s;
    const CardLocation& loc = rectified->loc;
    const cv::Mat& card = rectified->card;

    auto should_stop = [this] { return MustStop(); };
    absl::StatusOr<std::vector<OcrLine>> lines =
        ReadTextLines(engine, rectified->ocr_grey, kOcrScale, cv::Point(0, 0), should_stop);
    rectified->ocr_grey.release();
    if (!lines.ok()) {
      // Stopped on request: say whose.
      if (absl::IsCancelled(lines.status())) {
        absl::Status why = Interruption();
        return why.ok() ? DeadlineExceeded() : why;
      }
      return lines.status();
    }

    FixColonColumn(*lines);
    ParsedCard parsed = ParseKtpText(*lines, RegionDirectory::Embedded());
    absl::StatusOr<v1::ImageQualities> qualities =
        GuardEngine("quality", [&]() -> absl::StatusOr<v1::ImageQualities> {
          return JudgeQuality(MeasureQuality(card), loc,
                              TextEvidence(parsed, RegionDirectory::Embedded()));
        });
    if (!qualities.ok()) return qualities.status();

    OcrResult result;
    result.status = v1::READ_STATUS_SUCCESS;
    result.reason = qualities->ktp() ? kReasonRead : kReasonNotKtp;
    result.engine = v1::ENGINE_LOCAL;
    result.attempts = 1;
    result.card = std::move(parsed.card);
    ShapeFields(result.card, options_, loc);
    if (endpoint_ == Endpoint::kReadWithQualities) {
      result.has_qualities = true;
      result.qualities = *std::move(qualities);
    }
    // The crops are extras: a read without them is still a read.
    absl::StatusOr<std::string> photo = GuardEngine(
        "crop", [&] { return EncodeJpeg(Crop(card, layout::kPhoto), kCropJpegQuality); });
    if (photo.ok()) *result.images.mutable_photo() = std::move(*photo);
    absl::StatusOr<std::string> sign = GuardEngine(
        "crop", [&] { return EncodeJpeg(Crop(card, layout::kSignature), kCropJpegQuality); });
    if (sign.ok()) *result.images.mutable_signature() = std::move(*sign);
    return result;
  }

  std::shared_ptr<LocalCall> call_;
  Endpoint endpoint_;
  v1::ReadOptions options_;
  absl::Time deadline_;
  std::string mime_type_;  // as sniffed by the gateway: picks the decoder
  std::string bytes_;
  long max_pixels_;
  const std::atomic<bool>* shutting_down_ = nullptr;  // the pool's, set by Run
};

}  // namespace

absl::StatusOr<std::unique_ptr<LocalOcrBackend>> LocalOcrBackend::Create(
    const LocalEngineOptions& options) {
  TesseractPoolOptions pool_options;
  pool_options.workers = options.workers;
  pool_options.max_queued = options.max_queued;
  pool_options.tessdata_dir = options.tessdata_dir;
  pool_options.language = options.language;
  pool_options.max_pixels = options.max_pixels;
  absl::StatusOr<std::unique_ptr<TesseractPool>> pool = TesseractPool::Create(pool_options);
  if (!pool.ok()) return pool.status();
  return std::unique_ptr<LocalOcrBackend>(new LocalOcrBackend(std::move(*pool)));
}

LocalOcrBackend::LocalOcrBackend(std::unique_ptr<TesseractPool> pool) : pool_(std::move(pool)) {}

LocalOcrBackend::~LocalOcrBackend() = default;

std::shared_ptr<backend::OcrCall> LocalOcrBackend::Start(OcrRequest request, OcrCallback done) {
  auto call = std::make_shared<LocalCall>(std::move(done), pool_->waker());
  // Failures before the read starts complete inline (OcrBackend allows it).
  if (absl::Now() >= request.deadline) {
    call->Complete(DeadlineExceeded());
    return call;
  }
  // The one copy of the upload: workers need contiguous bytes, and the Cord's
  // chunks belong to the gRPC layer.
  std::string bytes(request.image);
  request.image.Clear();
  switch (pool_->TrySubmit(std::make_unique<ReadJob>(call, std::move(request), std::move(bytes),
                                                     pool_->max_pixels()))) {
    case TesseractPool::Admission::kAdmitted:
      break;
    case TesseractPool::Admission::kFull:
      call->Complete(Busy(pool_->capacity()));
      break;
    case TesseractPool::Admission::kShuttingDown:
      call->Complete(ShuttingDown());
      break;
  }
  return call;
}

}  // namespace ktp::reader
