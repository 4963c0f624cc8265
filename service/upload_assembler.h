// Assembles one client-streamed upload: checks the stream's shape (metadata
// first and once, then chunks), enforces the size limits as bytes arrive, and
// at the end detects the image type. Holds the image as an absl::Cord that
// adopts each chunk's buffer, so assembling copies no bytes.
#ifndef KTP_SERVICE_UPLOAD_ASSEMBLER_H_
#define KTP_SERVICE_UPLOAD_ASSEMBLER_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "backend/ocr_backend.h"
#include "ktp/v1/ktp_ocr.pb.h"

namespace ktp::service {

// Limits on one upload; each is a flag of ktp-gateway.
struct UploadLimits {
  // Largest image accepted (sum of all chunks).
  size_t max_image_bytes = 10u << 20;
  // Largest single chunk accepted.
  size_t max_chunk_bytes = 4u << 20;
};

// What a call holds besides its image, counted against the ByteBudget so that
// --max-buffered-bytes bounds the memory calls hold, not only their images.
// Measured (heaptrack and /proc, 10,000 calls of 16 KiB held at a slow upstream:
// 75 KiB of RSS per call): gRPC's call and stream ~15 KiB, the upstream
// client's handle and receive buffer ~21 KiB, the gateway's call objects
// ~5 KiB, plus slack for the allocator.
inline constexpr size_t kCallOverheadBytes = 48 * 1024;
// Memory held across all calls in flight (--max-buffered-bytes): a call
// reserves kCallOverheadBytes with its first message, then each chunk its size
// plus its share of the upstream send buffer (backend::kMaxSendBufferBytes), before it is kept; the assembler gives
// everything back when it is destroyed (the call's end). Lock-free; shared by
// all calls.
class ByteBudget {
 public:
  explicit ByteBudget(int64_t limit) : limit_(limit) {}
  // Takes `n` bytes if they fit under the limit.
  bool TryReserve(size_t n);
  void Release(size_t n) { used_.fetch_sub(static_cast<int64_t>(n), std::memory_order_acq_rel); }
  int64_t used() const { return used_.load(std::memory_order_acquire); }
  int64_t limit() const { return limit_; }

 private:
  const int64_t limit_;
  std::atomic<int64_t> used_{0};
};

// A complete, validated upload, ready for the backend.
struct Upload {
  absl::Cord image;
  std::string file_name;  // sanitized, never empty
  std::string mime_type;  // detected from the bytes
  v1::ReadOptions options;
};

class UploadAssembler {
 public:
  // `budget` (optional) must outlive the assembler.
  explicit UploadAssembler(const UploadLimits& limits, ByteBudget* budget = nullptr)
      : limits_(limits), budget_(budget) {}
  // Returns the bytes reserved from the budget.
  ~UploadAssembler();
  UploadAssembler(const UploadAssembler&) = delete;
  UploadAssembler& operator=(const UploadAssembler&) = delete;

  // The first message. Errors (INVALID_ARGUMENT with ErrorInfo): metadata sent
  // twice, an unsupported declared mime type, a size_bytes hint above the limit;
  // RESOURCE_EXHAUSTED / GATEWAY_OVERLOADED when the budget cannot take one more call.
  absl::Status OnMetadata(const v1::ImageMetadata& metadata);
  // A later message; keeps the chunk's Cord (its pieces are shared, not copied). Errors: chunk before
  // metadata, chunk over max_chunk_bytes, image over max_image_bytes, and
  // RESOURCE_EXHAUSTED / GATEWAY_OVERLOADED when the shared budget is spent.
  absl::Status OnChunk(absl::Cord chunk);
  // A message with neither payload set.
  absl::Status OnEmptyMessage();
  // The client half-closed. Errors: no metadata, no bytes (NO_FILE), bytes that
  // are not png/jpeg/pdf/tiff (FILE_INVALID_FORMAT), a declared type that
  // disagrees with the content.
  absl::StatusOr<Upload> Finish();

  size_t bytes_received() const { return image_.size(); }

 private:
  UploadLimits limits_;
  ByteBudget* const budget_;
  // Takes `n` bytes from budget_ (if any); GATEWAY_OVERLOADED when they do not fit.
  absl::Status Reserve(size_t n);

  size_t reserved_ = 0;  // taken from budget_
  bool has_metadata_ = false;
  v1::ImageMetadata metadata_;
  absl::Cord image_;
};

// Makes a client file name safe for a multipart header: strips directories,
// control characters, quotes and backslashes; caps the length at 200 bytes.
// Falls back to "image.<ext>".
std::string SanitizeFileName(absl::string_view name, absl::string_view extension);

}  // namespace ktp::service

#endif  // KTP_SERVICE_UPLOAD_ASSEMBLER_H_
