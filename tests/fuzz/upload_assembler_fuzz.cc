// Fuzzes upload assembly and type sniffing (service/upload_assembler) the way
// the reactor drives it. The input is a byte-encoded message sequence:
//   0 len name[len] mime size[4] options  metadata (mime: index into a list)
//   1 len[2] bytes[len]                   chunk (len mod 8 KiB)
//   2                                     a message with neither payload
//   3 (or the end of the input)           the client half-closes: Finish()
// The first error stops the stream, as it does in the reactor. Invariants: an
// accepted upload is exactly the accepted chunks, a sniffed type, a safe file
// name; the shared byte budget holds exactly the call's working memory, the
// image and its send-buffer share, is never exceeded and is fully returned.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "service/image_sniffer.h"
#include "service/upload_assembler.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::string Bytes(size_t n) {
    n = std::min(n, size_ - std::min(pos_, size_));
    std::string out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

const char* const kMimeTypes[] = {"",          "image/png",       "image/jpeg", "application/pdf",
                                  "image/tiff", "image/gif",      "IMAGE/PNG",  "image/jpg",
                                  "text/plain", "image/png; q=1"};

bool SafeFileName(const std::string& name) {
  if (name.empty() || name.size() > 200) return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '"' || c == '\\' || c == ';' || c == '/') return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ktp::service::UploadLimits limits;
  limits.max_image_bytes = 48 * 1024;
  limits.max_chunk_bytes = 8 * 1024;
  // A call's working memory plus less than the image limit: both bounds are reachable.
  ktp::service::ByteBudget budget(ktp::service::kCallOverheadBytes + 40 * 1024);
  std::string accepted;
  bool has_metadata = false;
  {
    ktp::service::UploadAssembler assembler(limits, &budget);
    Reader in(data, size);
    absl::Status status;
    bool finished = false;
    while (status.ok() && !finished) {
      const uint8_t op = in.empty() ? 3 : in.Byte() % 4;
      switch (op) {
        case 0: {
          ktp::v1::ImageMetadata m;
          m.set_file_name(in.Bytes(in.Byte()));
          m.set_mime_type(kMimeTypes[in.Byte() % (sizeof(kMimeTypes) / sizeof(kMimeTypes[0]))]);
          int32_t size_bytes = 0;
          const std::string raw = in.Bytes(4);
          std::memcpy(&size_bytes, raw.data(), raw.size());
          m.set_size_bytes(size_bytes);
          const uint8_t options = in.Byte();
          m.mutable_options()->set_with_raw_text(options & 1);
          m.mutable_options()->set_with_confidence_field(options & 2);
          m.mutable_options()->set_with_polygon(options & 4);
          status = assembler.OnMetadata(m);
          if (status.ok()) has_metadata = true;
          break;
        }
        case 1: {
          const size_t len = ((size_t{in.Byte()} << 8) | in.Byte()) % (8 * 1024 + 64);
          std::string chunk = in.Bytes(len);
          const std::string copy = chunk;
          status = assembler.OnChunk(absl::Cord(std::move(chunk)));
          if (status.ok()) accepted += copy;
          break;
        }
        case 2:
          status = assembler.OnEmptyMessage();
          break;
        default: {
          finished = true;
          absl::StatusOr<ktp::service::Upload> upload = assembler.Finish();
          if (!upload.ok()) {
            status = upload.status();
            break;
          }
          FUZZ_CHECK(std::string(upload->image) == accepted);
          const ktp::service::ImageType type = ktp::service::SniffImageType(
              absl::string_view(accepted).substr(0, ktp::service::kSniffBytes));
          FUZZ_CHECK(type != ktp::service::ImageType::kUnknown);
          FUZZ_CHECK(upload->mime_type == ktp::service::MimeTypeOf(type));
          FUZZ_CHECK(SafeFileName(upload->file_name));
        }
      }
      FUZZ_CHECK(budget.used() >= 0 && budget.used() <= budget.limit());
      // The call's working memory, the image and the send buffer's copy of its start.
      const size_t expected = (has_metadata ? ktp::service::kCallOverheadBytes : 0) + accepted.size() +
                              std::min(ktp::backend::kMaxSendBufferBytes, accepted.size());
      FUZZ_CHECK(static_cast<size_t>(budget.used()) == expected);
      if (!status.ok()) {
        FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument ||
                   status.code() == absl::StatusCode::kResourceExhausted);
      }
    }
  }
  FUZZ_CHECK(budget.used() == 0);
  return 0;
}
