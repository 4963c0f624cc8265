// image_quality: each flag fires on an image degraded the way it describes and
// stays off on the clean card.
#include "upstream/local/image_quality.h"

#include "gtest/gtest.h"
#include "tests/unit/card_test_image.h"

namespace ktp::local {
namespace {

CardLocation Found(double angle = 0, bool cropped = false) {
  CardLocation loc;
  loc.found = true;
  loc.angle_deg = angle;
  loc.cropped = cropped;
  loc.aspect = layout::kAspect;
  return loc;
}

v1::ImageQualities Judge(const cv::Mat& card, const CardLocation& loc = Found(), int labels = 14) {
  return JudgeQuality(MeasureQuality(card), loc, labels);
}

int CountFlags(const v1::ImageQualities& q) {
  return q.blurred() + q.bright() + q.copy() + q.cropped() + q.dark() + q.flash() + q.rotated() +
         q.taken_from_screen();
}

TEST(ImageQualityTest, CleanCardHasNoFlagsAndIsAKtp) {
  const v1::ImageQualities q = Judge(testing::DrawTestCard());
  EXPECT_EQ(CountFlags(q), 0) << q.ShortDebugString();
  EXPECT_TRUE(q.ktp());
}

TEST(ImageQualityTest, Dark) {
  cv::Mat card = testing::DrawTestCard() * 0.35;
  const v1::ImageQualities q = Judge(card);
  EXPECT_TRUE(q.dark());
  EXPECT_FALSE(q.bright());
  EXPECT_FALSE(q.blurred());
}

TEST(ImageQualityTest, BrightWashedOut) {
  cv::Mat card;
  testing::DrawTestCard().convertTo(card, -1, 0.4, 160);  // low contrast, high level
  const v1::ImageQualities q = Judge(card);
  EXPECT_TRUE(q.bright()) << q.ShortDebugString();
  EXPECT_FALSE(q.dark());
  EXPECT_FALSE(q.copy());  // colour cannot be judged on a washed-out card
}

TEST(ImageQualityTest, Blurred) {
  cv::Mat card;
  cv::GaussianBlur(testing::DrawTestCard(), card, cv::Size(), 4.0);
  EXPECT_TRUE(Judge(card).blurred());
  // Mild blur is not flagged.
  cv::GaussianBlur(testing::DrawTestCard(), card, cv::Size(), 0.8);
  EXPECT_FALSE(Judge(card).blurred());
}

TEST(ImageQualityTest, GreyscaleIsACopy) {
  cv::Mat grey, card;
  cv::cvtColor(testing::DrawTestCard(), grey, cv::COLOR_BGR2GRAY);
  cv::cvtColor(grey, card, cv::COLOR_GRAY2BGR);
  const v1::ImageQualities q = Judge(card);
  EXPECT_TRUE(q.copy());
  EXPECT_FALSE(q.bright());
}

TEST(ImageQualityTest, Flash) {
  cv::Mat card = testing::DrawTestCard();
  // A clipped white disc over ~6 % of the card, with a soft halo.
  cv::circle(card, {300, 320}, 110, cv::Scalar(255, 255, 255), cv::FILLED, cv::LINE_AA);
  const v1::ImageQualities q = Judge(card);
  EXPECT_TRUE(q.flash()) << MeasureQuality(card).glare_fraction;
  EXPECT_FALSE(q.bright());
}

TEST(ImageQualityTest, GeometryFlagsComeFromTheLocator) {
  const cv::Mat card = testing::DrawTestCard();
  EXPECT_TRUE(Judge(card, Found(15)).rotated());
  EXPECT_TRUE(Judge(card, Found(-12)).rotated());
  EXPECT_FALSE(Judge(card, Found(4)).rotated());
  EXPECT_TRUE(Judge(card, Found(0, true)).cropped());
}

TEST(ImageQualityTest, KtpNeedsLabelsAndTheCardShape) {
  const cv::Mat card = testing::DrawTestCard();
  EXPECT_FALSE(Judge(card, Found(), 2).ktp());
  CardLocation square = Found();
  square.aspect = 1.0;
  EXPECT_FALSE(Judge(card, square, 14).ktp());
  EXPECT_FALSE(Judge(card).taken_from_screen());
}

TEST(ImageQualityTest, EmptyImageDoesNotCrash) {
  const QualityMetrics m = MeasureQuality(cv::Mat());
  EXPECT_EQ(m.mean_luma, 0);
}

}  // namespace
}  // namespace ktp::local
