// Test helper: a KTP-like card drawn with OpenCV (light-blue background, dark
// Hershey text in the label/value columns, a grey photo box), and placement of
// that card on a canvas under a given quad. Shared by the locator and quality
// tests; not a substitute for ktp-synth, just enough structure to measure.
#ifndef KTP_TESTS_READER_CARD_TEST_IMAGE_H_
#define KTP_TESTS_READER_CARD_TEST_IMAGE_H_

#include <array>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "reader/card_layout.h"

namespace ktp::reader::testing {

inline cv::Mat DrawTestCard() {
  cv::Mat card(layout::kCardHeight, layout::kCardWidth, CV_8UC3, cv::Scalar(238, 218, 188));
  const char* labels[] = {"Nama", "Tempat/Tgl Lahir", "Jenis Kelamin", "Alamat", "RT/RW",
                          "Kel/Desa", "Kecamatan", "Agama", "Status Perkawinan", "Pekerjaan",
                          "Kewarganegaraan", "Berlaku Hingga"};
  cv::putText(card, "PROVINSI JAWA BARAT", {300, 55}, cv::FONT_HERSHEY_SIMPLEX, 1.0,
              cv::Scalar(20, 20, 20), 2, cv::LINE_AA);
  cv::putText(card, "NIK : 3204120101900001", {30, 155}, cv::FONT_HERSHEY_SIMPLEX, 1.1,
              cv::Scalar(20, 20, 20), 2, cv::LINE_AA);
  for (int i = 0; i < 12; ++i) {
    const int y = static_cast<int>((layout::kFirstRowY + i * layout::kRowPitch) * layout::kCardHeight) + 8;
    cv::putText(card, labels[i], {30, y}, cv::FONT_HERSHEY_SIMPLEX, 0.65, cv::Scalar(30, 30, 30), 1,
                cv::LINE_AA);
    cv::putText(card, ": CONTOH NILAI", {268, y}, cv::FONT_HERSHEY_SIMPLEX, 0.65,
                cv::Scalar(30, 30, 30), 1, cv::LINE_AA);
  }
  const auto& p = layout::kPhoto;
  cv::rectangle(card,
                cv::Rect(cv::Point(int(p.x0 * card.cols), int(p.y0 * card.rows)),
                         cv::Point(int(p.x1 * card.cols), int(p.y1 * card.rows))),
                cv::Scalar(150, 150, 150), cv::FILLED);
  return card;
}

// The card's corners (TL, TR, BR, BL) when its centre is at `centre`, its width
// `width` px, turned by `angle_deg` clockwise.
inline std::array<cv::Point2f, 4> CardQuad(cv::Point2f centre, float width, float angle_deg) {
  const float height = width / static_cast<float>(layout::kAspect);
  const float a = angle_deg * static_cast<float>(CV_PI / 180.0);
  const cv::Point2f u(std::cos(a), std::sin(a)), v(-std::sin(a), std::cos(a));
  return {centre - u * (width / 2) - v * (height / 2), centre + u * (width / 2) - v * (height / 2),
          centre + u * (width / 2) + v * (height / 2), centre - u * (width / 2) + v * (height / 2)};
}

// Draws `card` into `canvas` under `quad` (perspective warp, no background change).
inline void PlaceCard(const cv::Mat& card, const std::array<cv::Point2f, 4>& quad, cv::Mat& canvas) {
  const cv::Point2f src[4] = {{0, 0},
                              {float(card.cols), 0},
                              {float(card.cols), float(card.rows)},
                              {0, float(card.rows)}};
  const cv::Mat h = cv::getPerspectiveTransform(src, quad.data());
  cv::warpPerspective(card, canvas, h, canvas.size(), cv::INTER_LINEAR, cv::BORDER_TRANSPARENT);
}

}  // namespace ktp::reader::testing

#endif  // KTP_TESTS_READER_CARD_TEST_IMAGE_H_
