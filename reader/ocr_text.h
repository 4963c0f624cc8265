// What the OCR step hands to the field parser: lines of text with their
// confidence and position, in the pixel space of the image Tesseract saw
// (the rectified card). Kept free of Tesseract and OpenCV types so the parser
// can be unit-tested with hand-written lines.
#ifndef KTP_READER_OCR_TEXT_H_
#define KTP_READER_OCR_TEXT_H_

#include <string>
#include <vector>

namespace ktp::reader {

// An axis-aligned box, pixels, origin top left.
struct PixelBox {
  int x = 0;
  int y = 0;
  int w = 0;
  int h = 0;
};

// Where one symbol sits along its line: left and right x, pixels.
struct SymbolSpan {
  int x0 = 0;
  int x1 = 0;
};

// One word as recognised; confidence is Tesseract's, 0–100.
struct OcrWord {
  std::string text;
  float confidence = 0;
  PixelBox box;
  // Per byte of `text`: the confidence of the symbol it belongs to (0–100).
  // Empty when not known; the word's confidence stands in for every byte.
  std::vector<float> symbol_confidence;
  // Per byte of `text`: the extent of the symbol it belongs to. Empty when
  // not known. A symbol squeezed between its neighbours and overlapping them
  // is often one glyph read twice (a bold "8" read as "38").
  std::vector<SymbolSpan> symbol_span;
};

// One text line, top to bottom order; `text` is the words joined by spaces.
struct OcrLine {
  std::string text;
  float confidence = 0;
  PixelBox box;
  std::vector<OcrWord> words;
};

// The line's text again from its words, after they were mended.
inline void RejoinWords(OcrLine& line) {
  line.text.clear();
  for (const OcrWord& w : line.words) {
    if (!line.text.empty()) line.text += ' ';
    line.text += w.text;
  }
}

}  // namespace ktp::reader

#endif  // KTP_READER_OCR_TEXT_H_
