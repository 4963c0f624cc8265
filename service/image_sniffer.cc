// Magic-number detection of png, jpeg, pdf and tiff.
#include "service/image_sniffer.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace ktp::service {

ImageType SniffImageType(absl::string_view head) {
  using absl::StartsWith;
  if (StartsWith(head, absl::string_view("\x89PNG\r\n\x1a\n", 8))) return ImageType::kPng;
  if (StartsWith(head, "\xff\xd8\xff")) return ImageType::kJpeg;
  if (StartsWith(head, "%PDF-")) return ImageType::kPdf;
  if (StartsWith(head, absl::string_view("II*\0", 4)) || StartsWith(head, absl::string_view("MM\0*", 4))) {
    return ImageType::kTiff;
  }
  return ImageType::kUnknown;
}

absl::string_view MimeTypeOf(ImageType type) {
  switch (type) {
    case ImageType::kPng: return "image/png";
    case ImageType::kJpeg: return "image/jpeg";
    case ImageType::kPdf: return "application/pdf";
    case ImageType::kTiff: return "image/tiff";
    case ImageType::kUnknown: break;
  }
  return "";
}

absl::string_view ExtensionOf(ImageType type) {
  switch (type) {
    case ImageType::kPng: return "png";
    case ImageType::kJpeg: return "jpg";
    case ImageType::kPdf: return "pdf";
    case ImageType::kTiff: return "tiff";
    case ImageType::kUnknown: break;
  }
  return "";
}

ImageType ImageTypeFromMime(absl::string_view mime_type) {
  const size_t semicolon = mime_type.find(';');
  if (semicolon != absl::string_view::npos) mime_type = mime_type.substr(0, semicolon);
  const std::string m = absl::AsciiStrToLower(absl::StripAsciiWhitespace(mime_type));
  if (m == "image/png") return ImageType::kPng;
  if (m == "image/jpeg" || m == "image/jpg" || m == "image/pjpeg") return ImageType::kJpeg;
  if (m == "application/pdf" || m == "application/x-pdf") return ImageType::kPdf;
  if (m == "image/tiff" || m == "image/tif") return ImageType::kTiff;
  return ImageType::kUnknown;
}

}  // namespace ktp::service
