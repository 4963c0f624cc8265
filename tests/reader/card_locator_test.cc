// card_locator: recovers a drawn card's corners under rotation and
// perspective, extrapolates corners cut off by the border, falls back to the
// full image when the card fills the frame, and rectifies consistently; inside
// the rectified card it finds the photo's left edge and the colon column per
// card rather than assuming the nominal layout.
#include "reader/card_locator.h"

#include <cmath>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "gtest/gtest.h"
#include "identity/region_directory.h"
#include "reader/card_layout.h"
#include "synth/card_renderer.h"
#include "synth/identity.h"
#include "synth/random.h"
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

TEST(CardLocatorTest, ALitPatchOfDeskRunningOffTheBorderIsNotTheCard) {
  // A bright trapezoid of desk (lamp light) running off the bottom border,
  // larger than the card: card-like in aspect once its cut side is placed,
  // but its top is half its bottom, a slant no readable photo of a card has.
  cv::Mat canvas(900, 1200, CV_8UC3, cv::Scalar(50, 50, 50));
  const std::vector<cv::Point> patch = {{550, 560}, {950, 560}, {1150, 899}, {350, 899}};
  cv::fillConvexPoly(canvas, patch, cv::Scalar(200, 200, 205), cv::LINE_AA);
  const auto truth = CardQuad({300, 250}, 420, 2);
  PlaceCard(DrawTestCard(), truth, canvas);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  ASSERT_TRUE(loc.found);
  EXPECT_FALSE(loc.cropped);
  EXPECT_LT(MaxCornerError(loc.quad, truth), 8.0);
}

TEST(CardLocatorTest, LightBlueCardOnAWarmDeskAsBrightAndAsGreyIsFound) {
  // The desk matches the card in brightness and saturation, only its hue
  // differs (warm against the e-KTP's blue), and the light falls off across
  // it, so the border's colour is no single background colour either.
  cv::Mat canvas(900, 1200, CV_8UC3);
  for (int y = 0; y < canvas.rows; ++y) {
    for (int x = 0; x < canvas.cols; ++x) {
      // Lit like the card on the right, in soft shadow towards the left.
      const double light = std::min(1.0, 0.55 + 0.9 * x / canvas.cols);
      canvas.at<cv::Vec3b>(y, x) = cv::Vec3b(cv::saturate_cast<uint8_t>(188 * light),
                                             cv::saturate_cast<uint8_t>(210 * light),
                                             cv::saturate_cast<uint8_t>(238 * light));
    }
  }
  const auto truth = CardQuad({600, 450}, 760, -3);
  PlaceCard(DrawTestCard(), truth, canvas);
  cv::GaussianBlur(canvas, canvas, cv::Size(0, 0), 3.0);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  ASSERT_TRUE(loc.found);
  EXPECT_FALSE(loc.cropped);
  EXPECT_LT(MaxCornerError(loc.quad, truth), 8.0);
}

TEST(CardLocatorTest, ANearWhiteCardOnAPaleWarmDeskIsFoundByItsFaintBlueDespiteItsRedPhoto) {
  // A card whose blue is faint (b* ≈ -2) on a pale warm desk (b* ≈ +4)
  // lit from the top, as bright as the card at the top and darker below:
  // neither brightness nor saturation nor the border's colour outlines it.
  // On the blue-yellow axis the card's saturated red photo lies far out and
  // takes Otsu's split for itself unless the extremes are clipped.
  cv::Mat canvas(860, 1150, CV_8UC3);
  for (int y = 0; y < canvas.rows; ++y) {
    const double t = static_cast<double>(y) / canvas.rows;
    canvas.row(y).setTo(cv::Scalar(212 - 72 * t, 220 - 76 * t, 228 - 81 * t));
  }
  cv::Mat card = DrawTestCard();
  cv::Mat background;
  cv::inRange(card, cv::Scalar(238, 218, 188), cv::Scalar(238, 218, 188), background);
  card.setTo(cv::Scalar(228, 225, 220), background);
  const auto& p = layout::kPhoto;
  cv::rectangle(card,
                cv::Rect(cv::Point(int(p.x0 * card.cols), int(p.y0 * card.rows)),
                         cv::Point(int(p.x1 * card.cols), int(p.y1 * card.rows))),
                cv::Scalar(0, 0, 230), cv::FILLED);
  const auto truth = CardQuad({560, 330}, 800, 2);
  PlaceCard(card, truth, canvas);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  ASSERT_TRUE(loc.found);
  EXPECT_FALSE(loc.cropped);
  EXPECT_LT(MaxCornerError(loc.quad, truth), 6.0);
}

TEST(CardLocatorTest, ALitDeskMergedWithTheCardDownToTheFramesCornersIsNotTheCard) {
  // A pale grey desk, lit around and below the card as brightly as the card
  // itself, the lit patch running on from the card's top edge to the frame's
  // bottom corners: card and patch make one bright region whose outline is
  // a card-like quad with two corners in the frame's own corners. The card
  // is the blue part at its top.
  cv::Mat canvas(700, 1300, CV_8UC3, cv::Scalar(150, 152, 155));
  const auto truth = CardQuad({650, 330}, 760, 0);
  const std::vector<cv::Point> lit = {cv::Point(truth[0]), cv::Point(truth[1]), {1299, 699}, {0, 699}};
  cv::fillConvexPoly(canvas, lit, cv::Scalar(236, 238, 240), cv::LINE_AA);
  PlaceCard(DrawTestCard(), truth, canvas);
  cv::GaussianBlur(canvas, canvas, cv::Size(0, 0), 2.0);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  ASSERT_TRUE(loc.found);
  EXPECT_FALSE(loc.cropped);
  EXPECT_LT(MaxCornerError(loc.quad, truth), 8.0) << loc.quad[2] << " " << loc.quad[3];
}

