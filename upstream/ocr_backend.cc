// Small helpers shared by every OcrBackend.
#include "upstream/ocr_backend.h"

namespace ktp::upstream {

const char* EndpointName(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::kRead: return "read";
    case Endpoint::kReadWithQualities: return "read_with_qualities";
  }
  return "read";
}

}  // namespace ktp::upstream
