// The nine image-quality flags of ReadWithQualities, judged from pixels by
// the local reader: measurements on the rectified card (edge width, luminance
// and black level, clipped white, colour variety and saturation, light-blue
// share, glare) plus the locator's geometry and what the parser read (label
// count, PROVINSI header, NIK).
// Thresholds were tuned on ktp-synth output, its single-defect set in
// particular (see kQualityThresholds and synth::ChooseSingleDefect).
#ifndef KTP_READER_IMAGE_QUALITY_H_
#define KTP_READER_IMAGE_QUALITY_H_

#include <opencv2/core.hpp>

#include "ktp/v1/ktp_ocr.pb.h"
#include "reader/card_locator.h"

namespace ktp::reader {

// Raw measurements, exposed for tuning and tests.
struct QualityMetrics {
  // Sharpness: fine-detail energy relative to contrast (higher = sharper).
  // Kept for tuning; the blurred flag is judged on print_blur_px.
  double sharpness = 0;
  // Edge blur: how wide the card's strongest edges are, as the σ (canonical
  // card pixels, kCardWidth = 1012 px across the card) of a Gaussian profile,
  // measured by re-blurring: at an edge of width σ the gradient peak falls by
  // σ / √(σ² + s²) when blurred again by s, whatever the edge's contrast or
  // brightness. Edges are grouped by orientation and the widest group counts
  // (motion blur widens only the edges across its path), each edge compared
  // with its own gradient along its direction before re-blurring (a sharp
  // stroke beside it must not lend it its gradient); a glare spot's rim is
  // left out. Noise is smoothed away first, so the value includes that
  // smoothing: ≈ 0.8–1.05 on sharp and mildly soft ktp-synth photos, ≥ 1.69
  // at a Gaussian blur of σ ≥ 1.8 px, a shake ≥ 6.3 px or a defocus disc of
  // radius ≥ 3.6 px. An over-exposed card (edges clipped at white) reads
  // sharper than it is; a card photographed small reads wider by about its
  // CardUpscale (JudgeQuality allows for that).
  double edge_blur_px = 0;
  // The same with each glare spot's halo (up to 2.2× the spot) left out too:
  // the print's own blur, which the blurred flag is judged on (on a dark card
  // a flash's soft halo outshines the print). On a card near clipping all
  // over (median ≥ 244, never flashed) nothing is left out: its clipped
  // patches are background. Equal to edge_blur_px on a card without glare,
  // and where the halos leave too few edges to measure.
  // edge_blur_px still drives the reader's deblurring re-read.
  double print_blur_px = 0;
  // Mean, median and 95th percentile luminance of the card, 0–255.
  double mean_luma = 0;
  double median_luma = 0;
  double p95_luma = 0;
  // Contrast: luminance standard deviation on the card.
  double luma_stddev = 0;
  // Black level: the 0.5th percentile luminance (the darkest ink: hair in
  // the photo, the NIK; a washed-out card lifts it, and so does heavy blur).
  double dark_level = 0;
  // Fraction of the card that is clipped white (every channel ≥ 245).
  double white_fraction = 0;
  // Colour variety, independent of a colour cast: the 97th percentile
  // distance of the card's exposed parts (4×4-pixel block means at least
  // half as bright as the card's median) from their median in log
  // chromaticity (log R/G, log B/G), where a cast is a mere shift. A colour
  // card's photo backdrop, seal and ink lie far from its background (≈ 0.5–
  // 1.9); a greyscale copy, tinted or not, stays near noise (< 0.15).
  double chroma_spread = 0;
  // Median HSV saturation of the card's background, 0–255. The background is
  // the brighter half of the pixels light did not clip (clipped white is no
  // colour: a flash would make a blue card look colourless), or of all of
  // them on a card clipped over half or more (a copy's paper).
  double saturation = 0;
  // Fraction of the background that is the e-KTP's light blue (hue and
  // saturation in the card's band).
  double light_blue_fraction = 0;
  // Fraction of the card covered by blobs of clipped, colourless pixels (a
  // flash spot; on an over-exposed card or a copy's paper, most of it).
  double glare_fraction = 0;
  // The largest of those blobs' area over its convex hull's (0 without one):
  // near 1 for a flash's spot, which clips the print under it as well; lower
  // for the ragged patches of a bright card's background clipped between
  // its print.
  double glare_solidity = 0;
  // Share of the card that is still the e-KTP's light blue away from its
  // clipped patches: a flash clips part of a card otherwise exposed as usual
  // (ktp-diag's close flashes clipping a third to half of the card: mostly
  // 0.24–0.44), over-exposure clips the background everywhere (bright cards
  // ≤ 0.05; ktp-synth ≤ 0.19).
  double unclipped_light_blue = 0;
};

// Measures `card` (the rectified card, 8-bit BGR, any size).
QualityMetrics MeasureQuality(const cv::Mat& card);

// What the OCR'd text says about the image being a KTP (from the parser).
struct KtpTextEvidence {
  // The parser's label count (see field_parser.h; includes the PROVINSI header).
  int labels_found = 0;
  // Of those, the labels only a KTP prints (ParsedCard::ktp_only_labels_found).
  int ktp_only_labels = 0;
  // The "PROVINSI <name>" header was read and names a known province.
  bool province_header = false;
  // A 16-digit NIK whose district code exists.
  bool valid_nik = false;
};

// How many canonical card px (kCardWidth × kCardHeight) one image px of the
// located card spans, from the area of its quad: > 1 when the card was
// photographed small and upscaled to be measured; 1 when the location has
// no geometry.
double CardUpscale(const CardLocation& location);

// The card's tilt (degrees, clockwise positive, in (-45, 45], after its
// quarter turns) from all four sides of its quad: under perspective the top
// edge alone leans by up to the corners' jitter. The locator's tilt_deg when
// the location has no geometry or is cropped (hidden corners are guessed).
double CardTilt(const CardLocation& location);

// Judges the flags.
//
// ktp: the image shows a card of the ID-1 shape (or a card cut on two sides
// by the border, which has no shape to show) and ≥ 6 KTP labels were read,
// or a card outline was found and two of {PROVINSI header, valid NIK,
// another KTP label} agree (all three with no outline: a card washed out into
// its desk), or the card (outlined, or cut on two sides; not a band of the
// frame, whose colour is the desk's) is the e-KTP's light blue and either
// carries one of those (a label only a KTP prints, not Nama or Alamat, which a
// student card has too) or is too blurred or too dark to read and pale (a
// bank card's saturated blue is not the e-KTP's), or an outline of the ID-1
// shape (aspect 1.45–1.73) is too blurred to read and colourless (a blurred
// copy, or over-exposed until its colour clipped).
// Unreadable text says nothing against a KTP, so such cards are judged from
// shape and colour. Limitation: another pale light-blue or white ID-1 card
// too blurred to read is taken for a KTP.
//
// ktp=false means the image is confidently not a KTP (a scene, a page,
// another card whose text reads, none of it a KTP's) and then no other flag
// is set. On a KTP the flags are raised from pixels and the locator's
// geometry, even when none of its text could be read. Each flag:
//   blurred — print_blur_px above 1.35 × CardUpscale (≥ 1) (the widest
//             edges as wide as a Gaussian blur of σ ≈ 1.6 px on the 1012-px
//             card, or a shake of ≈ 5–6 px: text visibly soft or smeared;
//             on a card photographed smaller, as wide per image px: a sharp
//             card 500 px across reads ≈ 2 canonical px);
//   dark    — median luminance below 115 (under-exposed, evenly or not);
//   bright  — over-exposed: ≥ 30 % of the card clipped white but less than
//             20 % of it still light blue beside the clipped patches (else a
//             flash clipped them), and the card plainly in colour, or not
//             grey with its contrast compressed or its ink lifted (black
//             level ≥ 55), or grey with the ink lifted to ≥ 90 (a copy clips
//             its paper too, but keeps black ink); or washed out: the black
//             level ≥ 88 on a light card (median ≥ 200), not by blur;
//   copy    — not bright and colourless, judged so a colour cast cannot fake
//             or hide it: one hue over the whole card (chroma spread < 0.08,
//             a tinted copy, on a background of saturation < 60), or little colour variety (spread < 0.2) on a
//             background of little saturation (< 30), or a trace of colour
//             (spread < 0.48) on a nearly colourless background (< 20);
//   flash   — clipped white blobs over 1.8–45 % of the card, on a card that
//             is neither bright nor a copy (whose white is paper) and whose
//             median luminance is below 244 (on a card near clipping all
//             over, clipped patches are over-exposure, not a spot), the
//             largest of them solid (≥ 0.75 of its convex hull: a spot that
//             wipes out the print, not light clipping the background between
//             it); or over 45 % or more of the card when ≥ 20 % of it is
//             still light blue beside them (a flash held close);
//   cropped — the card's outline runs along the image border, a corner lies
//             on or beyond it, or a card cut on two sides (a corner, or two
//             opposite sides) was seen with no outline to place;
//   rotated — the card is turned by a quarter, half or three quarters (it is
//             read upright anyway), or tilted (CardTilt) by more than 8.5°. A JPEG whose
//             EXIF orientation says how to turn it is turned at decode and is
//             not rotated.
v1::ImageQualities JudgeQuality(const QualityMetrics& metrics, const CardLocation& location,
                                const KtpTextEvidence& text);

}  // namespace ktp::reader

#endif  // KTP_READER_IMAGE_QUALITY_H_
