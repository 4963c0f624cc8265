// Small helpers shared by every OcrBackend.
#include "backend/ocr_backend.h"

namespace ktp::backend {

const char* EndpointName(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::kRead: return "read";
    case Endpoint::kReadWithQualities: return "read_with_qualities";
  }
  return "read";
}

}  // namespace ktp::backend