// The test card as photocopied: grey, its edge a thin grey line on the paper.
cv::Mat PhotocopiedCard() {
  cv::Mat grey, card;
  cv::cvtColor(DrawTestCard(), grey, cv::COLOR_BGR2GRAY);
  cv::cvtColor(grey, card, cv::COLOR_GRAY2BGR);
  cv::rectangle(card, cv::Rect(0, 0, card.cols, card.rows), cv::Scalar(140, 140, 140), 4);
  return card;
}

TEST(CardLocatorTest, APhotocopiedCardIsFoundOnItsSheet) {
  // A copy on a sheet of A4 (1.41, within a card's aspect range), on a dark
  // desk: the sheet's outline is what stands out, the card is inside it.
  for (float angle : {0.f, 8.f, -35.f}) {
    SCOPED_TRACE(angle);
    cv::Mat canvas(1200, 1300, CV_8UC3, cv::Scalar(60, 55, 50));
    const cv::Point2f centre(650, 600);
    const float a = angle * static_cast<float>(CV_PI / 180.0);
    const cv::Point2f u(std::cos(a), std::sin(a)), v(-std::sin(a), std::cos(a));
    const float w = 480, h = w / 1.414f;  // half the sheet's sides
    const std::vector<cv::Point> sheet = {cv::Point(centre - u * w - v * h), cv::Point(centre + u * w - v * h),
                                          cv::Point(centre + u * w + v * h), cv::Point(centre - u * w + v * h)};
    cv::fillConvexPoly(canvas, sheet, cv::Scalar(236, 238, 238), cv::LINE_AA);
    const auto truth = CardQuad(centre, 440, angle);
    PlaceCard(PhotocopiedCard(), truth, canvas);
    cv::GaussianBlur(canvas, canvas, cv::Size(0, 0), 1.0);
    const reader::CardLocation loc = reader::LocateCard(canvas);
    ASSERT_TRUE(loc.found);
    EXPECT_FALSE(loc.cropped);
    EXPECT_LT(MaxCornerError(loc.quad, truth), 6.0) << loc.quad[0] << " " << loc.quad[2];
    EXPECT_NEAR(loc.aspect, layout::kAspect, 0.05);
  }
}

TEST(CardLocatorTest, ACardSquatUnderPerspectiveIsFoundWholeNotItsPhoto) {
  // Measured 1.43 (a card seen from the side), in the range a sheet of paper
  // has: it is looked inside, and nothing in it is a card.
  cv::Mat canvas(900, 1200, CV_8UC3, cv::Scalar(45, 55, 70));
  const std::array<cv::Point2f, 4> truth = {cv::Point2f(250, 200), cv::Point2f(950, 212),
                                            cv::Point2f(952, 700), cv::Point2f(248, 690)};
  PlaceCard(DrawTestCard(), truth, canvas);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  ASSERT_TRUE(loc.found);
  EXPECT_LT(loc.aspect, 1.45);
  EXPECT_LT(MaxCornerError(loc.quad, truth), 5.0);
}

TEST(CardLocatorTest, ASquatCardsTallBluePhotoIsNotACardOnASheet) {
  // The squat card is looked inside as a sheet would be; its photo, a
  // saturated blue box as tall as a turned card is long, is the only outline
  // there. The card's own light blue says it is no sheet of paper.
  cv::Mat card = DrawTestCard();
  const auto& p = layout::kPhoto;
  const cv::Vec3b paper = card.at<cv::Vec3b>(card.rows - 10, card.cols / 2);
  cv::rectangle(card,
                cv::Rect(cv::Point(int(p.x0 * card.cols), int(p.y0 * card.rows)),
                         cv::Point(int(p.x1 * card.cols), int(p.y1 * card.rows))),
                cv::Scalar(paper[0], paper[1], paper[2]), cv::FILLED);
  cv::rectangle(card, cv::Rect(770, 100, 170, 272), cv::Scalar(200, 90, 20), cv::FILLED);
  cv::Mat canvas(900, 1200, CV_8UC3, cv::Scalar(110, 110, 110));
  const std::array<cv::Point2f, 4> truth = {cv::Point2f(250, 200), cv::Point2f(950, 212),
                                            cv::Point2f(952, 700), cv::Point2f(248, 690)};
  PlaceCard(card, truth, canvas);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  ASSERT_TRUE(loc.found);
  EXPECT_EQ(loc.quarter_turns, 0);
  EXPECT_LT(MaxCornerError(loc.quad, truth), 5.0) << loc.quad[0] << " " << loc.quad[2];
}

TEST(CardLocatorTest, ACopyOnPaperTintedBlueIsStillFoundOnItsSheet) {
  // A copy's paper under a cool cast is faintly light blue (saturation ≈ 19,
  // a card's ≥ 30): still paper, so the card is looked for on it.
  cv::Mat canvas(1200, 1300, CV_8UC3, cv::Scalar(60, 55, 50));
  const cv::Point2f centre(650, 600);
  const std::vector<cv::Point> sheet = {cv::Point(170, 260), cv::Point(1130, 260), cv::Point(1130, 940),
                                        cv::Point(170, 940)};
  cv::fillConvexPoly(canvas, sheet, cv::Scalar(240, 232, 222), cv::LINE_AA);
  const auto truth = CardQuad(centre, 440, 0);
  cv::Mat copy = PhotocopiedCard();
  cv::Mat tinted;
  cv::multiply(copy, cv::Scalar(1.0, 0.967, 0.925), tinted);
  PlaceCard(tinted, truth, canvas);
  cv::GaussianBlur(canvas, canvas, cv::Size(0, 0), 1.0);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  ASSERT_TRUE(loc.found);
  EXPECT_LT(MaxCornerError(loc.quad, truth), 6.0) << loc.quad[0] << " " << loc.quad[2];
}

