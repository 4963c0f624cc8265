// The local (offline) reader's OcrBackend: request plumbing (admission, cancel,
// deadline, shutdown, exactly-once completion on a reader thread) and the
// per-read pipeline run on a pool worker: decode (EXIF orientation applied) →
// locate → orientation (a card turned by 90°/180°/270° is read upright) →
// rectify → OCR → parse → quality → map back → crops, each engine stage
// behind GuardEngine and a stop check between stages. See local_ocr_backend.h.
#include "reader/local_ocr_backend.h"

#include <atomic>
#include <cctype>
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
#include "identity/identity_validation.h"
#include "reader/card_layout.h"
#include "reader/card_locator.h"
#include "reader/engine_guard.h"
#include "reader/field_parser.h"
#include "reader/glyph_check.h"
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

// The upstream's documented reasons (see the upstream README's status table).
constexpr char kReasonRead[] = "File Successfully Read";
constexpr char kReasonNotKtp[] = "File successfully read. Some fields are invalid.";

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

// The photo crop: the nominal box, moved to the photo's left edge when it was
// found on this card (photos sit anywhere from ~0.69 to ~0.76 of the width).
layout::Rect PhotoBox(const PhotoEdge& photo) {
  layout::Rect box = layout::kPhoto;
  if (photo.photo_left) {
    const double shift = *photo.photo_left - box.x0;
    box.x0 += shift;
    box.x1 = std::min(1.0, box.x1 + shift);
  }
  return box;
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

// Richardson–Lucy deconvolution with a Gaussian point spread of `sigma` px:
// on a blurred card it narrows the strokes back towards the printed ones, so
// Tesseract reads text it could not. A Gaussian is symmetric, so it is its own
// adjoint; `iterations` bounds both the cost and the ringing.
cv::Mat Deblur(const cv::Mat& grey, double sigma, int iterations) {
  cv::Mat observed;
  grey.convertTo(observed, CV_32F, 1.0 / 255.0, 1.0 / 255.0);
  cv::Mat estimate = observed.clone(), blurred, ratio;
  for (int i = 0; i < iterations; ++i) {
    cv::GaussianBlur(estimate, blurred, cv::Size(0, 0), sigma);
    cv::divide(observed, cv::max(blurred, 1e-3), ratio);
    cv::GaussianBlur(ratio, ratio, cv::Size(0, 0), sigma);
    estimate = estimate.mul(ratio);
  }
  cv::Mat out;
  estimate.convertTo(out, CV_8U, 255.0, -1.0);
  return out;
}

// What Tesseract sees: the header band across the whole width (long province
// names run past the text column), below it only the text column, which ends
// left of the photo as found on this card; the photo, signature and issue
// place/date are painted white rather than cropped so coordinates stay those
// of the card.
cv::Mat TextOnly(cv::Mat grey, const PhotoEdge& photo) {
  const int header_bottom = static_cast<int>(kHeaderBandBottom * grey.rows);
  const int x1 = static_cast<int>(photo.text_right * grey.cols);
  if (header_bottom < grey.rows && x1 < grey.cols) {
    grey(cv::Rect(x1, header_bottom, grey.cols - x1, grey.rows - header_bottom)).setTo(255);
  }
  return grey;
}

// What the parsed text says about the image being a KTP, for JudgeQuality: the
// label count, a PROVINSI header naming a real province, a NIK whose 16
// digits start with an existing district code.
KtpTextEvidence TextEvidence(const ParsedCard& parsed, const RegionDirectory& regions) {
  KtpTextEvidence e;
  e.labels_found = parsed.labels_found;
  e.ktp_only_labels = parsed.ktp_only_labels_found;
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

// Orientation probe (see ReadJob::ProbeOrientation). A read with fewer labels
// than this may be upside down; the flipped card wins with at least
// kProbeMinLabels label words and more than the card as located.
constexpr int kWeakReadLabels = 4;
constexpr int kProbeMinLabels = 2;
// A read with fewer labels than this on a card whose edges are blurred wider
// than kDeblurAbove (QualityMetrics::edge_blur_px; ~1.35 is where the blurred
// flag starts) is repeated on the deconvolved card.
constexpr int kDeblurBelowLabels = 8;
constexpr double kDeblurAbove = 1.3;
constexpr double kDeblurSigmaPerEdgeBlur = 1.0;
constexpr int kDeblurIterations = 12;
// The strip probed: the label column, below the header (fractions of the card).
constexpr double kProbeStripWidth = 0.32;
constexpr double kProbeStripTop = 0.17;

struct ProbeImage {
  cv::Mat grey;     // the label strip as located, white gap, the strip turned 180°
  int split_y = 0;  // lines centred above this belong to the first strip
};

struct OrientationVotes {
  int as_located = 0;  // distinct KTP label words read in the strip as located
  int flipped = 0;     // ... in the strip of the card turned by half a turn
};

ProbeImage MakeProbeImage(const cv::Mat& grey) {
  const cv::Rect strip(0, static_cast<int>(kProbeStripTop * grey.rows),
                       static_cast<int>(kProbeStripWidth * grey.cols),
                       grey.rows - static_cast<int>(kProbeStripTop * grey.rows));
  cv::Mat turned;
  cv::rotate(grey, turned, cv::ROTATE_180);
  const int gap = 40;
  ProbeImage p;
  p.grey = cv::Mat(2 * strip.height + gap, strip.width, CV_8U, cv::Scalar(255));
  grey(strip).copyTo(p.grey(cv::Rect(0, 0, strip.width, strip.height)));
  turned(strip).copyTo(p.grey(cv::Rect(0, strip.height + gap, strip.width, strip.height)));
  p.split_y = strip.height + gap / 2;
  return p;
}

// Words of the printed labels (lower case): what an upright label column
// reads as and an upside-down one never does.
constexpr const char* kLabelWords[] = {"nik",    "nama",      "tempat",     "lahir",     "jenis",
                                       "kelamin", "alamat",   "rt/rw",      "kel/desa",  "desa",
                                       "kecamatan", "agama",  "status",     "perkawinan", "pekerjaan",
                                       "kewarganegaraan", "berlaku", "hingga", "tgl",    "darah"};

// Edit distance ≤ 1 (substitution, insertion or deletion).
bool NearlyEqual(const std::string& a, const std::string& b) {
  if (a == b) return true;
  const size_t n = a.size(), m = b.size();
  if (n + 1 < m || m + 1 < n) return false;
  size_t i = 0, j = 0;
  bool edited = false;
  while (i < n && j < m) {
    if (a[i] == b[j]) {
      ++i;
      ++j;
      continue;
    }
    if (edited) return false;
    edited = true;
    if (n > m) {
      ++i;
    } else if (m > n) {
      ++j;
    } else {
      ++i;
      ++j;
    }
  }
  return !edited || (i == n && j == m);
}

OrientationVotes CountProbeLabels(const std::vector<OcrLine>& lines, int split_y) {
  constexpr size_t kWords = sizeof(kLabelWords) / sizeof(kLabelWords[0]);
  bool seen[2][kWords] = {};
  for (const OcrLine& line : lines) {
    for (const OcrWord& w : line.words) {
      const int side = w.box.y + w.box.h / 2 < split_y ? 0 : 1;
      std::string t;
      for (char c : w.text) {
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '/') {
          t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
      }
      if (t.size() < 3) continue;
      for (size_t k = 0; k < kWords; ++k) {
        const std::string label = kLabelWords[k];
        // Short words must match exactly; longer ones may have one error.
        if (t == label || (label.size() >= 5 && NearlyEqual(t, label))) seen[side][k] = true;
      }
    }
  }
  OrientationVotes v;
  for (size_t k = 0; k < kWords; ++k) {
    v.as_located += seen[0][k];
    v.flipped += seen[1][k];
  }
  return v;
}

class ReadJob final : public PoolJob {
 public:
  ReadJob(std::shared_ptr<LocalCall> call, OcrRequest request, std::string bytes, long max_pixels,
          const Clock* clock)
      : call_(std::move(call)),
        endpoint_(request.endpoint),
        options_(std::move(request.options)),
        deadline_(request.deadline),
        mime_type_(std::move(request.mime_type)),
        bytes_(std::move(bytes)),
        max_pixels_(max_pixels),
        clock_(clock) {}

  void Run(tesseract::TessBaseAPI& engine, const std::atomic<bool>& shutting_down) override {
    shutting_down_ = &shutting_down;
    today_ = identity::IndonesianDay(clock_->Now());
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
    if (call_->cancelled()) result = CallCancelled();
    // Outside the guard: the callback is the caller's code.
    call_->Complete(std::move(result));
  }

  void Skip(SkipReason why) override {
    // A caller who cancelled hears CANCELLED, whatever else happened since.
    if (call_->cancelled() || why == SkipReason::kAbandoned) {
      call_->Complete(CallCancelled());
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
    if (call_->cancelled()) return CallCancelled();
    if (PoolStopping()) return ShuttingDown();
    if (absl::Now() >= deadline_) return DeadlineExceeded();
    return absl::OkStatus();
  }
  // The same question without building the answer, for Tesseract's frequent polls.
  bool MustStop() const { return call_->cancelled() || PoolStopping() || absl::Now() >= deadline_; }
  bool PoolStopping() const {
    return shutting_down_ != nullptr && shutting_down_->load(std::memory_order_acquire);
  }

  // Stopped on request (Tesseract gave up because MustStop): say whose.
  absl::Status StopReason(const absl::Status& status) const {
    if (!absl::IsCancelled(status)) return status;
    absl::Status why = Interruption();
    return why.ok() ? DeadlineExceeded() : why;
  }

  // One full read of the card as located: rectify, OCR, parse.
  struct Attempt {
    CardLocation loc;
    cv::Mat card;  // canonical size, BGR
    PhotoEdge photo;
    ParsedCard parsed;
  };
  // deblur_sigma > 0: the card is deconvolved first (see Deblur), σ in
  // canonical card pixels.
  absl::StatusOr<Attempt> ReadAs(tesseract::TessBaseAPI& engine, const cv::Mat& image,
                                 const CardLocation& loc, double deblur_sigma = 0) {
    struct Rectified {
      cv::Mat card, ocr_grey;
      PhotoEdge photo;
    };
    absl::StatusOr<Rectified> rectified = GuardEngine("rectify", [&]() -> absl::StatusOr<Rectified> {
      Rectified r;
      r.card = RectifyCard(image, loc, cv::Size(layout::kCardWidth, layout::kCardHeight));
      const cv::Mat ocr_card = RectifyCard(
          image, loc,
          cv::Size(static_cast<int>(layout::kCardWidth * kOcrScale),
                   static_cast<int>(layout::kCardHeight * kOcrScale)));
      if (r.card.empty() || ocr_card.empty()) return EngineError("rectify");
      r.photo = FindPhotoEdge(r.card);
      cv::Mat grey = PrepareForOcr(ocr_card);
      if (deblur_sigma > 0) grey = Deblur(grey, deblur_sigma * kOcrScale, kDeblurIterations);
      r.ocr_grey = TextOnly(std::move(grey), r.photo);
      return r;
    });
    if (!rectified.ok()) return rectified.status();
    if (absl::Status s = Interruption(); !s.ok()) return s;
    auto should_stop = [this] { return MustStop(); };
    absl::StatusOr<std::vector<OcrLine>> lines =
        ReadTextLines(engine, rectified->ocr_grey, kOcrScale, cv::Point(0, 0), should_stop);
    if (!lines.ok()) return StopReason(lines.status());
    FixColonColumn(*lines);
    DropIssuePlaceBesideValues(*lines, rectified->photo);
    // A second look at a few glyphs' pixels; should OpenCV fail on them, the
    // words stay as read.
    GuardEngine("glyphs", [&]() -> absl::Status {
      SettleHouseNumberSuffix(*lines, rectified->ocr_grey, kOcrScale);
      RestoreAbbreviationStops(*lines, rectified->ocr_grey, kOcrScale);
      return absl::OkStatus();
    }).IgnoreError();
    Attempt a;
    a.loc = loc;
    a.card = std::move(rectified->card);
    a.photo = rectified->photo;
    a.parsed = ParseKtpText(*lines, RegionDirectory::Embedded(), {}, today_);
    // A NIK the card does not vouch for gets a second, digits-only reading of
    // its line, which joins the NIK's constrained search as a vote.
    if (!a.parsed.nik_settled && a.parsed.nik_box) {
      const PixelBox& b = *a.parsed.nik_box;
      // From well left of the digits read (leading digits the first pass
      // lost, or took for noise; the colon may come in as an extra digit,
      // which the search drops) to past their end.
      const cv::Rect box(static_cast<int>((b.x - 2.0 * b.h) * kOcrScale),
                         static_cast<int>((b.y - 0.25 * b.h) * kOcrScale),
                         static_cast<int>((b.w + 2.6 * b.h) * kOcrScale),
                         static_cast<int>(1.5 * b.h * kOcrScale));
      absl::StatusOr<DigitLine> digits = ReadDigitLine(engine, rectified->ocr_grey, box, should_stop);
      if (!digits.ok() && absl::IsCancelled(digits.status())) return StopReason(digits.status());
      if (digits.ok() && !digits->digits.empty()) {
        a.parsed = ParseKtpText(*lines, RegionDirectory::Embedded(),
                                {NikVote{std::move(digits->digits), std::move(digits->confidence)}}, today_);
      }
    }
    return a;
  }

  // The orientation probe: one OCR pass over the label column of the card as
  // located and of the same card turned by half a turn (stacked in one image).
  absl::StatusOr<OrientationVotes> ProbeOrientation(tesseract::TessBaseAPI& engine, const cv::Mat& image,
                                                    const CardLocation& loc) {
    absl::StatusOr<ProbeImage> probe = GuardEngine("probe", [&]() -> absl::StatusOr<ProbeImage> {
      const cv::Mat card = RectifyCard(image, loc, cv::Size(layout::kCardWidth, layout::kCardHeight));
      if (card.empty()) return EngineError("probe");
      return MakeProbeImage(PrepareForOcr(card));
    });
    if (!probe.ok()) return probe.status();
    if (absl::Status s = Interruption(); !s.ok()) return s;
    auto should_stop = [this] { return MustStop(); };
    absl::StatusOr<std::vector<OcrLine>> lines =
        ReadTextLines(engine, probe->grey, 1.0, cv::Point(0, 0), should_stop);
    if (!lines.ok()) return StopReason(lines.status());
    return CountProbeLabels(*lines, probe->split_y);
  }

  absl::StatusOr<OcrResult> Read(tesseract::TessBaseAPI& engine) {
    absl::StatusOr<cv::Mat> image = DecodeImage(bytes_, max_pixels_, mime_type_);
    std::string().swap(bytes_);  // the upload is no longer needed
    if (!image.ok()) return image.status();
    if (absl::Status s = Interruption(); !s.ok()) return s;

    // Orientation: the locator cannot tell a card from the same card turned
    // by half a turn (nor 90° from 270°), so the text decides. A portrait
    // card is probed before it is read; an upright-looking card is read and
    // probed only when that read found almost no labels. At most one probe
    // (one small OCR pass) and two full reads per image.
    absl::StatusOr<CardLocation> located =
        GuardEngine("locate", [&]() -> absl::StatusOr<CardLocation> { return LocateCard(*image); });
    if (!located.ok()) return located.status();
    if (absl::Status s = Interruption(); !s.ok()) return s;
    CardLocation loc = *std::move(located);
    bool probed = false;
    if (loc.quarter_turns % 2 == 1) {
      absl::StatusOr<OrientationVotes> votes = ProbeOrientation(engine, *image, loc);
      if (!votes.ok()) return votes.status();
      probed = true;
      if (votes->flipped > votes->as_located) loc = Rotated180(loc);
    }
    absl::StatusOr<Attempt> attempt = ReadAs(engine, *image, loc);
    if (!attempt.ok()) return attempt.status();
    if (!probed && attempt->parsed.labels_found < kWeakReadLabels) {
      absl::StatusOr<OrientationVotes> votes = ProbeOrientation(engine, *image, loc);
      if (!votes.ok()) return votes.status();
      if (votes->flipped >= kProbeMinLabels && votes->flipped > votes->as_located) {
        absl::StatusOr<Attempt> flipped = ReadAs(engine, *image, Rotated180(loc));
        if (!flipped.ok()) return flipped.status();
        if (flipped->parsed.labels_found > attempt->parsed.labels_found) attempt = std::move(flipped);
      }
    }
    absl::StatusOr<QualityMetrics> metrics = GuardEngine(
        "quality", [&]() -> absl::StatusOr<QualityMetrics> { return MeasureQuality(attempt->card); });
    if (!metrics.ok()) return metrics.status();
    // A blurred card whose read found few labels is read once more,
    // deconvolved with the blur its edges show.
    if (attempt->parsed.labels_found < kDeblurBelowLabels && metrics->edge_blur_px > kDeblurAbove) {
      absl::StatusOr<Attempt> sharper =
          ReadAs(engine, *image, attempt->loc, metrics->edge_blur_px * kDeblurSigmaPerEdgeBlur);
      if (!sharper.ok()) return sharper.status();
      // Only the text was deconvolved: the card (crops, flags) is as photographed.
      if (sharper->parsed.labels_found > attempt->parsed.labels_found) attempt = std::move(sharper);
    }
    image->release();
    const CardLocation& final_loc = attempt->loc;
    const cv::Mat& card = attempt->card;
    ParsedCard& parsed = attempt->parsed;
    absl::StatusOr<v1::ImageQualities> qualities =
        GuardEngine("quality", [&]() -> absl::StatusOr<v1::ImageQualities> {
          return JudgeQuality(*metrics, final_loc, TextEvidence(parsed, RegionDirectory::Embedded()));
        });
    if (!qualities.ok()) return qualities.status();

    OcrResult result;
    result.status = v1::READ_STATUS_SUCCESS;
    result.reason = qualities->ktp() ? kReasonRead : kReasonNotKtp;
    result.engine = v1::ENGINE_LOCAL;
    result.attempts = 1;
    result.card = std::move(parsed.card);
    ShapeFields(result.card, options_, final_loc);
    if (endpoint_ == Endpoint::kReadWithQualities) {
      result.has_qualities = true;
      result.qualities = *std::move(qualities);
    }
    // The crops are extras: a read without them is still a read.
    absl::StatusOr<std::string> photo = GuardEngine(
        "crop", [&] { return EncodeJpeg(Crop(card, PhotoBox(attempt->photo)), kCropJpegQuality); });
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
  const Clock* clock_;  // today's date for the parser (see LocalEngineOptions::clock)
  absl::CivilDay today_;  // set by Run, on the worker
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
  return std::unique_ptr<LocalOcrBackend>(new LocalOcrBackend(
      std::move(*pool), options.clock != nullptr ? options.clock : RealClock::Default()));
}

LocalOcrBackend::LocalOcrBackend(std::unique_ptr<TesseractPool> pool, const Clock* clock)
    : pool_(std::move(pool)), clock_(clock) {}

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
                                                     pool_->max_pixels(), clock_))) {
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
