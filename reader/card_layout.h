// The KTP's nominal printed layout as fractions of the card's width and height
// (ID-1 format, 85.6 × 54 mm). Real cards deviate by several per cent, so
// ktp-synth draws each card on a variation of it (synth::DrawGeometry), and the
// local reader finds the colon column and the photo's edge per card, using
// these only as fallbacks and for what has no text to find (photo and
// signature crops).
#ifndef KTP_READER_CARD_LAYOUT_H_
#define KTP_READER_CARD_LAYOUT_H_

namespace ktp::reader::layout {

struct Rect {
  double x0, y0, x1, y1;  // fractions of card width / height
};

// Card aspect ratio (width / height).
constexpr double kAspect = 85.6 / 54.0;
// Canonical rectified size the reader works in (≈ 300 dpi).
constexpr int kCardWidth = 1012;
constexpr int kCardHeight = 638;

// Two centred header lines: "PROVINSI <NAME>", "KABUPATEN|KOTA <NAME>".
constexpr double kHeaderLine1Y = 0.075;  // baseline-ish centre, fraction of height
constexpr double kHeaderLine2Y = 0.145;
constexpr double kHeaderTextHeight = 0.050;
// "NIK : <16 digits>" in a larger bold face.
constexpr double kNikY = 0.235;
constexpr double kNikTextHeight = 0.060;
// Label column, colon column and value column (x), first row and row pitch (y).
constexpr double kLabelX = 0.030;
constexpr double kIndentedLabelX = 0.065;  // RT/RW, Kel/Desa, Kecamatan
constexpr double kColonX = 0.265;
constexpr double kValueX = 0.285;
constexpr double kFirstRowY = 0.325;
constexpr double kRowPitch = 0.050;
constexpr double kRowTextHeight = 0.036;
constexpr double kBloodLabelX = 0.480;  // "Gol. Darah : O" on the Jenis Kelamin row
// Where text lives (everything left of the photo column), for OCR when the
// photo's edge cannot be found.
constexpr Rect kTextArea{0.0, 0.0, 0.715, 1.0};
// The photo and the signature, plus the issue place and date between them.
constexpr Rect kPhoto{0.735, 0.215, 0.955, 0.655};
constexpr double kIssuePlaceY = 0.700;
constexpr double kIssueDateY = 0.750;
constexpr Rect kSignature{0.745, 0.780, 0.945, 0.935};

}  // namespace ktp::reader::layout

#endif  // KTP_READER_CARD_LAYOUT_H_