TEST(CardLocatorTest, ACopyScannedOnAPageThatRunsOffTheFrameIsTheCardNotThePage) {
  // The scanner's lid grey around a warm page that fills the frame and runs
  // off two of its sides, card-shaped itself: the page is cut by the frame,
  // the card inside it is whole, and it is the card.
  cv::Mat canvas(1066, 1600, CV_8UC3, cv::Scalar(236, 236, 236));
  const std::vector<cv::Point> page = {cv::Point(8, 40), cv::Point(1556, -4), cv::Point(1578, 1030),
                                       cv::Point(32, 1064)};
  cv::fillConvexPoly(canvas, page, cv::Scalar(214, 230, 242), cv::LINE_AA);
  const auto truth = CardQuad({800, 533}, 900, 0);
  PlaceCard(PhotocopiedCard(), truth, canvas);
  cv::GaussianBlur(canvas, canvas, cv::Size(0, 0), 1.0);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  ASSERT_TRUE(loc.found);
  EXPECT_FALSE(loc.cropped);
  EXPECT_LT(MaxCornerError(loc.quad, truth), 6.0) << loc.quad[0] << " " << loc.quad[2];
}

TEST(CardLocatorTest, ACardHalfInTheShadeOfALightRunningOffTheFrameIsTheWholeCard) {
  // A pale card on a pale desk, lit from the left: the light's edge crosses
  // the card, and in brightness the lit desk and the card's lit part are one
  // region that runs off three sides of the frame, card-shaped and larger
  // than the card. The card's own outline (its colour) is whole, mostly
  // inside that region but not all of it: it is the card.
  cv::Mat canvas(600, 800, CV_8UC3, cv::Scalar(226, 228, 230));
  const std::array<cv::Point2f, 4> truth = {cv::Point2f(107, 145), cv::Point2f(750, 148), cv::Point2f(736, 564),
                                            cv::Point2f(105, 558)};
  PlaceCard(DrawTestCard(), truth, canvas);
  // The light: a patch whose left side lies beyond the frame, its right edge
  // across the card; outside it desk and card are 15 % darker.
  cv::Mat lit = cv::Mat::zeros(canvas.size(), CV_8U);
  const std::vector<cv::Point> light = {cv::Point(-178, -9), cv::Point(672, 33), cv::Point(729, 560),
                                        cv::Point(-111, 605)};
  cv::fillConvexPoly(lit, light, cv::Scalar(255));
  for (int y = 0; y < canvas.rows; ++y) {
    for (int x = 0; x < canvas.cols; ++x) {
      if (lit.at<uint8_t>(y, x) == 0) canvas.at<cv::Vec3b>(y, x) *= 0.85;
    }
  }
  cv::GaussianBlur(canvas, canvas, cv::Size(0, 0), 1.0);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  ASSERT_TRUE(loc.found);
  EXPECT_FALSE(loc.cropped);
  EXPECT_LT(MaxCornerError(loc.quad, truth), 6.0) << loc.quad[0] << " " << loc.quad[2];
}

TEST(CardLocatorTest, ACardMergedWithALitStripRunningToTheFrameIsTheWholeCard) {
  // A card seen a little from above (1.70) near the bottom of the frame, a
  // strip of desk between it and the frame lit as brightly as the card and
  // stopping 8 px short of the border: in brightness, card and strip are one
  // region of the card's shape (1.62) whose bottom lies on the border, a card
  // cut there. The card's own outline (its colour) is whole, and a whole card
  // beats one cut by the frame.
  cv::Mat canvas(800, 1200, CV_8UC3, cv::Scalar(60, 60, 60));
  const std::array<cv::Point2f, 4> truth = {cv::Point2f(200, 300), cv::Point2f(1000, 300),
                                            cv::Point2f(1000, 770), cv::Point2f(200, 770)};
  cv::rectangle(canvas, cv::Point(200, 768), cv::Point(999, 792), cv::Scalar(215, 215, 215), cv::FILLED);
  PlaceCard(DrawTestCard(), truth, canvas);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  ASSERT_TRUE(loc.found);
  EXPECT_FALSE(loc.cropped);
  EXPECT_LT(MaxCornerError(loc.quad, truth), 6.0) << loc.quad[2] << " " << loc.quad[3];
}

