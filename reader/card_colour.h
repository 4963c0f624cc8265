// The e-KTP's light-blue background as a colour test, shared by the card
// locator (a light-blue outline is a card, not a photocopy's sheet) and the
// quality flags (light-blue share of the background).
#ifndef KTP_READER_CARD_COLOUR_H_
#define KTP_READER_CARD_COLOUR_H_

namespace ktp::reader {

// The e-KTP background (ktp-synth draws RGB ≈ (0.72–0.80, 0.86–0.90,
// 0.95–0.97): OpenCV hue ≈ 102, saturation 45–65) with room for white balance,
// lighting and JPEG: hue 90–115 (cyan-blue to blue), saturation 12–120; and
// up to hue 125 (lavender) when pale, saturation ≤ 45: a pale card's hue
// swings with a few % of cast (red lifted 5 % on the gradient's pale end,
// R ≈ G, is hue 120), a saturated colour's barely (a violet-blue bank card).
inline constexpr int kLightBlueHue[2] = {90, 115};
inline constexpr int kLightBlueSaturation[2] = {12, 120};
inline constexpr int kPaleLavenderMaxHue = 125;
inline constexpr int kPaleLavenderMaxSaturation = 45;

// An HSV pixel (OpenCV hue 0–180, saturation 0–255) in the e-KTP's light blue.
inline bool IsLightBlue(int hue, int saturation) {
  if (hue < kLightBlueHue[0] || saturation < kLightBlueSaturation[0]) return false;
  if (hue <= kLightBlueHue[1]) return saturation <= kLightBlueSaturation[1];
  return hue <= kPaleLavenderMaxHue && saturation <= kPaleLavenderMaxSaturation;
}

}  // namespace ktp::reader

#endif  // KTP_READER_CARD_COLOUR_H_
