// reader/glyph_check: telling a B from an 8 by its left outline, and the
// house-number suffix put right on OCR lines.
#include "reader/glyph_check.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

namespace ktp::reader {
namespace {

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr double kScale = 1.2;
constexpr int kThickness = 3;

// Draws `text` one glyph at a time from x = 20, baseline 60, on a light
// ground; returns each glyph's ink box.
std::vector<cv::Rect> Draw(cv::Mat& grey, const std::string& text, int blur = 0) {
  grey = cv::Mat(90, 40 + 40 * static_cast<int>(text.size()), CV_8UC1, cv::Scalar(235));
  std::vector<cv::Rect> boxes;
  int x = 20;
  for (char c : text) {
    const std::string s(1, c);
    int base = 0;
    const cv::Size size = cv::getTextSize(s, kFont, kScale, kThickness, &base);
    cv::putText(grey, s, cv::Point(x, 60), kFont, kScale, cv::Scalar(25), kThickness, cv::LINE_AA);
    boxes.emplace_back(x, 60 - size.height - 2, size.width, size.height + 4);
    x += size.width + 6;
  }
  if (blur > 0) cv::GaussianBlur(grey, grey, cv::Size(), blur * 0.5);
  return boxes;
}

TEST(GlyphCheckTest, AStraightStemIsABAndAPinchedWaistAnEight) {
  cv::Mat grey;
  std::vector<cv::Rect> boxes = Draw(grey, "8B");
  EXPECT_EQ(JudgeEightOrB(grey, boxes[0]), EightOrB::kEight);
  EXPECT_EQ(JudgeEightOrB(grey, boxes[1]), EightOrB::kB);
  // Softened as a phone photo softens print: the same.
  boxes = Draw(grey, "8B", 2);
  EXPECT_EQ(JudgeEightOrB(grey, boxes[0]), EightOrB::kEight);
  EXPECT_EQ(JudgeEightOrB(grey, boxes[1]), EightOrB::kB);
}

TEST(GlyphCheckTest, TooSmallOrEmptyIsUnsure) {
  cv::Mat grey;
  const std::vector<cv::Rect> boxes = Draw(grey, "B");
  EXPECT_EQ(JudgeEightOrB(grey, cv::Rect(boxes[0].x, boxes[0].y, boxes[0].width, 6)), EightOrB::kUnsure);
  EXPECT_EQ(JudgeEightOrB(grey, cv::Rect(grey.cols - 12, 5, 10, 30)), EightOrB::kUnsure);  // no ink
  EXPECT_EQ(JudgeEightOrB(cv::Mat(), boxes[0]), EightOrB::kUnsure);
}

// One OCR line "NO. <digits>" whose last word's symbols are `boxes` (the
// image at `scale` times the lines' pixels).
OcrLine HouseNumberLine(const std::string& read, const std::vector<cv::Rect>& boxes, double scale) {
  OcrLine line;
  OcrWord no;
  no.text = "NO.";
  OcrWord number;
  number.text = read;
  int x0 = boxes.front().x, y0 = boxes.front().y, x1 = 0, y1 = 0;
  for (const cv::Rect& b : boxes) {
    number.symbol_span.push_back({static_cast<int>(b.x / scale), static_cast<int>((b.x + b.width) / scale)});
    number.symbol_confidence.push_back(90);
    x1 = std::max(x1, b.x + b.width);
    y0 = std::min(y0, b.y);
    y1 = std::max(y1, b.y + b.height);
  }
  number.box = {static_cast<int>(x0 / scale), static_cast<int>(y0 / scale), static_cast<int>((x1 - x0) / scale),
                static_cast<int>((y1 - y0) / scale)};
  line.words = {no, number};
  line.text = "NO. " + read;
  return line;
}

TEST(GlyphCheckTest, AHouseNumberEndingInAnEightWithAStemEndsInB) {
  cv::Mat grey;
  const double scale = 1.5;
  // "17B" printed, "178" read: the suffix is put back.
  std::vector<OcrLine> lines = {HouseNumberLine("178", Draw(grey, "17B"), scale)};
  SettleHouseNumberSuffix(lines, grey, scale);
  EXPECT_EQ(lines[0].words[1].text, "17B");
  EXPECT_EQ(lines[0].text, "NO. 17B");
  // A title-case card ("Jl. Mawar No. 17B") the same.
  lines = {HouseNumberLine("178", Draw(grey, "17B"), scale)};
  lines[0].words[0].text = "No.";
  SettleHouseNumberSuffix(lines, grey, scale);
  EXPECT_EQ(lines[0].words[1].text, "17B");
  // "178" printed and read: left.
  lines = {HouseNumberLine("178", Draw(grey, "178"), scale)};
  SettleHouseNumberSuffix(lines, grey, scale);
  EXPECT_EQ(lines[0].text, "NO. 178");
  // Not after "NO.", or a lone digit: no house-number suffix to settle.
  lines = {HouseNumberLine("B", Draw(grey, "B"), scale)};
  lines[0].words[1].text = "8";
  SettleHouseNumberSuffix(lines, grey, scale);
  EXPECT_EQ(lines[0].words[1].text, "8");
  lines = {HouseNumberLine("178", Draw(grey, "17B"), scale)};
  lines[0].words[0].text = "RT";
  SettleHouseNumberSuffix(lines, grey, scale);
  EXPECT_EQ(lines[0].words[1].text, "178");
}

// What lies between a street abbreviation and the next word.
enum class Gap { kNothing, kStop, kSpeck, kDash };

// "<abbreviation> MAWAR" drawn glyph by glyph on a light ground (baseline 60,
// the lines' pixels `scale` times smaller than the image's), with `gap`
// between the words, and the line as Tesseract would give it without a stop.
OcrLine AbbreviationLine(cv::Mat& grey, const std::string& abbreviation, Gap gap, double scale, int blur = 0) {
  grey = cv::Mat(90, 520, CV_8UC1, cv::Scalar(235));
  OcrLine line;
  OcrWord word;
  word.text = abbreviation;
  int x = 20, top = 60, bottom = 62;
  for (char c : abbreviation) {
    int base = 0;
    const cv::Size size = cv::getTextSize(std::string(1, c), kFont, kScale, kThickness, &base);
    cv::putText(grey, std::string(1, c), cv::Point(x, 60), kFont, kScale, cv::Scalar(25), kThickness, cv::LINE_AA);
    word.symbol_span.push_back({static_cast<int>(x / scale), static_cast<int>((x + size.width) / scale)});
    word.symbol_confidence.push_back(90);
    top = std::min(top, 60 - size.height - 2);
    x += size.width + 4;
  }
  word.box = {static_cast<int>(20 / scale), static_cast<int>(top / scale), static_cast<int>((x - 24) / scale),
              static_cast<int>((bottom - top) / scale)};
  switch (gap) {
    case Gap::kStop: cv::circle(grey, cv::Point(x + 3, 57), 3, cv::Scalar(25), cv::FILLED, cv::LINE_AA); break;
    case Gap::kSpeck: cv::rectangle(grey, cv::Rect(x + 3, 58, 1, 1), cv::Scalar(25), cv::FILLED); break;
    case Gap::kDash: cv::rectangle(grey, cv::Rect(x, 44, 14, 4), cv::Scalar(25), cv::FILLED); break;
    case Gap::kNothing: break;
  }
  x += 22;
  int base = 0;
  const cv::Size size = cv::getTextSize("MAWAR", kFont, kScale, kThickness, &base);
  cv::putText(grey, "MAWAR", cv::Point(x, 60), kFont, kScale, cv::Scalar(25), kThickness, cv::LINE_AA);
  OcrWord next;
  next.text = "MAWAR";
  next.box = {static_cast<int>(x / scale), static_cast<int>((60 - size.height - 2) / scale),
              static_cast<int>(size.width / scale), static_cast<int>((size.height + 4) / scale)};
  if (blur > 0) cv::GaussianBlur(grey, grey, cv::Size(), blur * 0.5);
  line.words = {word, next};
  RejoinWords(line);
  return line;
}

TEST(GlyphCheckTest, AStreetAbbreviationsDroppedStopComesBackFromTheDotOnTheBaseline) {
  cv::Mat grey;
  const double scale = 1.5;
  for (int blur : {0, 2}) {
    std::vector<OcrLine> lines = {AbbreviationLine(grey, "JL", Gap::kStop, scale, blur)};
    RestoreAbbreviationStops(lines, grey, scale);
    EXPECT_EQ(lines[0].text, "JL. MAWAR") << blur;
    ASSERT_EQ(lines[0].words[0].symbol_span.size(), 3u);
    ASSERT_EQ(lines[0].words[0].symbol_confidence.size(), 3u);
    lines = {AbbreviationLine(grey, "GG", Gap::kStop, scale, blur)};
    RestoreAbbreviationStops(lines, grey, scale);
    EXPECT_EQ(lines[0].text, "GG. MAWAR") << blur;
  }
  // Printed without a stop (cards do), a speck of noise, a stroke too long
  // for a stop and off the baseline: as read.
  for (Gap gap : {Gap::kNothing, Gap::kSpeck, Gap::kDash}) {
    std::vector<OcrLine> lines = {AbbreviationLine(grey, "JL", gap, scale)};
    RestoreAbbreviationStops(lines, grey, scale);
    EXPECT_EQ(lines[0].text, "JL MAWAR") << static_cast<int>(gap);
  }
  // A word that is no street abbreviation keeps its dot out.
  std::vector<OcrLine> lines = {AbbreviationLine(grey, "AL", Gap::kStop, scale)};
  RestoreAbbreviationStops(lines, grey, scale);
  EXPECT_EQ(lines[0].text, "AL MAWAR");
}

}  // namespace
}  // namespace ktp::reader
