// Glyph-shape checks on the card's pixels (see glyph_check.h).
#include "reader/glyph_check.h"

#include <algorithm>
#include <string>

#include <opencv2/imgproc.hpp>

#include "absl/strings/match.h"
#include "reader/street_abbreviations.h"

namespace ktp::reader {
namespace {

// Below this ink height the outline is a few pixels and says nothing.
constexpr int kMinGlyphHeight = 10;
// The waist's indent against the bowls, share of the glyph's width: a B's
// stem is straight to within a pixel; an 8 pinches in by a tenth to a fifth
// of its width. And the share of rows starting on the leftmost ink: a stem's
// nearly all. Measured on ktp-diag's digits (B: indent ≤ 0.05, rows ≥ 0.95;
// 8: indent ≥ 0.07, and ≥ 0.11 where rows ≥ 0.9).
constexpr double kStemMaxIndent = 0.06;
constexpr double kStemMinRows = 0.9;

// A stop is a dot of ink about a stroke across: between these shares of
// the text height each way, mostly ink within its box, its foot on the
// baseline (within this share of the height of the words' foot).
constexpr double kStopMinSize = 0.07;
constexpr double kStopMaxSize = 0.32;
constexpr double kStopMinFill = 0.45;
constexpr double kStopMaxFootOffBaseline = 0.15;

// The street abbreviations whose dropped stop is restored: all but NO, whose
// stop this was not measured on.
bool RestoresStop(const std::string& word) {
  return !absl::EqualsIgnoreCase(word, "NO") &&
         std::any_of(std::begin(kStreetAbbreviations), std::end(kStreetAbbreviations),
                     [&](const char* a) { return absl::EqualsIgnoreCase(word, a); });
}

bool IsDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

EightOrB JudgeEightOrB(const cv::Mat& grey, cv::Rect glyph) {
  if (grey.empty() || grey.type() != CV_8UC1 || glyph.width < 3 || glyph.height < kMinGlyphHeight) {
    return EightOrB::kUnsure;
  }
  // Room around the box Tesseract gave (its symbol extents are approximate).
  const int pad_x = glyph.width / 2 + 2, pad_y = glyph.height / 5 + 2;
  const cv::Rect roi = cv::Rect(glyph.x - pad_x, glyph.y - pad_y, glyph.width + 2 * pad_x,
                                glyph.height + 2 * pad_y) &
                       cv::Rect(0, 0, grey.cols, grey.rows);
  if (roi.width < 3 || roi.height < kMinGlyphHeight) return EightOrB::kUnsure;
  cv::Mat ink;
  cv::threshold(grey(roi), ink, 0, 255, cv::THRESH_BINARY_INV | cv::THRESH_OTSU);
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(ink, labels, stats, centroids, 8, CV_32S);
  // The glyph: the largest blob centred inside the box, about its height.
  const double box_x0 = glyph.x - roi.x, box_x1 = box_x0 + glyph.width;
  int best = -1;
  for (int i = 1; i < n; ++i) {
    const double cx = centroids.at<double>(i, 0);
    if (cx < box_x0 || cx > box_x1) continue;
    if (stats.at<int>(i, cv::CC_STAT_HEIGHT) < glyph.height / 2) continue;
    if (best < 0 || stats.at<int>(i, cv::CC_STAT_AREA) > stats.at<int>(best, cv::CC_STAT_AREA)) best = i;
  }
  if (best < 0) return EightOrB::kUnsure;
  const int x0 = stats.at<int>(best, cv::CC_STAT_LEFT), y0 = stats.at<int>(best, cv::CC_STAT_TOP);
  const int w = stats.at<int>(best, cv::CC_STAT_WIDTH), h = stats.at<int>(best, cv::CC_STAT_HEIGHT);
  // A blob reaching past the padded box is the glyph run into a neighbour.
  // So is one much wider than the symbol (two glyphs touching: "88").
  if (h < kMinGlyphHeight || w < 3 || x0 == 0 || x0 + w >= roi.width || h > 1.6 * glyph.height ||
      w > 1.3 * glyph.width) {
    return EightOrB::kUnsure;
  }
  // Left outline: the first ink column of each row, relative to the blob.
  std::vector<int> left(static_cast<size_t>(h), w);
  for (int y = 0; y < h; ++y) {
    const int* row = labels.ptr<int>(y0 + y);
    for (int x = 0; x < w; ++x) {
      if (row[x0 + x] == best) {
        left[static_cast<size_t>(y)] = x;
        break;
      }
    }
  }
  const auto band_min = [&](double from, double to) {
    int m = w;
    for (int y = static_cast<int>(from * h); y < static_cast<int>(to * h); ++y) {
      m = std::min(m, left[static_cast<size_t>(y)]);
    }
    return m;
  };
  const auto band_max = [&](double from, double to) {
    int m = 0;
    for (int y = static_cast<int>(from * h); y < static_cast<int>(to * h); ++y) {
      m = std::max(m, left[static_cast<size_t>(y)]);
    }
    return m;
  };
  // Both bowls' outermost point, and how far in the outline is at the waist.
  const int bowls = std::max(band_min(0.12, 0.42), band_min(0.58, 0.88));
  const double indent = static_cast<double>(band_max(0.40, 0.60) - bowls) / w;
  // A stem is straight: most rows start within a pixel of the leftmost ink;
  // an 8's bowls touch that line only around their outermost points.
  const int leftmost = band_min(0.10, 0.90);
  int rows = 0, on_stem = 0;
  for (int y = static_cast<int>(0.10 * h); y < static_cast<int>(0.90 * h); ++y, ++rows) {
    if (left[static_cast<size_t>(y)] <= leftmost + 1) ++on_stem;
  }
  const double stem = rows > 0 ? static_cast<double>(on_stem) / rows : 0;
  return indent < kStemMaxIndent && stem >= kStemMinRows ? EightOrB::kB : EightOrB::kEight;
}

void SettleHouseNumberSuffix(std::vector<OcrLine>& lines, const cv::Mat& grey, double scale) {
  for (OcrLine& line : lines) {
    bool changed = false;
    for (size_t k = 0; k < line.words.size(); ++k) {
      OcrWord& word = line.words[k];
      // "NO. 178" (the number its own word) or "NO.178", any case.
      size_t start = 0;
      if (absl::StartsWithIgnoreCase(word.text, "NO.") && word.text.size() > 3) {
        start = 3;
      } else if (k == 0 || !(absl::EqualsIgnoreCase(line.words[k - 1].text, "NO.") ||
                             absl::EqualsIgnoreCase(line.words[k - 1].text, "NO"))) {
        continue;
      }
      const std::string number = word.text.substr(start);
      // A house number of two digits or more ending in 8; one alone is no
      // suffix, and the symbol's extent must be known.
      if (number.size() < 2 || !IsDigits(number) || number.back() != '8') continue;
      if (word.symbol_span.size() != word.text.size()) continue;
      // The last symbol's extent, no wider than the number's digits are on
      // average (Tesseract may give it its neighbour's too).
      const SymbolSpan& span = word.symbol_span.back();
      const double advance =
          static_cast<double>(span.x1 - word.symbol_span[start].x0) / static_cast<double>(number.size());
      const double width = std::min(static_cast<double>(span.x1 - span.x0), 1.15 * advance);
      const cv::Rect glyph(static_cast<int>((span.x1 - width) * scale), static_cast<int>(word.box.y * scale),
                           static_cast<int>(width * scale), static_cast<int>(word.box.h * scale));
      if (JudgeEightOrB(grey, glyph) != EightOrB::kB) continue;
      word.text.back() = 'B';
      changed = true;
    }
    if (changed) RejoinWords(line);
  }
}

namespace {

// Whether the gap from x0 to x1 (card pixels), on a line of text from y0 to
// y1, holds a stop: a dot on the baseline, alone there (blobs reaching
// outside the gap are the glyphs either side).
bool StopInGap(const cv::Mat& grey, double scale, int x0, int x1, int y0, int y1) {
  const double h = (y1 - y0) * scale;
  if (h < kMinGlyphHeight) return false;
  // The gap with the words' height around it, for Otsu to see ink and paper:
  // a little of the words on either side.
  const int pad = static_cast<int>(0.5 * h);
  const cv::Rect gap(static_cast<int>(x0 * scale), static_cast<int>(y0 * scale),
                     std::max(1, static_cast<int>((x1 - x0) * scale)), static_cast<int>(h));
  const cv::Rect roi = cv::Rect(gap.x - pad, gap.y, gap.width + 2 * pad, gap.height) & cv::Rect(0, 0, grey.cols, grey.rows);
  if (roi.width <= 2 * pad || roi.height < kMinGlyphHeight) return false;
  cv::Mat ink;
  cv::threshold(grey(roi), ink, 0, 255, cv::THRESH_BINARY_INV | cv::THRESH_OTSU);
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(ink, labels, stats, centroids, 8, CV_32S);
  const int gx0 = gap.x - roi.x, gx1 = gx0 + gap.width;
  int dots = 0;
  for (int i = 1; i < n; ++i) {
    const int x = stats.at<int>(i, cv::CC_STAT_LEFT), y = stats.at<int>(i, cv::CC_STAT_TOP);
    const int w = stats.at<int>(i, cv::CC_STAT_WIDTH), bh = stats.at<int>(i, cv::CC_STAT_HEIGHT);
    const int area = stats.at<int>(i, cv::CC_STAT_AREA);
    // Only what lies wholly inside the gap (the words' own ink does not).
    if (x < gx0 || x + w > gx1) continue;
    if (w < kStopMinSize * h || bh < kStopMinSize * h) continue;  // a speck
    if (w > kStopMaxSize * h || bh > kStopMaxSize * h) return false;  // more than a stop: a glyph
    if (area < kStopMinFill * w * bh) continue;
    if (std::abs((y + bh) - h) > kStopMaxFootOffBaseline * h) continue;  // not on the baseline
    ++dots;
  }
  return dots == 1;
}

}  // namespace

void RestoreAbbreviationStops(std::vector<OcrLine>& lines, const cv::Mat& grey, double scale) {
  if (grey.empty() || grey.type() != CV_8UC1) return;
  for (OcrLine& line : lines) {
    bool changed = false;
    for (size_t k = 0; k + 1 < line.words.size(); ++k) {
      OcrWord& word = line.words[k];
      const OcrWord& next = line.words[k + 1];
      if (!RestoresStop(word.text)) continue;
      // From the middle of the abbreviation's last glyph (whose extent often
      // takes in the stop Tesseract dropped) to the next word: the glyph's
      // own ink starts left of there.
      if (word.symbol_span.size() != word.text.size()) continue;
      const int x0 = (word.symbol_span.back().x0 + word.symbol_span.back().x1) / 2;
      const int x1 = next.box.x;
      const int y0 = std::min(word.box.y, next.box.y);
      const int y1 = std::max(word.box.y + word.box.h, next.box.y + next.box.h);
      if (x1 - x0 < 2 || !StopInGap(grey, scale, x0, x1, y0, y1)) continue;
      word.text.push_back('.');
      if (!word.symbol_confidence.empty()) word.symbol_confidence.push_back(word.confidence);
      if (!word.symbol_span.empty()) word.symbol_span.push_back({x0, x1});
      changed = true;
    }
    if (changed) RejoinWords(line);
  }
}

}  // namespace ktp::reader
