// Worker threads with one Tesseract engine each. See tesseract_pool.h.
#include "reader/tesseract_pool.h"

#include <tesseract/baseapi.h>
#include <tesseract/ocrclass.h>
#include <tesseract/resultiterator.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include <opencv2/core/utility.hpp>
#ifdef KTP_HAVE_OMP  // set by CMake when OpenMP is found
#include <omp.h>
#endif

#include "absl/strings/str_cat.h"
#include "common/error_details.h"
#include "common/error_reasons.h"
#include "reader/engine_guard.h"

namespace ktp::reader {

void PoolWaker::Wake() {
  absl::MutexLock lock(&mu_);
  if (pool_ != nullptr) pool_->RequestSweep();
}

absl::StatusOr<std::unique_ptr<TesseractPool>> TesseractPool::Create(
    const TesseractPoolOptions& options) {
  int workers = options.workers > 0 ? options.workers
                                    : static_cast<int>(std::thread::hardware_concurrency());
  workers = std::max(workers, 1);
  const int queued = options.max_queued > 0 ? options.max_queued : workers;
  std::vector<std::unique_ptr<tesseract::TessBaseAPI>> engines;
  absl::Status initialised = GuardEngine("init", [&]() -> absl::Status {
    // Parallelism comes from the workers: OpenCV's own thread pool is switched
    // off (process-wide; nothing else in the gateway uses OpenCV). Tesseract's
    // OpenMP is switched off per worker thread (see WorkerLoop).
    cv::setNumThreads(0);
    for (int i = 0; i < workers; ++i) {
      auto api = std::make_unique<tesseract::TessBaseAPI>();
      const char* datapath = options.tessdata_dir.empty() ? nullptr : options.tessdata_dir.c_str();
      if (api->Init(datapath, options.language.c_str(), tesseract::OEM_LSTM_ONLY) != 0) {
        return MakeError(
            absl::StatusCode::kFailedPrecondition, reasons::kLocalEngineError,
            absl::StrCat("Tesseract could not load language '", options.language, "' from ",
                         datapath ? datapath : "the default tessdata directory",
                         " (on Debian install the package tesseract-ocr-", options.language, ")"));
      }
      // One uniform block of text lines; the caller crops the text column.
      api->SetPageSegMode(tesseract::PSM_SINGLE_BLOCK);
      api->SetVariable("preserve_interword_spaces", "1");
      // The card is rectified to a known scale; skip Tesseract's own dpi guess.
      api->SetVariable("user_defined_dpi", "300");
      // No dictionaries: names and codes are not Indonesian prose.
      api->SetVariable("load_system_dawg", "0");
      api->SetVariable("load_freq_dawg", "0");
      api->SetVariable("debug_file", "/dev/null");
      engines.push_back(std::move(api));
    }
    return absl::OkStatus();
  });
  if (!initialised.ok()) return initialised;
  return std::unique_ptr<TesseractPool>(new TesseractPool(std::move(engines), workers + queued,
                                                            options.max_pixels));
}

TesseractPool::TesseractPool(std::vector<std::unique_ptr<tesseract::TessBaseAPI>> engines,
                             int capacity, long max_pixels)
    : engines_(std::move(engines)), capacity_(capacity), max_pixels_(max_pixels) {
  {
    absl::MutexLock lock(&waker_->mu_);
    waker_->pool_ = this;
  }
  for (auto& e : engines_) {
    tesseract::TessBaseAPI* engine = e.get();
    worker_threads_.emplace_back([this, engine] { WorkerLoop(engine); });
  }
  housekeeper_ = std::thread([this] { HousekeepingLoop(); });
}

TesseractPool::~TesseractPool() {
  Shutdown();
  for (auto& e : engines_) {
    // Tesseract's teardown throwing must not terminate a shutting-down gateway.
    (void)GuardEngine("shutdown", [&] {
      e->End();
      return absl::OkStatus();
    });
  }
}

void TesseractPool::Shutdown() {
  std::lock_guard<std::mutex> serial(shutdown_mu_);
  {
    // Callers' wake-ups from now on reach nothing: the housekeeping thread
    // skips whatever is queued anyway.
    absl::MutexLock lock(&waker_->mu_);
    waker_->pool_ = nullptr;
  }
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    shutting_down_.store(true, std::memory_order_release);
  }
  for (auto& t : worker_threads_) {
    if (t.joinable()) t.join();
  }
  if (housekeeper_.joinable()) housekeeper_.join();
}

