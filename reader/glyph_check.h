// Glyph-shape checks on the rectified card's pixels, for OCR confusions the
// text alone cannot settle: a house number's letter suffix ("NO. 17B") read
// as the digit 8 ("NO. 178") is a house number either way, but a B has a
// straight stem down its left side where an 8 pinches in at its waist; a
// stop after a street abbreviation is a dot on the baseline whether or not
// Tesseract kept it.
#ifndef KTP_READER_GLYPH_CHECK_H_
#define KTP_READER_GLYPH_CHECK_H_

#include <vector>

#include <opencv2/core.hpp>

#include "reader/ocr_text.h"

namespace ktp::reader {

enum class EightOrB { kEight, kB, kUnsure };

// Which of 8 and B the glyph inside `glyph` (pixels of `grey`, dark ink on a
// light ground, CV_8UC1) is, from its left outline. kUnsure when the glyph's
// ink cannot be told from its neighbours' or is too small to judge.
EightOrB JudgeEightOrB(const cv::Mat& grey, cv::Rect glyph);

// On OCR lines whose boxes are in card pixels (`grey` is the image Tesseract
// read, `scale` times larger): a house number after "NO." that ends in an 8
// whose left side is a straight stem ends in B.
void SettleHouseNumberSuffix(std::vector<OcrLine>& lines, const cv::Mat& grey, double scale);

// On the same lines: a street abbreviation read without its stop ("JL
// MAWAR") gets it back when the gap before the next word holds a dot of ink
// on the baseline (the stop Tesseract dropped). Cards print "JL MAWAR" too:
// without a dot there, the words stay as read.
void RestoreAbbreviationStops(std::vector<OcrLine>& lines, const cv::Mat& grey, double scale);

}  // namespace ktp::reader

#endif  // KTP_READER_GLYPH_CHECK_H_
