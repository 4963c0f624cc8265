// image_quality: each flag fires on an image degraded the way it describes and
// stays off on the clean card.
#include "reader/image_quality.h"

#include "gtest/gtest.h"
#include "tests/reader/card_test_image.h"

namespace ktp::reader {
namespace {

reader::CardLocation Found(double angle = 0, bool cropped = false) {
  reader::CardLocation loc;
  loc.found = true;
  loc.angle_deg = angle;
  loc.tilt_deg = angle;
  loc.cropped = cropped;
  loc.aspect = layout::kAspect;
  return loc;
}

v1::ImageQualities Judge(const cv::Mat& card, const reader::CardLocation& loc = Found(), int labels = 14) {
  reader::KtpTextEvidence text;
  text.labels_found = labels;
  return reader::JudgeQuality(reader::MeasureQuality(card), loc, text);
}

int CountFlags(const v1::ImageQualities& q) {
  return q.blurred() + q.bright() + q.copy() + q.cropped() + q.dark() + q.flash() + q.rotated() +
         q.taken_from_screen();
}

// `card` in grey, as a greyscale copy prints it (still 3-channel BGR).
cv::Mat GreyCopy(const cv::Mat& card) {
  cv::Mat grey, out;
  cv::cvtColor(card, grey, cv::COLOR_BGR2GRAY);
  cv::cvtColor(grey, out, cv::COLOR_GRAY2BGR);
  return out;
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
  const cv::Mat card = GreyCopy(testing::DrawTestCard());
  const v1::ImageQualities q = Judge(card);
  EXPECT_TRUE(q.copy());
  EXPECT_FALSE(q.bright());
}

TEST(ImageQualityTest, Flash) {
  cv::Mat card = testing::DrawTestCard();
  // A clipped white disc over ~6 % of the card, with a soft halo.
  cv::circle(card, {300, 320}, 110, cv::Scalar(255, 255, 255), cv::FILLED, cv::LINE_AA);
  const v1::ImageQualities q = Judge(card);
  EXPECT_TRUE(q.flash()) << reader::MeasureQuality(card).glare_fraction;
  EXPECT_FALSE(q.bright());
}

TEST(ImageQualityTest, AFlashCloseUpThatClipsAFifthOfTheCardIsAFlash) {
  cv::Mat card = testing::DrawTestCard();
  // One hot spot over ~21 % of the card (a phone's flash held close), the
  // rest of the card exposed as usual: a flash, not an over-exposed card.
  cv::circle(card, {330, 380}, 210, cv::Scalar(255, 255, 255), cv::FILLED, cv::LINE_AA);
  const reader::QualityMetrics m = reader::MeasureQuality(card);
  ASSERT_GT(m.glare_fraction, 0.17);
  const v1::ImageQualities q = Judge(card);
  EXPECT_TRUE(q.flash()) << m.glare_fraction << " median " << m.median_luma;
  EXPECT_FALSE(q.bright());
}

TEST(ImageQualityTest, GeometryFlagsComeFromTheLocator) {
  const cv::Mat card = testing::DrawTestCard();
  EXPECT_TRUE(Judge(card, Found(15)).rotated());
  EXPECT_TRUE(Judge(card, Found(-12)).rotated());
  EXPECT_FALSE(Judge(card, Found(4)).rotated());
  EXPECT_TRUE(Judge(card, Found(0, true)).cropped());
}

// The test card with red and blue swapped: a cream card (not the e-KTP's blue).
cv::Mat CreamCard() {
  cv::Mat card;
  cv::cvtColor(testing::DrawTestCard(), card, cv::COLOR_BGR2RGB);
  return card;
}

cv::Mat Blur(const cv::Mat& card) {
  cv::Mat out;
  cv::GaussianBlur(card, out, cv::Size(), 4.0);
  return out;
}

v1::ImageQualities JudgeText(const cv::Mat& card, const reader::CardLocation& loc, int labels,
                             bool province_header, bool valid_nik) {
  reader::KtpTextEvidence text;
  text.labels_found = labels;
  text.province_header = province_header;
  text.valid_nik = valid_nik;
  return reader::JudgeQuality(reader::MeasureQuality(card), loc, text);
}

TEST(ImageQualityTest, KtpNeedsLabelsAndTheCardShape) {
  const cv::Mat cream = CreamCard();
  EXPECT_TRUE(Judge(cream, Found(), 6).ktp());
  EXPECT_FALSE(Judge(cream, Found(), 2).ktp());  // "Nama" and "Alamat" are on other cards too
  reader::CardLocation square = Found();
  square.aspect = 1.0;
  EXPECT_FALSE(Judge(testing::DrawTestCard(), square, 14).ktp());
  EXPECT_FALSE(Judge(testing::DrawTestCard()).taken_from_screen());
}

TEST(ImageQualityTest, LightBlueIsMeasuredOnTheBackground) {
  EXPECT_GE(reader::MeasureQuality(testing::DrawTestCard()).light_blue_fraction, 0.9);
  EXPECT_GE(reader::MeasureQuality(Blur(testing::DrawTestCard())).light_blue_fraction, 0.9);
  EXPECT_LE(reader::MeasureQuality(CreamCard()).light_blue_fraction, 0.05);
  const cv::Mat card = GreyCopy(testing::DrawTestCard());
  EXPECT_EQ(reader::MeasureQuality(card).light_blue_fraction, 0);
}

TEST(ImageQualityTest, DegradedCardIsAKtpWhenTwoTextCluesAgree) {
  const cv::Mat cream = CreamCard();
  // PROVINSI header + one more label; header + valid NIK; NIK + a label.
  EXPECT_TRUE(JudgeText(cream, Found(), 2, true, false).ktp());
  EXPECT_TRUE(JudgeText(cream, Found(), 1, true, true).ktp());
  EXPECT_TRUE(JudgeText(cream, Found(), 1, false, true).ktp());
  // One clue is not enough: the header alone, a NIK alone, labels alone.
  EXPECT_FALSE(JudgeText(cream, Found(), 1, true, false).ktp());
  EXPECT_FALSE(JudgeText(cream, Found(), 0, false, true).ktp());
  EXPECT_FALSE(JudgeText(cream, Found(), 5, false, false).ktp());
  // Without a card outline (the whole image taken as the card) two clues do
  // not count; all three do (a card washed out into its desk has no outline).
  reader::CardLocation whole = Found();
  whole.found = false;
  EXPECT_FALSE(JudgeText(cream, whole, 1, true, true).ktp());
  EXPECT_FALSE(JudgeText(cream, whole, 2, true, false).ktp());
  EXPECT_FALSE(JudgeText(cream, whole, 2, false, true).ktp());
  EXPECT_TRUE(JudgeText(cream, whole, 2, true, true).ktp());
}

TEST(ImageQualityTest, LightBlueCardTooBlurredToReadIsAKtp) {
  // Documented limitation: a light-blue ID-1 card with no readable text.
  const v1::ImageQualities blue = JudgeText(Blur(testing::DrawTestCard()), Found(), 0, false, false);
  EXPECT_TRUE(blue.ktp());
  EXPECT_TRUE(blue.blurred());
  // Sharp but without any KTP text: some other light-blue card.
  EXPECT_FALSE(JudgeText(testing::DrawTestCard(), Found(), 0, false, false).ktp());
  // Sharp light blue with one clue (a cropped card showing its NIK).
  EXPECT_TRUE(JudgeText(testing::DrawTestCard(), Found(0, true), 0, false, true).ktp());
  // Blurred, but cream: not a KTP.
  EXPECT_FALSE(JudgeText(Blur(CreamCard()), Found(), 0, false, false).ktp());
  // Blurred light blue, but not card-shaped or no outline.
  reader::CardLocation square = Found();
  square.aspect = 1.0;
  EXPECT_FALSE(JudgeText(Blur(testing::DrawTestCard()), square, 0, false, false).ktp());
  reader::CardLocation whole = Found();
  whole.found = false;
  EXPECT_FALSE(JudgeText(Blur(testing::DrawTestCard()), whole, 0, false, false).ktp());
}

// `card` with its colours' saturation scaled by `gain` (hue and value kept).
cv::Mat Saturated(const cv::Mat& card, double gain) {
  cv::Mat hsv;
  cv::cvtColor(card, hsv, cv::COLOR_BGR2HSV);
  std::vector<cv::Mat> ch;
  cv::split(hsv, ch);
  ch[1].convertTo(ch[1], CV_8U, gain);
  cv::merge(ch, hsv);
  cv::Mat out;
  cv::cvtColor(hsv, out, cv::COLOR_HSV2BGR);
  return out;
}

TEST(ImageQualityTest, ASaturatedBlueCardTooBlurredToReadIsNoKtp) {
  // The e-KTP's blue is pale. A bank card's saturated blue, too blurred to
  // read, is not judged a KTP from its colour; with a label only a KTP
  // prints it is one.
  const cv::Mat blue = Blur(Saturated(testing::DrawTestCard(), 1.9));
  const reader::QualityMetrics m = reader::MeasureQuality(blue);
  ASSERT_GE(m.light_blue_fraction, 0.6);
  ASSERT_GT(m.saturation, 86);
  EXPECT_FALSE(JudgeText(blue, Found(), 0, false, false).ktp()) << m.saturation;
  reader::KtpTextEvidence agama;
  agama.labels_found = 1;
  agama.ktp_only_labels = 1;
  EXPECT_TRUE(reader::JudgeQuality(m, Found(), agama).ktp());
  // The pale card as printed, equally blurred, is a KTP from its colour.
  EXPECT_TRUE(JudgeText(Blur(testing::DrawTestCard()), Found(), 0, false, false).ktp());
}

TEST(ImageQualityTest, ALightBlueCardNeedsALabelOnlyAKtpPrints) {
  // A light-blue student card, sharp, reading Nama, Tempat/Tgl Lahir, Alamat
  // and Berlaku: four labels a KTP has, none that only a KTP has.
  reader::KtpTextEvidence student;
  student.labels_found = 4;
  const reader::QualityMetrics m = reader::MeasureQuality(testing::DrawTestCard());
  EXPECT_FALSE(reader::JudgeQuality(m, Found(), student).ktp());
  // The same card reading Agama (or RT/RW, Kecamatan...) is a KTP.
  reader::KtpTextEvidence ktp = student;
  ktp.ktp_only_labels = 1;
  EXPECT_TRUE(reader::JudgeQuality(m, Found(), ktp).ktp());
}

TEST(ImageQualityTest, NoFlagsWithoutKtpEvidence) {
  // A blurred, dark, rotated, cut-off cream "card" (a scene's blob) with no
  // KTP text: not a KTP and nothing else claimed.
  const cv::Mat scene = Blur(CreamCard()) * 0.35;
  const v1::ImageQualities none = JudgeText(scene, Found(30, true), 0, false, false);
  EXPECT_FALSE(none.ktp());
  EXPECT_EQ(CountFlags(none), 0) << none.ShortDebugString();
  // One KTP label read is not enough to make it a KTP: still no flag (a flag
  // would describe a KTP the verdict denies).
  const v1::ImageQualities some = JudgeText(scene, Found(30, true), 1, false, false);
  EXPECT_FALSE(some.ktp());
  EXPECT_EQ(CountFlags(some), 0) << some.ShortDebugString();
  reader::CardLocation whole = Found();
  whole.found = false;
  EXPECT_EQ(CountFlags(JudgeText(scene, whole, 3, false, false)), 0);
  // A white page (A4 outline, colourless) too blurred to read is not a card.
  cv::Mat page(638, 451, CV_8UC3, cv::Scalar(240, 240, 240));
  reader::CardLocation a4 = Found();
  a4.aspect = 1.414;
  const v1::ImageQualities blurred_page = JudgeText(Blur(page), a4, 0, false, false);
  EXPECT_FALSE(blurred_page.ktp());
  EXPECT_EQ(CountFlags(blurred_page), 0);
}

TEST(ImageQualityTest, BlurredGreyCopyWithoutReadableTextIsAKtp) {
  // A greyscale copy of the card, too blurred to read: colourless ID-1 outline.
  const cv::Mat card = GreyCopy(testing::DrawTestCard());
  const v1::ImageQualities q = JudgeText(Blur(card), Found(), 0, false, false);
  EXPECT_TRUE(q.ktp());
  EXPECT_TRUE(q.blurred());
  EXPECT_TRUE(q.copy());
  // Sharp and without any KTP text, the same grey card is not a KTP.
  EXPECT_FALSE(JudgeText(card, Found(), 0, false, false).ktp());
}

TEST(ImageQualityTest, LightCardAtModerateBrightnessIsNotWashedOut) {
  // A cream card lifted ×1.12 (mean ≈ 230, dark text kept; a hard washed-out
  // card is ≥ 237).
  cv::Mat card;
  CreamCard().convertTo(card, -1, 1.12, 0);
  EXPECT_FALSE(Judge(card).bright()) << reader::MeasureQuality(card).mean_luma;
}

TEST(ImageQualityTest, EmptyImageDoesNotCrash) {
  const reader::QualityMetrics m = reader::MeasureQuality(cv::Mat());
  EXPECT_EQ(m.mean_luma, 0);
}

cv::Mat BlurBy(const cv::Mat& card, double sigma) {
  cv::Mat out;
  if (sigma <= 0) return card.clone();
  cv::GaussianBlur(card, out, cv::Size(), sigma);
  return out;
}

TEST(ImageQualityTest, EdgeBlurGrowsWithTheBlurAndIgnoresContrast) {
  const cv::Mat card = testing::DrawTestCard();
  double previous = 0;
  for (double sigma : {0.0, 1.0, 2.0, 3.0, 4.0}) {
    const double eb = reader::MeasureQuality(BlurBy(card, sigma)).edge_blur_px;
    EXPECT_GT(eb, previous) << sigma;
    previous = eb;
  }
  // Darkening or fading does not read as blur; noise does not read as sharpness.
  const double sharp = reader::MeasureQuality(card).edge_blur_px;
  for (double gain : {0.3, 0.4, 0.6, 0.8}) {
    EXPECT_NEAR(reader::MeasureQuality(card * gain).edge_blur_px, sharp, 0.1) << gain;
  }
  cv::Mat noisy;
  BlurBy(card, 2.5).convertTo(noisy, CV_16SC3);
  cv::Mat noise(card.size(), CV_16SC3);
  cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(6));
  noisy += noise;
  noisy.convertTo(noisy, CV_8UC3);
  EXPECT_TRUE(Judge(noisy).blurred()) << reader::MeasureQuality(noisy).edge_blur_px;
}

TEST(ImageQualityTest, BlurredAtVariedStrengths) {
  const cv::Mat card = testing::DrawTestCard();
  // Sharp and moderate blur (σ ≤ 1, reads well): not flagged.
  for (double sigma : {0.0, 0.6, 1.0}) {
    EXPECT_FALSE(Judge(BlurBy(card, sigma)).blurred()) << sigma;
  }
  // Clearly soft (σ 2, may still read) to unreadable: flagged.
  for (double sigma : {2.0, 2.5, 3.5, 5.0}) {
    EXPECT_TRUE(Judge(BlurBy(card, sigma)).blurred()) << sigma;
  }
}

TEST(ImageQualityTest, BlurredEvenWhenNoTextCanBeRead) {
  // No label, header or NIK read at all: the blue ID-1 card is judged from
  // its shape and colour and says it is blurred.
  for (double sigma : {2.2, 4.0}) {
    const v1::ImageQualities q = JudgeText(BlurBy(testing::DrawTestCard(), sigma), Found(), 0, false, false);
    EXPECT_TRUE(q.ktp()) << sigma;
    EXPECT_TRUE(q.blurred()) << sigma;
    EXPECT_FALSE(q.dark() || q.bright() || q.copy() || q.rotated() || q.cropped()) << q.ShortDebugString();
  }
}

TEST(ImageQualityTest, DarkEvenWhenNoTextCanBeRead) {
  const cv::Mat card = testing::DrawTestCard() * 0.3;
  const v1::ImageQualities q = JudgeText(card, Found(), 0, false, false);
  EXPECT_TRUE(q.ktp());
  EXPECT_TRUE(q.dark());
  EXPECT_FALSE(q.blurred());
}

TEST(ImageQualityTest, BrightWithTheBackgroundClipped) {
  // Over-exposed ×1.7 with a lift: the background clips white and the print
  // is lifted, whatever the mean.
  cv::Mat card;
  testing::DrawTestCard().convertTo(card, -1, 1.7, 45);
  const v1::ImageQualities q = Judge(card);
  EXPECT_TRUE(q.bright()) << q.ShortDebugString();
  EXPECT_FALSE(q.copy());
  EXPECT_FALSE(q.dark());
  // Moderately bright (×1.1, no lift): contrast kept, not washed out.
  testing::DrawTestCard().convertTo(card, -1, 1.1, 0);
  EXPECT_FALSE(Judge(card).bright()) << reader::MeasureQuality(card).luma_stddev;
}

TEST(ImageQualityTest, LowSaturationColourCopyIsACopy) {
  // A copy that kept a tenth of the card's colour.
  cv::Mat card;
  const cv::Mat colour = testing::DrawTestCard();
  cv::addWeighted(GreyCopy(colour), 0.9, colour, 0.1, 0, card);
  const v1::ImageQualities q = Judge(card);
  EXPECT_TRUE(q.copy()) << reader::MeasureQuality(card).saturation;
  EXPECT_FALSE(q.bright());
  // The colour card itself is not a copy.
  EXPECT_FALSE(Judge(colour).copy());
}

TEST(ImageQualityTest, QuarterTurnsAreRotatedWhateverTheTilt) {
  const cv::Mat card = testing::DrawTestCard();
  for (int turns : {1, 2, 3}) {
    reader::CardLocation loc = Found();
    loc.quarter_turns = turns;
    loc.angle_deg = 90.0 * turns;
    EXPECT_TRUE(Judge(card, loc).rotated()) << turns;
    // Also for a card filling the frame (no outline found).
    loc.found = false;
    EXPECT_TRUE(Judge(card, loc).rotated()) << turns;
  }
  // Upright with a small tilt: not rotated; the tilt is what counts, not the angle.
  reader::CardLocation loc = Found(3);
  EXPECT_FALSE(Judge(card, loc).rotated());
  loc.angle_deg = 93;
  loc.quarter_turns = 1;
  EXPECT_TRUE(Judge(card, loc).rotated());
}

TEST(ImageQualityTest, CroppedEvenWhenNoTextCanBeRead) {
  const v1::ImageQualities q =
      JudgeText(BlurBy(testing::DrawTestCard(), 3.0), Found(0, /*cropped=*/true), 0, false, false);
  EXPECT_TRUE(q.ktp());
  EXPECT_TRUE(q.cropped());
  EXPECT_TRUE(q.blurred());
}

// The test card with a real photo's coloured backdrop (red, most of the
// photo box), as on an e-KTP: the colour a copy loses.
cv::Mat ColourPhotoCard() {
  cv::Mat card = testing::DrawTestCard();
  const auto& p = layout::kPhoto;
  const cv::Rect box(cv::Point(int(p.x0 * card.cols), int(p.y0 * card.rows)),
                     cv::Point(int(p.x1 * card.cols), int(p.y1 * card.rows)));
  card(box).setTo(cv::Scalar(41, 36, 204));  // BGR
  cv::ellipse(card, (box.tl() + box.br()) / 2 + cv::Point(0, box.height / 5),
              cv::Size(box.width / 3, box.height / 3), 0, 0, 360, cv::Scalar(90, 90, 100), cv::FILLED);
  return card;
}

// Per-channel gains (B, G, R) and the chroma kept, as a white balance and a
// washed-out camera would.
cv::Mat CastAndDesaturate(const cv::Mat& card, cv::Scalar gains, double saturation) {
  cv::Mat f;
  cv::addWeighted(GreyCopy(card), 1 - saturation, card, saturation, 0, f);
  cv::Mat out;
  cv::multiply(f, gains, out);
  return out;
}

cv::Mat MotionBlur(const cv::Mat& card, int length, bool vertical) {
  cv::Mat k = cv::Mat::zeros(length, length, CV_32F);
  if (vertical) {
    k.col(length / 2).setTo(1.0f / length);
  } else {
    k.row(length / 2).setTo(1.0f / length);
  }
  cv::Mat out;
  cv::filter2D(card, out, -1, k, cv::Point(-1, -1), 0, cv::BORDER_REFLECT);
  return out;
}

TEST(ImageQualityTest, MotionBlurIsBlurredWhicheverTheDirection) {
  // A shake of 6–7 px (as wide as a Gaussian of σ ≈ 1.7–2 across the
  // motion) leaves the edges along it sharp: the widest edges count, not
  // the mean over all (which a vertical shake keeps ≤ 1.26 on this card),
  // and a smeared edge is not helped by the sharp strokes beside it.
  for (bool vertical : {false, true}) {
    for (int length : {6, 7}) {
      const cv::Mat card = MotionBlur(testing::DrawTestCard(), length, vertical);
      EXPECT_TRUE(Judge(card).blurred()) << vertical << " " << length << " "
                                         << reader::MeasureQuality(card).edge_blur_px;
    }
    // A 3-px shake is not blur anyone would retake a photo for.
    const cv::Mat mild = MotionBlur(testing::DrawTestCard(), 3, vertical);
    EXPECT_FALSE(Judge(mild).blurred()) << vertical << " " << reader::MeasureQuality(mild).edge_blur_px;
  }
}

TEST(ImageQualityTest, VerticalShakeOfSmallPrintIsBlurred) {
  // Dense small print (a card's rows of 12-px capitals): under a vertical
  // shake the letters' tops and bottoms smear while their upright strokes
  // stay sharp right beside them; each edge must be compared with its own
  // gradient, not the sharp stroke's (that read ≈ 1.2 at 9–13 px).
  cv::Mat card(layout::kCardHeight, layout::kCardWidth, CV_8UC3, cv::Scalar(238, 218, 188));
  for (int row = 0; row < 18; ++row) {
    cv::putText(card, "KECAMATAN SUKAMAJU BARAT 0123 NIK", {30, 40 + row * 32}, cv::FONT_HERSHEY_DUPLEX, 0.5,
                cv::Scalar(25, 25, 25), 1, cv::LINE_AA);
  }
  EXPECT_FALSE(Judge(card).blurred()) << reader::MeasureQuality(card).edge_blur_px;
  for (int length : {9, 13}) {
    const cv::Mat shaken = MotionBlur(card, length, /*vertical=*/true);
    EXPECT_TRUE(Judge(shaken).blurred()) << length << " " << reader::MeasureQuality(shaken).edge_blur_px;
  }
}

TEST(ImageQualityTest, GlareRimIsNotBlur) {
  // A large flash spot's soft rim is among the strongest edges on the card
  // (measured with it, the card reads ≈ 1.4), but it is not focus.
  cv::Mat card = ColourPhotoCard();
  cv::Mat glare = cv::Mat::zeros(card.size(), CV_32F);
  cv::circle(glare, {330, 330}, 140, cv::Scalar(1.0), cv::FILLED);
  cv::GaussianBlur(glare, glare, cv::Size(), 45);
  cv::threshold(glare * 1.6, glare, 1.0, 1.0, cv::THRESH_TRUNC);
  cv::Mat f, g3;
  card.convertTo(f, CV_32FC3);
  cv::cvtColor(glare, g3, cv::COLOR_GRAY2BGR);
  f = f.mul(cv::Scalar::all(1.0) - g3) + g3 * 255.0;
  f.convertTo(card, CV_8UC3);
  const v1::ImageQualities q = Judge(card);
  EXPECT_TRUE(q.flash()) << reader::MeasureQuality(card).glare_fraction;
  EXPECT_FALSE(q.blurred()) << reader::MeasureQuality(card).edge_blur_px;
}

TEST(ImageQualityTest, ColourCastOrLowSaturationPhotoIsNotACopy) {
  // A warm cast that turns the light-blue background almost grey (median
  // saturation < 8), on a photo keeping 60 % of its colour: the backdrop
  // still differs in hue from the background, a copy's never does.
  const cv::Mat card = CastAndDesaturate(ColourPhotoCard(), cv::Scalar(0.93, 1.0, 1.08), 0.6);
  const reader::QualityMetrics m = reader::MeasureQuality(card);
  EXPECT_LT(m.saturation, 8);
  EXPECT_FALSE(Judge(card).copy()) << m.chroma_spread;
  EXPECT_FALSE(Judge(card).bright());
}

TEST(ImageQualityTest, TintedCopyIsACopy) {
  // A grey copy photographed under a cool or warm light: its paper is
  // tinted (saturation up to ~25) but every pixel has the same hue.
  const cv::Mat grey = GreyCopy(ColourPhotoCard());
  for (const cv::Scalar& tint : {cv::Scalar(1.1, 1.0, 0.9), cv::Scalar(0.9, 1.0, 1.08)}) {
    cv::Mat card;
    cv::multiply(grey, tint, card);
    const reader::QualityMetrics m = reader::MeasureQuality(card);
    EXPECT_GT(m.saturation, 10);
    EXPECT_TRUE(Judge(card).copy()) << m.saturation << " " << m.chroma_spread;
  }
}

TEST(ImageQualityTest, ALightBlueCardUnderAWhiteBalanceCastTooBlurredToReadIsABlurredKtp) {
  // The pale end of the e-KTP's background gradient (RGB ≈ 226, 236, 248)
  // under a white balance lifting red by 4–5 % turns lavender (OpenCV hue ≈
  // 118–122): still the e-KTP's light blue, and for a card whose blur leaves
  // nothing else to judge it by, what makes it a KTP.
  cv::Mat pale = ColourPhotoCard(), bg;  // red backdrop: not colourless
  cv::inRange(pale, cv::Scalar(238, 218, 188), cv::Scalar(238, 218, 188), bg);
  pale.setTo(cv::Scalar(248, 236, 226), bg);
  for (const cv::Scalar& gains : {cv::Scalar(1.0, 1.0, 1.05), cv::Scalar(1.03, 1.0, 1.04)}) {
    cv::Mat cast;
    cv::multiply(pale, gains, cast);
    const cv::Mat card = Blur(cast);
    const v1::ImageQualities q = JudgeText(card, Found(), 0, false, false);
    EXPECT_TRUE(q.ktp()) << reader::MeasureQuality(card).light_blue_fraction;
    EXPECT_TRUE(q.blurred());
  }
  // A plain, dark violet-blue card (a bank card: hue 120, saturation ≈ 54)
  // is no e-KTP, though dark leaves it nothing else to be judged by.
  const cv::Mat violet(layout::kCardHeight, layout::kCardWidth, CV_8UC3, cv::Scalar(100, 79, 79));
  EXPECT_FALSE(JudgeText(violet, Found(), 0, false, false).ktp())
      << reader::MeasureQuality(violet).light_blue_fraction;
}

// The card under a fraction of the light, with a dark photo's sensor noise
// (σ 1.5 levels per channel, fixed seed: JPEG smooths the rest away).
cv::Mat UnderExposed(const cv::Mat& card, double gain) {
  cv::Mat f, noise(card.size(), CV_32FC3);
  card.convertTo(f, CV_32FC3, gain);
  cv::RNG rng(2727);
  rng.fill(noise, cv::RNG::NORMAL, 0, 1.5);
  cv::Mat out;
  cv::Mat(f + noise).convertTo(out, CV_8UC3);
  return out;
}

TEST(ImageQualityTest, AColourCardTooDarkForItsColourToShowAtAFixedLevelIsNoCopy) {
  // At 14 % of the light every channel of the card lies under 40 levels, the
  // red backdrop as well: its colour is measured against the card's own
  // brightness, on block means that average the noise away.
  const cv::Mat card = UnderExposed(ColourPhotoCard(), 0.14);
  const reader::QualityMetrics m = reader::MeasureQuality(card);
  const v1::ImageQualities q = Judge(card);
  EXPECT_TRUE(q.dark());
  EXPECT_FALSE(q.copy()) << m.chroma_spread;
  // A grey copy under the same light and noise still is one.
  const cv::Mat copy = UnderExposed(GreyCopy(ColourPhotoCard()), 0.14);
  const v1::ImageQualities c = Judge(copy);
  EXPECT_TRUE(c.dark());
  EXPECT_TRUE(c.copy()) << reader::MeasureQuality(copy).chroma_spread;
}

TEST(ImageQualityTest, OverExposedColourCardIsBrightNotACopy) {
  // ×1.5 with no lift: the background clips white (its blue gone) while the
  // ink stays dark; the photo's backdrop keeps its red, so it is no copy.
  cv::Mat card;
  ColourPhotoCard().convertTo(card, -1, 1.5, 0);
  const v1::ImageQualities q = Judge(card);
  const reader::QualityMetrics m = reader::MeasureQuality(card);
  EXPECT_TRUE(q.bright()) << m.white_fraction << " " << m.chroma_spread;
  EXPECT_FALSE(q.copy());
  EXPECT_FALSE(q.flash());
}

TEST(ImageQualityTest, AFlashThatClipsHalfTheCardIsAFlashNotOverExposure) {
  cv::Mat card = ColourPhotoCard();
  // A hot spot clipping half the card, print and all, the rest of the card
  // exposed as usual and still light blue: white enough for an over-exposed
  // card, but the clipping is the flash's.
  cv::circle(card, {420, 330}, 310, cv::Scalar(255, 255, 255), cv::FILLED, cv::LINE_AA);
  const reader::QualityMetrics m = reader::MeasureQuality(card);
  ASSERT_GE(m.white_fraction, 0.3);
  ASSERT_GE(m.glare_fraction, 0.47);
  EXPECT_GE(m.unclipped_light_blue, 0.2);
  const v1::ImageQualities q = Judge(card);
  EXPECT_FALSE(q.bright()) << m.white_fraction << " light blue beside " << m.unclipped_light_blue;
  EXPECT_TRUE(q.flash()) << m.glare_fraction << " median " << m.median_luma;
  // The same card over-exposed all over is bright: nothing light blue is left.
  cv::Mat over;
  ColourPhotoCard().convertTo(over, -1, 1.5, 0);
  EXPECT_LT(reader::MeasureQuality(over).unclipped_light_blue, 0.05);
}

// ColourPhotoCard with a faint security pattern on its background (wavy
// lines 7 % darker), as the e-KTP's guilloche.
cv::Mat PatternedCard() {
  cv::Mat card = ColourPhotoCard();
  for (int y = 0; y < card.rows; ++y) {
    for (int x = 0; x < card.cols; ++x) {
      if (std::sin(x * 0.35 + 4 * std::sin(y * 0.05)) > 0.5) card.at<cv::Vec3b>(y, x) *= 0.93;
    }
  }
  return card;
}

TEST(ImageQualityTest, LightClippingTheBackgroundBetweenThePrintIsNotAFlash) {
  // A broad sheen over the text column lifts the light background until it
  // clips white in ragged patches between the print and the pattern's lines,
  // which stay darker. A spot of flash clips everything under it.
  cv::Mat f;
  PatternedCard().convertTo(f, CV_32FC3);
  for (int y = 0; y < f.rows; ++y) {
    for (int x = 0; x < f.cols; ++x) {
      const double d2 = (x - 330.0) * (x - 330.0) + (y - 400.0) * (y - 400.0);
      f.at<cv::Vec3f>(y, x) *= static_cast<float>(1.0 + 0.4 * std::exp(-d2 / (2 * 260.0 * 260.0)));
    }
  }
  cv::Mat card;
  f.convertTo(card, CV_8UC3);
  cv::GaussianBlur(card, card, cv::Size(), 1.0);
  const reader::QualityMetrics m = reader::MeasureQuality(card);
  ASSERT_GT(m.glare_fraction, 0.05);
  ASSERT_LT(m.median_luma, 244);  // not a card near clipping all over
  EXPECT_LT(m.glare_solidity, 0.6);
  EXPECT_FALSE(Judge(card).flash()) << m.glare_fraction << " solidity " << m.glare_solidity;
  // A spot of about the same size on the same card is a flash.
  cv::Mat spot = PatternedCard();
  cv::circle(spot, {330, 400}, 120, cv::Scalar(255, 255, 255), cv::FILLED, cv::LINE_AA);
  cv::GaussianBlur(spot, spot, cv::Size(), 1.0);
  const reader::QualityMetrics s = reader::MeasureQuality(spot);
  EXPECT_GE(s.glare_solidity, 0.9);
  EXPECT_TRUE(Judge(spot).flash()) << s.glare_fraction << " solidity " << s.glare_solidity;
}

TEST(ImageQualityTest, WashedOutTowardsWhiteIsBright) {
  // Blended 40 % towards white (haze, a flat over-exposure): the paper is not
  // clipped and the mean stays < 234, but the blackest ink is lifted.
  cv::Mat card;
  ColourPhotoCard().convertTo(card, -1, 0.6, 0.4 * 255);
  const reader::QualityMetrics m = reader::MeasureQuality(card);
  EXPECT_LT(m.mean_luma, 234);
  EXPECT_TRUE(Judge(card).bright()) << m.dark_level;
  EXPECT_FALSE(Judge(card).copy());
  // A blurred card lifts its thin ink too, but is not washed out.
  EXPECT_FALSE(Judge(BlurBy(ColourPhotoCard(), 3.0)).bright());
}

TEST(ImageQualityTest, GreyCopyWithClippedPaperIsACopyNotBright) {
  // A contrasty copy: the paper clips white, the ink stays black.
  cv::Mat card = GreyCopy(ColourPhotoCard());
  card.convertTo(card, -1, 1.4, -30);
  const v1::ImageQualities q = Judge(card);
  EXPECT_TRUE(q.copy()) << reader::MeasureQuality(card).white_fraction;
  EXPECT_FALSE(q.bright());
  EXPECT_FALSE(q.flash());
}

TEST(ImageQualityTest, ACopyWhosePaperClipsOverMostOfItIsACopy) {
  // A copy's paper clipped white over most of the card, its print on a
  // faintly tinted patch: the white is the background (no colour), not a
  // flash to look past.
  cv::Mat card(layout::kCardHeight, layout::kCardWidth, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::rectangle(card, cv::Rect(40, 150, 480, 330), cv::Scalar(205, 195, 180), cv::FILLED);
  // The photo, a trace of its colour kept.
  cv::rectangle(card, cv::Rect(700, 150, 180, 230), cv::Scalar(150, 150, 195), cv::FILLED);
  for (int y = 190; y < 470; y += 40) {
    cv::putText(card, "CONTOH NILAI 1234", {60, y}, cv::FONT_HERSHEY_SIMPLEX, 1.1, cv::Scalar(20, 20, 20), 5,
                cv::LINE_AA);
  }
  const reader::QualityMetrics m = reader::MeasureQuality(card);
  ASSERT_GT(m.white_fraction, 0.6);
  const v1::ImageQualities q = Judge(card);
  EXPECT_TRUE(q.copy()) << m.saturation << " " << m.chroma_spread << " " << m.luma_stddev << " " << m.dark_level;
  EXPECT_FALSE(q.bright());
}

TEST(ImageQualityTest, CardCutOnTwoSidesIsCroppedAndAKtp) {
  // No outline (a corner cut off: two sides hidden) but a card cut by the
  // border was seen: cropped, and a KTP on its labels although the part in
  // the picture has no card shape.
  reader::CardLocation loc;
  loc.found = false;
  loc.cropped = true;
  loc.aspect = 1.2;
  const v1::ImageQualities q = Judge(ColourPhotoCard(), loc, 12);
  EXPECT_TRUE(q.ktp());
  EXPECT_TRUE(q.cropped());
  // The same image without the cut card seen: the whole image, not card-shaped.
  loc.cropped = false;
  EXPECT_FALSE(Judge(ColourPhotoCard(), loc, 12).ktp());
}

TEST(ImageQualityTest, CardReadFromABandOfTheFrameIsAKtpOnItsLabelsAndNotCropped) {
  // No outline, read from a band of lit desk across the frame (its box no
  // card shape): a KTP on its labels as a cut card is, but nothing says the
  // frame cut it.
  reader::CardLocation loc;
  loc.found = false;
  loc.in_band = true;
  loc.aspect = 2.5;
  const v1::ImageQualities q = Judge(ColourPhotoCard(), loc, 12);
  EXPECT_TRUE(q.ktp());
  EXPECT_FALSE(q.cropped());
}

TEST(ImageQualityTest, ABlurredLightBlueBandOfTheFrameWithoutLabelsIsNoKtp) {
  // A band is mostly desk: its colour is not a card's. Blurred and light blue
  // with nothing read is a KTP when the frame cut the card, not from a band.
  reader::CardLocation cut;
  cut.found = false;
  cut.cropped = true;
  cut.aspect = 1.2;
  EXPECT_TRUE(JudgeText(Blur(testing::DrawTestCard()), cut, 0, false, false).ktp());
  reader::CardLocation band;
  band.found = false;
  band.in_band = true;
  band.aspect = 2.5;
  EXPECT_FALSE(JudgeText(Blur(testing::DrawTestCard()), band, 0, false, false).ktp());
  EXPECT_TRUE(JudgeText(Blur(testing::DrawTestCard()), band, 12, false, false).ktp());
}

// A location whose quad is the card seen `width` px across (ID-1 shape).
reader::CardLocation FoundAcross(double width) {
  reader::CardLocation loc = Found();
  const float w = static_cast<float>(width), h = static_cast<float>(width / layout::kAspect);
  loc.quad = {cv::Point2f(50, 40), cv::Point2f(50 + w, 40), cv::Point2f(50 + w, 40 + h), cv::Point2f(50, 40 + h)};
  return loc;
}

// What rectifying a card photographed `width` px across does: the card is
// sampled at that size, then upscaled to the canonical one.
cv::Mat PhotographedAcross(const cv::Mat& card, double width) {
  cv::Mat small, up;
  cv::resize(card, small, cv::Size(static_cast<int>(width), static_cast<int>(width / layout::kAspect)), 0, 0,
             cv::INTER_AREA);
  cv::resize(small, up, card.size(), 0, 0, cv::INTER_LINEAR);
  return up;
}

TEST(ImageQualityTest, CardUpscaleFollowsTheQuad) {
  EXPECT_NEAR(reader::CardUpscale(FoundAcross(layout::kCardWidth)), 1.0, 0.01);
  EXPECT_NEAR(reader::CardUpscale(FoundAcross(layout::kCardWidth / 2.0)), 2.0, 0.02);
  EXPECT_EQ(reader::CardUpscale(Found()), 1.0);  // no geometry
}

TEST(ImageQualityTest, SharpCardPhotographedSmallIsNotBlurred) {
  // A sharp card 340–420 px across reads wider than 1.35 canonical px at its
  // edges (a σ ≈ 1.6 blur at full size) but is as sharp as its
  // pixels allow; blurred at that size it is still blurred.
  const cv::Mat card = testing::DrawTestCard();
  for (double width : {340.0, 380.0, 420.0}) {
    const cv::Mat small = PhotographedAcross(card, width);
    const double eb = reader::MeasureQuality(small).edge_blur_px;
    EXPECT_GT(eb, 1.35) << width;  // what the fixed threshold called blurred
    EXPECT_FALSE(Judge(small, FoundAcross(width)).blurred()) << width << " " << eb;
    const cv::Mat soft = PhotographedAcross(BlurBy(card, 5.0), width);
    EXPECT_TRUE(Judge(soft, FoundAcross(width)).blurred())
        << width << " " << reader::MeasureQuality(soft).edge_blur_px;
  }
  // At full size the threshold is as before.
  EXPECT_TRUE(Judge(BlurBy(card, 2.0), FoundAcross(layout::kCardWidth)).blurred());
}

TEST(ImageQualityTest, FlashHaloOnADarkCardIsNotBlur) {
  // A flash spot on an under-exposed card: its halo (1.8× the spot, soft)
  // is the strongest slope on the card, far outside the spot's rim.
  cv::Mat f;
  testing::DrawTestCard().convertTo(f, CV_32FC3, 0.3);
  cv::Mat core = cv::Mat::zeros(f.size(), CV_32F), halo = cv::Mat::zeros(f.size(), CV_32F);
  // ktp-synth's spot over 6 % of the card (GlareMask).
  const cv::Point centre(420, 330);
  cv::ellipse(core, centre, cv::Size(135, 90), 20, 0, 360, cv::Scalar(1.0), cv::FILLED);
  cv::ellipse(halo, centre, cv::Size(243, 162), 20, 0, 360, cv::Scalar(0.55), cv::FILLED);
  cv::GaussianBlur(halo, halo, cv::Size(), 49);
  cv::GaussianBlur(core, core, cv::Size(), 13);
  cv::threshold(core * 1.4, core, 1.0, 1.0, cv::THRESH_TRUNC);
  const cv::Mat glare = cv::max(core, halo);
  cv::Mat g3;
  cv::cvtColor(glare, g3, cv::COLOR_GRAY2BGR);
  f = f.mul(cv::Scalar::all(1.0) - g3) + g3 * 255.0;
  cv::Mat noise(f.size(), CV_32FC3);
  cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(3));
  cv::Mat card;
  cv::Mat(f + noise).convertTo(card, CV_8UC3);
  const v1::ImageQualities q = Judge(card);
  EXPECT_TRUE(q.dark());
  EXPECT_TRUE(q.flash()) << reader::MeasureQuality(card).glare_fraction;
  const reader::QualityMetrics m = reader::MeasureQuality(card);
  EXPECT_FALSE(q.blurred()) << m.print_blur_px;
  // The halo still counts in edge_blur_px (the reader's deblurring cue).
  EXPECT_GT(m.edge_blur_px, m.print_blur_px + 0.2);
}

// Metrics of a well-exposed colour card, to vary one at a time.
reader::QualityMetrics ColourCardMetrics() {
  reader::QualityMetrics m;
  m.edge_blur_px = m.print_blur_px = 0.9;
  m.mean_luma = m.median_luma = 200;
  m.p95_luma = 235;
  m.luma_stddev = 55;
  m.dark_level = 10;
  m.chroma_spread = 0.9;
  m.saturation = 45;
  m.light_blue_fraction = 0.9;
  return m;
}

v1::ImageQualities JudgeMetrics(const reader::QualityMetrics& m) {
  reader::KtpTextEvidence text;
  text.labels_found = 14;
  return reader::JudgeQuality(m, Found(), text);
}

TEST(ImageQualityTest, ClippedPatchesOnACardNearClippingAreNotAFlash) {
  // Clipped white over 4 % of the card: a flash spot on a card of median
  // 230, but patches of the background on a card over-exposed to 248.
  reader::QualityMetrics m = ColourCardMetrics();
  m.glare_fraction = m.white_fraction = 0.04;
  m.glare_solidity = 0.95;
  m.median_luma = 230;
  EXPECT_TRUE(JudgeMetrics(m).flash());
  m.median_luma = 248;
  const v1::ImageQualities q = JudgeMetrics(m);
  EXPECT_FALSE(q.flash());
  EXPECT_FALSE(q.bright());  // too little clipped for that either
}

TEST(ImageQualityTest, InkLiftedByThinPrintIsNotWashedOut) {
  // A light card whose darkest ink is grey (thin or small print: 84) is not
  // washed out; ink blended towards white (≥ 95) is.
  reader::QualityMetrics m = ColourCardMetrics();
  m.median_luma = 226;
  m.dark_level = 84;
  EXPECT_FALSE(JudgeMetrics(m).bright());
  m.dark_level = 96;
  EXPECT_TRUE(JudgeMetrics(m).bright());
}

TEST(ImageQualityTest, PerspectiveIsNotRotation) {
  // An upright card seen at an angle: its top edge leans by 9° (the corner
  // nearer the camera is higher), its other sides by ≤ 2°. Turned by 12° as
  // a whole, it is rotated.
  reader::CardLocation loc = Found();
  loc.quad = {cv::Point2f(100, 100), cv::Point2f(1100, -60), cv::Point2f(1100, 700), cv::Point2f(100, 730)};
  loc.angle_deg = loc.tilt_deg = std::atan2(-160.0, 1000.0) * 180 / CV_PI;
  EXPECT_GT(std::abs(loc.tilt_deg), 8.5);
  EXPECT_LT(std::abs(reader::CardTilt(loc)), 4.0) << reader::CardTilt(loc);
  reader::KtpTextEvidence text;
  text.labels_found = 14;
  EXPECT_FALSE(reader::JudgeQuality(ColourCardMetrics(), loc, text).rotated());

  const double a = 12 * CV_PI / 180;
  for (cv::Point2f& p : loc.quad) {
    p = cv::Point2f(static_cast<float>(p.x * std::cos(a) - p.y * std::sin(a)),
                    static_cast<float>(p.x * std::sin(a) + p.y * std::cos(a)));
  }
  loc.angle_deg = loc.tilt_deg = loc.tilt_deg + 12;
  EXPECT_NEAR(reader::CardTilt(loc), 12 - 2.6, 1.0);
  EXPECT_TRUE(reader::JudgeQuality(ColourCardMetrics(), loc, text).rotated());
  // A cropped card's quad is partly guessed: the locator's tilt stands.
  loc.cropped = true;
  EXPECT_EQ(reader::CardTilt(loc), loc.tilt_deg);
}

// A sharp card over-exposed to the edge of clipping (median ≥ 244): its
// background clips white in patches, which are not flash spots.
cv::Mat NearClippingCardWithClippedPatches() {
  cv::Mat card = ColourPhotoCard();
  const auto& p = layout::kPhoto;
  const cv::Rect box(cv::Point(int(p.x0 * card.cols), int(p.y0 * card.rows)),
                     cv::Point(int(p.x1 * card.cols), int(p.y1 * card.rows)));
  cv::GaussianBlur(card(box), card(box), cv::Size(), 3.0);  // a portrait's soft edges
  cv::Mat background;
  cv::inRange(card, cv::Scalar(238, 218, 188), cv::Scalar(238, 218, 188), background);
  card.setTo(cv::Scalar(249, 247, 241), background);  // luma ≈ 245, just short of clipped
  cv::Mat patches = cv::Mat::zeros(card.size(), CV_8U);
  for (const cv::Point c : {cv::Point(150, 260), cv::Point(430, 330), cv::Point(250, 480)}) {
    cv::ellipse(patches, c, cv::Size(90, 40), 0, 0, 360, cv::Scalar(255), cv::FILLED);
  }
  card.setTo(cv::Scalar::all(255), patches & background);
  return card;
}

TEST(ImageQualityTest, ClippedPatchesOnACardNearClippingAreNotBlur) {
  const cv::Mat card = NearClippingCardWithClippedPatches();
  const reader::QualityMetrics m = reader::MeasureQuality(card);
  const v1::ImageQualities q = Judge(card);
  EXPECT_GE(m.median_luma, 244);
  EXPECT_FALSE(q.flash());
  EXPECT_FALSE(q.blurred()) << m.print_blur_px << " " << m.edge_blur_px << " " << m.glare_fraction;
}

// `card` under one clipped white disc of `radius` px at `centre`: a flash's core.
cv::Mat WithClippedDisc(cv::Mat card, cv::Point centre, int radius) {
  cv::circle(card, centre, radius, cv::Scalar(255, 255, 255), cv::FILLED, cv::LINE_AA);
  return card;
}

TEST(ImageQualityTest, TheBackgroundsColourIsMeasuredWhereLightDidNotClipIt) {
  // A flash clipping a fifth of a blurred light-blue card: what is left of
  // the background is still the e-KTP's blue, so the card is a KTP even with
  // no text read (its clipped white is no colour at all).
  const cv::Mat card = WithClippedDisc(Blur(testing::DrawTestCard()), {330, 340}, 240);
  const reader::QualityMetrics m = reader::MeasureQuality(card);
  ASSERT_GT(m.glare_fraction, 0.2);
  EXPECT_GE(m.light_blue_fraction, 0.9);
  const v1::ImageQualities q = JudgeText(card, Found(), 0, false, false);
  EXPECT_TRUE(q.ktp());
  EXPECT_TRUE(q.blurred());
  EXPECT_TRUE(q.flash());
  EXPECT_FALSE(q.copy());
  // A grey copy under the same flash stays colourless.
  EXPECT_EQ(reader::MeasureQuality(GreyCopy(card)).light_blue_fraction, 0);
  // A card clipped over most of it keeps them: its clipped paper is its
  // background.
  cv::Mat white = testing::DrawTestCard();
  white.setTo(cv::Scalar(255, 255, 255));
  EXPECT_EQ(reader::MeasureQuality(white).light_blue_fraction, 0);
}

TEST(ImageQualityTest, ASoftCardWhoseFlashHalosHideItsPrintIsStillBlurred) {
  // Spots this size leave no print outside their halos to judge the blur
  // on; the rims-only measure is what there is, not "sharp".
  cv::Mat card = Blur(testing::DrawTestCard());
  card = WithClippedDisc(card, {300, 320}, 150);
  card = WithClippedDisc(card, {720, 320}, 150);
  const reader::QualityMetrics m = reader::MeasureQuality(card);
  EXPECT_GT(m.print_blur_px, 1.35) << m.edge_blur_px;
  EXPECT_TRUE(Judge(card).blurred());
}

}  // namespace
}  // namespace ktp::reader
