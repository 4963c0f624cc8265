// Fuzzes the local reader's field parser (reader/field_parser) with
// arbitrary OCR output: the input is split into lines (and words) as Tesseract
// would hand them over. Whatever comes in: no crash, every value valid UTF-8
// (printable ASCII), confidences within 0–100, a NIK of digits only, and
// labels_found within the 15 labels that exist.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_check.h"
#include "reader/field_parser.h"

namespace {

std::vector<ktp::reader::OcrLine> Lines(const std::string& text) {
  std::vector<ktp::reader::OcrLine> lines;
  size_t start = 0;
  int row = 0;
  while (start <= text.size() && lines.size() < 200) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    ktp::reader::OcrLine line;
    line.text = text.substr(start, end - start);
    // The first byte of a line doubles as its confidence: low and high both occur.
    line.confidence = line.text.empty() ? 50 : static_cast<unsigned char>(line.text[0]) * 100 / 255.0f;
    line.box = {0, row * 40, static_cast<int>(line.text.size()) * 10, 30};
    size_t w = 0;
    while (w < line.text.size()) {
      size_t e = line.text.find(' ', w);
      if (e == std::string::npos) e = line.text.size();
      if (e > w) {
        ktp::reader::OcrWord word;
        word.text = line.text.substr(w, e - w);
        word.confidence = line.confidence;
        word.box = {static_cast<int>(w) * 10, row * 40, static_cast<int>(e - w) * 10, 30};
        line.words.push_back(word);
      }
      w = e + 1;
    }
    lines.push_back(std::move(line));
    ++row;
    start = end + 1;
  }
  return lines;
}

bool Printable(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const ktp::reader::ParsedCard parsed =
      ktp::reader::ParseKtpText(Lines(text), ktp::identity::RegionDirectory::Embedded());
  FUZZ_CHECK(parsed.labels_found >= 0 && parsed.labels_found <= 15);
  const auto* desc = parsed.card.GetDescriptor();
  const auto* reflection = parsed.card.GetReflection();
  for (int i = 0; i < desc->field_count(); ++i) {
    if (!reflection->HasField(parsed.card, desc->field(i))) continue;
    const auto& field = static_cast<const ktp::v1::KtpField&>(reflection->GetMessage(parsed.card, desc->field(i)));
    FUZZ_CHECK(Printable(field.value()));
    FUZZ_CHECK(field.confidence() >= 0 && field.confidence() <= 100);
    if (field.has_raw_text()) FUZZ_CHECK(Printable(field.raw_text()));
  }
  if (parsed.card.has_nik()) {
    for (char c : parsed.card.nik().value()) FUZZ_CHECK(c >= '0' && c <= '9');
  }
  return 0;
}
