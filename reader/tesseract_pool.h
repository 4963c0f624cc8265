// A fixed set of worker threads, each owning one Tesseract engine initialised
// once at start-up (loading `ind` takes ~100 ms and tens of MB: never per
// read), fed from a bounded queue. Full → TrySubmit refuses, so overload is
// answered at once instead of piling up latency. Beside the workers one
// housekeeping thread finishes the jobs that will never run: those abandoned
// while queued (promptly, whatever the workers are busy with) and, at
// shutdown, everything still queued. So every completion of a job happens on
// a thread the pool owns, never on the caller's.
#ifndef KTP_READER_TESSERACT_POOL_H_
#define KTP_READER_TESSERACT_POOL_H_

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "reader/ocr_text.h"

namespace tesseract {
class TessBaseAPI;
}

namespace ktp::reader {

// Why an admitted job will not run.
enum class SkipReason {
  kAbandoned,     // its caller gave up (PoolJob::Abandoned) while it was queued
  kShuttingDown,  // the pool shut down before a worker was free
};

// Work for the pool. Exactly one of Run / Skip is called, once, on a pool
// thread.
class PoolJob {
 public:
  virtual ~PoolJob() = default;
  // On a worker thread with that worker's engine. `shutting_down` turns true
  // when the pool starts shutting down: a long job polls it and gives up.
  virtual void Run(tesseract::TessBaseAPI& engine, const std::atomic<bool>& shutting_down) = 0;
  // The job will not run (on the pool's housekeeping thread).
  virtual void Skip(SkipReason why) = 0;
  // Whether the caller gave up on the job; called with the pool's lock held,
  // from any pool thread, so it must be cheap and must not call into the pool.
  virtual bool Abandoned() const = 0;
};

class TesseractPool;

// Tells a pool that one of its queued jobs may have been abandoned, so its
// housekeeping thread sweeps the queue now. Held by callers through a
// shared_ptr: it may outlive the pool, and then Wake does nothing.
class PoolWaker {
 public:
  void Wake();

 private:
  friend class TesseractPool;
  absl::Mutex mu_;
  TesseractPool* pool_ ABSL_GUARDED_BY(mu_) = nullptr;
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
  // Initialises every engine before starting; FAILED_PRECONDITION /
  // LOCAL_ENGINE_ERROR when Tesseract cannot load the language.
  static absl::StatusOr<std::unique_ptr<TesseractPool>> Create(const TesseractPoolOptions& options);
  // Shutdown(), then the engines are released.
  ~TesseractPool();

  TesseractPool(const TesseractPool&) = delete;
  TesseractPool& operator=(const TesseractPool&) = delete;

  enum class Admission { kAdmitted, kFull, kShuttingDown };
  // Queues `job` unless workers + max_queued jobs are already admitted (queued
  // or running: kFull) or the pool is shutting down (kShuttingDown); `job` is
  // then destroyed unrun, neither Run nor Skip called.
  Admission TrySubmit(std::unique_ptr<PoolJob> job);

  // Stops admitting, skips every queued job with kShuttingDown, raises the
  // running jobs' `shutting_down` flag and waits for them and the threads to
  // finish. Idempotent; safe to call from several threads.
  void Shutdown();

  // For the callers' jobs: wakes this pool to sweep abandoned jobs.
  std::shared_ptr<PoolWaker> waker() const { return waker_; }

  int workers() const { return static_cast<int>(worker_threads_.size()); }
  int capacity() const { return capacity_; }
  long max_pixels() const { return max_pixels_; }

 private:
  friend class PoolWaker;
  TesseractPool(std::vector<std::unique_ptr<tesseract::TessBaseAPI>> engines, int capacity,
                long max_pixels);
  void WorkerLoop(tesseract::TessBaseAPI* engine);
  void HousekeepingLoop();
  void RequestSweep();

  std::vector<std::unique_ptr<tesseract::TessBaseAPI>> engines_;
  const int capacity_;
  const long max_pixels_;
  const std::shared_ptr<PoolWaker> waker_ = std::make_shared<PoolWaker>();
  absl::Mutex mu_;
  std::deque<std::unique_ptr<PoolJob>> queue_ ABSL_GUARDED_BY(mu_);
  int admitted_ ABSL_GUARDED_BY(mu_) = 0;  // queued + running
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool sweep_requested_ ABSL_GUARDED_BY(mu_) = false;
  // stopping_, readable by running jobs without the lock.
  std::atomic<bool> shutting_down_{false};
  std::mutex shutdown_mu_;  // serialises Shutdown (the joins)
  std::vector<std::thread> worker_threads_;
  std::thread housekeeper_;
};

// Runs `engine` on an 8-bit grey image and returns its text lines with word
// boxes and confidences. Boxes are divided by `scale` (the factor the image was
// enlarged by) and shifted by `offset`, so they land in the caller's frame.
// `should_stop` is polled while recognising; true abandons the read (returns
// CANCELLED, the caller decides what it means). Any other failure, thrown or
// reported by Tesseract, is INTERNAL / LOCAL_ENGINE_ERROR.
absl::StatusOr<std::vector<OcrLine>> ReadTextLines(tesseract::TessBaseAPI& engine,
                                                   const cv::Mat& grey, double scale,
                                                   cv::Point offset,
                                                   absl::FunctionRef<bool()> should_stop);

// One line of digits read on its own: each digit and its symbol's confidence.
struct DigitLine {
  std::string digits;
  std::vector<float> confidence;  // 0–100, per digit
};

// Reads the line of digits inside `box` (pixels of `grey`, clipped to it) as a
// single text line with only 0–9 allowed: a second opinion on a number the
// full-page pass read as part of a block. The engine's page segmentation and
// character set are restored afterwards, whatever happens. Errors as
// ReadTextLines.
absl::StatusOr<DigitLine> ReadDigitLine(tesseract::TessBaseAPI& engine, const cv::Mat& grey, cv::Rect box,
                                        absl::FunctionRef<bool()> should_stop);

}  // namespace ktp::reader

#endif  // KTP_READER_TESSERACT_POOL_H_
