// Detects the image format from its first bytes (magic numbers), so a non-image
// upload is refused before it costs an upstream call.
#ifndef KTP_SERVICE_IMAGE_SNIFFER_H_
#define KTP_SERVICE_IMAGE_SNIFFER_H_

#include "absl/strings/string_view.h"

namespace ktp::service {

enum class ImageType { kUnknown, kPng, kJpeg, kPdf, kTiff };

// Bytes of the head that SniffImageType needs at most.
inline constexpr size_t kSniffBytes = 8;

// The format of an image whose first bytes are `head` (kUnknown if none matches).
ImageType SniffImageType(absl::string_view head);

// Canonical media type ("image/png", "image/jpeg", "application/pdf", "image/tiff"), "" for kUnknown.
absl::string_view MimeTypeOf(ImageType type);
// File extension without the dot ("png", "jpg", "pdf", "tiff"), "" for kUnknown.
absl::string_view ExtensionOf(ImageType type);
// Parses a declared media type (case-insensitive; accepts image/jpg, image/tif,
// application/x-pdf and parameters such as "; charset=..."). kUnknown when not accepted.
ImageType ImageTypeFromMime(absl::string_view mime_type);

}  // namespace ktp::service

#endif  // KTP_SERVICE_IMAGE_SNIFFER_H_
