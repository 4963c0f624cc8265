// The local (offline) KTP reader as an OcrBackend: decodes the upload
// (png/jpeg/tiff, first page of a pdf), finds and rectifies the card, judges
// image quality, OCRs the text with Tesseract and parses the 17 fields, crops
// photo and signature. CPU work runs on a bounded pool of worker threads, each
// owning one Tesseract engine created at start-up; never on the caller's
// (gRPC) thread. A full pool answers RESOURCE_EXHAUSTED instead of queueing.
//
// Errors, all with an ErrorInfo (common/error_reasons.h):
//   INVALID_ARGUMENT   FILE_INVALID_FORMAT / IMAGE_TOO_LARGE  the upload;
//   RESOURCE_EXHAUSTED LOCAL_ENGINE_BUSY (RetryInfo)          pool full;
//   DEADLINE_EXCEEDED  LOCAL_ENGINE_TIMEOUT                   deadline passed;
//   CANCELLED          CANCELLED                              OcrCall::Cancel;
//   UNAVAILABLE        GATEWAY_SHUTTING_DOWN                  backend destroyed;
//   INTERNAL           LOCAL_ENGINE_ERROR                     an engine failed or threw.
// Completions run on reader threads; only a read refused by Start (deadline
// already passed, pool full or shutting down) completes inline.
#ifndef KTP_READER_LOCAL_OCR_BACKEND_H_
#define KTP_READER_LOCAL_OCR_BACKEND_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "backend/ocr_backend.h"
#include "common/clock.h"

namespace ktp::reader {

struct LocalEngineOptions {
  // Worker threads (one Tesseract engine each); 0 = the number of cores.
  int workers = 0;
  // Reads that may wait for a worker beyond those running; 0 = as many as workers.
  int max_queued = 0;
  // Tesseract's tessdata directory; "" = the library's default (Debian:
  // /usr/share/tesseract-ocr/5/tessdata).
  std::string tessdata_dir;
  // Tesseract language(s).
  std::string language = "ind";
  // Decoded images larger than this many pixels are refused (decompression bombs).
  long max_pixels = 40'000'000;
  // Today's date (in Indonesia) for the field parser: a birth year read in
  // part is completed from the NIK only with it. nullptr = the wall clock.
  const Clock* clock = nullptr;
};

class TesseractPool;

class LocalOcrBackend final : public backend::OcrBackend {
 public:
  // Starts the workers and initialises their engines; fails (e.g. missing
  // language data) before serving anything.
  static absl::StatusOr<std::unique_ptr<LocalOcrBackend>> Create(const LocalEngineOptions& options);
  // Fails queued reads with UNAVAILABLE / GATEWAY_SHUTTING_DOWN, stops running
  // ones (the same error, at their next stop check) and waits for the workers.
  ~LocalOcrBackend() override;

  std::shared_ptr<backend::OcrCall> Start(backend::OcrRequest request,
                                           backend::OcrCallback done) override;

 private:
  LocalOcrBackend(std::unique_ptr<TesseractPool> pool, const Clock* clock);
  std::unique_ptr<TesseractPool> pool_;
  const Clock* const clock_;
};

}  // namespace ktp::reader

#endif  // KTP_READER_LOCAL_OCR_BACKEND_H_