TesseractPool::Admission TesseractPool::TrySubmit(std::unique_ptr<PoolJob> job) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return Admission::kShuttingDown;
  if (admitted_ >= capacity_) return Admission::kFull;
  ++admitted_;
  queue_.push_back(std::move(job));
  return Admission::kAdmitted;
}

void TesseractPool::RequestSweep() {
  absl::MutexLock lock(&mu_);
  sweep_requested_ = true;
}

void TesseractPool::WorkerLoop(tesseract::TessBaseAPI* engine) {
#ifdef KTP_HAVE_OMP
  // Debian's Tesseract is built with OpenMP and fans every recognition out
  // over several threads that spin-wait: on a busy box that made reads 3–5×
  // slower (and burned system time). The setting is a per-thread ICV, hence
  // here and not once at start-up.
  omp_set_max_active_levels(0);
#endif
  for (;;) {
    std::unique_ptr<PoolJob> job;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](TesseractPool* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
            return p->stopping_ || !p->queue_.empty();
          },
          this));
      // Stopping: what is still queued belongs to the housekeeping thread.
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    // A job guards its own engine calls; this is the last line so that one
    // that does not cannot take the worker (and the process) down.
    (void)GuardEngine("run", [&] {
      job->Run(*engine, shutting_down_);
      return absl::OkStatus();
    });
    job.reset();
    (void)GuardEngine("clear", [&] {
      engine->Clear();
      return absl::OkStatus();
    });
    absl::MutexLock lock(&mu_);
    --admitted_;
  }
}

void TesseractPool::HousekeepingLoop() {
  for (;;) {
    std::vector<std::unique_ptr<PoolJob>> skipped;
    SkipReason why = SkipReason::kAbandoned;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](TesseractPool* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
            return p->stopping_ || p->sweep_requested_;
          },
          this));
      sweep_requested_ = false;
      if (stopping_) why = SkipReason::kShuttingDown;
      for (auto it = queue_.begin(); it != queue_.end();) {
        if (why == SkipReason::kShuttingDown || (*it)->Abandoned()) {
          skipped.push_back(std::move(*it));
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
      admitted_ -= static_cast<int>(skipped.size());
    }
    // Outside the lock: Skip completes calls, which runs caller code (that
    // may well start another read).
    for (auto& job : skipped) job->Skip(why);
    skipped.clear();
    if (why == SkipReason::kShuttingDown) return;
  }
}

namespace {

PixelBox ToCard(int x0, int y0, int x1, int y1, double scale, cv::Point offset) {
  PixelBox b;
  b.x = static_cast<int>(x0 / scale) + offset.x;
  b.y = static_cast<int>(y0 / scale) + offset.y;
  b.w = static_cast<int>((x1 - x0) / scale + 0.5);
  b.h = static_cast<int>((y1 - y0) / scale + 0.5);
  return b;
}

// The confidence of each symbol of the word at `it`, repeated for each byte of
// the symbol's UTF-8 text (so it lines up with the word's text); empty when the
// symbols do not add up to the word. A copy of the iterator walks the symbols,
// leaving `it` on the word.
// Per byte of the word: its symbol's confidence and extent (card pixels).
// Both are left empty when the symbols do not add up to the word's bytes.
void ReadSymbols(const tesseract::ResultIterator& it, double scale, cv::Point offset,
                 OcrWord& word) {
  const size_t word_bytes = word.text.size();
  tesseract::LTRResultIterator symbol(it);
  do {
    std::unique_ptr<char[]> text(symbol.GetUTF8Text(tesseract::RIL_SYMBOL));
    if (text == nullptr) continue;
    const size_t bytes = std::strlen(text.get());
    word.symbol_confidence.insert(word.symbol_confidence.end(), bytes,
                                  symbol.Confidence(tesseract::RIL_SYMBOL));
    SymbolSpan span;
    int x0, y0, x1, y1;
    if (symbol.BoundingBox(tesseract::RIL_SYMBOL, &x0, &y0, &x1, &y1)) {
      const PixelBox b = ToCard(x0, y0, x1, y1, scale, offset);
      span = {b.x, b.x + b.w};
    }
    word.symbol_span.insert(word.symbol_span.end(), bytes, span);
  } while (word.symbol_confidence.size() < word_bytes &&
           !symbol.IsAtFinalElement(tesseract::RIL_WORD, tesseract::RIL_SYMBOL) &&
           symbol.Next(tesseract::RIL_SYMBOL));
  if (word.symbol_confidence.size() != word_bytes) {
    word.symbol_confidence.clear();
    word.symbol_span.clear();
  }
}

bool CancelThunk(void* should_stop, int /*words*/) {
  return (*static_cast<absl::FunctionRef<bool()>*>(should_stop))();
}

}  // namespace

