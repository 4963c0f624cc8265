// A fixed set of worker threads, each owning one Tesseract engine initialised
// once at start-up (loading `ind` takes ~100 ms and tens of MB: never per
// read), fed from a bounded queue. Full → TrySubmit refuses, so overload is
// answered at once instead of piling up latency. Shutdown drops what has not
// started and waits for what has.
#ifndef KTP_READER_TESSERACT_POOL_H_
#define KTP_READER_TESSERACT_POOL_H_

#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "reader/ocr_text.h"

namespace tesseract {
class TessBaseAPI;
}

namespace ktp::reader {

// Work for the pool. Exactly one of Run / Drop is called, once.
class PoolJob {
 public:
  virtual ~PoolJob() = default;
  // On a worker thread with that worker's engine.
  virtual void Run(tesseract::TessBaseAPI& engine) = 0;
  // The pool shut down before the job started (on the destroying thread).
  virtual void Drop() = 0;
};

struct TesseractPoolOptions {
  int workers = 0;     // 0 = hardware concurrency
  int max_queued = 0;  // jobs waiting beyond those running; 0 = workers
  std::string tessdata_dir;  // "" = library default
  std::string language = "ind";
  // Not used by the pool: the decoder's pixel limit, kept here because the pool
  // is the only state LocalOcrBackend (whose header is fixed) holds.
  long max_pixels = 40'000'000;
};

class TesseractPool {
 public:
  // Initialises every engine before starting; FAILED_PRECONDITION when
  // Tesseract cannot load the language.
  static absl::StatusOr<std::unique_ptr<TesseractPool>> Create(const TesseractPoolOptions& options);
  ~TesseractPool();

  TesseractPool(const TesseractPool&) = delete;
  TesseractPool& operator=(const TesseractPool&) = delete;

  // Queues `job` unless workers + max_queued jobs are already admitted (queued
  // or running); false then, and `job` is destroyed unrun.
  bool TrySubmit(std::unique_ptr<PoolJob> job);

  int workers() const { return static_cast<int>(threads_.size()); }
  int capacity() const { return capacity_; }
  long max_pixels() const { return max_pixels_; }

 private:
  TesseractPool(std::vector<std::unique_ptr<tesseract::TessBaseAPI>> engines, int capacity,
                long max_pixels);
  void WorkerLoop(tesseract::TessBaseAPI* engine);

  std::vector<std::unique_ptr<tesseract::TessBaseAPI>> engines_;
  const int capacity_;
  const long max_pixels_;
  absl::Mutex mu_;
  std::deque<std::unique_ptr<PoolJob>> queue_ ABSL_GUARDED_BY(mu_);
  int admitted_ ABSL_GUARDED_BY(mu_) = 0;  // queued + running
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

// Runs `engine` on an 8-bit grey image and returns its text lines with word
// boxes and confidences. Boxes are divided by `scale` (the factor the image was
// enlarged by) and shifted by `offset`, so they land in the caller's frame.
// `should_stop` is polled while recognising; true abandons the read (returns
// CANCELLED, the caller decides what it means).
absl::StatusOr<std::vector<OcrLine>> ReadTextLines(tesseract::TessBaseAPI& engine,
                                                   const cv::Mat& grey, double scale,
                                                   cv::Point offset,
                                                   absl::FunctionRef<bool()> should_stop);

}  // namespace ktp::reader

#endif  // KTP_READER_TESSERACT_POOL_H_
