// Upload stream validation and assembly.
#include "service/upload_assembler.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/error_details.h"
#include "common/error_reasons.h"
#include "service/image_sniffer.h"

namespace ktp::service {
namespace {

absl::Status ProtocolError(absl::string_view field, absl::string_view message) {
  absl::Status s = MakeError(absl::StatusCode::kInvalidArgument, reasons::kUploadProtocolViolation, message);
  AddFieldViolation(s, field, message);
  return s;
}

absl::Status TooLarge(size_t limit, absl::string_view field, absl::string_view what) {
  absl::Status s = MakeError(absl::StatusCode::kInvalidArgument, reasons::kImageTooLarge,
                             absl::StrCat(what, " exceeds the limit of ", limit, " bytes"),
                             {{"limitBytes", std::to_string(limit)}});
  AddFieldViolation(s, field, absl::StrCat("must be at most ", limit, " bytes"));
  return s;
}

}  // namespace

bool ByteBudget::TryReserve(size_t n) {
  const auto want = static_cast<int64_t>(n);
  int64_t used = used_.load(std::memory_order_relaxed);
  do {
    if (used + want > limit_) return false;
  } while (!used_.compare_exchange_weak(used, used + want, std::memory_order_acq_rel,
                                        std::memory_order_relaxed));
  return true;
}

UploadAssembler::~UploadAssembler() {
  if (budget_ != nullptr && reserved_ > 0) budget_->Release(reserved_);
}

absl::Status UploadAssembler::OnMetadata(const v1::ImageMetadata& metadata) {
  if (has_metadata_) {
    return ProtocolError("metadata", "metadata must be sent once, in the first message");
  }
  if (!image_.empty()) {
    return ProtocolError("metadata", "metadata must come before the first chunk");
  }
  if (!metadata.mime_type().empty() && ImageTypeFromMime(metadata.mime_type()) == ImageType::kUnknown) {
    absl::Status s = MakeError(absl::StatusCode::kInvalidArgument, reasons::kFileInvalidFormat,
                               "mime_type must be image/png, image/jpeg, application/pdf or image/tiff");
    AddFieldViolation(s, "metadata.mime_type", "not an accepted image type");
    return s;
  }
  if (metadata.size_bytes() < 0) {
    return ProtocolError("metadata.size_bytes", "size_bytes must not be negative");
  }
  if (static_cast<uint64_t>(metadata.size_bytes()) > limits_.max_image_bytes) {
    return TooLarge(limits_.max_image_bytes, "metadata.size_bytes", "the declared image size");
  }
  if (absl::Status s = Reserve(kCallOverheadBytes); !s.ok()) return s;
  has_metadata_ = true;
  metadata_ = metadata;
  return absl::OkStatus();
}

absl::Status UploadAssembler::Reserve(size_t n) {
  if (budget_ == nullptr || n == 0) return absl::OkStatus();
  // The gateway as a whole holds too much: shed this call, not the process.
  if (!budget_->TryReserve(n)) {
    absl::Status s = MakeError(absl::StatusCode::kResourceExhausted, reasons::kGatewayOverloaded,
                               "the gateway is holding too many images; retry shortly",
                               {{"limitBytes", std::to_string(budget_->limit())}});
    AddRetryInfo(s, absl::Seconds(1));
    return s;
  }
  reserved_ += n;
  return absl::OkStatus();
}

absl::Status UploadAssembler::OnChunk(absl::Cord chunk) {
  if (!has_metadata_) {
    return ProtocolError("metadata", "the first message must carry metadata, not a chunk");
  }
  if (chunk.size() > limits_.max_chunk_bytes) {
    return TooLarge(limits_.max_chunk_bytes, "chunk", "a chunk");
  }
  if (image_.size() + chunk.size() > limits_.max_image_bytes) {
    return TooLarge(limits_.max_image_bytes, "chunk", "the image");
  }
  // The chunk, plus the part of the upstream send buffer the image fills so far.
  const size_t send_buffer = std::min(backend::kMaxSendBufferBytes, image_.size() + chunk.size()) -
                             std::min(backend::kMaxSendBufferBytes, image_.size());
  if (absl::Status s = Reserve(chunk.size() + send_buffer); !s.ok()) return s;
  // Appending a Cord shares its pieces: no copy for all but tiny chunks.
  if (!chunk.empty()) image_.Append(std::move(chunk));
  return absl::OkStatus();
}

absl::Status UploadAssembler::OnEmptyMessage() {
  return ProtocolError("payload", "each message must set metadata or chunk");
}

absl::StatusOr<Upload> UploadAssembler::Finish() {
  if (!has_metadata_) {
    return ProtocolError("metadata", "the stream ended before any metadata was sent");
  }
  if (image_.empty()) {
    absl::Status s = MakeError(absl::StatusCode::kInvalidArgument, reasons::kNoFile,
                               "no image bytes were sent");
    AddFieldViolation(s, "chunk", "no image bytes were received");
    return s;
  }
  // The first few bytes may span chunks: gather them (8 bytes at most).
  char head[kSniffBytes];
  size_t head_len = 0;
  for (absl::string_view chunk : image_.Chunks()) {
    const size_t take = std::min(chunk.size(), kSniffBytes - head_len);
    std::memcpy(head + head_len, chunk.data(), take);
    head_len += take;
    if (head_len == kSniffBytes) break;
  }
  const ImageType type = SniffImageType(absl::string_view(head, head_len));
  if (type == ImageType::kUnknown) {
    absl::Status s = MakeError(absl::StatusCode::kInvalidArgument, reasons::kFileInvalidFormat,
                               "the upload is not a png, jpeg, pdf or tiff image");
    AddFieldViolation(s, "chunk", "not an accepted image format");
    return s;
  }
  if (!metadata_.mime_type().empty() && ImageTypeFromMime(metadata_.mime_type()) != type) {
    absl::Status s = MakeError(
        absl::StatusCode::kInvalidArgument, reasons::kFileInvalidFormat,
        absl::StrCat("mime_type says ", ExtensionOf(ImageTypeFromMime(metadata_.mime_type())),
                     " but the content is ", ExtensionOf(type)),
        {{"detectedMimeType", std::string(MimeTypeOf(type))}});
    AddFieldViolation(s, "metadata.mime_type", "does not match the content");
    return s;
  }
  Upload upload;
  upload.image = std::move(image_);
  upload.file_name = SanitizeFileName(metadata_.file_name(), ExtensionOf(type));
  upload.mime_type = std::string(MimeTypeOf(type));
  upload.options = metadata_.options();
  return upload;
}

std::string SanitizeFileName(absl::string_view name, absl::string_view extension) {
  const size_t slash = name.find_last_of("/\\");
  if (slash != absl::string_view::npos) name = name.substr(slash + 1);
  std::string out;
  out.reserve(std::min<size_t>(name.size(), 200));
  bool truncated = false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '"' || c == '\\' || c == ';') continue;
    if (out.size() == 200) {
      truncated = true;
      break;
    }
    out.push_back(c);
  }
  if (truncated && (static_cast<unsigned char>(out.back()) & 0x80) != 0) {
    // Never cut a UTF-8 sequence in half: drop the partial character at the cut,
    // but keep a character that ends exactly at the cap.
    size_t lead = out.size();
    while (lead > 0 && out.size() - lead < 4 &&
           (static_cast<unsigned char>(out[lead - 1]) & 0xC0) == 0x80) {
      --lead;
    }
    if (lead > 0) {
      --lead;  // the byte before the continuation bytes: the sequence's lead byte
      const auto b = static_cast<unsigned char>(out[lead]);
      const size_t want = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
      if (out.size() - lead < want) out.resize(lead);
    }
  }
  if (out.empty() || out == "." || out == "..") out = absl::StrCat("image.", extension);
  return out;
}

}  // namespace ktp::service
