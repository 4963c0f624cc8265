// card_locator: recovers a drawn card's corners under rotation and
// perspective, extrapolates corners cut off by the border, falls back to the
// full image when the card fills the frame, and rectifies consistently.
#include "reader/card_locator.h"

#include <cmath>

#include "gtest/gtest.h"
#include "tests/reader/card_test_image.h"

namespace ktp::reader {
namespace {

using testing::CardQuad;
using testing::DrawTestCard;
using testing::PlaceCard;

double MaxCornerError(const std::array<cv::Point2f, 4>& a, const std::array<cv::Point2f, 4>& b) {
  double worst = 0;
  for (int i = 0; i < 4; ++i) worst = std::max<double>(worst, std::hypot(a[i].x - b[i].x, a[i].y - b[i].y));
  return worst;
}

class RotatedCardTest : public ::testing::TestWithParam<float> {};

TEST_P(RotatedCardTest, FindsTheCorners) {
  const float angle = GetParam();
  cv::Mat canvas(900, 1200, CV_8UC3, cv::Scalar(45, 55, 70));
  const auto truth = CardQuad({600, 450}, 700, angle);
  PlaceCard(DrawTestCard(), truth, canvas);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  ASSERT_TRUE(loc.found);
  EXPECT_LT(MaxCornerError(loc.quad, truth), 5.0);
  EXPECT_NEAR(loc.angle_deg, angle, 1.0);
  EXPECT_FALSE(loc.cropped);
  EXPECT_NEAR(loc.aspect, layout::kAspect, 0.05);
  EXPECT_NEAR(loc.area_fraction, 700.0 * 700.0 / layout::kAspect / (1200.0 * 900.0), 0.02);
}

INSTANTIATE_TEST_SUITE_P(Angles, RotatedCardTest, ::testing::Values(-28.f, -12.f, 0.f, 4.f, 17.f, 30.f));

TEST(CardLocatorTest, PerspectiveQuad) {
  cv::Mat canvas(900, 1200, CV_8UC3, cv::Scalar(40, 40, 40));
  const std::array<cv::Point2f, 4> truth = {cv::Point2f(250, 200), cv::Point2f(960, 240),
                                            cv::Point2f(990, 690), cv::Point2f(210, 660)};
  PlaceCard(DrawTestCard(), truth, canvas);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  ASSERT_TRUE(loc.found);
  EXPECT_LT(MaxCornerError(loc.quad, truth), 5.0);
  // The homography maps canonical card corners onto the quad.
  for (int i = 0; i < 4; ++i) {
    const cv::Point2f canon[4] = {{0, 0},
                                  {float(layout::kCardWidth), 0},
                                  {float(layout::kCardWidth), float(layout::kCardHeight)},
                                  {0, float(layout::kCardHeight)}};
    const cv::Point2f p = reader::CardToImage(loc, canon[i]);
    EXPECT_NEAR(p.x, loc.quad[i].x, 0.5);
    EXPECT_NEAR(p.y, loc.quad[i].y, 0.5);
    // Same point through a 2× card frame.
    const cv::Point2f q = reader::CardToImage(loc, canon[i] * 2.f, 2.0);
    EXPECT_NEAR(q.x, loc.quad[i].x, 0.5);
  }
}

TEST(CardLocatorTest, CardCutByTheBorderIsCroppedWithExtrapolatedCorners) {
  cv::Mat canvas(800, 1100, CV_8UC3, cv::Scalar(60, 60, 60));
  // Centre near the left edge: about a fifth of the card is outside.
  const auto truth = CardQuad({330, 400}, 800, 3);
  PlaceCard(DrawTestCard(), truth, canvas);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  ASSERT_TRUE(loc.found);
  EXPECT_TRUE(loc.cropped);
  EXPECT_LT(loc.quad[0].x, 0);
  EXPECT_LT(MaxCornerError(loc.quad, truth), 20.0);
}

TEST(CardLocatorTest, CardFillingTheFrameFallsBackToTheFullImage) {
  const cv::Mat card = DrawTestCard();
  const reader::CardLocation loc = reader::LocateCard(card);
  EXPECT_FALSE(loc.found);
  EXPECT_FALSE(loc.cropped);
  EXPECT_EQ(loc.quad[2], cv::Point2f(float(card.cols), float(card.rows)));
  EXPECT_NEAR(loc.aspect, layout::kAspect, 0.01);
  const cv::Mat rect = reader::RectifyCard(card, loc, cv::Size(layout::kCardWidth, layout::kCardHeight));
  ASSERT_EQ(rect.size(), card.size());
  cv::Mat diff;
  cv::absdiff(rect, card, diff);
  EXPECT_LT(cv::mean(diff)[0], 1.0);
}

TEST(CardLocatorTest, RectifiedCardLooksLikeTheOriginal) {
  cv::Mat canvas(900, 1200, CV_8UC3, cv::Scalar(45, 55, 70));
  const cv::Mat card = DrawTestCard();
  PlaceCard(card, CardQuad({600, 450}, 900, -14), canvas);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  ASSERT_TRUE(loc.found);
  const cv::Mat rect = reader::RectifyCard(canvas, loc, card.size());
  // The photo box lands where the layout puts it.
  const cv::Point photo_centre(int((layout::kPhoto.x0 + layout::kPhoto.x1) / 2 * card.cols),
                               int((layout::kPhoto.y0 + layout::kPhoto.y1) / 2 * card.rows));
  const cv::Vec3b p = rect.at<cv::Vec3b>(photo_centre);
  EXPECT_NEAR(p[0], 150, 10);
  EXPECT_NEAR(p[2], 150, 10);
}

TEST(CardLocatorTest, NoCrashOnTinyOrEmptyImages) {
  EXPECT_FALSE(reader::LocateCard(cv::Mat()).found);
  EXPECT_FALSE(reader::LocateCard(cv::Mat(4, 4, CV_8UC3, cv::Scalar(1, 2, 3))).found);
  EXPECT_FALSE(reader::LocateCard(cv::Mat(300, 300, CV_8UC3, cv::Scalar(90, 90, 90))).found);
}

// A card turned by 90° or 270° is found; the outline cannot say which, so
// both come back ordered as 90° (top edge on the right), and Rotated180 gives
// the other reading.
TEST(CardLocatorTest, CardTurnedByAQuarterIsFoundOrderedAsNinetyDegrees) {
  for (float turn : {90.f, 270.f}) {
    SCOPED_TRACE(turn);
    for (float tilt : {-4.f, 0.f, 6.f}) {
      SCOPED_TRACE(tilt);
      cv::Mat canvas(1200, 900, CV_8UC3, cv::Scalar(45, 55, 70));
      const auto truth = CardQuad({450, 600}, 700, turn + tilt);
      PlaceCard(DrawTestCard(), truth, canvas);
      const reader::CardLocation loc = reader::LocateCard(canvas);
      ASSERT_TRUE(loc.found);
      EXPECT_FALSE(loc.cropped);
      EXPECT_NEAR(loc.aspect, layout::kAspect, 0.05);
      EXPECT_EQ(loc.quarter_turns, 1);
      EXPECT_NEAR(loc.tilt_deg, tilt, 1.0);
      const reader::CardLocation other = reader::Rotated180(loc);
      EXPECT_EQ(other.quarter_turns, 3);
      EXPECT_NEAR(other.tilt_deg, tilt, 1.0);
      EXPECT_LT(MaxCornerError(turn == 90.f ? loc.quad : other.quad, truth), 5.0);
    }
  }
}

TEST(CardLocatorTest, UpsideDownCardIsFoundUprightAndRotated180TurnsItOver) {
  cv::Mat canvas(900, 1200, CV_8UC3, cv::Scalar(45, 55, 70));
  const auto truth = CardQuad({600, 450}, 700, 183);
  PlaceCard(DrawTestCard(), truth, canvas);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  ASSERT_TRUE(loc.found);
  EXPECT_EQ(loc.quarter_turns, 0);
  const reader::CardLocation flipped = reader::Rotated180(loc);
  EXPECT_EQ(flipped.quarter_turns, 2);
  EXPECT_NEAR(flipped.tilt_deg, 3.0, 1.0);
  EXPECT_LT(MaxCornerError(flipped.quad, truth), 5.0);
  // Rectified the right way up: the photo box is where the layout puts it.
  const cv::Mat card = DrawTestCard();
  const cv::Mat rect = reader::RectifyCard(canvas, flipped, card.size());
  const cv::Point photo_centre(int((layout::kPhoto.x0 + layout::kPhoto.x1) / 2 * card.cols),
                               int((layout::kPhoto.y0 + layout::kPhoto.y1) / 2 * card.rows));
  EXPECT_NEAR(rect.at<cv::Vec3b>(photo_centre)[0], 150, 10);
  EXPECT_EQ(reader::Rotated180(flipped).quad, loc.quad);
}

TEST(CardLocatorTest, PortraitImageFilledByTheCardIsTakenAsTurned) {
  cv::Mat card;
  cv::rotate(DrawTestCard(), card, cv::ROTATE_90_CLOCKWISE);
  const reader::CardLocation loc = reader::LocateCard(card);
  EXPECT_FALSE(loc.found);
  EXPECT_EQ(loc.quarter_turns, 1);
  const cv::Mat rect = reader::RectifyCard(card, loc, cv::Size(layout::kCardWidth, layout::kCardHeight));
  cv::Mat diff;
  cv::absdiff(rect, DrawTestCard(), diff);
  EXPECT_LT(cv::mean(diff)[0], 5.0);  // upright (sideways would differ by tens)
  // A square or landscape fallback is not turned.
  EXPECT_EQ(reader::LocateCard(cv::Mat(300, 300, CV_8UC3, cv::Scalar(90, 90, 90))).quarter_turns, 0);
}

}  // namespace
}  // namespace ktp::reader