TEST(CardLocatorTest, ACardWithAStripOfDeskRunToTheFrameScoringAboutAsWellIsTheWholeCard) {
  // As above, the lit strip now reaching the border: card and strip are one
  // region cut by the frame, of the card's shape (1.59) and nearly as large
  // as the card (which is squatter, 1.70, and so scores a little lower). Not
  // a sheet around the card (it is more than 60 % of it), but the same card,
  // and whole.
  cv::Mat canvas(800, 1200, CV_8UC3, cv::Scalar(60, 60, 60));
  const std::array<cv::Point2f, 4> truth = {cv::Point2f(200, 300), cv::Point2f(1000, 300),
                                            cv::Point2f(1000, 770), cv::Point2f(200, 770)};
  cv::rectangle(canvas, cv::Point(200, 768), cv::Point(999, 799), cv::Scalar(215, 215, 215), cv::FILLED);
  PlaceCard(DrawTestCard(), truth, canvas);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  ASSERT_TRUE(loc.found);
  EXPECT_FALSE(loc.cropped);
  EXPECT_LT(MaxCornerError(loc.quad, truth), 6.0) << loc.quad[2] << " " << loc.quad[3];
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

TEST(CardLocatorTest, CardCutAtACornerIsCroppedAndReadFromThePartInThePicture) {
  // Two sides hidden (the card runs off the right and bottom borders): no
  // quadrilateral can be placed, but the image is of a card cut off.
  cv::Mat canvas(800, 1100, CV_8UC3, cv::Scalar(60, 60, 60));
  const auto truth = CardQuad({900, 640}, 800, 0);
  PlaceCard(DrawTestCard(), truth, canvas);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  EXPECT_FALSE(loc.found);
  EXPECT_TRUE(loc.cropped);
  // The part in the picture: from the card's top-left corner to the borders.
  EXPECT_NEAR(loc.quad[0].x, truth[0].x, 12);
  EXPECT_NEAR(loc.quad[0].y, truth[0].y, 12);
  EXPECT_NEAR(loc.quad[2].x, canvas.cols, 12);
  EXPECT_NEAR(loc.quad[2].y, canvas.rows, 12);
}

TEST(CardLocatorTest, ABandOfLitDeskAcrossTheFrameIsReadFromButNotACardCut) {
  // No card outline: only the lower part of the frame lit apart, running
  // along the left, bottom and right borders (its top edge slanted, two
  // sides of its own). A card the frame cuts runs along two borders; this is
  // where the card lies, read from without claiming a cut (pale cards on
  // pale desks showed as `cropped`).
  cv::Mat canvas(800, 1100, CV_8UC3, cv::Scalar(70, 70, 70));
  const std::vector<cv::Point> band = {{0, 300}, {700, 400}, {1099, 560}, {1099, 799}, {0, 799}};
  cv::fillConvexPoly(canvas, band, cv::Scalar(205, 200, 195), cv::LINE_AA);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  EXPECT_FALSE(loc.found);
  EXPECT_FALSE(loc.cropped);
  EXPECT_TRUE(loc.in_band);
  EXPECT_NEAR(loc.quad[0].y, 300, 12);
  EXPECT_NEAR(loc.quad[2].y, 800, 12);
  // A corner of the same lit desk (along two borders) is a card cut there.
  cv::Mat corner(800, 1100, CV_8UC3, cv::Scalar(70, 70, 70));
  const std::vector<cv::Point> cut = {{500, 300}, {1099, 300}, {1099, 799}, {520, 799}};
  cv::fillConvexPoly(corner, cut, cv::Scalar(205, 200, 195), cv::LINE_AA);
  const reader::CardLocation cut_loc = reader::LocateCard(corner);
  EXPECT_FALSE(cut_loc.in_band);
  EXPECT_TRUE(cut_loc.cropped);
}

TEST(CardLocatorTest, CardCutOnTwoOppositeSidesIsCropped) {
  // Zoomed in: the card runs off the left and right borders.
  cv::Mat canvas(700, 900, CV_8UC3, cv::Scalar(60, 60, 60));
  PlaceCard(DrawTestCard(), CardQuad({450, 350}, 1000, 0), canvas);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  EXPECT_TRUE(loc.cropped);
}

TEST(CardLocatorTest, ThinStripCutByTheBorderIsCropped) {
  // A card tilted by 4° whose lower corner dips a few % of its height past
  // the bottom border: too little border in its outline to count as cut
  // there, but the outline found keeps a corner on the border.
  cv::Mat canvas(800, 1100, CV_8UC3, cv::Scalar(60, 60, 60));
  const float height = 800 / static_cast<float>(layout::kAspect);
  const auto truth = CardQuad({550, 800 - height / 2 + 0.02f * height}, 800, 4);
  PlaceCard(DrawTestCard(), truth, canvas);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  ASSERT_TRUE(loc.found);
  EXPECT_TRUE(loc.cropped);
  // The same card with a margin is whole.
  cv::Mat whole(800, 1100, CV_8UC3, cv::Scalar(60, 60, 60));
  PlaceCard(DrawTestCard(), CardQuad({550, 800 - height / 2 - 60}, 800, 4), whole);
  EXPECT_FALSE(reader::LocateCard(whole).cropped);
}

TEST(CardLocatorTest, CardWithACornerInTheImageCornerIsWhole) {
  // Seen in perspective, the card's top-left corner a few px from the
  // image's own corner and nothing cut: only a corner on one border marks a
  // cut strip (a washed-out desk corner merged with the card looks like this).
  cv::Mat canvas(800, 1100, CV_8UC3, cv::Scalar(60, 60, 60));
  const std::array<cv::Point2f, 4> quad = {cv::Point2f(4, 4), cv::Point2f(820, 50), cv::Point2f(840, 560),
                                           cv::Point2f(50, 530)};
  PlaceCard(DrawTestCard(), quad, canvas);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  ASSERT_TRUE(loc.found);
  EXPECT_FALSE(loc.cropped);
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

TEST(CardLocatorTest, CardTurnedByAQuarterAndStretchedByPerspectiveIsFound) {
  // Photographed from below its long side, the card's outline stands 1.76
  // high to 1: as far from ID-1 (1.585) as a landscape card may wander, and
  // still the card, turned.
  cv::Mat canvas(1380, 1035, CV_8UC3, cv::Scalar(120, 118, 115));
  const std::array<cv::Point2f, 4> truth = {cv::Point2f(660, 250), cv::Point2f(665, 1100),
                                            cv::Point2f(180, 1090), cv::Point2f(190, 262)};
  PlaceCard(DrawTestCard(), truth, canvas);
  const reader::CardLocation loc = reader::LocateCard(canvas);
  ASSERT_TRUE(loc.found);
  EXPECT_GT(loc.aspect, 1.74);
  EXPECT_EQ(loc.quarter_turns, 1);
  EXPECT_FALSE(loc.cropped);
  EXPECT_LT(MaxCornerError(loc.quad, truth), 5.0);
  // An A4 page standing upright (1.41) is still not a card turned sideways.
  cv::Mat page(1380, 1035, CV_8UC3, cv::Scalar(120, 118, 115));
  cv::rectangle(page, cv::Rect(220, 200, 600, 846), cv::Scalar(245, 245, 245), cv::FILLED);
  EXPECT_FALSE(reader::LocateCard(page).found);
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

// The test card with its photo (a red backdrop) moved to start at x0.
cv::Mat CardWithPhotoAt(double x0) {
  cv::Mat card = DrawTestCard();
  const int w = card.cols, h = card.rows;
  const auto& p = layout::kPhoto;
  cv::rectangle(card, cv::Rect(cv::Point(int(p.x0 * w), int(p.y0 * h)), cv::Point(int(p.x1 * w), int(p.y1 * h))),
                cv::Scalar(238, 218, 188), cv::FILLED);
  cv::rectangle(card, cv::Rect(cv::Point(int(x0 * w), int(0.24 * h)), cv::Point(int((x0 + 0.21) * w), int(0.66 * h))),
                cv::Scalar(40, 45, 200), cv::FILLED);
  return card;
}

TEST(FindPhotoEdgeTest, TextEndsJustLeftOfThePhotoWhereverItIs) {
  for (double x0 : {0.690, 0.735, 0.758}) {
    const PhotoEdge photo = FindPhotoEdge(CardWithPhotoAt(x0));
    EXPECT_NEAR(photo.text_right, x0 - 0.006, 0.004) << x0;
  }
  // No photo to be seen: the layout's text column.
  cv::Mat blank(layout::kCardHeight, layout::kCardWidth, CV_8UC3, cv::Scalar(238, 218, 188));
  EXPECT_DOUBLE_EQ(FindPhotoEdge(blank).text_right, layout::kTextArea.x1);
  // A dark stroke much narrower than a photo is not one.
  cv::Mat blot = blank.clone();
  cv::rectangle(blot, cv::Rect(650, 200, 20, 200), cv::Scalar(30, 30, 30), cv::FILLED);
  EXPECT_DOUBLE_EQ(FindPhotoEdge(blot).text_right, layout::kTextArea.x1);
}

// On ktp-synth cards, each drawn on its own geometry, the edge found is the
// photo's drawn one.
TEST(FindPhotoEdgeTest, FindsTheDrawnPhotoOnSyntheticCards) {
  int found = 0;
  for (int i = 0; i < 40; ++i) {
    synth::Rng rng(31, static_cast<uint64_t>(i), 1);
    const synth::CardGeometry g = synth::DrawGeometry(rng);
    absl::StatusOr<synth::Identity> id = synth::MakeIdentity(
        rng, identity::RegionDirectory::Embedded(),
        [&g](const std::string& slot, const std::string& text) { return synth::TextFitsOn(g, slot, text); });
    ASSERT_TRUE(id.ok()) << id.status();
    cv::Mat bgr;
    cv::cvtColor(synth::RenderCard(*id, g, rng), bgr, cv::COLOR_RGBA2BGR);
    const double right = FindPhotoEdge(bgr).text_right;
    found += std::abs(right - (g.photo_x0 - 0.006)) <= 0.004;
    EXPECT_NEAR(right, g.photo_x0 - 0.006, 0.004) << "card " << i;
  }
  EXPECT_EQ(found, 40);
}

// One OCR line of words (text, left x, width) at row y, canonical pixels.
OcrLine Line(int y, const std::vector<std::pair<std::string, int>>& words_at, int narrow = 6) {
  OcrLine line;
  for (const auto& [text, x] : words_at) {
    OcrWord w;
    w.text = text;
    w.box = {x, y, text.size() <= 2 ? narrow : 14 * static_cast<int>(text.size()), 20};
    if (!line.text.empty()) line.text += ' ';
    line.text += text;
    line.words.push_back(w);
  }
  return line;
}

TEST(FixColonColumnTest, ColonFarRightOfTheNominalColumnIsStillTheColon) {
  // Colons at x ≈ 0.293 of the width: right of the nominal window.
  std::vector<OcrLine> lines = {Line(200, {{"Nama", 30}, {"1", 294}, {"YUDI", 310}}),
                                Line(230, {{"Agama", 30}, {":", 294}, {"ISLAM", 310}}),
                                Line(260, {{"Pekerjaan", 30}, {":", 295}, {"GURU", 310}}),
                                Line(290, {{"Kewarganegaraan", 30}, {":", 293}, {"WNI", 310}}),
                                Line(320, {{"RT/RW", 60}, {"I", 294}, {"004/009", 310}})};
  FixColonColumn(lines);
  EXPECT_EQ(lines[0].text, "Nama : YUDI");
  EXPECT_EQ(lines[4].text, "RT/RW : 004/009");
}

TEST(FixColonColumnTest, NamePrefixIRightAfterAColonFarLeftStaysALetter) {
  // Colons at x ≈ 0.229; "I WAYAN" starts 1.5 % of the width later, inside
  // the nominal window, and its colon was not read at all.
  std::vector<OcrLine> lines = {Line(200, {{"Nama", 25}, {"I", 248}, {"WAYAN", 262}}),
                                Line(230, {{"Agama", 25}, {":", 230}, {"HINDU", 246}}),
                                Line(260, {{"Pekerjaan", 25}, {":", 231}, {"PETANI", 246}}),
                                Line(290, {{"Alamat", 25}, {":", 229}, {"JL. X", 246}}),
                                Line(320, {{"Agama", 25}, {"I", 231}, {"I", 248}, {"KETUT", 262}})};
  FixColonColumn(lines);
  EXPECT_EQ(lines[0].text, "Nama I WAYAN");
  // The colon read as "I" is the colon, the prefix after it is not.
  EXPECT_EQ(lines[4].text, "Agama : I KETUT");
}

TEST(FixColonColumnTest, OtherFacesColonMisreadsAtTheMeasuredColumn) {
  // Carlito's and Roboto Condensed's colons come back as "2", "Z.", "»—".
  std::vector<OcrLine> lines = {Line(200, {{"Nama", 30}, {"Z.", 272}, {"TITIN", 299}}),
                                Line(230, {{"Agama", 30}, {":", 274}, {"ISLAM", 299}}),
                                Line(260, {{"Alamat", 30}, {"2", 275}, {"JL.", 299}, {"CEMPAKA", 330}}),
                                Line(290, {{"Pekerjaan", 30}, {":", 274}, {"GURU", 299}}),
                                Line(320, {{"Kewarganegaraan", 30}, {":", 273}, {"WNI", 299}}),
                                Line(350, {{"Kecamatan", 60}, {"\xC2\xBB\xE2\x80\x94", 272}, {"KAJEN", 299}})};
  lines[5].words[1].box.w = 10;  // two glyphs, five bytes
  FixColonColumn(lines);
  EXPECT_EQ(lines[0].text, "Nama : TITIN");
  EXPECT_EQ(lines[2].text, "Alamat : JL. CEMPAKA");
  EXPECT_EQ(lines[5].text, "Kecamatan : KAJEN");
  // A "2" that is a value (right of the column) stays a 2.
  std::vector<OcrLine> values = {Line(200, {{"RT/RW", 60}, {":", 274}, {"2", 299}}),
                                 Line(230, {{"Agama", 30}, {":", 274}, {"ISLAM", 299}}),
                                 Line(260, {{"Pekerjaan", 30}, {":", 274}, {"GURU", 299}})};
  FixColonColumn(values);
  EXPECT_EQ(values[0].text, "RT/RW : 2");
}

TEST(FixColonColumnTest, StrokeOpeningAValueIsTheLetterI) {
  std::vector<OcrLine> lines = {Line(200, {{"Nama", 30}, {":", 274}, {"|", 299}, {"PUTU", 306}}),
                                Line(230, {{"Agama", 30}, {":", 274}, {"HINDU", 299}}),
                                Line(260, {{"Pekerjaan", 30}, {"1", 274}, {"!", 299}, {"PETANI", 306}}),
                                Line(290, {{"Alamat", 30}, {":", 274}, {"JL.", 299}, {"|", 340}, {"X", 350}}),
                                Line(320, {{"Kewarganegaraan", 30}, {":", 273}, {"|", 299}})};
  FixColonColumn(lines);
  EXPECT_EQ(lines[0].text, "Nama : I PUTU");
  EXPECT_EQ(lines[2].text, "Pekerjaan : I PETANI");
  // Only where a value starts, and only before more of it.
  EXPECT_EQ(lines[3].text, "Alamat : JL. | X");
  EXPECT_EQ(lines[4].text, "Kewarganegaraan : |");
}

TEST(FixColonColumnTest, ColonsReadAsFivesOrCommasAreColonsByTheirNarrowBox) {
  // Roboto Condensed's colons, far left of the nominal window (x ≈ 0.205),
  // come back as "5", "5." or ",": their boxes are two pixels wide.
  std::vector<OcrLine> lines = {Line(200, {{"NAMA", 49}, {"5", 208}, {"Deni", 242}, {"Santoso", 276}}),
                                Line(230, {{"ALAMAT", 46}, {"5.", 206}, {"Kp.", 241}, {"Raya", 266}}),
                                Line(260, {{"RT/RW", 46}, {"5", 206}, {"012/001", 240}}),
                                Line(290, {{"KEL/DESA", 46}, {",", 207}, {"Derik", 240}}),
                                Line(320, {{"AGAMA", 46}, {"5", 207}, {"Islam", 241}}),
                                Line(350, {{"PEKERJAAN", 46}, {"5", 206}, {"Tukang", 240}})};
  for (OcrLine& l : lines) l.words[1].box.w = 2;
  FixColonColumn(lines);
  EXPECT_EQ(lines[0].text, "NAMA : Deni Santoso");
  EXPECT_EQ(lines[1].text, "ALAMAT : Kp. Raya");
  EXPECT_EQ(lines[2].text, "RT/RW : 012/001");
  EXPECT_EQ(lines[3].text, "KEL/DESA : Derik");
  // A real 5 is a digit's width: at the column it is not taken for the colon.
  std::vector<OcrLine> digits = {Line(200, {{"RT/RW", 46}, {":", 207}, {"5", 212}, {"012/001", 240}}),
                                 Line(230, {{"Agama", 46}, {":", 207}, {"ISLAM", 241}}),
                                 Line(260, {{"Alamat", 46}, {":", 206}, {"JL.", 241}})};
  digits[0].words[2].box.w = 12;
  FixColonColumn(digits);
  EXPECT_EQ(digits[0].text, "RT/RW : 5 012/001");
}

TEST(FixColonColumnTest, AColonGluedToTheValuesFirstLetterKeepsTheLetter) {
  // ":I WAYAN": the colon was read; the I glued to it is the name's.
  std::vector<OcrLine> lines = {Line(200, {{"Nama", 43}, {":I", 224}, {"WAYAN", 246}, {"AHMAD", 329}}),
                                Line(230, {{"Alamat", 40}, {":PERUM", 222}, {"BUMI", 314}}),
                                Line(260, {{"RT/RW", 62}, {":013/014", 221}}),
                                Line(290, {{"Berlaku", 36}, {":SEUMUR", 217}, {"HIDUP", 324}})};
  lines[0].words[1].box.w = 12;
  FixColonColumn(lines);
  EXPECT_EQ(lines[0].text, "Nama :I WAYAN AHMAD");
}

TEST(FixColonColumnTest, StrokeAfterAColonGluedToTheLabelIsTheLetterI) {
  // "NAMA: | MADE": the colon is the label's, so no column is needed to
  // know the stroke opens the value.
  std::vector<OcrLine> lines = {Line(200, {{"NAMA:", 24}, {"|", 271}, {"MADE", 281}, {"DENI", 340}}),
                                Line(230, {{"ALAMAT:", 22}, {"JL.", 268}, {"SIDOMULYO", 299}}),
                                Line(260, {{"AGAMA:", 22}, {"|", 268}})};
  FixColonColumn(lines);
  EXPECT_EQ(lines[0].text, "NAMA: I MADE DENI");
  EXPECT_EQ(lines[1].text, "ALAMAT: JL. SIDOMULYO");
  EXPECT_EQ(lines[2].text, "AGAMA: |");
}

TEST(FixColonColumnTest, AColumnLeaningWithATiltLeftByTheRectificationIsFollowed) {
  // The colons drift one pixel right per row (~1.8°): read as colons on the
  // top rows, as "1" below, where the last rows' are further from the top
  // rows' column than the tolerance.
  std::vector<OcrLine> lines;
  for (int i = 0; i < 12; ++i) {
    lines.push_back(Line(150 + 32 * i, {{"Label", 30}, {i < 5 ? ":" : "1", 220 + i}, {"17-08-2018", 262 + i}}));
  }
  FixColonColumn(lines);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(lines[i].text, "Label : 17-08-2018") << "row " << i;
  // Upright colons with one stray: no lean, and a "1" one tolerance right
  // of the column (a value's first digit on a tight layout) stays a 1.
  std::vector<OcrLine> upright;
  for (int i = 0; i < 6; ++i) upright.push_back(Line(150 + 32 * i, {{"Label", 30}, {":", i == 2 ? 232 : 220}, {"X", 262}}));
  upright.push_back(Line(350, {{"RT/RW", 30}, {"1", 229}, {"17/002", 262}}));
  FixColonColumn(upright);
  EXPECT_EQ(upright[6].text, "RT/RW 1 17/002");
}

// Per-byte symbol extents for `word`: one (x0, x1) per glyph, repeated over
// each glyph's bytes (`bytes`, 1 when omitted).
void SetSpans(OcrWord& word, const std::vector<std::pair<int, int>>& glyphs, std::vector<int> bytes = {}) {
  word.symbol_span.clear();
  for (size_t g = 0; g < glyphs.size(); ++g) {
    const int n = g < bytes.size() ? bytes[g] : 1;
    for (int b = 0; b < n; ++b) word.symbol_span.push_back({glyphs[g].first, glyphs[g].second});
  }
  word.box.x = glyphs.front().first;
  word.box.w = glyphs.back().second - glyphs.front().first;
}

TEST(FixColonColumnTest, AColonReadGluedToTheValuesFirstLetterIsSplitOff) {
  std::vector<OcrLine> lines = {Line(145, {{"Nama", 20}, {"LELIS", 271}}),
                                Line(174, {{"Tempat", 18}, {":", 270}, {"KEPULAUAN", 281}}),
                                Line(200, {{"Alamat", 18}, {":", 270}, {"JL.", 284}}),
                                Line(230, {{"Agama", 18}, {":", 271}, {"ISLAM", 284}}),
                                Line(260, {{"Nama", 12}, {"\xC2\xAB|", 270}, {"MADE", 290}, {"ZULKIFLI", 343}}),
                                Line(290, {{"Pekerjaan", 18}, {"IWAYAN", 284}})};
  // ": ELIS" read as one word: the colon's dots became an L.
  SetSpans(lines[0].words[1], {{271, 276}, {280, 287}, {288, 293}, {294, 296}, {298, 304}});
  // ": I MADE": the colon read as a guillemet glued to the name's I.
  SetSpans(lines[4].words[1], {{270, 276}, {281, 283}}, {2, 1});
  // A name prefix glued to the name, where values start: no colon in it.
  SetSpans(lines[5].words[1], {{284, 287}, {290, 300}, {301, 309}, {310, 318}, {319, 327}, {328, 337}});
  FixColonColumn(lines);
  EXPECT_EQ(lines[0].text, "Nama : ELIS");
  EXPECT_EQ(lines[4].text, "Nama : I MADE ZULKIFLI");
  EXPECT_EQ(lines[5].text, "Pekerjaan IWAYAN");
  ASSERT_EQ(lines[0].words.size(), 3U);
  EXPECT_EQ(lines[0].words[2].box.x, 280);
  EXPECT_EQ(lines[0].words[2].symbol_span.size(), 4U);
}

TEST(DropIssuePlaceBesideValuesTest, ALongIssuePlaceUnderThePhotoIsNoPartOfTheValuesBesideIt) {
  PhotoEdge photo;
  photo.photo_left = 0.745;  // x ≈ 754; the issue place reaches left to ≈ 640
  std::vector<OcrLine> lines = {
      Line(400, {{"Berlaku", 30}, {"Hingga", 110}, {":", 270}, {"SEUMUR", 284}, {"HIDUP", 390}, {"PEATANGS", 640}}),
      Line(370, {{"RT/RW", 30}, {":", 270}, {"023/010", 284}, {"5", 700}}),
      // Gol. Darah is a column of its own, wherever it is printed.
      Line(200, {{"Jenis", 30}, {":", 270}, {"PEREMPUAN", 284}, {"Gol.", 610}, {"Darah", 660}, {":", 740}, {"-", 750}}),
      // A long value runs on, word space after word space.
      Line(300, {{"Alamat", 30}, {":", 270}, {"PERUMAHAN", 284}, {"BUKIT", 420}, {"HIJAU", 500}, {"PERMAI", 575},
                 {"BLOK", 665}})};
  std::vector<OcrLine> no_photo = lines;
  DropIssuePlaceBesideValues(lines, photo);
  EXPECT_EQ(lines[0].text, "Berlaku Hingga : SEUMUR HIDUP");
  EXPECT_EQ(lines[1].text, "RT/RW : 023/010");
  EXPECT_EQ(lines[2].text, "Jenis : PEREMPUAN Gol. Darah : -");
  EXPECT_EQ(lines[3].text, "Alamat : PERUMAHAN BUKIT HIJAU PERMAI BLOK");
  // No photo found: only a wide gap in the right half ends a value.
  no_photo.push_back(Line(430, {{"Agama", 30}, {":", 270}, {"ISLAM", 284}, {"KOTA", 440}}));
  DropIssuePlaceBesideValues(no_photo, PhotoEdge{});
  EXPECT_EQ(no_photo[0].text, "Berlaku Hingga : SEUMUR HIDUP");
  EXPECT_EQ(no_photo[2].text, "Jenis : PEREMPUAN Gol. Darah : -");
  EXPECT_EQ(no_photo[3].text, "Alamat : PERUMAHAN BUKIT HIJAU PERMAI BLOK");
  EXPECT_EQ(no_photo[4].text, "Agama : ISLAM KOTA");
}

TEST(FixColonColumnTest, ColonsMostlyReadAsOnesRightOfTheNominalColumnAreColons) {
  // A soft photo: two colons read as colons, the rest as "1" / "1." at
  // x ≈ 0.285–0.29, right of the nominal window; the column drifts a little
  // (residual tilt). The "1"s agree on one column, so they are the colons.
  std::vector<OcrLine> lines = {Line(200, {{"NIK", 12}, {":", 284}, {"6403121604972616", 312}}),
                                Line(230, {{"Nama", 12}, {"1", 284}, {"AHMAD", 312}, {"SIREGAR", 402}}),
                                Line(260, {{"Alamat", 14}, {"1", 286}, {"JL.", 315}, {"TERATAI", 352}}),
                                Line(290, {{"RT/RW", 58}, {"1.", 287}, {"014/011", 316}}),
                                Line(320, {{"Kecamatan", 59}, {"1", 288}, {"BATU", 318}, {"PUTIH", 384}}),
                                Line(350, {{"Agama", 18}, {"1", 289}, {"KATOLIK", 318}}),
                                Line(380, {{"Pekerjaan", 20}, {"1", 290}, {"PETANI", 320}}),
                                Line(410, {{"Kewarganegaraan", 21}, {"1", 291}, {"WNI", 320}}),
                                Line(440, {{"Berlaku", 22}, {":", 292}, {"SEUMUR", 321}})};
  for (OcrLine& l : lines) l.words[1].box.w = 4;
  FixColonColumn(lines);
  EXPECT_EQ(lines[1].text, "Nama : AHMAD SIREGAR");
  EXPECT_EQ(lines[2].text, "Alamat : JL. TERATAI");
  EXPECT_EQ(lines[3].text, "RT/RW : 014/011");
  EXPECT_EQ(lines[7].text, "Kewarganegaraan : WNI");
  // A name prefix "I" (a word space before the name, not a value's gap) does
  // not vote: with it in every line there is still no column but the colons'.
  std::vector<OcrLine> balinese;
  for (int i = 0; i < 6; ++i) {
    balinese.push_back(Line(200 + 30 * i, {{"Nama", 12}, {"I", 300}, {"WAYAN", 310}}));
  }
  FixColonColumn(balinese);
  for (const OcrLine& l : balinese) EXPECT_EQ(l.text, "Nama I WAYAN");
}

TEST(FixColonColumnTest, TooFewColonsReadFallsBackToTheNominalColumn) {
  std::vector<OcrLine> lines = {Line(200, {{"Nama", 30}, {"1", 265}, {"YUDI", 290}}),
                                Line(230, {{"Agama", 30}, {":", 266}, {"ISLAM", 290}})};
  FixColonColumn(lines);
  EXPECT_EQ(lines[0].text, "Nama : YUDI");
  // Without a measured column only thin strokes are taken for the colon.
  std::vector<OcrLine> wide = {Line(200, {{"Nama", 30}, {"2", 265}, {"YUDI", 290}})};
  FixColonColumn(wide);
  EXPECT_EQ(wide[0].text, "Nama 2 YUDI");
}

}  // namespace
}  // namespace ktp::reader