absl::StatusOr<std::vector<OcrLine>> ReadTextLines(tesseract::TessBaseAPI& engine,
                                                   const cv::Mat& grey, double scale,
                                                   cv::Point offset,
                                                   absl::FunctionRef<bool()> should_stop) {
  return GuardEngine("ocr", [&]() -> absl::StatusOr<std::vector<OcrLine>> {
    if (grey.empty() || grey.type() != CV_8UC1) {
      return EngineError("ocr: not an 8-bit grey image");
    }
    engine.SetImage(grey.data, grey.cols, grey.rows, 1, static_cast<int>(grey.step));
    engine.SetSourceResolution(300);
    tesseract::ETEXT_DESC monitor;
    monitor.cancel = &CancelThunk;
    monitor.cancel_this = &should_stop;
    const int rc = engine.Recognize(&monitor);
    if (should_stop()) {
      return MakeError(absl::StatusCode::kCancelled, reasons::kCancelled, "recognition stopped");
    }
    if (rc != 0) return EngineError("ocr");
    std::vector<OcrLine> lines;
    std::unique_ptr<tesseract::ResultIterator> it(engine.GetIterator());
    if (!it) return lines;
    using tesseract::RIL_TEXTLINE;
    using tesseract::RIL_WORD;
    it->Begin();
    do {
      if (it->Empty(RIL_TEXTLINE)) continue;
      OcrLine line;
      int x0, y0, x1, y1;
      if (it->BoundingBox(RIL_TEXTLINE, &x0, &y0, &x1, &y1)) {
        line.box = ToCard(x0, y0, x1, y1, scale, offset);
      }
      line.confidence = it->Confidence(RIL_TEXTLINE);
      do {
        std::unique_ptr<char[]> text(it->GetUTF8Text(RIL_WORD));
        if (text == nullptr || text[0] == '\0') continue;
        OcrWord word;
        word.text = text.get();
        word.confidence = it->Confidence(RIL_WORD);
        ReadSymbols(*it, scale, offset, word);
        if (it->BoundingBox(RIL_WORD, &x0, &y0, &x1, &y1)) {
          word.box = ToCard(x0, y0, x1, y1, scale, offset);
        }
        if (!line.text.empty()) line.text += ' ';
        line.text += word.text;
        line.words.push_back(std::move(word));
      } while (!it->IsAtFinalElement(RIL_TEXTLINE, RIL_WORD) && it->Next(RIL_WORD));
      if (!line.words.empty()) lines.push_back(std::move(line));
    } while (it->Next(RIL_TEXTLINE));
    return lines;
  });
}

absl::StatusOr<DigitLine> ReadDigitLine(tesseract::TessBaseAPI& engine, const cv::Mat& grey, cv::Rect box,
                                        absl::FunctionRef<bool()> should_stop) {
  box &= cv::Rect(0, 0, grey.cols, grey.rows);
  if (grey.empty() || grey.type() != CV_8UC1 || box.width < 4 || box.height < 4) {
    return EngineError("ocr: no digit line to read");
  }
  // A white margin: Tesseract finds a line's baseline badly on a tight crop.
  const int pad = box.height / 2;
  cv::Mat padded;
  cv::copyMakeBorder(grey(box), padded, pad, pad, pad, pad, cv::BORDER_CONSTANT, cv::Scalar(255));
  // The pool's engines read blocks of any text; restored on every path.
  struct Restore {
    tesseract::TessBaseAPI& engine;
    tesseract::PageSegMode mode;
    ~Restore() {
      engine.SetPageSegMode(mode);
      engine.SetVariable("tessedit_char_whitelist", "");
    }
  } restore{engine, engine.GetPageSegMode()};
  engine.SetPageSegMode(tesseract::PSM_SINGLE_LINE);
  engine.SetVariable("tessedit_char_whitelist", "0123456789");
  absl::StatusOr<std::vector<OcrLine>> lines = ReadTextLines(engine, padded, 1.0, cv::Point(0, 0), should_stop);
  if (!lines.ok()) return lines.status();
  DigitLine out;
  for (const OcrLine& line : *lines) {
    for (const OcrWord& w : line.words) {
      for (size_t i = 0; i < w.text.size(); ++i) {
        if (w.text[i] < '0' || w.text[i] > '9') continue;
        out.digits.push_back(w.text[i]);
        out.confidence.push_back(i < w.symbol_confidence.size() ? w.symbol_confidence[i] : w.confidence);
      }
    }
  }
  return out;
}

}  // namespace ktp::reader
