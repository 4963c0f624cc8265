// Glyph-shape checks on the card's pixels (see glyph_check.h).
#include "reader/glyph_check.h"

#include <algorithm>
#include <string>

#include <opencv2/imgproc.hpp>

#include "absl/strings/match.h"

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

}  // namespace ktp::reader
